#!/usr/bin/env bash
# Fetches ggml at the pinned commit from the npm registry, verifies it, and
# extracts ggml/ and LICENSE into build/_deps/ggml (git-ignored, never edited).
#
#   scripts/fetch-ggml.sh [--full-source DIR]
#
# --full-source DIR also extracts the whole llama.cpp tree (for the benchmark
# peer and for reading); it is never part of our build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../deps/ggml.lock
source <(grep -E '^[A-Z_]+=' "$root/deps/ggml.lock")
deps="$root/build/_deps"
dest="$deps/ggml"
stamp="$dest/.cria-commit"
full_src=""
if [[ "${1:-}" == "--full-source" ]]; then full_src="${2:?--full-source needs a directory}"; fi

log() { echo "[fetch-ggml] $*"; }

have_pinned() { [[ -f "$stamp" && "$(cat "$stamp")" == "$LLAMA_CPP_COMMIT" ]]; }

bare="$deps/llama.cpp.git"
ensure_bundle_repo() {
  if [[ -d "$bare" ]] && git -C "$bare" cat-file -e "$LLAMA_CPP_COMMIT^{commit}" 2>/dev/null; then
    return
  fi
  local tmp tgz want got
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  log "npm pack $NPM_PACKAGE@$NPM_VERSION"
  (cd "$tmp" && npm pack --silent "$NPM_PACKAGE@$NPM_VERSION" >/dev/null 2>"$tmp/npm.log") || {
    cat "$tmp/npm.log" >&2; echo "[fetch-ggml] npm pack failed" >&2; exit 1; }
  tgz="$tmp/$NPM_PACKAGE-$NPM_VERSION.tgz"
  want="${NPM_INTEGRITY#sha512-}"
  got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  if [[ "$got" != "$want" ]]; then
    echo "[fetch-ggml] integrity mismatch for $NPM_PACKAGE@$NPM_VERSION: got sha512-$got" >&2
    exit 1
  fi
  log "tarball integrity ok (sha512 pinned in deps/ggml.lock)"
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$bare.tmp"
  git init -q --bare "$bare.tmp"
  git -C "$bare.tmp" fetch -q "$tmp/package/llama/gitRelease.bundle" "HEAD:refs/heads/pinned"
  got=$(git -C "$bare.tmp" rev-parse refs/heads/pinned)
  if [[ "$got" != "$LLAMA_CPP_COMMIT" ]]; then
    echo "[fetch-ggml] bundle holds commit $got, expected $LLAMA_CPP_COMMIT" >&2
    rm -rf "$bare.tmp"; exit 1
  fi
  rm -rf "$bare"; mv "$bare.tmp" "$bare"
  log "bundle commit verified: $LLAMA_CPP_COMMIT"
}

mkdir -p "$deps"
if ! have_pinned; then
  ensure_bundle_repo
  rm -rf "$dest.tmp" "$dest"
  mkdir -p "$dest.tmp"
  git -C "$bare" archive "$LLAMA_CPP_COMMIT" ggml LICENSE | tar -x -C "$dest.tmp"
  echo "$LLAMA_CPP_COMMIT" >"$dest.tmp/.cria-commit"
  mv "$dest.tmp" "$dest"
  log "extracted ggml/ and LICENSE into ${dest#"$root"/}"
else
  log "ggml ${LLAMA_CPP_COMMIT:0:10} already in ${dest#"$root"/}"
fi

if [[ -n "$full_src" ]]; then
  ensure_bundle_repo
  if [[ ! -f "$full_src/.cria-commit" || "$(cat "$full_src/.cria-commit")" != "$LLAMA_CPP_COMMIT" ]]; then
    rm -rf "$full_src"; mkdir -p "$full_src"
    git -C "$bare" archive "$LLAMA_CPP_COMMIT" | tar -x -C "$full_src"
    echo "$LLAMA_CPP_COMMIT" >"$full_src/.cria-commit"
    log "extracted full llama.cpp source into $full_src"
  fi
fi
