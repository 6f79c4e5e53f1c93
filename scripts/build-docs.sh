#!/usr/bin/env bash
# Build the book (book.toml, docs/src) with the pinned mdbook into target/book.
# mdbook is installed once per machine with `cargo install --locked` into the tools cache
# (HELLO_TOOLS_DIR, default ~/.cache/vexgate/tools), from crates.io only, without its
# `serve`/`watch` features (a static build needs neither).
# Exit status: 0 built; 1 mdbook failed; 2 setup failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# renovate: datasource=crate depName=mdbook
MDBOOK_VERSION=0.5.4
tools=${HELLO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vexgate/tools}
dir=$tools/mdbook-$MDBOOK_VERSION
mdbook=$dir/bin/mdbook
if [ ! -x "$mdbook" ] || [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
  echo "build-docs: installing mdbook $MDBOOK_VERSION into $dir" >&2
  cargo install --locked --quiet mdbook --version "$MDBOOK_VERSION" \
    --no-default-features --features search --root "$dir" ||
    { echo "build-docs: cargo install mdbook $MDBOOK_VERSION failed" >&2; exit 2; }
fi
"$mdbook" build "$root"
echo "build-docs: $root/target/book/index.html"
