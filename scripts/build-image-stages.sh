#!/usr/bin/env bash
# Build the hello image the way CI does, through the Dockerfile's real builder stages, for
# linux/amd64, without a Docker daemon and without pulling any image:
#
#   scripts/build-image-stages.sh [OUT.tar]        (default OUT.tar: out/hello-stages.tar)
#
# 1. A stand-in for the pinned rust:*-slim-bookworm builder image, assembled here: a Debian 12
#    rootfs from this machine's apt sources (mmdebstrap, minbase + gcc, libc6-dev,
#    ca-certificates: what the slim image carries), this machine's Rust toolchain of the
#    version the Dockerfile pins (with its musl target) under /usr/local/rustup, cargo and
#    rustup under /usr/local/cargo, and the official image's environment. Cached, keyed on
#    every input.
# 2. buildah (1.28, chroot isolation) runs the real Dockerfile with RUST_BASE set to that
#    stand-in and RUNTIME_BASE=scratch: the toolchain stage (cargo install cargo-chef,
#    cargo-auditable), planner (cargo chef prepare), deps (rustup target add: already
#    installed, no download), build (cargo chef cook, cargo auditable build, the static-binary
#    check) and the runtime stage. Crates come from crates.io, the one network source used.
#    Layers and cache mounts persist in HELLO_STAGES_STORAGE, so a second run is warm.
# 3. Pushes the image to OUT.tar (docker-archive) and prints the wall time.
#
# Environment: SOURCE_DATE_EPOCH (default: the last commit's time), HELLO_STAGES_STORAGE
# (buildah storage, default ${VEXGATE_CACHE:-$HOME/.cache/vexgate}/buildah-stages),
# HELLO_STAGES_FRESH=1 (a throw-away storage: a cold build), HELLO_IMAGE_TAG
# (default hello:stages). Needs root (mmdebstrap --mode=root, buildah).
# Exit status: 0 built; 1 a step failed; 2 usage error or a missing tool.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/images.sh
. "$root/scripts/lib/images.sh"

log() { printf 'build-image-stages: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
case "${1:-}" in -h | --help | -*) echo "usage: $0 [OUT.tar]" >&2; exit 2 ;; esac
out=${1:-$root/out/hello-stages.tar}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
tag=${HELLO_IMAGE_TAG:-hello:stages}
[ "$(id -u)" -eq 0 ] || { log "needs root (mmdebstrap --mode=root, buildah)"; exit 2; }
for t in buildah mmdebstrap rustup sha256sum; do
  command -v "$t" >/dev/null 2>&1 || { log "missing tool: $t (scripts/setup-tools.sh)"; exit 2; }
done
[ "$(uname -m)" = x86_64 ] || { log "linux/amd64 only (this machine is $(uname -m))"; exit 2; }

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || { log "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number"; exit 2; }

# The Rust version of the pinned builder: rust:<version>-slim-bookworm@sha256:...
# shellcheck disable=SC2016 # a literal $BUILDPLATFORM in the Dockerfile
rust_version=$(sed -nE 's/^FROM --platform=\$BUILDPLATFORM rust:([0-9]+\.[0-9]+\.[0-9]+)-slim-bookworm@sha256:[0-9a-f]{64} AS rust-upstream$/\1/p' "$root/Dockerfile")
[ -n "$rust_version" ] || die "no pinned rust:<version>-slim-bookworm builder in the Dockerfile"
toolchain=$rust_version-x86_64-unknown-linux-gnu
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
src_toolchain=$(readlink -f "$rustup_home/toolchains/$toolchain" || true)
[ -x "$src_toolchain/bin/rustc" ] ||
  die "Rust $rust_version is not installed here ($src_toolchain): rustup toolchain install $rust_version"
# The musl target, on this machine (the build itself downloads no toolchain component).
if [ ! -d "$src_toolchain/lib/rustlib/x86_64-unknown-linux-musl" ]; then
  rustup +"$rust_version" target add x86_64-unknown-linux-musl >&2 ||
    die "Rust $rust_version lacks the musl target: rustup +$rust_version target add x86_64-unknown-linux-musl"
fi
rustup_bin=$(command -v rustup)

start=$(date +%s.%N)
cache=$(vx_cache_dir)/images
mkdir -p "$cache" "$(dirname "$out")"

# --- 1. the stand-in builder image -----------------------------------------------------------
include=gcc,libc6-dev,ca-certificates
sources=$(_vx_debian_sources) || true
[ -n "$sources" ] || die "no Debian bookworm entries in apt's sources; set VEXGATE_DEBIAN_SOURCES"
key=$( {
  printf 'recipe=1\ninclude=%s\nsources=%s\ntoolchain=%s\n' "$include" "$sources" "$toolchain"
  cat "$src_toolchain/lib/rustlib/multirust-channel-manifest.toml" "$src_toolchain/lib/rustlib/components"
  sha256sum "$rustup_bin" /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1
} | sha256sum | cut -c1-16)
standin=$cache/rust-standin-$rust_version-$key.tar

