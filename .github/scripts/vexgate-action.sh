#!/usr/bin/env bash
# The gate step of the vexgate GitHub Action (action.yml): runs `vexgate gate` on saved Trivy
# reports (or `vexgate scan` on an image, then gates the saved reports) with the Action's
# inputs as flags, writes the Markdown summary (and SARIF when asked), appends the summary to
# the job's step summary, and sets the outputs verdict, blocking, summary-path, sarif-path.
#
# Inputs arrive as environment variables (action.yml maps each input; nothing is expanded by
# the runner inside this script): VEXGATE (the binary), REPORTS (whitespace-separated paths),
# IMAGE, PLATFORMS, SEVERITY, IGNORE_UNFIXED, IGNORE_STATUS, IGNOREFILE, VEX (comma-separated),
# IMAGE_REPO, REPORT_PLATFORM (one FILE=OS/ARCH per line), SHOW_SUPPRESSED, REQUIRE_COVERAGE,
# CONFIG, BASELINE (whitespace-separated paths), BASELINE_MODE, BASELINE_MISSING, EXPECT_PLATFORMS,
# EXPECT_PLATFORMS_FROM, KEV, EPSS, BLOCK_KEV, EPSS_THRESHOLD, EPSS_MISSING, KEV_SUPPRESSION, FEED_MAX_AGE, STRICT_FEEDS, SUMMARY_PATH, SARIF_PATH, STEP_SUMMARY (true/false), FAIL_ON_BLOCKING (true/false).
# An empty input passes no flag, so vexgate's own defaults (and VEXGATE_* variables and
# vexgate.toml) apply.
#
# Exit status: vexgate's (0 pass, 1 blocked, 2 bad input), except that a block exits 0 when
# FAIL_ON_BLOCKING is false; the outputs are written in every case.
set -uo pipefail

die() {
  printf '::error title=vexgate::%s\n' "$*"
  printf 'verdict=error\n' >>"${GITHUB_OUTPUT:-/dev/null}"
  exit 2
}
check_bool() { # check_bool INPUT VALUE: true, false (any case) or empty
  case "${2,,}" in
    '' | true | false) ;;
    *) die "input $1 must be true or false, not '$2'" ;;
  esac
}

[ -n "${VEXGATE:-}" ] && [ -x "$VEXGATE" ] || die "no vexgate binary (the install step gave '${VEXGATE:-}')"
check_bool fail-on-blocking "${FAIL_ON_BLOCKING:-}"
check_bool step-summary "${STEP_SUMMARY:-}"
check_bool ignore-unfixed "${IGNORE_UNFIXED:-}"
check_bool show-suppressed "${SHOW_SUPPRESSED:-}"
check_bool require-coverage "${REQUIRE_COVERAGE:-}"
check_bool block-kev "${BLOCK_KEV:-}"
check_bool strict-feeds "${STRICT_FEEDS:-}"
fail_on_blocking=${FAIL_ON_BLOCKING:-true}
fail_on_blocking=${fail_on_blocking,,}
step_summary=${STEP_SUMMARY:-true}
step_summary=${step_summary,,}
ignore_unfixed=${IGNORE_UNFIXED:-}
ignore_unfixed=${ignore_unfixed,,}
show_suppressed=${SHOW_SUPPRESSED:-}
show_suppressed=${show_suppressed,,}
require_coverage=${REQUIRE_COVERAGE:-}
require_coverage=${require_coverage,,}
block_kev=${BLOCK_KEV:-}
block_kev=${block_kev,,}
strict_feeds=${STRICT_FEEDS:-}
strict_feeds=${strict_feeds,,}

