"""The cluster demo's accounting (sandbox/lib/cluster.py, what make
cluster-demo prints and the failover tests check), with no Asterisk: a run's
record replayed, the agents' output with every kind of line in it, the claims
that failed on the killed node included, counted by the demo's own code.

The agents are AgentProcesses whose process prints what the example agents
printed in such a run; Kamailio's and SIPp's records are given as read.
"""

import sys
import threading
import time
from pathlib import Path

import pytest

from agents import AgentProcess
from cluster import Cluster, account, what_agents_did
from sip import Decision, SippResult
from waiting import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox"))

NODE1, NODE2 = "127.0.0.11:8088", "127.0.0.12:8088"
AGENTS = ["ex-py-1", "ex-py-2", "ex-node-1", "ex-node-2"]
CONNECTED = [f"{agent}: connected to {node}" for agent in AGENTS for node in (NODE1, NODE2)]

# node2 dies as calls 2 and 3 are held there (2 being hung up, 3 not yet),
# call 4 on offer and call 5 on its way; every claim then sent to it fails.
# Call 6, sent to the dead node, moves on to node1. Call 9 is node2's again.
LINES = CONNECTED + f"""\
ex-py-1: WON 1764.101 on {NODE1} from 1
ex-py-2: lost 1764.101 on {NODE1} from 1: already claimed
ex-node-1: lost 1764.101 on {NODE1} from 1: already claimed
ex-node-2: too late for 1764.101 on {NODE1} from 1: offer over
ex-py-1: answered 1764.101 on {NODE1} from 1: holding 2000 ms
ex-node-2: WON 1764.202 on {NODE2} from 2
ex-py-1: lost 1764.202 on {NODE2} from 2: already claimed
ex-py-2: lost 1764.202 on {NODE2} from 2: already claimed
ex-node-1: lost 1764.202 on {NODE2} from 2: already claimed
ex-node-2: answered 1764.202 on {NODE2} from 2: holding 2000 ms
ex-py-1: hung up 1764.101 on {NODE1} from 1
ex-py-2: WON 1764.203 on {NODE2} from 3
ex-py-1: too late for 1764.203 on {NODE2} from 3: offer over
ex-node-1: lost 1764.203 on {NODE2} from 3: already claimed
ex-node-2: lost 1764.203 on {NODE2} from 3: already claimed
ex-py-2: answered 1764.203 on {NODE2} from 3: holding 2000 ms
ex-node-2: hung up 1764.202 on {NODE2} from 2
ex-py-1: claim failed for 1764.204 on {NODE2} from 4: HTTPConnectionPool(host='127.0.0.12', \
port=8088): Max retries exceeded with url: /ari/events/claim?channelId=1764.204&application=\
ex-py-1 (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f2c1b0>: \
Failed to establish a new connection: [Errno 111] Connection refused'))
ex-py-2: claim failed for 1764.204 on {NODE2} from 4: ('Connection aborted.', \
RemoteDisconnected('Remote end closed connection without response'))
ex-node-1: claim failed for 1764.204 on {NODE2} from 4: socket hang up
ex-node-2: claim failed for 1764.204 on {NODE2} from 4: connect ECONNREFUSED 127.0.0.12:8088
ex-node-1: claim failed for 1764.205 on {NODE2} from 5: 500 {{"message": "Internal: error"}}
ex-py-2: hangup failed for 1764.203 on {NODE2} from 3: HTTPConnectionPool(host='127.0.0.12', \
port=8088): Read timed out. (read timeout=5.0)
ex-py-1: disconnected from {NODE2} (Connection to remote host was lost.); reconnecting
ex-py-2: disconnected from {NODE2} (Connection to remote host was lost.); reconnecting
ex-node-1: disconnected from {NODE2} (socket hang up); reconnecting
ex-node-2: disconnected from {NODE2} (socket hang up); reconnecting
ex-py-1: cannot reach {NODE2} ([Errno 111] Connection refused); retrying in 0.24 s
ex-node-1: cannot reach {NODE2} (fetch failed); retrying in 0.27 s
ex-node-1: WON 1764.106 on {NODE1} from 6
ex-py-1: lost 1764.106 on {NODE1} from 6: already claimed
ex-py-2: lost 1764.106 on {NODE1} from 6: already claimed
ex-node-2: too late for 1764.106 on {NODE1} from 6: offer over
ex-node-1: answered 1764.106 on {NODE1} from 6: holding 2000 ms
ex-py-1: WON 1764.107 on {NODE1} from 7
ex-py-2: pass on 1764.107 on {NODE1} from 7: called 100
ex-node-1: lost 1764.107 on {NODE1} from 7: already claimed
ex-node-2: too late for 1764.107 on {NODE1} from 7: offer over
ex-py-1: answered 1764.107 on {NODE1} from 7: playing beep
ex-node-2: WON 1764.108 on {NODE1} from 8
ex-node-2: answer failed for 1764.108 on {NODE1} from 8: {{"message":"Channel not found"}}
ex-node-1: hangup failed for 1764.106 on {NODE1} from 6: Channel not found
ex-node-1: ari-client: 503 : Service Unavailable http://127.0.0.12:8088/ari/api-docs/resources.json
ex-py-1: connected to {NODE2}
ex-py-2: connected to {NODE2}
ex-node-1: connected to {NODE2}
ex-node-2: connected to {NODE2}
ex-py-1: hung up 1764.107 on {NODE1} from 7
ex-py-2: WON 1764.209 on {NODE2} from 9
ex-py-1: lost 1764.209 on {NODE2} from 9: already claimed
ex-node-1: lost 1764.209 on {NODE2} from 9: already claimed
ex-node-2: lost 1764.209 on {NODE2} from 9: already claimed
ex-py-2: answered 1764.209 on {NODE2} from 9: holding 2000 ms
ex-py-2: hung up 1764.209 on {NODE2} from 9
""".splitlines()

