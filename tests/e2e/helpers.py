"""Helpers shared by the end-to-end tests."""

import os
import re
import subprocess

TARGET = os.environ.get("SB_TARGET", "ours")
# Debian's Asterisk (the default sandbox) ships the stock modules beside ours.
STOCK_EXISTS = os.environ.get("SB_ASTERISK", "debian") == "debian"
STRICT_VARIABLES = TARGET != "stock"


def only(apps):
    """A filter selecting exactly this test's applications."""
    return "^" + apps.prefix


def release(app, call):
    """APP, which won CALL, lets it go on in the dialplan once its StasisStart came."""
    app.wait_for("StasisStart", call.channel_id)
    app.ari.continue_in_dialplan(call.channel_id)


def check_outcome(outcome, status, winner=None, recipients=None, strict=False):
    """Compare a call's reported outcome.

    STASISSTATUS is always compared. STASISBROADCAST_WINNER and
    STASISBROADCAST_RECIPIENTS are [strict] additions the stock modules do not
    set, so non-strict tests compare them only against our modules; strict
    tests pass strict=True to compare them always.
    """
    got_status, got_winner, got_recipients, _ = outcome
    assert got_status == status, outcome
    if strict or STRICT_VARIABLES:
        if winner is not None:
            assert got_winner == winner, outcome
        if recipients is not None:
            assert got_recipients == recipients, outcome


def asterisk_version():
    """(major, minor, patch) of the Asterisk under test; a build from a branch
    (master) counts as newer than every release."""
    shown = subprocess.run(["asterisk", "-V"], capture_output=True, text=True).stdout
    found = re.search(r"Asterisk (\d+)\.(\d+)\.(\d+)", shown)
    return tuple(int(part) for part in found.groups()) if found else (99, 0, 0)


def has_since(*firsts):
    """Whether the Asterisk under test has what came in the releases FIRSTS,
    one (major, minor) per branch: has_since((20, 14), (22, 4), (23, 0))."""
    version = asterisk_version()
    for first in firsts:
        if version[0] == first[0]:
            return version[:2] >= first
    return version[0] > max(first[0] for first in firsts)


# REST requests down an application's own WebSocket, and outbound WebSockets
# (Asterisk dials the application).
REST_OVER_WEBSOCKET = has_since((20, 14), (22, 4), (23, 0))
OUTBOUND_WEBSOCKET = has_since((20, 15), (22, 5), (23, 0))
# Asterisk's own POST /ari/events/claim (res_ari_events): we serve none
ASTERISK_CLAIM_ROUTE = has_since((20, 20), (22, 10), (23, 4))
# permit/deny/acl for ari.conf users
ARI_USER_ACLS = has_since((20, 19), (22, 9), (23, 3))
# res_stasis tells event sources when an application unregisters: a winner
# lost after its StasisStart can be made to give the call back (handoff.c)
UNREGISTER_TOLD = has_since((20, 14), (22, 4), (23, 0))
