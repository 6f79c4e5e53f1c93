#!/usr/bin/env bash
# Daemonless test images. Source it:  . scripts/lib/images.sh
#
#   make_debian_image OUT_TAR
#       A small real Debian 12 (bookworm) image as a docker-archive tar (for
#       `trivy image --input OUT_TAR`, `skopeo copy docker-archive:OUT_TAR ...`, buildah FROM
#       docker-archive:...). Built with mmdebstrap from the Debian mirror in this machine's apt
#       sources (read at run time), then wrapped by make_rootfs_image. The result is cached under
#       ${VEXGATE_CACHE:-$HOME/.cache/vexgate}/images, keyed on the recipe and on the package
#       versions the archive resolves today (`mmdebstrap --simulate`, a few seconds), so a new
#       point or security release builds a new image instead of hiding behind an old one.
#       Needs root (mmdebstrap --mode=root).
#   image_dpkg_status TAR OUT
#       Writes the dpkg status file (/var/lib/dpkg/status) of a docker-archive image to OUT, for
#       `fixture-db --dpkg-status` and for expected values read at run time.
#   status_version STATUS PKG
#       The Version of binary package PKG in a dpkg status file (empty when it is not there).
#   drift_image IN_TAR OUT_TAR PKG...
#       Simulates archive drift: a copy of IN_TAR whose dpkg status says each binary package PKG
#       is installed at a newer version (its epoch raised by 5, so it sorts after every version
#       written anywhere in this repository). Tests run their assertions on both images.
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
VX_IMAGES_RECIPE=2

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

# The "PKG VERSION" list the archive resolves today for the test image (sorted), from a dry run of
# the same mmdebstrap call. Empty output means it could not be resolved (no network).
_vx_debian_resolved() {
  local sources=$1 include=$2
  printf '%s\n' "$sources" |
    mmdebstrap --simulate --verbose --mode=root --variant=custom --architectures=amd64 \
      --include="$include" "$VX_DEBIAN_SUITE" /dev/null - 2>&1 |
    awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2, v }' | sort -u
}

# The cache key of the test image: the recipe and the "PKG VERSION" list it installs.
_vx_debian_key() {
  printf 'recipe=%s\nsuite=%s\narch=amd64\ninclude=%s\ndpkgopts=%s\ntag=%s\npackages=%s\n' \
    "$VX_IMAGES_RECIPE" "$VX_DEBIAN_SUITE" "$1" "${VX_DEBIAN_DPKGOPTS[*]}" "$VX_DEBIAN_TAG" "$2" |
    sha256sum | cut -c1-16
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
  local out=$1 include=${VEXGATE_DEBIAN_INCLUDE:-$VX_DEBIAN_INCLUDE} sources resolved cache cached result
  sources=$(_vx_debian_sources) || true
  [ -n "$sources" ] ||
    vx_die "make_debian_image: no Debian $VX_DEBIAN_SUITE entries in apt's sources; set VEXGATE_DEBIAN_SOURCES"
  command -v mmdebstrap >/dev/null 2>&1 || vx_die "make_debian_image: mmdebstrap not found (scripts/setup-tools.sh)"
  [ "$(id -u)" -eq 0 ] || vx_die "make_debian_image: needs root (mmdebstrap --mode=root)"
  cache=$(vx_cache_dir)/images
  mkdir -p "$cache" "$(dirname "$out")" || vx_die "make_debian_image: cannot create $cache"
  resolved=$(_vx_debian_resolved "$sources" "$include")
  if [ -z "$resolved" ]; then
    # No archive to ask: the newest cached image is the best there is, and we say so.
    cached=$(find "$cache" -maxdepth 1 -name 'debian12-*.tar' -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2-)
    [ -n "$cached" ] || vx_die "make_debian_image: cannot resolve package versions (mmdebstrap --simulate failed) and no cached image"
    vx_log "make_debian_image: WARNING: cannot resolve package versions (offline?); using the newest cached image $cached"
    cp "$cached" "$out" || vx_die "make_debian_image: cannot write $out"
    return 0
  fi
  cached=$cache/debian12-$(_vx_debian_key "$include" "$resolved").tar
  if [ -s "$cached" ] && [ "${VEXGATE_IMAGE_REFRESH:-}" != 1 ]; then
    cp "$cached" "$out" || vx_die "make_debian_image: cannot write $out"
    vx_log "make_debian_image: cached $cached"
    return 0
  fi
  result=$(mktemp "${TMPDIR:-/tmp}/vexgate-deb-result.XXXXXX")
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
    # The archive may have moved between the dry run and the build: key on what was installed.
    got=$(dpkg-query --admindir="$tmp/rootfs/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort -u)
    if [ "$got" != "$resolved" ]; then
      vx_log "make_debian_image: the archive changed during the build; keying the cache on what was installed"
      cached=$cache/debian12-$(_vx_debian_key "$include" "$got").tar
    fi
    make_rootfs_image "$tmp/rootfs" "$tmp/image.tar" "$VX_DEBIAN_TAG"
    # Atomic publish into the cache: copy next to the final name, then rename.
    cp "$tmp/image.tar" "$cached.tmp.$$"
    mv -f "$cached.tmp.$$" "$cached"
    printf '%s\n' "$cached" >"$result"
  ) || { rm -f "$result"; vx_die "make_debian_image: build failed"; }
  cached=$(cat "$result")
  rm -f "$result"
  cp "$cached" "$out" || vx_die "make_debian_image: cannot write $out"
  vx_log "make_debian_image: built $cached"
}

