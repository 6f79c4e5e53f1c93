#!/usr/bin/env bash
# The pipeline's Trivy vulnerability DB, fetched once per run and shared with every scan leg.
#
#   trivy-db.sh fetch --cache-dir DIR --fallback-dir DIR [--repositories LIST]
#                     [--attempts N] [--retry-delay SECONDS] [--max-age-hours H]
#   trivy-db.sh check --cache-dir DIR [--max-age-hours H]
#
# fetch: downloads the DB into DIR/db with `trivy image --download-db-only`, trying each
#   repository of LIST (comma-separated; default: Trivy 0.76's own list) in order, and the
#   whole list up to N times (default 3) with a growing pause. On success the DB is also copied
#   to the fallback directory (which the workflow saves to the Actions cache). When every
#   attempt fails, the DB in the fallback directory (restored from that cache) is used if its
#   UpdatedAt is at most H hours old (default 72), with a warning in the job summary; if it is
#   older, or there is none, the script fails and says why.
# check: fails unless DIR/db holds a DB whose UpdatedAt is at most H hours old (a scan leg
#   re-run days later must not scan with a stale DB).
#
# Writes `source=download|fallback` and `updated-at=...` to $GITHUB_OUTPUT when that is set,
# and the fallback warning to $GITHUB_STEP_SUMMARY. Trivy is $TRIVY, else `trivy` on PATH.
# Exit status: 0 a DB is in place; 1 no usable DB; 2 usage error.
set -euo pipefail

# Trivy 0.76's default DB repositories, tried in this order by Trivy itself (docs/src/ci-cd.md).
DEFAULT_REPOSITORIES=mirror.gcr.io/aquasec/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2

log() { printf 'trivy-db: %s\n' "$*" >&2; }
fail() {
  log "$*"
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::error title=Trivy DB::$*"; fi
  exit 1
}
usage() {
  sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ "$#" -ge 1 ] || usage
mode=$1
shift
case "$mode" in fetch | check) ;; *) usage ;; esac

cache_dir='' fallback_dir='' repositories='' attempts=3 retry_delay=10 max_age_hours=72
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || usage
  case "$1" in
    --cache-dir) cache_dir=$2 ;;
    --fallback-dir) fallback_dir=$2 ;;
    --repositories) repositories=$2 ;;
    --attempts) attempts=$2 ;;
    --retry-delay) retry_delay=$2 ;;
    --max-age-hours) max_age_hours=$2 ;;
    *) usage ;;
  esac
  shift 2
done
[ -n "$cache_dir" ] || usage
[[ "$attempts" =~ ^[1-9][0-9]*$ ]] || { log "--attempts must be a positive number"; exit 2; }
[[ "$retry_delay" =~ ^[0-9]+$ ]] || { log "--retry-delay must be a number of seconds"; exit 2; }
[[ "$max_age_hours" =~ ^[1-9][0-9]*$ ]] || { log "--max-age-hours must be a positive number of hours"; exit 2; }
[ -n "$repositories" ] || repositories=$DEFAULT_REPOSITORIES
if [ "$mode" = fetch ] && [ -z "$fallback_dir" ]; then usage; fi

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}

# updated_at DIR: the DB's UpdatedAt (RFC 3339), or nothing when DIR/db has no readable DB.
updated_at() {
  local meta=$1/db/metadata.json
  [ -f "$1/db/trivy.db" ] && [ -f "$meta" ] || return 0
  jq -r 'select(.Version == 2) | .UpdatedAt // empty | strings' "$meta" 2>/dev/null || true
}

# age_hours TIMESTAMP: whole hours between TIMESTAMP and now (negative when in the future).
age_hours() {
  local at now
  at=$(date -u -d "$1" +%s 2>/dev/null) || return 1
  now=$(date -u +%s)
  echo $(((now - at) / 3600))
}

if [ "$mode" = check ]; then
  updated=$(updated_at "$cache_dir")
  [ -n "$updated" ] || fail "no Trivy DB (schema 2) in $cache_dir/db"
  age=$(age_hours "$updated") || fail "$cache_dir/db/metadata.json: UpdatedAt '$updated' is not a time"
  if [ "$age" -gt "$max_age_hours" ]; then
    fail "the Trivy DB in $cache_dir/db was updated at $updated, ${age} h ago, older than the limit of ${max_age_hours} h: re-run the whole workflow, not only this job"
  fi
  log "DB updated at $updated (${age} h ago, limit ${max_age_hours} h)"
  output updated-at "$updated"
  exit 0
fi

trivy=${TRIVY:-trivy}
command -v "$trivy" >/dev/null 2>&1 || fail "Trivy ($trivy) is not on PATH"
command -v jq >/dev/null 2>&1 || fail "jq is not on PATH"

IFS=, read -r -a repos <<<"$repositories"
errors=()
attempt=1
while :; do
  for repo in "${repos[@]}"; do
    repo=${repo// /}
    [ -n "$repo" ] || continue
    log "attempt $attempt/$attempts: $repo"
    rm -rf "$cache_dir/db"
    if err=$(TRIVY_NO_PROGRESS=true "$trivy" image --quiet --cache-dir "$cache_dir" \
      --download-db-only --db-repository "$repo" 2>&1); then
      updated=$(updated_at "$cache_dir")
      if [ -n "$updated" ]; then
        log "downloaded from $repo (DB updated at $updated)"
        rm -rf "$fallback_dir/db"
        mkdir -p "$fallback_dir"
        cp -R "$cache_dir/db" "$fallback_dir/db"
        output source download
        output updated-at "$updated"
        exit 0
      fi
      err="$repo served no schema-2 DB"
    fi
    # One line per failure: the last line Trivy printed says why.
    errors+=("$repo: $(tail -n 1 <<<"$err" | tr -cd '[:print:]' | cut -c1-300)")
    log "${errors[-1]}"
  done
  [ "$attempt" -lt "$attempts" ] || break
  sleep $((retry_delay * attempt))
  attempt=$((attempt + 1))
done

reason="no DB repository answered after $attempts attempt(s) (${errors[-1]})"
updated=$(updated_at "$fallback_dir")
[ -n "$updated" ] || fail "$reason, and there is no cached DB to fall back on"
age=$(age_hours "$updated") || fail "$reason, and the cached DB's UpdatedAt '$updated' is not a time"
if [ "$age" -gt "$max_age_hours" ]; then
  fail "$reason, and the cached DB was updated at $updated, ${age} h ago, older than the limit of ${max_age_hours} h"
fi
rm -rf "$cache_dir/db"
mkdir -p "$cache_dir"
cp -R "$fallback_dir/db" "$cache_dir/db"
warning="Trivy DB download failed ($reason); scanning with the cached DB updated at $updated (${age} h old, limit ${max_age_hours} h)."
log "WARNING: $warning"
if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::warning title=Trivy DB::$warning"; fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '> [!WARNING]\n> %s\n\n' "$warning" >>"$GITHUB_STEP_SUMMARY"
fi
output source fallback
output updated-at "$updated"
