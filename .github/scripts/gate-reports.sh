#!/usr/bin/env bash
# Gate every Trivy report in a directory with vexgate, the way the workflows do.
#
#   gate-reports.sh REPORT_DIR OUT_DIR [VEXGATE GATE FLAGS...]
#
# REPORT_DIR holds trivy-<os>-<arch>.json (unfiltered Trivy JSON, one per platform).
# Writes, under OUT_DIR:
#   summary.md              one Markdown summary over all platforms (step summary, PR comment)
#   sarif/<os>-<arch>.sarif one SARIF file per platform, so each can be uploaded
#                           under its own code-scanning category
# The flags (policy, --image-repo, ...) are passed to every vexgate call unchanged.
#
# With EXPECT_PLATFORMS (space-separated os/arch) set, a platform without a report is named:
# "build failed for <os/arch>" when BUILT_DIR has no file <os>-<arch> (its build leg left no
# image), otherwise "scan failed for <os/arch>". The reports that exist are still gated and
# summarised, and the exit status is then at least 1. The combined gate also runs vexgate's own
# platform check with that list (VEXGATE_EXPECT_PLATFORMS, comma-separated: a vexgate without the
# check ignores the variable), which also fails on a report of a platform that was not built.
# Exit status: that of the combined gate (0 pass, 1 blocked or a platform missing, 2 bad input).
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: gate-reports.sh REPORT_DIR OUT_DIR [VEXGATE GATE FLAGS...]" >&2
  exit 2
fi
report_dir=$1
out_dir=$2
shift 2

shopt -s nullglob
reports=("$report_dir"/trivy-*.json)

# Platforms that were expected but left no report, and why.
missing=()
missing_pairs=()
for platform in ${EXPECT_PLATFORMS:-}; do
  pair=${platform//\//-}
  [ -f "$report_dir/trivy-$pair.json" ] && continue
  if [ -n "${BUILT_DIR:-}" ] && [ ! -f "$BUILT_DIR/$pair" ]; then
    missing+=("build failed for $platform")
  else
    missing+=("scan failed for $platform")
  fi
  missing_pairs+=("$pair")
done
mkdir -p "$out_dir/sarif"
report_missing() {
  local i
  for i in "${!missing[@]}"; do
    echo "gate-reports: ${missing[$i]} (no trivy-${missing_pairs[$i]}.json)" >&2
    printf '\n**%s**: no report for this platform, so it was not gated.\n' "${missing[$i]}" >>"$out_dir/summary.md"
  done
}

if [ "${#reports[@]}" -eq 0 ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    : >"$out_dir/summary.md"
    report_missing
    exit 1
  fi
  echo "gate-reports: no trivy-<os>-<arch>.json in $report_dir" >&2
  exit 2
fi

platform_args=()
for report in "${reports[@]}"; do
  pair=$(basename "$report" .json)
  pair=${pair#trivy-}
  platform="${pair//-//}"
  platform_args+=(--report-platform "$report=$platform")
  # One SARIF per platform; its verdict is repeated by the combined gate below.
  rc=0
  env -u VEXGATE_EXPECT_PLATFORMS vexgate gate "$@" --report-platform "$report=$platform" \
    --sarif "$out_dir/sarif/$pair.sarif" "$report" >/dev/null || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "gate-reports: vexgate failed on $report (exit $rc)" >&2
    exit "$rc"
  fi
done

echo "gate-reports: ${#reports[@]} report(s): ${reports[*]}"
rc=0
expect=${EXPECT_PLATFORMS:-}
expect=$(printf '%s' "$expect" | tr -s ' \t\n' ',,,')
expect=${expect#,}
expect=${expect%,}
if [ -n "$expect" ]; then
  VEXGATE_EXPECT_PLATFORMS=$expect vexgate gate "$@" "${platform_args[@]}" \
    --summary-md "$out_dir/summary.md" "${reports[@]}" || rc=$?
else
  env -u VEXGATE_EXPECT_PLATFORMS vexgate gate "$@" "${platform_args[@]}" \
    --summary-md "$out_dir/summary.md" "${reports[@]}" || rc=$?
fi
if [ "${#missing[@]}" -gt 0 ]; then
  report_missing
  [ "$rc" -ge 1 ] || rc=1
fi
exit "$rc"
