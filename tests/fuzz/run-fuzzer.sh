#!/usr/bin/env bash
# Runs the libFuzzer GGUF target for a while, seeded with real GGUF files.
#   tests/fuzz/run-fuzzer.sh BUILD_BIN_DIR [SECONDS]
set -euo pipefail
bin="${1:?usage: run-fuzzer.sh BUILD_BIN_DIR [SECONDS]}/gguf_fuzz"
seconds="${2:-30}"
root=$(cd "$(dirname "$0")/../.." && pwd)
shared="${CRIA_SHARED:-$root/../shared}"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$root/models/stories260K.gguf" "$corpus/"
for f in "$shared/models/derived/stories260K-Q4_0.gguf" "$shared/models/vocab/ggml-vocab-bert-bge.gguf"; do
  [[ -f "$f" ]] && cp "$f" "$corpus/"
done
echo "[fuzz] gguf_fuzz for ${seconds}s on $(ls "$corpus" | wc -l) seed files"
"$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -n 25
