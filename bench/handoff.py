"""make bench-handoff: what a handoff costs, on a real Asterisk, with winners
that really die (a process that kills itself with SIGKILL: the kernel resets
its connection, no WebSocket close frame), and what becomes of each call.

  death -> offer 2     a winner dies right after its claim's 204, or right
                       after its StasisStart: from its death to the other
                       recipient's CallBroadcast of the second offer
  death -> dialplan    nobody else there: from its death to the dialplan
                       being told (STASISSTATUS=TIMEOUT, REASON WINNER_LOST)
  first act            a healthy application that answers the call as soon
                       as its StasisStart comes: from StasisStart to the
                       channel being up, both as Asterisk stamps them

The guard's default length (stasis_broadcast_app.h) is chosen from these
(docs/guide.md, "Pools"). Medians and p99 over BENCH_CALLS trials each (default
100).

Then what becomes of the calls, BENCH_CALLS each, a winner dying: after its
204; after its StasisStart (within the default guard); 400 ms after it with
g(200) (after the guard); and the only recipient dying after its 204. Each
call is counted: stranded (still in the dead winner's Stasis 3 s later, the
caller in silence), offered again, won by another, dialplan went on (its STASISSTATUS report came).
Where the stock modules exist (Debian's 22.10.1), the same deaths under them,
BENCH_STOCK_CALLS each (default 20). Writes
bench/results/DATE-Ncpu/handoff-VERSION.md and .json.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "sandbox" / "lib"))
sys.path.insert(0, str(BENCH.parent / "tests" / "e2e"))

from ari import Ari, App, Observer, Racer  # noqa: E402
from helpers import STOCK_EXISTS, UNREGISTER_TOLD  # noqa: E402
from instance import Instance  # noqa: E402
from measure import percentiles  # noqa: E402
from run import machine, results_dir  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "100"))
STOCK_CALLS = int(os.environ.get("BENCH_STOCK_CALLS", str(min(CALLS, 20))))
PORT = 8095

# A winner that dies: claims the first offer, prints when it dies, and kills
# itself with SIGKILL right after the 204 ("claimed") or its StasisStart.
DOOMED = r"""
import json, os, signal, sys, threading, time
sys.path.insert(0, "sandbox/lib")
from ari import Ari, App
port, name, when, after = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])

def die():
    print(time.monotonic(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

def handle(app, event):
    if event.get("type") == "CallBroadcast" and event.get("offer", 1) == 1:
        if app.claim(event["channel"]["id"]) == 204 and when == "claimed":
            die()
    elif event.get("type") == "StasisStart" and when == "started":
        threading.Timer(after, die).start() if after else die()

App(Ari(port), name, on_event=handle)
print("ready", flush=True)
time.sleep(60)
"""


def spawn_doomed(ari, name, when, after=0.0):
    process = subprocess.Popen([sys.executable, "-c", DOOMED, str(ari.port), name, when, str(after)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def died_at(process):
    line = process.stdout.readline().strip()
    process.wait(timeout=10)
    return float(line)


def death_to_second_offer(ari, when):
    """ms from each winner's death to the other recipient's second offer."""
    other = Racer(ari, "hb-other", claim=lambda e: e.get("offer", 1) >= 2)
    observer = Observer(ari, "hb-observer")
    samples = []
    try:
        for i in range(CALLS):
            doomed = spawn_doomed(ari, f"hb-doomed{i}", when)
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^hb-(doomed|other)",
                                           "BC_OBSERVER": observer.name})
            died = died_at(doomed)
            again = other.wait_until(lambda e: e.get("type") == "CallBroadcast"
                                     and e["channel"]["id"] == call.channel_id
                                     and e.get("offer") == 2, 10, "the second offer")
            report = observer.report(call)
            assert (report["status"], report["offers"]) == ("SUCCESS", 2), report
            samples.append((again["_received"] - died) * 1000)
            call.hangup()
    finally:
        other.close()
        observer.close()
    return percentiles(samples)


def death_to_dialplan(ari):
    """ms from the only recipient's death, as the winner, to the dialplan told."""
    observer = Observer(ari, "hb-observer")
    samples = []
    try:
        for i in range(CALLS):
            doomed = spawn_doomed(ari, f"hb-alone{i}", "claimed")
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": f"^hb-alone{i}$",
                                           "BC_OBSERVER": observer.name})
            died = died_at(doomed)
            observer.report(call)
            start = observer.find("StasisStart", call.channel_id)[0]
            assert observer.report(call)["reason"] == "WINNER_LOST"
            samples.append((start["_received"] - died) * 1000)
            call.hangup()
    finally:
        observer.close()
    return percentiles(samples)


def stamped(event):
    """An ARI event's timestamp, in seconds."""
    when = datetime.datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
    return when.timestamp()


def first_act(ari):
    """ms from StasisStart to the channel up, for an application that answers
    as soon as its StasisStart comes (Asterisk's own timestamps)."""
    def answer_at_once(app, event):
        if event.get("type") == "StasisStart":
            app.ari.request("POST", f"/channels/{event['channel']['id']}/answer")
            app.ari.continue_in_dialplan(event["channel"]["id"])
    app = App(ari, "hb-healthy", on_event=answer_at_once)
    samples = []
    try:
        for _ in range(CALLS):
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^hb-healthy$"})
            app.wait_for("CallBroadcast", call.channel_id)
            assert app.claim(call.channel_id) == 204
            start = app.wait_for("StasisStart", call.channel_id)
            up = app.wait_until(lambda e: e.get("type") == "ChannelStateChange"
                                and e["channel"]["id"] == call.channel_id
                                and e["channel"]["state"] == "Up", 5, "the answer")
            samples.append((stamped(up) - stamped(start)) * 1000)
            call.hangup()
    finally:
        app.close()
    return percentiles(samples)


