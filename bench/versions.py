"""Claim -> StasisStart on one Asterisk of the version matrix (run inside its
sandbox root by bench/versions.sh): one application, one call at a time, as
in make bench's round-trip scenario. Prints one JSON line: the version, and
per target (ours; also stock where the host ships it) the percentiles."""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Target  # noqa: E402
import scenarios  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "200"))


def main():
    names = ["ours", "stock"] if os.environ.get("SB_ASTERISK", "debian") == "debian" else ["ours"]
    version = subprocess.run(["asterisk", "-V"], capture_output=True, text=True).stdout.split()[1]
    result = {"asterisk": os.environ.get("SB_ASTERISK", "debian"), "version": version}
    for port, name in enumerate(names, start=8089):
        target = Target(name, port).start()
        try:
            scenarios.claim_round_trip(target, 20)  # warm-up
            rounds = scenarios.claim_round_trip(target, CALLS)
        finally:
            target.stop()
        result[name] = {key: rounds[key] for key in
                        ("claim_http_ms", "claim_to_stasisstart_ms", "originate_to_stasisstart_ms")}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
