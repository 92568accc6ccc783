"""Shared pieces of the benchmarks: the two instances, CPU accounting, stats."""

import collections
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "sandbox" / "lib"))

from ari import Ari  # noqa: E402
from instance import Instance  # noqa: E402
from measure import percentiles  # noqa: E402,F401  (the scenarios take it from here)

TARGETS = {"stock": 8088, "ours": 8089}
# For the fan-out floor (bench/floor.py): the floor module in an instance of its own.
FLOOR_TARGETS = {"floor": 8090}
# Also for the floor: our modules built with other dispatch designs, one port each from here.
DISPATCH_FIRST_PORT = 8091
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


class Target:
    """One Asterisk instance under test, with its ARI client. `exten` is the
    dialplan extension its calls run: StasisBroadcast() ("offer"), or the
    floor's BroadcastFloor() ("floor"). `build` is the directory our modules
    come from (a dispatch variant's, see build_dispatch()), build/ by default."""

    def __init__(self, name, port, build=None):
        self.name = name
        options = {}
        if name == "floor":
            options["modules"] = [REPO / "build" / "bench_floor.so"]
        if build is not None:
            options["build"], source = str(build[0]), build[1]
            if source != REPO:
                options["src"] = source
        self.exten = "floor" if name == "floor" else "offer"
        self.instance = Instance(f"bench-{name}", port, stock=(name == "stock"), **options)
        self.ari = Ari(port)

    def start(self):
        self.instance.start()
        return self

    def stop(self):
        self.instance.stop()

    @property
    def pid(self):
        return int((self.instance.dir / "run" / "asterisk.pid").read_text())

    def cpu_seconds(self):
        """User + system CPU of the Asterisk process so far."""
        return process_cpu_seconds(self.pid)


def process_cpu_seconds(pid, descendants=False):
    """User + system CPU of process PID so far; with DESCENDANTS, that of its
    live descendants too (a client's worker processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / CLOCK_TICK
    if descendants:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += process_cpu_seconds(int(child), descendants=True)
    return total


def own_cpu_seconds():
    usage = os.times()
    return usage.user + usage.system


def build_wsfan():
    binary = BENCH / "wsfan"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(binary), str(BENCH / "wsfan.c")], check=True)
    return binary


def pyfan_command(workers):
    """bench/pyfan.py (Python applications in WORKERS processes), run as Fan
    runs wsfan: pass it to Fan in wsfan's place."""
    return [sys.executable, str(BENCH / "pyfan.py"), "--workers", str(workers)]


# Our sources at an earlier commit, for the variant "before" (bench/run.sh
# puts them here when BENCH_BEFORE names the commit).
BEFORE = BENCH / ".before"


def build_dispatch(name):
    """Our modules built with dispatch design NAME (the Makefile's DISPATCH)
    in a build directory of their own, or, for "before", the sources of
    BENCH_BEFORE; returns (that directory, the source tree it was built from)."""
    source = BEFORE if name == "before" else REPO
    build = REPO / "build" / f"dispatch-{name}"
    subprocess.run(["make", "-s", f"BUILD={build}", f"DISPATCH={name}", "all"],
                   cwd=source, check=True)
    return build, source


class Fan:
    """A wsfan process holding COUNT applications (STALLED of them never read;
    with claim=True every reading one claims every call it is offered; with
    hold_ms, it also answers what it wins and hangs up HOLD_MS later). PORT
    may be "ADDRESS:PORT". CLIENT is wsfan's path, or a command that speaks
    its protocol (pyfan_command())."""

    def __init__(self, client, port, prefix, count, stalled=0, claim=False, hold_ms=None):
        command = [str(word) for word in client] if isinstance(client, list) else [str(client)]
        args = command + [str(port), "test:test", prefix, str(count), str(stalled)]
        if hold_ms is not None:
            args += ["answer", str(hold_ms)]
        elif claim:
            args.append("claim")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"{' '.join(command)} did not connect {count} applications: "
                               f"{line!r}")
        # What connecting cost it (a Python client's start is most of a short run's CPU).
        self.cpu_at_ready = process_cpu_seconds(self.process.pid, descendants=True)
        self.broadcasts = queue.Queue()
        self.claims = collections.defaultdict(dict)   # channel -> {app index: status}
        self.starts = collections.defaultdict(list)   # channel -> [app index]
        self.cpu = None
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            words = line.split()
            with self.cond:
                if words[0] == "bcast":
                    self.broadcasts.put((words[1], int(words[2]), int(words[3]), int(words[4])))
                elif words[0] == "claim":
                    self.claims[words[1]][int(words[2])] = int(words[3])
                elif words[0] == "start":
                    self.starts[words[1]].append(int(words[2]))
                elif words[0] == "cpu":
                    self.cpu = float(words[1]) + float(words[2])
                self.cond.notify_all()

    def next_broadcast(self, timeout=30):
        """(channel_id, received, first_ns, last_ns) of the next complete broadcast."""
        return self.broadcasts.get(timeout=timeout)

    def wait_claims(self, channel_id, count, timeout=30):
        """The answers to COUNT claims of a call: {app index: status}."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.claims[channel_id]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
            return dict(self.claims[channel_id])

    def wait_start(self, channel_id, timeout=30):
        """Wait until some application got StasisStart for the channel."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.starts.get(channel_id):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(remaining)
            return True

    def close(self):
        """Stop it; returns its CPU seconds."""
        self.process.terminate()
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        return self.cpu or 0.0
