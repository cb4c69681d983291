#!/usr/bin/env bash
# Regenerates every example in reports/ from real runs (never hand-edit them):
#   bash reports/regenerate.sh
# 1. example-embedded.*   the embedded registry (token auth), clean: every scenario passes
# 1b. example-minimal.*  the spec-minimal embedded registry (--embedded-minimal): nothing fails,
#                         the conventional API-version header is a warning, the rest skipped
#                         with the probe's evidence
# 2. example-fault.*      the embedded registry with the injected fault `corrupt-blob-body`:
#                         every format (json, junit.xml, md, html, terminal txt)
# 3. example-known.*      the same fault with --baseline reports/example-known.yaml: listed
#                         failures are `known`, the exit code is 0, one entry is reported fixed
# 4. example-diff.*       `report diff` of 1 against 2 (md and json): the regressions
# 5. example-load.*       `regcheck load` (embedded, 3 s of pull/push), then `report render`
#                         to md, html (percentile curves, timeline) and junit
# 6. example-distribution.*  CNCF Distribution (Debian docker-registry), when it is installed
# 7. example-ferro.*      ferro-oci-server (crates.io), when it is installed: no failure, the
#                         conventions it does not follow as warnings
# REGCHECK_BIN overrides the binary (default: a debug build of this tree).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REGCHECK_BIN:-}" ]; then
  cargo build --quiet
  REGCHECK_BIN=target/debug/regcheck
fi
bin=$REGCHECK_BIN
r=reports
# Exit 1 (checks failed) is the expected outcome of the fault runs; anything else stops here.
expect() { local want=$1; shift; local code=0; "$@" || code=$?; [ "$code" = "$want" ] || { echo "regenerate: '$*' exited $code, expected $want" >&2; exit 1; }; }

echo "== embedded, clean"
expect 0 "$bin" run -q --report json=$r/example-embedded.json >$r/example-embedded.txt

echo "== embedded, spec-minimal"
expect 0 "$bin" run -q --embedded-minimal --report json=$r/example-minimal.json --report md=$r/example-minimal.md >$r/example-minimal.txt

echo "== embedded, fault corrupt-blob-body: every format"
expect 1 "$bin" run -q --embedded-fault corrupt-blob-body \
  --report json=$r/example-fault.json --report junit=$r/example-fault.junit.xml \
  --report md=$r/example-fault.md --report html=$r/example-fault.html >$r/example-fault.txt

echo "== embedded, same fault, with a baseline of known deviations"
expect 0 "$bin" run -q --embedded-fault corrupt-blob-body --baseline $r/example-known.yaml \
  --report json=$r/example-known.json --report md=$r/example-known.md \
  --report html=$r/example-known.html >$r/example-known.txt

echo "== report diff clean → fault"
expect 1 "$bin" report diff $r/example-embedded.json $r/example-fault.json --fail-on-regression --format md >$r/example-diff.md
expect 0 "$bin" report diff $r/example-embedded.json $r/example-fault.json --format json >$r/example-diff.json

echo "== load, rendered"
expect 0 "$bin" load -q --duration 3s --workload pull,push --report json=$r/example-load.json >$r/example-load.txt
expect 0 "$bin" report render $r/example-load.json --report md=$r/example-load.md \
  --report html=$r/example-load.html --report junit=$r/example-load.junit.xml

if command -v docker-registry >/dev/null; then
  echo "== CNCF Distribution"
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s/data}, delete: {enabled: true}}\nhttp: {addr: 127.0.0.1:%s}\n' "$dir" "$port" >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >/dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  expect 1 "$bin" run -q --target http://127.0.0.1:$port \
    --report json=$r/example-distribution.json --report junit=$r/example-distribution.junit.xml \
    --report md=$r/example-distribution.md --report html=$r/example-distribution.html >$r/example-distribution.txt
else
  echo "== CNCF Distribution: docker-registry not installed, example-distribution.* kept as is"
fi
if command -v ferro-oci-server >/dev/null; then
  echo "== ferro-oci-server"
  fdir=$(mktemp -d)
  fport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  FERRO_OCI_LISTEN=127.0.0.1:$fport FERRO_OCI_STORAGE_DIR=$fdir ferro-oci-server >/dev/null 2>&1 &
  fpid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$fport) 2>/dev/null && break; sleep 0.1; done
  expect 0 "$bin" run -q --target http://127.0.0.1:$fport \
    --report json=$r/example-ferro.json --report md=$r/example-ferro.md \
    --report html=$r/example-ferro.html >$r/example-ferro.txt
  kill $fpid 2>/dev/null; rm -rf "$fdir"
else
  echo "== ferro-oci-server: not installed (cargo install ferro-oci-server --locked), example-ferro.* kept as is"
fi
echo "examples regenerated in $r/"
