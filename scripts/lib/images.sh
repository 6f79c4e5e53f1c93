#!/usr/bin/env bash
# Daemonless test images. Source it:  . scripts/lib/images.sh
#
#   make_debian_image OUT_TAR
#       A small real Debian 12 (bookworm) image as a docker-archive tar (for
#       `trivy image --input OUT_TAR`, `skopeo copy docker-archive:OUT_TAR ...`, buildah FROM
#       docker-archive:...). Built with mmdebstrap from the Debian mirror in this machine's apt
#       sources (read at run time), then wrapped by make_rootfs_image. The result is cached under
#       ${VEXGATE_CACHE:-$HOME/.cache/vexgate}/images, keyed on every input, so reruns only copy it.
#       Needs root (mmdebstrap --mode=root).
#   make_rootfs_image ROOTFS_DIR OUT_TAR TAG [ARCH]
#       Wraps a directory tree as a one-layer docker-archive tar tagged TAG, without a daemon
#       (umoci + skopeo). The image config says os linux and architecture ARCH (default amd64;
#       nothing in the tree is executed, so any architecture works). With
#       SOURCE_DATE_EPOCH set, the config and history timestamps are that time, so the same tree
#       (with fixed file mtimes) gives byte-identical archives and the same pushed digest.
#
# Environment:
#   VEXGATE_DEBIAN_INCLUDE   comma-separated package list (default: VX_DEBIAN_INCLUDE below)
#   VEXGATE_DEBIAN_SOURCES   apt one-line sources to use instead of the host's Debian entries
#   VEXGATE_IMAGE_REFRESH=1  rebuild even when the cache has the image
#   VEXGATE_CACHE            cache root (default $HOME/.cache/vexgate)

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VX_DEBIAN_SUITE=bookworm
# The smallest set that still is a working dpkg-managed Debian: dpkg and what its maintainer
# scripts need, plus base-files (/etc/os-release), libc and zlib. About 30 MB.
VX_DEBIAN_INCLUDE=base-files,base-passwd,dash,diffutils,findutils,sed,dpkg,zlib1g,coreutils,libc-bin
VX_DEBIAN_TAG=vexgate-test/debian:12
VX_DEBIAN_DPKGOPTS=(
  'path-exclude=/usr/share/man/*'
  'path-exclude=/usr/share/locale/*'
  'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/doc/*'
  'path-include=/usr/share/doc/*/copyright'
)
# Bump when the build recipe changes, to invalidate cached images.
VX_IMAGES_RECIPE=1

# The host's apt entries for Debian bookworm, in one-line format (no host name is hard-coded:
# they come from apt's own configuration).
_vx_debian_sources() {
  if [ -n "${VEXGATE_DEBIAN_SOURCES:-}" ]; then
    printf '%s\n' "$VEXGATE_DEBIAN_SOURCES"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  # shellcheck disable=SC2016 # $(...) here is apt's own format syntax
  apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' \
    'Identifier: Packages' 'Origin: Debian' 2>/dev/null |
    awk -v s="$VX_DEBIAN_SUITE" '$3 == s || $3 == s "-updates" || $3 == s "-security"' |
    sort -u
}

