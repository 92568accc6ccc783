"""SPEC section 7: Asterisk killed with kill -9 in mid-load, and restarted.

An instance of its own (the session's is shared by the other tests) with the
example agents, Python and Node, holding the calls they win. Part way through
a stream of calls Asterisk is killed outright. It must come back clean (our
modules loaded, no broadcast or channel left over from before), the agents
must reconnect by themselves, and new calls must be offered and claimed
normally: each won exactly once, answered and hung up by its winner.
"""

import os
import re
import signal
import threading
import time

import pytest
from agents import AgentProcess, agent_command
from ari import Ari
from instance import Instance
from process import wait_gone
from waiting import wait_until

pytestmark = pytest.mark.instance

PORT = 8099
CALLS = 10


@pytest.fixture
def node(node_modules):
    instance = Instance("restart", PORT).start()
    yield instance
    instance.stop()


@pytest.fixture
def agents(node):
    url = f"http://127.0.0.1:{PORT}"
    cond = threading.Condition()
    started = []
    try:
        for language in ("python", "node"):
            name = f"rs-{language}"
            started.append(AgentProcess(agent_command(language, name, [url], hold_ms=1500),
                                        name, cond))
        yield started
    finally:
        for agent in started:
            agent.stop()


def offer_calls(ari, count):
    return [ari.originate("offer", {"BC_TIMEOUT": "5000", "BC_FILTER": "^rs-"})
            for _ in range(count)]


def winners(agents, call):
    return [a for a in agents if a.calls("WON", channel=call.channel_id)]


def test_kill_minus_nine_in_mid_load_and_restart(node, agents):
    ari = Ari(PORT)
    before = offer_calls(ari, CALLS)
    # Mid-load: some calls won and being held, others still on offer.
    wait_until(lambda: sum(bool(winners(agents, c)) for c in before) >= 3, 15,
               "a few calls won before the kill", cond=agents[0]._cond)
    pid = node.pid
    killed_at = time.time()
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)

    node.start()
    assert "0 live broadcasts" in node.cli("stasis broadcast show channels")
    assert "0 active channels" in node.cli("core show channels count")
    shown = node.cli("module show like stasis_broadcast")
    for module in ("res_stasis_broadcast", "app_stasis_broadcast"):
        assert re.search(rf"{module}\.so\s+StasisBroadcast strict: .* Running", shown), shown

    for agent in agents:
        wait_until(lambda: agent.connected_to(f"127.0.0.1:{PORT}", since=killed_at),
                   30, f"{agent.name} to reconnect; it said {agent.lines[-6:]}", cond=agent._cond)

    after = offer_calls(ari, CALLS)
    for call in after:
        wait_until(lambda: winners(agents, call), 15, f"a winner of {call.id}", cond=agents[0]._cond)
        won = winners(agents, call)
        assert len(won) == 1, f"{call.id}: won by {[a.name for a in won]}"
        won[0].wait_call("hung up", call.channel_id, timeout=15)
