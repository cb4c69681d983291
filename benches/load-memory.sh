#!/usr/bin/env bash
# Peak memory of `regcheck load` (its own process only) pushing and pulling blobs of growing
# size — monolithic push, chunked push, verified pull — against `regcheck serve --storage` in a
# separate process on loopback. Flat numbers mean bodies stream: nothing the size of a blob is
# held. Usage: benches/load-memory.sh [SIZES...] (default: 16MiB 256MiB 1GiB); needs /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/regcheck
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" --storage "$work/store" >/dev/null &
server=$!
sleep 1
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16MiB 256MiB 1GiB)
for s in "${sizes[@]}"; do
  for workload in push push-chunked pull; do
    /usr/bin/time -f "%M %e" -o "$work/rss" "$bin" load -q --target "http://127.0.0.1:$port" \
      --workload "$workload" --blob-size "$s" --chunk-size 8MiB --pool 1 -n 2 -c 1 --timeout 600 >/dev/null
    read -r kib secs <"$work/rss"
    echo "blob $s $workload: harness peak RSS $(( kib / 1024 )) MiB (${secs} s, pool prepare included)"
  done
done