# _vx_image_layers TAR: the layer paths of a one-image docker-archive, in order.
_vx_image_layers() {
  tar -xOf "$1" manifest.json | jq -r '.[0].Layers[]'
}

image_dpkg_status() {
  [ $# -eq 2 ] || vx_die "usage: image_dpkg_status TAR OUT"
  local tar=$1 out=$2 layer found=
  command -v jq >/dev/null 2>&1 || vx_die "image_dpkg_status: jq not found"
  # The last layer that holds the file wins (layers apply in order).
  while read -r layer; do
    if tar -xOf "$tar" "$layer" | tar -xO var/lib/dpkg/status >"$out.tmp" 2>/dev/null && [ -s "$out.tmp" ]; then
      found=1
      mv -f "$out.tmp" "$out"
    fi
  done < <(_vx_image_layers "$tar")
  rm -f "$out.tmp"
  [ -n "$found" ] || vx_die "image_dpkg_status: $tar: no var/lib/dpkg/status in any layer"
}

status_version() {
  awk -v pkg="$2" '/^Package: / { p = ($2 == pkg) } /^$/ { p = 0 } p && /^Version: / { print $2; exit }' "$1"
}

drift_image() {
  [ $# -ge 3 ] || vx_die "usage: drift_image IN_TAR OUT_TAR PKG..."
  local in=$1 out=$2
  shift 2
  (
    set -eu
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-drift.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/rootfs"
    while read -r layer; do
      # umoci writes absolute member names; tar strips the leading '/' (and says so).
      tar -xOf "$in" "$layer" | tar -x -C "$tmp/rootfs" --numeric-owner 2> >(grep -v "Removing leading" >&2)
    done < <(_vx_image_layers "$in")
    status=$tmp/rootfs/var/lib/dpkg/status
    [ -s "$status" ] || vx_die "drift_image: $in has no dpkg status"
    cfg=$(tar -xOf "$in" manifest.json | jq -r '.[0].Config')
    arch=$(tar -xOf "$in" "$cfg" | jq -r '.architecture')
    tag=$(tar -xOf "$in" manifest.json | jq -r '.[0].RepoTags[0] // "vexgate-test/drift:1"')
    # Raise the epoch of each PKG's Version (and of a versioned Source) by 5.
    awk -v pkgs=" $* " '
      function bump(v,   e) {
        if (match(v, /^[0-9]+:/)) { e = substr(v, 1, RLENGTH - 1) + 5; return e ":" substr(v, RLENGTH + 1) }
        return "5:" v
      }
      /^Package: / { hit = index(pkgs, " " $2 " ") > 0; if (hit) seen[$2] = 1 }
      /^$/ { hit = 0 }
      hit && /^Version: / { $0 = "Version: " bump(substr($0, 10)) }
      hit && /^Source: .*\(.*\)$/ {
        s = $0; sub(/^.*\(/, "", s); sub(/\)$/, "", s); sub(/\(.*$/, "(" bump(s) ")")
      }
      { print }
      END { n = split(pkgs, want, " "); for (i = 1; i <= n; i++) if (!(want[i] in seen)) { print "missing " want[i] > "/dev/stderr"; exit 3 } }
    ' "$status" >"$tmp/status" || vx_die "drift_image: a package of '$*' is not in $in's dpkg status"
    cat "$tmp/status" >"$status"
    make_rootfs_image "$tmp/rootfs" "$out" "$tag" "$arch"
  ) || vx_die "drift_image: failed to write $out"
}
