#!/usr/bin/env bash
# Install a vexgate release into the runner's tool cache, verified, or refuse.
#
#   install-vexgate.sh --version X.Y.Z --repository OWNER/REPO [--base-url URL] [--verifier cosign|gh]
#
# Downloads SHA256SUMS, its keyless cosign signature bundle SHA256SUMS.sigstore.json and
# vexgate-X.Y.Z-<triple>.tar.gz from URL/vX.Y.Z/ (default: the repository's GitHub releases),
# then, in this order, and installing nothing unless every step holds:
#   1. the signature: `cosign verify-blob` of SHA256SUMS against the bundle, for a certificate
#      issued by GitHub Actions' OIDC issuer to .github/workflows/release.yml of OWNER/REPO on
#      a v* tag (--verifier gh: `gh attestation verify` of the archive's build-provenance
#      attestation, signed by the same workflow);
#   2. the archive's SHA-256 equals its one line in SHA256SUMS;
#   3. the archive holds a regular file vexgate-X.Y.Z-<triple>/vexgate whose `--version` is
#      `vexgate X.Y.Z`.
# A missing verifier, a bad signature, a wrong checksum, a tampered archive or an unsupported
# OS/architecture is refused: fail closed.
#
# The binary lands in $RUNNER_TOOL_CACHE/vexgate/X.Y.Z/<arch>/vexgate next to a
# <arch>.complete marker holding its SHA-256 (the layout of actions/tool-cache). A later run
# with the marker present and the binary's digest unchanged uses the cache without downloading.
# Prints the binary's path on standard output and, under GitHub Actions, writes `path=` and
# `cached=` to $GITHUB_OUTPUT.
#
# Environment: RUNNER_TOOL_CACHE (default ~/.cache/vexgate/tool-cache); INSTALL_VEXGATE_OS and
# INSTALL_VEXGATE_ARCH override `uname -s`/`uname -m`. Plain http:// is accepted only for a
# server on 127.0.0.1 (tests).
# Exit status: 0 installed or cached; 2 refused, failed or usage error.
set -euo pipefail

die() {
  printf 'install-vexgate: %s\n' "$*" >&2
  exit 2
}
usage() { die "usage: install-vexgate.sh --version X.Y.Z --repository OWNER/REPO [--base-url URL] [--verifier cosign|gh]"; }
log() { printf 'install-vexgate: %s\n' "$*" >&2; }

version=''
repository=''
base_url=''
verifier=cosign
while [ "$#" -gt 0 ]; do
  case "$1" in
    --version) [ "$#" -ge 2 ] || usage; version=${2#v}; shift 2 ;;
    --repository) [ "$#" -ge 2 ] || usage; repository=$2; shift 2 ;;
    --base-url) [ "$#" -ge 2 ] || usage; base_url=${2%/}; shift 2 ;;
    --verifier) [ "$#" -ge 2 ] || usage; verifier=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "--version '$version' is not a release version X.Y.Z"
[[ "$repository" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] ||
  die "--repository '$repository' is not OWNER/REPO"
case "$verifier" in cosign | gh) ;; *) die "--verifier must be cosign or gh, not '$verifier'" ;; esac
base_url=${base_url:-https://github.com/$repository/releases/download}
case "$base_url" in
  https://*) proto=(--proto '=https') ;;
  http://127.0.0.1:*) proto=() ;;
  *) die "--base-url must be https:// (or http://127.0.0.1 for tests): $base_url" ;;
esac

os=${INSTALL_VEXGATE_OS:-$(uname -s)}
arch=${INSTALL_VEXGATE_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64 | Linux/X64) arch=x64 triple=x86_64-unknown-linux-musl ;;
  Linux/aarch64 | Linux/arm64 | Linux/ARM64) arch=arm64 triple=aarch64-unknown-linux-musl ;;
  *) die "unsupported runner $os/$arch: vexgate releases exist for Linux x86_64 and aarch64; elsewhere build it from source (cargo install --locked --path crates/vexgate)" ;;
esac

cache=${RUNNER_TOOL_CACHE:-${HOME:-/tmp}/.cache/vexgate/tool-cache}/vexgate/$version
bin=$cache/$arch/vexgate
marker=$cache/$arch.complete
output() {
  printf '%s\n' "$bin"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'path=%s\ncached=%s\n' "$bin" "$1" >>"$GITHUB_OUTPUT"
  fi
}

if [ -f "$marker" ] && [ -f "$bin" ] && [ ! -L "$bin" ]; then
  want=$(cat "$marker")
  got=$(sha256sum "$bin" | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then
    log "vexgate $version ($triple) cached: $bin"
    output true
    exit 0
  fi
  log "cached $bin does not match its marker: installing again"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=vexgate-$version-$triple
archive=$name.tar.gz
fetch() {
  curl -fsSL "${proto[@]}" --retry 3 --retry-delay 2 -o "$work/$1" "$base_url/v$version/$1" ||
    die "download of $base_url/v$version/$1 failed"
}
fetch SHA256SUMS
fetch SHA256SUMS.sigstore.json
fetch "$archive"

# 1. The signature, before anything in SHA256SUMS is believed.
identity="^https://github\\.com/${repository//./\\.}/\\.github/workflows/release\\.yml@refs/tags/v"
case "$verifier" in
  cosign)
    command -v cosign >/dev/null 2>&1 ||
      die "cosign not found: refusing to install vexgate without verifying SHA256SUMS's signature (install cosign first, or use --verifier gh)"
    cosign verify-blob \
      --bundle "$work/SHA256SUMS.sigstore.json" \
      --certificate-identity-regexp "$identity" \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com \
      "$work/SHA256SUMS" >&2 ||
      die "the signature of SHA256SUMS does not verify (signer must be $repository's release.yml on a v* tag): not installed"
    ;;
  gh)
    command -v gh >/dev/null 2>&1 ||
      die "gh not found: refusing to install vexgate without verifying its attestation (install the GitHub CLI, or use --verifier cosign)"
    gh attestation verify "$work/$archive" --repo "$repository" \
      --signer-workflow "$repository/.github/workflows/release.yml" >&2 ||
      die "the build-provenance attestation of $archive does not verify: not installed"
    ;;
esac

# 2. The archive against its one line in the signed SHA256SUMS.
lines=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
[ -n "$lines" ] && [ "$(printf '%s\n' "$lines" | wc -l)" -eq 1 ] ||
  die "SHA256SUMS has no single line for $archive: not installed"
got=$(sha256sum "$work/$archive" | cut -d' ' -f1)
[ "$got" = "$lines" ] ||
  die "$archive: sha256 $got, SHA256SUMS says $lines: not installed"

# 3. Only the one member, into an empty directory.
mkdir "$work/x"
tar -xzf "$work/$archive" -C "$work/x" --no-same-owner --no-same-permissions "$name/vexgate" 2>/dev/null ||
  die "$archive has no $name/vexgate member (or is not a gzip tar)"
new=$work/x/$name/vexgate
[ -f "$new" ] && [ ! -L "$new" ] || die "$name/vexgate in $archive is not a regular file"
chmod 0755 "$new"
says=$("$new" --version 2>/dev/null) || die "$name/vexgate does not run on this $os/$arch runner"
[ "$says" = "vexgate $version" ] || die "$name/vexgate says '$says', expected 'vexgate $version'"

mkdir -p "$cache/$arch"
install -m 0755 "$new" "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"
sha256sum "$bin" | cut -d' ' -f1 >"$marker.tmp.$$"
mv -f "$marker.tmp.$$" "$marker"
log "vexgate $version ($triple) verified (archive sha256:$got), installed as $bin"
output false
