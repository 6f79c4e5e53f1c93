#!/usr/bin/env bash
# The check functions below are called through `check NAME FUNCTION`, which shellcheck
# cannot follow.
# shellcheck disable=SC2329
# Offline test of the Dockerfile's real build stages (the ones CI runs), for linux/amd64:
#
#   scripts/test-image-stages.sh
#
#  1. scripts/build-image-stages.sh builds the image with buildah from a stand-in of the
#     pinned Rust builder image (toolchain, cargo-chef, cargo auditable, the static-binary
#     check, the runtime stage on scratch), in the persistent build storage: cold the first
#     time on a machine, warm afterwards.
#  2. Reproducibility: the same build again in a fresh, empty storage (everything rebuilt,
#     crates downloaded again) gives the same layer digests and the same config apart from
#     the fields buildah randomises (container, Hostname, and the intermediate image IDs
#     derived from them).
#  3. The image: one file, /hello, static, with .dep-v0; user 65532:65532, exec-form
#     ENTRYPOINT and HEALTHCHECK; created time = SOURCE_DATE_EPOCH.
#  4. Real Trivy with a fixture DB (testdata/db/hello.json) sees a rustbinary result holding
#     every crate hello links and the fixture's advisory; `vexgate gate` blocks on it.
# Expected values (the advisory, the crates, the locked versions) are read at run time.
# Prints the wall times (warm or cold, and cold), the image size and the crate count.
# Missing tools skip the test (exit 0) unless VEXGATE_REQUIRE_TOOLS=1.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
export TRIVY_NO_PROGRESS=true
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

# shellcheck source=scripts/lib/checks.sh
. "$root/scripts/lib/checks.sh"
summary() {
  checks_summary
  exit $?
}

trivy=${VEXGATE_TRIVY:-}
[ -n "$trivy" ] || { [ -x "$root/.venv/bin/trivy" ] && trivy=$root/.venv/bin/trivy; } || trivy=$(command -v trivy || true)
missing=()
[ -n "$trivy" ] || missing+=(trivy)
for t in cargo buildah mmdebstrap rustup readelf jq; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ "$(id -u)" -eq 0 ] || missing+=(root)
[ "$(uname -m)" = x86_64 ] || missing+=(x86_64)
if [ "${#missing[@]}" -gt 0 ]; then
  skip "Dockerfile stages test: missing ${missing[*]} (run scripts/setup-tools.sh, as root, on x86_64)"
  summary
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hello-stages-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
seconds() { sed -n 's/^build time: \([0-9.]*\) s.*/\1/p' "$1"; }

# --- 1. the build -----------------------------------------------------------------------------
tar1=$work/hello.tar
if ! scripts/build-image-stages.sh "$tar1" >"$work/build.out" 2>"$work/build.err"; then
  tail -n 40 "$work/build.err" >&2
  fail "scripts/build-image-stages.sh runs the Dockerfile's stages with buildah"
  summary
fi
pass "scripts/build-image-stages.sh runs the Dockerfile's stages with buildah"
cat "$work/build.out"
first_seconds=$(seconds "$work/build.out")
# Warm when buildah reused every RUN's layer from an earlier run's storage.
first_kind=$(sed -n 's/^steps: *\([0-9]*\), \([0-9]*\) of them.*/\1 \2/p' "$work/build.out" |
  awk '{ print ($2 > 0 ? "warm: " $2 " of " $1 " steps from the layer cache" : "cold") }')

img=$work/img
mkdir -p "$img" "$work/rootfs"
tar -xf "$tar1" -C "$img"
config_file=$img/$(jq -r '.[0].Config' "$img/manifest.json")
: >"$work/files"
while read -r layer; do
  tar -tf "$img/$layer" >>"$work/files"
  tar -xf "$img/$layer" -C "$work/rootfs"
done < <(jq -r '.[0].Layers[]' "$img/manifest.json")
sed -i 's#^\./##; s#/$##; /^$/d' "$work/files"

