#!/usr/bin/env bash
# One command from a fresh Debian machine to a working Cria:
# installs the packages, fetches and verifies the pinned ggml, builds the
# release binary (build/bin/cria) and runs it on the bundled model.
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
log "done: the binary is build/bin/cria"
