"""SPEC section 4: POST /ari/events/claim, through Asterisk's own route."""

import pytest

from helpers import check_outcome, only



def test_first_claim_wins_then_409_for_everyone(apps, calls, observer, ari):
    first, second = apps.app("first"), apps.app("second")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    first.wait_for("CallBroadcast", call.channel_id)
    second.wait_for("CallBroadcast", call.channel_id)

    assert first.claim(call.channel_id) == 204
    assert second.claim(call.channel_id) == 409
    assert first.claim(call.channel_id) == 409, "the winner's second claim must be 409 too"

    first.wait_for("StasisStart", call.channel_id)
    assert second.find("StasisStart") == []
    ari.continue_in_dialplan(call.channel_id)
    check_outcome(observer.result(call), "SUCCESS", first.name)


def test_claim_after_timeout_is_404(apps, calls, observer):
    idle = apps.app("idle")
    call = calls.offer(timeout=100, app_filter=only(apps))
    assert observer.result(call)[0] == "TIMEOUT"
    assert idle.claim(call.channel_id) == 404


def test_claim_after_the_call_left_is_404(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps))
    assert observer.result(call)[0] == "SUCCESS"
    assert racer.claim(call.channel_id) == 404


def test_unknown_channel_is_404(apps, ari):
    app = apps.app("a")
    response = ari.claim("no-such-channel", app.name)
    assert response.status_code == 404
    assert response.json().get("message")


def test_5000_character_channel_id_is_refused_cleanly(apps, ari, asterisk):
    app = apps.app("a")
    # In the URL, Asterisk's HTTP server refuses the request line itself.
    assert ari.claim("x" * 5000, app.name).status_code == 400
    # In the JSON body it reaches the module, which finds no such broadcast.
    response = ari.request("POST", "/events/claim",
                           body={"channelId": "x" * 5000, "application": app.name})
    assert response.status_code == 404
    assert response.json().get("message")
    assert "Asterisk has fully booted" in asterisk.cli("core waitfullybooted")


@pytest.mark.parametrize("channel_id, application", [
    (None, "someapp"), ("somechannel", None), (None, None),
])
def test_missing_parameter_is_400(ari, channel_id, application):
    response = ari.claim(channel_id, application)
    assert response.status_code == 400
    assert response.json().get("message")


def test_no_credentials_is_401(ari):
    assert ari.claim("somechannel", "someapp", auth=False).status_code == 401
