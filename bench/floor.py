"""make bench, the floor of fan-out cost: how close each implementation, and
each dispatch design of ours, comes to the least work ARI allows.

Instances of Debian's Asterisk, driven alike in one run, rounds alternating
their order:

  stock        the stock modules
  ours         ours as the product builds it
  ours-NAME    ours built with the dispatch design NAME (make DISPATCH=NAME,
               in build/dispatch-NAME), one for each word of BENCH_DISPATCH;
               ours-before: ours at the commit BENCH_BEFORE names (bench/run.sh);
               when that is empty (the default), only "ours" runs, and its
               word "default" adds "ours" beside the variants
  floor        bench/floor: the event handed to every application through
               stasis_app_send() on the channel's thread, and nothing else

each driven by every kind of ARI client BENCH_CLIENTS names ("c python" by
default):

  c            bench/wsfan.c: every application on one epoll loop, finding
               two strings per event; cheap, so the CPU is nearly all
               Asterisk's
  python       bench/pyfan.py: BENCH_PYFAN_WORKERS processes (4 by default)
               of asyncio websockets applications parsing every event as
               JSON, taking CPU from Asterisk as applications on a small
               single host do

Figures, per client kind: Asterisk CPU per broadcast, time to the first and to
the last application, and the clients' own CPU once connected, at 10, 300 and
1,000 applications; with one stalled application among 10, the delay of the
live ones. Writes floor.md (a table per
client kind) and floor.json in bench/results/DATE-Ncpu/.
"""

import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import (DISPATCH_FIRST_PORT, FLOOR_TARGETS, TARGETS, Target,  # noqa: E402
                    build_dispatch, build_wsfan, pyfan_command)
from measure import median_of  # noqa: E402
import scenarios  # noqa: E402
from run import ROUNDS, QUICK, machine, results_dir, run_rounds  # noqa: E402

FANOUT = [(10, 200), (300, 100), (1000, 40)] if not QUICK else [(10, 20), (300, 10), (1000, 5)]
STALLED = (10, 800 if not QUICK else 100, 8192)
DISPATCH = os.environ.get("BENCH_DISPATCH", "").split() or ["default"]
PYFAN_WORKERS = int(os.environ.get("BENCH_PYFAN_WORKERS") or 4)
CLIENTS = {
    "c": ("C clients: bench/wsfan.c, every application on one epoll loop", build_wsfan),
    "python": (f"Python clients: bench/pyfan.py, {PYFAN_WORKERS} processes of asyncio "
               "websockets applications parsing every event as JSON",
               lambda: pyfan_command(PYFAN_WORKERS)),
}


def make_targets():
    """{name: Target} in the order of the report's columns: stock, ours (each
    dispatch design asked for), floor. Variants are built first."""
    targets = {"stock": Target("stock", TARGETS["stock"])}
    for i, design in enumerate(DISPATCH):
        if design == "default":
            targets["ours"] = Target("ours", TARGETS["ours"])
        else:
            name = f"ours-{design}"
            targets[name] = Target(name, DISPATCH_FIRST_PORT + i, build=build_dispatch(design))
    targets["floor"] = Target("floor", FLOOR_TARGETS["floor"])
    return targets


def timed_rounds(label, targets, scenario, *args):
    """run_rounds(), saying what runs and how long it took (for planning a full run)."""
    print(f"  {label}", flush=True)
    started = time.monotonic()
    results = run_rounds(targets, scenario, *args)
    print(f"  {label}: {time.monotonic() - started:.0f} s", flush=True)
    return results


def measure(targets, client):
    """Every scenario with one kind of client: {"fanout": {apps: rounds}, "stalled": rounds}."""
    raw = {"fanout": {}}
    for apps, broadcasts in FANOUT:
        raw["fanout"][apps] = timed_rounds(f"fan-out to {apps} applications", targets,
                                           scenarios.fanout, client, apps, broadcasts)
    senders = {name: target for name, target in targets.items() if name != "floor"}
    raw["stalled"] = timed_rounds("stalled application", senders,
                                  scenarios.stalled_application, client, *STALLED)
    return raw


def medians(results, *path):
    """{target: median over its rounds of the figure at PATH}."""
    return {name: median_of(rounds, *path) for name, rounds in results.items()}


def ratios(figures, base, names):
    """{name: its figure over BASE's} for NAMES (None where one is missing)."""
    return {name: figures[name] / figures[base] if figures[name] and figures[base] else None
            for name in names}


def summarise(raw):
    """[(label, {target: figure})], ratios to the floor's CPU and to stock's
    times for each of ours."""
    rows = []
    for apps, fan in raw["fanout"].items():
        ours = [name for name in fan if name.startswith("ours")]
        cpu = medians(fan, "asterisk_cpu_ms_per_broadcast")
        first = medians(fan, "to_first_ms", "p50")
        last = medians(fan, "to_last_ms", "p50")
        rows += [
            (f"{apps} apps: Asterisk CPU per broadcast (ms)", cpu),
            (f"{apps} apps: CPU / floor's", ratios(cpu, "floor", [t for t in cpu if t != "floor"])),
            (f"{apps} apps: time to the first application p50 (ms)", first),
            (f"{apps} apps: time to the first / stock's", ratios(first, "stock", ours)),
            (f"{apps} apps: time to the last application p50 (ms)", last),
            (f"{apps} apps: time to the last / stock's", ratios(last, "stock", ours)),
            (f"{apps} apps: client CPU per broadcast, once connected (ms)",
             medians(fan, "client_cpu_after_ready_ms_per_broadcast")),
        ]
    for q in ("p50", "p99", "max"):
        rows.append((f"stalled application: live delay {q} (ms)",
                     medians(raw["stalled"], "live_delay_ms", q)))
    return rows


def table(rows, names):
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, values in rows:
        digits = 3 if "/" in label else 2
        lines.append(f"| {label} | " + " | ".join(
            f"{values[n]:.{digits}f}" if values.get(n) is not None else "" for n in names) + " |")
    return lines


def main():
    kinds = os.environ.get("BENCH_CLIENTS", "c python").split()
    unknown = [kind for kind in kinds if kind not in CLIENTS]
    if unknown:
        sys.exit(f"BENCH_CLIENTS: unknown client kinds {unknown}; known: {list(CLIENTS)}")
    clients = {kind: CLIENTS[kind][1]() for kind in kinds}
    targets = make_targets()
    raw = {}
    try:
        for target in targets.values():
            target.start()
        for kind, client in clients.items():
            print(f"{kind} clients", flush=True)
            raw[kind] = measure(targets, client)
    finally:
        for target in targets.values():
            target.stop()

    rows = {kind: summarise(raw[kind]) for kind in raw}
    _, out = results_dir()
    (out / "floor.json").write_text(json.dumps(
        {"machine": machine(), "rounds": ROUNDS, "targets": list(targets),
         "dispatch": DISPATCH, "clients": {kind: CLIENTS[kind][0] for kind in kinds},
         "raw": raw, "rows": rows}, indent=1))
    names = list(targets)
    lines = ["# The floor of fan-out cost", "",
             f"{ROUNDS} rounds alternating the {len(names)} instances of one Asterisk "
             "(Debian's 22.10.1); medians over rounds. `ours-NAME` is ours built with "
             "`make DISPATCH=NAME`; `ours-before`, ours at an earlier commit "
             f"({os.environ.get('BENCH_BEFORE_LABEL', 'BENCH_BEFORE')}). See bench/floor.py."]
    for kind in kinds:
        lines += ["", f"## {CLIENTS[kind][0]}", ""] + table(rows[kind], names)
    (out / "floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
