#!/usr/bin/env bash
# The two cost goals of the load generator, each measured as a ratio against a peer in one run,
# interleaved (peer, regcheck, peer, regcheck, …) and summarised by the median of the pairs:
#  1. CPU per verified small-blob GET: `regcheck load --workload pull` (every body checked)
#     against oha (no checks), both driving the same GETs of one 4 KiB blob at concurrency 16
#     against one `regcheck serve` in its own process. Goal: regcheck/oha <= 0.8.
#  2. Verified large-blob pulls per CPU-second: bytes `regcheck load` pulls and verifies (sha256
#     while streaming) per CPU-second its process spent pulling (the report's generator_cpu:
#     getrusage at the start and end of the measured phase, every thread; the prepare phase's
#     pushes are not pulls), against what `openssl speed -evp sha256` hashes per CPU-second on
#     the same machine. One pull at a time: on a 2-core machine the server needs the other core,
#     and two pullers plus the server on two cores measure the scheduler. The whole process's
#     figure (prepare included) is printed beside it. Goal: regcheck/openssl >= 0.8.
# Usage: benches/cost-goals.sh [PAIRS] [SMALL_REQUESTS] [LARGE_SIZE] [LARGE_PULLS]
#   (defaults: 5 pairs, 100000 small GETs, 64MiB blobs, 16 large pulls)
# Needs oha (`cargo install oha --locked`), openssl, python3 and /usr/bin/time. Loopback only;
# every run is bounded by -n. Exit 0 when both goals are met, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-5}
small=${2:-100000}
large_size=${3:-64MiB}
large_pulls=${4:-16}
command -v oha >/dev/null || { echo "oha is not installed: cargo install oha --locked" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
cargo build --release -q
bin=$PWD/target/release/regcheck
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" >/dev/null &
server=$!
sleep 1
base="http://127.0.0.1:$port"
# The blob oha GETs (regcheck pushes its own pool of one 4 KiB blob in its prepare phase).
url=$(python3 - "$base" <<'PY'
import hashlib, os, sys, urllib.request
base = sys.argv[1]
data = os.urandom(4096)
digest = "sha256:" + hashlib.sha256(data).hexdigest()
req = urllib.request.Request(f"{base}/v2/bench/oha/blobs/uploads/?digest={digest}", data=data,
                             method="POST", headers={"Content-Type": "application/octet-stream"})
assert urllib.request.urlopen(req).status == 201
print(f"{base}/v2/bench/oha/blobs/{digest}")
PY
)
cpu() { # TIMEFILE -> user+sys seconds
  python3 -c 'import sys; u, s = open(sys.argv[1]).read().split()[-2:]; print(float(u) + float(s))' "$1"
}
errors() { # REPORT.json -> failed operations
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["load"]["total"]["errors"])' "$1"
}
: >"$work/small"
: >"$work/large"
for i in $(seq 1 "$pairs"); do
  /usr/bin/time -f "%U %S" -o "$work/oha.time" oha -n "$small" -c 16 --no-tui \
    --output-format json "$url" >"$work/oha.json"
  /usr/bin/time -f "%U %S" -o "$work/rc.time" "$bin" load -q --target "$base" --workload pull \
    --blob-size 4KiB --pool 1 -n "$small" -c 16 --report "json=$work/rc.json" >/dev/null
  [ "$(errors "$work/rc.json")" = 0 ] || { echo "regcheck load had errors" >&2; exit 2; }
  o=$(cpu "$work/oha.time"); r=$(cpu "$work/rc.time")
  echo "$o $r" >>"$work/small"
  printf 'small pair %d: oha %.3f CPU s, regcheck %.3f CPU s per %d GETs: ratio %.3f\n' \
    "$i" "$o" "$r" "$small" "$(python3 -c "print($r / $o)")"
  openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null >"$work/openssl.txt"
  /usr/bin/time -f "%U %S" -o "$work/big.time" "$bin" load -q --target "$base" --workload pull \
    --blob-size "$large_size" --pool 2 -n "$large_pulls" -c 1 --report "json=$work/big.json" >/dev/null
  [ "$(errors "$work/big.json")" = 0 ] || { echo "regcheck load had errors" >&2; exit 2; }
  python3 - "$work" >>"$work/large" <<'PY'
import json, sys
work = sys.argv[1]
# openssl's last line: "sha256  <rate in 1000s of bytes per second for 16384-byte blocks>k"
line = [l for l in open(f"{work}/openssl.txt") if l.startswith("sha256")][-1]
openssl = float(line.split()[-1].rstrip("k")) * 1000
u, s = open(f"{work}/big.time").read().split()[-2:]
load = json.load(open(f"{work}/big.json"))["load"]
moved = load["total"]["bytes"]
cpu = load["generator_cpu"]
print(openssl, moved / (cpu["user_secs"] + cpu["system_secs"]), moved / (float(u) + float(s)))
PY
  read -r ossl rc_rate whole < <(tail -1 "$work/large")
  printf 'large pair %d: openssl sha256 %.2f GB/s, regcheck verified pulls %.2f GB per CPU-second pulling (%.2f for the whole process): ratio %.3f\n' \
    "$i" "$(python3 -c "print($ossl / 1e9)")" "$(python3 -c "print($rc_rate / 1e9)")" \
    "$(python3 -c "print($whole / 1e9)")" "$(python3 -c "print($rc_rate / $ossl)")"
done
python3 - "$work" <<'PY'
import statistics, sys
work = sys.argv[1]
small = [float(r) / float(o) for o, r in (l.split() for l in open(f"{work}/small"))]
large = [float(r) / float(o) for o, r, _ in (l.split() for l in open(f"{work}/large"))]
s, l = statistics.median(small), statistics.median(large)
print(f"CPU per verified small GET, regcheck/oha: median {s:.3f} (goal <= 0.8): {'met' if s <= 0.8 else 'NOT met'}")
print(f"verified large pulls per CPU-second, regcheck/openssl sha256: median {l:.3f} (goal >= 0.8): {'met' if l >= 0.8 else 'NOT met'}")
sys.exit(0 if s <= 0.8 and l >= 0.8 else 1)
PY
