#!/usr/bin/env bash
# Create or update this workflow's single ("sticky") comment on a pull request.
#
#   sticky-comment.sh PR_NUMBER BODY_FILE
#
# Needs GH_TOKEN (pull-requests: write) and GITHUB_REPOSITORY. The comment is found by
# a hidden marker on its first line, so a rerun edits it instead of adding another.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: sticky-comment.sh PR_NUMBER BODY_FILE" >&2
  exit 2
fi
pr=$1
body_file=$2
case "$pr" in
  '' | *[!0-9]*)
    echo "sticky-comment: PR number must be digits, got '$pr'" >&2
    exit 2
    ;;
esac
: "${GITHUB_REPOSITORY:?sticky-comment: GITHUB_REPOSITORY is not set}"

# STICKY_KEY (optional, e.g. the image name): one comment per key, so that two pipelines on
# the same pull request (the hello image and the vexgate image) keep one comment each.
key=${STICKY_KEY:-}
[[ "$key" =~ ^[a-z0-9._/-]*$ ]] || {
  echo "sticky-comment: STICKY_KEY must be lowercase letters, digits, . _ / -, got '$key'" >&2
  exit 2
}
marker="<!-- vexgate-report${key:+ $key} -->"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "$marker"
  # GitHub caps a comment at 65536 characters.
  head -c 60000 "$body_file"
  if [ "$(wc -c <"$body_file")" -gt 60000 ]; then
    printf '\n\n(truncated: the full report is in the job summary)\n'
  fi
} >"$tmp"

existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" |
  tail -n 1)
if [ -n "$existing" ]; then
  gh api --silent -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$tmp"
  echo "sticky-comment: updated comment $existing on #$pr"
else
  gh api --silent -X POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$tmp"
  echo "sticky-comment: created a comment on #$pr"
fi
