#!/usr/bin/env bash
# The same small-blob GET load driven by `regcheck load` (every body verified against its
# digest) and by oha (no verification), each against the same `regcheck serve` on loopback;
# prints each tool's CPU seconds per 10k requests and achieved requests per second, side by
# side, and the CPU ratio. The server runs in its own process and is not counted.
# Usage: benches/oha-compare.sh [REQUESTS] [CONCURRENCY] [SIZE]   (default: 50000 16 4KiB)
# Needs oha (`cargo install oha`), python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-50000}
concurrency=${2:-16}
size=${3:-4KiB}
command -v oha >/dev/null || { echo "oha is not installed: cargo install oha" >&2; exit 2; }
cargo build --release -q
bin=$PWD/target/release/regcheck
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" >/dev/null &
server=$!
sleep 1
base="http://127.0.0.1:$port"
bytes=$(python3 - "$size" <<'PY'
import sys
s = sys.argv[1]
for unit, mult in (("KiB", 1024), ("MiB", 1 << 20), ("B", 1)):
    if s.endswith(unit):
        print(int(float(s[: -len(unit)]) * mult)); break
else:
    print(int(s))
PY
)
# One blob of SIZE for oha to GET (regcheck pushes its own pool in its prepare phase).
url=$(python3 - "$base" "$bytes" <<'PY'
import hashlib, os, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
data = os.urandom(n)
digest = "sha256:" + hashlib.sha256(data).hexdigest()
req = urllib.request.Request(f"{base}/v2/bench/oha/blobs/uploads/?digest={digest}", data=data, method="POST",
                             headers={"Content-Type": "application/octet-stream"})
assert urllib.request.urlopen(req).status == 201
print(f"{base}/v2/bench/oha/blobs/{digest}")
PY
)
/usr/bin/time -f "%U %S %e" -o "$work/oha.time" oha -n "$requests" -c "$concurrency" --no-tui \
  --output-format json "$url" >"$work/oha.json"
/usr/bin/time -f "%U %S %e" -o "$work/rc.time" "$bin" load -q --target "$base" --workload pull \
  --blob-size "$size" --pool 1 -n "$requests" -c "$concurrency" --report "json=$work/rc.json" >/dev/null
/usr/bin/time -f "%U %S %e" -o "$work/rcn.time" "$bin" load -q --target "$base" --workload pull \
  --blob-size "$size" --pool 1 -n "$requests" -c "$concurrency" --no-verify --report "json=$work/rcn.json" >/dev/null
python3 - "$work" "$requests" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
def cpu(name):
    u, s, e = open(f"{work}/{name}.time").read().split()[-3:]
    return float(u) + float(s), float(e)
oha = json.load(open(f"{work}/oha.json"))
rc = json.load(open(f"{work}/rc.json"))
oha_cpu, _ = cpu("oha")
rc_cpu, _ = cpu("rc")
oha_ok = oha["summary"]["successRate"]
rc_err = rc["load"]["total"]["errors"]
print(f"{'tool':<30} {'CPU s/10k req':>14} {'req/s':>10}  notes")
print(f"{'oha':<30} {oha_cpu / n * 1e4:>14.3f} {oha['summary']['requestsPerSec']:>10.0f}  success rate {oha_ok:.4f}, no verification")
print(f"{'regcheck load (verified)':<30} {rc_cpu / n * 1e4:>14.3f} {rc['load']['total']['rps']:>10.0f}  {rc_err} errors, every body checked (compared with the pushed content, or sha256)")
rcn = json.load(open(f"{work}/rcn.json"))
rcn_cpu, _ = cpu("rcn")
print(f"{'regcheck load --no-verify':<30} {rcn_cpu / n * 1e4:>14.3f} {rcn['load']['total']['rps']:>10.0f}  {rcn['load']['total']['errors']} errors, bodies counted only")
print(f"CPU ratio regcheck/oha: {rc_cpu / oha_cpu:.2f} verified, {rcn_cpu / oha_cpu:.2f} without verification")
PY
