#!/usr/bin/env bash
# Regenerates Trivy 0.76's own SARIF for reports vexgate's SARIF writer is compared with
# (crates/vexgate-core/tests/integration/render_sarif.rs): rule ids, levels, security-severity, helpUri and
# artifact URIs must agree. `trivy convert` needs no DB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../../../.." && pwd)"
trivy="${VEXGATE_TRIVY:-$root/.venv/bin/trivy}"
up="$root/testdata/upstream/trivy"
export TRIVY_NO_PROGRESS=true
for name in alpine-310 busybox-with-lockfile centos-7 debian-buster gomod ubi-7-comprehensive; do
  "$trivy" convert --format sarif --output "$here/$name.sarif" "$up/$name.json.golden"
done
"$trivy" convert --format sarif --severity UNKNOWN,MEDIUM,HIGH,CRITICAL \
  --ignorefile "$here/../trivy-convert/trivyignore" \
  --output "$here/trivy-convert.sarif" "$here/../trivy-convert/input.json"
"$trivy" --version | head -1 > "$here/trivy-version"
