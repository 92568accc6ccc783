"""Claim -> StasisStart on one Asterisk of the version matrix (run inside its
sandbox root by bench/versions.sh): one application, one call at a time, as
in make bench's round-trip scenario, claiming over HTTP and, where ARI has
REST over WebSocket, down the application's WebSocket. Prints one JSON line:
the version, and per target (ours; also stock where the host ships it) and
transport the percentiles."""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from common import Target  # noqa: E402
from helpers import REST_OVER_WEBSOCKET  # noqa: E402
import scenarios  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "200"))


def main():
    names = ["ours", "stock"] if os.environ.get("SB_ASTERISK", "debian") == "debian" else ["ours"]
    version = subprocess.run(["asterisk", "-V"], capture_output=True, text=True).stdout.split()[1]
    result = {"asterisk": os.environ.get("SB_ASTERISK", "debian"), "version": version}
    transports = ["http", "ws"] if REST_OVER_WEBSOCKET else ["http"]
    for port, name in enumerate(names, start=8089):
        target = Target(name, port).start()
        try:
            for transport in transports:
                scenarios.claim_round_trip(target, 20, transport)  # warm-up
                rounds = scenarios.claim_round_trip(target, CALLS, transport)
                key = name if transport == "http" else f"{name} ws"
                result[key] = {k: rounds[k] for k in ("claim_http_ms", "claim_to_stasisstart_ms",
                                                      "originate_to_stasisstart_ms")}
        finally:
            target.stop()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
