#!/usr/bin/env python3
"""A competing StasisBroadcast agent: websocket-client + requests.

    python3 agent.py --name sales-1 --wants sales,vip [--url http://127.0.0.1:8088]
    python3 agent.py --name any-1 --url http://10.0.0.11:8088,http://10.0.0.12:8088 --hold 2000
    python3 agent.py --name sales-1 --claim-over ws
    python3 agent.py --name cloud-1 --listen 0.0.0.0:8765
    python3 agent.py --name sales-2 --wants sales --decline
    python3 agent.py --name fragile-1 --crash-after-win

It connects as ARI application NAME to every Asterisk node given (--url, a
comma-separated list or repeated), one WebSocket each. A call is offered by
the node that received it, so the agent claims it on that node, the one whose
CallBroadcast it is. For every CallBroadcast it decides from the call (caller,
called, the BC_TAG channel variable listed in ari.conf `channelvars`) whether
to claim it. On 204 it owns the call: on StasisStart it answers, plays a sound
(or holds the call --hold milliseconds) and hangs up. On 409 another agent was
faster (or, in best mode, better); on 404 the offer is over (timed out, caller
gone, or this agent was not offered it).

With --decline it declines the calls it does not want (POST
/ari/broadcasts/{channelId}/decline), so that when every agent declines, the
dialplan's fallback runs at once instead of after the timeout.

When the offer says "mode": "best" (StasisBroadcast's w() option), the best
claim wins, not the first: the agent claims with a score (POST
/ari/broadcasts/{channelId}/claim?score=), 100 for a call tagged with
something it names in --wants (a skill match; "*" alone matches at 0), minus
10 for each call it holds now, so the least loaded agent with the right skill
gets the call.

--crash-after-win makes it die (SIGKILL) right after it wins a call, as a
process that crashes would, to see the call offered again to the others.

How it talks to Asterisk:
- by default, events over the WebSocket and requests (the claim, answer, play,
  hang up) over HTTP;
- --claim-over ws sends the claim down the same WebSocket as a RESTRequest
  (Asterisk 20.14+, 22.4+, 23.0+) and reads its RESTResponse there;
- --listen HOST:PORT turns it around: the agent is a WebSocket server, Asterisk
  dials it (ari.conf `type = outbound_websocket`, Asterisk 20.15+, 22.5+,
  23.0+), and everything goes over that one socket, so the agent needs no
  route to Asterisk's HTTP port (an agent behind NAT, say). Give the agent the
  name that ari.conf's `apps` gives the connection.

When a node goes away the agent keeps serving the others and reconnects to it
with exponential backoff (0.25 s doubling up to 4 s, with jitter), so a node
that restarts gets its agents back within seconds. (With --listen, Asterisk
reconnects.)

It prints one line per thing it does; a line about a call reads
NAME: OUTCOME CHANNEL on NODE from CALLER[: DETAIL], as the Node.js agent's
do (the format is sandbox/lib/agents.py's, which reads them back):

    sales-1: WON 1733.45 on 127.0.0.1:8088 from 6001
    sales-1: lost 1733.46 on 127.0.0.1:8088 from 6002: already claimed
    sales-2: declined 1733.47 on 127.0.0.1:8088 from 6003: called 100
    sales-1: WON 1733.48 on 127.0.0.1:8088 from 6004: score 90
"""

import argparse
import json
import os
import random
import re
import signal
import threading
import time
import uuid
from urllib.parse import urlencode, urlsplit

import requests
import websocket

BACKOFF_FIRST = 0.25
BACKOFF_MAX = 4.0
REST_TIMEOUT = 5.0


def call_line(name, outcome, channel_id, node, caller, detail=None):
    """NAME: OUTCOME CHANNEL on NODE from CALLER[: DETAIL]. The caller is
    written as it is when it is a plain number, else as a JSON string; the
    detail, any text, comes last, on the same line."""
    if not re.fullmatch(r"[\w+*#.-]+", caller, re.ASCII):
        caller = json.dumps(caller, ensure_ascii=False)
    line = f"{name}: {outcome} {channel_id} on {node} from {caller}"
    if detail is not None:
        line += ": " + re.sub(r"[\r\n]+", " ", str(detail))
    return line


