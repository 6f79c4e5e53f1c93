#!/usr/bin/env bash
# Regenerates expected.json: what real Trivy 0.76 writes for input.json with an ignore file,
# a severity filter and --show-suppressed (no DB needed: `trivy convert` only filters).
# input.json is written by hand in the shape Trivy writes (zero-valued keys Trivy omits are
# left out): a config result with FAIL, PASS and severity-dropped misconfigurations, secrets,
# vulnerabilities with and without Severity plus an ExperimentalModifiedFindings entry from an
# earlier run, an empty-Target result, and licenses. trivyignore ignores one of each kind.
# Used by crates/vexgate-core/tests/integration/render_trivy_report.rs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../../../.." && pwd)"
trivy="${VEXGATE_TRIVY:-$root/.venv/bin/trivy}"
cd "$here"
TRIVY_NO_PROGRESS=true "$trivy" convert --format json --show-suppressed \
  --severity UNKNOWN,MEDIUM,HIGH,CRITICAL --ignorefile trivyignore \
  --output expected.json input.json
"$trivy" --version | head -1 > expected.trivy-version
