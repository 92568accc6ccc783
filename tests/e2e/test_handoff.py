"""A handoff a pool can count on (SPEC section 9): a winner that dies as it wins
never strands the call. It is offered again to the recipients still there,
as a CallBroadcast whose "offer" says it is a repeat; when nobody is left, the
dialplan goes on at once and says why (STASISBROADCAST_REASON).

A winner "dies" as a crashed process does: its connection reset, no WebSocket
close frame (ari.Doomed). Its loss is learnt where res_stasis tells modules an
application unregistered (20.14, 22.4, 23.0 and later: UNREGISTER_TOLD);
before, only a winner already unregistered when the channel is handed to it
is noticed (Stasis refuses the channel; test_handoff_refused.py and the unit
test recipients_gone), which a claim's 204 seldom leaves time for: these tests
run where the feature reaches.
"""

import time

import pytest

from ari import Doomed
from helpers import REST_OVER_WEBSOCKET, UNREGISTER_TOLD, only, release

pytestmark = [pytest.mark.ours_only, pytest.mark.edge,
              pytest.mark.skipif(not UNREGISTER_TOLD, reason="this Asterisk does not tell "
                                 "modules when an application's connection closes")]


def doomed(apps, name, **kwargs):
    return apps._keep(Doomed(apps.ari, apps.prefix + name, **kwargs))


def offered_again(event):
    return event.get("offer", 1) >= 2


def offer_of(app, call, number, timeout=5.0):
    """The CallBroadcast of the call's offer NUMBER that APP got."""
    return app.wait_until(lambda e: e.get("type") == "CallBroadcast"
                          and e["channel"]["id"] == call.channel_id
                          and e.get("offer") == number, timeout, f"offer {number}")


def assert_taken_by(report, app, offers):
    assert (report["status"], report["winner"], report["offers"], report["reason"]) == \
        ("SUCCESS", app.name, offers, "CLAIMED"), report


@pytest.mark.parametrize("when, over_ws", [
    ("claimed", False),
    pytest.param("claimed", True, marks=pytest.mark.skipif(
        not REST_OVER_WEBSOCKET, reason="no REST over WebSocket on this release")),
    ("started", False),
], ids=["after-204", "after-204-claimed-over-websocket", "after-stasis-start"])
def test_winner_killed_gives_the_call_to_another_recipient(apps, calls, observer, when, over_ws):
    first = doomed(apps, "doomed", when=when, over_ws=over_ws)
    other = apps.racer("other", claim=offered_again)
    call = calls.offer(timeout=5000, app_filter=only(apps))

    again = offer_of(other, call, 2)
    report = observer.report(call)
    assert first.claims[call.channel_id] == 204
    assert_taken_by(report, other, 2)
    assert report["recipients"] == 1, "the dead winner is no recipient of the second offer"
    assert again["_received"] - first.killed_at < 1.0, "offered again at once"
    assert [e["offer"] for e in first.find("CallBroadcast")] == [1]


def test_two_winners_dying_in_a_row(apps, calls, observer):
    doomed(apps, "first", when="claimed")
    doomed(apps, "second", when="started", offer=2)
    third = apps.racer("third", claim=lambda e: e["offer"] == 3)
    call = calls.offer(timeout=5000, app_filter=only(apps))

    assert_taken_by(observer.report(call), third, 3)
    assert [e["offer"] for e in third.find("CallBroadcast", call.channel_id)] == [1, 2, 3]


def test_nobody_left_after_the_winner_died_the_dialplan_goes_on_at_once(apps, calls, observer):
    doomed(apps, "alone", when="claimed")
    call = calls.offer(timeout=10000, app_filter=only(apps))

    report = observer.report(call)
    assert (report["status"], report["winner"], report["reason"], report["offers"]) == \
        ("TIMEOUT", "", "WINNER_LOST", 1), report
    assert report["elapsed_ms"] < 2000


@pytest.mark.parametrize("options", ["g(300)", "g(0)"])
def test_winner_lost_after_the_guard_keeps_the_call_as_in_ari(apps, calls, observer, asterisk,
                                                             options):
    """Past the guard (g(0): from its StasisStart on), ARI's semantics: the call
    stays in the Stasis of the application, which may come back for it."""
    late = 0.6 if options == "g(300)" else 0.0
    winner = doomed(apps, "winner", when="started", after=late)
    other = apps.racer("other", claim=offered_again)
    call = calls.offer(timeout=5000, app_filter=only(apps), options=options)

    winner.wait_for("StasisStart", call.channel_id)
    wait_for_death = time.monotonic() + late + 5
    while not hasattr(winner, "killed_at") and time.monotonic() < wait_for_death:
        time.sleep(0.01)
    time.sleep(1.0)
    shown = asterisk.cli("stasis broadcast show channels")
    assert [e["offer"] for e in other.find("CallBroadcast", call.channel_id)] == [1]
    assert winner.name in shown and "(lost)" not in shown, shown
    assert observer.find("StasisStart", call.channel_id) == []


def test_caller_hangs_up_during_the_second_offer(apps, calls, ari, asterisk):
    doomed(apps, "doomed", when="started")
    idle = apps.racer("idle", claim=False)
    call = calls.offer(timeout=10000, app_filter=only(apps))

    offer_of(idle, call, 2)
    assert ari.subscribe(idle.name, call.channel_id).status_code == 200
    call.hangup()
    idle.wait_for("ChannelDestroyed", call.channel_id, timeout=10)
    assert idle.claim(call.channel_id) == 404
    assert "0 live broadcasts" in asterisk.cli("stasis broadcast show channels")


def test_unload_is_refused_during_a_second_offer(apps, calls, observer, asterisk):
    doomed(apps, "doomed", when="started")
    idle = apps.racer("idle", claim=offered_again, release=False)
    call = calls.offer(timeout=10000, app_filter=only(apps))

    offer_of(idle, call, 2)
    for module in ("app_stasis_broadcast.so", "res_stasis_broadcast.so"):
        asterisk.cli(f"module unload {module}")
    shown = asterisk.cli("module show like stasis_broadcast")
    assert shown.count("Running") >= 2, shown
    release(idle, call)
    assert_taken_by(observer.report(call), idle, 2)
