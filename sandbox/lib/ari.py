"""A small ARI client for the sandbox: real WebSockets, real HTTP.

Used by the end-to-end tests, the demo and the benchmarks. One `App` is one
ARI application with its own WebSocket (`/ari/events?app=NAME`); `Ari` is the
HTTP side (one requests.Session per thread). Events are kept in arrival order
with a monotonic receive time so tests can await them instead of sleeping.
"""

import json
import threading
import time
import uuid

import requests
import websocket

USER = "test"
PASSWORD = "test"


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.ari.global_var(f"BC_RESULT_{self.id}")
            if value:
                return parse_outcome(value.split(":"))
            time.sleep(0.005)
        raise TimeoutError(f"no result for call {self.id}")


class App:
    """One ARI application connected over its own WebSocket.

    `on_event(app, event)` runs on the reader thread for every event, after
    the event has been recorded.
    """

    def __init__(self, ari, name, on_event=None):
        self.ari = ari
        self.name = name
        self.on_event = on_event
        self.events = []
        self._cond = threading.Condition()
        url = (f"ws://{ari.host}:{ari.port}/ari/events?app={name}"
               f"&api_key={ari.user}:{ari.password}")
        self.ws = websocket.create_connection(url, timeout=10)
        self.ws.settimeout(None)
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
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if _matches(event, event_type, channel_id):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name}: no {event_type} for {channel_id}")
                self._cond.wait(remaining)

    def claim(self, channel_id):
        return self.ari.claim(channel_id, self.name).status_code

    def close(self):
        try:
            self.ws.close()
        finally:
            self._reader.join(timeout=5)


def parse_outcome(fields):
    """[status, winner, recipients, elapsed_ms] as the dialplan reports them;
    recipients is None when the modules did not set the variable."""
    status, winner, recipients, elapsed = fields
    return [status, winner, int(recipients) if recipients else None, int(elapsed)]


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
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                starts = [e for e in self.events
                          if _matches(e, "StasisStart", call.channel_id)]
                if len(starts) > nth:
                    return parse_outcome(starts[nth]["args"])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no outcome for call {call.id}")
                self._cond.wait(remaining)


class Racer(App):
    """An application that claims every call it is offered, at once, and on
    winning hands the channel back to the dialplan."""

    def __init__(self, ari, name, claim=True):
        self.claims = {}
        self.want = claim
        super().__init__(ari, name, on_event=Racer._handle)

    @staticmethod
    def _handle(app, event):
        kind = event.get("type")
        if kind == "CallBroadcast" and app.want:
            channel_id = event["channel"]["id"]
            app.claims[channel_id] = app.claim(channel_id)
        elif kind == "StasisStart":
            app.ari.continue_in_dialplan(event["channel"]["id"])