class Socket:
    """One ARI WebSocket: events in, and REST requests down it when asked.
    A RESTResponse is matched to its request by request_id."""

    def __init__(self, send, label):
        self._send = send
        self.label = label
        self._lock = threading.Lock()
        self._waiting = {}   # request id -> [event set on answer, the answer]

    def send_json(self, message):
        with self._lock:
            self._send(json.dumps(message))

    def rest(self, method, path, params=None):
        """A request as ARI's RESTRequest; (status, parsed body or None)."""
        request_id = uuid.uuid4().hex
        waiting = self._waiting[request_id] = [threading.Event(), None]
        uri = path.lstrip("/") + (f"?{urlencode(params)}" if params else "")
        try:
            self.send_json({"type": "RESTRequest", "request_id": request_id,
                            "method": method, "uri": uri})
            if not waiting[0].wait(REST_TIMEOUT):
                raise TimeoutError(f"no RESTResponse from {self.label} for {method} {uri}")
        finally:
            self._waiting.pop(request_id, None)
        answer = waiting[1]
        body = answer.get("message_body")
        return answer["status_code"], json.loads(body) if body else None

    def answered(self, event):
        """Hand a RESTResponse to its request; whether it was one."""
        waiting = self._waiting.get(event.get("request_id"))
        if event.get("type") != "RESTResponse" or not waiting:
            return False
        waiting[1] = event
        waiting[0].set()
        return True


class Node:
    """One Asterisk: where its requests go (HTTP, or its WebSocket)."""

    def __init__(self, url, user, password, claim_over_ws=False):
        self.base = url.rstrip("/") + "/ari" if url else None
        self.label = urlsplit(url).netloc if url else "?"
        self.http = requests.Session()
        self.http.auth = (user, password)
        self.claim_over_ws = claim_over_ws
        self.socket = None   # the WebSocket, while connected

    def events_url(self, app, user, password):
        return self.base.replace("http", "ws", 1) + f"/events?app={app}&api_key={user}:{password}"

    def request(self, method, path, params=None, over_ws=False):
        """(status, parsed body or None); over the WebSocket when asked, or
        when there is no HTTP to go to (an outbound connection)."""
        if over_ws or not self.base:
            return self.socket.rest(method, path, params)
        response = self.http.request(method, self.base + path, params=params, timeout=REST_TIMEOUT)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return response.status_code, body


