"""Waiting for something to happen, the one way the harness does it.

A test awaits what it needs instead of sleeping: an event a reader thread
records (with the condition it notifies), or a view it has to look at again
(a CLI command, a counter), polled.
"""

import time


class WaitTimeout(AssertionError, TimeoutError):
    """What was awaited did not happen in time (a test's failure)."""


def wait_until(predicate, timeout=10.0, what="condition", cond=None, poll=0.05):
    """Wait until PREDICATE() returns something true, and return that.

    With COND (a threading.Condition that whoever changes what PREDICATE looks
    at notifies), wait on it; without, look again every POLL seconds. Raises
    WaitTimeout naming WHAT after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    if cond is None:
        while not (value := predicate()):
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"timed out waiting for {what}")
            time.sleep(poll)
        return value
    with cond:
        while not (value := predicate()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"timed out waiting for {what}")
            cond.wait(remaining)
        return value
