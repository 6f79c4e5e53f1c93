#!/usr/bin/env bash
# Offline linters for the workflows, the shell scripts and the Dockerfile, all pinned in
# the venv that scripts/setup-tools.sh installs (.venv/bin, or $VEXGATE_VENV/bin):
#   check-jsonschema (GitHub workflow, Dependabot and Renovate schemas), actionlint (calls shellcheck on run:
#   blocks), zizmor --offline (default persona, zero findings), shellcheck on every
#   *.sh in the repository, hadolint on the Dockerfile when there is one, and
#   cargo-machete (no unused dependency in crates/), installed pinned by this script into
#   the per-machine tools dir ($HELLO_TOOLS_DIR, default ~/.cache/vexgate/tools) as
#   scripts/build-image-offline.sh installs cargo-auditable; and `cargo doc` with warnings
#   as errors.
# Prints each tool's result and exits non-zero if any tool reported anything.
set -euo pipefail

# renovate: datasource=crate depName=cargo-machete
CARGO_MACHETE_VERSION=0.9.2

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${VEXGATE_VENV:-$root/.venv}
# actionlint finds shellcheck on PATH.
export PATH="$venv/bin:$PATH"

for tool in check-jsonschema actionlint zizmor shellcheck hadolint; do
  if [ ! -x "$venv/bin/$tool" ]; then
    echo "lint: $venv/bin/$tool is missing; run scripts/setup-tools.sh" >&2
    exit 2
  fi
done

failed=()
check() {
  local name=$1
  shift
  printf '\n--> %s\n' "$name"
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAIL: $name"
    failed+=("$name")
  fi
}

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "lint: no workflows under .github/workflows" >&2
  exit 2
fi

check "check-jsonschema (vendor.github-workflows)" \
  check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
if [ -f renovate.json ]; then
  check "check-jsonschema (vendor.renovate)" \
    check-jsonschema --builtin-schema vendor.renovate renovate.json
fi
if [ -f .github/dependabot.yml ]; then
  check "check-jsonschema (vendor.dependabot)" \
    check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
fi
# The composite Action at the repository root (zizmor below reads it too).
if [ -f action.yml ]; then
  check "check-jsonschema (vendor.github-actions)" \
    check-jsonschema --builtin-schema vendor.github-actions action.yml
fi
check "actionlint $(actionlint --version | head -n 1)" \
  actionlint -shellcheck "$venv/bin/shellcheck" "${workflows[@]}"
# zizmor exits 0 only with no finding at all (ignored ones carry a reason inline).
zizmor_inputs=(.github/)
if [ -f action.yml ]; then zizmor_inputs+=(action.yml); fi
check "zizmor --offline $(zizmor --version | cut -d' ' -f2)" \
  zizmor --offline --no-progress "${zizmor_inputs[@]}"

# Every shell script in the repository, tracked or not, outside build/tool dirs.
mapfile -t scripts < <(find . \
  \( -path ./.git -o -path ./.venv -o -path ./target -o -path './target-*' \
  -o -path ./node_modules -o -path ./.tools -o -path ./out \) -prune \
  -o -type f -name '*.sh' -print | sort)
if [ "${#scripts[@]}" -gt 0 ]; then
  check "shellcheck (${#scripts[@]} scripts)" shellcheck "${scripts[@]}"
  printf '    %s\n' "${scripts[@]}"
fi

dockerfiles=(Dockerfile)
present=()
for f in "${dockerfiles[@]}"; do [ -f "$f" ] && present+=("$f"); done
if [ "${#present[@]}" -gt 0 ]; then
  check "hadolint ${present[*]}" hadolint "${present[@]}"
else
  printf '\n--> hadolint: no Dockerfile yet, skipped\n'
fi

# Unused dependencies of the workspace crates (the fuzz crate outside the workspace is not
# scanned). cargo-machete exits 1 when it finds one.
tools=${HELLO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vexgate/tools}
machete_root=$tools/cargo-machete-$CARGO_MACHETE_VERSION
if ! cargo install --list --root "$machete_root" 2>/dev/null | grep -qx "cargo-machete v$CARGO_MACHETE_VERSION:"; then
  echo "lint: installing cargo-machete $CARGO_MACHETE_VERSION into $machete_root"
  cargo install --locked --quiet cargo-machete --version "$CARGO_MACHETE_VERSION" \
    --root "$machete_root" --target-dir "${CARGO_TARGET_DIR:-$root/target}/tools"
fi
check "cargo-machete $CARGO_MACHETE_VERSION (crates/)" "$machete_root/bin/cargo-machete" crates

# The library's API docs build without a warning (no broken or private intra-doc link).
check "cargo doc -D warnings (workspace, no deps)" \
  env RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --workspace --locked

echo
if [ "${#failed[@]}" -gt 0 ]; then
  echo "lint: FAILED: ${failed[*]}"
  exit 1
fi
echo "lint: all clean"
