#!/usr/bin/env bash
# First job of .github/workflows/pipeline.yml: check the caller's inputs and the event, and
# derive everything the other jobs need, so that no later job has to trust a raw input.
#
#   plan.sh            reads the environment below, appends key=value lines to $GITHUB_OUTPUT
#
# Environment (all set by the workflow from inputs and the github context):
#   PUSH                 "true" to publish (push by digest, merge, attest, sign)
#   EVENT_NAME           github.event_name
#   REF                  github.ref
#   DEFAULT_BRANCH       github.event.repository.default_branch (may be empty)
#   REPOSITORY           github.repository (the caller's repository)
#   SHA                  github.sha
#   HEAD_REPOSITORY      github.event.pull_request.head.repo.full_name (empty outside PRs)
#   IMAGE_NAME           image path under ghcr.io (default: REPOSITORY, lowercased)
#   PLATFORMS            JSON list of {"platform": "os/arch", "runner": "<label>"}
#   CONTEXT, DOCKERFILE, TEST_SCRIPT, VEX_FILE   paths relative to the caller's checkout
#   PIPELINE_REPOSITORY, PIPELINE_REF            where this pipeline's own scripts and vexgate
#                                                come from (default: REPOSITORY at SHA)
#
# Outputs: image, matrix (JSON {"include":[{platform,pair,runner}]}), platforms (space
# separated), trusted, use-cache, tooling-repository, tooling-ref.
# Exit status: 0 planned; 2 an input or the event does not allow the run (one line on stderr).
set -euo pipefail

die() {
  printf 'plan: %s\n' "$*" >&2
  exit 2
}
: "${GITHUB_OUTPUT:?plan: GITHUB_OUTPUT is not set}"
command -v jq >/dev/null 2>&1 || die "jq is not on PATH"

push=${PUSH:-false}
event=${EVENT_NAME:-}
ref=${REF:-}
repository=${REPOSITORY:-}
sha=${SHA:-}
[ -n "$repository" ] || die "REPOSITORY is empty"
[[ "$sha" =~ ^[0-9a-f]{40}$ ]] || die "SHA '$sha' is not a commit SHA"

case "$push" in
  true | false) ;;
  *) die "push must be true or false, got '$push'" ;;
esac

# Publishing holds packages, id-token and attestations write tokens: only from events whose
# code is already on a branch or tag of this repository, never from a pull request.
if [ "$push" = true ]; then
  case "$event" in
    push | workflow_dispatch | release | schedule) ;;
    *) die "push: true is refused on a '$event' event (only push, workflow_dispatch, release, schedule may publish)" ;;
  esac
  case "$ref" in
    refs/heads/* | refs/tags/*) ;;
    *) die "push: true needs a branch or tag ref, got '$ref'" ;;
  esac
fi

# Pull requests from forks get a read-only token: no comment, no SARIF upload.
trusted=true
case "$event" in
  pull_request | pull_request_target)
    if [ "${HEAD_REPOSITORY:-}" != "$repository" ]; then trusted=false; fi
    ;;
esac

# The BuildKit cache (type=gha, scoped by GitHub to the ref that wrote it) is used by
# publishing builds only on the default branch, whose entries only that branch can write;
# tags and other branches publish from a cold build. Non-publishing builds read the default
# branch's cache and write their own ref's scope, which no publishing build reads.
use_cache=true
if [ "$push" = true ]; then
  if [ -z "${DEFAULT_BRANCH:-}" ] || [ "$ref" != "refs/heads/$DEFAULT_BRANCH" ]; then
    use_cache=false
  fi
fi

image=${IMAGE_NAME:-}
[ -n "$image" ] || image=$repository
image=${image,,}
name_re='^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)+$'
[[ "$image" =~ $name_re ]] || die "image-name '$image' is not an OWNER/NAME path GHCR accepts"

# Paths come from the caller's workflow file; keep them inside the checkout anyway.
check_path() {
  local what=$1 p=$2 optional=$3
  if [ -z "$p" ]; then
    [ "$optional" = optional ] || die "$what is empty"
    return 0
  fi
  [ "$p" != . ] || return 0
  case "/$p/" in
    *"/../"* | *"/./"*) die "$what '$p' must not contain . or .. segments" ;;
  esac
  case "$p" in
    /* | -*) die "$what '$p' must be a relative path inside the repository" ;;
  esac
  [[ "$p" =~ ^[A-Za-z0-9._/-]+$ ]] || die "$what '$p' has characters other than A-Z a-z 0-9 . _ / -"
}
check_path context "${CONTEXT:-.}" required
check_path dockerfile "${DOCKERFILE:-}" required
check_path test-script "${TEST_SCRIPT:-}" optional
check_path vex-file "${VEX_FILE:-}" optional

# The matrix: one native runner per platform, no emulation.
platforms_json=${PLATFORMS:-}
if ! matrix=$(jq -ce '
    if type != "array" or length == 0 then error("platforms must be a non-empty JSON list")
    else . end
    | map(
        if type != "object" then error("each platform entry must be an object")
        elif (.platform | type) != "string" or (.platform | test("^[a-z0-9]+/[a-z0-9]+(/v[0-9]+)?$") | not)
          then error("platform \(.platform | tojson) is not os/arch[/variant]")
        elif (.runner | type) != "string" or (.runner | test("^[A-Za-z0-9][A-Za-z0-9._-]*$") | not)
          then error("runner \(.runner | tojson) of \(.platform) is not a runner label")
        elif (keys - ["platform", "runner"]) != [] then error("unknown key in \(tojson)")
        else {platform, pair: (.platform | gsub("/"; "-")), runner} end)
    | if (map(.pair) | unique | length) != length then error("a platform is listed twice") else . end
    | {include: .}' <<<"$platforms_json" 2>&1); then
  die "${matrix#jq: error (at <stdin>:*): }"
fi
platforms=$(jq -r '[.include[].platform] | join(" ")' <<<"$matrix")

# Where the pipeline's scripts and vexgate come from. Another repository calling this
# workflow names this repository and the same commit as in its `uses:`; a branch or tag
# there could move under it, so only a full commit SHA is accepted.
tooling_repo=${PIPELINE_REPOSITORY:-}
tooling_ref=${PIPELINE_REF:-}
[ -n "$tooling_repo" ] || tooling_repo=$repository
[[ "$tooling_repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "pipeline-repository '$tooling_repo' is not OWNER/REPO"
if [ "${tooling_repo,,}" = "${repository,,}" ]; then
  [ -n "$tooling_ref" ] || tooling_ref=$sha
elif ! [[ "$tooling_ref" =~ ^[0-9a-f]{40}$ ]]; then
  die "pipeline-ref must be the full commit SHA of $tooling_repo that the caller's uses: names, got '$tooling_ref'"
fi

{
  echo "image=ghcr.io/$image"
  echo "matrix=$matrix"
  echo "platforms=$platforms"
  echo "trusted=$trusted"
  echo "use-cache=$use_cache"
  echo "tooling-repository=$tooling_repo"
  echo "tooling-ref=$tooling_ref"
} >>"$GITHUB_OUTPUT"
echo "plan: ghcr.io/$image, platforms: $platforms, push: $push, trusted: $trusted, cache: $use_cache, pipeline: $tooling_repo@$tooling_ref"
