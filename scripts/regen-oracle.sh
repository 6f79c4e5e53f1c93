#!/usr/bin/env bash
# Regenerate testdata/oracle (real Trivy 0.76 outputs that vexgate's differential tests compare
# against) from the committed inputs:
#   testdata/oracle/db/*.json          fixture vulnerability DB  -> fixture-db -> temp cache
#   testdata/oracle/targets/...        scan targets (dpkg rootfs, Cargo.lock x2, go.mod, package-lock)
#   testdata/oracle/convert/inputs/    reports for `trivy convert`
#   testdata/oracle/{vex,ignore,policy}/ VEX, ignore files, Rego stand-ins
# The deb12 rootfs is also wrapped as an image (docker-archive tar, scanned with --input) and pushed
# to a throw-away local registry on 127.0.0.1 (scanned by digest).
#
# Writes testdata/oracle/{convert,scan}/expected/*.json, scan/unfiltered/*.json, manifest.json and
# vex/generated/*.openvex.json (they name the registry and the image digest). CreatedAt/ReportID
# and the registry port change from run to run; the vulnerability sets do not.
#
# Usage: scripts/regen-oracle.sh   (everything: the registry port and image digest change per
# run, and the image scenarios, vex/generated/ and manifest.json must come from the same run)
#        scripts/regen-oracle.sh --convert NAME...   (only the named `trivy convert` scenarios, which
# need neither the fixture DB nor the registry; their entries are merged into manifest.json)
# Environment: VEXGATE_TRIVY, VEXGATE_FIXTURE_DB (a built fixture-db binary), CARGO_TARGET_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=scripts/lib/images.sh
. "$here/lib/images.sh"
# shellcheck source=scripts/lib/registry.sh
. "$here/lib/registry.sh"

usage="usage: scripts/regen-oracle.sh [--convert NAME...]"
convert_only=''
if [ "${1:-}" = --convert ]; then
  shift
  [ $# -gt 0 ] || vx_die "$usage"
  convert_only=1
fi
[ -n "$convert_only" ] || [ $# -eq 0 ] || vx_die "$usage"
root=$(vx_root)
oracle=$root/testdata/oracle
trivy=$(vx_find_trivy) || vx_die "trivy not found (scripts/setup-tools.sh)"
version=$("$trivy" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}')
[ "$version" = 0.76.0 ] || vx_die "need trivy 0.76.0, $trivy is '$version'"
command -v python3 >/dev/null 2>&1 || vx_die "python3 not found"

if [ -n "$convert_only" ]; then
  cache=$(mktemp -d "${TMPDIR:-/tmp}/regen-oracle.XXXXXX")
  trap 'rm -rf "$cache"' EXIT
  ORACLE_TRIVY=$trivy ORACLE_CACHE=$cache python3 "$here/oracle/regen.py" --merge "$@"
  exit
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/regen-oracle.XXXXXX")
image_tar=images/deb12.tar
cleanup() {
  rm -rf "$work"
  rm -f "$oracle/$image_tar"
  rmdir "$oracle/images" 2>/dev/null || true
}
trap cleanup EXIT

start=$(date +%s)
vx_log "regen-oracle: fixture DB from testdata/oracle/db/*.json"
vx_fixture_db "$work/cache" "$oracle"/db/*.json

vx_log "regen-oracle: image tar $image_tar from targets/deb12-rootfs"
# Fixed mtimes so the layer does not depend on when the tree was checked out.
cp -a "$oracle/targets/deb12-rootfs" "$work/rootfs"
find "$work/rootfs" -exec touch -h -d '2025-01-01T00:00:00Z' {} +
make_rootfs_image "$work/rootfs" "$oracle/$image_tar" oracle/deb12:1

# The registry's EXIT trap chains ours (cleanup runs after registry_stop).
registry_start
digest=$(registry_push "$oracle/$image_tar" oracle/deb12:1)
repo=$REGISTRY_ADDR/oracle/deb12
vx_log "regen-oracle: pushed $repo@$digest"

mkdir -p "$oracle/vex/generated"
python3 - "$oracle/vex/generated/oci-repository-url.openvex.json" "$repo" <<'EOF'
import json, sys
from urllib.parse import quote
out, repo = sys.argv[1], sys.argv[2]
doc = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.invalid/vex/oracle/oci-repository-url",
    "author": "secure-docker-images oracle (written by scripts/regen-oracle.sh)",
    "timestamp": "2025-06-01T00:00:00Z",
    "version": 1,
    "statements": [{
        "vulnerability": {"name": "CVE-2022-3715"},
        "products": [{
            "@id": "pkg:oci/deb12?repository_url=" + quote(repo, safe=":"),
            "subcomponents": [{"@id": "pkg:deb/debian/bash"}],
        }],
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
    }],
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF

ORACLE_TRIVY=$trivy ORACLE_CACHE=$work/cache ORACLE_IMAGE_TAR=$image_tar \
  ORACLE_IMAGE_REF=$repo@$digest ORACLE_IMAGE_REPO=$repo \
  python3 "$here/oracle/regen.py"

registry_stop
vx_log "regen-oracle: done in $(($(date +%s) - start)) s; outputs under testdata/oracle (see manifest.json)"
