"""SPEC section 3: the CallBroadcast and CallClaimed events."""

import collections
import re

import pytest

from helpers import only

pytestmark = pytest.mark.edge

ARI_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")



def test_call_broadcast_has_every_field(apps, calls, observer):
    app = apps.racer("a", claim=False)
    call = calls.offer(timeout=0, app_filter=only(apps),
                       variables={"BC_TAG": "vip-customer"})
    observer.result(call)
    event = app.wait_for("CallBroadcast", call.channel_id)
    assert event["type"] == "CallBroadcast"
    assert event["application"] == app.name
    assert ARI_DATE.match(event["timestamp"]), event["timestamp"]
    assert event["asterisk_id"]
    assert event["channel"]["id"] == call.channel_id
    assert event["channel"]["name"].startswith("Local/offer@broadcast-")
    assert event["channel"]["channelvars"]["BC_TAG"] == "vip-customer"
    assert event["called"] == "offer"
    assert isinstance(event["caller"], str)


def test_call_broadcast_comes_before_stasis_start(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps))
    observer.result(call)
    kinds = [e["type"] for e in racer.events if e.get("channel", {}).get("id") == call.channel_id]
    assert kinds.index("CallBroadcast") < kinds.index("StasisStart")


def test_call_claimed_goes_to_every_recipient(apps, calls, observer):
    racers = apps.racers(3)
    call = calls.offer(timeout=2000, app_filter=only(apps), notify="yes")
    observer.result(call)
    winner, = [r.name for r in racers if r.claims.get(call.channel_id) == 204]
    for racer in racers:
        event = racer.wait_for("CallClaimed", call.channel_id)
        assert len(racer.find("CallClaimed", call.channel_id)) == 1
        assert event["winner_app"] == winner
        assert event["application"] == racer.name
        assert ARI_DATE.match(event["timestamp"])
        assert event["asterisk_id"]
        assert event["channel"]["id"] == call.channel_id


def test_no_call_claimed_without_notify(apps, calls, observer):
    racers = apps.racers(3)
    call = calls.offer(timeout=2000, app_filter=only(apps))
    assert observer.result(call)[0] == "SUCCESS"
    # CallClaimed would be sent before the winner's Stasis session, which has ended.
    for racer in racers:
        assert racer.find("CallClaimed") == []


def test_dispatch_order_is_random(apps, calls, observer):
    """Each of 4 identical applications is offered a call first some of the time."""
    idle = [apps.racer(f"idle{i}", claim=False) for i in range(4)]
    firsts = collections.Counter()
    for _ in range(40):
        call = calls.offer(timeout=0, app_filter=only(apps))
        observer.result(call)
        arrivals = [(app.wait_for("CallBroadcast", call.channel_id)["_received"], app.name)
                    for app in idle]
        firsts[min(arrivals)[1]] += 1
    assert len(firsts) == 4, firsts
    assert max(firsts.values()) <= 24, firsts
