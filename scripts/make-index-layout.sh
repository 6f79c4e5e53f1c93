#!/usr/bin/env bash
# A two-platform image (linux/amd64 and linux/arm64) as an OCI layout whose index.json points
# at an image index, built offline and daemonless: two `FROM scratch` images with buildah (vfs
# storage, chroot isolation, nothing executed inside them), joined with `buildah manifest
# create` / `manifest add` and written with `buildah manifest push --all oci:DIR`.
#
#   scripts/make-index-layout.sh OUT_DIR            # writes the OCI layout to OUT_DIR
#   scripts/make-index-layout.sh --raw OUT.json     # writes `skopeo inspect --raw` of its index
#
# testdata/index/buildah-two-platform-index.json was written with --raw: the raw image index
# as `skopeo inspect --raw` prints it, the form `vexgate gate --expect-platforms-from` reads.
# scripts/e2e.sh builds the layout, pushes it to the local registry with `skopeo copy --all`
# and scans the registry reference.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"

raw=
if [ "${1:-}" = --raw ]; then
  raw=1
  shift
fi
[ $# -eq 1 ] || vx_die "usage: $0 [--raw] OUT"
out=$1
for t in buildah skopeo; do
  command -v "$t" >/dev/null 2>&1 || vx_die "$t not found (scripts/setup-tools.sh)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-index.XXXXXX")
bh=(buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs)
cleanup() {
  "${bh[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$work/ctx"
printf 'FROM scratch\nCOPY hello.txt /hello.txt\n' >"$work/ctx/Containerfile"
echo "one file, no packages" >"$work/ctx/hello.txt"
"${bh[@]}" manifest create localhost/vexgate-index:1 >/dev/null
for arch in amd64 arm64; do
  "${bh[@]}" build -q --isolation chroot --platform "linux/$arch" --timestamp 0 \
    -f "$work/ctx/Containerfile" -t "localhost/vexgate-index:$arch" "$work/ctx" >/dev/null
  "${bh[@]}" manifest add localhost/vexgate-index:1 "localhost/vexgate-index:$arch" >/dev/null
done
layout=$work/layout
[ -n "$raw" ] || layout=$out
"${bh[@]}" manifest push -q --all localhost/vexgate-index:1 "oci:$layout" >/dev/null
if [ -n "$raw" ]; then
  skopeo inspect --raw "oci:$layout" >"$out"
  printf '\n' >>"$out"
fi