def fates(ari, calls, when, after=0.0, options="", alone=False):
    """What becomes of CALLS calls whose winner dies WHEN (AFTER s later)."""
    other = None if alone else Racer(ari, "hf-other", claim=lambda e: e.get("offer", 1) >= 2)
    observer = Observer(ari, "hf-observer")
    counts = {"calls": 0, "stranded": 0, "offered again": 0, "won by another": 0,
              "dialplan went on": 0, "kept by the dead winner (ARI's semantics)": 0,
              "statuses": {}}
    try:
        for i in range(calls):
            doomed = spawn_doomed(ari, f"hf-doomed{i}", when, after)
            call = ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": f"^hf-(doomed{i}|other)$",
                                           "BC_OBSERVER": observer.name, "BC_OPTIONS": options})
            died_at(doomed)
            counts["calls"] += 1
            try:
                report = observer.report(call, timeout=3 + after)
            except Exception:
                report = None
            if report is None:
                # Still in the dead winner's Stasis: by design after the guard.
                key = "kept by the dead winner (ARI's semantics)" if options else "stranded"
                counts[key] += 1
            else:
                counts["dialplan went on"] += 1
                counts["statuses"][report["status"]] = counts["statuses"].get(report["status"], 0) + 1
                counts["offered again"] += (report["offers"] or 1) >= 2
                counts["won by another"] += bool(other) and report["winner"] == other.name
            call.hangup()
    finally:
        if other:
            other.close()
        observer.close()
    return counts


def death_fates(ari, calls, ours=True):
    """The fates of every case, CALLS calls each; the stock modules have no
    guard to set, so only the cases they share."""
    cases = {
        "winner dies after its 204": fates(ari, calls, "claimed"),
        "winner dies after its StasisStart (within the default guard)":
            fates(ari, calls, "started"),
    }
    if ours:
        cases["winner dies 400 ms after its StasisStart, g(200) (after the guard)"] = \
            fates(ari, calls, "started", 0.4, "g(200)")
    cases["the only recipient wins and dies after its 204"] = fates(ari, calls, "claimed", alone=True)
    return cases


def fates_table(cases):
    columns = list(next(iter(cases.values())))
    lines = ["| case | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for label, counts in cases.items():
        cells = [" ".join(f"{k} {v}" for k, v in sorted(counts[c].items())) if c == "statuses"
                 else str(counts[c]) for c in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main():
    instance = Instance("bench-handoff", PORT).start()
    version = re.search(r"Asterisk (\S+)", instance.cli("core show version")).group(1)
    ari = Ari(PORT)
    try:
        # Where res_stasis does not tell modules an application unregistered
        # (before 20.14, 22.4, 23.0) a death is seldom learnt: only the fates.
        figures = {
            "death after its 204 -> offer 2 (ms)": death_to_second_offer(ari, "claimed"),
            "death after its StasisStart -> offer 2 (ms)": death_to_second_offer(ari, "started"),
            "death of the only recipient -> dialplan told (ms)": death_to_dialplan(ari),
            "healthy application: StasisStart -> answered (ms)": first_act(ari),
        } if UNREGISTER_TOLD else {}
        calls = death_fates(ari, CALLS)
    finally:
        instance.stop()
    # The same deaths under the stock modules, where they exist (fewer calls:
    # a stranded call costs the 3 s it is waited for).
    stock = {}
    if STOCK_EXISTS:
        instance = Instance("bench-handoff-stock", PORT + 1, stock=True).start()
        try:
            stock = death_fates(Ari(PORT + 1), STOCK_CALLS, ours=False)
        finally:
            instance.stop()
    _, out = results_dir()
    name = f"handoff-{version.split('+')[0]}"
    (out / f"{name}.json").write_text(json.dumps({"machine": machine(), "asterisk": version,
                                                  "calls": CALLS, "figures": figures,
                                                  "fates": calls, "stock_calls": STOCK_CALLS,
                                                  "stock_fates": stock}, indent=1))
    lines = ["# Handoff: what a winner's death costs the call", "",
             f"Asterisk {version}, {CALLS} trials each; winners die by SIGKILL. See bench/handoff.py.",
             "", "| figure | p50 | p90 | p99 | max |", "|---|---|---|---|---|"]
    if not figures:
        lines[-2:] = ["This Asterisk does not tell modules an application unregistered: a winner's "
                      "death is learnt only when the channel is handed to it."]
    for label, p in figures.items():
        lines.append(f"| {label} | {p['p50']:.2f} | {p['p90']:.2f} | {p['p99']:.2f} | {p['max']:.2f} |")
    lines += ["", "Our modules:", ""] + fates_table(calls)
    if stock:
        lines += ["", f"The stock modules, in the same run, {STOCK_CALLS} calls each:", ""] + fates_table(stock)
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
