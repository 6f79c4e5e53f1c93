#!/usr/bin/env bash
# Benchmark `vexgate gate` end to end against the tools it replaces.
#
# Generates 10 MB and 100 MB Trivy reports deterministically from the real goldens in
# testdata/upstream/trivy (crates/vexgate-core/examples/bench_report.rs), then times, in one
# hyperfine run per size:
#   - vexgate gate (default policy: HIGH,CRITICAL + ignore-unfixed; table to stdout)
#   - vexgate gate --output-report
#   - the bare typed parse (read + deserialize with vexgate's report model on one thread,
#     nothing else: the floor; the gate reads a large file with positioned reads on all
#     CPUs and decodes it on one)
#   - with BENCH_BASELINE=PATH, another vexgate binary (e.g. built from an older commit) on
#     the same report, so before and after are measured in the same run
#   - trivy convert --severity HIGH,CRITICAL --format json
#   - the same plus a Rego --ignore-policy emulating --ignore-unfixed
#   - two jq counting passes (HIGH, then CRITICAL), the shell check vexgate replaces
#   - in the run of the largest size, vexgate gate --vex on the VEX benchmark's report
#     (bench_report gen-vex-report, ~101 MB) with the smallest and the largest OpenVEX
#     document of BENCH_VEX (bench_report gen-vex N), and the baseline's too
# and takes each one's peak RSS from /usr/bin/time -v. Prints medians, RSS and the target
# ratios. Trivy cases are skipped (with a note) when Trivy is missing.
#
# Env: BENCH_SIZES ("10 100"), BENCH_RUNS (10), BENCH_BASELINE (a second vexgate binary),
# BENCH_VEX ("1000 100000" statements; empty: no VEX cases), BENCH_STRICT=1 (exit 1 when a target is
# missed), BENCH_KEEP=DIR (keep the work dir there), VEXGATE_TRIVY (Trivy binary),
# CARGO_TARGET_DIR (as for cargo), SKIP_BUILD=1 (use already-built binaries).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${BENCH_SIZES:-"10 100"}
runs=${BENCH_RUNS:-10}
target_dir=${CARGO_TARGET_DIR:-$root/target}

for tool in hyperfine jq /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-gate: $tool is required (scripts/setup-tools.sh installs it)" >&2; exit 2; }
done

if [[ -z "${SKIP_BUILD:-}" ]]; then
    # Two builds: an example needs dev-dependencies, which would turn on vexgate's
    # test-hooks feature for the binary built in the same invocation.
    (cd "$root" && cargo build --release -q -p vexgate --bin vexgate &&
        cargo build --release -q -p vexgate-core --example bench_report)
fi
vexgate="$target_dir/release/vexgate"
bench_report="$target_dir/release/examples/bench_report"

trivy=${VEXGATE_TRIVY:-}
if [[ -z "$trivy" ]]; then
    if [[ -x "$root/.venv/bin/trivy" ]]; then trivy="$root/.venv/bin/trivy";
    elif command -v trivy >/dev/null; then trivy=$(command -v trivy); fi
fi

if [[ -n "${BENCH_KEEP:-}" ]]; then
    work=$BENCH_KEEP; mkdir -p "$work"
else
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
cd "$work"   # no .trivyignore, vex.openvex.json or vexgate.toml here

cat > ignore-unfixed.rego <<'EOF'
package trivy

import rego.v1

default ignore := false

ignore if {
	input.Type == "vulnerability"
	input.Status != "fixed"
}
EOF

# Every child below must be unaffected by the caller's environment.
while IFS='=' read -r name _; do
    case $name in VEXGATE_*|TRIVY_*) unset "$name" ;; esac
done < <(env)
export TRIVY_NO_PROGRESS=true NO_COLOR=1

calc() { awk "BEGIN { print $* }"; }

