#!/usr/bin/env bash
# Benchmark VEX application end to end: `vexgate gate --vex` on a
# ~101 MB report (31k findings) with 1k, 10k and 100k OpenVEX statements, against the
# indexed jq filter (statements indexed by vulnerability name, one lookup per finding).
#
# The report, the VEX documents and the jq filter come from the same deterministic
# generators as crates/vexgate-core/benches/vex.rs (crates/vexgate-core/examples/bench_report.rs: gen-vex-report,
# gen-vex N, jq-filter). One hyperfine run times, side by side, for every size:
#   - vexgate gate --format json REPORT --vex V
#   - vexgate gate --format table REPORT --vex V
#   - jq --slurpfile vex V -f indexed.jq REPORT
# then prints the medians and the targets: for each format, the largest size costs at most
# 3x the smallest; at every size jq / vexgate >= 7. The load average is printed before and
# after (the machine has 2 cores; other jobs skew the numbers).
#
# Env: BENCH_STATEMENTS ("1000 10000 100000"; the first and last sizes are compared),
# BENCH_RUNS (5), BENCH_STRICT=1 (exit 1 when a target is missed), BENCH_KEEP=DIR (keep the
# work dir there, and reuse the generated files in it), CARGO_TARGET_DIR (as for cargo),
# SKIP_BUILD=1 (use already-built binaries).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
read -r -a sizes <<< "${BENCH_STATEMENTS:-1000 10000 100000}"
runs=${BENCH_RUNS:-5}
target_dir=${CARGO_TARGET_DIR:-$root/target}

for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "bench-vex: $tool is required (scripts/setup-tools.sh installs it)" >&2; exit 2; }
done
if (( ${#sizes[@]} < 2 )); then
    echo "bench-vex: BENCH_STATEMENTS needs at least two sizes" >&2; exit 2
fi

if [[ -z "${SKIP_BUILD:-}" ]]; then
    # Two builds: an example needs dev-dependencies, which would turn on vexgate's
    # test-hooks feature for the binary built in the same invocation.
    (cd "$root" && cargo build --release -q -p vexgate --bin vexgate &&
        cargo build --release -q -p vexgate-core --example bench_report)
fi
vexgate="$target_dir/release/vexgate"
bench_report="$target_dir/release/examples/bench_report"

if [[ -n "${BENCH_KEEP:-}" ]]; then
    work=$BENCH_KEEP; mkdir -p "$work"
else
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
cd "$work"   # no .trivyignore, vex.openvex.json or vexgate.toml here

# Every child below must be unaffected by the caller's environment.
while IFS='=' read -r name _; do
    case $name in VEXGATE_*|TRIVY_*) unset "$name" ;; esac
done < <(env)
export NO_COLOR=1

calc() { awk "BEGIN { print $* }"; }

"$bench_report" jq-filter > indexed.jq
[[ -s report.json ]] || "$bench_report" gen-vex-report report.json
echo "report.json: $(stat -c %s report.json) bytes"
names=()
cmds=()
for n in "${sizes[@]}"; do
    [[ -s vex-$n.json ]] || "$bench_report" gen-vex "$n" "vex-$n.json"
    # A sanity run: exit 0 (pass) or 1 (blocked) is a gate result; anything else is an error.
    rc=0; "$vexgate" gate --format json report.json --vex "vex-$n.json" >"out-$n.json" || rc=$?
    if (( rc > 1 )); then echo "bench-vex: vexgate gate failed on vex-$n.json (exit $rc)" >&2; exit 2; fi
    echo "vex-$n.json: $(stat -c %s "vex-$n.json") bytes, $n statements"
    names+=("vexgate json $n" "vexgate table $n" "indexed jq $n")
    cmds+=("$vexgate gate --format json report.json --vex vex-$n.json"
           "$vexgate gate --format table report.json --vex vex-$n.json"
           "jq --slurpfile vex vex-$n.json -f indexed.jq report.json")
done

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --style basic --warmup 1 --runs "$runs" -i --export-json h.json "${args[@]}" >/dev/null 2>hyperfine.log
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A med
for n in "${names[@]}"; do
    med[$n]=$(jq -r --arg n "$n" '.results[] | select(.command==$n) | .median' h.json)
    printf '%-24s median %8.3f s\n' "$n" "${med[$n]}"
done

status=0
check() { # name value op limit
    local ok; ok=$(calc "(($2 $3 $4) ? 1 : 0)")
    printf '  %-44s %7.2f (target %s %s) %s\n' "$1" "$2" "$3" "$4" "$([[ $ok == 1 ]] && echo ok || echo MISSED)"
    [[ $ok == 1 ]] || status=1
}
first=${sizes[0]}
last=${sizes[${#sizes[@]}-1]}
for fmt in json table; do
    check "vexgate $fmt: $last / $first statements" \
        "$(calc "${med["vexgate $fmt $last"]} / ${med["vexgate $fmt $first"]}")" "<=" 3
done
for n in "${sizes[@]}"; do
    for fmt in json table; do
        check "indexed jq / vexgate $fmt, $n statements" \
            "$(calc "${med["indexed jq $n"]} / ${med["vexgate $fmt $n"]}")" ">=" 7
    done
done

if [[ -n "${BENCH_STRICT:-}" ]]; then exit "$status"; fi
exit 0
