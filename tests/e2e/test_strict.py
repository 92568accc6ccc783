"""The [strict] rows of the SPEC: where the stock modules lose or misroute calls.

Run with SB_TARGET=stock to see which of these the stock modules fail.
"""

import re
import time

import pytest

from ari import stalled_websocket
from helpers import REST_OVER_WEBSOCKET, only, release

pytestmark = [pytest.mark.strict, pytest.mark.edge]



def test_claim_by_filtered_out_application_is_404(apps, calls, observer):
    chosen, excluded = apps.app("chosen"), apps.app("excluded")
    call = calls.offer(timeout=5000, app_filter=f"^{apps.prefix}chosen$")
    chosen.wait_for("CallBroadcast", call.channel_id)

    assert excluded.claim(call.channel_id) == 404
    assert chosen.claim(call.channel_id) == 204, "the broadcast must stay open for recipients"
    release(chosen, call)
    assert observer.result(call)[:2] == ["SUCCESS", chosen.name]
    assert excluded.find("StasisStart") == []


def test_claim_by_unconnected_application_is_404(apps, calls, observer, ari):
    live = apps.app("live")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    live.wait_for("CallBroadcast", call.channel_id)

    assert ari.claim(call.channel_id, apps.prefix + "ghost").status_code == 404
    assert live.claim(call.channel_id) == 204
    release(live, call)
    assert observer.result(call)[:2] == ["SUCCESS", live.name]


def test_lingering_application_is_not_a_recipient(apps, calls, observer, ari, asterisk):
    """An application whose WebSocket closed while it still holds a channel stays
    registered (inactive); it must not be offered calls nor win them. (g(0):
    the call it won stays with it after its StasisStart, as in ARI.)"""
    lingering = apps.app("lingering")
    held = calls.offer(timeout=5000, app_filter=f"^{apps.prefix}lingering$", options="g(0)")
    lingering.wait_for("CallBroadcast", held.channel_id)
    assert lingering.claim(held.channel_id) == 204
    lingering.wait_for("StasisStart", held.channel_id)
    mark = asterisk.log_mark()
    lingering.close()
    # Asterisk notices the closed WebSocket on its own thread; until then the
    # application is live and rightly offered calls (under ASan that took longer
    # than the next offer).
    asterisk.wait_log(mark, rf"Deactivating Stasis app '{re.escape(lingering.name)}'", timeout=15)
    assert ari.request("GET", f"/applications/{lingering.name}").status_code == 200, \
        "the application should still be registered (inactive)"

    live = apps.app("live")
    call = calls.offer(timeout=5000, app_filter=only(apps))
    live.wait_for("CallBroadcast", call.channel_id)
    assert ari.claim(call.channel_id, lingering.name).status_code == 404
    assert live.claim(call.channel_id) == 204
    release(live, call)
    status, winner, recipients, _ = observer.result(call)
    assert (status, winner, recipients) == ("SUCCESS", live.name, 1)


@pytest.mark.parametrize("claim_over", ["http", "websocket"])
def test_application_whose_event_filter_drops_the_offer_is_not_a_recipient(
        apps, calls, observer, ari, claim_over):
    """ARI stamps an event with the application's name before its event filter
    (PUT /applications/{name}/eventFilter) drops it: an application that
    filters CallBroadcast out never sees the offer, so it is not a recipient.
    It is not counted, its claim is refused even with the channel id learnt
    elsewhere, and it is not sent CallClaimed (which its filter lets through)."""
    if claim_over == "websocket" and not REST_OVER_WEBSOCKET:
        pytest.skip("no REST over WebSocket on this release")
    seeing, blind = apps.app("seeing"), apps.app("blind")
    response = ari.request("PUT", f"/applications/{blind.name}/eventFilter",
                           body={"disallowed": [{"type": "CallBroadcast"}]})
    assert response.status_code == 200, response.text
    call = calls.offer(timeout=5000, app_filter=only(apps), notify="yes")
    seeing.wait_for("CallBroadcast", call.channel_id)

    refused = (blind.claim_over_ws(call.channel_id) if claim_over == "websocket"
               else blind.claim(call.channel_id))
    assert refused == 404, "an application that never saw the offer claimed it"
    assert seeing.claim(call.channel_id) == 204
    seeing.wait_for("StasisStart", call.channel_id)
    seeing.wait_for("CallClaimed", call.channel_id)
    seeing.ari.continue_in_dialplan(call.channel_id)
    status, winner, recipients, _ = observer.result(call)
    assert (status, winner, recipients) == ("SUCCESS", seeing.name, 1)
    assert blind.find("CallBroadcast") == [] and blind.find("StasisStart") == []
    # CallClaimed goes to recipients; the winner's comes after its StasisStart
    # was sent, so by now the other's would have been sent too.
    assert blind.find("CallClaimed") == [], "CallClaimed sent to an application that never saw the offer"


