#!/usr/bin/env bash
# Self-test of the shared test helpers (scripts/lib/*.sh) with the real tools:
#   - registry.sh: start on 127.0.0.1 only, push with skopeo, pull back by digest, stop (process,
#     port and temp dir gone), `run -- CMD` mode, cleanup by the EXIT trap when the caller fails
#     or is killed;
#   - images.sh: make_rootfs_image and make_debian_image (docker-archive, amd64/linux, cache hit);
#   - fixture-db + Trivy: the Debian image, scanned from its tar and from the registry by digest,
#     shows the advisories planted in testdata/db/base.json (relative to the image's own dpkg
#     status), also after drift_image raised the installed versions.
# Prints "N passed, N failed"; exit 1 when anything failed, 2 when a tool is missing and
# VEXGATE_REQUIRE_TOOLS=1 (without it, missing tools skip the whole test with exit 0).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=scripts/lib/registry.sh
. "$here/lib/registry.sh"
# shellcheck source=scripts/lib/images.sh
. "$here/lib/images.sh"

root=$(vx_root)
export TRIVY_NO_PROGRESS=true

trivy=$(vx_find_trivy || true)
missing=0
vx_need_tool trivy "$trivy" || missing=1
for t in docker-registry skopeo umoci mmdebstrap jq curl ss; do
  vx_need_tool "$t" "$(command -v "$t" || true)" || missing=1
done
if [ "$missing" = 1 ]; then
  echo "0 passed, 0 failed (skipped: tools missing)"
  exit 0
fi

