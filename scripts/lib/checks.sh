#!/usr/bin/env bash
# A tiny check harness for the test scripts (scripts/test-image.sh, scripts/e2e.sh). Source it:
#   . scripts/lib/checks.sh
#   check "binary is static" grep -q ...      # pass/fail by exit status
#   pass "…" / fail "…" / skip "…"            # skip counts as a failure under VEXGATE_REQUIRE_TOOLS=1
#   checks_summary                            # prints "N passed, N failed[, N skipped]"; returns 1 on any failure

checks_require=${VEXGATE_REQUIRE_TOOLS:-0}
passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); printf 'ok   - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
skip() {
  if [ "$checks_require" = 1 ]; then
    fail "$* (VEXGATE_REQUIRE_TOOLS=1)"
  else
    skipped=$((skipped + 1))
    printf 'skip - %s\n' "$*"
  fi
}
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
checks_summary() {
  printf '\n%d passed, %d failed' "$passed" "$failed"
  [ "$skipped" -eq 0 ] || printf ', %d skipped' "$skipped"
  printf '\n'
  [ "$failed" -eq 0 ]
}
