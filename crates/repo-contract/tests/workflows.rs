//! The seed's pipeline properties, asserted on .github/workflows/*.yml.
//!
//! Each property is one module with two tests: `holds` runs the check on the files as
//! they are, and `fails_when_removed` runs it on copies where the property was taken
//! out in one or more ways (a text edit that keeps the YAML valid). A check that does
//! not notice every removal fails its second test.

mod common;

use common::{Check, File, Repo};

fn assert_holds(name: &str, check: Check) {
    let repo = Repo::load();
    if let Err(msg) = check(&repo) {
        panic!("contract `{name}` broken: {msg}");
    }
}

fn assert_fails_without(name: &str, check: Check, mutations: &[(File, &str, &str)]) {
    let repo = Repo::load();
    for (file, from, to) in mutations {
        let mutated = repo.mutated(*file, from, to);
        match check(&mutated) {
            Err(msg) => eprintln!(
                "{name}: {from:?} -> {to:?} in {}: caught: {msg}",
                file.path()
            ),
            Ok(()) => panic!(
                "contract `{name}` did not notice a removal: {from:?} -> {to:?} in {}",
                file.path()
            ),
        }
    }
}

macro_rules! contract {
    ($name:ident, $check:path, [$(($file:expr, $from:expr, $to:expr)),+ $(,)?]) => {
        mod $name {
            use super::*;
            #[test]
            fn holds() {
                assert_holds(stringify!($name), $check);
            }
            #[test]
            fn fails_when_removed() {
                assert_fails_without(stringify!($name), $check, &[$(($file, $from, $to)),+]);
            }
        }
    };
}

contract!(
    both_platforms_native_runners,
    common::both_platforms_native,
    [
        (File::Ci, "runner: ubuntu-24.04-arm", "runner: ubuntu-24.04"),
        (
            File::Cd,
            "          - platform: linux/arm64\n            pair: linux-arm64\n            runner: ubuntu-24.04-arm\n",
            ""
        ),
        (
            File::Cd,
            "          platforms: ${{ matrix.platform }}",
            "          platforms: linux/amd64,linux/arm64"
        ),
        (
            File::Ci,
            "          - platform: linux/arm64\n            pair: linux-arm64\n    # Scanning",
            "    # Scanning"
        ),
        (
            File::Ci,
            "      - uses: docker/setup-buildx-action@",
            "      - uses: docker/setup-qemu-action@29109295f81e9208d7d86ff1c6c12d2833863392 # v3.6.0\n      - uses: docker/setup-buildx-action@"
        ),
    ]
);

contract!(
    pr_cache_refs_per_platform,
    common::pr_cache_refs_per_platform,
    [
        (
            File::Ci,
            ":buildcache-pr-{1},mode=max",
            ":buildcache-pr,mode=max"
        ),
        (
            File::Ci,
            "{1},mode=max,ignore-error=true",
            "{1},ignore-error=true"
        ),
        (
            File::Ci,
            "format('type=registry,ref={0}:buildcache-pr-{1}', env.IMAGE, matrix.pair)",
            "''"
        ),
        (
            File::Ci,
            ":buildcache-pr-{1},mode=max",
            ":buildcache-{1},mode=max"
        ),
        (
            File::Ci,
            "            pair: linux-arm64\n            runner",
            "            pair: arm64\n            runner"
        ),
    ]
);

contract!(
    main_cache_refs_per_platform,
    common::main_cache_refs_per_platform,
    [
        (
            File::Cd,
            ":buildcache-${{ matrix.pair }},mode=max",
            ":buildcache,mode=max"
        ),
        (
            File::Cd,
            "            type=registry,ref=${{ env.IMAGE }}:buildcache-${{ matrix.pair }}\n          cache-to",
            "            type=registry,ref=${{ env.IMAGE }}:buildcache-pr-${{ matrix.pair }}\n          cache-to"
        ),
        (
            File::Cd,
            "buildcache-${{ matrix.pair }},mode=max,ignore",
            "buildcache-${{ matrix.pair }},ignore"
        ),
        (File::Cd, "    tags: [\"v*.*.*\"]", "    tags: [\"*\"]"),
    ]
);

