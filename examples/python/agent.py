#!/usr/bin/env python3
"""A competing StasisBroadcast agent: websocket-client + requests.

    python3 agent.py --name sales-1 --wants sales,vip [--url http://127.0.0.1:8088]

It connects as ARI application NAME. For every CallBroadcast it decides from
the call (caller, called, the BC_TAG channel variable listed in ari.conf
`channelvars`) whether to claim it. On 204 it owns the call: on StasisStart it
answers, plays a sound and hangs up. On 409 another agent was faster; on 404
the offer is over (timed out, caller gone, or this agent was not offered it).
"""

import argparse
import json
import threading

import requests
import websocket


class Agent:
    def __init__(self, url, name, wants, user, password, sound):
        self.base = url.rstrip("/") + "/ari"
        self.name = name
        self.wants = set(wants)
        self.sound = sound
        self.http = requests.Session()
        self.http.auth = (user, password)
        ws_url = self.base.replace("http", "ws", 1) + f"/events?app={name}&api_key={user}:{password}"
        self.ws = websocket.create_connection(ws_url)
        self.playbacks = {}   # playback id -> channel id
        self.lock = threading.Lock()

    def wants_call(self, event):
        """The routing decision: claim calls tagged with something we handle."""
        tag = event["channel"].get("channelvars", {}).get("BC_TAG", "")
        return tag in self.wants or "*" in self.wants

    def on_call_broadcast(self, event):
        channel_id = event["channel"]["id"]
        if not self.wants_call(event):
            print(f"{self.name}: pass on {channel_id} from '{event['caller']}' to '{event['called']}'")
            return
        response = self.http.post(f"{self.base}/events/claim",
                                  params={"channelId": channel_id, "application": self.name})
        if response.status_code == 204:
            print(f"{self.name}: WON {channel_id}", flush=True)
        elif response.status_code == 409:
            print(f"{self.name}: lost {channel_id} (already claimed)", flush=True)
        elif response.status_code == 404:
            print(f"{self.name}: too late for {channel_id} (offer over)", flush=True)
        else:
            print(f"{self.name}: claim failed {response.status_code} {response.text}", flush=True)

    def on_stasis_start(self, event):
        channel_id = event["channel"]["id"]
        self.http.post(f"{self.base}/channels/{channel_id}/answer")
        playback = self.http.post(f"{self.base}/channels/{channel_id}/play",
                                  params={"media": f"sound:{self.sound}"}).json()
        with self.lock:
            self.playbacks[playback["id"]] = channel_id
        print(f"{self.name}: answered {channel_id}, playing {self.sound}", flush=True)

    def on_playback_finished(self, event):
        with self.lock:
            channel_id = self.playbacks.pop(event["playback"]["id"], None)
        if channel_id:
            self.http.delete(f"{self.base}/channels/{channel_id}")
            print(f"{self.name}: hung up {channel_id}", flush=True)

    def run(self):
        handlers = {
            "CallBroadcast": self.on_call_broadcast,
            "StasisStart": self.on_stasis_start,
            "PlaybackFinished": self.on_playback_finished,
        }
        print(f"{self.name}: connected", flush=True)
        while True:
            message = self.ws.recv()
            if not message:
                break
            event = json.loads(message)
            handler = handlers.get(event.get("type"))
            if handler:
                # Claims race: never let one slow request hold up the next event.
                threading.Thread(target=handler, args=(event,), daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--name", required=True, help="ARI application name")
    parser.add_argument("--wants", default="*", help="comma-separated BC_TAG values to claim, * for all")
    parser.add_argument("--user", default="asterisk")
    parser.add_argument("--password", default="asterisk")
    parser.add_argument("--sound", default="beep")
    args = parser.parse_args()
    Agent(args.url, args.name, args.wants.split(","), args.user, args.password, args.sound).run()


if __name__ == "__main__":
    main()
