"""A minimal AMI client: log in, collect every event, await the ones you need."""

import socket
import threading
import time


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
        text = "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self.sock.sendall(text.encode())

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
                message = {}
                for line in block.decode("utf-8", "replace").split("\r\n"):
                    key, _, value = line.partition(": ")
                    message[key] = value
                with self._cond:
                    self.events.append(message)
                    self._cond.notify_all()

    def named(self, name, **fields):
        with self._cond:
            return [m for m in self.events if m.get("Event") == name
                    and all(m.get(k) == v for k, v in fields.items())]

    def wait_for(self, predicate, timeout=5.0, what="event"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.events:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"AMI: no {what}")
                self._cond.wait(remaining)

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
