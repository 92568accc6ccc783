"""The product for real: a sandboxed Asterisk running our modules, three
competing ARI applications, and a handful of calls.

Each agent is a real ARI application on its own WebSocket. It sees every
CallBroadcast, decides from the call (the BC_TAG channel variable, listed in
ari.conf channelvars) whether and how fast to claim, and when it wins it
answers, plays a beep and hands the call back to the dialplan.
"""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from ari import App, Ari, Observer  # noqa: E402
from instance import Instance  # noqa: E402

PORT = 8090


class Agent(App):
    """Claims calls after `think_ms` if `wants(tag)` says so."""

    def __init__(self, ari, name, wants, think_ms):
        self.wants = wants
        self.think_ms = think_ms
        self.claims = {}
        self.lock = threading.Lock()
        super().__init__(ari, name, on_event=Agent._handle)

    @staticmethod
    def _handle(agent, event):
        kind = event.get("type")
        channel = event.get("channel", {})
        if kind == "CallBroadcast":
            tag = channel.get("channelvars", {}).get("BC_TAG", "")
            if agent.wants(tag):
                threading.Thread(target=agent._claim, args=(channel["id"],)).start()
        elif kind == "StasisStart":
            agent.ari.request("POST", f"/channels/{channel['id']}/answer")
            agent.ari.request("POST", f"/channels/{channel['id']}/play",
                              params={"media": "sound:beep"})
        elif kind == "PlaybackFinished":
            channel_id = event["playback"]["target_uri"].split(":", 1)[1]
            agent.ari.continue_in_dialplan(channel_id)

    def _claim(self, channel_id):
        time.sleep(self.think_ms / 1000)
        sent = time.monotonic()
        status = self.claim(channel_id)
        with self.lock:
            self.claims[channel_id] = (status, (time.monotonic() - sent) * 1000)


CALLS = [
    # (description, BC_TAG, app_filter)
    ("a sales call", "sales", None),
    ("a support call", "support", None),
    ("an untagged call: everyone races", "", None),
    ("a call only support may see (app_filter ^support)", "sales", "^support"),
    ("a call nobody wants", "spam", None),
    ("a call for a team that is not connected (app_filter ^billing)", "", "^billing"),
]


def describe(agents, observer, call, outcome):
    offered = sorted(a.name for a in agents + [observer] if a.find("CallBroadcast", call.channel_id))
    claims = []
    for agent in agents:
        if call.channel_id in agent.claims:
            status, ms = agent.claims[call.channel_id]
            claims.append(f"{agent.name} {status} ({ms:.1f} ms)")
    status, winner, recipients, elapsed = outcome
    print(f"    offered to: {', '.join(offered) or 'nobody'}")
    print(f"    claims:     {'; '.join(claims) or 'none'}")
    print(f"    result:     STASISSTATUS={status} winner={winner or '-'} "
          f"recipients={recipients} ({elapsed} ms in StasisBroadcast, winner's session included)")


def main():
    instance = Instance("demo", PORT).start()
    try:
        ari = Ari(PORT)
        observer = Observer(ari, "demo-observer")
        agents = [
            Agent(ari, "sales-desk", lambda tag: tag in ("sales", ""), think_ms=15),
            Agent(ari, "support-desk", lambda tag: tag in ("support", "sales", ""), think_ms=30),
            Agent(ari, "overflow", lambda tag: tag not in ("spam",), think_ms=60),
        ]
        print("\nConnected ARI applications: " + ", ".join(a.name for a in agents)
              + f" (and {observer.name}, which reports each outcome)\n")
        for number, (text, tag, app_filter) in enumerate(CALLS, 1):
            variables = {"BC_TIMEOUT": "1500", "BC_TAG": tag, "BC_OBSERVER": observer.name}
            if app_filter:
                variables["BC_FILTER"] = app_filter
            print(f"call {number}: {text}")
            call = ari.originate("offer", variables)
            outcome = observer.result(call, timeout=15)
            describe(agents, observer, call, outcome)
            call.hangup()
        for app in agents + [observer]:
            app.close()
        print("\nEvery call was offered, claimed at most once and handed to its winner.")
    finally:
        instance.stop()


if __name__ == "__main__":
    main()
