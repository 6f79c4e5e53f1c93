#!/usr/bin/env bash
# The check functions below are called through `check NAME FUNCTION`, which shellcheck
# cannot follow.
# shellcheck disable=SC2329
# End-to-end test of the local workflow: build, scan, write VEX, re-scan, agree with
# real Trivy, audit. No Docker daemon, nothing pulled from any image registry.
#
#   scripts/e2e.sh
#
#  1. Images: the hello image (scripts/build-image-offline.sh, daemonless) and the small Debian 12
#     test image (make_debian_image: mmdebstrap from the Debian mirror in apt's sources, cached).
#  2. Fixture DB (fixture-db): testdata/db/hello.json (CVE-2099-0005, HIGH, fixed, on httparse
#     1.10.1 which hello locks), testdata/e2e/debian-blocking.json (CVE-2099-0101, CRITICAL, fixed,
#     on zlib1g) and testdata/e2e/debian.json (LOW unfixed, MEDIUM fixed, HIGH will_not_fix); the
#     fixed versions are planted one update above what the Debian image has installed.
#  3. `vexgate scan` of each image tar exits 1, names its finding and saves trivy-linux-amd64.json.
#  4. The child Trivy is unfiltered: with TRIVY_SEVERITY=CRITICAL, TRIVY_IGNORE_UNFIXED=true and a
#     trivy.yaml (severity CRITICAL, ignore-unfixed) in the working directory, the saved report still
#     equals a clean run's (LOW and unfixed findings included), while plain Trivy in the same place
#     is filtered (which proves the hostile settings are real).
#  5. `vexgate vex add`: an image-scoped statement (--image-repo 127.0.0.1:PORT/e2e/hello, the hello
#     image pushed with skopeo to a throw-away local registry) for the hello crate finding, and a
#     package-scoped one (--scope package) for the zlib1g finding. `./create_vex.sh` runs once with
#     its documented flags.
#  6. A second `vexgate scan` of both tars (hello with --image-repo) exits 0.
#  7. Real Trivy with --vex agrees on every finding (remaining and suppressed, under the default
#     policy and with no filter at all): Trivy scans the registry image by digest for the
#     image-scoped statement and the Debian tar for the package-scoped one. On the hello tar (no
#     RepoDigests) neither Trivy nor vexgate without --image-repo suppresses anything.
#  8. `vexgate vex audit --strict` finds nothing stale; after the zlib advisory is removed from the
#     DB and the Debian image rescanned, it reports that statement (and only it) as stale, exit 1.
#  9. Every platform of a multi-arch registry image: a two-platform image index (linux/amd64 and
#     linux/arm64, scripts/make-index-layout.sh) pushed with `skopeo copy --all` to the local
#     registry; `vexgate scan REF` (no --platform) reads its index with skopeo, runs Trivy once per
#     platform and saves one report per platform, each recording its platform, and the platform
#     check passes (the OCI layout itself too); a gate of one of them with --expect-platforms-from the pushed raw index fails
#     naming the other.
#  Also: the README's first command on the bundled examples/ reports blocks (exit 1) with
#  CVE-2099-0101 on linux/amd64 and linux/arm64 in one row.
#
# Prints `N passed, N failed` and the wall time; exits 1 if anything failed. Missing tools skip
# the test (exit 0) unless VEXGATE_REQUIRE_TOOLS=1, which makes them failures. Every temp dir and
# the registry are removed on exit, also on failure or Ctrl-C.
# Archive drift: no expected value is a literal version. The fixture DB plants its fixes relative to
# the Debian image's own dpkg status, and expected PURLs and versions are read from the image and
# its reports. With E2E_DRIFT=1 the whole test runs on a copy of the Debian image whose zlib1g,
# tar and coreutils moved past every version written in this repository (drift_image), and must
# pass unchanged; scripts/test.sh runs it both ways.
# Environment: CARGO_TARGET_DIR (default <repo>/target), VEXGATE_TRIVY, VEXGATE_CACHE (image cache),
# E2E_DRIFT=1 (see above), E2E_KEEP=1 keeps the work dir (printed) for debugging.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
. "$here/lib/images.sh"
# shellcheck source=scripts/lib/registry.sh
. "$here/lib/registry.sh"

