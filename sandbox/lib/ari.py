"""A small ARI client for the sandbox: real WebSockets, real HTTP.

Used by the end-to-end tests, the demo and the benchmarks. One `App` is one
ARI application with its own WebSocket (`/ari/events?app=NAME`); `Ari` is the
HTTP side (one requests.Session per thread). Events are kept in arrival order
with a monotonic receive time so tests can await them instead of sleeping.
"""

import asyncio
import base64
import json
import os
import queue
import socket
import struct
import threading
import time
import uuid

import requests
import websocket
import websockets.asyncio.client
from waiting import wait_until
from websockets.protocol import State
from websockets.sync.server import serve

USER = "test"
PASSWORD = "test"


def events_url(host, port, app, user, password):
    """An application's event WebSocket: /ari/events?app=NAME, by api_key."""
    return f"ws://{host}:{port}/ari/events?app={app}&api_key={user}:{password}"


def stalled_websocket(port, app, user=USER, password=PASSWORD, host="127.0.0.1"):
    """An ARI application that completes the WebSocket handshake and then never
    reads again: its socket fills up and ARI's writes to it block."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ari/events?app={app}&api_key={user}:{password} HTTP/1.1\r\n"
                  f"Host: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        byte = sock.recv(1)  # one at a time: nothing of the first frame is read
        if not byte:
            break
        response += byte
    if b" 101 " not in response:
        raise ConnectionError(f"{app} refused: {response[:60]!r}")
    return sock


def rest_request(method, uri, body=None, request_id=None):
    """ARI's RESTRequest (a REST request down an application's WebSocket,
    20.14+, 22.4+, 23.0+) as a message; its request_id matches the answer."""
    message = {"type": "RESTRequest", "request_id": request_id or uuid.uuid4().hex,
               "method": method, "uri": uri}
    if body is not None:
        message.update(content_type="application/json", message_body=json.dumps(body))
    return message


def claim_uri(channel_id, application):
    """The claim as a RESTRequest's uri."""
    return f"events/claim?channelId={channel_id}&application={application}"


class Ari:
    """HTTP access to one Asterisk instance's ARI."""

    def __init__(self, port, user=USER, password=PASSWORD, host="127.0.0.1"):
        self.port = port
        self.host = host
        self.user = user
        self.password = password
        self.base = f"http://{host}:{port}/ari"
        self._local = threading.local()

    @property
    def session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = (self.user, self.password)
        return session

    def request(self, method, path, params=None, body=None, auth=True, timeout=10):
        if auth:
            return self.session.request(method, self.base + path, params=params,
                                        json=body, timeout=timeout)
        return requests.request(method, self.base + path, params=params, json=body,
                                timeout=timeout)

    def claim(self, channel_id, application, **kwargs):
        """POST /events/claim; returns the response."""
        params = {}
        if channel_id is not None:
            params["channelId"] = channel_id
        if application is not None:
            params["application"] = application
        return self.request("POST", "/events/claim", params=params, **kwargs)

    def originate(self, exten="offer", variables=None, context="broadcast", caller=None):
        """Start a call into the dialplan (Local/EXTEN@CONTEXT); returns a Call."""
        call = Call(self, uuid.uuid4().hex[:16])
        params = {
            "endpoint": f"Local/{exten}@{context}",
            "context": "hold", "extension": "s", "priority": 1,
            "channelId": call.caller_id, "otherChannelId": call.channel_id,
        }
        if caller:
            params["callerId"] = caller
        body = {"variables": {"BC_ID": call.id, **(variables or {})}}
        response = self.request("POST", "/channels", params=params, body=body)
        if response.status_code != 200:
            raise RuntimeError(f"originate failed: {response.status_code} {response.text}")
        return call

    def hangup(self, channel_id):
        return self.request("DELETE", f"/channels/{channel_id}")

    def subscribe(self, app, channel_id):
        """Subscribe an application to a channel's events."""
        return self.request("POST", f"/applications/{app}/subscription",
                            params={"eventSource": f"channel:{channel_id}"})

    def continue_in_dialplan(self, channel_id):
        return self.request("POST", f"/channels/{channel_id}/continue")

    def global_var(self, name):
        response = self.request("GET", "/asterisk/variable", params={"variable": name})
        return response.json().get("value", "") if response.status_code == 200 else ""


