# Shared helpers for scripts/*.sh (sourced, not run).

log() { echo "[cria] $*"; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "[cria] need root or sudo to run: $*" >&2
    return 1
  fi
}

# Debian packages for building and running Cria.
BUILD_PACKAGES=(build-essential cmake ninja-build git ca-certificates openssl pkg-config
                libfmt-dev libpcre2-dev libssl-dev nlohmann-json3-dev libcpp-httplib-dev
                nodejs npm)
# Extra packages for the test suite (GoogleTest, clang's libFuzzer, clang-format
# for the style check).
TEST_PACKAGES=(libgtest-dev clang libclang-rt-dev clang-format python3 docker-registry)

# Installs the Debian packages that are missing; does nothing when all are there.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    # npm may come with a nodejs from elsewhere; accept the commands when present.
    if [[ $p == nodejs || $p == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages present: $*"
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}
