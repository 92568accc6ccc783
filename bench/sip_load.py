"""make bench, SIP section (make bench-sip runs it alone): real calls from
SIPp through PJSIP, the stock modules and ours in one run, same scenario.

Each target is an Asterisk with PJSIP on its own loopback address
(sandbox/lib/sip.py); SIPp (sandbox/sip/call.xml) calls it, the dialplan runs
StasisBroadcast(), four agents race to claim (wsfan in answer mode: C, one
epoll loop, so the agents are not what limits the rate), the winner answers,
holds the call HOLD_MS and hangs up; SIPp checks every call end to end
(200 OK, then the BYE). For each target, with the live agents only and then
with one stalled agent among them (connected, never reading):

- the highest rate sustained for SUSTAIN_S seconds with zero failed calls:
  a search with shorter trials (doubling from START_RATE until a rate
  fails, then halving the gap to within 10%), then SUSTAIN_S-second trials
  at the best rate found, 10% lower each time one fails;
- at a common rate (the lower of the two sustained rates, so both carry the
  same load): Asterisk CPU per call and INVITE -> 200 OK p50/p99/max,
  medians of ROUNDS trials, stock and ours alternating.

Writes bench/results/DATE-Ncpu[-quick]/sip.md and sip.json.
"""

import itertools
import json
import os
import resource
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import Fan, Target, build_wsfan, percentiles  # noqa: E402  (sets the path)
from measure import fmt, median_of  # noqa: E402
from ari import Ari  # noqa: E402
from sip import Sipp, sip_node  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
ADDRESSES = {"stock": "127.0.0.21", "ours": "127.0.0.22"}
ARI_PORT = 8088
RACERS = 4
HOLD_MS = 1000
SUSTAIN_S = 10 if QUICK else 60
SEARCH_S = 8 if QUICK else 20
REFERENCE_S = 8 if QUICK else 30
ROUNDS = 1 if QUICK else 3
START_RATE = 10 if QUICK else 25
MAX_SEARCH_TRIALS = 3 if QUICK else 12
MAX_CONFIRMATIONS = 1 if QUICK else 4
WORKDIR = Path("/var/lib/sb/bench-sip")
_trials = itertools.count()


class SipTarget(Target):
    """A SIP node under test (stock modules or ours), with its ARI client."""

    def __init__(self, name):
        self.name = name
        self.addr = ADDRESSES[name]
        self.instance = sip_node(f"bench-sip-{name}", self.addr, ARI_PORT, stock=(name == "stock"))
        self.ari = Ari(ARI_PORT, host=self.addr)


def trial(target, wsfan, rate, seconds, stalled):
    """SIPp at RATE calls/s for SECONDS to TARGET, RACERS live agents (and
    STALLED that never read). Passed: every call answered and ended, at the
    rate asked."""
    calls = max(1, int(rate * seconds))
    # Names no earlier trial used: Asterisk may still be closing its sockets.
    prefix = f"sip{next(_trials):03d}x"
    clients_before = children_cpu_seconds()
    fan = Fan(wsfan, f"{target.addr}:{ARI_PORT}", prefix, RACERS + stalled, stalled=stalled,
              hold_ms=HOLD_MS)
    try:
        cpu_before = target.cpu_seconds()
        result = Sipp(target.addr, WORKDIR / target.name, rate, calls,
                      recv_timeout_ms=HOLD_MS + 5000).start().wait(timeout=seconds * 3 + 120)
        cpu = target.cpu_seconds() - cpu_before
    finally:
        fan.close()
    clients_cpu = children_cpu_seconds() - clients_before   # SIPp and the agents
    achieved = (result.successful - 1) / result.answer_span_s if result.answer_span_s else 0.0
    passed = (result.returncode == 0 and result.failed == 0 and result.successful == calls
              and achieved >= rate * 0.95)
    latency = percentiles(result.invite_to_200_ms)
    outcome = {"rate": rate, "seconds": seconds, "calls": calls, "passed": passed,
               "successful": result.successful, "failed": result.failed,
               "achieved_rate": round(achieved, 1),
               "asterisk_cpu_ms_per_call": cpu * 1000 / max(1, result.successful),
               "clients_cpu_ms_per_call": clients_cpu * 1000 / max(1, result.successful),
               "invite_to_200_ms": {k: latency.get(k) for k in ("p50", "p99", "max")}}
    print(f"  {target.name:5} {rate:5} calls/s x {seconds} s, stalled={stalled}: "
          f"{'ok' if passed else 'FAILED'} ({result.successful}/{calls} answered, "
          f"{result.failed} failed, {achieved:.1f}/s, p99 {latency.get('p99', 0):.1f} ms)", flush=True)
    return outcome


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class RateSearch:
    """The highest rate that passes: doubling until a rate fails, then
    halving the gap between the best pass and the lowest failure to 10%."""

    def __init__(self):
        self.best = 0          # highest rate that passed
        self.failed = None     # lowest rate that failed
        self.trials = 0

    def next_rate(self):
        if self.trials >= MAX_SEARCH_TRIALS:
            return None
        if self.failed is None:
            return START_RATE if not self.best else self.best * 2
        if self.failed - self.best <= max(1, self.best * 0.1):
            return None
        return (self.best + self.failed) // 2 if self.best else self.failed // 2 or None

    def record(self, rate, passed):
        self.trials += 1
        if passed:
            self.best = max(self.best, rate)
        else:
            self.failed = rate if self.failed is None else min(self.failed, rate)


