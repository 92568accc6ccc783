"""The example agents (examples/python, examples/node) as test processes.

They print one line per thing they do. Every line about a call has one
format, the same from both agents, so that one parser (`parse_call`) reads
them all back, for the tests and the cluster demo's accounting alike:

    NAME: OUTCOME CHANNEL on NODE from CALLER[: DETAIL]

    ex-py-1: WON 1733.45 on 127.0.0.12:8088 from 45
    ex-node-2: lost 1733.45 on 127.0.0.12:8088 from 45: already claimed
    ex-py-2: claim failed for 1733.46 on 127.0.0.12:8088 from 46: HTTPConnectionPool(...): ...
    ex-py-1: answered 1733.45 on 127.0.0.12:8088 from 45: holding 2000 ms
    ex-py-3: declined 1733.47 on 127.0.0.12:8088 from 47: called 100
    ex-py-1: WON 1733.48 on 127.0.0.12:8088 from 48: score 90
    ex-py-1: hung up 1733.45 on 127.0.0.12:8088 from 45

- OUTCOME is one of OUTCOMES below;
- CHANNEL (the channel id) and NODE (the node's ARI host:port) are
  Asterisk's and have no spaces;
- CALLER, the caller id number, is written as it is when it is made of
  letters, digits and + * # . _ - only, else (empty, spaces, colons, quotes...)
  as a JSON string: from "", from "John: 12";
- DETAIL, after the first ": " that follows CALLER, is free text to the end of
  the line (a reason, an error, a JSON body), its line breaks made spaces.

Other lines (connected to NODE, cannot reach NODE ..., disconnected from
NODE ...) are about connections, not calls.
"""

import json
import re
import sys
from collections import namedtuple
from pathlib import Path

from process import Watched
from waiting import wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

LANGUAGES = {
    "python": [sys.executable, str(EXAMPLES / "python" / "agent.py")],
    "node": ["node", str(EXAMPLES / "node" / "agent.js")],
}

# What an agent says about a call. A new outcome is one more entry here (and
# its line in the agents). The agent's reply to an offer comes first: one of
# these per offer an agent got.
OFFER_REPLIES = (
    "WON",                  # claimed: 204, the call is the agent's; DETAIL, in
                            # best mode: score N; with --crash-after-win:
                            # crashing on purpose
    "lost",                 # 409: another agent claimed it first
    "too late for",         # 404: the offer was over
    "claim failed for",     # no answer, or another status: DETAIL says which
    "pass on",              # not wanted (its BC_TAG); DETAIL: the number called
    "declined",             # not wanted, and declined (--decline); DETAIL: the number called
    "decline failed for",   # DETAIL: the error, or the status and body
)
# Then what a winner does with its call.
AFTER_WINNING = (
    "answered",             # DETAIL: holding MS ms, or playing SOUND
    "answer failed for",    # DETAIL: the error
    "hung up",
    "hangup failed for",    # DETAIL: the error
)
OUTCOMES = OFFER_REPLIES + AFTER_WINNING

CallLine = namedtuple("CallLine", "agent outcome channel node caller detail")
_CALLER_AS_IS = r"[\w+*#.-]+"
_CALL_LINE = re.compile(
    rf"(?P<agent>.+?): (?P<outcome>{'|'.join(map(re.escape, OUTCOMES))}) (?P<channel>\S+) "
    rf'on (?P<node>\S+) from (?P<caller>{_CALLER_AS_IS}|"(?:[^"\\]|\\.)*")(?:: (?P<detail>.*))?',
    re.ASCII | re.DOTALL)


def parse_call(line):
    """The CallLine of an agent's line about a call (caller decoded, detail
    None when there is none), else None."""
    match = _CALL_LINE.fullmatch(line)
    if not match:
        return None
    fields = match.groupdict()
    if fields["caller"].startswith('"'):
        try:
            fields["caller"] = json.loads(fields["caller"])
        except ValueError:
            return None
    return CallLine(**fields)


def agent_command(language, name, urls, wants="*", hold_ms=None, user="test", password="test",
                  extra=()):
    """The command line of an example agent; EXTRA are more of its options
    (--claim-over ws; --listen HOST:PORT, where URLS are not used)."""
    command = LANGUAGES[language] + ["--url", ",".join(urls), "--name", name, "--wants", wants,
                                     "--user", user, "--password", password, *extra]
    return command + (["--hold", str(hold_ms)] if hold_ms else [])


class AgentProcess(Watched):
    """An example agent in its own process. Agents may share one condition
    so a test can await a line from any of them. It is ready once it says
    READY ("connected", or "listening" for an agent Asterisk dials)."""

    def __init__(self, command, name, cond=None, log=None, ready="connected"):
        super().__init__(command, name, cond=cond, log=log)
        self.wait_line(f"{name}: {ready}", timeout=30)

    def calls(self, *outcomes, channel=None):
        """What it said about calls (CallLines): those of OUTCOMES if given,
        about CHANNEL if given."""
        return [call for call in map(parse_call, self.lines)
                if call and (not outcomes or call.outcome in outcomes)
                and channel in (None, call.channel)]

    def wait_call(self, outcome, channel, timeout=10.0):
        """Wait for it to say OUTCOME about the call of CHANNEL."""
        return wait_until(lambda: self.calls(outcome, channel=channel), timeout,
                          f"{self.name}: {outcome} {channel}", cond=self._cond)

    def retry_delays(self, node, since=0.0):
        """The waits (seconds) the agent chose between attempts to reach NODE."""
        pattern = re.compile(rf"^{re.escape(self.name)}: cannot reach {re.escape(node)} .*"
                             r"retrying in ([0-9.]+) s$")
        with self._cond:
            return [float(match.group(1)) for at, line in self.timed
                    if at >= since and (match := pattern.match(line))]

    def connected_to(self, node, since=0.0):
        """When the agent said it connected to NODE (host:port), after SINCE."""
        text = f"{self.name}: connected to {node}"
        with self._cond:
            return [at for at, line in self.timed if line == text and at >= since]