contract!(
    fork_pr_guard,
    common::fork_pr_guard,
    [
        (
            File::Ci,
            "        if: env.TRUSTED == 'true'\n        uses: docker/login-action",
            "        uses: docker/login-action"
        ),
        (
            File::Ci,
            "mode=max,ignore-error=true', env.IMAGE, matrix.pair) || '' }}",
            "mode=max,ignore-error=true', env.IMAGE, matrix.pair) || format('type=registry,ref={0}:buildcache-pr-{1},mode=max', env.IMAGE, matrix.pair) }}"
        ),
        (
            File::Ci,
            "github.event.pull_request.head.repo.full_name == github.repository",
            "true"
        ),
        (
            File::Ci,
            "if: ${{ !cancelled() && env.TRUSTED == 'true' && hashFiles('out/summary.md') != '' }}",
            "if: ${{ !cancelled() && hashFiles('out/summary.md') != '' }}"
        ),
        (
            File::Ci,
            "if: ${{ !cancelled() && env.TRUSTED == 'true' && hashFiles('out/sarif/linux-arm64.sarif') != '' }}",
            "if: ${{ !cancelled() && hashFiles('out/sarif/linux-arm64.sarif') != '' }}"
        ),
        (
            File::Ci,
            "${{ env.TRUSTED == 'true' && format('type=registry,ref={0}:buildcache-pr-{1}', env.IMAGE, matrix.pair) || '' }}",
            "type=registry,ref=${{ env.IMAGE }}:buildcache-pr-${{ matrix.pair }}"
        ),
        (
            File::Ci,
            "on:\n  pull_request:\n",
            "on:\n  pull_request_target:\n"
        ),
    ]
);

contract!(
    severity_policy_high_critical_ignore_unfixed,
    common::severity_policy,
    [
        (
            File::Ci,
            "            --severity HIGH,CRITICAL \\\n            --ignore-unfixed \\\n            --image-repo \"${REGISTRY}/${IMAGE_NAME,,}\" \\\n            --report-platform",
            "            --severity CRITICAL \\\n            --ignore-unfixed \\\n            --image-repo \"${REGISTRY}/${IMAGE_NAME,,}\" \\\n            --report-platform"
        ),
        (
            File::Cd,
            "--ignore-unfixed \\\n            --image-repo \"${REGISTRY}/${IMAGE_NAME,,}\"\n",
            "--image-repo \"${REGISTRY}/${IMAGE_NAME,,}\"\n"
        ),
        (File::Ci, "--ignore-unfixed", "--ignore-unfixed=false"),
        (File::Cd, "--image-repo", "--output-dir ."),
        (
            File::GateScript,
            "vexgate gate \"$@\"",
            "vexgate gate --severity CRITICAL"
        ),
    ]
);

contract!(
    vex_auto_detection,
    common::vex_auto_detection,
    [
        (File::VexgateCli, "./vex.openvex.json", "./vex.json"),
        (
            File::Ci,
            "--ignore-unfixed \\\n            --image-repo \"${REGISTRY}/${IMAGE_NAME,,}\"\n",
            "--ignore-unfixed \\\n            --vex none \\\n            --image-repo \"${REGISTRY}/${IMAGE_NAME,,}\"\n"
        ),
        (
            File::GateScript,
            "exec vexgate gate \"$@\"",
            "exec vexgate gate --vex none \"$@\""
        ),
        (
            File::Cd,
            "      - name: vexgate gate (HIGH,CRITICAL, fixable only, VEX)\n        run:",
            "      - name: vexgate gate (HIGH,CRITICAL, fixable only, VEX)\n        working-directory: /tmp\n        run:"
        ),
        (
            File::Cd,
            "if [ -f vex.openvex.json ]; then",
            "if false; then"
        ),
    ]
);

