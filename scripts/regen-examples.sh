#!/usr/bin/env bash
# Regenerate the README's bundled example: examples/trivy-linux-amd64.json and
# examples/trivy-linux-arm64.json, two real Trivy 0.76 reports of the same small Debian 12
# (bookworm) image, one per platform, scanned with the end-to-end test's fixture DB
# (testdata/e2e/debian.json + debian-blocking.json: synthetic CVE-2099-* advisories planted
# against the versions the image really has). Nothing in the reports is hand-edited.
#
#   scripts/regen-examples.sh            (needs root, network to the Debian mirror in apt's sources)
#
# amd64: make_debian_image (scripts/lib/images.sh): mmdebstrap installs the packages for real
#        (dpkg runs, so /var/lib/dpkg/status is dpkg's own).
# arm64: this amd64 machine cannot run arm64 code, so mmdebstrap --variant=extract downloads the
#        same package set for arm64 and only unpacks it (nothing is executed, no qemu). dpkg never
#        ran, so /var/lib/dpkg/status is written here from the control fields of the real arm64
#        .deb files (`dpkg-deb -f`), each with `Status: install ok installed`, which is what dpkg
#        itself would record. make_rootfs_image ... arm64 wraps the tree with an arm64 config.
# Both are scanned with the flags `vexgate scan` gives its child Trivy (unfiltered JSON, every
# severity, packages listed). See examples/README.md.
#
# Environment: VEXGATE_TRIVY, VEXGATE_FIXTURE_DB, CARGO_TARGET_DIR, VEXGATE_CACHE (image cache).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
. "$here/lib/images.sh"

[ $# -eq 0 ] || vx_die "usage: scripts/regen-examples.sh (no arguments)"
root=$(vx_root)
trivy=$(vx_find_trivy) || vx_die "trivy not found (scripts/setup-tools.sh)"
version=$("$trivy" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}')
[ "$version" = 0.76.0 ] || vx_die "need trivy 0.76.0, $trivy is '$version'"
[ "$(id -u)" -eq 0 ] || vx_die "needs root (mmdebstrap --mode=root)"
for t in mmdebstrap dpkg-deb jq; do
  command -v "$t" >/dev/null 2>&1 || vx_die "$t not found (scripts/setup-tools.sh)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/regen-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

vx_log "regen-examples: linux/amd64 image (make_debian_image)"
make_debian_image "$work/debian12-amd64.tar"

# Both platforms come from the same archive, so the amd64 image's versions plant the fixes.
vx_log "regen-examples: fixture DB from testdata/e2e/debian.json + debian-blocking.json"
image_dpkg_status "$work/debian12-amd64.tar" "$work/amd64.status"
vx_fixture_db "$work/cache" --dpkg-status "$work/amd64.status" \
  "$root/testdata/e2e/debian.json" "$root/testdata/e2e/debian-blocking.json"

vx_log "regen-examples: linux/arm64 rootfs (mmdebstrap --variant=extract, nothing executed)"
sources=$(_vx_debian_sources) || true
[ -n "$sources" ] || vx_die "no Debian $VX_DEBIAN_SUITE entries in apt's sources; set VEXGATE_DEBIAN_SOURCES"
rootfs=$work/rootfs-arm64
printf '%s\n' "$sources" |
  mmdebstrap --quiet --mode=root --variant=extract --architectures=arm64 \
    --include="${VEXGATE_DEBIAN_INCLUDE:-$VX_DEBIAN_INCLUDE}" --skip=cleanup/apt/cache \
    --format=directory "$VX_DEBIAN_SUITE" "$rootfs" -
debs=("$rootfs"/var/cache/apt/archives/*.deb)
[ -f "${debs[0]}" ] || vx_die "mmdebstrap left no .deb files in $rootfs/var/cache/apt/archives"
status=$rootfs/var/lib/dpkg/status
: >"$status"
for deb in "${debs[@]}"; do
  dpkg-deb -f "$deb" >"$work/control"
  [ "$(head -c 9 "$work/control")" = "Package: " ] || vx_die "$deb: control does not start with Package:"
  grep -qx 'Architecture: \(arm64\|all\)' "$work/control" || vx_die "$deb: not an arm64 or all package"
  # dpkg's own layout: Package, then Status, then the control fields.
  {
    head -n 1 "$work/control"
    echo "Status: install ok installed"
    tail -n +2 "$work/control"
    echo
  } >>"$status"
  # What dpkg keeps in info/: PKG[:ARCH].list (every path of the data archive, "/." first) and
  # the control archive's members but `control` (md5sums, conffiles, maintainer scripts, ...),
  # copied, never run. Trivy reads *.md5sums for a package's InstalledFiles.
  pkg=$(dpkg-deb -f "$deb" Package)
  info=$rootfs/var/lib/dpkg/info/$pkg
  if grep -qx 'Multi-Arch: same' "$work/control"; then info=$info:arm64; fi
  dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' -e 's|^$|/.|' >"$info.list"
  rm -rf "$work/ctrl"
  dpkg-deb -e "$deb" "$work/ctrl"
  for member in "$work"/ctrl/*; do
    [ "$(basename "$member")" = control ] || cp -p "$member" "$info.$(basename "$member")"
  done
done
vx_log "regen-examples: wrote $(grep -c '^Package: ' "$status") dpkg status stanzas"
# make_debian_image's dpkg path-exclude rules: no man pages, locales, info, docs but copyright.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/man "$rootfs"/usr/share/locale \
  "$rootfs"/usr/share/info
find "$rootfs"/usr/share/doc -type f ! -name copyright -delete
find "$rootfs" -exec touch -h -d '2026-01-01T00:00:00Z' {} +
make_rootfs_image "$rootfs" "$work/debian12-arm64.tar" vexgate-test/debian:12 arm64

# The child-Trivy flags of `vexgate scan`: unfiltered, whatever the caller's environment says.
empty=$work/empty
: >"$empty"
mkdir -p "$root/examples"
for arch in amd64 arm64; do
  vx_log "regen-examples: trivy image --input debian12-$arch.tar"
  (
    cd "$work"
    env -u TRIVY_SEVERITY -u TRIVY_IGNORE_UNFIXED -u TRIVY_IGNORE_STATUS -u TRIVY_VEX \
      -u TRIVY_IGNOREFILE -u TRIVY_IGNORE_POLICY -u TRIVY_CONFIG -u TRIVY_FORMAT -u TRIVY_OUTPUT \
      TRIVY_NO_PROGRESS=true "$trivy" image --input "debian12-$arch.tar" \
      --cache-dir "$work/cache" --skip-db-update --cache-backend memory \
      --config "$empty" --ignorefile "$empty" \
      --format json --list-all-pkgs --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL \
      --output "$root/examples/trivy-linux-$arch.json"
  )
  got=$(jq -r '"\(.Metadata.ImageConfig.os)/\(.Metadata.ImageConfig.architecture)"' \
    "$root/examples/trivy-linux-$arch.json")
  [ "$got" = "linux/$arch" ] || vx_die "examples/trivy-linux-$arch.json: image platform is $got"
done
vx_log "regen-examples: done in $(($(date +%s) - start)) s"
