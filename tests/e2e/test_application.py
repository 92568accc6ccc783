"""SPEC section 2: StasisBroadcast() arguments, defaults and channel variables.

Times are measured by the dialplan itself (ELAPSED, in Asterisk), with wide
margins: these tests check behaviour, not speed.
"""

import re

import pytest

from helpers import STRICT_VARIABLES, check_outcome, only

pytestmark = pytest.mark.edge



def test_claimed_call_succeeds_with_winner(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps))
    check_outcome(observer.result(call), "SUCCESS", racer.name, 1)
    assert racer.claims[call.channel_id] == 204


def test_default_timeout_is_500_ms(apps, calls, observer):
    apps.racer("idle", claim=False)
    call = calls.offer(app_filter=only(apps))
    outcome = observer.result(call)
    check_outcome(outcome, "TIMEOUT", "", 1)
    assert 450 <= outcome[3] < 1500


def test_timeout_argument_is_milliseconds(apps, calls, observer):
    apps.racer("idle", claim=False)
    call = calls.offer(timeout=150, app_filter=only(apps))
    status, _, _, elapsed = observer.result(call)
    assert status == "TIMEOUT"
    assert 130 <= elapsed < 450


def test_bad_timeout_warns_and_uses_default(apps, calls, observer, asterisk):
    apps.racer("idle", claim=False)
    for bad in ("abc", "60001", "-5"):
        mark = asterisk.log_mark()
        call = calls.offer(timeout=bad, app_filter=only(apps))
        status, _, _, elapsed = observer.result(call)
        assert status == "TIMEOUT"
        assert 450 <= elapsed < 1500, f"timeout {bad!r} was not replaced by 500"
        # A warning with the channel name.
        asterisk.wait_log(mark, r"WARNING.*Local/offer@broadcast-\w+;2\b.*'"
                          + re.escape(bad) + "'")


def test_timeout_zero_still_offers_the_call(apps, calls, observer):
    idle = apps.racer("idle", claim=False)
    call = calls.offer(timeout=0, app_filter=only(apps))
    outcome = observer.result(call)
    check_outcome(outcome, "TIMEOUT", "", 1)
    assert outcome[3] < 300
    assert idle.wait_for("CallBroadcast", call.channel_id)


def test_filter_selects_recipients(apps, calls, observer):
    sales = [apps.racer(f"sales{i}", claim=False) for i in range(2)]
    support = apps.racer("support", claim=False)
    call = calls.offer(timeout=0, app_filter=f"^{apps.prefix}sales[0-9]$")
    check_outcome(observer.result(call), "TIMEOUT", "", 2)
    for app in sales:
        assert app.wait_for("CallBroadcast", call.channel_id)
    assert support.find("CallBroadcast") == []
    assert observer.find("CallBroadcast") == []


def test_no_filter_offers_every_application(apps, calls, observer):
    idle = [apps.racer(f"idle{i}", claim=False) for i in range(3)]
    call = calls.offer(timeout=0)
    outcome = observer.result(call)
    for app in idle + [observer]:
        assert app.wait_for("CallBroadcast", call.channel_id)
    if STRICT_VARIABLES:
        assert outcome[2] >= 4


def test_args_reach_the_winner_unchanged(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps), args="one:two::four")
    assert observer.result(call)[0] == "SUCCESS"
    assert racer.wait_for("StasisStart", call.channel_id)["args"] == ["one", "two", "", "four"]


def test_many_long_args_are_not_truncated(apps, calls, observer):
    racer = apps.racer("a")
    args = [f"{i:02d}-" + "x" * 40 for i in range(40)]
    call = calls.offer(timeout=2000, app_filter=only(apps), args=":".join(args))
    assert observer.result(call)[0] == "SUCCESS"
    assert racer.wait_for("StasisStart", call.channel_id)["args"] == args


def test_no_args_gives_empty_args(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps))
    observer.result(call)
    assert racer.wait_for("StasisStart", call.channel_id)["args"] == []


def test_failover_loop_broadcasts_afresh(apps, calls, observer):
    racer = apps.racer("a")
    call = calls.offer(timeout=2000, app_filter=only(apps), exten="twice")
    first = observer.result(call, nth=0)
    second = observer.result(call, nth=1)
    check_outcome(first, "SUCCESS", racer.name, 1)
    check_outcome(second, "SUCCESS", racer.name, 1)
    assert len(racer.find("CallBroadcast", call.channel_id)) == 2
    assert len(racer.find("StasisStart", call.channel_id)) == 2


def test_failover_after_timeout_offers_again(apps, calls, observer):
    idle = apps.racer("idle", claim=False)
    call = calls.offer(timeout=100, app_filter=only(apps), exten="twice")
    assert observer.result(call, nth=0)[0] == "TIMEOUT"
    assert observer.result(call, nth=1)[0] == "TIMEOUT"
    assert len(idle.find("CallBroadcast", call.channel_id)) == 2
