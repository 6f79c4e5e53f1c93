#!/usr/bin/env bash
# Build every fuzz target on the stable toolchain and run each in turn, one job at a time.
#   bash fuzz/run-all.sh [SECONDS_PER_TARGET] [TARGET...]
# SECONDS_PER_TARGET defaults to 180. With no TARGET, every target in fuzz/Cargo.toml.
# Set FUZZ_NO_BUILD=1 to run binaries already built by `cargo fuzz build -a --sanitizer none`.
# Corpora grow in fuzz/corpus/<target>/ (seeded read-only from testdata and fuzz/seeds);
# crashes land in fuzz/artifacts/<target>/. Each target's log is fuzz/logs/<target>.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
secs=${1:-180}
shift || true
all=(trivy_report openvex csaf trivyignore trivyignore_yaml config purl image_index kev epss vex_import)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

seeds() {
  case "$1" in
    trivy_report) echo "$repo/testdata/oracle/scan/unfiltered $repo/testdata/oracle/convert/inputs $repo/testdata/upstream/trivy" ;;
    openvex) echo "$repo/testdata/oracle/vex $repo/testdata/upstream/openvex" ;;
    csaf) echo "$here/seeds/csaf" ;;
    trivyignore | trivyignore_yaml) echo "$repo/testdata/oracle/ignore $repo/testdata/oracle/convert/ignore" ;;
    config) echo "$here/seeds/config" ;;
    purl) echo "$here/seeds/purl" ;;
    image_index) echo "$here/seeds/image_index $repo/testdata/index $repo/testdata/upstream/buildx" ;;
    kev | epss) echo "$repo/testdata/feeds" ;;
    vex_import) echo "$repo/testdata/vex-import/cyclonedx $repo/testdata/vex-import/csaf-oasis $repo/testdata/vex-import/csaf-examples $repo/testdata/vex-import/hostile" ;;
    *) echo "run-all: unknown target $1" >&2; exit 2 ;;
  esac
}

cd "$here"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  # -a: overflow checks and debug assertions on, as under `cargo test`.
  cargo fuzz build -a --sanitizer none
fi
triple=$(rustc -vV | sed -n 's/^host: //p')
bin_dir=${CARGO_TARGET_DIR:-$here/target}/$triple/release
mkdir -p logs
for t in "${targets[@]}"; do
  read -r -a seed_dirs <<<"$(seeds "$t")"
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== $t (${secs}s)"
  # -rss_limit_mb: an input that makes a parser allocate more than this is a finding.
  # -timeout: one input taking longer than this is a finding (a hang or super-linear work).
  # -fork=1 with -ignore_*: one child at a time, and a finding does not end the run, so
  # every target gets its full time and every distinct finding is saved.
  "$bin_dir/$t" "corpus/$t" "${seed_dirs[@]}" \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1 || true
  # The last status line: total executions (#N), and the oom/timeout/crash counts.
  grep -E '^#[0-9]+: ' "logs/$t.log" | tail -n 1 || true
  ls "artifacts/$t"
done