root=$(vx_root)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export TRIVY_NO_PROGRESS=true
# Nothing from the caller's environment may filter the runs compared below.
unset TRIVY_SEVERITY TRIVY_IGNORE_UNFIXED TRIVY_IGNORE_STATUS TRIVY_VEX TRIVY_IGNOREFILE \
  TRIVY_IGNORE_POLICY TRIVY_EXIT_CODE TRIVY_FORMAT TRIVY_OUTPUT TRIVY_TEMPLATE TRIVY_CONFIG \
  TRIVY_LIST_ALL_PKGS TRIVY_SHOW_SUPPRESSED TRIVY_PLATFORM \
  VEXGATE_SEVERITY VEXGATE_IGNORE_UNFIXED VEXGATE_IGNORE_STATUS VEXGATE_IGNOREFILE VEXGATE_VEX \
  VEXGATE_IMAGE_REPO VEXGATE_FORMAT VEXGATE_SUMMARY_MD VEXGATE_SARIF VEXGATE_SHOW_SUPPRESSED \
  VEXGATE_REQUIRE_COVERAGE VEXGATE_CONFIG VEXGATE_REPORTS_DIR
start=$(date +%s)

# shellcheck source=scripts/lib/checks.sh
. "$root/scripts/lib/checks.sh"
step() { printf '\n--- %s (%d s)\n' "$*" "$(($(date +%s) - start))"; }
summary() {
  local ok=0
  checks_summary || ok=1
  printf 'e2e wall time: %d s\n' "$(($(date +%s) - start))"
  exit "$ok"
}
# run NAME CMD...: runs CMD, stdout+stderr to $work/log/NAME.out, exit status to $work/log/NAME.rc.
run() {
  local name=$1 rc=0
  shift
  "$@" >"$work/log/$name.out" 2>&1 || rc=$?
  echo "$rc" >"$work/log/$name.rc"
}
rc_of() { cat "$work/log/$1.rc"; }
out_has() { grep -F -- "$2" "$work/log/$1.out" >/dev/null; }
show() {
  printf '    | %s exited %s:\n' "$1" "$(rc_of "$1")" >&2
  sed 's/^/    | /' "$work/log/$1.out" | tail -n 40 >&2
}
# expect_rc NAME CODE: the run NAME exited with CODE (its output is shown when not).
expect_rc() {
  [ "$(rc_of "$1")" = "$2" ] && return 0
  show "$1"
  return 1
}

# --- tools ---------------------------------------------------------------------------------
trivy=$(vx_find_trivy || true)
missing=()
[ -n "$trivy" ] && [ -x "$trivy" ] || missing+=(trivy)
for t in cargo buildah skopeo umoci mmdebstrap jq curl; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ -x "${VEXGATE_REGISTRY_BIN:-/usr/bin/docker-registry}" ] || missing+=(docker-registry)
[ "$(id -u)" -eq 0 ] || missing+=("root (mmdebstrap --mode=root)")
if [ "${#missing[@]}" -gt 0 ]; then
  skip "end-to-end test: missing ${missing[*]} (run scripts/setup-tools.sh)"
  summary
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-e2e.XXXXXX")
cleanup() {
  if [ "${E2E_KEEP:-}" = 1 ]; then
    vx_log "e2e: kept $work"
  else
    rm -rf "$work"
  fi
}
# registry_start chains this trap (registry_stop runs first) and maps INT/TERM to exit.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$work/log" "$work/proj" "$work/reports"
proj=$work/proj # stands for the repository checkout: vex.openvex.json lives here

step "build vexgate and fixture-db"
if ! cargo build -q --locked -p vexgate -p fixture-db; then
  fail "cargo build -p vexgate -p fixture-db"
  summary
fi
vexgate=$CARGO_TARGET_DIR/debug/vexgate
export VEXGATE_FIXTURE_DB=$CARGO_TARGET_DIR/debug/fixture-db

