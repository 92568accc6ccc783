"""The example agents (examples/python, examples/node) as test processes.

They print one line per thing they do; every line about a call names the
channel, the node (ARI host:port) and the caller:

    NAME: connected to NODE
    NAME: WON CHANNEL on NODE from CALLER
    NAME: lost CHANNEL on NODE from CALLER (already claimed)
    NAME: too late for CHANNEL on NODE from CALLER (offer over)
    NAME: answered CHANNEL on NODE, holding MS ms
    NAME: hung up CHANNEL on NODE

`parse_claim()` reads the claim lines back, for counting.
"""

import re
import sys
from collections import namedtuple
from pathlib import Path

from process import Watched

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

LANGUAGES = {
    "python": [sys.executable, str(EXAMPLES / "python" / "agent.py")],
    "node": ["node", str(EXAMPLES / "node" / "agent.js")],
}

Claim = namedtuple("Claim", "agent outcome channel node caller")
_CLAIM = re.compile(r"^(\S+): (WON|lost|too late for|claim failed for) (\S+) on (\S+) from (\S+)")


def parse_claim(line):
    """A Claim for a claim line (outcome WON, lost, too late for, claim
    failed for), else None."""
    match = _CLAIM.match(line)
    return Claim(*match.groups()) if match else None


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

    def claims(self):
        return [claim for claim in map(parse_claim, self.lines) if claim]

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
