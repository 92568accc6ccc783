"""make bench, the floor of fan-out cost: how close each implementation comes to
the least work ARI allows.

Three instances of Debian's Asterisk, driven alike in one run, rounds
alternating their order:

  stock        the stock modules
  ours         ours (dispatch.c: the dialplan thread and helpers, lanes)
  floor        bench/floor: the event handed to every application through
               stasis_app_send() on the channel's thread, and nothing else

(Asterisk's own serializers for the sends were measured here against the
lanes on 2026-12-02 and lost: dispatch.c's opening comment has the figures.)

Figures: Asterisk CPU per broadcast and time to the last application at 300
and 1,000 applications; with one stalled application among 10, the delay of
the live ones. Writes bench/results/DATE-Ncpu/floor.md and floor.json.
"""

import json
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import FLOOR_TARGETS, TARGETS, Target, build_wsfan  # noqa: E402
from measure import median_of  # noqa: E402
import scenarios  # noqa: E402
from run import ROUNDS, QUICK, machine, results_dir, run_rounds  # noqa: E402

FANOUT = [(300, 100), (1000, 40)] if not QUICK else [(300, 10)]
STALLED = (10, 800 if not QUICK else 100, 8192)


def main():
    wsfan = build_wsfan()
    ports = {**TARGETS, **FLOOR_TARGETS}
    targets = {name: Target(name, port).start() for name, port in ports.items()}
    raw = {"fanout": {}}
    try:
        for apps, broadcasts in FANOUT:
            print(f"fan-out to {apps} applications", flush=True)
            raw["fanout"][apps] = run_rounds(targets, scenarios.fanout, wsfan, apps, broadcasts)
        print("stalled application", flush=True)
        senders = {name: targets[name] for name in ("stock", "ours")}
        raw["stalled"] = run_rounds(senders, scenarios.stalled_application, wsfan, *STALLED)
    finally:
        for target in targets.values():
            target.stop()

    rows = []
    for apps in raw["fanout"]:
        fan = raw["fanout"][apps]
        cpu = {t: median_of(fan[t], "asterisk_cpu_ms_per_broadcast") for t in fan}
        last = {t: median_of(fan[t], "to_last_ms", "p50") for t in fan}
        rows += [
            (f"{apps} apps: Asterisk CPU per broadcast (ms)", cpu),
            (f"{apps} apps: CPU / floor's", {t: cpu[t] / cpu["floor"] for t in cpu if t != "floor"}),
            (f"{apps} apps: time to the last application p50 (ms)", last),
            (f"{apps} apps: time to the last / stock's",
             {t: last[t] / last["stock"] for t in last if t not in ("stock", "floor")}),
        ]
    stalled = raw["stalled"]
    for q in ("p50", "p99", "max"):
        rows.append((f"stalled application: live delay {q} (ms)",
                     {t: median_of(stalled[t], "live_delay_ms", q) for t in stalled}))

    _, out = results_dir()
    (out / "floor.json").write_text(json.dumps({"machine": machine(), "rounds": ROUNDS,
                                                "raw": raw, "rows": rows}, indent=1))
    names = ["stock", "ours", "floor"]
    lines = ["# The floor of fan-out cost", "",
             f"{ROUNDS} rounds alternating the three instances of one Asterisk (Debian's "
             "22.10.1); medians over rounds. See bench/floor.py.", "",
             "| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, values in rows:
        digits = 3 if "/" in label else 2
        lines.append(f"| {label} | " + " | ".join(
            f"{values[n]:.{digits}f}" if n in values else "" for n in names) + " |")
    (out / "floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
