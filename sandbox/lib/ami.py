"""The AMI client: log in, collect every event, await the ones you need.

`Ami` reads on a thread of its own (tests following a few calls); `AsyncAmi`
on asyncio, handing every event to a callback (the soak). Both speak AMI
through encode() and decode().
"""

import asyncio
import socket
import threading

from waiting import wait_until


def encode(fields):
    """One AMI action (or message) as bytes."""
    return ("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode()


def decode(block):
    """One AMI message (the bytes up to its blank line) as a dict."""
    message = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, _, value = line.partition(": ")
        if key:
            message[key] = value
    return message


class Ami:
    def __init__(self, port, user="test", secret="test"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self.events = []
        self._cond = threading.Condition()
        self._buffer = b""
        self.sock.recv(128)  # the banner line
        self._send({"Action": "Login", "Username": user, "Secret": secret})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda m: m.get("Response") == "Success", what="login")

    def _send(self, fields):
        self.sock.sendall(encode(fields))

    def _read(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            self._buffer += chunk
            while b"\r\n\r\n" in self._buffer:
                block, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
                message = decode(block)
                with self._cond:
                    self.events.append(message)
                    self._cond.notify_all()

    def named(self, name, **fields):
        with self._cond:
            return [m for m in self.events if m.get("Event") == name
                    and all(m.get(k) == v for k, v in fields.items())]

    def wait_for(self, predicate, timeout=5.0, what="event"):
        """The first message PREDICATE accepts; raises a TimeoutError."""
        return wait_until(lambda: next((m for m in self.events if predicate(m)), None),
                          timeout, f"AMI: {what}", cond=self._cond)

    def wait_event(self, name, timeout=5.0, **fields):
        return self.wait_for(lambda m: m.get("Event") == name
                             and all(m.get(k) == v for k, v in fields.items()),
                             timeout, what=f"{name} {fields}")

    def close(self):
        try:
            self._send({"Action": "Logoff"})
            self.sock.close()
        except OSError:
            pass
        self._reader.join(timeout=5)


class AsyncAmi:
    """An AMI session that hands every event to a callback."""

    def __init__(self, port, user="test", secret="test", events="on"):
        self.port, self.user, self.secret, self.events = port, user, secret, events
        self.reader = self.writer = None

    async def connect(self, on_event):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        await self.reader.readline()  # banner
        self.send({"Action": "Login", "Username": self.user, "Secret": self.secret,
                   "Events": self.events})
        self.on_event = on_event
        return asyncio.ensure_future(self._read())

    def send(self, fields):
        self.writer.write(encode(fields))

    async def _read(self):
        while True:
            try:
                block = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            self.on_event(decode(block))

    def close(self):
        if self.writer:
            self.writer.close()