def alternate(targets, round_number):
    names = list(targets)
    return names if round_number % 2 == 0 else names[::-1]


def sustained_rates(targets, wsfan, stalled):
    """{target: (rate sustained for SUSTAIN_S s, [trials])}, the targets'
    trials alternating."""
    searches = {name: RateSearch() for name in targets}
    trials = {name: [] for name in targets}
    round_number = 0
    while any(search.next_rate() for search in searches.values()):
        for name in alternate(targets, round_number):
            rate = searches[name].next_rate()
            if rate:
                outcome = trial(targets[name], wsfan, rate, SEARCH_S, stalled)
                searches[name].record(rate, outcome["passed"])
                trials[name].append(outcome)
        round_number += 1
    sustained = {}
    for name in alternate(targets, round_number):
        rate = searches[name].best
        for _ in range(MAX_CONFIRMATIONS):
            if not rate:
                break
            outcome = trial(targets[name], wsfan, rate, SUSTAIN_S, stalled)
            trials[name].append(outcome)
            if outcome["passed"]:
                break
            rate = int(rate * 0.9)
        else:
            rate = 0
        sustained[name] = rate
    return {name: (sustained[name], trials[name]) for name in targets}


def at_common_rate(targets, wsfan, rate, stalled):
    """{target: [trial]}: ROUNDS trials of REFERENCE_S s at RATE, alternating."""
    rounds = {name: [] for name in targets}
    for round_number in range(ROUNDS if rate else 0):
        for name in alternate(targets, round_number):
            rounds[name].append(trial(targets[name], wsfan, rate, REFERENCE_S, stalled))
    return rounds


def section(targets, wsfan, stalled):
    print(f"SIP load, {RACERS} agents{' + 1 stalled' if stalled else ''}", flush=True)
    found = sustained_rates(targets, wsfan, stalled)
    common = min(rate for rate, _ in found.values())
    reference = at_common_rate(targets, wsfan, common, stalled)
    return {"stalled_agents": stalled, "common_rate": common,
            "targets": {name: {"sustained_rate": found[name][0], "trials": found[name][1],
                               "reference": reference[name]} for name in targets}}


