"""examples/python and examples/node, run as shipped with one --url,
competing for calls: every call is won by exactly one agent, which answers,
plays and hangs up. (tests/cluster runs them against several nodes.)"""

import threading

import pytest
from agents import AgentProcess, agent_command
from process import wait_until

CALLS = 8


@pytest.fixture
def agents(asterisk, node_modules):
    url = f"http://127.0.0.1:{asterisk.port}"
    specs = [("python", "ex-py-sales", "sales"), ("python", "ex-py-any", "*"),
             ("node", "ex-node-support", "support"), ("node", "ex-node-any", "*")]
    started = []
    cond = threading.Condition()
    try:
        for language, name, wants in specs:
            started.append(AgentProcess(agent_command(language, name, [url], wants), name, cond))
        yield started
    finally:
        for agent in started:
            agent.stop()


def test_python_and_node_agents_handle_each_call_once(ari, agents):
    calls = [ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^ex-",
                                     "BC_TAG": ["sales", "support", "vip"][i % 3]})
             for i in range(CALLS)]
    try:
        for call in calls:
            def winners():
                return [a for a in agents if a.said(rf"WON {call.channel_id} ")]
            wait_until(agents[0]._cond, winners, 15, f"a winner of {call.id}")
            won = winners()
            assert len(won) == 1, f"{call.id}: winners {[a.name for a in won]}"
            won[0].wait_line(f"hung up {call.channel_id} ")
            for agent in agents:
                hung_up = agent.said(rf"hung up {call.channel_id} ")
                assert len(hung_up) == (1 if agent is won[0] else 0), agent.name
    finally:
        for call in calls:
            call.hangup()

    # Both languages took part, and the specialists only claimed their own tags.
    assert any(a.said("WON") for a in agents if "py" in a.name)
    assert any(a.said("WON") for a in agents if "node" in a.name)
    for agent in agents:
        assert all("lost" in line or "too late" in line or "WON" in line
                   for line in agent.said(r"WON|lost|too late|claim failed")), agent.lines