WON = {1: [("ex-py-1", "node1")], 2: [("ex-node-2", "node2")], 3: [("ex-py-2", "node2")],
       6: [("ex-node-1", "node1")], 7: [("ex-py-1", "node1")], 8: [("ex-node-2", "node1")],
       9: [("ex-py-2", "node2")]}
OFFERED = {1: {"node1"}, 2: {"node2"}, 3: {"node2"}, 4: {"node2"}, 5: {"node2"}, 6: {"node1"},
           7: {"node1"}, 8: {"node1"}, 9: {"node2"}}


class Proxy:
    """Kamailio, as far as the accounting reads it: its decisions."""

    def __init__(self, decisions):
        self._decisions = decisions

    def decisions(self, kind=None):
        return [d for d in self._decisions if kind in (None, d.kind)]


@pytest.fixture
def replayed():
    """A Cluster (nothing started) whose agents replay LINES."""
    cluster = Cluster()
    cond = threading.Condition()
    try:
        for name in AGENTS:
            said = "\n".join(line for line in LINES if line.startswith(f"{name}: "))
            agent = AgentProcess([sys.executable, "-c", "import sys; print(sys.argv[1])", said],
                                 name, cond)
            cluster.agents.append(agent)
            wait_until(lambda: agent.ended, 10, f"{name}'s lines", cond=cond)
        yield cluster
    finally:
        for agent in cluster.agents:
            agent.stop()


def test_failed_claims_on_the_killed_node_count_as_offers(replayed):
    won, offered, hanging_up = what_agents_did(replayed, "node2")
    assert dict(won) == WON
    assert dict(offered) == OFFERED
    # Their winners hung calls 2 and 9 up on node2, and tried to with call 3.
    assert hanging_up == {2, 3, 9}


def test_the_demo_accounts_for_the_run_and_prints_every_figure(replayed):
    import cluster_demo

    at = int(time.time()) - 60.0   # the run, a minute before its lines were read
    relays = [(1, 1.0, "11"), (2, 2.0, "12"), (3, 3.0, "12"), (4, 4.9, "12"), (5, 5.02, "12"),
              (6, 5.5, "12"), (7, 7.0, "11"), (8, 7.5, "11"), (9, 9.0, "12")]
    decisions = [Decision(at + t, "relay", call, f"127.0.0.{n}") for call, t, n in relays]
    decisions += [Decision(at + 6.5, "silent", 6, "127.0.0.12"),
                  Decision(at + 6.5, "relay", 6, "127.0.0.11")]
    replayed.kamailio = Proxy(sorted(decisions))
    answered = {1: "127.0.0.11:5060", 2: "127.0.0.12:5060", 6: "127.0.0.11:5060",
                7: "127.0.0.11:5060", 9: "127.0.0.12:5060"}
    result = SippResult(sent=9, successful=5, failed=4, answered=answered,
                        invite_to_200_ms=[10.0, 11.0, 12.0, 13.0, 14.0], answer_span_s=8.0,
                        elapsed_s=12.0, returncode=1)
    timeline = {"snapshot_at": at + 5.0, "killed_at": at + 5.05, "down_at": at + 6.5,
                "restarted_at": at + 8.0, "up_at": at + 8.3}

    run = account(replayed, "node2", result, {2, 3, 4}, timeline)

    figures = run.figures
    assert figures["answered_per_node"] == {"node1": 3, "node2": 2}
    assert figures["answered_by_victim_after_return"] == 1                  # call 9
    assert figures["held_at_kill"] == 4                                     # 2, 3, 4 and 5
    assert run.calls["lost"] == [3, 4, 5, 8]
    assert figures["lost_on_other_nodes"] == 1                              # 8: no answer
    assert (figures["double_claimed"], figures["offered_on_two_nodes"]) == (0, 0)
    assert figures["sent_to_dead_node_then_rerouted"] == 1                  # call 6
    assert run.calls["won"] == WON
    assert run.calls["hanging_up_on_victim"] == [2, 3, 9]
    assert set(figures["agents_reconnected_after_restart_s"]) == set(AGENTS)
    rows = dict(cluster_demo.counted(run))
    assert all(str(value) for value in rows.values()), rows
    assert rows["calls lost (held by node2, not hung up yet)"] == "4 (3, 4, 5, 8)"
    assert rows["  of which ended anyway (hung up, BYE already sent)"] == "1 (2)"
    assert rows["kill -9 -> Kamailio stops routing to node2"] == "1.45 s (probe every 1 s)"
