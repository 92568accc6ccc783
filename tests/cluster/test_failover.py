"""SPEC §8, more than one Asterisk: real SIP calls through Kamailio to two
nodes, the example agents on both, one node killed with kill -9 in mid-run
and brought back. Every count comes from the parts' own records (SIPp,
Kamailio, the agents, the dying node's channels); see sandbox/lib/cluster.py.
"""

from conftest import CALLS

from cluster import NODES


def test_sipp_placed_every_call_and_agrees_with_its_log(failover):
    figures, calls = failover
    assert figures["calls_sent"] == CALLS
    assert figures["sipp_successful"] == len(calls["answered"])
    assert figures["sipp_failed"] == len(calls["lost"])


def test_calls_spread_across_both_nodes(failover):
    answered = failover.figures["answered_per_node"]
    assert set(answered) == set(NODES), answered
    for node, count in answered.items():
        assert count >= CALLS // 5, f"{node} answered only {count} of {CALLS} calls"


def test_each_call_offered_and_claimed_exactly_once_on_the_node_that_received_it(failover):
    calls = failover.calls
    for call, node in calls["answered"].items():
        sent_to = calls["final_node"].get(call)
        assert sent_to == node, f"call {call} answered by {node}, Kamailio sent it to {sent_to}"
        assert calls["offered"].get(call) == [node], f"call {call} offered on {calls['offered'].get(call)}"
        won = calls["won"].get(call, [])
        assert [won_on for _, won_on in won] == [node], f"call {call} answered by {node}, won {won}"
    assert failover.figures["offered_on_two_nodes"] == 0
    assert failover.figures["double_claimed"] == 0


def test_kamailio_stops_routing_to_the_dead_node_within_its_probing(failover):
    figures, calls = failover
    # A probe every probe_interval_s, failed after silence_s without a reply;
    # an INVITE that gets no reply in silence_s takes the node out sooner.
    bound = figures["probe_interval_s"] + figures["silence_s"] + 0.5
    assert figures["stopped_routing_after_s"] <= bound, figures
    timeline = calls["timeline"]
    victim = NODES[figures["victim"]]
    for decision in calls["to_dead"]:
        # Sent to the dead node before Kamailio took it out, then moved on:
        # answered by the other node, the caller none the wiser.
        assert decision["at"] <= timeline["down_at"]
        call = decision["caller"]
        assert calls["answered"].get(call) not in (None, figures["victim"]), f"call {call}"
        assert [r["kind"] for r in calls["relays"][call]] == ["relay", "silent", "relay"], call
    for call, decisions in calls["relays"].items():
        for sent in (d for d in decisions if d["kind"] == "relay" and d["node"] == victim):
            assert not timeline["down_at"] < sent["at"] < timeline["up_at"], \
                f"call {call} sent to {victim} while it was out"


def test_calls_lost_are_exactly_those_the_dead_node_held(failover):
    figures, calls = failover
    held, lost = set(calls["held"]), set(calls["lost"])
    assert lost, "the kill should have cost the calls the node held"
    # The node's channels were read a moment before the kill; a call on its
    # way to the node then (arrived_late) was held too if it was lost.
    unexplained = lost - held - set(calls["arrived_late"])
    assert not unexplained, f"lost but not held by the node: {sorted(unexplained)}"
    # A held call that still completed was being hung up by its winner as the
    # node died: its BYE had left.
    assert held - lost <= set(calls["hanging_up_on_victim"]), sorted(held - lost)
    assert figures["lost_on_other_nodes"] == 0
    for call in lost:
        assert set(calls["offered"].get(call, [])) <= {figures["victim"]}, call
        assert len(calls["won"].get(call, [])) <= 1, call


def test_the_node_is_used_again_and_the_agents_reconnect_with_backoff(failover, cluster):
    figures, calls = failover
    assert figures["answered_by_victim_after_return"] >= 10, figures
    killed_at = calls["timeline"]["killed_at"]
    label = cluster.label(figures["victim"])
    for agent in cluster.agents:
        assert agent.connected_to(label, since=killed_at), f"{agent.name} did not come back"
        delays = agent.retry_delays(label, since=killed_at)
        assert delays, f"{agent.name} never retried {label}"
        # Exponential backoff, doubling with +-20% jitter: each wait at least
        # 2 x 0.8 / 1.2 of the one before, until the cap (4 s, less 20%).
        for before, after in zip(delays, delays[1:]):
            assert after >= min(before * 1.33, 3.2), f"{agent.name}: {delays}"
