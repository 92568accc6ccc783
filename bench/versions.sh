#!/usr/bin/env bash
# make bench-versions: claim -> StasisStart on every Asterisk of the version
# matrix, ours (and the stock modules where Debian's Asterisk has them), one
# version after another on a quiet machine. Writes
# bench/results/DATE-versions/report.md. BENCH_CALLS sets the calls (200).
set -euo pipefail
. "$(dirname "$0")/../sandbox/common.sh"
out="$REPO_DIR/bench/results/$(date +%F)-versions"
mkdir -p "$out"
: > "$out/results.jsonl"
for version in ${SB_MATRIX:-$MATRIX $EDGE_MATRIX}; do
	echo "=== Asterisk $version ===" >&2
	SB_ASTERISK=$version "$REPO_DIR/sandbox/enter.sh" \
		"make -s all && BENCH_CALLS=${BENCH_CALLS:-200} python3 -u bench/versions.py" \
		| sed -n 's/^RESULT //p' >> "$out/results.jsonl"
done
python3 - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
lines = ["# Claim -> StasisStart across Asterisk versions", "",
         "One application, one call at a time; client-side times in ms (the claim's own",
         "round trip included). Claimed over HTTP, and down the application's WebSocket",
         "(a RESTRequest) where ARI has REST over WebSocket. Percentiles over the calls",
         "of one run per version.", "",
         "| Asterisk | modules | claimed over | claim answered p50 | claim -> StasisStart p50 "
         "| p90 | p99 | calls |",
         "|---|---|---|---|---|---|---|---|"]
for row in rows:
    for key in ("ours", "ours ws", "stock", "stock ws"):
        if key in row:
            name, _, transport = key.partition(" ")
            s = row[key]["claim_to_stasisstart_ms"]
            lines.append(f"| {row['version']} | {name} | {'WebSocket' if transport else 'HTTP'} "
                         f"| {row[key]['claim_http_ms']['p50']:.2f} | {s['p50']:.2f} "
                         f"| {s['p90']:.2f} | {s['p99']:.2f} | {s['n']} |")
(out / "report.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