flags=()
[ -n "${SEVERITY:-}" ] && flags+=(--severity "$SEVERITY")
[ -n "$ignore_unfixed" ] && flags+=("--ignore-unfixed=$ignore_unfixed")
[ -n "${IGNORE_STATUS:-}" ] && flags+=(--ignore-status "$IGNORE_STATUS")
[ -n "${IGNOREFILE:-}" ] && flags+=(--ignorefile "$IGNOREFILE")
[ -n "${VEX:-}" ] && flags+=(--vex "$VEX")
[ -n "${IMAGE_REPO:-}" ] && flags+=(--image-repo "$IMAGE_REPO")
[ -n "$show_suppressed" ] && flags+=("--show-suppressed=$show_suppressed")
[ -n "$require_coverage" ] && flags+=("--require-coverage=$require_coverage")
[ -n "${CONFIG:-}" ] && flags+=(--config "$CONFIG")
# -d '': every line (plain `read` stops at the first newline).
read -r -d '' -a baselines <<<"${BASELINE:-}"
for b in "${baselines[@]}"; do flags+=(--baseline "$b"); done
[ -n "${BASELINE_MODE:-}" ] && flags+=(--baseline-mode "$BASELINE_MODE")
[ -n "${BASELINE_MISSING:-}" ] && flags+=(--baseline-missing "$BASELINE_MISSING")
[ -n "${EXPECT_PLATFORMS:-}" ] && flags+=(--expect-platforms "$EXPECT_PLATFORMS")
[ -n "${EXPECT_PLATFORMS_FROM:-}" ] && flags+=(--expect-platforms-from "$EXPECT_PLATFORMS_FROM")
[ -n "${KEV:-}" ] && flags+=(--kev "$KEV")
[ -n "${EPSS:-}" ] && flags+=(--epss "$EPSS")
[ -n "$block_kev" ] && flags+=("--block-kev=$block_kev")
[ -n "${EPSS_THRESHOLD:-}" ] && flags+=(--epss-threshold "$EPSS_THRESHOLD")
[ -n "${EPSS_MISSING:-}" ] && flags+=(--epss-missing "$EPSS_MISSING")
[ -n "${KEV_SUPPRESSION:-}" ] && flags+=(--kev-suppression "$KEV_SUPPRESSION")
[ -n "${FEED_MAX_AGE:-}" ] && flags+=(--feed-max-age "$FEED_MAX_AGE")
[ -n "$strict_feeds" ] && flags+=("--strict-feeds=$strict_feeds")
while IFS= read -r line; do
  line=${line#"${line%%[![:space:]]*}"}
  line=${line%"${line##*[![:space:]]}"}
  [ -n "$line" ] && flags+=(--report-platform "$line")
done <<<"${REPORT_PLATFORM:-}"

summary=${SUMMARY_PATH:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vexgate-summary.md}
outputs=(--summary-md "$summary")
[ -n "${SARIF_PATH:-}" ] && outputs+=(--sarif "$SARIF_PATH")

# -d '': reports on several lines are all read (plain `read` stops at the first newline).
read -r -d '' -a reports <<<"${REPORTS:-}"
if [ -n "${IMAGE:-}" ]; then
  [ "${#reports[@]}" -eq 0 ] || die "give either reports or image, not both"
  dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vexgate-reports
  scan=(--reports-dir "$dir")
  for p in ${PLATFORMS//,/ }; do scan+=(--platform "$p"); done
  "$VEXGATE" scan "${scan[@]}" "${flags[@]}" "${outputs[@]}" "$IMAGE"
  rc=$?
  if [ "$rc" -le 1 ]; then
    mapfile -t reports < <(find "$dir" -maxdepth 1 -name '*.json' -type f | sort)
  fi
else
  [ "${#reports[@]}" -gt 0 ] || die "give reports (Trivy JSON files) or an image to scan"
  "$VEXGATE" gate "${flags[@]}" "${outputs[@]}" "${reports[@]}"
  rc=$?
fi

case "$rc" in
  0) verdict=pass ;;
  1) verdict=blocked ;;
  *) verdict=error ;;
esac
blocking=''
if [ "$rc" -le 1 ] && [ "${#reports[@]}" -gt 0 ]; then
  # The same policy again, as vexgate's stable JSON, to count what blocks.
  json=$("$VEXGATE" gate "${flags[@]}" --format json "${reports[@]}" 2>/dev/null)
  # (--kev-suppression deny: each suppressed KEV finding blocks too.)
  blocking=$(jq -r '(.blocking | length) + (.other_blocking | length)
    + (if (.feeds.kev_suppression_failed // false) then (.feeds.suppressed_kev | length) else 0 end)' <<<"$json" 2>/dev/null) || blocking=''
fi
{
  printf 'verdict=%s\n' "$verdict"
  printf 'blocking=%s\n' "$blocking"
  # Only what this run wrote (an error leaves no new output).
  if [ "$rc" -le 1 ] && [ -f "$summary" ]; then printf 'summary-path=%s\n' "$summary"; fi
  if [ "$rc" -le 1 ] && [ -n "${SARIF_PATH:-}" ] && [ -f "$SARIF_PATH" ]; then printf 'sarif-path=%s\n' "$SARIF_PATH"; fi
} >>"${GITHUB_OUTPUT:-/dev/null}"
if [ "$rc" -le 1 ] && [ "$step_summary" = true ] && [ -f "$summary" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$rc" = 1 ] && [ "$fail_on_blocking" = false ]; then
  echo "vexgate: blocked, and fail-on-blocking is false: the step passes"
  exit 0
fi
exit "$rc"