# --- 2. reproducible: a cold rebuild in an empty storage ------------------------------------
# buildah randomises the container ID and hostname it records in a config; with --layers it
# also names the intermediate image it built on (`parent`, and "FROM <id>" in each history
# entry), and those IDs are digests of configs holding the random fields. All are left out.
stable_config() {
  jq -S 'del(.container, .config.Hostname, .container_config.Hostname, .parent)
    | .history |= map(if ((.comment // "") | test("^FROM [0-9a-f]{12}$")) then del(.comment) else . end)' "$@"
}
cold_seconds=''
reproducible() {
  local tar2=$work/again.tar d2=$work/again
  HELLO_STAGES_FRESH=1 scripts/build-image-stages.sh "$tar2" >"$work/build2.out" 2>"$work/build2.err" ||
    { tail -n 40 "$work/build2.err" >&2; return 1; }
  cold_seconds=$(seconds "$work/build2.out")
  mkdir -p "$d2" && tar -xf "$tar2" -C "$d2"
  diff <(jq '.[0].Layers' "$img/manifest.json") <(jq '.[0].Layers' "$d2/manifest.json") &&
    diff <(stable_config "$config_file") <(stable_config "$d2/$(jq -r '.[0].Config' "$d2/manifest.json")")
}
check "a cold rebuild in an empty storage gives the same layer digests and config (but buildah's random container ID, hostname and intermediate image IDs)" reproducible

# --- 3. the image ------------------------------------------------------------------------------
bin=$work/rootfs/hello
check "the image holds exactly /hello (scratch runtime)" test "$(cat "$work/files")" = hello
check "/hello: static x86_64 executable with .dep-v0" sh scripts/check-static-binary.sh x86_64-unknown-linux-musl "$bin"
cfg() { jq -c "$1" "$config_file"; }
check "config user is 65532:65532" test "$(cfg .config.User)" = '"65532:65532"'
check "ENTRYPOINT [\"/hello\"], HEALTHCHECK [\"/hello\",\"healthcheck\"]" \
  test "$(cfg '[.config.Entrypoint, .config.Healthcheck.Test]')" = '[["/hello"],["CMD","/hello","healthcheck"]]'
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
check "created time is SOURCE_DATE_EPOCH ($created)" test "$(cfg .created)" = "\"$created\""

# --- 4. Trivy + fixture DB + vexgate -------------------------------------------------------------
if ! cargo build -q --locked -p fixture-db -p vexgate 2>"$work/cargo.err"; then
  tail -5 "$work/cargo.err" >&2
  fail "cargo build -p fixture-db -p vexgate"
  summary
fi
"$CARGO_TARGET_DIR/debug/fixture-db" --cache-dir "$work/db" testdata/db/hello.json >/dev/null 2>&1
check "fixture-db writes the DB" test -s "$work/db/db/trivy.db"
# The fixture's Rust advisory, as the DB has it: ID, crate, severity.
advisory=$(jq -r '.[] | select(.bucket | startswith("cargo::")) | .pairs[0] | .bucket + " " + .pairs[0].key' testdata/db/hello.json)
crate=${advisory% *} id=${advisory#* }
severity=$(jq -r --arg id "$id" '.[] | select(.bucket == "vulnerability") | .pairs[] | select(.key == $id) | .value.Severity' testdata/db/hello.json)
locked=$(awk -v n="$crate" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
report=$work/trivy.json
check "trivy image --input runs" "$trivy" image --input "$tar1" --cache-backend memory --skip-db-update \
  --cache-dir "$work/db" --format json --list-all-pkgs --quiet --output "$report"
rust_result='.Results // [] | map(select(.Type == "rustbinary" and .Target == "hello"))'
jqt() { jq -e "$@" >/dev/null; }
check "trivy reports a rustbinary result for hello" jqt "$rust_result | length == 1" "$report"
host=$(rustc -vV | sed -n 's/^host: //p')
cargo tree -q --locked -p hello -e normal,no-proc-macro --target "$host" --prefix none 2>/dev/null |
  sed 's/ (\*)$//; s/ (proc-macro)$//; s/ (.*)$//; s/ v/@/' | sort -u >"$work/crates-cargo"
jq -r "$rust_result | .[0].Packages[]? | .Name + \"@\" + .Version" "$report" | sort -u >"$work/crates-trivy"
crates_covered() {
  local m
  m=$(comm -23 "$work/crates-cargo" "$work/crates-trivy")
  [ -s "$work/crates-cargo" ] && [ -z "$m" ] || { echo "  not in Trivy's list: $m" >&2; return 1; }
}
check "trivy's crate list holds every crate hello links ($(wc -l <"$work/crates-cargo") from cargo tree)" crates_covered
check "trivy finds the fixture's $id in $crate@$locked ($severity)" jqt \
  --arg id "$id" --arg c "$crate" --arg v "$locked" --arg s "$severity" \
  "$rust_result | .[0].Vulnerabilities // [] | map(select(.VulnerabilityID == \$id and .PkgName == \$c and .InstalledVersion == \$v and .Severity == \$s)) | length == 1" "$report"
gate() {
  "$CARGO_TARGET_DIR/debug/vexgate" gate "$report" --vex none --format json >"$work/gate.json" 2>/dev/null
  [ $? -eq 1 ] && jq -e --arg id "$id" '.verdict == "blocked" and ([.blocking[] | tostring | contains($id)] | any)' "$work/gate.json" >/dev/null
}
check "vexgate gate blocks on $id (exit 1)" gate

img_bytes=$(stat -c %s "$tar1")
printf '\nmeasured: build %s s (%s), cold rebuild in an empty storage %s s, image archive %s bytes (%s KiB), binary %s bytes, crates in Trivy %s\n' \
  "${first_seconds:-?}" "$first_kind" "${cold_seconds:-?}" "$img_bytes" "$((img_bytes / 1024))" \
  "$(stat -c %s "$bin" 2>/dev/null || echo '?')" "$(wc -l <"$work/crates-trivy")"
summary