# --- 1. images -----------------------------------------------------------------------------
step "1. images"
hello_tar=$work/hello.tar deb_tar=$work/debian.tar
run build-hello bash "$root/scripts/build-image-offline.sh" "$hello_tar"
check "build-image-offline.sh builds the hello image" expect_rc build-hello 0
# A subshell: make_debian_image exits (vx_die) on failure.
build_debian() ( make_debian_image "$1" )
run build-debian build_debian "$deb_tar"
check "make_debian_image builds the Debian 12 test image" expect_rc build-debian 0
if [ "${E2E_DRIFT:-}" = 1 ] && [ -s "$deb_tar" ]; then
  drift_debian() ( drift_image "$deb_tar" "$work/debian-drift.tar" zlib1g tar coreutils )
  run drift-debian drift_debian
  check "drift_image raises zlib1g, tar and coreutils in a copy of the Debian image" expect_rc drift-debian 0
  deb_tar=$work/debian-drift.tar
fi
if [ ! -s "$hello_tar" ] || [ ! -s "$deb_tar" ]; then
  fail "no image to test"
  summary
fi
read_status() ( image_dpkg_status "$deb_tar" "$work/debian.status" )
run deb-status read_status
check "the Debian image's dpkg status is readable" expect_rc deb-status 0
zlib_version=$(status_version "$work/debian.status" zlib1g)
vx_log "e2e: Debian image has zlib1g $zlib_version"

# --- 2. fixture DB -------------------------------------------------------------------------
step "2. fixture DB"
db_full=(testdata/db/hello.json testdata/e2e/debian.json testdata/e2e/debian-blocking.json)
db_fixed=(testdata/db/hello.json testdata/e2e/debian.json) # without the zlib advisory
run db-full vx_fixture_db "$work/cache" --dpkg-status "$work/debian.status" "${db_full[@]}"
run db-fixed vx_fixture_db "$work/cache-fixed" --dpkg-status "$work/debian.status" "${db_fixed[@]}"
check "fixture-db writes the e2e DB" expect_rc db-full 0
check "fixture-db writes the DB without the zlib advisory" expect_rc db-fixed 0

# scan NAME CACHE TAR REPORTS_DIR [vexgate flags...], run in $proj
scan() {
  local name=$1 cache=$2 tar=$3 dir=$4
  shift 4
  run "$name" env -C "$proj" "$vexgate" scan "$tar" --reports-dir "$dir" --trivy "$trivy" --cache-dir "$cache" \
    --skip-db-update --trivy-arg=--cache-backend=memory "$@"
}
# Vulnerability sets of a Trivy-schema report, as sorted JSON (one line).
remaining() {
  jq -cS '[.Results[]? | (.Vulnerabilities // [])[]
    | {id: .VulnerabilityID, pkg: .PkgName, version: .InstalledVersion, status: .Status, severity: .Severity}]
    | sort' "$1"
}
suppressed() {
  jq -cS '[.Results[]? | (.ExperimentalModifiedFindings // [])[]
    | {id: .Finding.VulnerabilityID, pkg: .Finding.PkgName, version: .Finding.InstalledVersion,
       type: .Type, status: .Status, statement: .Statement, source: .Source}] | sort' "$1"
}
report_ok() { # FILE: a Trivy JSON report with Results
  [ -s "$1" ] && jq -e '.SchemaVersion == 2 and (.Results | type == "array")' "$1" >/dev/null
}

# --- 3. first scan: blocked ----------------------------------------------------------------
step "3. vexgate scan: blocked"
scan scan1-hello "$work/cache" "$hello_tar" "$work/reports/scan1-hello"
scan scan1-deb "$work/cache" "$deb_tar" "$work/reports/scan1-deb"
check "scan hello.tar exits 1" expect_rc scan1-hello 1
check "scan hello.tar names CVE-2099-0005 (httparse)" out_has scan1-hello CVE-2099-0005
check "scan debian.tar exits 1" expect_rc scan1-deb 1
check "scan debian.tar names CVE-2099-0101 (zlib1g)" out_has scan1-deb CVE-2099-0101
hello_report=$work/reports/scan1-hello/trivy-linux-amd64.json
deb_report=$work/reports/scan1-deb/trivy-linux-amd64.json
check "hello report saved as trivy-linux-amd64.json" report_ok "$hello_report"
check "Debian report saved as trivy-linux-amd64.json" report_ok "$deb_report"
installed_is_image() { # the zlib1g findings name the version the image's dpkg status has
  [ -n "$zlib_version" ] &&
    [ "$(jq -r '[.Results[]?.Vulnerabilities[]? | select(.PkgName == "zlib1g") | .InstalledVersion] | unique | .[]' \
      "$deb_report")" = "$zlib_version" ]
}
check "Debian report's zlib1g findings name the installed version ($zlib_version)" installed_is_image
one_report_each() {
  [ "$(find "$work/reports/scan1-hello" "$work/reports/scan1-deb" -type f | wc -l)" = 2 ]
}
check "one report per scan (the image's own platform only)" one_report_each