class Call:
    """Both halves of a Local channel: `channel_id` runs StasisBroadcast()."""

    def __init__(self, ari, call_id):
        self.ari = ari
        self.id = call_id
        self.caller_id = f"{call_id}-caller"
        self.channel_id = f"{call_id}-offer"

    def hangup(self):
        self.ari.hangup(self.caller_id)

    def wait_global_result(self, timeout=5.0):
        """The outcome the dialplan stored in BC_RESULT_<id> (for tests where
        no application is connected to be told): [status, winner, recipients, ms]."""
        value = wait_until(lambda: self.ari.global_var(f"BC_RESULT_{self.id}"), timeout,
                           f"the result of call {self.id}", poll=0.005)
        return parse_outcome(value.split(":"))


class App:
    """One ARI application connected over its own WebSocket.

    `on_event(app, event)` runs on the reader thread for every event, after
    the event has been recorded. `ws` is a WebSocket already open (one that
    Asterisk dialled, say; see OutboundServer); by default the application
    connects to ARI itself, with `auth` (user, password) as its api_key.
    """

    def __init__(self, ari, name, on_event=None, ws=None, auth=None):
        self.ari = ari
        self.name = name
        self.on_event = on_event
        self.events = []
        self._cond = threading.Condition()
        if ws is None:
            user, password = auth or (ari.user, ari.password)
            ws = websocket.create_connection(events_url(ari.host, ari.port, name, user, password),
                                             timeout=10, enable_multithread=True)
            ws.settimeout(None)
        self.ws = ws
        self._reader = threading.Thread(target=self._read, name=f"ari-{name}", daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                message = self.ws.recv()
            except Exception:
                break
            if not message:
                break
            event = json.loads(message)
            event["_received"] = time.monotonic()
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
            if self.on_event:
                try:
                    self.on_event(self, event)
                except Exception as error:  # keep reading; the test sees the gap
                    print(f"{self.name}: handler failed on {event.get('type')}: {error!r}")

    def find(self, event_type, channel_id=None):
        with self._cond:
            return [e for e in self.events if _matches(e, event_type, channel_id)]

    def wait_for(self, event_type, channel_id=None, timeout=5.0):
        """The first event of a type (for a channel); raises TimeoutError."""
        return self.wait_until(lambda e: _matches(e, event_type, channel_id), timeout,
                               f"{event_type} for {channel_id}")

    def claim(self, channel_id):
        return self.ari.claim(channel_id, self.name).status_code

    def send_rest(self, method, uri, body=None, request_id=None):
        """Send a REST request down this application's WebSocket (ARI's
        RESTRequest, 20.14+, 22.4+, 23.0+) without waiting; returns its id."""
        message = rest_request(method, uri, body, request_id)
        self.ws.send(json.dumps(message))
        return message["request_id"]

    def rest_response(self, request_id, timeout=5.0):
        """The RESTResponse to a request: (status_code, body as JSON or None)."""
        response = self.wait_until(lambda e: e.get("type") == "RESTResponse"
                                   and e.get("request_id") == request_id, timeout,
                                   f"RESTResponse {request_id}")
        body = response.get("message_body")
        return response["status_code"], json.loads(body) if body else None

    def rest(self, method, uri, body=None, timeout=5.0):
        """A REST request down this application's WebSocket and its answer."""
        return self.rest_response(self.send_rest(method, uri, body), timeout)

    def claim_uri(self, channel_id):
        return claim_uri(channel_id, self.name)

    def claim_over_ws(self, channel_id):
        """Claim through this application's own WebSocket; the status code."""
        return self.rest("POST", self.claim_uri(channel_id))[0]

    def wait_until(self, predicate, timeout=5.0, what="event"):
        """The first event PREDICATE accepts; raises a TimeoutError."""
        return wait_until(lambda: next((e for e in self.events if predicate(e)), None),
                          timeout, f"{self.name}: {what}", cond=self._cond)

    def close(self):
        try:
            self.ws.close()
        finally:
            if threading.current_thread() is not self._reader:
                self._reader.join(timeout=5)

    def kill(self):
        """Die as a crashed process does: the connection reset at once, no
        WebSocket close frame (as the kernel resets the socket of a process
        that died with data unread)."""
        self.killed_at = time.monotonic()
        sock = self.ws.sock
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=5)


