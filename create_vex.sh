#!/bin/sh
# create_vex.sh: append an OpenVEX statement for a CVE found in a Trivy JSON report.
#
# A thin wrapper around `vexgate vex add`, kept so the documented command works verbatim:
#   ./create_vex.sh CVE-2025-64756 --image-repo "ghcr.io/OWNER/REPO" --trivy-json trivy.json \
#     --status not_affected --justification vulnerable_code_not_in_execute_path --comment "..."
#
# Defaults of the old script: --status not_affected, and --justification
# vulnerable_code_not_in_execute_path when the status is not_affected (only then).
# Every other flag is passed to `vexgate vex add` unchanged (see `vexgate vex add --help`).
# Exit status is vexgate's: 0 written (or nothing to change), 2 bad input (one line on stderr;
# the VEX file is left untouched).
#
# vexgate is taken from $VEXGATE, else from PATH, else built with
# `cargo build --release -p vexgate` (honouring CARGO_TARGET_DIR).
set -eu

usage() {
  cat <<'EOF'
Usage: ./create_vex.sh CVE-ID --image-repo REPO [--trivy-json trivy.json] [--out vex.openvex.json]
                       [--status not_affected] [--justification LABEL] [--comment TEXT]
                       [--author NAME] [--vex-id IRI] [any other `vexgate vex add` flag]
EOF
}

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

status=not_affected
status_given=
justification_given=
prev=
for arg in "$@"; do
  case $prev in
    --status) status=$arg; status_given=1 ;;
    --justification) justification_given=1 ;;
  esac
  case $arg in
    -h|--help) usage; exit 0 ;;
    --status=*) status=${arg#--status=}; status_given=1 ;;
    --justification=*) justification_given=1 ;;
  esac
  prev=$arg
done
if [ $# -eq 0 ]; then
  usage >&2
  exit 2
fi
[ -n "$status_given" ] || set -- "$@" --status "$status"
if [ "$status" = not_affected ] && [ -z "$justification_given" ]; then
  set -- "$@" --justification vulnerable_code_not_in_execute_path
fi

find_vexgate() {
  if [ -n "${VEXGATE:-}" ]; then
    printf '%s\n' "$VEXGATE"
    return 0
  fi
  if command -v vexgate >/dev/null 2>&1; then
    command -v vexgate
    return 0
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "create_vex.sh: vexgate is not on PATH and cargo is not installed to build it" >&2
    return 2
  fi
  target=${CARGO_TARGET_DIR:-target}
  case $target in
    /*) ;;
    *) target=$here/$target ;;
  esac
  echo "create_vex.sh: vexgate not on PATH; building it (cargo build --release -p vexgate)" >&2
  (cd "$here" && cargo build --quiet --release -p vexgate) >&2 || return 2
  printf '%s\n' "$target/release/vexgate"
}

bin=$(find_vexgate) || exit 2
exec "$bin" vex add "$@"