# --- 4. the child Trivy is unfiltered ------------------------------------------------------
step "4. unfiltered child Trivy"
hostile=$work/hostile
mkdir -p "$hostile"
cat >"$hostile/trivy.yaml" <<'EOF'
severity:
  - CRITICAL
vulnerability:
  ignore-unfixed: true
EOF
run scan-hostile env -C "$hostile" TRIVY_SEVERITY=CRITICAL TRIVY_IGNORE_UNFIXED=true \
  "$vexgate" scan "$deb_tar" --reports-dir "$work/reports/hostile" --trivy "$trivy" \
  --cache-dir "$work/cache" --skip-db-update --trivy-arg=--cache-backend=memory
# Control: plain Trivy in the same place and environment is filtered by them.
run trivy-hostile env -C "$hostile" TRIVY_SEVERITY=CRITICAL TRIVY_IGNORE_UNFIXED=true \
  "$trivy" image --input "$deb_tar" --cache-dir "$work/cache" --skip-db-update \
  --cache-backend memory --format json --output "$work/reports/trivy-hostile.json"
hostile_report=$work/reports/hostile/trivy-linux-amd64.json
check "scan under TRIVY_SEVERITY/TRIVY_IGNORE_UNFIXED/trivy.yaml still exits 1" expect_rc scan-hostile 1
has_low_and_unfixed() {
  jq -e '[.Results[]?.Vulnerabilities[]?] as $v
    | ($v | any(.Severity == "LOW")) and ($v | any(.Status != "fixed"))' "$1" >/dev/null
}
check "saved report still holds LOW and unfixed findings" has_low_and_unfixed "$hostile_report"
same_vulns() { [ "$(remaining "$1")" = "$(remaining "$2")" ]; }
check "saved report has the same findings as the clean run" same_vulns "$hostile_report" "$deb_report"
same_pkgs() {
  [ "$(jq -c '[.Results[]?.Packages[]?.ID] | sort' "$1")" = "$(jq -c '[.Results[]?.Packages[]?.ID] | sort' "$2")" ] &&
    [ "$(jq '[.Results[]?.Packages[]?] | length' "$1")" -gt 0 ]
}
check "saved report lists the same packages as the clean run" same_pkgs "$hostile_report" "$deb_report"
control_filtered() {
  expect_rc trivy-hostile 0 &&
    ! has_low_and_unfixed "$work/reports/trivy-hostile.json" &&
    [ "$(remaining "$work/reports/trivy-hostile.json" | jq length)" -ge 1 ]
}
check "control: plain Trivy there keeps only CRITICAL fixed findings" control_filtered

# --- 5. VEX statements ---------------------------------------------------------------------
step "5. vexgate vex add (registry on 127.0.0.1)"
registry_start
digest=$(registry_push "$hello_tar" e2e/hello:1)
repo=$REGISTRY_ADDR/e2e/hello
vx_log "e2e: pushed $repo@$digest"
run vex-add-image env -C "$proj" "$vexgate" vex add CVE-2099-0005 \
  --image-repo "$repo" --trivy-json "$hello_report" --status not_affected \
  --justification vulnerable_code_not_in_execute_path --author "vexgate e2e" \
  --comment "hello never calls the affected httparse code path (synthetic advisory)"
run vex-add-package env -C "$proj" "$vexgate" vex add CVE-2099-0101 --scope package \
  --trivy-json "$deb_report" --status not_affected \
  --justification vulnerable_code_not_in_execute_path \
  --comment "nothing in the image inflates untrusted data (synthetic advisory)"
