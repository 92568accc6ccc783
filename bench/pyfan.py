"""pyfan: many ARI applications written the way Python applications are, for
fan-out benchmarks; wsfan's stand-in from Fan's point of view (bench/common.py).

    pyfan.py [--workers N] [ADDRESS:]PORT USER:PASSWORD PREFIX COUNT [STALLED]

Connects COUNT ARI applications named PREFIX0000, PREFIX0001, ... to
ADDRESS:PORT (127.0.0.1 by default). The reading ones are shared among N
worker processes (4 by default), each an asyncio loop holding its share with
the websockets library and parsing every event it is sent as JSON, as an
application on the same host as Asterisk would, taking CPU from it. The last
STALLED applications complete the handshake and then never read again (a
stuck client, as in wsfan), held by the parent process.

The protocol on standard output is wsfan's: "ready" once every application is
connected, then one line per broadcast once every reading application has its
CallBroadcast,

    bcast CHANNEL_ID RECEIVED FIRST_NS LAST_NS

times on CLOCK_MONOTONIC (time.monotonic_ns()), taken when a worker is handed
each message, before parsing it. A worker reports a channel when its own
share has it all; the parent merges the workers' reports. On SIGTERM it
prints the CPU time of all its processes, "cpu USER_S SYS_S", and exits.
"""

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sandbox" / "lib"))

import websockets.asyncio.client  # noqa: E402
import websockets.exceptions  # noqa: E402
from ari import events_url, stalled_websocket  # noqa: E402

# Handshakes a worker has in progress at once: Asterisk's HTTP server starts a
# thread for each.
CONNECTING_AT_ONCE = 16


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    parser.add_argument("server", metavar="[ADDRESS:]PORT")
    parser.add_argument("credentials", metavar="USER:PASSWORD")
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("stalled", type=int, nargs="?", default=0)
    args = parser.parse_args()
    args.host, _, port = args.server.rpartition(":")
    args.host = args.host or "127.0.0.1"
    args.port = int(port)
    args.user, _, args.password = args.credentials.partition(":")
    if args.count - args.stalled < 1:
        parser.error("at least one application must read")
    return args


def raise_open_files_limit():
    """A process may hold every connection: a thousand sockets and then some."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def hold(args, names, out):
    """One worker: connect NAMES, then read them all; send ("ready",) once
    connected, ("part", CHANNEL, RECEIVED, FIRST_NS, LAST_NS) once every one
    of them has a channel's CallBroadcast."""
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def connect(name):
        async with gate:
            # No keep-alive pings: wsfan sends none, and Asterisk would spend
            # CPU answering them that the benchmark counts.
            return await websockets.asyncio.client.connect(
                events_url(args.host, args.port, name, args.user, args.password),
                ping_interval=None, max_size=None)

    try:
        sockets = await asyncio.gather(*(connect(name) for name in names))
    except (OSError, websockets.exceptions.WebSocketException) as failure:
        out.send(("error", f"{type(failure).__name__}: {failure}"))
        return
    out.send(("ready",))
    offers = {}   # channel id -> [received, first_ns, last_ns] within this worker

    async def read(ws):
        try:
            async for message in ws:
                received = time.monotonic_ns()
                event = json.loads(message)
                if event.get("type") != "CallBroadcast":
                    continue
                offer = offers.setdefault(event["channel"]["id"], [0, received, received])
                offer[0] += 1
                offer[2] = received
                if offer[0] == len(names):
                    del offers[event["channel"]["id"]]
                    out.send(("part", event["channel"]["id"], *offer))
        except websockets.exceptions.ConnectionClosed:
            pass

    await asyncio.gather(*(read(ws) for ws in sockets))


def worker(args, names, out):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(hold(args, names, out))


def on_terminate(signum, frame):
    raise SystemExit(0)


def report(readers):
    """Print a bcast line for each channel once every worker has reported it."""
    channels = {}   # channel id -> [workers heard, received, first_ns, last_ns]
    while True:
        for reader in multiprocessing.connection.wait(readers):
            try:
                _, channel, received, first, last = reader.recv()
            except EOFError:
                sys.exit("pyfan: a worker ended")
            merged = channels.setdefault(channel, [0, 0, first, last])
            merged[0] += 1
            merged[1] += received
            merged[2] = min(merged[2], first)
            merged[3] = max(merged[3], last)
            if merged[0] == len(readers):
                del channels[channel]
                print(f"bcast {channel} {merged[1]} {merged[2]} {merged[3]}", flush=True)


def main():
    args = arguments()
    raise_open_files_limit()
    reading = args.count - args.stalled
    names = [f"{args.prefix}{i:04d}" for i in range(args.count)]
    workers = max(1, min(args.workers, reading))
    # Forked before any thread or event loop exists in this process.
    context = multiprocessing.get_context("fork")
    processes, readers = [], []
    for w in range(workers):
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=worker, args=(args, names[w:reading:workers], writer))
        process.start()
        writer.close()
        processes.append(process)
        readers.append(reader)
    signal.signal(signal.SIGTERM, on_terminate)
    stalled = []
    try:
        for reader in readers:
            message = reader.recv()
            if message[0] != "ready":
                print("error", *message[1:], flush=True)
                sys.exit(1)
        stalled = [stalled_websocket(args.port, name, args.user, args.password, args.host)
                   for name in names[reading:]]
        print("ready", flush=True)
        report(readers)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        for sock in stalled:
            sock.close()
        usage = os.times()
        print(f"cpu {usage.user + usage.children_user:.3f} "
              f"{usage.system + usage.children_system:.3f}", flush=True)


if __name__ == "__main__":
    main()
