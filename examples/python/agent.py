#!/usr/bin/env python3
"""A competing StasisBroadcast agent: websocket-client + requests.

    python3 agent.py --name sales-1 --wants sales,vip [--url http://127.0.0.1:8088]
    python3 agent.py --name any-1 --url http://10.0.0.11:8088,http://10.0.0.12:8088 --hold 2000

It connects as ARI application NAME to every Asterisk node given (--url, a
comma-separated list or repeated), one WebSocket each. A call is offered by
the node that received it, so the agent claims it on that node, the one whose
CallBroadcast it is. For every CallBroadcast it decides from the call (caller,
called, the BC_TAG channel variable listed in ari.conf `channelvars`) whether
to claim it. On 204 it owns the call: on StasisStart it answers, plays a sound
(or holds the call --hold milliseconds) and hangs up. On 409 another agent was
faster; on 404 the offer is over (timed out, caller gone, or this agent was
not offered it).

When a node goes away the agent keeps serving the others and reconnects to it
with exponential backoff (0.25 s doubling up to 4 s, with jitter), so a node
that restarts gets its agents back within seconds.
"""

import argparse
import json
import random
import threading
import time
from urllib.parse import urlsplit

import requests
import websocket

BACKOFF_FIRST = 0.25
BACKOFF_MAX = 4.0


class Node:
    """One Asterisk: its ARI base URL, and HTTP for the claims made there."""

    def __init__(self, url, user, password):
        self.base = url.rstrip("/") + "/ari"
        self.label = urlsplit(url).netloc
        self.http = requests.Session()
        self.http.auth = (user, password)

    def events_url(self, app, user, password):
        return self.base.replace("http", "ws", 1) + f"/events?app={app}&api_key={user}:{password}"


class Agent:
    def __init__(self, urls, name, wants, user, password, sound, hold_ms):
        self.nodes = [Node(url, user, password) for url in urls]
        self.name = name
        self.wants = set(wants)
        self.user = user
        self.password = password
        self.sound = sound
        self.hold_ms = hold_ms
        self.playbacks = {}   # playback id -> channel id (ids are unique per node)
        self.lock = threading.Lock()

    def say(self, text):
        print(f"{self.name}: {text}", flush=True)

    def wants_call(self, event):
        """The routing decision: claim calls tagged with something we handle."""
        tag = event["channel"].get("channelvars", {}).get("BC_TAG", "")
        return tag in self.wants or "*" in self.wants

    def on_call_broadcast(self, node, event):
        channel_id = event["channel"]["id"]
        call = f"{channel_id} on {node.label} from {event['caller'] or '-'}"
        if not self.wants_call(event):
            self.say(f"pass on {call} to {event['called']}")
            return
        try:
            response = node.http.post(f"{node.base}/events/claim",
                                      params={"channelId": channel_id, "application": self.name})
        except requests.RequestException as error:
            self.say(f"claim failed for {call}: {error}")
            return
        if response.status_code == 204:
            self.say(f"WON {call}")
        elif response.status_code == 409:
            self.say(f"lost {call} (already claimed)")
        elif response.status_code == 404:
            self.say(f"too late for {call} (offer over)")
        else:
            self.say(f"claim failed for {call}: {response.status_code} {response.text}")

    def on_stasis_start(self, node, event):
        channel_id = event["channel"]["id"]
        node.http.post(f"{node.base}/channels/{channel_id}/answer")
        if self.hold_ms:
            self.say(f"answered {channel_id} on {node.label}, holding {self.hold_ms} ms")
            time.sleep(self.hold_ms / 1000)
            self.hang_up(node, channel_id)
            return
        playback = node.http.post(f"{node.base}/channels/{channel_id}/play",
                                  params={"media": f"sound:{self.sound}"}).json()
        with self.lock:
            self.playbacks[playback["id"]] = channel_id
        self.say(f"answered {channel_id} on {node.label}, playing {self.sound}")

    def on_playback_finished(self, node, event):
        with self.lock:
            channel_id = self.playbacks.pop(event["playback"]["id"], None)
        if channel_id:
            self.hang_up(node, channel_id)

    def hang_up(self, node, channel_id):
        try:
            node.http.delete(f"{node.base}/channels/{channel_id}")
        except requests.RequestException as error:
            self.say(f"hangup failed for {channel_id} on {node.label}: {error}")
            return
        self.say(f"hung up {channel_id} on {node.label}")

    def serve(self, node):
        """Keep one WebSocket to NODE for ever: read its events, and when it
        goes away, reconnect with exponential backoff."""
        handlers = {
            "CallBroadcast": self.on_call_broadcast,
            "StasisStart": self.on_stasis_start,
            "PlaybackFinished": self.on_playback_finished,
        }
        delay = BACKOFF_FIRST
        while True:
            try:
                ws = websocket.create_connection(
                    node.events_url(self.name, self.user, self.password), timeout=5)
            except (OSError, websocket.WebSocketException) as error:
                pause = delay * random.uniform(0.8, 1.2)
                self.say(f"cannot reach {node.label} ({error}); retrying in {pause:.2f} s")
                time.sleep(pause)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            ws.settimeout(None)
            delay = BACKOFF_FIRST
            self.say(f"connected to {node.label}")
            reason = "closed"
            while True:
                try:
                    message = ws.recv()
                except (OSError, websocket.WebSocketException) as error:
                    reason = str(error) or type(error).__name__
                    break
                if not message:
                    break
                event = json.loads(message)
                handler = handlers.get(event.get("type"))
                if handler:
                    # Claims race: never let one slow request hold up the next event.
                    threading.Thread(target=handler, args=(node, event), daemon=True).start()
            ws.close()
            self.say(f"disconnected from {node.label} ({reason}); reconnecting")

    def run(self):
        threads = [threading.Thread(target=self.serve, args=(node,), daemon=True)
                   for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append",
                        help="ARI base URL of a node; a comma-separated list, or repeat it "
                             "(default http://127.0.0.1:8088)")
    parser.add_argument("--name", required=True, help="ARI application name")
    parser.add_argument("--wants", default="*", help="comma-separated BC_TAG values to claim, * for all")
    parser.add_argument("--user", default="asterisk")
    parser.add_argument("--password", default="asterisk")
    parser.add_argument("--sound", default="beep")
    parser.add_argument("--hold", type=int, default=0, metavar="MS",
                        help="hold each won call this long and hang up, instead of playing the sound")
    args = parser.parse_args()
    urls = [url for value in args.url or ["http://127.0.0.1:8088"] for url in value.split(",") if url]
    Agent(urls, args.name, args.wants.split(","), args.user, args.password, args.sound,
          args.hold).run()


if __name__ == "__main__":
    main()