passed=0
failed=0
ok() {
  passed=$((passed + 1))
  printf 'ok   %s\n' "$*"
}
bad() {
  failed=$((failed + 1))
  printf 'FAIL %s\n' "$*"
}
# check DESCRIPTION CMD...: CMD's status decides.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
now_ms() { date +%s%3N; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vexgate-test-helpers.XXXXXX")
trap 'rm -rf "$work"' EXIT # registry_start chains its own cleanup in front of this

# --- registry: start ---------------------------------------------------------------------
t0=$(now_ms)
registry_start
t1=$(now_ms)
echo "registry start: $((t1 - t0)) ms ($REGISTRY_ADDR)"
reg_pid=$_registry_pid
reg_dir=$_registry_dir
reg_addr=$REGISTRY_ADDR
check "REGISTRY_ADDR is 127.0.0.1:PORT" grep -Eq '^127\.0\.0\.1:[0-9]+$' <<<"$REGISTRY_ADDR"
check "registry answers /v2/" curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/"
listen=$(ss -Hltnp | grep "pid=$reg_pid," | awk '{print $4}')
check "registry listens (ss sees pid $reg_pid)" test -n "$listen"
check "registry listens only on $REGISTRY_ADDR (got: $(echo "$listen" | tr '\n' ' '))" \
  test "$listen" = "$REGISTRY_ADDR"

# --- images --------------------------------------------------------------------------------
config_of() { # TAR -> the image config JSON of a docker-archive
  local cfg
  cfg=$(tar -xOf "$1" manifest.json | jq -r '.[0].Config') && tar -xOf "$1" "$cfg"
}
mkdir -p "$work/rootfs/etc" "$work/rootfs/app"
echo 'hello' >"$work/rootfs/app/hello.txt"
cp /etc/os-release "$work/rootfs/etc/os-release" 2>/dev/null || echo 'ID=debian' >"$work/rootfs/etc/os-release"
if make_rootfs_image "$work/rootfs" "$work/rootfs.tar" vexgate-test/rootfs:1; then
  ok "make_rootfs_image writes a docker-archive"
  check "rootfs image config is amd64/linux" \
    test "$(config_of "$work/rootfs.tar" | jq -r '.architecture + "/" + .os')" = amd64/linux
  check "rootfs image is tagged" grep -q 'vexgate-test/rootfs:1' <(tar -xOf "$work/rootfs.tar" manifest.json)
  layer=$(tar -xOf "$work/rootfs.tar" manifest.json | jq -r '.[0].Layers[0]')
  files=$(tar -xOf "$work/rootfs.tar" "$layer" | tar -t 2>/dev/null | sed 's|^/||')
  check "rootfs image layer holds the tree" grep -qx 'app/hello.txt' <<<"$files"
else
  bad "make_rootfs_image writes a docker-archive"
fi
find "$work/rootfs" -exec touch -h -d '2025-01-01T00:00:00Z' {} +
for i in 1 2; do
  SOURCE_DATE_EPOCH=1735689600 make_rootfs_image "$work/rootfs" "$work/repro$i.tar" vexgate-test/rootfs:1
done
check "make_rootfs_image with SOURCE_DATE_EPOCH and fixed mtimes is byte-identical" \
  cmp -s "$work/repro1.tar" "$work/repro2.tar"

t0=$(now_ms)
make_debian_image "$work/debian.tar" || vx_die "make_debian_image failed"
t1=$(now_ms)
make_debian_image "$work/debian2.tar" 2>"$work/second-call.log" || vx_die "make_debian_image failed"
t2=$(now_ms)
echo "debian image: first call $((t1 - t0)) ms, second call $((t2 - t1)) ms, $(stat -c %s "$work/debian.tar") bytes"
check "debian image is a docker-archive for amd64/linux" \
  test "$(config_of "$work/debian.tar" | jq -r '.architecture + "/" + .os')" = amd64/linux
# A hit still asks the archive which versions it would install (the cache key), so it is not
# instant; what matters is that nothing was rebuilt.
check "second make_debian_image is a cache hit with the same bytes" \
  bash -c "grep -q '^make_debian_image: cached ' '$work/second-call.log' && cmp -s '$work/debian.tar' '$work/debian2.tar'"
check "debian image is small (< 100 MB)" test "$(stat -c %s "$work/debian.tar")" -lt 100000000

# --- push and pull back ------------------------------------------------------------------
digest=$(registry_push "$work/debian.tar" vexgate/debian:12)
check "registry_push prints a digest ($digest)" grep -Eq '^sha256:[0-9a-f]{64}$' <<<"$digest"
remote=$(skopeo inspect --tls-verify=false "docker://$REGISTRY_ADDR/vexgate/debian@$digest" 2>/dev/null | jq -r .Digest)
check "image pulls back by digest" test "$remote" = "$digest"

# --- fixture DB + Trivy ------------------------------------------------------------------
# Planted versions follow the image: base.json's {"$after_installed": PKG} resolve against its
# own dpkg status, and every expected version below is read from that status at run time.
image_dpkg_status "$work/debian.tar" "$work/debian.status"
zlib_version=$(status_version "$work/debian.status" zlib1g)
check "image_dpkg_status reads the image's zlib1g version ($zlib_version)" test -n "$zlib_version"
cache=$work/trivy-cache
if vx_fixture_db "$cache" --dpkg-status "$work/debian.status" "$root/testdata/db/base.json" 2>/dev/null; then
  ok "fixture-db builds testdata/db/base.json"
else
  bad "fixture-db builds testdata/db/base.json"
fi
scan_ids() { # trivy image args... -> "PkgName VulnID Status InstalledVersion" lines
  "$trivy" image --quiet --cache-dir "$cache" --skip-db-update --cache-backend memory \
    --scanners vuln --format json "$@" | jq -r '.Results[]?.Vulnerabilities[]? | "\(.PkgName) \(.VulnerabilityID) \(.Status) \(.InstalledVersion)"'
}
from_tar=$(scan_ids --input "$work/debian.tar")
check "trivy (tar): planted fixed zlib1g CVE-2022-37434" grep -qx "zlib1g CVE-2022-37434 fixed $zlib_version" <<<"$from_tar"
check "trivy (tar): planted unfixed zlib1g CVE-2023-45853" grep -qx "zlib1g CVE-2023-45853 will_not_fix $zlib_version" <<<"$from_tar"
from_reg_json=$("$trivy" image --quiet --cache-dir "$cache" --skip-db-update --cache-backend memory \
  --scanners vuln --format json --insecure --image-src remote "$REGISTRY_ADDR/vexgate/debian@$digest")
check "trivy (registry by digest): planted zlib1g CVE-2022-37434" \
  grep -q 'zlib1g CVE-2022-37434 fixed' <(jq -r '.Results[]?.Vulnerabilities[]? | "\(.PkgName) \(.VulnerabilityID) \(.Status)"' <<<"$from_reg_json")
check "trivy (registry by digest): RepoDigests has the pushed digest" \
  grep -q "@$digest\$" <(jq -r '.Metadata.RepoDigests[]?' <<<"$from_reg_json")

# --- archive drift: the same checks on an image whose zlib1g moved past every literal --------
drift_image "$work/debian.tar" "$work/drift.tar" zlib1g
image_dpkg_status "$work/drift.tar" "$work/drift.status"
drift_version=$(status_version "$work/drift.status" zlib1g)
check "drift_image raises zlib1g's epoch ($zlib_version -> $drift_version)" \
  bash -c "dpkg --compare-versions '$drift_version' gt '$zlib_version' && [ '${drift_version#*:}' = '${zlib_version#*:}' ]"
check "drift_image keeps the image's tag and architecture" \
  test "$(config_of "$work/drift.tar" | jq -r '.architecture + "/" + .os')" = amd64/linux
if vx_fixture_db "$work/drift-cache" --dpkg-status "$work/drift.status" "$root/testdata/db/base.json" 2>/dev/null; then
  from_drift=$("$trivy" image --quiet --cache-dir "$work/drift-cache" --skip-db-update --cache-backend memory \
    --scanners vuln --format json --input "$work/drift.tar" |
    jq -r '.Results[]?.Vulnerabilities[]? | "\(.PkgName) \(.VulnerabilityID) \(.Status) \(.InstalledVersion)"')
  check "trivy (drifted tar): planted fixed zlib1g CVE-2022-37434 at $drift_version" \
    grep -qx "zlib1g CVE-2022-37434 fixed $drift_version" <<<"$from_drift"
else
  bad "fixture-db builds testdata/db/base.json against the drifted status"
fi

# --- registry: stop --------------------------------------------------------------------------
registry_stop
check "registry process is gone after registry_stop" bash -c "! kill -0 $reg_pid 2>/dev/null"
check "registry port is closed after registry_stop" bash -c "! curl -fsS -o /dev/null --max-time 2 http://$reg_addr/v2/ 2>/dev/null"
check "registry temp dir is removed" test ! -e "$reg_dir"
check "REGISTRY_ADDR is unset after registry_stop" test -z "${REGISTRY_ADDR:-}"

# --- run mode: CMD sees the registry, its status is returned, registry is gone after ------
# shellcheck disable=SC2016 # expanded by the inner bash
"$here/lib/registry.sh" run -- bash -c 'echo "$REGISTRY_ADDR" >"$1"; curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/" && exit 3' _ "$work/run-addr"
rc=$?
check "registry.sh run -- CMD returns CMD's status (3, got $rc)" test "$rc" = 3
check "registry.sh run: registry gone afterwards" \
  bash -c "! curl -fsS -o /dev/null --max-time 2 http://$(cat "$work/run-addr")/v2/ 2>/dev/null"

# --- EXIT trap: a failing caller and a killed caller still stop the registry --------------
cat >"$work/failing.sh" <<EOF
set -e
. "$here/lib/registry.sh"
registry_start
echo "\$REGISTRY_ADDR \$_registry_dir" >"$work/fail-addr"
false
EOF
bash "$work/failing.sh"
read -r fa fd <"$work/fail-addr"
check "failing caller: registry stopped by the EXIT trap" \
  bash -c "! curl -fsS -o /dev/null --max-time 2 http://$fa/v2/ 2>/dev/null && test ! -e '$fd'"

cat >"$work/killed.sh" <<EOF
sleep 60 >/dev/null 2>&1 &
sp=\$!
trap 'kill \$sp 2>/dev/null; echo caller-trap >"$work/kill-trap"' EXIT
. "$here/lib/registry.sh"
registry_start
echo "\$REGISTRY_ADDR \$_registry_dir" >"$work/kill-addr"
wait
EOF
bash "$work/killed.sh" &
kpid=$!
for _ in $(seq 1 100); do [ -s "$work/kill-addr" ] && break; sleep 0.1; done
kill -TERM "$kpid"
wait "$kpid" 2>/dev/null
read -r ka kd <"$work/kill-addr"
check "killed caller (SIGTERM): registry stopped by the trap" \
  bash -c "! curl -fsS -o /dev/null --max-time 2 http://$ka/v2/ 2>/dev/null && test ! -e '$kd'"
check "killed caller (SIGTERM): the caller's own EXIT trap still ran (chained)" test -s "$work/kill-trap"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