def test_hangup_ends_the_broadcast_at_once(apps, calls, observer, ari):
    app = apps.app("a")
    call = calls.offer(timeout=10000, app_filter=only(apps))
    app.wait_for("CallBroadcast", call.channel_id)
    ari.subscribe(observer.name, call.channel_id)

    call.hangup()
    request = observer.wait_for("ChannelHangupRequest", call.channel_id)
    statuses = [app.claim(call.channel_id) for _ in range(5)]
    destroyed = observer.wait_for("ChannelDestroyed", call.channel_id, timeout=15)

    assert statuses == [404] * 5, "a claim won after the caller hung up"
    assert destroyed["_received"] - request["_received"] < 0.1, \
        "the application did not notice the hangup at once"
    assert app.find("StasisStart") == []


def test_no_matching_recipient_times_out_at_once(apps, calls, observer):
    apps.app("present")
    call = calls.offer(timeout=5000, app_filter=f"^{apps.prefix}nobody$")
    status, winner, recipients, elapsed = observer.result(call)
    assert (status, winner, recipients) == ("TIMEOUT", "", 0)
    assert elapsed < 100


def test_nothing_connected_times_out_at_once(ari):
    """No observer either: the dialplan stores the outcome in a global variable."""
    call = ari.originate("offer", {"BC_TIMEOUT": "5000"})
    try:
        status, winner, recipients, elapsed = call.wait_global_result(timeout=10)
    finally:
        call.hangup()
    assert (status, winner, recipients) == ("TIMEOUT", "", 0)
    assert elapsed < 100


@pytest.mark.parametrize("pattern, reason", [
    ("^sales[z-a]", "does not compile"),
    ("^(a+)+$", "already repeated"),
    ("(x)\\1", "back-reference"),
])
def test_bad_filter_offers_to_nobody_and_fails(apps, calls, observer, asterisk, pattern, reason):
    bystander = apps.app("bystander")
    mark = asterisk.log_mark()
    call = calls.offer(timeout=2000, app_filter=pattern)
    status, winner, recipients, elapsed = observer.result(call)
    assert (status, winner, recipients) == ("FAILED", "", 0)
    assert elapsed < 100
    assert bystander.find("CallBroadcast") == [] and observer.find("CallBroadcast") == []
    asterisk.wait_log(mark, r"ERROR.*Local/offer@broadcast-\w+;2: app_filter '"
                      + re.escape(pattern) + "' refused.*" + re.escape(reason))


def test_channel_variables_are_set_on_every_path(apps, calls, observer):
    racer = apps.racer("winner")
    won = calls.offer(timeout=2000, app_filter=f"^{apps.prefix}winner$")
    apps.racer("idle", claim=False)
    timed_out = calls.offer(timeout=50, app_filter=f"^{apps.prefix}idle$")
    failed = calls.offer(timeout=50, app_filter="([")

    assert observer.result(won)[:3] == ["SUCCESS", racer.name, 1]
    assert observer.result(timed_out)[:3] == ["TIMEOUT", "", 1]
    assert observer.result(failed)[:3] == ["FAILED", "", 0]


def test_a_stalled_application_does_not_delay_the_others(apps, ari, asterisk):
    """Large offers until the stalled socket is full and ARI gives up writing to
    it (its write times out; ARI logs the failure, and may also unregister the
    application): the live applications are offered every call meanwhile
    without waiting for that (ARI's write timeout, 1 s here; stock modules
    hold every offer up by it)."""
    stalled_name = apps.prefix + "stalled"
    mark = asterisk.log_mark()
    stalled = stalled_websocket(asterisk.port, stalled_name)
    # Several live ones: a sequential sender delays every one it reaches after
    # the stalled one, so some live offer waits whatever the order.
    live = [apps.app(f"live{i}") for i in range(6)]
    big = "x" * 32768
    delays = []

    def ari_gave_up():
        return ("Problem occurred during websocket write" in asterisk.log_since(mark)
                or ari.request("GET", f"/applications/{stalled_name}").status_code == 404)
    try:
        for _ in range(1500):
            sent = time.monotonic()
            call = ari.originate("offer", {"BC_TIMEOUT": "0", "BC_FILTER": only(apps),
                                           "BC_TAG": big})
            delays.append(max(app.wait_for("CallBroadcast", call.channel_id)["_received"]
                              for app in live) - sent)
            call.wait_global_result()
            if ari_gave_up():
                break
        else:
            raise AssertionError("ARI never gave up on the stalled socket: nothing was tested")
    finally:
        stalled.close()
    # ARI waits up to websocket_write_timeout (1 s in the sandbox's ari.conf)
    # on the stalled socket: an offer that waited for it waited that long.
    assert max(delays) < 0.5, \
        f"a live offer waited {max(delays) * 1000:.0f} ms (of {len(delays)} offers)"