vex=$proj/vex.openvex.json
check "vex add (image scope) exits 0" expect_rc vex-add-image 0
check "vex add (package scope) exits 0" expect_rc vex-add-package 0
image_statement_ok() {
  jq -e --arg repo "$repo" '.statements[] | select(.vulnerability.name == "CVE-2099-0005")
    | .products[0]["@id"] == ("pkg:oci/hello?repository_url=" + ($repo | gsub("/"; "%2F")))
      and .products[0].subcomponents == [{"@id": "pkg:cargo/httparse@1.10.1"}]' "$vex" >/dev/null
}
# The package-scoped product is Trivy's own PURL for the finding's package (read from the report,
# never written here) with only the epoch qualifier kept, and names the installed version.
package_statement_ok() {
  local purl want epoch
  purl=$(jq -r '[.Results[]?.Vulnerabilities[]? | select(.VulnerabilityID == "CVE-2099-0101")
    | .PkgIdentifier.PURL][0] // empty' "$deb_report")
  epoch=$(grep -oE '[?&]epoch=[0-9]+' <<<"$purl" | tr -d '?&' || true)
  want=${purl%%\?*}${epoch:+?$epoch}
  case $want in
    "pkg:deb/debian/zlib1g@"*) ;;
    *) echo "    | no zlib1g PURL for CVE-2099-0101 in $deb_report: '$purl'" >&2; return 1 ;;
  esac
  [ "${zlib_version%%:*}" = "$zlib_version" ] || [ "$epoch" = "epoch=${zlib_version%%:*}" ] || {
    echo "    | PURL $purl does not carry the installed epoch of $zlib_version" >&2
    return 1
  }
  jq -e --arg want "$want" '.statements[] | select(.vulnerability.name == "CVE-2099-0101")
    | [.products[]["@id"]] == [$want]
      and (.products[0].subcomponents // [] | length) == 0' "$vex" >/dev/null || {
    echo "    | expected product $want in $vex" >&2
    return 1
  }
}
check "image-scoped statement: pkg:oci/hello?repository_url=... with httparse as subcomponent" image_statement_ok
check "package-scoped statement: the zlib1g PURL is the product" package_statement_ok
run vex-validate "$vexgate" vex validate --strict "$vex"
check "vex validate --strict accepts the file" expect_rc vex-validate 0

# create_vex.sh's documented usage, verbatim flags, through the wrapper (in a scratch checkout).
seed=$work/seed
mkdir -p "$seed"
cp "$hello_report" "$seed/trivy.json"
create_vex_ok() {
  [ -x "$root/create_vex.sh" ] || { echo "    | $root/create_vex.sh: missing or not executable" >&2; return 1; }
  run create-vex env -C "$seed" VEXGATE="$vexgate" "$root/create_vex.sh" CVE-2099-0005 \
    --image-repo "ghcr.io/OWNER/REPO" \
    --trivy-json trivy.json \
    --status not_affected \
    --justification vulnerable_code_not_in_execute_path \
    --comment "httparse is not used on this path at runtime (synthetic advisory)."
  expect_rc create-vex 0 &&
    jq -e '.statements[0].products[0]["@id"] == "pkg:oci/repo?repository_url=ghcr.io%2Fowner%2Frepo"
      and .statements[0].products[0].subcomponents == [{"@id": "pkg:cargo/httparse@1.10.1"}]' \
      "$seed/vex.openvex.json" >/dev/null
}
check "./create_vex.sh with its documented flags writes the image-scoped statement" create_vex_ok
create_vex_applies() {
  run create-vex-gate env -C "$seed" "$vexgate" gate trivy.json --image-repo ghcr.io/OWNER/REPO
  expect_rc create-vex-gate 0
}
check "its statement passes the gate for ghcr.io/OWNER/REPO" create_vex_applies

# --- 6. second scan: passes ----------------------------------------------------------------
step "6. vexgate scan with the VEX: passes"
scan scan2-hello "$work/cache" "$hello_tar" "$work/reports/scan2-hello" --image-repo "$repo" \
  --show-suppressed --output-report "$work/reports/vexgate-hello-default.json"
scan scan2-deb "$work/cache" "$deb_tar" "$work/reports/scan2-deb" \
  --show-suppressed --output-report "$work/reports/vexgate-deb-default.json"
