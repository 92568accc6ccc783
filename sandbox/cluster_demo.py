"""make cluster-demo: StasisBroadcast on two Asterisk nodes behind Kamailio,
for real, with one node killed part way (sandbox/lib/cluster.py).

SIPp calls Kamailio; Kamailio's dispatcher sends each call to a node; the
node offers it to the agents connected to it (two Python, two Node.js, every
one connected to both nodes), one claims it there, answers, holds it two
seconds and hangs up. The demo prints where each call went as it happens
(and each claim that failed, as claims sent to the dying node do), then the
counted figures.
"""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from agents import parse_call  # noqa: E402
from cluster import AGENTS, NODES, PROXY, Cluster, run_failover  # noqa: E402
from sip import parse_decision  # noqa: E402

CALLS = 120
RATE = 4
HOLD_MS = 2000
KILL_AFTER = 45


class Narrator:
    """Prints, as they come, the lines of the proxy and the agents that say
    where a call went."""

    def __init__(self, cluster, started):
        self.cluster = cluster
        self.started = started
        self.sources = [cluster.kamailio] + cluster.agents
        self.seen = [len(source.timed) for source in self.sources]
        self.relayed = {}
        self.done = False
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def say(self, text):
        print(f"{time.monotonic() - self.started:6.1f} s  {text}", flush=True)

    def _follow(self):
        cond = self.cluster.cond
        while True:
            with cond:
                cond.wait_for(lambda: self.done or any(
                    len(s.timed) > n for s, n in zip(self.sources, self.seen)))
                if self.done:
                    return
                fresh = []
                for i, source in enumerate(self.sources):
                    fresh += [(source, line) for _, line in source.timed[self.seen[i]:]]
                    self.seen[i] = len(source.timed)
            for source, line in fresh:
                self._tell(source, line)

    def _tell(self, source, line):
        name = self.cluster.name_of
        if source is self.cluster.kamailio:
            decision = parse_decision(line)
            if decision:
                if decision.kind == "relay" and decision.caller in self.relayed:
                    self.say(f"call {decision.caller:3}  {self.relayed[decision.caller]} had "
                             f"no agent yet (503): Kamailio sends it to {name(decision.node)}")
                elif decision.kind == "relay":
                    self.relayed[decision.caller] = name(decision.node)
                elif decision.kind == "silent":
                    self.say(f"call {decision.caller:3}  {name(decision.node)} did not answer: "
                             "Kamailio tries the other node")
                    del self.relayed[decision.caller]
            return
        call = parse_call(line)
        if call and call.outcome == "WON":
            self.say(f"call {call.caller:>3}  Kamailio -> {name(call.node)}, claimed there "
                     f"by {call.agent}")
        elif call and call.outcome == "claim failed for":
            self.say(f"call {call.caller:>3}  {call.agent}'s claim on {name(call.node)} failed: "
                     f"{call.detail}")
        elif " disconnected from " in line or " connected to " in line:
            self.say(line)

    def stop(self):
        with self.cluster.cond:
            self.done = True
            self.cluster.cond.notify_all()
        self.thread.join(timeout=5)


def main():
    started = time.monotonic()
    print(f"Kamailio on {PROXY}:5060 in front of "
          + ", ".join(f"{name} ({addr})" for name, addr in NODES.items())
          + f"; agents {', '.join(name for _, name in AGENTS)}, each connected to both nodes.")
    print(f"SIPp places {CALLS} calls at {RATE}/s; each winner holds its call {HOLD_MS} ms; "
          f"node2 is killed (kill -9) after call {KILL_AFTER} and restarted.\n", flush=True)
    with Cluster() as cluster:
        cluster.start_agents(hold_ms=HOLD_MS)
        narrator = Narrator(cluster, started)
        try:
            run = run_failover(cluster, CALLS, RATE, HOLD_MS, KILL_AFTER,
                               say=lambda text: narrator.say(f"*** {text}"))
        finally:
            narrator.stop()
    print("\nCounted:")
    for label, value in counted(run):
        print(f"  {label:<55} {value}")


def counted(run):
    """The account of a run (a cluster.Failover), as (label, figure) rows."""
    figures = run.figures
    held, lost = set(run.calls["held"]), set(run.calls["lost"])
    # A call node2 held may still end well: its winner had hung it up, and the
    # BYE left node2 before the kill. The others held are lost with node2.
    ended = sorted(held - lost)
    return [
        ("calls sent (SIPp)", figures["calls_sent"]),
        ("answered per node (SIPp, from the 200 OK's Contact)",
         ", ".join(f"{node} {n}" for node, n in figures["answered_per_node"].items())),
        ("  of which node2 after it came back", figures["answered_by_victim_after_return"]),
        ("calls node2 held when it was killed (its channels)", figures["held_at_kill"]),
        ("  of which ended anyway (hung up, BYE already sent)",
         f"{len(ended)}" + (f" ({', '.join(map(str, ended))})" if ended else "")),
        ("calls lost (held by node2, not hung up yet)",
         f"{figures['lost']} ({', '.join(map(str, run.calls['lost']))})"),
        ("lost calls that node1 had (should be 0)", figures["lost_on_other_nodes"]),
        ("calls claimed twice / offered on two nodes",
         f"{figures['double_claimed']} / {figures['offered_on_two_nodes']}"),
        ("kill -9 -> Kamailio stops routing to node2",
         f"{figures['stopped_routing_after_s']:.2f} s (probe every {figures['probe_interval_s']} s)"),
        ("calls sent to dead node2 before that, then to node1",
         figures["sent_to_dead_node_then_rerouted"]),
        ("restart -> Kamailio uses node2 again", f"{figures['back_in_use_after_restart_s']:.2f} s"),
        ("restart -> each agent reconnected", ", ".join(
            f"{name} {s:.2f} s" for name, s in figures["agents_reconnected_after_restart_s"].items())),
    ]


if __name__ == "__main__":
    main()
