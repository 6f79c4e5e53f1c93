#!/usr/bin/env bash
# Build the hello image without a Docker daemon and without pulling anything.
#
#   scripts/build-image-offline.sh [--binary PATH [--allow-non-auditable]] [OUT.tar]
#                                          (default OUT.tar: out/hello.tar)
#
# 1. `cargo auditable build --release` of crates/hello into a static binary for the host
#    architecture: the musl target when `rustup target add` can provide it, otherwise glibc
#    with `-C target-feature=+crt-static`. Both keep the `.dep-v0` crate inventory, which is
#    checked here, as is the absence of test hooks (a `test-hooks` build is refused).
# 2. buildah (vfs storage in a temporary directory, chroot isolation, no network) builds the
#    real Dockerfile's runtime stage from its `prebuilt` binary stage on `scratch`:
#      buildah bud --format docker --network none --build-arg BIN_STAGE=prebuilt
#                  --build-arg RUNTIME_BASE=scratch --timestamp "$SOURCE_DATE_EPOCH"
#    Unused stages (rust, xx, distroless) are skipped, so nothing is pulled. `--format docker`
#    keeps HEALTHCHECK, which the OCI image config has no field for.
# 3. Pushes the image to OUT.tar as a docker-archive (what `trivy image --input` reads), and
#    prints the binary size, the image size and the build time.
#
# --binary PATH packages an existing static binary instead of building one (step 1 is
# skipped); --allow-non-auditable then accepts one without `.dep-v0`, which only the
# test that proves such an image is invisible to Trivy should do.
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), SOURCE_DATE_EPOCH (default: the
# last commit's time, else 0), HELLO_TOOLS_DIR (where cargo-auditable is installed if
# missing, default <repo>/.tools), HELLO_IMAGE_TAG (default hello:offline).
# Exit status: 0 built; 1 a step failed; 2 usage error or a missing tool.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
. "$root/scripts/lib/common.sh"
usage() { echo "usage: $0 [--binary PATH [--allow-non-auditable]] [OUT.tar]" >&2; exit 2; }
given_bin='' allow_non_auditable='' out=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --binary) [ "$#" -ge 2 ] || usage; given_bin=$2; shift 2 ;;
    --allow-non-auditable) allow_non_auditable=1; shift ;;
    -h | --help) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) [ -z "$out" ] || usage; out=$1; shift ;;
  esac
done
out=${out:-$root/out/hello.tar}
if [ -n "$allow_non_auditable" ] && [ -z "$given_bin" ]; then
  echo "$0: --allow-non-auditable needs --binary" >&2
  exit 2
fi
if [ -n "$given_bin" ] && [ ! -f "$given_bin" ]; then
  echo "$0: --binary $given_bin: no such file" >&2
  exit 2
fi
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
tag=${HELLO_IMAGE_TAG:-hello:offline}
tools=${HELLO_TOOLS_DIR:-$root/.tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

log() { printf 'build-image-offline: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
for t in cargo buildah readelf; do
  command -v "$t" >/dev/null 2>&1 || { log "missing tool: $t (scripts/setup-tools.sh installs buildah)"; exit 2; }
done

start=$(date +%s.%N)

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || { log "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number of seconds"; exit 2; }

case "$(uname -m)" in
  x86_64) arch=amd64 cpu=x86_64 ;;
  aarch64 | arm64) arch=arm64 cpu=aarch64 ;;
  *) log "unsupported host architecture $(uname -m)"; exit 2 ;;
esac

if [ -n "$given_bin" ]; then
  bin=$given_bin
  libc="given binary"
else
  # cargo-auditable, pinned (scripts/lib/common.sh), installed into the tools dir if missing
  HELLO_TOOLS_DIR=$tools vx_cargo_auditable

  # static musl when rustup can provide the target, else static glibc
  triple=$cpu-unknown-linux-musl
  if command -v rustup >/dev/null 2>&1 && rustup target add "$triple" >/dev/null 2>&1; then
    libc=musl
  else
    triple=$cpu-unknown-linux-gnu
    libc="glibc (+crt-static)"
    # With an explicit --target, RUSTFLAGS reach only the target's crates, not build scripts
    # or proc macros, which must stay dynamic.
    export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
  fi
  log "cargo auditable build --release --target $triple ($libc)"
  (cd "$root" && cargo auditable build --release --locked --package hello --bin hello --target "$triple")
  bin=$CARGO_TARGET_DIR/$triple/release/hello
fi

# --- checks on the binary ----------------------------------------------------------------
# (grep without -q below: an early exit would SIGPIPE readelf and, under pipefail, turn a
# match into a failure)
if ! readelf -S "$bin" | grep '[[:space:]]\.dep-v0[[:space:]]' >/dev/null; then
  [ -n "$allow_non_auditable" ] ||
    die "$bin has no .dep-v0 section: cargo auditable did not embed the crate list"
  log "WARNING: $bin has no .dep-v0 section: scanners will not see its crates"
fi
# Test hooks (the `test-hooks` cargo feature, enabled only in test builds) never ship.
if grep -a -F HELLO_TEST_DELAY_MS "$bin" >/dev/null; then
  die "$bin reads HELLO_TEST_DELAY_MS: it was built with the test-hooks feature (a test build)"
fi
if readelf -l "$bin" | grep 'INTERP' >/dev/null || readelf -d "$bin" 2>/dev/null | grep '(NEEDED)' >/dev/null; then
  die "$bin is dynamically linked (it must run on scratch)"
fi
bin_size=$(stat -c %s "$bin")

# --- image, daemonless -------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/hello-offline.XXXXXX")
cleanup() {
  # vfs layers of a chroot build can be root-owned and read-only; buildah removes its own.
  buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# A minimal context: the binary where the `prebuilt` stage expects it, plus the project's
# real .dockerignore (which must re-include that path, or the COPY fails).
ctx=$work/context
mkdir -p "$ctx/dist"
cp "$root/.dockerignore" "$ctx/.dockerignore"
install -m 0555 "$bin" "$ctx/dist/hello-$arch"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/crates/hello/Cargo.toml" | head -1)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$out")"
rm -f "$out"
export BUILDAH_ISOLATION=chroot
bh=(buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs)
log "buildah bud (BIN_STAGE=prebuilt, RUNTIME_BASE=scratch, linux/$arch)"
"${bh[@]}" bud --quiet --format docker --network none --pull=false \
  --platform "linux/$arch" \
  --build-arg BIN_STAGE=prebuilt \
  --build-arg RUNTIME_BASE=scratch \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --timestamp "$SOURCE_DATE_EPOCH" \
  -f "$root/Dockerfile" -t "$tag" "$ctx" >/dev/null
"${bh[@]}" push --quiet "$tag" "docker-archive:$out:$tag" >/dev/null

end=$(date +%s.%N)
image_bytes=$(stat -c %s "$out")
printf 'binary:     %s (%s, %s bytes = %s KiB)\n' "$bin" "$libc" "$bin_size" "$((bin_size / 1024))"
printf 'image:      %s (%s, docker-archive %s bytes = %s KiB)\n' "$out" "$tag" "$image_bytes" "$((image_bytes / 1024))"
awk -v s="$start" -v e="$end" 'BEGIN { printf "build time: %.1f s\n", e - s }'