def rows_of(result):
    """(figure, stock, ours) rows of one section."""
    label = " (one stalled agent)" if result["stalled_agents"] else ""
    rate = result["common_rate"]
    stock, ours = result["targets"]["stock"], result["targets"]["ours"]
    rows = [(f"highest rate, {SUSTAIN_S} s with zero failed calls (calls/s){label}",
             stock["sustained_rate"], ours["sustained_rate"])]
    for figure, key, path in [
            (f"Asterisk CPU per call at {rate} calls/s (ms)", "asterisk_cpu_ms_per_call", ()),
            (f"INVITE -> 200 OK p50 at {rate} calls/s (ms)", "invite_to_200_ms", ("p50",)),
            (f"INVITE -> 200 OK p99 at {rate} calls/s (ms)", "invite_to_200_ms", ("p99",)),
            (f"INVITE -> 200 OK max at {rate} calls/s (ms)", "invite_to_200_ms", ("max",)),
            (f"SIPp and agents' CPU per call at {rate} calls/s (ms)", "clients_cpu_ms_per_call", ()),
            (f"failed calls at {rate} calls/s (all rounds)", None, ())]:
        if key is None:
            values = [sum(t["failed"] for t in side["reference"]) for side in (stock, ours)]
        else:
            values = [median_of(side["reference"], key, *path) for side in (stock, ours)]
        rows.append((figure + label, *values))
    return rows


def report_markdown(date, where, sections):
    lines = [
        f"# StasisBroadcast SIP benchmark, {date}",
        "",
        f"Machine: {where['cpus']} CPUs ({where['cpu']}), {where['memory_gb']} GiB, Linux "
        f"{where['kernel']}. Asterisk 22.10.1 (Debian sid) with PJSIP over UDP on loopback, the "
        f"stock modules and ours as two instances, driven alike: SIPp ({'/'.join(ADDRESSES)}) "
        f"places calls, StasisBroadcast() offers each to {RACERS} agents (bench/wsfan.c, answer "
        f"mode), the winner answers, holds {HOLD_MS} ms and hangs up; SIPp checks every call end "
        f"to end. Produced by `make bench` / `make bench-sip` (bench/sip_load.py)"
        f"{', quick mode: short trials, not a capacity figure' if QUICK else ''}.",
        "",
        "| figure | stock | ours | ours/stock |",
        "|---|---|---|---|",
    ]
    for result in sections:
        for figure, stock, ours in rows_of(result):
            ratio = ours / stock if stock and ours is not None else None
            lines.append(f"| {figure} | {fmt(stock)} | {fmt(ours)} | {fmt(ratio)} |")
    lines += [
        "",
        "## How it was measured",
        "",
        f"- Highest rate: trials of {SEARCH_S} s, from {START_RATE} calls/s doubling until one "
        f"fails, then halving the gap to 10%; the best rate is then held for {SUSTAIN_S} s "
        "(10% lower each time that fails). A trial passes when SIPp answered and ended every "
        "call (no failed call of any kind, no retransmission timeout) at no less than 95% of "
        "the rate asked (from the first 200 OK to the last).",
        f"- CPU and latency: {ROUNDS} trial(s) of {REFERENCE_S} s each at the lower of the two "
        "highest rates, so both carry the same load; stock and ours alternate; medians over "
        "trials. Asterisk CPU is utime+stime of the Asterisk process (/proc/PID/stat) over the "
        "trial, per answered call. INVITE -> 200 OK is SIPp's response time (its rtd), from "
        "the first transmission of the INVITE.",
        "- Stalled agent: a fifth application connected to the node's ARI that never reads "
        "its WebSocket (4 KB receive buffer). Once its buffers are full, ARI's next write to it "
        "times out and ARI drops it, so it weighs on the offers made until then: look at the "
        "max as much as at the p99.",
        "- SIPp and the agents share the machine with Asterisk: their CPU per call is shown so "
        "a ceiling that is theirs rather than Asterisk's can be told apart.",
        "- Every trial's figures are in sip.json.",
    ]
    return "\n".join(lines) + "\n"


def main():
    from run import machine, results_dir  # the same machine and place as the main report

    wsfan = build_wsfan()
    targets = {name: SipTarget(name) for name in ADDRESSES}
    sections = []
    try:
        for target in targets.values():
            target.start()
        for stalled in (0, 1):
            sections.append(section(targets, wsfan, stalled))
    finally:
        for target in targets.values():
            target.stop()
    date, out = results_dir()
    (out / "sip.json").write_text(json.dumps({"date": date, "machine": machine(),
                                              "sections": sections}, indent=1))
    (out / "sip.md").write_text(report_markdown(date, machine(), sections))
    print(f"report: {out / 'sip.md'}")


if __name__ == "__main__":
    main()
