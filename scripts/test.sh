#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the pinned tools, then runs
# formatting, lints, every Rust test (the book's command examples included), the book
# (mdbook build), the workflow/script linters, the release archive and the Action's
# installer (scripts/test-release.sh), the offline image
# tests (the prebuilt-binary image, and the Dockerfile's real build stages with buildah)
# and the end-to-end local-workflow test. This is the README's test command;
# .ci/run calls it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

step "install pinned tools"
bash scripts/setup-tools.sh
export PATH="$root/.venv/bin:$PATH"
# Tests that need Trivy, buildah, skopeo or the registry fail (instead of skipping)
# when a tool is missing.
export VEXGATE_REQUIRE_TOOLS=1
export VEXGATE_REQUIRE_GO_BBOLT=1
export TRIVY_NO_PROGRESS=true
# cargo-auditable (for the offline image build) is installed once per machine, not per clone.
export HELLO_TOOLS_DIR=${HELLO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vexgate/tools}

# Every locked crate, for every target (cargo build fetches only the host's): the
# dependency-graph contract tests ask `cargo tree --offline --target all`, which reads the
# manifests of Windows- and macOS-only crates too.
step "cargo fetch --locked"
cargo fetch --locked

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "mdbook build (pinned mdbook, scripts/build-docs.sh)"
bash scripts/build-docs.sh

for s in scripts/lint.sh scripts/test-release.sh scripts/test-vexgate-image.sh scripts/test-helpers.sh scripts/test-image.sh scripts/test-image-stages.sh scripts/e2e.sh; do
  if [ -f "$s" ]; then
    step "$s"
    bash "$s"
  fi
done
# The same end-to-end assertions on a Debian image whose packages moved past every version
# written in the repository: proof that no expected value is a literal installed version.
step "E2E_DRIFT=1 scripts/e2e.sh"
E2E_DRIFT=1 bash scripts/e2e.sh
step "all green"