class Doomed(App):
    """An application that claims every call it is offered and dies (kill())
    at a chosen moment of the handoff: "claimed", as soon as its claim is
    answered 204; "started", as soon as its StasisStart arrives; or, with
    `after`, that many seconds after its StasisStart. It claims only the offer
    numbered `offer` (the first, by default). With `over_ws` it claims down its
    own WebSocket."""

    def __init__(self, ari, name, when="claimed", after=0.0, offer=1, over_ws=False, **kwargs):
        self.when = when
        self.after = after
        self.offer = offer
        self.over_ws = over_ws
        self.claims = {}
        super().__init__(ari, name, on_event=Doomed._handle, **kwargs)

    @staticmethod
    def _handle(app, event):
        kind = event.get("type")
        if kind == "CallBroadcast" and event.get("offer", 1) == app.offer and not app.claims:
            channel_id = event["channel"]["id"]
            if app.over_ws:
                app.send_rest("POST", app.claim_uri(channel_id), request_id=channel_id)
                return
            app.claims[channel_id] = app.claim(channel_id)
            if app.claims[channel_id] == 204 and app.when == "claimed":
                app.kill()
        elif kind == "RESTResponse" and app.over_ws:
            app.claims[event.get("request_id")] = event.get("status_code")
            if event.get("status_code") == 204 and app.when == "claimed":
                app.kill()
        elif kind == "StasisStart" and app.when == "started":
            if app.after:
                threading.Timer(app.after, app.kill).start()
            else:
                app.kill()