class Agent:
    def __init__(self, nodes, name, wants, user, password, sound, hold_ms, decline=False,
                 crash_after_win=False):
        self.nodes = nodes
        self.name = name
        self.wants = set(wants)
        self.user = user
        self.password = password
        self.sound = sound
        self.hold_ms = hold_ms
        self.decline = decline
        self.crash_after_win = crash_after_win
        self.playbacks = {}   # playback id -> its channel (ids are unique per node)
        self.held = set()     # (node, channel id) of the calls it holds now
        self.lock = threading.Lock()

    def say(self, text):
        print(f"{self.name}: {text}", flush=True)

    def say_call(self, outcome, node, channel, detail=None):
        """A line about the call of CHANNEL (a channel's JSON) on NODE."""
        print(call_line(self.name, outcome, channel["id"], node.label,
                        (channel.get("caller") or {}).get("number") or "", detail), flush=True)

    @staticmethod
    def tag_of(event):
        return event["channel"].get("channelvars", {}).get("BC_TAG", "")

    def wants_call(self, event):
        """The routing decision: claim calls tagged with something we handle."""
        return self.tag_of(event) in self.wants or "*" in self.wants

    def score(self, event):
        """How good a match we are for the call (best mode): a skill match,
        less the load we carry now."""
        with self.lock:
            load = len(self.held)
        return (100 if self.tag_of(event) in self.wants else 0) - 10 * load

    def on_call_broadcast(self, node, event):
        channel = event["channel"]
        if not self.wants_call(event):
            if self.decline:
                self.decline_call(node, event)
            else:
                self.say_call("pass on", node, channel, f"called {event['called']}")
            return
        best = event.get("mode") == "best"
        score = self.score(event) if best else None
        try:
            if best:
                status, body = node.request("POST", f"/broadcasts/{channel['id']}/claim",
                                            {"application": self.name, "score": score},
                                            over_ws=node.claim_over_ws)
            else:
                status, body = node.request("POST", "/events/claim",
                                            {"channelId": channel["id"], "application": self.name},
                                            over_ws=node.claim_over_ws)
        except (requests.RequestException, OSError, TimeoutError,
                websocket.WebSocketException) as error:
            self.say_call("claim failed for", node, channel, error)
            return
        if status == 204:
            if self.crash_after_win:
                self.say_call("WON", node, channel, "crashing on purpose")
                os.kill(os.getpid(), signal.SIGKILL)
            self.say_call("WON", node, channel, None if score is None else f"score {score}")
        elif status == 409:
            self.say_call("lost", node, channel, "already claimed")
        elif status == 404:
            self.say_call("too late for", node, channel, "offer over")
        else:
            self.say_call("claim failed for", node, channel, f"{status} {json.dumps(body)}")

    def decline_call(self, node, event):
        channel = event["channel"]
        try:
            status, body = node.request("POST", f"/broadcasts/{channel['id']}/decline",
                                        {"application": self.name}, over_ws=node.claim_over_ws)
        except (requests.RequestException, OSError, TimeoutError,
                websocket.WebSocketException) as error:
            self.say_call("decline failed for", node, channel, error)
            return
        if status == 204:
            self.say_call("declined", node, channel, f"called {event['called']}")
        else:
            self.say_call("decline failed for", node, channel, f"{status} {json.dumps(body)}")

    def on_stasis_start(self, node, event):
        channel = event["channel"]
        with self.lock:
            self.held.add((node.label, channel["id"]))
        node.request("POST", f"/channels/{channel['id']}/answer")
        if self.hold_ms:
            self.say_call("answered", node, channel, f"holding {self.hold_ms} ms")
            time.sleep(self.hold_ms / 1000)
            self.hang_up(node, channel)
            return
        _, playback = node.request("POST", f"/channels/{channel['id']}/play",
                                   {"media": f"sound:{self.sound}"})
        with self.lock:
            self.playbacks[playback["id"]] = channel
        self.say_call("answered", node, channel, f"playing {self.sound}")

    def on_stasis_end(self, node, event):
        with self.lock:
            self.held.discard((node.label, event["channel"]["id"]))

    def on_playback_finished(self, node, event):
        with self.lock:
            channel = self.playbacks.pop(event["playback"]["id"], None)
        if channel:
            self.hang_up(node, channel)

    def hang_up(self, node, channel):
        try:
            node.request("DELETE", f"/channels/{channel['id']}")
        except (requests.RequestException, OSError, TimeoutError) as error:
            self.say_call("hangup failed for", node, channel, error)
            return
        self.say_call("hung up", node, channel)

    def read(self, node, recv):
        """Read one WebSocket's events until it closes; returns why it did."""
        handlers = {
            "CallBroadcast": self.on_call_broadcast,
            "StasisStart": self.on_stasis_start,
            "StasisEnd": self.on_stasis_end,
            "PlaybackFinished": self.on_playback_finished,
        }
        while True:
            try:
                message = recv()
            except Exception as error:   # each library closes in its own way
                return str(error) or type(error).__name__
            if not message:
                return "closed"
            event = json.loads(message)
            if node.socket.answered(event):
                continue
            handler = handlers.get(event.get("type"))
            if handler:
                # Claims race: never let one slow request hold up the next event.
                threading.Thread(target=handler, args=(node, event), daemon=True).start()

    def serve(self, node):
        """Keep one WebSocket to NODE for ever: read its events, and when it
        goes away, reconnect with exponential backoff."""
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
            node.socket = Socket(ws.send, node.label)
            self.say(f"connected to {node.label}")
            reason = self.read(node, ws.recv)
            ws.close()
            self.say(f"disconnected from {node.label} ({reason}); reconnecting")

    def run(self):
        threads = [threading.Thread(target=self.serve, args=(node,), daemon=True)
                   for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def listen(self, host, port, user, password):
        """Serve the outbound connections Asterisk makes to HOST:PORT."""
        from websockets.sync.server import serve   # only this mode needs it

        def connection(ws):
            peer = "%s:%d" % ws.remote_address[:2]
            node = Node(None, user, password)
            node.label = peer
            node.socket = Socket(ws.send, peer)
            self.say(f"Asterisk connected from {peer}")
            reason = self.read(node, ws.recv)
            self.say(f"Asterisk at {peer} went away ({reason})")

        with serve(connection, host, port, subprotocols=["ari"]) as server:
            self.say(f"listening on {host}:{port} for Asterisk's outbound connections")
            server.serve_forever()


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
    parser.add_argument("--claim-over", choices=["http", "ws"], default="http",
                        help="claim over HTTP (default) or as a RESTRequest down the WebSocket")
    parser.add_argument("--listen", metavar="HOST:PORT",
                        help="be the server of Asterisk's outbound connection instead of connecting")
    parser.add_argument("--decline", action="store_true",
                        help="decline the calls it does not want, instead of letting them pass")
    parser.add_argument("--crash-after-win", action="store_true",
                        help="die (SIGKILL) right after winning a call, as a crashing process")
    args = parser.parse_args()
    wants = args.wants.split(",")
    options = {"decline": args.decline, "crash_after_win": args.crash_after_win}
    if args.listen:
        host, _, port = args.listen.rpartition(":")
        agent = Agent([], args.name, wants, args.user, args.password, args.sound, args.hold,
                      **options)
        agent.listen(host or "0.0.0.0", int(port), args.user, args.password)
        return
    urls = [url for value in args.url or ["http://127.0.0.1:8088"] for url in value.split(",") if url]
    nodes = [Node(url, args.user, args.password, args.claim_over == "ws") for url in urls]
    Agent(nodes, args.name, wants, args.user, args.password, args.sound, args.hold,
          **options).run()


if __name__ == "__main__":
    main()
