"""examples/python and examples/node, run as shipped with one --url,
competing for calls: every call is won by exactly one agent, which answers,
plays and hangs up. (tests/cluster runs them against several nodes.)"""

import threading

import pytest
from agents import AgentProcess, agent_command
from helpers import UNREGISTER_TOLD
from waiting import wait_until

CALLS = 8
TAGS = ["sales", "support", "vip"]
# Sales calls are raced by the two Python agents, support calls by the two
# Node agents, VIP calls by one of each: both languages are sure to win.
SPECS = [("python", "ex-py-sales", "sales"), ("python", "ex-py-vip", "sales,vip"),
         ("node", "ex-node-support", "support"), ("node", "ex-node-vip", "support,vip")]
WANTED_BY = {tag: {name for _, name, wants in SPECS if tag in wants.split(",")} for tag in TAGS}


@pytest.fixture
def agents(asterisk, node_modules):
    url = f"http://127.0.0.1:{asterisk.port}"
    started = []
    cond = threading.Condition()
    try:
        for language, name, wants in SPECS:
            started.append(AgentProcess(agent_command(language, name, [url], wants), name, cond))
        yield started
    finally:
        for agent in started:
            agent.stop()


def test_python_and_node_agents_handle_each_call_once(ari, agents):
    tags = [TAGS[i % len(TAGS)] for i in range(CALLS)]
    calls = [ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^ex-", "BC_TAG": tag})
             for tag in tags]
    try:
        for call, tag in zip(calls, tags):
            def winners():
                return [a for a in agents if a.calls("WON", channel=call.channel_id)]
            wait_until(winners, 15, f"a winner of {call.id}", cond=agents[0]._cond)
            won = winners()
            assert len(won) == 1, f"{call.id}: winners {[a.name for a in won]}"
            assert won[0].name in WANTED_BY[tag], f"{tag} call {call.id} won by {won[0].name}"
            won[0].wait_call("hung up", call.channel_id)
            for agent in agents:
                hung_up = agent.calls("hung up", channel=call.channel_id)
                assert len(hung_up) == (1 if agent is won[0] else 0), agent.name
    finally:
        for call in calls:
            call.hangup()

    # Both languages won calls (each had a tag of its own).
    assert any(a.calls("WON") for a in agents if "py" in a.name)
    assert any(a.calls("WON") for a in agents if "node" in a.name)
    for agent in agents:
        assert not agent.calls("claim failed for"), agent.lines


@pytest.fixture
def pool(asterisk, node_modules):
    """Start example agents: pool(language, name, wants, *options)."""
    url = f"http://127.0.0.1:{asterisk.port}"
    started = []
    cond = threading.Condition()

    def start(language, name, wants, *extra):
        started.append(AgentProcess(agent_command(language, name, [url], wants, hold_ms=200,
                                                  extra=extra), name, cond))
        return started[-1]
    yield start
    for agent in started:
        agent.stop()


@pytest.mark.ours_only
@pytest.mark.skipif(not UNREGISTER_TOLD, reason="this Asterisk does not tell modules when an "
                    "application's connection closes")
def test_a_crashing_winner_hands_the_call_to_another_agent(pool, calls):
    """Best mode: the Python agent with the skill wins, crashes (SIGKILL) as it
    wins; the call is offered again and the Node agent, claiming through
    ari-client's client.broadcasts.claim(), takes it. A third agent declines."""
    fragile = pool("python", "ex-pool-fragile", "vip", "--crash-after-win")
    steady = pool("node", "ex-pool-steady", "*")
    sales = pool("python", "ex-pool-sales", "sales", "--decline")
    # The winner hangs the call up itself: no report from the dialplan.
    call = calls.offer(timeout=5000, app_filter="^ex-pool-", options="w(2000)",
                       variables={"BC_TAG": "vip"}, observed=False)
    steady.wait_call("hung up", call.channel_id, timeout=15)
    assert fragile.calls("WON", channel=call.channel_id)[0].detail == "crashing on purpose"
    assert [c.detail for c in steady.calls("WON", "lost", channel=call.channel_id)] == \
        ["already claimed", "score 0"], "lost the first offer, won the second"
    assert sales.calls("declined", channel=call.channel_id)


@pytest.mark.ours_only
def test_agents_that_all_decline_let_the_dialplan_go_on_at_once(pool, calls, observer):
    """Nobody wants the call: each agent declines, the dialplan's fallback runs."""
    agents = [pool("python", "ex-pool-py", "sales", "--decline"),
              pool("node", "ex-pool-node", "sales", "--decline", "yes")]
    call = calls.offer(timeout=10000, app_filter="^ex-pool-", variables={"BC_TAG": "spam"})
    report = observer.report(call, timeout=15)
    assert (report["status"], report["reason"], report["declined"]) == ("TIMEOUT", "DECLINED", 2)
    assert report["elapsed_ms"] < 3000
    for agent in agents:
        agent.wait_call("declined", call.channel_id)


@pytest.mark.ours_only
def test_the_least_loaded_agent_with_the_skill_wins(pool, calls):
    """Best mode: an agent already holding a call scores less than an idle one."""
    busy = pool("python", "ex-pool-busy", "sales")
    idle = pool("node", "ex-pool-idle", "sales")
    first = calls.offer(timeout=5000, app_filter=f"^{busy.name}$", variables={"BC_TAG": "sales"},
                        observed=False)
    busy.wait_call("answered", first.channel_id)
    call = calls.offer(timeout=5000, app_filter="^ex-pool-", options="w(1000)",
                       variables={"BC_TAG": "sales"}, observed=False)
    idle.wait_call("WON", call.channel_id, timeout=15)
    assert idle.calls("WON", channel=call.channel_id)[0].detail == "score 100"
    busy.wait_call("lost", call.channel_id)
