"""The product for real: a sandboxed Asterisk running our modules, competing
ARI applications, and a handful of calls.

Each agent is a real ARI application on its own WebSocket. It sees every
CallBroadcast, decides from the call (the BC_TAG channel variable, listed in
ari.conf channelvars) whether and how fast to claim, declines what it does
not want, and when it wins it answers, plays a beep and hands the call back to
the dialplan. In best mode (the w() option) it claims with a score: 100 for a
call of its own skill, less 10 for each call it holds. One more agent is the
Python example agent (examples/python/agent.py) run with --crash-after-win: a
real process that kills itself as it wins, to show the call survive it.
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "sandbox" / "lib"))

from agents import parse_call  # noqa: E402
from ari import App, Ari, Observer  # noqa: E402
from instance import Instance  # noqa: E402

PORT = 8090


class Agent(App):
    """Claims the calls it `accepts` after `think_ms`, declines the others;
    `skills` are the tags it is best at (its score in best mode)."""

    def __init__(self, ari, name, accepts, skills, think_ms):
        self.accepts = accepts
        self.skills = skills
        self.think_ms = think_ms
        self.claims = {}
        self.held = set()
        self.lock = threading.Lock()
        super().__init__(ari, name, on_event=Agent._handle)

    @staticmethod
    def _handle(agent, event):
        kind = event.get("type")
        channel = event.get("channel", {})
        if kind == "CallBroadcast":
            tag = channel.get("channelvars", {}).get("BC_TAG", "")
            work = agent._claim if agent.accepts(tag) else agent._decline
            threading.Thread(target=work, args=(event, tag)).start()
        elif kind == "StasisStart":
            with agent.lock:
                agent.held.add(channel["id"])
            agent.ari.request("POST", f"/channels/{channel['id']}/answer")
            if "keep" not in event.get("args", []):
                agent.ari.request("POST", f"/channels/{channel['id']}/play",
                                  params={"media": "sound:beep"})
        elif kind == "StasisEnd":
            with agent.lock:
                agent.held.discard(channel["id"])
        elif kind == "PlaybackFinished":
            channel_id = event["playback"]["target_uri"].split(":", 1)[1]
            agent.ari.continue_in_dialplan(channel_id)

    def _claim(self, event, tag):
        channel_id = event["channel"]["id"]
        time.sleep(self.think_ms / 1000)
        sent = time.monotonic()
        if event.get("mode") == "best":
            with self.lock:
                score = (100 if tag in self.skills else 0) - 10 * len(self.held)
            status = self.ari.request("POST", f"/broadcasts/{channel_id}/claim",
                                      params={"application": self.name, "score": score}).status_code
            what = f"{status}, score {score}"
        else:
            status = self.claim(channel_id)
            what = str(status)
        with self.lock:
            self.claims.setdefault(channel_id, []).append(
                f"offer {event['offer']}: {what} ({(time.monotonic() - sent) * 1000:.1f} ms)")

    def _decline(self, event, tag):
        channel_id = event["channel"]["id"]
        status = self.ari.request("POST", f"/broadcasts/{channel_id}/decline",
                                  params={"application": self.name}).status_code
        with self.lock:
            self.claims.setdefault(channel_id, []).append(f"offer {event['offer']}: declined "
                                                          f"({status})")


class Fragile:
    """The Python example agent, run to crash as it wins a VIP call."""

    def __init__(self, name):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "examples" / "python" / "agent.py"), "--url",
             f"http://127.0.0.1:{PORT}", "--name", name, "--wants", "vip", "--decline",
             "--user", "test", "--password", "test", "--crash-after-win"],
            stdout=subprocess.PIPE, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while f"{name}: connected" not in "\n".join(self.lines) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def said(self, channel_id):
        """What it said about the call: OUTCOME[ (DETAIL)] for each of its lines."""
        return [call.outcome + (f" ({call.detail})" if call.detail else "")
                for call in map(parse_call, self.lines) if call and call.channel == channel_id]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


# (description, BC_TAG, app_filter, options, args)
CALLS = [
    ("a sales call", "sales", None, "", ""),
    ("a support call", "support", None, "", ""),
    ("an untagged call: everyone races", "", None, "", ""),
    ("a call only support may see (app_filter ^support)", "sales", "^support", "", ""),
    ("a call nobody wants: every agent declines, the dialplan goes on at once", "spam", None,
     "", ""),
    ("a call for a team that is not connected (app_filter ^billing)", "", "^billing", "", ""),
    ("a VIP call, best claim wins (w(300)): fragile-desk has the skill, wins and crashes "
     "as it wins; the call is offered again", "vip", None, "w(300)", ""),
    ("a sales call kept by sales-desk (it is busy from now on)", "sales", "^sales-desk$", "",
     "keep"),
    ("a sales call, best claim wins (w(300)): sales-desk claims first, but busy scores "
     "less than support-desk", "sales", None, "w(300)", ""),
]


def describe(agents, fragile, call, report):
    offered = sorted([a.name for a in agents if a.find("CallBroadcast", call.channel_id)]
                     + ([fragile.name] if fragile.said(call.channel_id) else []))
    claims = [f"{agent.name} {'; '.join(agent.claims[call.channel_id])}"
              for agent in agents if call.channel_id in agent.claims]
    claims += [f"{fragile.name} {said}" for said in fragile.said(call.channel_id)]
    print(f"    offered to: {', '.join(offered) or 'nobody'}")
    print(f"    claims:     {'; '.join(claims) or 'none'}")
    score = f" score={report['score']}" if report["score"] is not None else ""
    print(f"    result:     STASISSTATUS={report['status']} winner={report['winner'] or '-'} "
          f"recipients={report['recipients']} offers={report['offers']} "
          f"declined={report['declined']} reason={report['reason']}{score} "
          f"({report['elapsed_ms']} ms in StasisBroadcast, winner's session included)")


def main():
    instance = Instance("demo", PORT).start()
    fragile = None
    try:
        ari = Ari(PORT)
        observer = Observer(ari, "demo-observer")
        agents = [
            Agent(ari, "sales-desk", lambda tag: tag in ("sales", ""), {"sales"}, think_ms=15),
            Agent(ari, "support-desk", lambda tag: tag in ("support", "sales", ""),
                  {"support", "sales"}, think_ms=30),
            Agent(ari, "overflow-desk", lambda tag: tag not in ("spam",), set(), think_ms=60),
        ]
        fragile = Fragile("fragile-desk")
        print("\nConnected ARI applications: " + ", ".join(a.name for a in agents)
              + f", {fragile.name} (the Python example agent, --crash-after-win)"
              + f" (and {observer.name}, which reports each outcome; the calls are offered "
              "to app_filter -desk$ unless said otherwise)\n")
        kept = None
        for number, (text, tag, app_filter, options, args) in enumerate(CALLS, 1):
            variables = {"BC_TIMEOUT": "1500", "BC_TAG": tag, "BC_OBSERVER": observer.name,
                         "BC_OPTIONS": options, "BC_ARGS": args,
                         "BC_FILTER": app_filter or "-desk$"}
            print(f"call {number}: {text}")
            call = ari.originate("offer", variables)
            if args == "keep":
                agents[0].wait_for("StasisStart", call.channel_id)
                print("    kept by sales-desk: it now holds a call\n")
                kept = call
                continue
            report = observer.report(call, timeout=15)
            describe(agents, fragile, call, report)
            call.hangup()
        if kept:
            kept.hangup()
        for app in agents + [observer]:
            app.close()
        print("\nEvery call was offered, claimed at most once and handed to its winner; the "
              "call whose winner crashed went to another agent.")
    finally:
        if fragile:
            fragile.stop()
        instance.stop()


if __name__ == "__main__":
    main()
