#!/usr/bin/env bash
# One command from a fresh Debian machine to a working Cria:
# installs the packages, fetches and verifies the pinned ggml, builds the
# release binary (build/bin/cria), shows the bundled model and generates a story with it.
# Safe to run again: every step skips what is already done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

# The test packages are small; installing them here lets the release tree build its tests too.
ensure_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

log "fetching ggml (pinned in deps/ggml.lock)"
scripts/fetch-ggml.sh

log "configuring and building (preset: release)"
cmake --preset release >/dev/null
cmake --build --preset release --target cria

log "the bundled model, models/stories260K.gguf:"
build/bin/cria show --file models/stories260K.gguf
log "a story from it: cria generate --model models/stories260K.gguf \"Once upon a time\""
printf 'Once upon a time'
build/bin/cria generate --model models/stories260K.gguf --temperature 0 -n 120 "Once upon a time"
log "done: the binary is build/bin/cria"
