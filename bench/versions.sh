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
for version in ${SB_MATRIX:-$MATRIX}; do
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
         "One application, one call at a time; client-side times in ms (the claim's HTTP",
         "round trip included). Medians over the calls of one run per version.", "",
         "| Asterisk | modules | claim HTTP p50 | claim -> StasisStart p50 | p90 | p99 | calls |",
         "|---|---|---|---|---|---|---|"]
for row in rows:
    for name in ("ours", "stock"):
        if name in row:
            s = row[name]["claim_to_stasisstart_ms"]
            lines.append(f"| {row['version']} | {name} | {row[name]['claim_http_ms']['p50']:.2f} "
                         f"| {s['p50']:.2f} | {s['p90']:.2f} | {s['p99']:.2f} | {s['n']} |")
(out / "report.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
