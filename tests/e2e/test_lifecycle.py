"""Module unload while broadcasts are live, and a clean unload/reload after."""

from helpers import check_outcome, only

MODULES = ("app_stasis_broadcast.so", "res_stasis_broadcast.so")


def test_unload_is_refused_while_a_broadcast_is_live(apps, calls, observer, asterisk, ari):
    app = apps.app("a")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    app.wait_for("CallBroadcast", call.channel_id)

    for module in MODULES:
        assert "Unable to unload" in asterisk.cli(f"module unload {module}")
    shown = asterisk.cli("module show like stasis_broadcast")
    assert all(module in shown for module in MODULES)

    assert app.claim(call.channel_id) == 204, "the broadcast must survive the attempt"
    app.wait_for("StasisStart", call.channel_id)
    ari.continue_in_dialplan(call.channel_id)
    check_outcome(observer.result(call), "SUCCESS", app.name)


def test_unload_and_reload_when_idle(apps, calls, observer, asterisk):
    for module in MODULES:
        assert "Unloaded" in asterisk.cli(f"module unload {module}"), module
    shown = asterisk.cli("module show like stasis_broadcast")
    assert not any(module in shown for module in MODULES), shown
    for module in reversed(MODULES):
        assert "Loaded" in asterisk.cli(f"module load {module}"), module

    racer = apps.racer("a")
    call = calls.offer(timeout=3000, app_filter=only(apps))
    check_outcome(observer.result(call), "SUCCESS", racer.name, 1)