contract!(
    gate_before_tagging,
    common::gate_before_tagging,
    [
        (File::Cd, "needs: [build, scan, report]", "needs: [build]"),
        (
            File::Cd,
            "needs: [build, scan, report]",
            "needs: [build, scan]"
        ),
        (
            File::Cd,
            "    needs: [build, scan, report]\n",
            "    needs: [build, scan, report]\n    if: ${{ always() }}\n"
        ),
        (
            File::Cd,
            "push-by-digest=true,name-canonical=true,push=true",
            "push=true"
        ),
        (
            File::Cd,
            "          labels: ${{ steps.meta.outputs.labels }}\n",
            "          labels: ${{ steps.meta.outputs.labels }}\n          tags: ${{ env.IMAGE }}:latest\n"
        ),
        (
            File::Cd,
            "          \"$RUNNER_TEMP/bin/vexgate\" gate \\\n",
            "          \"$RUNNER_TEMP/bin/vexgate\" --version \\\n"
        ),
    ]
);

contract!(
    trivy_unfiltered_json_per_platform,
    common::trivy_unfiltered_per_platform,
    [
        (
            File::Ci,
            "--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            "--severity HIGH,CRITICAL"
        ),
        (File::Cd, "            --list-all-pkgs \\\n", ""),
        (
            File::Cd,
            "          TRIVY_PLATFORM: ${{ matrix.platform }}\n",
            ""
        ),
        (
            File::Ci,
            "          version: v0.76.0",
            "          version: latest"
        ),
        (
            File::Ci,
            "          name: trivy-${{ matrix.pair }}.json",
            "          name: trivy-report"
        ),
        (
            File::Cd,
            "            --exit-code 0 \\\n",
            "            --exit-code 0 \\\n            --ignore-unfixed \\\n"
        ),
    ]
);

contract!(
    trivy_db_cached_daily,
    common::trivy_db_cache_daily,
    [
        (
            File::Ci,
            "key: trivy-db-${{ steps.day.outputs.day }}",
            "key: trivy-db"
        ),
        (
            File::Cd,
            "          path: ~/.cache/trivy/db\n",
            "          path: ~/.cache/other\n"
        ),
        (
            File::Cd,
            "if [ -n \"$DB_REPOSITORY\" ]; then export TRIVY_DB_REPOSITORY=\"$DB_REPOSITORY\"; fi",
            "export TRIVY_DB_REPOSITORY=ghcr.io/aquasecurity/trivy-db:2"
        ),
    ]
);

contract!(
    report_job_summary_and_sarif_categories,
    common::report_job,
    [
        (
            File::Ci,
            "          category: trivy-linux-arm64",
            "          category: trivy-linux-amd64"
        ),
        (
            File::Cd,
            "        run: cat out/summary.md >> \"$GITHUB_STEP_SUMMARY\"",
            "        run: cat out/summary.md"
        ),
        (
            File::Ci,
            "          pattern: trivy-*.json",
            "          pattern: trivy-linux-amd64.json"
        ),
        (
            File::Cd,
            "    needs: [vexgate, scan]\n    if:",
            "    needs: [vexgate]\n    if:"
        ),
    ]
);

contract!(
    every_uses_sha_pinned_with_version_comment,
    common::sha_pinned_uses,
    [
        (
            File::Ci,
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "actions/checkout@v7"
        ),
        (
            File::Cd,
            "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6 # v4.2.2",
            "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6"
        ),
        (
            File::Retention,
            "f092b48ba3b604b2a83690dc4b2bbb3392e1045f # v1.2.1",
            "f092b48ba3b604b2a83690dc4b2bbb3392e1045 # v1.2.1"
        ),
        (
            File::Cd,
            "aquasecurity/setup-trivy@81e514348e19b6112ce2a7e3ecbafe19c1e1f567 # v0.3.1",
            "aquasecurity/setup-trivy@81e514348e19b6112ce2a7e3ecbafe19c1e1f567 # main"
        ),
        (
            File::Ci,
            "      - uses: docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0\n",
            "      - { uses: docker/setup-buildx-action@v4 }\n"
        ),
    ]
);

