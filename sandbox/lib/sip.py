"""Real SIP in the sandbox: Asterisk nodes with PJSIP, SIPp callers and a
Kamailio proxy, each its own process on its own loopback address.

A call is named by its SIPp call number everywhere: SIPp sends it as the
caller (From user), so Kamailio logs it, the agents see it as the
CallBroadcast's `caller`, and SIPp logs it with the node that answered.
"""

import csv
import glob
import os
import re
import signal
import subprocess
import time
from collections import namedtuple
from pathlib import Path

from instance import Instance
from process import Watched
from waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
SIP_DIR = REPO / "sandbox" / "sip"
KAMAILIO_CFG = REPO / "sandbox" / "cluster" / "kamailio.cfg"
SIP_PORT = 5060


def sip_node(name, addr, port=8088, stock=False):
    """An Asterisk instance that takes calls over SIP on ADDR:5060 and offers
    each with StasisBroadcast() (sandbox/sip/dialplan.conf)."""
    return Instance(name, port, stock=stock, addr=addr, sip=SIP_DIR / "pjsip.conf",
                    dialplan=SIP_DIR / "dialplan.conf")


# answered: {call number: node address}; invite_to_200_ms: one per answered
# call; answer_span_s: from the first 200 OK to the last (how long the calls
# took to place: (sent - 1) / rate when SIPp kept its rate).
SippResult = namedtuple("SippResult", "sent successful failed answered invite_to_200_ms "
                                      "answer_span_s elapsed_s returncode")


class Sipp:
    """One SIPp run of sandbox/sip/call.xml: CALLS calls at RATE per second
    to TARGET (an address; port 5060). A call fails when the 200 OK or the
    BYE is not there RECV_TIMEOUT_MS after it was due."""

    def __init__(self, target, workdir, rate, calls, recv_timeout_ms, local="127.0.0.1",
                 local_port=5070, limit=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        for old in self.workdir.glob("*"):
            old.unlink()
        self.calls = calls
        self.command = [
            "sipp", f"{target}:{SIP_PORT}", "-sf", str(SIP_DIR / "call.xml"), "-s", "100",
            "-i", local, "-p", str(local_port), "-r", str(rate), "-m", str(calls),
            "-l", str(limit or max(100, int(rate * (recv_timeout_ms / 1000 + 5) * 2))),
            "-recv_timeout", str(recv_timeout_ms), "-nostdin",
            "-trace_logs", "-log_file", "answered.log",
            "-trace_stat", "-stf", "stats.csv", "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1",
            "-trace_err", "-error_file", "errors.log",
            # Ends a run that cannot finish (never expected: every call ends
            # by its own timeouts well before).
            "-timeout", f"{int(calls / rate + recv_timeout_ms / 1000 * 3 + 60)}s", "-timeout_error",
        ]
        self.process = None
        self.started = None

    def start(self):
        self.started = time.monotonic()
        with open(self.workdir / "stderr.log", "w") as errors:
            self.process = subprocess.Popen(self.command, cwd=self.workdir,
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=errors)
        return self

    def wait(self, timeout=None):
        """Wait for SIPp to end; returns the SippResult."""
        try:
            returncode = self.process.wait(timeout=timeout)
        finally:
            self.stop()
        return self.result(returncode, time.monotonic() - self.started)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)  # "quit": let calls end, then exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def result(self, returncode, elapsed):
        answered = {}
        path = self.workdir / "answered.log"
        for line in path.read_text().splitlines() if path.exists() else []:
            words = line.split()
            if len(words) == 3 and words[0] == "answered":
                answered[int(words[1])] = words[2]
        stats = self._stats()
        rtt, at = [], []
        for rtt_file in glob.glob(str(self.workdir / "*_rtt.csv")):
            with open(rtt_file) as rows:
                for row in csv.DictReader(rows, delimiter=";"):
                    rtt.append(float(row["response_time_ms"]))
                    at.append(float(row["Date_ms"]))
        return SippResult(sent=int(stats.get("OutgoingCall(C)", 0)),
                          successful=int(stats.get("SuccessfulCall(C)", 0)),
                          failed=int(stats.get("FailedCall(C)", 0)),
                          answered=answered, invite_to_200_ms=rtt,
                          answer_span_s=(max(at) - min(at)) / 1000 if at else 0.0,
                          elapsed_s=elapsed, returncode=returncode)

    def _stats(self):
        """The last (cumulative) row of SIPp's statistics file."""
        path = self.workdir / "stats.csv"
        if not path.exists():
            return {}
        rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
        return dict(zip(rows[0], rows[-1])) if len(rows) > 1 else {}


