"""Many concurrent calls racing claims against timeouts and hangups.

Each call is hung up by the caller at a random moment (or never); four
applications claim each call after random delays (or never). Whatever the
interleaving: at most one 204 per call, StasisStart only in that winner, a
call that timed out or hung up has no 204 after its end, and nothing is left
behind once all calls are over.
"""

import concurrent.futures
import os
import random
import threading
import time
from pathlib import Path

from ari import App
from helpers import STRICT_VARIABLES
from waiting import wait_until

CALLS = 150
IN_FLIGHT = 8
TIMEOUT_MS = 200


class Jittery(App):
    """Claims after a random delay, or not at all; continues when it wins."""

    def __init__(self, ari, name, rng):
        self.rng = rng
        self.claims = {}
        self.lock = threading.Lock()
        # Enough threads for every pending "think time", each with its own
        # keep-alive HTTP session (a new connection per claim would be the bottleneck).
        self.pool = concurrent.futures.ThreadPoolExecutor(40)
        super().__init__(ari, name, on_event=Jittery._handle)

    @staticmethod
    def _handle(app, event):
        kind = event.get("type")
        if kind == "CallBroadcast":
            delay = app.rng.choice([None, 0, 0.05, 0.15, 0.25])
            if delay is not None:
                app.pool.submit(app._claim, event["channel"]["id"], delay)
        elif kind == "StasisStart":
            app.ari.continue_in_dialplan(event["channel"]["id"])

    def finish_claims(self):
        self.pool.shutdown(wait=True)

    def _claim(self, channel_id, delay):
        time.sleep(delay)  # the application "thinking"
        status = self.claim(channel_id)
        with self.lock:
            self.claims[channel_id] = status


def eventfds(asterisk):
    """Asterisk's open eventfds: every broadcast (its alert pipe) and every
    channel holds one, so a leaked broadcast or channel shows up here."""
    pid = (asterisk.dir / "run" / "asterisk.pid").read_text().strip()
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir()
               if _readlink(fd) == "anon_inode:[eventfd]")


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:  # closed while we looked
        return ""


def test_claims_timeouts_and_hangups_under_load(ari, prefix, calls, asterisk):
    rng = random.Random(20261126)
    before = eventfds(asterisk)
    racers = [Jittery(ari, f"{prefix}j{i}", random.Random(i)) for i in range(4)]
    try:
        def one_call(_):
            call = calls.offer(timeout=TIMEOUT_MS, app_filter="^" + prefix)
            hang_after = rng.choice([None, None, 0.0, 0.03, 0.1, 0.3])
            if hang_after is not None:
                time.sleep(hang_after)
                call.hangup()
            return call

        with concurrent.futures.ThreadPoolExecutor(IN_FLIGHT) as pool:
            made = list(pool.map(one_call, range(CALLS)))

        for racer in racers:
            racer.finish_claims()
        if STRICT_VARIABLES:  # our CLI view
            wait_until(lambda: "0 live broadcasts" in asterisk.cli(
                "stasis broadcast show channels"), 30, "every broadcast to end")
    finally:
        for racer in racers:
            racer.close()

    won = 0
    for call in made:
        winners = [r for r in racers if r.claims.get(call.channel_id) == 204]
        assert len(winners) <= 1, call.id
        for racer in racers:
            starts = len(racer.find("StasisStart", call.channel_id))
            # A winner gets StasisStart unless the caller hung up right after the claim.
            assert starts <= (1 if racer in winners else 0), (racer.name, call.id)
        won += len(winners)
    assert won > CALLS // 4, f"only {won} calls were claimed: the race did not happen"
    assert "Asterisk has fully booted" in asterisk.cli("core waitfullybooted")
    calls.hangup_all()
    wait_until(lambda: eventfds(asterisk) <= before, 10,
               f"Asterisk's eventfds to return to {before} (a leaked broadcast or channel)")
