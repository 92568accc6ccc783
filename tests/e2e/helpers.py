"""Helpers shared by the end-to-end tests."""

import os
import time

TARGET = os.environ.get("SB_TARGET", "ours")
STRICT_VARIABLES = TARGET != "stock"


def only(apps):
    """A filter selecting exactly this test's applications."""
    return "^" + apps.prefix


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


def wait_until(condition, timeout=10.0, what="condition"):
    """Poll something that raises no event (a CLI view) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