check "rescan hello.tar --image-repo $repo exits 0" expect_rc scan2-hello 0
check "rescan debian.tar exits 0" expect_rc scan2-deb 0
default_vex() { out_has scan2-hello vex.openvex.json && out_has scan2-deb vex.openvex.json; }
check "rescans apply ./vex.openvex.json by default" default_vex
scan scan2-hello-norepo "$work/cache" "$hello_tar" "$work/reports/scan2-hello-norepo" \
  --output-report "$work/reports/vexgate-hello-tar.json"
check "without --image-repo the image-scoped statement does not apply to the tar (exit 1)" \
  expect_rc scan2-hello-norepo 1

# --- 7. real Trivy agrees ------------------------------------------------------------------
step "7. real Trivy with --vex agrees"
# trivy_vex NAME TARGET_ARGS... -- FILTER_FLAGS...: Trivy with --vex in $proj, --show-suppressed.
trivy_vex() {
  local name=$1
  shift
  local target=()
  while [ "$1" != -- ]; do target+=("$1"); shift; done
  shift
  run "$name" env -C "$proj" "$trivy" image "${target[@]}" --cache-dir "$work/cache" \
    --skip-db-update --cache-backend memory --vex vex.openvex.json --show-suppressed \
    --format json --output "$work/reports/$name.json" "$@"
}
# gate_all NAME REPORT [flags]: vexgate gate with no filter at all, in $proj.
gate_all() {
  local name=$1 report=$2
  shift 2
  run "$name" env -C "$proj" "$vexgate" gate "$report" --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL \
    --ignore-unfixed=false --show-suppressed --output-report "$work/reports/$name.json" "$@"
}
default_policy=(--severity "HIGH,CRITICAL" --ignore-unfixed)
all_policy=(--severity "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL")
trivy_vex trivy-hello-registry-default "$repo@$digest" -- "${default_policy[@]}"
trivy_vex trivy-hello-registry-all "$repo@$digest" -- "${all_policy[@]}"
trivy_vex trivy-deb-default --input "$deb_tar" -- "${default_policy[@]}"
trivy_vex trivy-deb-all --input "$deb_tar" -- "${all_policy[@]}"
trivy_vex trivy-hello-tar-default --input "$hello_tar" -- "${default_policy[@]}"
gate_all vexgate-hello-all "$work/reports/scan2-hello/trivy-linux-amd64.json" --image-repo "$repo"
gate_all vexgate-deb-all "$work/reports/scan2-deb/trivy-linux-amd64.json"
trivy_ran() {
  local n
  for n in trivy-hello-registry-default trivy-hello-registry-all trivy-deb-default trivy-deb-all \
    trivy-hello-tar-default vexgate-hello-all; do
    expect_rc "$n" 0 || return 1
  done
  expect_rc vexgate-deb-all 1 # LOW, MEDIUM and unfixed findings block with no filter
}
check "Trivy (registry by digest, Debian tar, hello tar) and vexgate gate ran" trivy_ran
# agree VEXGATE_REPORT TRIVY_REPORT SUPPRESSED_ID
agree() {
  local v=$1 t=$2 id=$3
  if [ "$(remaining "$v")" != "$(remaining "$t")" ] || [ "$(suppressed "$v")" != "$(suppressed "$t")" ]; then
    {
      echo "    | vexgate $v:"
      echo "    |   remaining  $(remaining "$v")"
      echo "    |   suppressed $(suppressed "$v")"
      echo "    | trivy $t:"
      echo "    |   remaining  $(remaining "$t")"
      echo "    |   suppressed $(suppressed "$t")"
    } >&2
    return 1
  fi
  # Not vacuous: the expected finding is among the suppressed ones (or, with "-", nothing is).
  if [ "$id" = - ]; then
    [ "$(suppressed "$t")" = "[]" ]
  else
    suppressed "$t" | jq -e --arg id "$id" 'any(.[]; .id == $id and .status == "not_affected")' >/dev/null
  fi
}
r=$work/reports
check "hello, default policy: vexgate (tar + --image-repo) = Trivy (registry by digest), CVE-2099-0005 suppressed" \
  agree "$r/vexgate-hello-default.json" "$r/trivy-hello-registry-default.json" CVE-2099-0005