status=0
for mb in $sizes; do
    report=r$mb.json
    [[ -s $report ]] || "$bench_report" gen "$mb" "$report"
    bytes=$(stat -c %s "$report")
    names=("vexgate gate" "vexgate gate --output-report" "bare typed parse" "jq x2 (HIGH, CRITICAL)")
    cmds=("$vexgate gate $report"
          "$vexgate gate $report --output-report out-$mb.json"
          "$bench_report parse $report"
          "jq '[.Results[]?.Vulnerabilities[]? | select(.Severity==\"HIGH\")] | length' $report && jq '[.Results[]?.Vulnerabilities[]? | select(.Severity==\"CRITICAL\")] | length' $report")
    if [[ -n "${BENCH_BASELINE:-}" ]]; then
        names+=("baseline gate")
        cmds+=("$BENCH_BASELINE gate $report")
    fi
    read -r -a vex_sizes <<< "${BENCH_VEX-1000 100000}"
    largest=${sizes##* }
    vex_small='' vex_large=''
    if (( ${#vex_sizes[@]} >= 2 )) && [[ $mb == "$largest" ]]; then
        vex_small=${vex_sizes[0]} vex_large=${vex_sizes[-1]}
        [[ -s vex-report.json ]] || "$bench_report" gen-vex-report vex-report.json
        for n in "$vex_small" "$vex_large"; do
            [[ -s vex-$n.json ]] || "$bench_report" gen-vex "$n" "vex-$n.json"
            names+=("vexgate gate --vex $n")
            cmds+=("$vexgate gate vex-report.json --vex vex-$n.json")
            if [[ -n "${BENCH_BASELINE:-}" ]]; then
                names+=("baseline gate --vex $n")
                cmds+=("$BENCH_BASELINE gate vex-report.json --vex vex-$n.json")
            fi
        done
    fi
    if [[ -n "$trivy" ]]; then
        tc="$trivy convert --quiet --cache-dir $work/trivy-cache --severity HIGH,CRITICAL --format json -o trivy-$mb.json $report"
        names+=("trivy convert" "trivy convert + rego")
        cmds+=("$tc" "$tc --ignore-policy ignore-unfixed.rego")
    else
        echo "bench-gate: Trivy not found (VEXGATE_TRIVY, .venv/bin/trivy, PATH); skipping the Trivy cases" >&2
    fi

    args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    echo "== $report: $bytes bytes"
    hyperfine --style basic --warmup 1 --runs "$runs" -i --export-json "h-$mb.json" "${args[@]}" >/dev/null 2>"hyperfine-$mb.log"

    declare -A med rss
    for i in "${!names[@]}"; do
        n=${names[$i]}
        med[$n]=$(jq -r --arg n "$n" '.results[] | select(.command==$n) | .median' "h-$mb.json")
        rss[$n]=$({ /usr/bin/time -f %M bash -c "${cmds[$i]}" 2>&1 >/dev/null || true; } | tail -n1)
        printf '%-30s median %8.3f s   peak RSS %7.1f MB (%4.2fx file)\n' "$n" "${med[$n]}" \
            "$(calc "${rss[$n]} / 1024")" "$(calc "${rss[$n]} * 1024 / $bytes")"
    done

    check() { # name value op limit
        local ok; ok=$(calc "(($2 $3 $4) ? 1 : 0)")
        printf '  %-48s %7.2f (target %s %s) %s\n' "$1" "$2" "$3" "$4" "$([[ $ok == 1 ]] && echo ok || echo MISSED)"
        [[ $ok == 1 ]] || status=1
    }
    g=${med["vexgate gate"]}
    if [[ -n "$trivy" ]]; then
        check "trivy+rego / vexgate gate" "$(calc "${med["trivy convert + rego"]} / $g")" ">=" 9
        printf '  %-48s %7.2f\n' "trivy convert / vexgate gate" "$(calc "${med["trivy convert"]} / $g")"
    fi
    check "jq x2 / vexgate gate" "$(calc "${med["jq x2 (HIGH, CRITICAL)"]} / $g")" ">=" 13
    check "vexgate gate / bare typed parse" "$(calc "$g / ${med["bare typed parse"]}")" "<=" 1.2
    check "--output-report / vexgate gate" "$(calc "${med["vexgate gate --output-report"]} / $g")" "<=" 2
    check "(gate peak RSS - 10 MB) / file size" "$(calc "(${rss["vexgate gate"]} * 1024 - 10485760) / $bytes")" "<=" 1.6
    if [[ -n "${BENCH_BASELINE:-}" ]]; then
        printf '  %-48s %7.2f\n' "vexgate gate / baseline gate" "$(calc "$g / ${med["baseline gate"]}")"
    fi
    if [[ -n "$vex_small" ]]; then
        check "gate --vex $vex_large / gate --vex $vex_small" \
            "$(calc "${med["vexgate gate --vex $vex_large"]} / ${med["vexgate gate --vex $vex_small"]}")" "<=" 3
        if [[ -n "${BENCH_BASELINE:-}" ]]; then
            printf '  %-48s %7.2f\n' "baseline: gate --vex $vex_large / --vex $vex_small" \
                "$(calc "${med["baseline gate --vex $vex_large"]} / ${med["baseline gate --vex $vex_small"]}")"
        fi
    fi
    check "--output-report peak RSS / file size" "$(calc "${rss["vexgate gate --output-report"]} * 1024 / $bytes")" "<=" 2.5
    unset med rss
done

if [[ -n "${BENCH_STRICT:-}" ]]; then exit "$status"; fi
exit 0
