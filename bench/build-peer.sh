#!/usr/bin/env bash
# Builds the peer we compare against: llama.cpp's llama-bench and llama-server
# from the same pinned bundle our ggml comes from (same commit), with the same
# ggml flags as our release build (CPU, native, OpenMP). Output (git-ignored):
#   build/peer/bin/llama-bench, build/peer/bin/llama-server
# Takes about 5 minutes on 2 idle cores. Nothing of it is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
src="$root/build/_deps/llama.cpp"
out="$root/build/peer"
jobs="${CRIA_JOBS:-$(nproc)}"

scripts/fetch-ggml.sh --full-source "$src"
echo "[peer] configuring llama.cpp $(cat "$src/.cria-commit") in ${out#"$root"/}"
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=ON -DGGML_OPENMP=ON -DGGML_CCACHE=OFF -DGGML_CUDA_NCCL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_APP=OFF "$@" >/dev/null
cmake --build "$out" --target llama-bench llama-server -j "$jobs"
echo "[peer] built: ${out#"$root"/}/bin/llama-bench and llama-server"
