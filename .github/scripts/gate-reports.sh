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
# Exit status: that of the combined gate (0 pass, 1 blocked, 2 bad input).
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
if [ "${#reports[@]}" -eq 0 ]; then
  echo "gate-reports: no trivy-<os>-<arch>.json in $report_dir" >&2
  exit 2
fi
mkdir -p "$out_dir/sarif"

platform_args=()
for report in "${reports[@]}"; do
  pair=$(basename "$report" .json)
  pair=${pair#trivy-}
  platform="${pair%%-*}/${pair#*-}"
  platform_args+=(--report-platform "$report=$platform")
  # One SARIF per platform; its verdict is repeated by the combined gate below.
  rc=0
  vexgate gate "$@" --report-platform "$report=$platform" \
    --sarif "$out_dir/sarif/$pair.sarif" "$report" >/dev/null || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "gate-reports: vexgate failed on $report (exit $rc)" >&2
    exit "$rc"
  fi
done

echo "gate-reports: ${#reports[@]} report(s): ${reports[*]}"
exec vexgate gate "$@" "${platform_args[@]}" --summary-md "$out_dir/summary.md" "${reports[@]}"
