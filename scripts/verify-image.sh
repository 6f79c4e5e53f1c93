#!/usr/bin/env bash
# Verify what cd.yml published for one image digest:
#   1. the cosign keyless signature, made by this repository's cd.yml on main or on a
#      v* tag (certificate identity + GitHub's OIDC issuer);
#   2. the GitHub artifact attestation (build provenance) from actions/attest;
#   3. the signed OpenVEX attestation (cosign attest --type openvex), when one exists
#      (or always, with --require-vex).
# Needs cosign (v2.4+/v3) and gh (logged in, or GH_TOKEN set) on PATH.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/verify-image.sh [--repo OWNER/REPO] [--require-vex] [--dry-run] IMAGE@sha256:DIGEST

Verifies the signature and attestations that .github/workflows/cd.yml attached to a
published image. Give the digest, not a tag: tags move, digests do not.

  --repo OWNER/REPO  repository whose cd.yml must have signed (default: from a
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
# Fulcio puts the workflow ref in the certificate's SAN. GitHub names are
# case-insensitive, hence (?i); the dots are escaped.
repo_re=${repo//./\\.}
identity_re="(?i)^https://github\\.com/${repo_re}/\\.github/workflows/cd\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+.*)\$"

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

echo "==> cosign signature of $image (signer: $repo cd.yml)"
run cosign verify \
  --certificate-identity-regexp "$identity_re" \
  --certificate-oidc-issuer "$issuer" \
  "$image"

echo "==> GitHub artifact attestation (build provenance)"
run gh attestation verify "oci://$image" \
  --repo "$repo" \
  --signer-workflow "$repo/.github/workflows/cd.yml"

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
