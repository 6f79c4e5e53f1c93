#!/usr/bin/env bash
# Offline tests of how vexgate reaches users:
#   1. scripts/package-release.sh builds a static x86_64 (or aarch64) archive: it holds the
#      binary, LICENSE, README, completions and man pages, and the packed binary runs the
#      README's first command on the bundled example (exit 1, CVE-2099-0101 blocking);
#   2. .github/scripts/install-vexgate.sh (the Action's installer) against a release layout
#      served by python3 -m http.server on 127.0.0.1, with stub verifiers standing in for
#      cosign and gh: the right archive installs; a tampered archive, a wrong checksum, a bad
#      or missing signature, a missing verifier and an unknown architecture are refused with
#      exit 2 and install nothing; a second run uses the tool cache (no server needed);
#   3. `cargo install --locked --path crates/vexgate` from a copy of the tracked files (a clean
#      clone), into a temporary --root (with --debug, so it reuses the test build's
#      dependencies: the release profile is what step 1 builds);
#   4. `cargo publish --dry-run --locked` of vexgate-core and vexgate;
#   5. the Action's gate step (.github/scripts/vexgate-action.sh): every input of action.yml
#      that is not the Action's own is a `vexgate gate --help` flag and every flag has an
#      input (or a reason), each input reaches vexgate as its flag, and with the packed binary
#      the outputs (verdict, blocking, summary-path, sarif-path) and exit codes are right.
# Prints "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
root=$(vx_root)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
now_ms() { date +%s%3N; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-test-release.XXXXXX")
server_pid=''
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/crates/vexgate/Cargo.toml" | head -n 1)
case "$(uname -m)" in
  x86_64) cpu=x86_64 ;;
  aarch64) cpu=aarch64 ;;
  *) vx_die "unsupported machine $(uname -m)" ;;
esac

# --- 1. the archive -----------------------------------------------------------------------
t0=$(now_ms)
if [ -n "${TEST_RELEASE_ARCHIVE:-}" ]; then
  # Development shortcut: an archive package-release.sh already made.
  archive=$TEST_RELEASE_ARCHIVE
else
  # As a release is built: with the crate list embedded (cargo auditable), which Trivy reads.
  vx_cargo_auditable
  archive=$(bash "$root/scripts/package-release.sh" --out-dir "$work/dist") || vx_die "package-release.sh failed"
fi
t1=$(now_ms)
echo "package-release.sh: $((t1 - t0)) ms"
name=$(basename "$archive" .tar.gz)
case "$name" in
  "vexgate-$version-$cpu-unknown-linux-musl") echo "archive: $name (musl)" ;;
  "vexgate-$version-$cpu-unknown-linux-gnu") echo "archive: $name (static glibc fallback: no musl target here)" ;;
  *) bad "archive name $name" ;;
esac
listing=$(tar -tzf "$archive")
for member in vexgate LICENSE README.md completions/vexgate.bash completions/_vexgate \
  completions/vexgate.fish man/vexgate.1 man/vexgate-gate.1 man/vexgate-vex-add.1; do
  if grep -qx "$name/$member" <<<"$listing"; then ok "archive holds $member"; else bad "archive lacks $member"; fi
done
mkdir "$work/unpacked"
tar -xzf "$archive" -C "$work/unpacked"
packed=$work/unpacked/$name/vexgate
# (grep without -q: an early exit would SIGPIPE readelf and, under pipefail, hide a match)
if readelf -l "$packed" | grep INTERP >/dev/null || readelf -d "$packed" 2>/dev/null | grep NEEDED >/dev/null; then
  bad "packed binary is dynamically linked"
else
  ok "packed binary is static"
fi
if grep -Eq '^[[:space:]]*complete -F _vexgate .* vexgate$' "$work/unpacked/$name/completions/vexgate.bash"; then
  ok "bash completion registers vexgate"
else
  bad "bash completion"
fi
if grep -q '^\.TH vexgate-gate 1' "$work/unpacked/$name/man/vexgate-gate.1" &&
  grep -q 'severity' "$work/unpacked/$name/man/vexgate-gate.1"; then
  ok "man page of vexgate gate documents --severity"
else
  bad "man page of vexgate gate"
