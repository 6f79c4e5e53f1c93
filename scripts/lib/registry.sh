#!/usr/bin/env bash
# A throw-away local OCI registry for tests: Debian's docker-registry (distribution 2.8) with its
# own generated config, listening on 127.0.0.1:<free port> only, storage in a temp dir.
# Never the packaged docker-registry service (that one listens on every interface).
#
# Sourced:
#   . scripts/lib/registry.sh
#   registry_start                  # exports REGISTRY_ADDR=127.0.0.1:PORT; installs an EXIT trap
#   digest=$(registry_push image.tar vexgate/demo:1)   # skopeo copy; prints sha256:...
#   digest=$(registry_push --all oci-dir vexgate/multi:1)  # every platform of an image index
#   registry_stop                   # idempotent; also runs from the EXIT trap
# registry_start must run in the calling shell itself, not in $(...) or a pipeline.
#
# As a command (for Rust tests and other scripts):
#   scripts/lib/registry.sh run -- CMD [ARG...]
# starts the registry, runs CMD with REGISTRY_ADDR exported, stops the registry and exits with
# CMD's status.
#
# Environment: VEXGATE_REGISTRY_BIN (default /usr/bin/docker-registry).

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_registry_pid=
_registry_dir=
_registry_prev_exit_trap=

# Set _registry_prev_exit_trap to the command of the current EXIT trap (empty when none).
# `trap -p` must run directly in a command substitution of this shell: a nested subshell would
# see reset traps.
_registry_save_exit_trap() {
  local t parts
  t=$(trap -p EXIT)
  _registry_prev_exit_trap=
  [ -n "$t" ] || return 0
  # t is `trap -- 'COMMAND' EXIT`, quoted by bash for re-use as shell input.
  eval "parts=($t)"
  _registry_prev_exit_trap=${parts[2]}
}

registry_start() {
  local bin=${VEXGATE_REGISTRY_BIN:-/usr/bin/docker-registry}
  local attempt port i
  if [ -n "$_registry_pid" ]; then
    vx_log "registry: already running at $REGISTRY_ADDR"
    return 0
  fi
  [ -x "$bin" ] || vx_die "registry: $bin not found (apt-get install docker-registry, or scripts/setup-tools.sh)"
  command -v curl >/dev/null 2>&1 || vx_die "registry: curl not found"
  _registry_dir=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-registry.XXXXXX") || vx_die "registry: mktemp failed"
  # Chain, do not replace, the caller's EXIT trap.
  _registry_save_exit_trap
  trap 'registry_stop; eval "$_registry_prev_exit_trap"' EXIT
  # Make INT/TERM run the EXIT trap too, unless the caller handles them.
  [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
  [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM

  for attempt in 1 2 3; do
    port=$(vx_free_port)
    cat >"$_registry_dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $_registry_dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    "$bin" serve "$_registry_dir/config.yml" >"$_registry_dir/registry.log" 2>&1 &
    _registry_pid=$!
    for i in $(seq 1 100); do
      if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/v2/" 2>/dev/null; then
        export REGISTRY_ADDR="127.0.0.1:$port"
        return 0
      fi
      kill -0 "$_registry_pid" 2>/dev/null || break
      sleep 0.1
      : "$i"
    done
    # Lost a port race or failed to start: stop it and retry on another port.
    kill "$_registry_pid" 2>/dev/null || true
    wait "$_registry_pid" 2>/dev/null || true
    _registry_pid=
    vx_log "registry: attempt $attempt on port $port failed: $(tail -n 3 "$_registry_dir/registry.log" | tr '\n' ' ')"
  done
  vx_die "registry: could not start $bin (log: $_registry_dir/registry.log)"
}

registry_stop() {
  # Safe under the caller's `set -e`: every step may fail without aborting the rest.
  local i
  if [ -n "$_registry_pid" ]; then
    kill "$_registry_pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$_registry_pid" 2>/dev/null || break
      sleep 0.1
      : "$i"
    done
    kill -9 "$_registry_pid" 2>/dev/null || true
    wait "$_registry_pid" 2>/dev/null || true
    _registry_pid=
  fi
  if [ -n "$_registry_dir" ]; then
    rm -rf "$_registry_dir" || true
    _registry_dir=
  fi
  unset REGISTRY_ADDR
  return 0
}

# registry_push [--all] SRC REPO:TAG -> prints the pushed manifest digest.
# SRC: a transport reference (docker-archive:..., oci:..., dir:...), a docker-archive tar file,
# or an OCI layout directory. --all copies an image index with every image it lists (skopeo
# copy --all; without it skopeo copies the one image of this machine's platform).
registry_push() {
  local all=() ref digestfile policy=()
  if [ "${1:-}" = --all ]; then
    all=(--all)
    shift
  fi
  [ $# -eq 2 ] || vx_die "usage: registry_push [--all] SRC REPO:TAG"
  local src=$1 dest=$2
  [ -n "${REGISTRY_ADDR:-}" ] || vx_die "registry_push: no registry running (call registry_start)"
  case $src in
    docker-archive:* | oci:* | oci-archive:* | dir:* | docker://*) ref=$src ;;
    *)
      if [ -f "$src" ]; then
        ref="docker-archive:$src"
      elif [ -f "$src/index.json" ]; then
        ref="oci:$src"
      else
        vx_die "registry_push: $src: not a docker-archive tar, an OCI layout or a transport reference"
      fi
      ;;
  esac
  [ -f /etc/containers/policy.json ] || policy=(--insecure-policy)
  digestfile=$(mktemp) || vx_die "registry_push: mktemp failed"
  if ! skopeo "${policy[@]}" copy -q "${all[@]}" --dest-tls-verify=false --digestfile "$digestfile" \
    "$ref" "docker://$REGISTRY_ADDR/$dest" >&2; then
    rm -f "$digestfile"
    vx_die "registry_push: skopeo copy $ref docker://$REGISTRY_ADDR/$dest failed"
  fi
  cat "$digestfile"
  printf '\n'
  rm -f "$digestfile"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -u
  case ${1:-} in
    run)
      shift
      [ "${1:-}" = "--" ] && shift
      [ $# -gt 0 ] || vx_die "usage: $0 run -- CMD [ARG...]"
      registry_start
      rc=0
      "$@" || rc=$?
      registry_stop
      exit "$rc"
      ;;
    *)
      vx_die "usage: $0 run -- CMD [ARG...]   (or source it and call registry_start/registry_push/registry_stop)"
      ;;
  esac
fi