contract!(
    top_level_permissions_empty,
    common::top_level_permissions_empty,
    [
        (
            File::Ci,
            "\npermissions: {}\n",
            "\npermissions: write-all\n"
        ),
        (
            File::Cd,
            "\npermissions: {}\n",
            "\npermissions:\n  contents: read\n"
        ),
        (File::Retention, "\npermissions: {}\n", "\n"),
        (
            File::Retention,
            "    permissions:\n      packages: write",
            "    env2:\n      packages: write"
        ),
    ]
);

contract!(
    persist_credentials_false,
    common::persist_credentials_false,
    [
        (
            File::Cd,
            "persist-credentials: false",
            "persist-credentials: true"
        ),
        (
            File::Ci,
            "        with:\n          persist-credentials: false\n      - name: Image name",
            "      - name: Image name"
        ),
    ]
);

contract!(
    no_expressions_inside_run,
    common::no_expressions_in_run,
    [
        (
            File::Cd,
            "run: cosign sign --yes --recursive \"${IMAGE}@${DIGEST}\"",
            "run: cosign sign --yes --recursive \"${IMAGE}@${{ steps.merge.outputs.digest }}\""
        ),
        (
            File::Ci,
            "            \"trivy-${PAIR}.json\"\n",
            "            \"trivy-${{ matrix.pair }}.json\"\n"
        ),
        (
            File::Retention,
            "      - name: Stale PR cache tags",
            "      - run: echo \"${{ github.event.inputs.dry_run }}\"\n      - name: Stale PR cache tags"
        ),
    ]
);

contract!(
    concurrency_cancels_pr_runs_only,
    common::concurrency_cancels_pr_runs_only,
    [
        (
            File::Cd,
            "  cancel-in-progress: false",
            "  cancel-in-progress: true"
        ),
        (
            File::Ci,
            "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}",
            "  cancel-in-progress: false"
        ),
        (
            File::Retention,
            "  cancel-in-progress: false",
            "  cancel-in-progress: true"
        ),
        (File::Ci, "github.event.pull_request.number || ", ""),
    ]
);

contract!(
    attest_and_sign_the_index,
    common::attest_and_sign,
    [
        (
            File::Cd,
            "          provenance: mode=max",
            "          provenance: mode=min"
        ),
        (File::Cd, "          sbom: true", "          sbom: false"),
        (
            File::Cd,
            "          push-to-registry: true",
            "          push-to-registry: false"
        ),
        (
            File::Cd,
            "run: cosign sign --yes --recursive \"${IMAGE}@${DIGEST}\"",
            "run: echo unsigned"
        ),
        (
            File::Cd,
            "          DOCKER_METADATA_ANNOTATIONS_LEVELS: index",
            "          DOCKER_METADATA_ANNOTATIONS_LEVELS: manifest"
        ),
        (
            File::Cd,
            "      id-token: write # keyless",
            "      id-token: none # keyless"
        ),
    ]
);

contract!(
    retention_never_deletes_releases_or_main_cache,
    common::retention_is_safe,
    [
        (File::Retention, "v*,*.*.*,*.*,", "*.*,"),
        (File::Retention, "buildcache-linux-*,", ""),
        (
            File::Retention,
            "delete-tags: buildcache-pr-*",
            "delete-tags: buildcache-*"
        ),
        (File::Retention, "          older-than: 7 days\n", ""),
        (
            File::Retention,
            "          exclude-tags: ${{ env.PROTECTED_TAGS }}\n          older-than: 14 days",
            "          older-than: 14 days"
        ),
    ]
);