check "hello, no filter: vexgate = Trivy (registry by digest)" \
  agree "$r/vexgate-hello-all.json" "$r/trivy-hello-registry-all.json" CVE-2099-0005
check "Debian, default policy: vexgate = Trivy (tar), CVE-2099-0101 suppressed" \
  agree "$r/vexgate-deb-default.json" "$r/trivy-deb-default.json" CVE-2099-0101
deb_all_agree() {
  agree "$r/vexgate-deb-all.json" "$r/trivy-deb-all.json" CVE-2099-0101 &&
    [ "$(remaining "$r/trivy-deb-all.json" | jq length)" -eq 4 ]
}
check "Debian, no filter: vexgate = Trivy (tar), LOW/MEDIUM/unfixed findings remain" deb_all_agree
check "hello tar without --image-repo: neither Trivy nor vexgate suppresses" \
  agree "$r/vexgate-hello-tar.json" "$r/trivy-hello-tar-default.json" -

# --- 8. audit ------------------------------------------------------------------------------
step "8. vexgate vex audit"
run audit-fresh env -C "$proj" "$vexgate" vex audit vex.openvex.json \
  --report "$r/scan2-hello/trivy-linux-amd64.json" --report "$r/scan2-deb/trivy-linux-amd64.json" \
  --image-repo "$repo" --strict
check "audit --strict: nothing stale (exit 0)" expect_rc audit-fresh 0
scan scan3-deb "$work/cache-fixed" "$deb_tar" "$r/scan3-deb"
check "rescan with the zlib advisory removed from the DB exits 0" expect_rc scan3-deb 0
run audit-stale env -C "$proj" "$vexgate" vex audit vex.openvex.json \
  --report "$r/scan2-hello/trivy-linux-amd64.json" --report "$r/scan3-deb/trivy-linux-amd64.json" \
  --image-repo "$repo" --strict
check "audit --strict after the fix: exit 1" expect_rc audit-stale 1
stale_only_zlib() {
  if grep -i stale "$work/log/audit-stale.out" | grep -F CVE-2099-0101 >/dev/null &&
    ! grep -i stale "$work/log/audit-stale.out" | grep -F CVE-2099-0005 >/dev/null; then
    return 0
  fi
  show audit-stale
  return 1
}
check "audit names CVE-2099-0101 as stale, not the still-matching CVE-2099-0005" stale_only_zlib

# --- 9. every platform of a multi-arch registry image -------------------------------------
step "9. vexgate scan of a two-platform index in the registry"
multi_layout=$work/multi-layout
run multi-build bash "$root/scripts/make-index-layout.sh" "$multi_layout"
check "make-index-layout.sh builds a two-platform OCI layout" expect_rc multi-build 0
multi_digest=$(registry_push --all "$multi_layout" e2e/multi:1 || true)
multi_ref=$REGISTRY_ADDR/e2e/multi:1
# The pushed index, as the registry serves it: the expected platforms, read at run time.
skopeo inspect --raw --tls-verify=false "docker://$multi_ref" >"$work/multi-index.json" 2>/dev/null || true
jq -r '[.manifests[]? | select(.annotations["vnd.docker.reference.type"] != "attestation-manifest")
  | "\(.platform.os)/\(.platform.architecture)"] | unique | .[]' "$work/multi-index.json" \
  >"$work/multi-platforms" 2>/dev/null || true
pushed_two() {
  [ -n "$multi_digest" ] && [ "$(wc -l <"$work/multi-platforms")" -eq 2 ]
}
check "skopeo copy --all pushed an index of two platforms ($(tr '\n' ' ' <"$work/multi-platforms"))" pushed_two
run scan-multi env -C "$proj" "$vexgate" scan "$multi_ref" --reports-dir "$r/multi" --trivy "$trivy" \
  --cache-dir "$work/cache" --skip-db-update --trivy-arg=--cache-backend=memory --vex none \
  --index-tool skopeo --format json