class OutboundServer:
    """Where Asterisk dials its outbound ARI connections (ari.conf
    `type = outbound_websocket`, 20.15+, 22.5+, 23.0+): a WebSocket server on
    PORT speaking the "ari" protocol. `accept()` waits for Asterisk's next
    connection and makes it an App: the application of that connection."""

    def __init__(self, ari, port, host="127.0.0.1"):
        self.ari = ari
        self._connections = queue.Queue()
        self._server = serve(self._handle, host, port, subprotocols=["ari"])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _handle(self, connection):
        self._connections.put(connection)
        # The connection lives as long as this handler: until it closes.
        while connection.state is not State.CLOSED:
            time.sleep(0.05)

    def accept(self, name, kind=None, timeout=15.0, **kwargs):
        """Asterisk's next connection, as the application NAME (its `apps`),
        an App or the subclass KIND (Racer, say)."""
        connection = self._connections.get(timeout=timeout)
        return (kind or App)(self.ari, name, ws=connection, **kwargs)

    def close(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


class NotSent(ConnectionError):
    """The WebSocket was closed before the request could be sent."""


class AsyncApp:
    """One ARI application's event WebSocket on asyncio, for load (the soak);
    `rest()` sends a REST request down it, whose answer `events()` takes out
    of the events it reads."""

    def __init__(self, port, app, user, password):
        self.url = events_url("127.0.0.1", port, app, user, password)
        self.ws = None
        self._answers = {}      # request id -> future of its RESTResponse

    async def connect(self, max_queue=64):
        self.ws = await websockets.asyncio.client.connect(
            self.url, max_queue=max_queue, ping_interval=None, max_size=None)
        return self

    async def events(self):
        """Every event until the connection ends. An answer to rest() goes
        to its caller instead; those still waiting at the end fail with
        ConnectionError (their outcome is unknown)."""
        try:
            async for message in self.ws:
                event = json.loads(message)
                event["_received"] = time.monotonic()
                answer = self._answers.pop(event.get("request_id"), None) \
                    if event.get("type") == "RESTResponse" else None
                if answer is None:
                    yield event
                elif not answer.done():
                    answer.set_result(event)
        except websockets.exceptions.ConnectionClosed:
            return
        finally:
            for answer in self._answers.values():
                if not answer.done():
                    answer.set_exception(ConnectionError("WebSocket closed before the answer"))
            self._answers.clear()

    async def rest(self, method, uri, timeout=10):
        """A RESTRequest down this WebSocket; its RESTResponse's status code.
        Needs events() to be read meanwhile."""
        message = rest_request(method, uri)
        answer = self._answers[message["request_id"]] = asyncio.get_running_loop().create_future()
        try:
            await self.ws.send(json.dumps(message))
        except websockets.exceptions.ConnectionClosed as closed:
            self._answers.pop(message["request_id"], None)
            if answer.done():
                # events() ended meanwhile and failed it: that failure is this one.
                answer.exception()
            raise NotSent("WebSocket closed") from closed
        try:
            return (await asyncio.wait_for(answer, timeout))["status_code"]
        except asyncio.TimeoutError as lost:
            raise ConnectionError("no answer down the WebSocket") from lost

    def reset(self):
        """Drop the TCP connection with a reset, no WebSocket close."""
        sock = self.ws.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.ws.transport.abort()

    async def close(self):
        if self.ws:
            await self.ws.close()


def parse_outcome(fields):
    """[status, winner, recipients, elapsed_ms] as the dialplan reports them;
    recipients is None when the modules did not set the variable."""
    status, winner, recipients, elapsed = fields[:4]
    return [status, winner, int(recipients) if recipients else None, int(elapsed)]


def parse_report(fields):
    """Every variable the dialplan reports (dialplan.conf), by name: status,
    winner, recipients, elapsed_ms, offers, declined, reason, score; a number
    the modules did not set is None."""
    names = ["offers", "declined", "reason", "score"]
    report = dict(zip(["status", "winner", "recipients", "elapsed_ms"], parse_outcome(fields)))
    report.update(zip(names, fields[4:] + [""] * (len(names) - len(fields[4:]))))
    for name in ("offers", "declined", "score"):
        report[name] = int(report[name]) if report[name] else None
    return report


def _matches(event, event_type, channel_id):
    if event.get("type") != event_type:
        return False
    return channel_id is None or event.get("channel", {}).get("id") == channel_id


class Observer(App):
    """Receives each call after StasisBroadcast() returns (see dialplan.conf),
    records the outcome and lets the dialplan continue to hang up."""

    def __init__(self, ari, name):
        super().__init__(ari, name, on_event=Observer._handle)

    @staticmethod
    def _handle(app, event):
        if event.get("type") == "StasisStart":
            app.ari.continue_in_dialplan(event["channel"]["id"])

    def result(self, call, timeout=10.0, nth=0):
        """[status, winner, recipients, elapsed_ms] of the call's nth report."""
        return parse_outcome(self._args(call, timeout, nth))

    def report(self, call, timeout=10.0, nth=0):
        """Every variable of the call's nth report, by name (parse_report())."""
        return parse_report(self._args(call, timeout, nth))

    def _args(self, call, timeout, nth):
        def nth_report():
            starts = [e for e in self.events if _matches(e, "StasisStart", call.channel_id)]
            return starts[nth] if len(starts) > nth else None
        return wait_until(nth_report, timeout, f"the outcome of call {call.id}",
                          cond=self._cond)["args"]


class Racer(App):
    """An application that claims every call it is offered, at once, and on
    winning hands the channel back to the dialplan.

    With `over_ws` it claims through its own WebSocket (a RESTRequest) instead
    of over HTTP; `claims` then fills in as the RESTResponses come back. With
    `release=False` it keeps the channels it wins until the test continues them
    (so that every other claim meets a claimed broadcast: 409). `claim` may also
    be a predicate of the CallBroadcast: claim only the offers it accepts
    (`lambda e: e["offer"] >= 2`: only a call offered again)."""

    def __init__(self, ari, name, claim=True, over_ws=False, release=True, **kwargs):
        self.claims = {}
        self.want = claim
        self.over_ws = over_ws
        self.release = release
        super().__init__(ari, name, on_event=Racer._handle, **kwargs)

    @staticmethod
    def _handle(app, event):
        kind = event.get("type")
        if kind == "CallBroadcast" and (app.want(event) if callable(app.want) else app.want):
            channel_id = event["channel"]["id"]
            if app.over_ws:
                app.send_rest("POST", app.claim_uri(channel_id), request_id=channel_id)
            else:
                app.claims[channel_id] = app.claim(channel_id)
        elif kind == "RESTResponse" and app.over_ws:
            app.claims[event.get("request_id")] = event.get("status_code")
        elif kind == "StasisStart" and app.release:
            app.ari.continue_in_dialplan(event["channel"]["id"])
