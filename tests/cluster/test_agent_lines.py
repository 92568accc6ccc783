"""The example agents' lines about calls, with no Asterisk: whatever the
outcome, the caller and the reason text, a line printed by the Python agent
or the Node.js agent (their own code, examples/*/agent.*) is read back by
sandbox/lib/agents.py's parser as it was meant, and both agents print the
same line for the same call.
"""

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from agents import EXAMPLES, OUTCOMES, CallLine, parse_call

CALLERS = ["45", "+33123456789", "-", "", "45:", "John \"JJ\": 12", "a\nb", "ünï cödé"]
DETAILS = [
    None,
    "",
    "already claimed",
    # What a claim sent to a node as it is killed fails with, in each language.
    "HTTPConnectionPool(host='127.0.0.12', port=8088): Max retries exceeded with url: "
    "/ari/events/claim?channelId=1764.204&application=ex-py-1 (Caused by NewConnectionError("
    "'<urllib3.connection.HTTPConnection object at 0x7f2c1b0>: Failed to establish a new "
    "connection: [Errno 111] Connection refused'))",
    "connect ECONNREFUSED 127.0.0.12:8088",
    '500 {"message": "Internal: error", "detail": {"from": "45: x"}}',
    "two\nlines\r\nand: a colon",
    "ex-node-1: WON 1764.9 on 127.0.0.11:8088 from 9",
]
# Every line either agent can print about a call: name, outcome, channel,
# node, caller, detail.
CASES = [("ex-1", outcome, "1764.45", "127.0.0.12:8088", caller, detail)
         for outcome in OUTCOMES for caller in CALLERS for detail in DETAILS]


def python_lines(cases):
    path = EXAMPLES / "python" / "agent.py"
    spec = importlib.util.spec_from_file_location("example_agent", path)
    agent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agent)
    return [agent.call_line(*case) for case in cases]


def node_lines(cases):
    script = ("const { callLine } = require(process.argv[1]);"
              "for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8')))"
              "  console.log(callLine(...c));")
    printed = subprocess.run(["node", "-e", script, str(EXAMPLES / "node" / "agent.js")],
                             input=json.dumps(cases), capture_output=True, text=True, check=True)
    return printed.stdout.split("\n")[:-1]


PRINTERS = {"python": python_lines, "node": node_lines}


@pytest.fixture(scope="module", params=sorted(PRINTERS))
def printed(request):
    """The lines one agent prints for CASES, as a reader of its output gets them."""
    return PRINTERS[request.param](CASES)


def test_every_line_about_a_call_is_read_back_as_printed(printed):
    assert len(printed) == len(CASES)
    for line, (agent, outcome, channel, node, caller, detail) in zip(printed, CASES):
        assert not re.search(r"[\r\n]", line), repr(line)
        if detail is not None:
            detail = re.sub(r"[\r\n]+", " ", detail)
        assert parse_call(line) == CallLine(agent, outcome, channel, node, caller, detail), line


def test_python_and_node_agents_print_the_same_lines():
    assert python_lines(CASES) == node_lines(CASES)


def test_plain_callers_and_short_reasons_read_as_they_always_did():
    assert python_lines([("ex-py-1", "WON", "1764.45", "127.0.0.12:8088", "45", None),
                         ("ex-py-1", "lost", "1764.45", "127.0.0.12:8088", "45",
                          "already claimed")]) == [
        "ex-py-1: WON 1764.45 on 127.0.0.12:8088 from 45",
        "ex-py-1: lost 1764.45 on 127.0.0.12:8088 from 45: already claimed"]


@pytest.mark.parametrize("line", [
    "ex-py-1: connected to 127.0.0.12:8088",
    "ex-py-1: disconnected from 127.0.0.12:8088 (Connection to remote host was lost.); reconnecting",
    "ex-node-1: cannot reach 127.0.0.12:8088 (fetch failed); retrying in 0.27 s",
    "ex-node-1: ari-client: 503 : Service Unavailable http://127.0.0.12:8088/ari/api-docs/resources.json",
    "ex-py-1: WON 1764.45 on 127.0.0.12:8088",
    'ex-py-1: WON 1764.45 on 127.0.0.12:8088 from "45',
    "ex-py-1: waved at 1764.45 on 127.0.0.12:8088 from 45",
])
def test_other_lines_are_not_about_a_call(line):
    assert parse_call(line) is None
