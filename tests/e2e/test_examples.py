"""examples/python and examples/node, run as shipped, competing for calls:
every call is won by exactly one agent, which answers, plays and hangs up."""

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CALLS = 8


class AgentProcess:
    """An example agent in its own process; its output lines are kept.
    Agents share one condition so a test can await a line from any of them."""

    def __init__(self, command, name, cond):
        self.name = name
        self.lines = []
        self._cond = cond
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_line(f"{name}: connected", timeout=30)

    def _read(self):
        for line in self.process.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, text, timeout=10.0):
        wait_until(self._cond, lambda: any(text in line for line in self.lines), timeout,
                   f"{self.name}: '{text}'")

    def said(self, pattern):
        with self._cond:
            return [line for line in self.lines if re.search(pattern, line)]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def wait_until(cond, predicate, timeout, what):
    deadline = time.monotonic() + timeout
    with cond:
        while not predicate():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {what}"
            cond.wait(remaining)


@pytest.fixture(scope="module")
def node_modules():
    """The Node example's dependencies (ari-client), installed from its lock
    file before the sandbox went offline (sandbox/enter.sh)."""
    installed = EXAMPLES / "node" / "node_modules" / "ari-client"
    assert installed.is_dir(), "examples/node/node_modules is missing (run through sandbox/enter.sh)"


@pytest.fixture
def agents(asterisk, node_modules):
    common = ["--url", f"http://127.0.0.1:{asterisk.port}", "--user", "test",
              "--password", "test"]
    specs = [
        ([sys.executable, str(EXAMPLES / "python" / "agent.py")], "ex-py-sales", "sales"),
        ([sys.executable, str(EXAMPLES / "python" / "agent.py")], "ex-py-any", "*"),
        (["node", str(EXAMPLES / "node" / "agent.js")], "ex-node-support", "support"),
        (["node", str(EXAMPLES / "node" / "agent.js")], "ex-node-any", "*"),
    ]
    started = []
    cond = threading.Condition()
    try:
        for command, name, wants in specs:
            started.append(AgentProcess(command + common + ["--name", name, "--wants", wants],
                                        name, cond))
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
                return [a for a in agents if a.said(rf"WON {call.channel_id}$")]
            wait_until(agents[0]._cond, winners, 15, f"a winner of {call.id}")
            won = winners()
            assert len(won) == 1, f"{call.id}: winners {[a.name for a in won]}"
            won[0].wait_line(f"hung up {call.channel_id}")
            for agent in agents:
                hung_up = agent.said(rf"hung up {call.channel_id}$")
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