Decision = namedtuple("Decision", "at kind caller node")
_DECISION = re.compile(r"sb: @([0-9.]+) (\w+) (\S+)(?: (\S+))?")


def node_of(uri):
    """127.0.0.11 for sip:127.0.0.11:5060."""
    return uri.split(":")[1] if uri.startswith("sip:") else uri


def parse_decision(line):
    """The Decision a line of Kamailio's log records, else None: kind
    relay/silent/nonode (with the caller) or down/up/ready (caller None)."""
    match = _DECISION.search(line)
    if not match:
        return None
    at, kind, first, second = match.groups()
    if kind in ("down", "up", "ready"):
        return Decision(float(at), kind, None, node_of(first))
    return Decision(float(at), kind, int(first), node_of(second or ""))


class Kamailio(Watched):
    """Kamailio (sandbox/cluster/kamailio.cfg) on ADDR:5060 in front of NODES
    (addresses), in the foreground, logging to its output pipe."""

    def __init__(self, addr, nodes, workdir, probe_s=1, silence_ms=1000, answer_ms=5000,
                 cond=None):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "dispatcher.list").write_text(
            "".join(f"1 sip:{node}:{SIP_PORT}\n" for node in nodes))
        values = {"ADDR": addr, "MODULES": self.modules_dir(), "LIST": workdir / "dispatcher.list",
                  "PROBE_S": probe_s, "FR_MS": silence_ms, "FR_INV_MS": answer_ms}
        config = KAMAILIO_CFG.read_text()
        for key, value in values.items():
            config = config.replace(f"@{key}@", str(value))
        (workdir / "kamailio.cfg").write_text(config)
        self.addr = addr
        self.probe_s = probe_s
        self.silence_s = silence_ms / 1000
        super().__init__(["kamailio", "-f", str(workdir / "kamailio.cfg"), "-DD", "-E",
                          "-m", "64", "-M", "8", "-Y", str(workdir), "-w", str(workdir)],
                         "kamailio", cond=cond, log=workdir / "kamailio.log")
        wait_until(lambda: self.ended or self.decisions("ready"), 10, "Kamailio to start", cond=self._cond)
        if self.ended:
            self.stop()
            raise RuntimeError("Kamailio did not start:\n" + "\n".join(self.lines[-20:]))

    @staticmethod
    def modules_dir():
        found = glob.glob("/usr/lib/*/kamailio/modules/dispatcher.so")
        assert found, "Kamailio's dispatcher module is not installed"
        return os.path.dirname(found[0])

    def decisions(self, kind=None):
        """What the proxy decided so far, in order (see parse_decision)."""
        found = (parse_decision(line) for line in self.lines)
        return [d for d in found if d and (kind is None or d.kind == kind)]

    def wait_decision(self, kind, node=None, since=0.0, timeout=10.0):
        """The first decision of KIND (about NODE) made at or after SINCE."""
        def first():
            return next((d for d in self.decisions(kind)
                         if d.at >= since and (node is None or d.node == node)), None)
        wait_until(lambda: first() is not None, timeout,
                   f"Kamailio: {kind} {node or ''} after {since:.3f}", cond=self._cond)
        return first()