fi
if "$packed" --help | grep generate >/dev/null; then bad "vexgate --help lists the packaging-only generate subcommand"; else ok "generate is hidden from --help"; fi
"$packed" generate man no-such-command >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ]; then ok "generate man of an unknown subcommand: exit 2"; else bad "generate man no-such-command: exit $rc"; fi
# The README's first command (cargo run ... -p vexgate -- ARGS) with the packed binary.
read -r -a readme_args < <(sed -n 's/^cargo run .*-p vexgate -- //p' "$root/README.md" | head -n 1)
(cd "$root" && env -u VEXGATE_VEX -u VEXGATE_SEVERITY NO_COLOR=1 "$packed" "${readme_args[@]}" >"$work/readme.out" 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -q '^BLOCKED: 1 blocking vulnerability' "$work/readme.out" &&
  grep -q 'CVE-2099-0101' "$work/readme.out"; then
  ok "packed binary runs the README's first command: exit 1, CVE-2099-0101 blocks"
else
  bad "README's first command with the packed binary: exit $rc"
  sed 's/^/    /' "$work/readme.out" | head -20
fi

# --- 2. the Action's installer against a local release ------------------------------------
installer=$root/.github/scripts/install-vexgate.sh
repo=OWNER/secure-docker-images
triple=${name#"vexgate-$version-"}
release_name=vexgate-$version-$cpu-unknown-linux-musl
srv=$work/srv
mkdir -p "$srv/good/v$version"
# The layout the release workflow publishes (the musl name, whatever libc this build used).
if [ "$triple" != "$cpu-unknown-linux-musl" ]; then
  mkdir "$work/rename"
  tar -xzf "$archive" -C "$work/rename"
  mv "$work/rename/$name" "$work/rename/$release_name"
  tar -C "$work/rename" -czf "$srv/good/v$version/$release_name.tar.gz" "$release_name"
else
  cp "$archive" "$srv/good/v$version/"
fi

# Stub verifiers: a "bundle" is valid when it names the SHA-256 of the exact SHA256SUMS it
# signs; both also insist on the identity the installer must ask for.
stubs=$work/stubs
mkdir -p "$stubs"
cat >"$stubs/cosign" <<'STUB'
#!/usr/bin/env bash
[ "$1" = verify-blob ] || exit 64
shift
bundle='' identity='' issuer='' file=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;;
    --certificate-identity-regexp) identity=$2; shift 2 ;;
    --certificate-oidc-issuer) issuer=$2; shift 2 ;;
    *) file=$1; shift ;;
  esac
