"""A StasisBroadcast cluster on one machine, and what happens when a node dies.

Kamailio (127.0.0.10) spreads SIP calls over two Asterisk nodes (127.0.0.11,
127.0.0.12), each running our modules with PJSIP; the example agents keep a
WebSocket to both nodes' ARI and claim each call on the node that offers it.
SIPp places the calls through Kamailio.

`run_failover()` is the scenario the cluster test (tests/cluster) checks and
the cluster demo (make cluster-demo) shows: calls flow, one node is killed
with kill -9 in mid-run, is restarted once Kamailio has stopped routing to
it, and is used again once it answers Kamailio's probes and the agents are
back. Every figure it returns is counted from what the parts themselves
logged: SIPp (which calls were answered, by which node), Kamailio (where it
sent each call, when it took a node out and back in), the agents (which call
each one won, on which node) and the dying node (its channels just before).
"""

import json
import os
import signal
import threading
import time
from collections import Counter, defaultdict, namedtuple
from pathlib import Path

from agents import OFFER_REPLIES, AgentProcess, agent_command
from ari import Ari
from measure import percentile
from process import wait_gone
from waiting import wait_until
from sip import Kamailio, Sipp, sip_node

PROXY = "127.0.0.10"
NODES = {"node1": "127.0.0.11", "node2": "127.0.0.12"}
ARI_PORT = 8088
WORKDIR = Path("/var/lib/sb/cluster")
# The agents: two of each example, every one connected to every node.
AGENTS = [("python", "ex-py-1"), ("python", "ex-py-2"), ("node", "ex-node-1"), ("node", "ex-node-2")]


class Cluster:
    """Kamailio in front of the NODES, and the agents; `with Cluster() as c`
    starts them all and stops every one of them, also on failure."""

    def __init__(self, probe_s=1, silence_ms=1000, answer_ms=5000):
        self.nodes = {name: sip_node(f"cluster-{name}", addr) for name, addr in NODES.items()}
        self.cond = threading.Condition()   # shared by the proxy's and agents' output
        self.timers = {"probe_s": probe_s, "silence_ms": silence_ms, "answer_ms": answer_ms}
        self.kamailio = None
        self.agents = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        WORKDIR.mkdir(parents=True, exist_ok=True)
        for node in self.nodes.values():
            node.start()
        self.kamailio = Kamailio(PROXY, list(NODES.values()), WORKDIR / "kamailio", cond=self.cond,
                                 **self.timers)

    def start_agents(self, hold_ms, agents=AGENTS):
        """The example agents, each connected to every node before this returns."""
        urls = [f"http://{addr}:{ARI_PORT}" for addr in NODES.values()]
        for language, name in agents:
            self.agents.append(AgentProcess(agent_command(language, name, urls, hold_ms=hold_ms),
                                            name, self.cond, log=WORKDIR / f"{name}.log"))
        for agent in self.agents:
            for name in NODES:
                agent.wait_line(f"{agent.name}: connected to {self.label(name)}", timeout=30)

    @staticmethod
    def label(name):
        """How the agents name a node: its ARI host:port."""
        return f"{NODES[name]}:{ARI_PORT}"

    @staticmethod
    def name_of(address):
        """node1 for 127.0.0.11 or 127.0.0.11:8088."""
        return next(name for name, addr in NODES.items() if address.split(":")[0] == addr)

    def calls_held(self, name):
        """The calls (SIPp numbers) that have a channel on a node now."""
        channels = Ari(ARI_PORT, host=NODES[name]).request("GET", "/channels").json()
        return {int(channel["caller"]["number"]) for channel in channels}

    def kill(self, name):
        """kill -9 a node; returns when it is gone (wall-clock time of the kill)."""
        node = self.nodes[name]
        pid = node.pid
        killed_at = time.time()
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid)
        (node.dir / "run" / "asterisk.pid").unlink(missing_ok=True)
        return killed_at

    def restart(self, name):
        self.nodes[name].start()
        return time.time()

    def stop(self):
        """Stop everything that was started, each part even if another fails."""
        parts = self.agents + ([self.kamailio] if self.kamailio else []) + list(self.nodes.values())
        failure = None
        for part in parts:
            try:
                part.stop()
            except Exception as error:  # stop the others first, then report it
                failure = failure or error
        if failure:
            raise failure


Failover = namedtuple("Failover", "figures calls")


def run_failover(cluster, calls, rate, hold_ms, kill_after, victim="node2", say=lambda text: None):
    """CALLS calls at RATE per second through Kamailio, each held HOLD_MS by
    its winner. When Kamailio has relayed KILL_AFTER calls, VICTIM is killed;
    once Kamailio has taken it out, and every call it had sent there since has
    moved on to another node, it is restarted. SAY(text) is told each step.
    Returns a Failover: the figures, and per call what each part saw."""
    kamailio = cluster.kamailio
    victim_addr = NODES[victim]
    sipp = Sipp(PROXY, WORKDIR / "sipp", rate, calls, recv_timeout_ms=hold_ms + 8000).start()
    try:
        wait_until(lambda: len(kamailio.decisions("relay")) >= kill_after,
                   kill_after / rate + 30, f"{kill_after} calls relayed", cond=cluster.cond)
        snapshot_at = time.time()
        held = cluster.calls_held(victim)
        say(f"kill -9 {victim}, which holds {len(held)} calls")
        killed_at = cluster.kill(victim)
        down = kamailio.wait_decision("down", victim_addr, since=killed_at,
                                      timeout=cluster.timers["probe_s"] + 10)
        say(f"Kamailio took {victim} out {down.at - killed_at:.2f} s after the kill")
        # (Restarting sooner works too, but an INVITE sent to the dead node
        # that times out after the restart would take it out once more.)
        wait_until(lambda: rerouted(kamailio, victim_addr, killed_at),
                   cluster.timers["silence_ms"] / 1000 + 10,
                   "calls sent to the dead node to move on", cond=cluster.cond)
        restarted_at = cluster.restart(victim)
        say(f"{victim} restarted")
        up = kamailio.wait_decision("up", victim_addr, since=down.at, timeout=30)
        say(f"Kamailio uses {victim} again ({up.at - restarted_at:.2f} s after it restarted)")
        for agent in cluster.agents:
            wait_until(lambda: agent.connected_to(cluster.label(victim), killed_at),
                       30, f"{agent.name} back on {victim}", cond=cluster.cond)
        say(f"every agent is connected to {victim} again")
        result = sipp.wait(timeout=calls / rate + hold_ms / 1000 + 60)
    finally:
        sipp.stop()
    timeline = {"snapshot_at": snapshot_at, "killed_at": killed_at, "down_at": down.at,
                "restarted_at": restarted_at, "up_at": up.at}
    return account(cluster, victim, result, held, timeline)


