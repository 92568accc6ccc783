"""A flood of claims with bad or missing credentials, in a process of its own
so that it does not share the interpreter lock with the test that measures
real claims meanwhile (test_abuse.py).

    python3 flood.py PORT COUNT CONNECTIONS

Prints "flooding" once its connections are open, then sends claims as fast as
they are answered until it has sent at least COUNT and a line (or the end of
input) arrives on standard input; then prints {status: count} as JSON.
"""

import asyncio
import collections
import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox" / "lib"))

from aio import HttpConnection, basic_auth  # noqa: E402

BAD_CREDENTIALS = [{}, {"Authorization": basic_auth("test", "wrong")},
                   {"Authorization": basic_auth("nobody", "test")}]


async def flood(port, count, connections, stop):
    statuses = collections.Counter()
    sent = 0
    opened = [await HttpConnection("127.0.0.1", port).open() for _ in range(connections)]
    print("flooding", flush=True)

    async def one_connection(connection):
        nonlocal sent
        while sent < count or not stop.is_set():
            headers = BAD_CREDENTIALS[sent % len(BAD_CREDENTIALS)]
            params = {"channelId": "x", "application": "y"}
            if sent % 7 == 0:
                params["api_key"] = "test:wrong"
            sent += 1
            response = await connection.request("POST", "/ari/events/claim", params=params,
                                                headers=headers)
            statuses[response.status] += 1
        connection.close()

    await asyncio.gather(*(one_connection(c) for c in opened))
    return statuses


def main():
    port, count, connections = map(int, sys.argv[1:4])
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    # Standard input is read by a thread: a line or its end means stop.
    threading.Thread(target=lambda: (sys.stdin.readline(), loop.call_soon_threadsafe(stop.set)),
                     daemon=True).start()
    statuses = loop.run_until_complete(flood(port, count, connections, stop))
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()
