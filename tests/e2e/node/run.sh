#!/usr/bin/env bash
# Runs the ollama-js end-to-end tests (node:test). The npm packages come from
# `npm ci` in this folder, which scripts/test.sh runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CRIA_SHARED="${CRIA_SHARED:-$CRIA_SOURCE_DIR/../shared}"
if [[ ! -d "$here/node_modules/ollama" ]]; then
  if [[ -n "${CI:-}" ]]; then
    echo "tests/e2e/node/node_modules is missing: run 'npm ci' there (scripts/test.sh does)" >&2
    exit 1
  fi
  echo "NOTICE: skipping the ollama-js tests; run 'npm ci --prefix tests/e2e/node' first"
  exit 77
fi
exec node --test --test-concurrency=1 "$here"/*.test.mjs
