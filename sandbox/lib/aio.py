"""HTTP/1.1 with keep-alive on asyncio, for load (the fault soak, the claim
route floods): thousands of requests a second from one process. Every request
is written as bytes and every response read by its Content-Length (ARI always
sends one). The asyncio side of the ARI and AMI clients is in ari.py (AsyncApp)
and ami.py (AsyncAmi), with the thread-per-client side.
"""

import asyncio
import base64
import json
import time
from urllib.parse import urlencode



class HttpResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


async def read_response(reader):
    """One HTTP/1.1 response; the connection stays usable after it."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    _, status, reason = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers = {}
    while True:
        line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return HttpResponse(int(status), reason, headers, body)


def basic_auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class HttpConnection:
    """One keep-alive connection; requests on it are sent one at a time."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method, path, params=None, body=None, headers=None, raw_body=None):
        if params:
            path += "?" + urlencode(params)
        data = raw_body if raw_body is not None else (
            json.dumps(body).encode() if body is not None else b"")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(data)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.writer is None:
            await self.open()
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        await self.writer.drain()
        response = await read_response(self.reader)
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None


class HttpPool:
    """Keep-alive connections to one server, reused across requests."""

    # Asterisk closes a connection idle for http.conf's session_keep_alive
    # (15 s by default); one idle longer than this is not reused.
    IDLE_S = 10

    def __init__(self, host, port, auth=None):
        self.host, self.port = host, port
        self.auth = auth
        self.idle = []        # (connection, idle since), the most recent last
        self.opened = set()   # every connection, idle or busy, until closed

    def take(self):
        """An idle connection recent enough to reuse, or None."""
        while self.idle:
            connection, since = self.idle.pop()
            if time.monotonic() - since < self.IDLE_S:
                return connection
            connection.close()
            self.opened.discard(connection)
        return None

    async def request(self, method, path, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if self.auth:
            headers.setdefault("Authorization", basic_auth(*self.auth))
        for attempt in (1, 2):
            # Even a recent one may have been closed under us: the retry
            # takes a new connection.
            connection = self.take() if attempt == 1 else None
            reused = connection is not None
            connection = connection or HttpConnection(self.host, self.port)
            self.opened.add(connection)
            try:
                response = await connection.request(method, path, headers=headers, **kwargs)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                connection.close()
                self.opened.discard(connection)
                if not reused:
                    raise
                continue
            if connection.writer:
                self.idle.append((connection, time.monotonic()))
            return response

    def close(self):
        """Close every connection, also those of requests still under way."""
        for connection in self.opened:
            connection.close()
        self.idle = []
        self.opened = set()
