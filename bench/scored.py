"""make bench-scored: what a decision window costs (scored claims, w(ms)), on
a real Asterisk with real ARI clients.

N applications on one asyncio loop; each claims every call it is offered, at
once, with a score (POST /ari/broadcasts/{channelId}/claim?score=). Per call:

  claim -> StasisStart   from the first claim sent to the winner's StasisStart
  decided                from the first claim sent to the last claimant's
                         answer (every claimant is answered at the decision)

in four ways:

  first mode             no window: the first claim wins at once (the baseline)
  w(50), all answer      every recipient claims: decided when the last claim is
                         in, before the window ends
  w(50), one silent      one more recipient never answers: the window decides,
                         50 ms after the first claim

with 2, 10 and 100 claimants. Medians and p99 over BENCH_CALLS calls (default
100) per row. Writes bench/results/DATE-Ncpu/scored.md and scored.json.
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "sandbox" / "lib"))

from aio import HttpPool  # noqa: E402
from ari import AsyncApp, Ari  # noqa: E402
from instance import Instance  # noqa: E402
from measure import percentiles  # noqa: E402
from run import machine, results_dir  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "100"))
PORT = 8097
CLAIMANTS = [2, 10, 100]
WINDOW_MS = 50


class Claimant:
    """One application that claims each call with its score."""

    def __init__(self, name, score, http, silent=False):
        self.name, self.score, self.http, self.silent = name, score, http, silent
        self.app = None
        self.sent = {}        # channel -> when its claim was sent
        self.answered = {}    # channel -> (status, when)
        self.started = {}     # channel -> when StasisStart came

    async def connect(self):
        self.app = await AsyncApp(PORT, self.name, "test", "test").connect()
        return self

    async def run(self):
        async for event in self.app.events():
            kind = event.get("type")
            if kind == "CallBroadcast" and not self.silent:
                asyncio.get_running_loop().create_task(self.claim(event))
            elif kind == "StasisStart":
                channel = event["channel"]["id"]
                self.started[channel] = event["_received"]
                asyncio.get_running_loop().create_task(
                    self.http.request("POST", f"/ari/channels/{channel}/continue"))

    async def claim(self, event):
        channel = event["channel"]["id"]
        self.sent[channel] = time.monotonic()
        response = await self.http.request("POST", f"/ari/broadcasts/{channel}/claim",
                                           params={"application": self.name, "score": self.score})
        self.answered[channel] = (response.status, time.monotonic())


async def scenario(ari, count, options, silent):
    http = HttpPool("127.0.0.1", PORT, auth=("test", "test"))
    prefix = f"sc{count}{'s' if silent else ''}{len(options)}x"
    claimants = [await Claimant(f"{prefix}{i:03d}", i, http).connect() for i in range(count)]
    if silent:
        claimants.append(await Claimant(f"{prefix}silent", 0, http, silent=True).connect())
    readers = [asyncio.get_running_loop().create_task(c.run()) for c in claimants]
    to_start, decided = [], []
    try:
        for _ in range(CALLS):
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": f"^{prefix}",
                                           "BC_OPTIONS": options})
            channel = call.channel_id
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (
                    any(channel in c.started for c in claimants)
                    and all(channel in c.answered for c in claimants if not c.silent)):
                await asyncio.sleep(0.001)
            first = min(c.sent[channel] for c in claimants if channel in c.sent)
            winners = [c for c in claimants if c.answered.get(channel, (0,))[0] == 204]
            assert len(winners) == 1, [c.answered.get(channel) for c in claimants]
            to_start.append((winners[0].started[channel] - first) * 1000)
            decided.append((max(when for _, when in (c.answered[channel] for c in claimants
                                                      if not c.silent)) - first) * 1000)
            await asyncio.to_thread(call.wait_global_result)
            call.hangup()
    finally:
        for reader in readers:
            reader.cancel()
        for claimant in claimants:
            await claimant.app.close()
        http.close()
    return {"claim_to_start_ms": percentiles(to_start), "decided_ms": percentiles(decided)}


def main():
    instance = Instance("bench-scored", PORT).start()
    ari = Ari(PORT)
    rows = {}
    try:
        for count in CLAIMANTS:
            for label, options, silent in (("first mode", "", False),
                                           (f"w({WINDOW_MS}), all answer", f"w({WINDOW_MS})", False),
                                           (f"w({WINDOW_MS}), one silent", f"w({WINDOW_MS})", True)):
                print(f"{count} claimants, {label}", flush=True)
                rows[f"{count} claimants, {label}"] = asyncio.run(
                    scenario(ari, count, options, silent))
    finally:
        instance.stop()
    _, out = results_dir()
    (out / "scored.json").write_text(json.dumps({"machine": machine(), "calls": CALLS,
                                                "rows": rows}, indent=1))
    lines = ["# Scored claims: what a decision window costs", "",
             f"Debian's Asterisk 22.10.1, {CALLS} calls a row, claimants on one asyncio loop; "
             "ms from the first claim sent. See bench/scored.py.", "",
             "| claimants, mode | claim -> StasisStart p50 | p99 | decided (last answer) p50 "
             "| p99 |", "|---|---|---|---|---|"]
    for label, row in rows.items():
        lines.append(f"| {label} | {row['claim_to_start_ms']['p50']:.2f} | "
                     f"{row['claim_to_start_ms']['p99']:.2f} | {row['decided_ms']['p50']:.2f} | "
                     f"{row['decided_ms']['p99']:.2f} |")
    (out / "scored.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
