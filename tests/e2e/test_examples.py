"""examples/python and examples/node, run as shipped with one --url,
competing for calls: every call is won by exactly one agent, which answers,
plays and hangs up. (tests/cluster runs them against several nodes.)"""

import threading

import pytest
from agents import AgentProcess, agent_command
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