def rerouted(kamailio, node, since):
    """Has every INVITE sent to NODE since SINCE timed out there (and moved on)?"""
    def to_node(kind):
        return Counter(d.caller for d in kamailio.decisions(kind) if d.node == node and d.at >= since)
    return to_node("relay") == to_node("silent")


def what_agents_did(cluster, victim):
    """From the agents' lines about calls (each names its call by the caller,
    SIPp's call number): per call, who won it where ([(agent, node)]), the
    nodes it was offered on, and the calls whose winner was hanging them up
    on VICTIM (hung up, or tried to)."""
    won, offered, hanging_up = defaultdict(list), defaultdict(set), set()
    for agent in cluster.agents:
        for line in agent.calls():
            call, node = int(line.caller), cluster.name_of(line.node)
            if line.outcome in OFFER_REPLIES:
                offered[call].add(node)
            if line.outcome == "WON":
                won[call].append((line.agent, node))
            if line.outcome in ("hung up", "hangup failed for") and node == victim:
                hanging_up.add(call)
    return won, offered, hanging_up


def account(cluster, victim, result, held, timeline):
    """The figures of a failover run, counted from every part's own record."""
    victim_addr = NODES[victim]
    decisions = cluster.kamailio.decisions()
    relays = defaultdict(list)                 # call -> [Decision] in order
    for decision in decisions:
        if decision.kind in ("relay", "silent"):
            relays[decision.caller].append(decision)
    won, offered, hanging_up = what_agents_did(cluster, victim)

    answered = {call: cluster.name_of(addr) for call, addr in result.answered.items()}
    lost = sorted(set(range(1, result.sent + 1)) - set(answered))
    last = {call: ds[-1] for call, ds in relays.items() if ds[-1].kind == "relay"}
    final = {call: cluster.name_of(decision.node) for call, decision in last.items()}
    killed_at, up_at = timeline["killed_at"], timeline["up_at"]
    to_dead = [d for d in decisions if d.kind == "relay" and d.node == victim_addr
               and killed_at <= d.at < up_at]
    reconnect_s = {agent.name: agent.connected_to(cluster.label(victim), killed_at)[0]
                   - timeline["restarted_at"] for agent in cluster.agents}
    # Calls that were on their way to the node as its channels were read (sent
    # at most 0.1 s before, up to the kill): if they were lost, the node held
    # them though the snapshot missed them.
    arrived_late = {d.caller for d in decisions if d.kind == "relay" and d.node == victim_addr
                    and timeline["snapshot_at"] - 0.1 <= d.at <= killed_at} - held
    figures = {
        "calls_sent": result.sent,
        "sipp_successful": result.successful,
        "sipp_failed": result.failed,
        "answered_per_node": dict(sorted(Counter(answered.values()).items())),
        "answered_by_victim_after_return": sum(
            1 for call, node in answered.items() if node == victim and last[call].at >= up_at),
        "held_at_kill": len(held | (arrived_late & set(lost))),
        "lost": len(lost),
        "lost_on_other_nodes": sum(1 for call in lost if final.get(call) != victim),
        "double_claimed": sum(1 for wins in won.values() if len(wins) > 1),
        "offered_on_two_nodes": sum(1 for nodes in offered.values() if len(nodes) > 1),
        "stopped_routing_after_s": round(timeline["down_at"] - killed_at, 3),
        "sent_to_dead_node_then_rerouted": len(to_dead),
        "back_in_use_after_restart_s": round(up_at - timeline["restarted_at"], 3),
        "agents_reconnected_after_restart_s": {name: round(s, 3) for name, s in reconnect_s.items()},
        "invite_to_200_ms_p50": percentile_ms(result.invite_to_200_ms, 0.5),
        "invite_to_200_ms_p99": percentile_ms(result.invite_to_200_ms, 0.99),
        "victim": victim,
        "probe_interval_s": cluster.timers["probe_s"],
        "silence_s": cluster.timers["silence_ms"] / 1000,
    }
    calls = {"answered": answered, "lost": lost, "held": sorted(held),
             "arrived_late": sorted(arrived_late), "hanging_up_on_victim": sorted(hanging_up),
             "won": dict(won),
             "offered": {call: sorted(nodes) for call, nodes in offered.items()},
             "final_node": final, "relays": {call: [d._asdict() for d in ds]
                                             for call, ds in relays.items()},
             "to_dead": [d._asdict() for d in to_dead], "timeline": timeline}
    return Failover(figures, calls)


def percentile_ms(values, q):
    value = percentile(values, q)
    return round(value, 1) if value is not None else None


def save(failover, path):
    """The run as JSON (figures and per-call records), for CI logs."""
    path.write_text(json.dumps(failover._asdict(), indent=1, default=str))
