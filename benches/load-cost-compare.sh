#!/usr/bin/env bash
# CPU per request of two regcheck builds driving the same load, interleaved (A B A B …) against
# one `regcheck serve` in its own process: for refactors of the load path, "is B as cheap as A?".
# Prints each pair's CPU seconds per 10k operations and B/A, then the median ratio per workload.
# Usage: benches/load-cost-compare.sh A_BIN B_BIN [PAIRS] [REQUESTS] [CONCURRENCY] [WORKLOADS]
#   (defaults: 5 pairs, 100000 operations, concurrency 16, workloads "pull head")
# A_BIN is typically a release build of the commit before (git worktree add ../before <commit>;
# cargo build --release there), B_BIN target/release/regcheck. Needs python3 and /usr/bin/time.
# Loopback only; every run is bounded by -n.
set -euo pipefail
a=${1:?usage: $0 A_BIN B_BIN [PAIRS] [REQUESTS] [CONCURRENCY] [WORKLOADS]}
b=${2:?usage: $0 A_BIN B_BIN [PAIRS] [REQUESTS] [CONCURRENCY] [WORKLOADS]}
pairs=${3:-5}
requests=${4:-100000}
concurrency=${5:-16}
workloads=${6:-pull head}
for bin in "$a" "$b"; do [ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$b" serve --addr "127.0.0.1:$port" >/dev/null &
server=$!
sleep 1
base="http://127.0.0.1:$port"
run() { # BIN LABEL WORKLOAD
  /usr/bin/time -f "%U %S" -o "$work/$2.time" "$1" load -q --target "$base" --workload "$3" \
    --blob-size 4KiB --pool 1 -n "$requests" -c "$concurrency" --report "json=$work/$2.json" >/dev/null
  python3 - "$work/$2.time" "$work/$2.json" "$requests" <<'PY'
import json, sys
u, s = open(sys.argv[1]).read().split()[-2:]
r = json.load(open(sys.argv[2]))["load"]["total"]
assert r["errors"] == 0, f"{r['errors']} errors"
print((float(u) + float(s)) / int(sys.argv[3]) * 1e4)
PY
}
for w in $workloads; do
  : >"$work/ratios"
  for i in $(seq 1 "$pairs"); do
    ca=$(run "$a" "a$i" "$w")
    cb=$(run "$b" "b$i" "$w")
    python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'$w pair $i: A {a:.3f}  B {b:.3f} CPU s/10k ops  B/A {b/a:.3f}')" "$ca" "$cb"
    python3 -c "import sys; print(float(sys.argv[2])/float(sys.argv[1]))" "$ca" "$cb" >>"$work/ratios"
  done
  python3 - "$work/ratios" "$w" <<'PY'
import statistics, sys
r = [float(x) for x in open(sys.argv[1])]
print(f"{sys.argv[2]}: median B/A CPU per operation {statistics.median(r):.3f} over {len(r)} interleaved pairs")
PY
done
