#!/usr/bin/env bash
# One command from a fresh Debian machine to a working Cria:
# installs the packages, fetches and verifies the pinned ggml, builds the
# release binary (build/bin/cria), then runs the demo the way a user would: starts
# `cria serve`, creates a model from models/Modelfile, shows it and asks it for a story.
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

demo_server_stop() { [[ -n "${demo_pid:-}" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true; }
trap demo_server_stop EXIT

# The demo uses its own store and port, so it never touches ~/.ollama or a running server.
export OLLAMA_MODELS="$root/build/demo/models"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 11535)
export OLLAMA_HOST="127.0.0.1:$port"
mkdir -p "$root/build/demo"
log "demo: cria serve on $OLLAMA_HOST (store: build/demo/models, log: build/demo/serve.log)"
build/bin/cria serve >"$root/build/demo/serve.log" 2>&1 &
demo_pid=$!
for _ in $(seq 100); do build/bin/cria list >/dev/null 2>&1 && break; sleep 0.1; done

log "demo: cria create stories -f models/Modelfile"
build/bin/cria create stories -f models/Modelfile
build/bin/cria list
build/bin/cria show stories
log "demo: cria run stories \"Once upon a time\""
printf 'Once upon a time'
build/bin/cria run stories "Once upon a time"
build/bin/cria ps
log "done: the binary is build/bin/cria (try: build/bin/cria serve, then build/bin/cria run MODEL)"
