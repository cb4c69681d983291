#!/usr/bin/env bash
# Peak memory of the harness (the `regcheck run` process only) while it uploads a blob in 8 MiB
# chunks and downloads it back, for growing blob sizes, against `regcheck serve` with disk
# storage in a separate process on loopback. Flat numbers mean bodies are streamed.
# Usage: benches/memory.sh [SIZES...]   (default: 16MiB 256MiB 1GiB); needs /usr/bin/time.
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
for size in "${@:-16MiB 256MiB 1GiB}"; do
  for s in $size; do
    cat >"$work/big.yaml" <<YAML
name: big-blob
blobs: { big: { size: $s, seed: 1 } }
steps:
  - name: start
    op: StartUpload
    request: { path: "/v2/{{repo}}/blobs/uploads/" }
    expect: { status: 202 }
    capture: { upload: { header: Location } }
  - name: chunks
    for_each: { chunks: big, chunk_size: 8MiB }
    steps:
      - name: chunk
        op: UploadChunk
        request:
          url: "{{upload}}"
          headers: { Content-Range: "{{chunk.start}}-{{chunk.end}}" }
          body: { blob: big, bytes: "{{chunk.start}}-{{chunk.end}}" }
        expect: { status: 202 }
        capture: { upload: { header: Location } }
  - name: complete
    op: CompleteUpload
    request: { method: PUT, url: "{{upload}}", query: { digest: "{{blobs.big.digest}}" } }
    expect: { status: 201 }
  - name: get
    op: GetBlob
    request: { path: "/v2/{{repo}}/blobs/{{blobs.big.digest}}" }
    expect: { status: 200, body_digest: "{{blobs.big.digest}}" }
YAML
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" run -q --target "http://127.0.0.1:$port" \
      --scenarios "$work/big.yaml" --timeout 600 >/dev/null
    echo "blob $s: harness peak RSS $(( $(cat "$work/rss") / 1024 )) MiB"
  done
done
