#!/usr/bin/env bash
# Wall time and peak RSS of `regcheck run` against each hostile fault of the reference registry
# (`regcheck serve --fault X` in a separate process, so the numbers are the harness's alone;
# one row runs registry and harness in one process). The runs are tests/hostile.rs, one at a
# time in release mode so timings are not skewed by each other; limits: --timeout 3
# --headers-timeout 2 --jobs 8. Prints a Markdown table.
# Usage: benches/hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/hostile-numbers
rm -rf "$out"
cargo test --release -q --test integration hostile::fault_ -- --test-threads=1 >/dev/null
echo "| fault | exit | wall time (s) | peak RSS (MiB) |"
echo "|---|---|---|---|"
sort "$out"/*.tsv | while IFS=$'\t' read -r fault code ms kib; do
  printf '| %s | %s | %.2f | %.1f |\n' "$fault" "$code" "$(echo "$ms / 1000" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
done