make_rootfs_image() {
  [ $# -eq 3 ] || [ $# -eq 4 ] || vx_die "usage: make_rootfs_image ROOTFS_DIR OUT_TAR TAG [ARCH]"
  local rootfs=$1 out=$2 tag=$3 arch=${4:-amd64}
  case $arch in
    amd64 | arm64 | arm | 386 | ppc64le | s390x | riscv64) ;;
    *) vx_die "make_rootfs_image: $arch: not an OCI architecture name (amd64, arm64, ...)" ;;
  esac
  [ -d "$rootfs" ] || vx_die "make_rootfs_image: $rootfs: not a directory"
  case $out in *:*) vx_die "make_rootfs_image: $out: ':' is not allowed in the output path (skopeo reference)" ;; esac
  command -v umoci >/dev/null 2>&1 || vx_die "make_rootfs_image: umoci not found (scripts/setup-tools.sh)"
  command -v skopeo >/dev/null 2>&1 || vx_die "make_rootfs_image: skopeo not found (scripts/setup-tools.sh)"
  rootfs=$(cd "$rootfs" && pwd)
  mkdir -p "$(dirname "$out")" || vx_die "make_rootfs_image: cannot create $(dirname "$out")"
  (
    set -eu
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-img.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    rootless=()
    [ "$(id -u)" -eq 0 ] || rootless=(--rootless)
    created=()
    if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
      ts=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
      created=(--history.created "$ts")
    fi
    umoci init --layout "$tmp/L"
    umoci new --image "$tmp/L:img"
    umoci insert "${rootless[@]}" "${created[@]}" --image "$tmp/L:img" "$rootfs" /
    if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then created+=(--created "$ts"); fi
    umoci config "${created[@]}" --image "$tmp/L:img" --architecture "$arch" --os linux
    policy=()
    [ -f /etc/containers/policy.json ] || policy=(--insecure-policy)
    rm -f "$out"
    skopeo "${policy[@]}" copy -q "oci:$tmp/L:img" "docker-archive:$out:$tag"
  ) || vx_die "make_rootfs_image: failed to build $out from $rootfs"
}

make_debian_image() {
  [ $# -eq 1 ] || vx_die "usage: make_debian_image OUT_TAR"
  local out=$1 include=${VEXGATE_DEBIAN_INCLUDE:-$VX_DEBIAN_INCLUDE} sources key cache cached
  sources=$(_vx_debian_sources) || true
  [ -n "$sources" ] ||
    vx_die "make_debian_image: no Debian $VX_DEBIAN_SUITE entries in apt's sources; set VEXGATE_DEBIAN_SOURCES"
  key=$(printf 'recipe=%s\nsuite=%s\narch=amd64\ninclude=%s\ndpkgopts=%s\ntag=%s\nsources=%s\n' \
    "$VX_IMAGES_RECIPE" "$VX_DEBIAN_SUITE" "$include" "${VX_DEBIAN_DPKGOPTS[*]}" "$VX_DEBIAN_TAG" "$sources" |
    sha256sum | cut -c1-16)
  cache=$(vx_cache_dir)/images
  cached=$cache/debian12-$key.tar
  mkdir -p "$cache" "$(dirname "$out")" || vx_die "make_debian_image: cannot create $cache"
  if [ -s "$cached" ] && [ "${VEXGATE_IMAGE_REFRESH:-}" != 1 ]; then
    cp "$cached" "$out" || vx_die "make_debian_image: cannot write $out"
    vx_log "make_debian_image: cached $cached"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || vx_die "make_debian_image: needs root (mmdebstrap --mode=root)"
  command -v mmdebstrap >/dev/null 2>&1 || vx_die "make_debian_image: mmdebstrap not found (scripts/setup-tools.sh)"
  (
    set -eu
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-deb.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    dpkgopts=()
    for o in "${VX_DEBIAN_DPKGOPTS[@]}"; do dpkgopts+=("--dpkgopt=$o"); done
    vx_log "make_debian_image: mmdebstrap $VX_DEBIAN_SUITE ($include)"
    printf '%s\n' "$sources" |
      mmdebstrap --quiet --mode=root --variant=custom --architectures=amd64 --include="$include" \
        --format=directory "${dpkgopts[@]}" "$VX_DEBIAN_SUITE" "$tmp/rootfs" -
    make_rootfs_image "$tmp/rootfs" "$tmp/image.tar" "$VX_DEBIAN_TAG"
    # Atomic publish into the cache: copy next to the final name, then rename.
    cp "$tmp/image.tar" "$cached.tmp.$$"
    mv -f "$cached.tmp.$$" "$cached"
  ) || vx_die "make_debian_image: build failed"
  cp "$cached" "$out" || vx_die "make_debian_image: cannot write $out"
  vx_log "make_debian_image: built $cached"
}