bh_root=${HELLO_STAGES_STORAGE:-$(vx_cache_dir)/buildah-stages}
fresh=''
if [ "${HELLO_STAGES_FRESH:-}" = 1 ]; then
  bh_root=$(mktemp -d "${TMPDIR:-/tmp}/hello-stages.XXXXXX")
  fresh=$bh_root
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hello-stages-work.XXXXXX")
# overlay, unless the storage itself sits on an overlay file system (inside a container,
# e.g. scripts/ci-test.sh), where only vfs works.
mkdir -p "$bh_root"
driver=${HELLO_STAGES_DRIVER:-overlay}
if [ -z "${HELLO_STAGES_DRIVER:-}" ] && [ "$(stat -f -c %T "$bh_root")" = overlayfs ]; then driver=vfs; fi
bh=(buildah --root "$bh_root/root" --runroot "$bh_root/run" --storage-driver "$driver")
cleanup() {
  if [ -n "$fresh" ]; then
    "${bh[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$fresh"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export BUILDAH_ISOLATION=chroot

if [ ! -s "$standin" ]; then
  log "stand-in builder: Debian 12 minbase + $include, Rust $rust_version (this machine's toolchain)"
  rootfs=$work/rootfs
  printf '%s\n' "$sources" |
    mmdebstrap --quiet --mode=root --variant=minbase --architectures=amd64 --include="$include" \
      --format=directory \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      bookworm "$rootfs" - || die "mmdebstrap failed"
  # What the official image has: RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo,
  # the toolchain named <version>-<host> as the default, rustup and its proxies in cargo/bin.
  mkdir -p "$rootfs/usr/local/rustup/toolchains" "$rootfs/usr/local/cargo/bin"
  cp -a "$src_toolchain" "$rootfs/usr/local/rustup/toolchains/$toolchain"
  rm -rf "$rootfs/usr/local/rustup/toolchains/$toolchain/share/doc"
  # This machine's trust store (it may hold a CA its egress proxy needs), so that cargo in the
  # build reaches crates.io the way cargo on this machine does.
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n\n[overrides]\n' "$toolchain" \
    >"$rootfs/usr/local/rustup/settings.toml"
  install -m 0755 "$rustup_bin" "$rootfs/usr/local/cargo/bin/rustup"
  for p in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
    ln -s rustup "$rootfs/usr/local/cargo/bin/$p"
  done
  {
    echo 'FROM scratch'
    echo 'COPY rootfs/ /'
    echo 'ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo'
    echo 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo "ENV RUST_VERSION=$rust_version"
    # Never fetch a toolchain or component from rustup's server: everything it needs is here.
    echo 'ENV RUSTUP_AUTO_INSTALL=0'

  } >"$work/Containerfile"
  "${bh[@]}" bud --quiet --format docker --network none --pull=false --platform linux/amd64 \
    --timestamp "$SOURCE_DATE_EPOCH" -f "$work/Containerfile" -t rust-standin:"$rust_version" "$work" >/dev/null ||
    die "stand-in image build failed"
  "${bh[@]}" push --quiet rust-standin:"$rust_version" "docker-archive:$standin.tmp.$$:rust-standin:$rust_version" >/dev/null
  mv -f "$standin.tmp.$$" "$standin"
  rm -rf "$rootfs"
else
  log "stand-in builder: cached $standin"
fi
standin_done=$(date +%s.%N)

# --- 2. the Dockerfile's stages ----------------------------------------------------------------
# The context: what .dockerignore lets through (the workspace manifests, crates/, the binary
# check), copied, so buildah does not walk target/ and other local trees.
ctx=$work/context
mkdir -p "$ctx/scripts"
cp -a "$root/Cargo.toml" "$root/Cargo.lock" "$root/.dockerignore" "$ctx/"
cp -a "$root/crates" "$ctx/crates"
cp -a "$root/scripts/check-static-binary.sh" "$ctx/scripts/"
find "$ctx/crates" -depth -type d \( -name target -o -name 'target-*' \) -exec rm -rf {} +
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/crates/hello/Cargo.toml" | head -1)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
# The stand-in goes into the build storage once (a later run finds it there), under a name
# keyed like the archive, and the Dockerfile's RUST_BASE names it.
base=localhost/hello-rust-standin:$rust_version-$key
if ! "${bh[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  id=$("${bh[@]}" pull --quiet "docker-archive:$standin") || die "cannot load $standin"
  "${bh[@]}" tag "$id" "$base" || die "cannot tag the stand-in"
fi
log "buildah bud (RUST_BASE=$base, BIN_STAGE=build, RUNTIME_BASE=scratch, linux/amd64)"
"${bh[@]}" bud --format docker --layers --pull=false \
  --platform linux/amd64 \
  --build-arg "RUST_BASE=$base" \
  --build-arg BIN_STAGE=build \
  --build-arg RUNTIME_BASE=scratch \
  --build-arg BUILDARCH=amd64 \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --timestamp "$SOURCE_DATE_EPOCH" \
  -f "$root/Dockerfile" -t "$tag" "$ctx" >"$work/bud.log" 2>&1 || {
  tail -n 40 "$work/bud.log" >&2
  die "buildah bud of the Dockerfile's stages failed"
}
rm -f "$out"
"${bh[@]}" push --quiet "$tag" "docker-archive:$out:$tag" >/dev/null
# Keep the storage bounded: intermediate images no tag or cached step reaches any more.
"${bh[@]}" rmi --prune >/dev/null 2>&1 || true

end=$(date +%s.%N)
steps=$(grep -c '^\[[0-9]*/[0-9]*\] STEP \|^STEP ' "$work/bud.log" || true)
reused=$(grep -c '^--> Using cache ' "$work/bud.log" || true)
printf 'steps:      %s, %s of them from the layer cache\n' "$steps" "$reused"
printf 'image:      %s (%s, docker-archive %s bytes = %s KiB)\n' "$out" "$tag" "$(stat -c %s "$out")" "$(($(stat -c %s "$out") / 1024))"
awk -v s="$start" -v m="$standin_done" -v e="$end" \
  'BEGIN { printf "build time: %.1f s (stand-in image %.1f s, Dockerfile stages %.1f s)\n", e - s, m - s, e - m }'
