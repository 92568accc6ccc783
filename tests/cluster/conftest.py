"""The cluster suite: Kamailio in front of two Asterisk nodes, the example
agents (two Python, two Node.js) connected to both, and SIPp calling through
Kamailio while one node is killed and brought back (sandbox/lib/cluster.py).

The run happens once, in the `failover` fixture; each test checks one
property of it. Its figures go to /var/lib/sb/cluster/ (failover.json, and
summary.txt for tests/cluster/ci.sh).
"""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox" / "lib"))

from cluster import WORKDIR, Cluster, run_failover, save  # noqa: E402

CALLS = 300
RATE = 10          # calls per second: 30 s of calls
HOLD_MS = 2000     # each winner holds its call this long
KILL_AFTER = 100   # node2 is killed once Kamailio has relayed this many calls


@pytest.fixture(scope="session")
def cluster():
    with Cluster() as running:
        running.start_agents(hold_ms=HOLD_MS)
        yield running


@pytest.fixture(scope="session")
def failover(cluster):
    started = time.monotonic()

    def say(text):
        print(f"[{time.monotonic() - started:6.2f} s] {text}", flush=True)

    run = run_failover(cluster, CALLS, RATE, HOLD_MS, KILL_AFTER, say=say)
    save(run, WORKDIR / "failover.json")
    figures = run.figures
    (WORKDIR / "summary.txt").write_text(
        f"{figures['calls_sent']} SIP calls via Kamailio, answered "
        + "/".join(str(n) for n in figures["answered_per_node"].values())
        + f" on node1/node2, {figures['lost']} lost at the kill (held {figures['held_at_kill']}), "
        f"{figures['double_claimed']} double-claimed, node out of rotation "
        f"{figures['stopped_routing_after_s']:.2f} s after kill -9\n")
    print(figures, flush=True)
    return run
