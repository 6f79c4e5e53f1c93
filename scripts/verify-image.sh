#!/usr/bin/env bash
# Verify what cd.yml (through .github/workflows/pipeline.yml) published for one image digest:
#   1. the cosign keyless signature, made by this repository's pipeline.yml as called on
#      main or a v* tag (certificate identity + GitHub's OIDC issuer);
#   2. the GitHub artifact attestation (SLSA build provenance) from actions/attest, signed by
#      the same workflow, whose build was started by .github/workflows/cd.yml;
#   3. the signed CycloneDX SBOM attestation (one per platform, on the index);
#   4. the signed OpenVEX attestation (cosign attest --type openvex), when one exists
#      (or always, with --require-vex).
# Needs cosign 3 (the pipeline's cosign 3 writes Sigstore bundles as OCI referrers, which
# cosign 2 does not read), gh (logged in, or GH_TOKEN set) and jq on PATH.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/verify-image.sh [--repo OWNER/REPO] [--require-vex] [--dry-run] IMAGE@sha256:DIGEST

Verifies the signature and attestations that .github/workflows/cd.yml (through
.github/workflows/pipeline.yml) attached to a published image. Give the digest, not a
tag: tags move, digests do not.

  --repo OWNER/REPO  repository whose pipeline must have signed (default: from a
                     ghcr.io/OWNER/REPO image name)
  --require-vex      fail when no OpenVEX attestation is attached (default: check it
                     only when present)
  --dry-run          print the commands instead of running them
  -h, --help         this text

Example:
  scripts/verify-image.sh ghcr.io/owner/repo@sha256:0123...cdef
Exit status: 0 verified, 1 a verification failed, 2 bad usage.
USAGE
}

repo=""
require_vex=0
dry_run=0
image=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --repo)
      [ "$#" -ge 2 ] || { echo "verify-image: --repo needs OWNER/REPO" >&2; exit 2; }
      repo=$2
      shift 2
      ;;
    --repo=*)
      repo=${1#--repo=}
      shift
      ;;
    --require-vex)
      require_vex=1
      shift
      ;;
    --dry-run)
      dry_run=1
      shift
      ;;
    -*)
      echo "verify-image: unknown option $1 (see --help)" >&2
      exit 2
      ;;
    *)
      [ -z "$image" ] || { echo "verify-image: one image only (see --help)" >&2; exit 2; }
      image=$1
      shift
      ;;
  esac
done

if [ -z "$image" ]; then
  usage >&2
  exit 2
fi
if ! [[ "$image" =~ ^[a-z0-9.:-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$ ]]; then
  echo "verify-image: '$image' is not a lowercase IMAGE@sha256:<64 hex> reference" >&2
  exit 2
fi
name=${image%@*}
if [ -z "$repo" ]; then
  if [[ "$name" =~ ^ghcr\.io/([^/]+)/([^/]+)$ ]]; then
    repo="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  else
    echo "verify-image: cannot infer OWNER/REPO from '$name'; pass --repo" >&2
    exit 2
  fi
fi
if ! [[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
  echo "verify-image: --repo must be OWNER/REPO, got '$repo'" >&2
  exit 2
fi

issuer="https://token.actions.githubusercontent.com"
# Fulcio puts the signing job's workflow ref in the certificate's SAN: for a reusable
# workflow that is the called file (pipeline.yml) at the caller's ref, and only cd.yml calls
# it on main and on v* tags. GitHub names are case-insensitive, hence (?i); dots are escaped.
repo_re=${repo//./\\.}
identity_re="(?i)^https://github\\.com/${repo_re}/\\.github/workflows/pipeline\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+.*)\$"
# The workflow that started the build, as the provenance records it.
caller_workflow=.github/workflows/cd.yml

run() {
  if [ "$dry_run" -eq 1 ]; then
    printf '%q ' "$@"
    printf '\n'
  else
    "$@"
  fi
}

need() {
  [ "$dry_run" -eq 1 ] || command -v "$1" >/dev/null 2>&1 || {
    echo "verify-image: $1 is not on PATH" >&2
    exit 2
  }
}
need cosign
need gh
need jq

# cosign 3 or newer: `cosign version` prints "GitVersion:    v3.0.6".
if [ "$dry_run" -eq 0 ]; then
  cosign_version=$(cosign version 2>/dev/null | sed -nE 's/^GitVersion:[[:space:]]+v?([0-9]+)\..*/\1/p' | head -n 1)
  if ! [[ "$cosign_version" =~ ^[0-9]+$ ]] || [ "$cosign_version" -lt 3 ]; then
    echo "verify-image: cosign 3 or newer is required (found: ${cosign_version:-unknown}); the pipeline's signatures and attestations are Sigstore bundles stored as OCI referrers" >&2
    exit 2
  fi
fi

echo "==> cosign signature of $image (signer: $repo pipeline.yml, main or v* tag)"
run cosign verify \
  --certificate-identity-regexp "$identity_re" \
  --certificate-oidc-issuer "$issuer" \
  "$image"

echo "==> GitHub artifact attestation (build provenance, started by $caller_workflow)"
gh_cmd=(gh attestation verify "oci://$image"
  --repo "$repo"
  --signer-workflow "$repo/.github/workflows/pipeline.yml"
  --predicate-type https://slsa.dev/provenance/v1
  --format json)
if [ "$dry_run" -eq 1 ]; then
  run "${gh_cmd[@]}"
else
  provenance=$("${gh_cmd[@]}")
  # Every verified provenance must name cd.yml as the workflow that ran the build.
  if ! jq -e --arg path "$caller_workflow" \
    'length > 0 and all(.[]; .verificationResult.statement.predicate.buildDefinition.externalParameters.workflow.path == $path)' \
    <<<"$provenance" >/dev/null; then
    echo "verify-image: the provenance of $image does not name $caller_workflow as the workflow that built it" >&2
    exit 1
  fi
  echo "provenance verified: built by $caller_workflow"
fi

echo "==> CycloneDX SBOM attestation"
sbom_cmd=(cosign verify-attestation --type cyclonedx
  --certificate-identity-regexp "$identity_re"
  --certificate-oidc-issuer "$issuer"
  "$image")
if [ "$dry_run" -eq 1 ]; then
  run "${sbom_cmd[@]}"
elif "${sbom_cmd[@]}" >/dev/null; then
  echo "CycloneDX SBOM attestation verified"
else
  echo "verify-image: no valid CycloneDX SBOM attestation on $image" >&2
  exit 1
fi

echo "==> OpenVEX attestation"
vex_cmd=(cosign verify-attestation --type openvex
  --certificate-identity-regexp "$identity_re"
  --certificate-oidc-issuer "$issuer"
  "$image")
if [ "$dry_run" -eq 1 ]; then
  run "${vex_cmd[@]}"
elif out=$("${vex_cmd[@]}" 2>&1 >/dev/null); then
  echo "OpenVEX attestation verified"
elif [ "$require_vex" -eq 1 ]; then
  printf '%s\n' "$out" >&2
  echo "verify-image: no valid OpenVEX attestation on $image" >&2
  exit 1
elif grep -qi 'no matching attestations' <<<"$out"; then
  echo "no OpenVEX attestation attached (the repository had no vex.openvex.json)"
else
  printf '%s\n' "$out" >&2
  echo "verify-image: the OpenVEX attestation did not verify" >&2
  exit 1
fi
if [ "$dry_run" -eq 1 ]; then
  echo "verify-image: dry run, nothing verified"
else
  echo "verify-image: $image verified"
fi