done
[ "$issuer" = https://token.actions.githubusercontent.com ] || { echo "stub cosign: issuer $issuer" >&2; exit 1; }
[ "$identity" = '^https://github\.com/OWNER/secure-docker-images/\.github/workflows/release\.yml@refs/tags/v' ] ||
  { echo "stub cosign: identity $identity" >&2; exit 1; }
[ "$(cat "$bundle")" = "stub-bundle $(sha256sum <"$file" | cut -d' ' -f1)" ] || { echo "stub cosign: invalid signature" >&2; exit 1; }
echo "Verified OK" >&2
STUB
cat >"$stubs/gh" <<'STUB'
#!/usr/bin/env bash
[ "$1 $2" = "attestation verify" ] || exit 64
file=$3
[ "$4 $5 $6 $7" = "--repo OWNER/secure-docker-images --signer-workflow OWNER/secure-docker-images/.github/workflows/release.yml" ] ||
  { echo "stub gh: arguments ${*:4}" >&2; exit 1; }
# The digests "attested" by the release workflow, one a line, in $STUB_ATTESTED.
[ -n "${STUB_ATTESTED:-}" ] && grep -qx "$(sha256sum <"$file" | cut -d' ' -f1)" "$STUB_ATTESTED" ||
  { echo "stub gh: no attestation" >&2; exit 1; }
STUB
chmod +x "$stubs/cosign" "$stubs/gh"
sign() { # sign DIR: SHA256SUMS over DIR's archives and a stub bundle for it
  (cd "$1" && sha256sum ./*.tar.gz | sed 's| \./| |' >SHA256SUMS)
  echo "stub-bundle $(sha256sum <"$1/SHA256SUMS" | cut -d' ' -f1)" >"$1/SHA256SUMS.sigstore.json"
}
sign "$srv/good/v$version"
good_sha=$(sha256sum <"$srv/good/v$version/$release_name.tar.gz" | cut -d' ' -f1)

variant() { # variant NAME: a copy of the good release to break
  mkdir -p "$srv/$1"
  cp -r "$srv/good/v$version" "$srv/$1/"
  printf '%s\n' "$srv/$1/v$version"
}
# Tampered archive: one byte appended after signing.
d=$(variant tampered)
printf 'x' >>"$d/$release_name.tar.gz"
# Wrong checksum: SHA256SUMS names another digest, and is validly signed.
d=$(variant wrongsum)
sed -i "s/^$good_sha/$(printf '%064d' 0)/" "$d/SHA256SUMS"
echo "stub-bundle $(sha256sum <"$d/SHA256SUMS" | cut -d' ' -f1)" >"$d/SHA256SUMS.sigstore.json"
# Bad signature: the bundle signs other content.
d=$(variant badsig)
echo "stub-bundle $(printf 'other' | sha256sum | cut -d' ' -f1)" >"$d/SHA256SUMS.sigstore.json"
# Missing signature.
d=$(variant nosig)
rm "$d/SHA256SUMS.sigstore.json"
# A different archive under the right name, with matching sums and signature: the binary
# inside is not vexgate $version.
d=$(variant wrongbin)
mkdir -p "$work/fake/$release_name"
printf '#!/bin/sh\necho "vexgate 0.0.0"\n' >"$work/fake/$release_name/vexgate"
chmod +x "$work/fake/$release_name/vexgate"
tar -C "$work/fake" -czf "$d/$release_name.tar.gz" "$release_name"
sign "$d"

port=$(vx_free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/good/v$version/SHA256SUMS" 2>/dev/null && break
  sleep 0.1
done

# run_install LABEL CACHE_DIR PATH [ARGS...]: the installer's exit code in $rc, output in $work/out
run_install() {
  local label=$1 cache=$2 path=$3
  shift 3
  env -i HOME="$work/home" PATH="$path" RUNNER_TOOL_CACHE="$cache" GITHUB_OUTPUT="$work/gh-output-$label" \
    "${INSTALL_ENV[@]}" bash "$installer" --version "$version" --repository "$repo" "$@" >"$work/out" 2>&1
  rc=$?
}
INSTALL_ENV=(INSTALL_VEXGATE_ARCH="$cpu" INSTALL_VEXGATE_OS=Linux)
stub_path=$stubs:/usr/local/bin:/usr/bin:/bin
plain_path=/usr/local/bin:/usr/bin:/bin

t0=$(now_ms)
run_install good "$work/cache" "$stub_path" --base-url "http://127.0.0.1:$port/good"
t1=$(now_ms)
installed=$(tail -n 1 "$work/out")
case "$cpu" in x86_64) tc_arch=x64 ;; *) tc_arch=arm64 ;; esac
if [ "$rc" = 0 ] && [ "$installed" = "$work/cache/vexgate/$version/$tc_arch/vexgate" ] &&
  [ "$("$installed" --version)" = "vexgate $version" ] && [ -f "$work/cache/vexgate/$version/$tc_arch.complete" ] &&
  grep -qx 'cached=false' "$work/gh-output-good"; then
  ok "the signed archive installs into the tool cache ($((t1 - t0)) ms from 127.0.0.1)"
else
  bad "good install: exit $rc"
  sed 's/^/    /' "$work/out"
fi
install_ms=$((t1 - t0))

# Second run: the cache, with the server stopped.
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=''
t0=$(now_ms)
run_install cached "$work/cache" "$stub_path" --base-url "http://127.0.0.1:$port/good"
t1=$(now_ms)
if [ "$rc" = 0 ] && grep -q 'cached:' "$work/out" && grep -qx 'cached=true' "$work/gh-output-cached"; then
  ok "a second run uses the tool cache without the server ($((t1 - t0)) ms)"
else
  bad "second run: exit $rc"
  sed 's/^/    /' "$work/out"
fi
# A cached binary that no longer matches its marker is not trusted.
printf 'x' >>"$installed"
run_install altered "$work/cache" "$stub_path" --base-url "http://127.0.0.1:$port/good"
if [ "$rc" = 2 ] && grep -q 'does not match its marker' "$work/out"; then
  ok "an altered cached binary is not used (and the server is gone: exit 2)"
else
  bad "altered cache: exit $rc"
  sed 's/^/    /' "$work/out"
fi

python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/good/v$version/SHA256SUMS" 2>/dev/null && break
  sleep 0.1
done

# refused LABEL WANT_MESSAGE PATH ARGS...: exit 2, the message, nothing in the cache.
refused() {
  local label=$1 want=$2 path=$3
  shift 3
  rm -rf "$work/cache-$label"
  run_install "$label" "$work/cache-$label" "$path" "$@"
  if [ "$rc" = 2 ] && grep -q -- "$want" "$work/out" && [ ! -e "$work/cache-$label/vexgate" ]; then
    ok "refused with exit 2: $label ($(grep install-vexgate: "$work/out" | tail -n 1 | cut -c1-110))"
  else
    bad "$label: exit $rc, want 2 and '$want', nothing installed"
    sed 's/^/    /' "$work/out"
  fi
}
base=http://127.0.0.1:$port
refused tampered "sha256 .*SHA256SUMS says" "$stub_path" --base-url "$base/tampered"
refused wrong-checksum "SHA256SUMS says 0000" "$stub_path" --base-url "$base/wrongsum"
refused bad-signature "signature of SHA256SUMS does not verify" "$stub_path" --base-url "$base/badsig"
refused missing-signature "SHA256SUMS.sigstore.json failed" "$stub_path" --base-url "$base/nosig"
refused wrong-binary "expected 'vexgate $version'" "$stub_path" --base-url "$base/wrongbin"
if PATH=$plain_path command -v cosign >/dev/null 2>&1; then
  echo "skip: a real cosign is on $plain_path, cannot test its absence"
else
  refused missing-cosign "cosign not found" "$plain_path" --base-url "$base/good"
fi
if PATH=$plain_path command -v gh >/dev/null 2>&1; then
  echo "skip: a real gh is on $plain_path, cannot test its absence"
else
  refused missing-gh "gh not found" "$plain_path" --base-url "$base/good" --verifier gh
fi
refused gh-unattested "attestation of .* does not verify" "$stub_path" --base-url "$base/good" --verifier gh
INSTALL_ENV=(INSTALL_VEXGATE_ARCH=riscv64 INSTALL_VEXGATE_OS=Linux)
refused unknown-arch "unsupported runner Linux/riscv64" "$stub_path" --base-url "$base/good"
INSTALL_ENV=(INSTALL_VEXGATE_ARCH=arm64 INSTALL_VEXGATE_OS=Darwin)
refused unknown-os "unsupported runner Darwin/arm64" "$stub_path" --base-url "$base/good"
INSTALL_ENV=(INSTALL_VEXGATE_ARCH="$cpu" INSTALL_VEXGATE_OS=Linux)
refused plain-http "must be https://" "$stub_path" --base-url "http://example.invalid/x"
# gh: the archive's attestation verifies (the stub's record of attested digests).
sha256sum <"$srv/good/v$version/$release_name.tar.gz" | cut -d' ' -f1 >"$work/attested"
INSTALL_ENV=(INSTALL_VEXGATE_ARCH="$cpu" INSTALL_VEXGATE_OS=Linux STUB_ATTESTED="$work/attested")
rm -rf "$work/cache-gh"
run_install gh "$work/cache-gh" "$stub_path" --base-url "$base/good" --verifier gh
INSTALL_ENV=(INSTALL_VEXGATE_ARCH="$cpu" INSTALL_VEXGATE_OS=Linux)
if [ "$rc" = 0 ]; then ok "--verifier gh: an attested archive installs"; else bad "--verifier gh: exit $rc"; sed 's/^/    /' "$work/out"; fi

kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=''

# --- 3. cargo install from a clean clone ----------------------------------------------------
if [ -n "${TEST_RELEASE_ARCHIVE:-}" ]; then
  echo "skip: cargo install and cargo publish --dry-run (TEST_RELEASE_ARCHIVE is a development shortcut)"
else
mkdir "$work/clone"
(cd "$root" && git ls-files -z --cached | while IFS= read -r -d '' f; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  printf '%s\0' "$f"
done | xargs -0 cp -P --parents -t "$work/clone")
t0=$(now_ms)
if (cd "$work/clone" && cargo install --debug --locked --quiet --path crates/vexgate --root "$work/cargo-root") >"$work/out" 2>&1 &&
  [ "$("$work/cargo-root/bin/vexgate" --version)" = "vexgate $version" ]; then
  t1=$(now_ms)
  ok "cargo install --locked --path crates/vexgate from a clean clone (--debug, to share the test build; $((t1 - t0)) ms)"
else
  bad "cargo install from a clean clone"
  tail -20 "$work/out" | sed 's/^/    /'
fi

# --- 4. cargo publish --dry-run -------------------------------------------------------------
if (cd "$work/clone" && cargo publish --dry-run --locked --allow-dirty -p vexgate-core -p vexgate) >"$work/out" 2>&1; then
  ok "cargo publish --dry-run --locked -p vexgate-core -p vexgate"
else
  bad "cargo publish --dry-run"
  tail -20 "$work/out" | sed 's/^/    /'
fi
fi

# --- 5. the Action's gate step: its inputs are the gate's flags -----------------------------
action_script=$root/.github/scripts/vexgate-action.sh
mapfile -t inputs < <(sed -n '/^inputs:/,/^outputs:/p' "$root/action.yml" | sed -n 's/^  \([a-z][a-z-]*\):$/\1/p')
mapfile -t gate_flags < <("$packed" gate --help | sed -n 's/^ *--\([a-z][a-z-]*\).*/\1/p' | sort -u)
# Inputs of the Action itself (install, what to gate, where outputs go), and gate flags the
# Action does not expose as inputs of the same name (with why).
action_only=" version vexgate-path repository verifier github-token reports image platforms summary-path sarif-path step-summary fail-on-blocking working-directory "
not_inputs=" format output-report output-dir summary-md sarif " # stdout format and extra reports; summary-md/sarif are summary-path/sarif-path
in_list() { case "$2" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
gate_inputs=()
for i in "${inputs[@]}"; do
  in_list "$i" "$action_only" && continue
  gate_inputs+=("$i")
  if grep -qx -- "$i" <<<"$(printf '%s\n' "${gate_flags[@]}")"; then :; else bad "action.yml input $i is not a vexgate gate flag"; fi
done
for f in "${gate_flags[@]}"; do
  in_list "$f" "$not_inputs" && continue
  if grep -qx -- "$f" <<<"$(printf '%s\n' "${inputs[@]}")"; then :; else bad "vexgate gate --$f has no action.yml input"; fi
done
if [ "${#gate_inputs[@]}" -ge 10 ]; then
  ok "action.yml's ${#gate_inputs[@]} gate inputs are vexgate gate flags, and every other flag is accounted for (${#gate_flags[@]} in --help)"
else
  bad "only ${#gate_inputs[@]} gate inputs found in action.yml"
fi
# Each gate input reaches vexgate as its flag: a stub records the arguments.
cat >"$stubs/vexgate-argv" <<'STUB'
#!/usr/bin/env bash
printf '%s\n' "$@" >>"$STUB_ARGV"
for a in "$@"; do [ "$a" = json ] && echo '{"blocking": [], "other_blocking": []}'; done
exit 0
STUB
chmod +x "$stubs/vexgate-argv"
failed_before=$failed
for i in "${gate_inputs[@]}"; do
  var=${i//-/_}
  var=${var^^}
  case "$i" in
    ignore-unfixed | show-suppressed | require-coverage | block-kev | strict-feeds) value=false want="--$i=false" ;;
    report-platform) value=' r.json=linux/arm64 ' want=$'--report-platform\nr.json=linux/arm64' ;;
    *) value="v-$i" want=$'--'"$i"$'\n'"v-$i" ;;
  esac
  : >"$work/argv"
  env -i PATH=/usr/bin:/bin STUB_ARGV="$work/argv" VEXGATE="$stubs/vexgate-argv" REPORTS=r.json \
    RUNNER_TEMP="$work" "$var=$value" bash "$action_script" >/dev/null 2>&1
  first=$(sed '/^r\.json$/q' "$work/argv")
  flag=${want%%$'\n'*}
  val=${want#*$'\n'}
  if [ "$want" = "$flag" ]; then
    found=$(grep -cxF -- "$flag" <<<"$first")
  else
    found=$(awk -v f="$flag" -v v="$val" 'prev == f && $0 == v { n++ } { prev = $0 } END { print n + 0 }' <<<"$first")
  fi
  if [ "$found" = 1 ]; then
    :
  else
    bad "input $i ($var=$value) does not reach vexgate as ${want//$'\n'/ }: $(tr '\n' ' ' <<<"$first")"
  fi
done
if [ "$failed" = "$failed_before" ]; then
  ok "every gate input reaches vexgate gate as its flag (recorded arguments)"
fi

# image: vexgate scan with the platforms and the same gate flags, reports saved under RUNNER_TEMP.
: >"$work/argv"
env -i PATH=/usr/bin:/bin STUB_ARGV="$work/argv" VEXGATE="$stubs/vexgate-argv" IMAGE=registry.example/app:1 \
  PLATFORMS=linux/amd64,linux/arm64 SEVERITY=CRITICAL RUNNER_TEMP="$work" bash "$action_script" >/dev/null 2>&1
want_scan="scan --reports-dir $work/vexgate-reports --platform linux/amd64 --platform linux/arm64 --severity CRITICAL --summary-md $work/vexgate-summary.md registry.example/app:1"
if [ "$(head -n 12 "$work/argv" | tr '\n' ' ')" = "$want_scan " ]; then
  ok "image: runs vexgate scan with the platforms and the gate flags"
else
  bad "image: vexgate got: $(tr '\n' ' ' <"$work/argv")"
fi

# The real binary through the Action's script.
act() { # act LABEL VAR=VALUE...: exit status in $rc, outputs in $work/act-LABEL.out
  local label=$1
  shift
  : >"$work/act-$label.out"
  : >"$work/act-$label.summary"
  mkdir -p "$work/rt-$label"
  (cd "$root" && env -i PATH=/usr/bin:/bin HOME="$work/home" VEXGATE="$packed" RUNNER_TEMP="$work/rt-$label" \
    GITHUB_OUTPUT="$work/act-$label.out" GITHUB_STEP_SUMMARY="$work/act-$label.summary" "$@" \
    bash "$action_script" >"$work/act-$label.log" 2>&1)
  rc=$?
}
mkdir -p "$work/home"
two="examples/trivy-linux-amd64.json examples/trivy-linux-arm64.json"
act blocked REPORTS="$two" VEX=none SARIF_PATH="$work/out.sarif"
if [ "$rc" = 1 ] && grep -qx 'verdict=blocked' "$work/act-blocked.out" && grep -qx 'blocking=1' "$work/act-blocked.out" &&
  grep -qx "sarif-path=$work/out.sarif" "$work/act-blocked.out" && grep -q '^summary-path=' "$work/act-blocked.out" &&
  grep -q 'CVE-2099-0101' "$work/act-blocked.summary" && [ -s "$work/out.sarif" ]; then
  ok "Action on the example: exit 1, verdict=blocked, blocking=1, step summary and SARIF written"
else
  bad "Action on the example: exit $rc: $(tr '\n' ' ' <"$work/act-blocked.out")"
  sed 's/^/    /' "$work/act-blocked.log" | tail -5
fi
act soft REPORTS="$two" VEX=none FAIL_ON_BLOCKING=false STEP_SUMMARY=false
if [ "$rc" = 0 ] && grep -qx 'verdict=blocked' "$work/act-soft.out" && [ ! -s "$work/act-soft.summary" ]; then
  ok "fail-on-blocking: false passes the step with verdict=blocked; step-summary: false writes none"
else
  bad "fail-on-blocking false: exit $rc: $(tr '\n' ' ' <"$work/act-soft.out")"
fi
act high REPORTS="$two" VEX=none SEVERITY=HIGH
if [ "$rc" = 0 ] && grep -qx 'verdict=pass' "$work/act-high.out" && grep -qx 'blocking=0' "$work/act-high.out"; then
  ok "severity: HIGH passes the CRITICAL-only example (verdict=pass, blocking=0)"
else
  bad "severity HIGH: exit $rc: $(tr '\n' ' ' <"$work/act-high.out")"
fi
for bad_input in SEVERITY=BOGUS IGNORE_UNFIXED=maybe VEX=missing.json "REPORTS=$two IMAGE=alpine:3"; do
  read -r -a kv <<<"$bad_input"
  if [ "${#kv[@]}" -gt 1 ]; then act bad REPORTS="$two" IMAGE=alpine:3; else act bad REPORTS="$two" "$bad_input"; fi
  if [ "$rc" = 2 ] && grep -qx 'verdict=error' "$work/act-bad.out" && ! grep -q '^summary-path=' "$work/act-bad.out"; then
    ok "bad input ($bad_input): exit 2, verdict=error, no summary-path"
  else
    bad "bad input ($bad_input): exit $rc: $(tr '\n' ' ' <"$work/act-bad.out")"
  fi
done

echo "install through install-vexgate.sh from 127.0.0.1: ${install_ms} ms"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
