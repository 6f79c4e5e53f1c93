#!/usr/bin/env bash
# Shared helpers for the test scripts. Source it:  . scripts/lib/common.sh
#
#   vx_root                      repository root (absolute)
#   vx_log MSG... / vx_die MSG...   messages on stderr; vx_die exits 2
#   vx_cache_dir                 ${VEXGATE_CACHE:-$HOME/.cache/vexgate}, created
#   vx_find_trivy                path of Trivy: VEXGATE_TRIVY, else .venv/bin/trivy, else PATH
#   vx_need_tool NAME PATH|""    0 when present; else prints SKIP (returns 1) or, with
#                                VEXGATE_REQUIRE_TOOLS=1, fails (exit 2)
#   vx_free_port                 a free TCP port on 127.0.0.1
#   vx_fixture_db CACHE FILE...  builds a Trivy fixture DB into CACHE/db with fixture-db
#   vx_trivy ARGS...             runs Trivy with TRIVY_NO_PROGRESS=true
#   vx_cargo_auditable           puts the pinned cargo-auditable on PATH, installing it into
#                                the tools dir (HELLO_TOOLS_DIR) when missing
#
# Only bash builtins and coreutils, plus python3 or ss for vx_free_port.

# renovate: datasource=crate depName=cargo-auditable
VX_CARGO_AUDITABLE_VERSION=0.7.7

vx_root() {
  (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

vx_log() { printf '%s\n' "$*" >&2; }

vx_die() {
  printf 'error: %s\n' "$*" >&2
  exit 2
}

vx_cache_dir() {
  local d=${VEXGATE_CACHE:-${HOME:-/tmp}/.cache/vexgate}
  mkdir -p "$d" || vx_die "cannot create cache dir $d"
  printf '%s\n' "$d"
}

vx_find_trivy() {
  local root
  if [ -n "${VEXGATE_TRIVY:-}" ]; then
    printf '%s\n' "$VEXGATE_TRIVY"
    return 0
  fi
  root=$(vx_root)
  if [ -x "$root/.venv/bin/trivy" ]; then
    printf '%s\n' "$root/.venv/bin/trivy"
    return 0
  fi
  command -v trivy 2>/dev/null
}

# vx_need_tool NAME PATH: PATH empty or not executable means missing.
vx_need_tool() {
  local name=$1 path=${2:-}
  if [ -n "$path" ] && [ -x "$path" ]; then
    return 0
  fi
  if [ "${VEXGATE_REQUIRE_TOOLS:-}" = 1 ]; then
    vx_die "$name not found and VEXGATE_REQUIRE_TOOLS=1 (run scripts/setup-tools.sh)"
  fi
  vx_log "SKIP: $name not found (run scripts/setup-tools.sh)"
  return 1
}

# A port nobody listens on right now. The caller still has to cope with losing a race.
vx_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port i
  for i in $(seq 1 50); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
      printf '%s\n' "$port"
      return 0
    fi
    : "$i"
  done
  vx_die "no free port found"
}

# vx_fixture_db CACHE_DIR FIXTURE.json...: uses $VEXGATE_FIXTURE_DB when set (a built binary),
# else `cargo run -q -p fixture-db`.
vx_fixture_db() {
  local cache=$1
  shift
  if [ -n "${VEXGATE_FIXTURE_DB:-}" ]; then
    "$VEXGATE_FIXTURE_DB" --cache-dir "$cache" "$@"
  else
    cargo run -q --manifest-path "$(vx_root)/Cargo.toml" -p fixture-db -- --cache-dir "$cache" "$@"
  fi
}

vx_trivy() {
  local trivy
  trivy=$(vx_find_trivy) || vx_die "trivy not found"
  TRIVY_NO_PROGRESS=true "$trivy" "$@"
}

vx_cargo_auditable() {
  local tools=${HELLO_TOOLS_DIR:-$(vx_cache_dir)/tools}
  local dir=$tools/cargo-auditable-$VX_CARGO_AUDITABLE_VERSION
  if ! cargo install --list --root "$dir" 2>/dev/null | grep -qx "cargo-auditable v$VX_CARGO_AUDITABLE_VERSION:"; then
    vx_log "installing cargo-auditable $VX_CARGO_AUDITABLE_VERSION into $dir"
    cargo install --locked --quiet cargo-auditable --version "$VX_CARGO_AUDITABLE_VERSION" \
      --root "$dir" --target-dir "${CARGO_TARGET_DIR:-$(vx_root)/target}/tools" ||
      vx_die "cargo install cargo-auditable $VX_CARGO_AUDITABLE_VERSION failed"
  fi
  export PATH=$dir/bin:$PATH
}
