#!/usr/bin/env bash
# Offline test of the vexgate image (the Dockerfile's `vexgate` target) without a daemon:
# buildah (vfs storage in a temporary directory, chroot isolation, no network) builds the
# target from its `vexgate-prebuilt` binary stage, with the static vexgate that
# scripts/package-release.sh packs (TEST_VEXGATE_ARCHIVE, or packed here), then checks:
#   - the config: user 65532:65532, entrypoint ["/vexgate"], no shell, no other file;
#   - the image's vexgate gates the bundled example (exit 1, CVE-2099-0101);
#   - real Trivy sees the binary's crates (a rustbinary result, no OS) and vexgate's gate
#     with --require-coverage finds that report covered, with nothing blocking but the
#     fixture DB's planted advisories.
# Prints "N passed, N failed"; exit 1 when anything failed, 2 when a tool is missing and
# VEXGATE_REQUIRE_TOOLS=1 (without it, missing tools skip the test with exit 0).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
root=$(vx_root)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

trivy=$(vx_find_trivy || true)
missing=0
vx_need_tool trivy "$trivy" || missing=1
for t in buildah jq readelf; do
  vx_need_tool "$t" "$(command -v "$t" || true)" || missing=1
done
if [ "$missing" = 1 ]; then
  echo "0 passed, 0 failed (skipped: tools missing)"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) vx_die "unsupported machine $(uname -m)" ;;
esac

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-image-test.XXXXXX")
bh=(buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs)
cleanup() {
  "${bh[@]}" rm --all >/dev/null 2>&1
  "${bh[@]}" rmi --all --force >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export BUILDAH_ISOLATION=chroot

archive=${TEST_VEXGATE_ARCHIVE:-}
if [ -z "$archive" ]; then
  # As a release is built: with the crate list embedded (cargo auditable), which Trivy reads.
  vx_cargo_auditable
  archive=$(bash "$root/scripts/package-release.sh" --out-dir "$work/dist") || vx_die "package-release.sh failed"
fi
mkdir -p "$work/unpacked" "$work/ctx/dist"
tar -xzf "$archive" -C "$work/unpacked"
bin=$(find "$work/unpacked" -mindepth 2 -maxdepth 2 -name vexgate -type f)
[ -n "$bin" ] || vx_die "$archive has no vexgate"
cp "$root/.dockerignore" "$work/ctx/.dockerignore"
install -m 0555 "$bin" "$work/ctx/dist/vexgate-$arch"

tag=localhost/vexgate:offline
if "${bh[@]}" bud --quiet --format docker --network none --pull=false --platform "linux/$arch" \
  --target vexgate --build-arg VEXGATE_BIN_STAGE=vexgate-prebuilt --build-arg VERSION=test \
  -f "$root/Dockerfile" -t "$tag" "$work/ctx" >"$work/bud.log" 2>&1; then
  ok "buildah builds the vexgate target offline (vexgate-prebuilt, linux/$arch)"
else
  bad "buildah bud --target vexgate"
  tail -20 "$work/bud.log" | sed 's/^/    /'
  echo "$passed passed, $failed failed"
  exit 1
fi

config=$("${bh[@]}" inspect --type image "$tag" | jq -c '.Docker.config')
if [ -n "$config" ] && jq -e '.User == "65532:65532" and .Entrypoint == ["/vexgate"] and ((.Cmd // []) | length == 0)' <<<"$config" >/dev/null; then
  ok "config: user 65532:65532, entrypoint [\"/vexgate\"]"
else
  bad "config: $config"
fi

ctr=$("${bh[@]}" from --pull=false "$tag")
mnt=$("${bh[@]}" mount "$ctr")
files=$(cd "$mnt" && find . -mindepth 1 | sort | tr '\n' ' ')
if [ "$files" = "./vexgate " ]; then
  ok "the image holds /vexgate and nothing else (no shell, no OS)"
else
  bad "image files: $files"
fi
(cd "$root" && env -u VEXGATE_VEX NO_COLOR=1 "$mnt/vexgate" gate --vex none \
  examples/trivy-linux-amd64.json examples/trivy-linux-arm64.json >"$work/gate.out" 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -q '^BLOCKED: 1 blocking vulnerability' "$work/gate.out"; then
  ok "the image's vexgate gates the bundled example: exit 1"
else
  bad "the image's vexgate on the example: exit $rc"
fi
"${bh[@]}" umount "$ctr" >/dev/null

"${bh[@]}" push --quiet "$tag" "docker-archive:$work/vexgate.tar:$tag" >/dev/null
vx_fixture_db "$work/db" "$root/testdata/db/hello.json" >/dev/null 2>&1 || vx_die "fixture-db failed"
TRIVY_NO_PROGRESS=true "$trivy" image --input "$work/vexgate.tar" --cache-dir "$work/db" --skip-db-update \
  --cache-backend memory --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL --list-all-pkgs --format json \
  --output "$work/trivy.json" >"$work/trivy.log" 2>&1 || { bad "trivy image --input"; tail -5 "$work/trivy.log"; }
if jq -e '.Metadata.OS == null and ([.Results[] | select(.Type == "rustbinary")] | length == 1)
  and ([.Results[] | select(.Type == "rustbinary") | .Packages[] | select(.Name == "vexgate-core")] | length == 1)' \
  "$work/trivy.json" >/dev/null 2>&1; then
  ok "Trivy sees the binary's crates (rustbinary with vexgate-core, no OS)"
else
  bad "Trivy's view of the image: $(jq -c '[.Metadata.OS, [.Results[]? | .Type]]' "$work/trivy.json" 2>&1)"
fi
# The fixture DB plants synthetic advisories (testdata/db/hello.json) on crates both images
# may link (httparse: hello through hyper, vexgate through ureq): the coverage check must
# pass, and whatever blocks must be one of those planted IDs, with the exit code to match.
(cd "$work" && env -u VEXGATE_VEX "$bin" gate --vex none --require-coverage --format json trivy.json \
  >"$work/cov.json" 2>"$work/cov.err")
rc=$?
planted=$(jq -c '[.[] | select(.bucket == "vulnerability") | .pairs[].key]' "$root/testdata/db/hello.json")
if jq -e --argjson planted "$planted" --argjson rc "$rc" '
    .coverage_failed == false
    and ([.warnings[] | select(.code == "coverage")] | length == 0)
    and (([.blocking[].id] - $planted) | length == 0)
    and (if (.blocking | length) == 0 then $rc == 0 and .verdict == "pass"
         else $rc == 1 and .verdict == "blocked" end)' "$work/cov.json" >/dev/null 2>&1; then
  ok "vexgate gate --require-coverage on the image's report: covered, nothing blocks but the planted $(jq -c '[.blocking[].id] | unique' "$work/cov.json") (exit $rc)"
else
  bad "gate --require-coverage on the image's report: exit $rc"
  { cat "$work/cov.err"; jq -c '{verdict, coverage_failed, blocking: [.blocking[].id], warnings}' "$work/cov.json"; } 2>&1 | tail -5 | sed 's/^/    /'
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
