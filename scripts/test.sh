#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds with warnings as
# errors, runs the libFuzzer target briefly, the unit, robustness and golden
# tests under ASan+UBSan, then every test (unit, fuzz, golden, e2e) on the release build.
# Test data comes from $CRIA_SHARED (default ../shared); with CI set, missing data fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh
export CRIA_SHARED="${CRIA_SHARED:-$root/../shared}"
jobs="${CRIA_JOBS:-$(nproc)}"

ensure_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
scripts/fetch-ggml.sh
log "npm packages of the end-to-end tests (the official ollama client)"
npm ci --prefix tests/e2e/node --no-audit --no-fund --loglevel=error

log "style: clang-format --dry-run --Werror on every tracked C++ file"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files '*.cc' '*.h' | xargs -r clang-format --dry-run --Werror
fi

if command -v clang++ >/dev/null; then
  log "libFuzzer build (preset: fuzz)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target gguf_fuzz -j "$jobs"
  ctest --test-dir build/fuzz -L libfuzzer --output-on-failure
else
  log "NOTICE: clang++ not found, skipping the libFuzzer target"
fi

log "ASan+UBSan build (preset: ci-debug): unit, robustness and golden tests"
cmake --preset ci-debug >/dev/null
cmake --build --preset ci-debug -j "$jobs"
# "heavy": thousands of generations (structured output), minutes in release and many times
# that under the sanitizers; the release run below has them.
ctest --preset ci-debug -L 'unit|fuzz|golden' -LE heavy -j "$jobs"

log "release build (preset: ci): every test"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"
