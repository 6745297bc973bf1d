#!/usr/bin/env bash
# The benchmark tools build and run: compare-engine and compare-server in their
# cria-only mode (CI does not build the llama.cpp peer) on a tiny model, a few tokens.
# Usage: bench_smoke.sh CRIA MAKE_MODEL BANDWIDTH SOURCE_DIR
set -euo pipefail
cria=$1 make_model=$2 bandwidth=$3 src=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$make_model" --preset tiny --type Q8_0 --out "$work/tiny.gguf" >/dev/null
engine=$(python3 "$src/bench/compare-engine" --cria-only --cria "$cria" --bandwidth "$bandwidth" \
  --threads 1 --rounds 1 --reps 1 -p 16 -n 8 "$work/tiny.gguf")
echo "$engine"
grep -qE '^\| tiny.gguf \| Q8_0 \| [0-9.]+ \| 0\.0 \| – \| [0-9.]+ ' <<<"$engine"
server=$(python3 "$src/bench/compare-server" --cria-only --cria "$cria" --threads 1 --clients 1,2 \
  --num-predict 4 --rounds 1 --prefix-tokens 40 --num-ctx 256 "$work/tiny.gguf")
echo "$server"
grep -qE '^\| concurrent \(2 clients\) \| aggregate decode t/s ↑ \| [0-9.]+ \|' <<<"$server"
grep -qE '^\| shared-prefix \([0-9]+ tokens\) \| second / first' <<<"$server"
echo "bench smoke: ok"
