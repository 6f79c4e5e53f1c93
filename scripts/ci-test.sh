#!/usr/bin/env bash
# The project's whole test suite on a GitHub-hosted runner: scripts/test.sh (through
# .ci/run), run as root in a Debian 12 container with Rust 1.95, the machine the README's
# test command is written for. The container image is the Dockerfile's builder base, read
# from the Dockerfile at run time, so one pin (updated by Dependabot/Renovate) serves both.
# --privileged: buildah (test-image.sh, e2e.sh) needs mount and chroot inside the container.
#
#   scripts/ci-test.sh               on the runner: starts the container
#   scripts/ci-test.sh --in-container   inside it: tools the image lacks, then .ci/run
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" = --in-container ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # What rust:*-slim-bookworm lacks for setup-tools.sh and the tests (git for
  # SOURCE_DATE_EPOCH, python3-venv for the linters' venv, curl for the registry checks).
  apt-get install -y -qq --no-install-recommends \
    ca-certificates curl git python3 python3-venv binutils file >/dev/null
  rustup component add rustfmt clippy
  git config --global --add safe.directory "$root"
  exec bash .ci/run
fi

# shellcheck disable=SC2016 # a literal $BUILDPLATFORM in the Dockerfile
image=$(sed -nE 's/^FROM --platform=\$BUILDPLATFORM (rust:[^ ]+@sha256:[0-9a-f]{64}) AS .*/\1/p' Dockerfile)
[ -n "$image" ] || { echo "ci-test: no pinned rust:...@sha256 builder FROM line in Dockerfile" >&2; exit 2; }
echo "ci-test: running .ci/run in $image"
exec docker run --rm --privileged \
  -v "$root:$root" -w "$root" \
  -e CARGO_TERM_COLOR=never \
  "$image" bash scripts/ci-test.sh --in-container