check "scan of the registry reference exits 0" expect_rc scan-multi 0
one_report_per_platform() {
  local p os arch f n=0
  while read -r p; do
    os=${p%%/*} arch=${p#*/}
    f=$r/multi/trivy-$os-$arch.json
    # A FROM scratch image holding one text file: Trivy inventories nothing (no Results).
    jq -e '.SchemaVersion == 2' "$f" >/dev/null || return 1
    jq -e --arg os "$os" --arg arch "$arch" \
      '.Metadata.ImageConfig.os == $os and .Metadata.ImageConfig.architecture == $arch' "$f" >/dev/null || return 1
    n=$((n + 1))
  done <"$work/multi-platforms"
  [ "$n" -eq 2 ] && [ "$(find "$r/multi" -type f | wc -l)" -eq 2 ]
}
check "one report per platform of the index, each recording its platform" one_report_per_platform
scan_multi_checked() {
  # The JSON verdict is the last thing on standard output: from its first line to its last.
  sed -n '/^{/,/^}/p' "$work/log/scan-multi.out" | jq -e \
    --argjson want "$(jq -R . "$work/multi-platforms" | jq -sc .)" \
    '.platform_check.passed == true and .platform_check.source == "scan"
     and .platform_check.expected == $want' >/dev/null
}
check "the scan's platform check expected exactly the index's platforms" scan_multi_checked
# Control: with no index read, Trivy scans one platform of its choice (aquasecurity/trivy#2999).
run scan-multi-none env -C "$proj" "$vexgate" scan "$multi_ref" --reports-dir "$r/multi-none" \
  --trivy "$trivy" --cache-dir "$work/cache" --skip-db-update --trivy-arg=--cache-backend=memory \
  --vex none --index-tool none
one_report_without_the_index() {
  expect_rc scan-multi-none 0 && [ "$(find "$r/multi-none" -type f | wc -l)" -eq 1 ]
}
check "control: --index-tool none lets Trivy scan one platform only" one_report_without_the_index
# The same image as an OCI layout directory: one report per platform too (Trivy reads a
# layout's first image whatever platform it is asked for, so vexgate gives it one image a run).
run scan-multi-layout env -C "$proj" "$vexgate" scan "$multi_layout" --reports-dir "$r/multi-layout" \
  --trivy "$trivy" --cache-dir "$work/cache" --skip-db-update --trivy-arg=--cache-backend=memory \
  --vex none
layout_report_per_platform() {
  local p os arch n=0
  expect_rc scan-multi-layout 0 || return 1
  while read -r p; do
    os=${p%%/*} arch=${p#*/}
    jq -e --arg os "$os" --arg arch "$arch" \
      '.Metadata.ImageConfig.os == $os and .Metadata.ImageConfig.architecture == $arch' \
      "$r/multi-layout/trivy-$os-$arch.json" >/dev/null || return 1
    n=$((n + 1))
  done <"$work/multi-platforms"
  [ "$n" -eq 2 ] && [ "$(find "$r/multi-layout" -type f | wc -l)" -eq 2 ]
}
check "scan of the OCI layout: one report per platform, each recording its platform" layout_report_per_platform
first_platform=$(head -n 1 "$work/multi-platforms")
other_platform=$(tail -n 1 "$work/multi-platforms")
run gate-multi-one env -C "$proj" "$vexgate" gate --vex none \
  --expect-platforms-from "$work/multi-index.json" "$r/multi/trivy-${first_platform//\//-}.json"
gate_names_the_missing_one() {
  expect_rc gate-multi-one 1 && out_has gate-multi-one "platform $other_platform is expected"
}
check "gate of one report with --expect-platforms-from the pushed index: exit 1, names the other" \
  gate_names_the_missing_one

# --- the README's first command on the bundled example ------------------------------------
step "README example (examples/trivy-linux-{amd64,arm64}.json)"
run readme-example "$vexgate" gate --vex none --format json \
  examples/trivy-linux-amd64.json examples/trivy-linux-arm64.json
readme_example_ok() {
  expect_rc readme-example 1 &&
    jq -e '[.blocking[] | {id, platforms}]
      == [{"id": "CVE-2099-0101", "platforms": ["linux/amd64", "linux/arm64"]}]' \
      "$work/log/readme-example.out" >/dev/null
}
check "gate --vex none on the bundled example: exit 1, CVE-2099-0101 on both platforms in one row" readme_example_ok

registry_stop
summary
