//! The pipeline's properties, asserted on .github/workflows/pipeline.yml (the reusable
//! workflow holding the whole pipeline), its two callers, and the files around them.
//!
//! Each property is one module with two tests: `holds` runs the check on the files as
//! they are, and `fails_when_removed` runs it on copies where the property was taken
//! out in one or more ways (a text edit that keeps the YAML valid). A check that does
//! not notice every removal fails its second test.

use crate::common;
use crate::common::{Check, File, Repo};

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

// Item 14: one reusable workflow, two thin callers.
contract!(
    reusable_workflow_with_thin_callers,
    common::reusable_pipeline,
    [
        (
            File::Pipeline,
            "on:\n  workflow_call:\n",
            "on:\n  push:\n  workflow_call:\n"
        ),
        (File::Pipeline, "      vex-file:\n", "      vex-document:\n"),
        (
            File::Pipeline,
            "      build-secrets:\n",
            "      registry-secrets:\n"
        ),
        (File::Ci, "      push: false\n", "      push: true\n"),
        (File::Cd, "      push: true\n", ""),
        (
            File::Ci,
            "jobs:\n  pipeline:\n",
            "jobs:\n  extra:\n    runs-on: ubuntu-24.04\n    permissions: {}\n    steps:\n      - run: echo hi\n  pipeline:\n"
        ),
        (
            File::Cd,
            "uses: ./.github/workflows/pipeline.yml",
            "uses: ./.github/workflows/other.yml"
        ),
        (
            File::Pipeline,
            "          context: src/${{ inputs.context }}\n          file: src/${{ inputs.dockerfile }}\n          target: ${{ inputs.target }}\n          platforms: ${{ matrix.platform }}\n          labels",
            "          context: src\n          file: src/${{ inputs.dockerfile }}\n          target: ${{ inputs.target }}\n          platforms: ${{ matrix.platform }}\n          labels"
        ),
        (File::Pipeline, "            ${{ inputs.build-args }}\n", ""),
    ]
);

contract!(
    both_platforms_native_runners,
    common::both_platforms_native,
    [
        (
            File::Ci,
            r#"{"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]'"#,
            r#"{"platform": "linux/arm64", "runner": "ubuntu-24.04"}]'"#
        ),
        (
            File::Cd,
            r#", {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]'"#,
            "]'"
        ),
        (
            File::Pipeline,
            r#"default: '[{"platform": "linux/amd64", "runner": "ubuntu-24.04"}, {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]'"#,
            r#"default: '[{"platform": "linux/amd64", "runner": "ubuntu-24.04"}]'"#
        ),
        (
            File::Pipeline,
            "          platforms: ${{ matrix.platform }}\n          tags: ${{ needs.plan.outputs.image }}:ci-",
            "          platforms: linux/amd64,linux/arm64\n          tags: ${{ needs.plan.outputs.image }}:ci-"
        ),
        (
            File::Pipeline,
            "    needs: [plan]\n    if: ${{ inputs.push }}\n    strategy:\n      fail-fast: false\n      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n    # Native runner per platform, no QEMU.\n    runs-on: ${{ matrix.runner }}",
            "    needs: [plan]\n    if: ${{ inputs.push }}\n    strategy:\n      fail-fast: false\n      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n    # Native runner per platform, no QEMU.\n    runs-on: ubuntu-24.04"
        ),
        (
            File::Pipeline,
            "      - uses: docker/setup-buildx-action@",
            "      - uses: docker/setup-qemu-action@29109295f81e9208d7d86ff1c6c12d2833863392 # v3.6.0\n      - uses: docker/setup-buildx-action@"
        ),
    ]
);

// Item 1: no cache a PR or another branch can write reaches a release; PR jobs hold no
// token that can write what releases read.
contract!(
    release_builds_import_no_writable_cache,
    common::release_cache_isolation,
    [
        (
            File::Pipeline,
            "          cache-from: ${{ env.USE_CACHE == 'true' && format('type=gha,scope={0}', matrix.pair) || '' }}",
            "          cache-from: type=registry,ref=${{ env.IMAGE }}:buildcache-${{ matrix.pair }}"
        ),
        (
            File::Pipeline,
            "          no-cache: ${{ env.USE_CACHE != 'true' }}\n",
            ""
        ),
        (
            File::Pipeline,
            "      USE_CACHE: ${{ needs.plan.outputs.use-cache }}",
            "      USE_CACHE: 'true'"
        ),
        (
            File::Pipeline,
            "    permissions:\n      contents: read # checkout\n    env:\n      PAIR: ${{ matrix.pair }}\n    steps:",
            "    permissions:\n      contents: read # checkout\n      packages: write # PR cache\n    env:\n      PAIR: ${{ matrix.pair }}\n    steps:"
        ),
        (
            File::Pipeline,
            "      contents: read # checkout (vex.openvex.json, .trivyignore, vexgate.toml)\n      packages: read",
            "      contents: read # checkout (vex.openvex.json, .trivyignore, vexgate.toml)\n      packages: write"
        ),
        (
            File::Pipeline,
            "      - name: Cargo cache (non-publishing source builds only)\n        if: ${{ !inputs.push && inputs.vexgate-version == 'source' }}\n",
            "      - name: Cargo cache (non-publishing source builds only)\n        if: ${{ inputs.vexgate-version == 'source' }}\n"
        ),
        (
            File::PlanScript,
            "[ \"$ref\" != \"refs/heads/$DEFAULT_BRANCH\" ]",
            "[ \"$ref\" = refs/pull ]"
        ),
        (
            File::Ci,
            "on:\n  pull_request:\n",
            "on:\n  pull_request_target:\n"
        ),
        (
            File::Pipeline,
            "    if: ${{ !cancelled() && inputs.push && needs.merge.result == 'success' }}",
            "    if: ${{ !cancelled() && needs.merge.result == 'success' }}"
        ),
    ]
);

contract!(
    fork_pr_guard,
    common::fork_pr_guard,
    [
        (
            File::Pipeline,
            "if: ${{ !cancelled() && github.event_name == 'pull_request' && env.TRUSTED == 'true' && hashFiles('src/out/summary.md') != '' }}",
            "if: ${{ !cancelled() && github.event_name == 'pull_request' && hashFiles('src/out/summary.md') != '' }}"
        ),
        (
            File::Pipeline,
            "if: ${{ !cancelled() && needs.plan.outputs.trusted == 'true' && (",
            "if: ${{ !cancelled() && ("
        ),
        (
            File::Pipeline,
            "      TRUSTED: ${{ needs.plan.outputs.trusted }}",
            "      TRUSTED: 'true'"
        ),
        (
            File::PlanScript,
            "if [ \"${HEAD_REPOSITORY:-}\" != \"$repository\" ]; then trusted=false; fi",
            ":"
        ),
    ]
);

contract!(
    severity_policy_high_critical_ignore_unfixed,
    common::severity_policy,
    [
        (
            File::Pipeline,
            "        description: \"Severities that block (vexgate --severity)\"\n        type: string\n        default: \"HIGH,CRITICAL\"",
            "        description: \"Severities that block (vexgate --severity)\"\n        type: string\n        default: \"CRITICAL\""
        ),
        (
            File::Pipeline,
            "        description: \"Drop findings without a fix (vexgate --ignore-unfixed)\"\n        type: boolean\n        default: true",
            "        description: \"Drop findings without a fix (vexgate --ignore-unfixed)\"\n        type: boolean\n        default: false"
        ),
        (
            File::Cd,
            "      push: true\n",
            "      push: true\n      severity: CRITICAL\n"
        ),
        (
            File::Pipeline,
            "            --image-repo \"$IMAGE\" \\\n            --report-platform",
            "            --report-platform"
        ),
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
        (
            File::Pipeline,
            "          if [ -n \"$VEX_FILE\" ]; then vex=(--vex \"$VEX_FILE\"); fi\n          \"$RUNNER_TEMP/bin/vexgate\" gate",
            "          vex=(--vex none)\n          \"$RUNNER_TEMP/bin/vexgate\" gate"
        ),
        (
            File::GateScript,
            "vexgate gate \"$@\" \"${platform_args[@]}\"",
            "vexgate gate --vex none \"$@\" \"${platform_args[@]}\""
        ),
        (
            File::Pipeline,
            "      - name: vexgate gate, all platforms\n        id: gate\n        working-directory: src\n",
            "      - name: vexgate gate, all platforms\n        id: gate\n"
        ),
        (File::Pipeline, "if [ -f \"$vex\" ]; then", "if false; then"),
    ]
);

contract!(
    gate_before_tagging,
    common::gate_before_tagging,
    [
        (
            File::Pipeline,
            "    needs: [plan, test, build-push, scan, report]",
            "    needs: [plan, test, build-push]"
        ),
        (
            File::Pipeline,
            "needs.scan.result == 'success' && needs.report.result == 'success' && (",
            "needs.scan.result == 'success' && ("
        ),
        (
            File::Pipeline,
            "push-by-digest=true,name-canonical=true,push=true",
            "push=true"
        ),
        (
            File::Pipeline,
            "          labels: ${{ steps.meta.outputs.labels }}\n",
            "          labels: ${{ steps.meta.outputs.labels }}\n          tags: ${{ env.IMAGE }}:latest\n"
        ),
        (
            File::Pipeline,
            "          \"$RUNNER_TEMP/bin/vexgate\" gate \\\n",
            "          \"$RUNNER_TEMP/bin/vexgate\" --version \\\n"
        ),
        (
            File::Pipeline,
            "          EXPECTED_PLATFORMS: ${{ needs.plan.outputs.platforms }}",
            "          EXPECTED_PLATFORMS: linux/amd64"
        ),
    ]
);

contract!(
    trivy_unfiltered_json_per_platform,
    common::trivy_unfiltered_per_platform,
    [
        (
            File::Pipeline,
            "--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            "--severity HIGH,CRITICAL"
        ),
        (File::Pipeline, "            --list-all-pkgs \\\n", ""),
        (
            File::Pipeline,
            "          TRIVY_PLATFORM: ${{ matrix.platform }}\n",
            ""
        ),
        (
            File::Pipeline,
            "          name: trivy-${{ matrix.pair }}.json",
            "          name: trivy-report"
        ),
        (
            File::Pipeline,
            "            --exit-code 0 \\\n",
            "            --exit-code 0 \\\n            --ignore-unfixed \\\n"
        ),
        (
            File::Pipeline,
            "      - name: Install Trivy (pinned version and digest), check the DB's age\n        env:\n          MAX_AGE_HOURS: ${{ inputs.trivy-db-max-age-hours }}\n        run: |\n          bash pipeline/.github/scripts/install-trivy.sh \"$RUNNER_TEMP/trivy-bin\"\n",
            "      - uses: aquasecurity/setup-trivy@81e514348e19b6112ce2a7e3ecbafe19c1e1f567 # v0.3.1\n        with:\n          version: v0.76.0\n      - name: Install Trivy (pinned version and digest), check the DB's age\n        env:\n          MAX_AGE_HOURS: ${{ inputs.trivy-db-max-age-hours }}\n        run: |\n"
        ),
    ]
);

// Item 3: Trivy's binary is checked against a pinned digest (the offline test of the
// check itself is in workflow_scripts.rs).
contract!(
    trivy_pinned_by_digest,
    common::trivy_pinned_by_digest,
    [
        (
            File::InstallTrivy,
            "TRIVY_VERSION=0.76.0",
            "TRIVY_VERSION=0.77.0"
        ),
        (
            File::InstallTrivy,
            "    x86_64) echo 1f889576636db0623539cb339df7d06c40ebf39e7919489eafa1160e29808f19 ;;",
            "    x86_64) echo unpinned ;;"
        ),
        (
            File::InstallTrivy,
            "if [ \"$got\" != \"$want\" ]; then",
            "if false; then"
        ),
        (
            File::InstallTrivy,
            "    *) return 1 ;;",
            "    *) echo any ;;"
        ),
    ]
);

// Item 6: one DB download per run, shared; a bounded-age fallback.
contract!(
    trivy_db_downloaded_once_with_fallback,
    common::trivy_db_once,
    [
        (
            File::Pipeline,
            "        type: number\n        default: 72",
            "        type: number\n        default: 720"
        ),
        (
            File::Pipeline,
            "            --fallback-dir \"$RUNNER_TEMP/trivy-fallback\" \\\n",
            ""
        ),
        (
            File::Pipeline,
            "        if: ${{ steps.db.outputs.source == 'download' }}\n",
            ""
        ),
        (
            File::Pipeline,
            "      - name: Image tarball\n",
            "      - uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5\n        with:\n          path: ~/.cache/trivy/db\n          key: trivy-db\n      - name: Image tarball\n"
        ),
        (
            File::Pipeline,
            "          bash pipeline/.github/scripts/trivy-db.sh check \\\n            --cache-dir \"$RUNNER_TEMP/trivy-cache\" --max-age-hours \"$MAX_AGE_HOURS\"\n",
            ""
        ),
    ]
);

// Item 7: a failed leg is named; artifacts outlive the re-run window.
contract!(
    failed_build_leg_is_named,
    common::failed_leg_named,
    [
        (
            File::Pipeline,
            "    if: ${{ !cancelled() && needs.plan.result == 'success' && needs.vexgate.result == 'success' && needs.trivy-db.result == 'success' }}",
            "    if: ${{ !cancelled() && needs.plan.result == 'success' && needs.vexgate.result == 'success' && needs.trivy-db.result == 'success' && needs.build.result != 'failure' }}"
        ),
        (
            File::Pipeline,
            "        if: ${{ steps.built.outcome != 'success' }}\n",
            "        if: ${{ false }}\n"
        ),
        (
            File::Pipeline,
            "          name: built-${{ matrix.pair }}\n          path: ${{ runner.temp }}/built/${{ matrix.pair }}\n          retention-days: 30",
            "          name: built-${{ matrix.pair }}\n          path: ${{ runner.temp }}/built/${{ matrix.pair }}\n          retention-days: 1"
        ),
        (
            File::Pipeline,
            "          name: vexgate\n          path: ${{ runner.temp }}/vexgate/bin/vexgate\n          retention-days: 30\n          overwrite: true\n",
            "          name: vexgate\n          path: ${{ runner.temp }}/vexgate/bin/vexgate\n          retention-days: 30\n"
        ),
        (
            File::Pipeline,
            "          BUILT_DIR=\"$RUNNER_TEMP/built\" bash",
            "          bash"
        ),
        (
            File::GateScript,
            "missing+=(\"build failed for $platform\")",
            "missing+=(\"no report for $platform\")"
        ),
    ]
);

// Item 8: the project's tests run on PRs and main; the gate and the publish need them.
contract!(
    tests_run_and_gate,
    common::tests_gate,
    [
        (File::Ci, "      test-script: scripts/ci-test.sh\n", ""),
        (
            File::Cd,
            "test-script: scripts/ci-test.sh",
            "test-script: scripts/lint.sh"
        ),
        (
            File::Pipeline,
            "    needs: [plan, vexgate, test, scan]",
            "    needs: [plan, vexgate, scan]"
        ),
        (
            File::Pipeline,
            " && (needs.test.result == 'success' || (needs.test.result == 'skipped' && inputs.test-script == ''))",
            ""
        ),
        (
            File::Pipeline,
            "          if [ -n \"$TEST_SCRIPT\" ] && [ \"$TEST_RESULT\" != success ]; then",
            "          if false; then"
        ),
        (
            File::CiTest,
            "  exec bash .ci/run\n",
            "  exec bash scripts/lint.sh\n"
        ),
    ]
);

contract!(
    report_job_summary_and_sarif_categories,
    common::report_job,
    [
        (
            File::Pipeline,
            "          category: trivy-${{ matrix.pair }}",
            "          category: trivy"
        ),
        (
            File::Pipeline,
            "        run: cat src/out/summary.md >> \"$GITHUB_STEP_SUMMARY\"",
            "        run: cat src/out/summary.md"
        ),
        (
            File::Pipeline,
            "          pattern: trivy-*.json",
            "          pattern: trivy-linux-amd64.json"
        ),
        (
            File::Pipeline,
            "    needs: [plan, vexgate, test, scan]",
            "    needs: [plan, vexgate, test]"
        ),
    ]
);

contract!(
    every_uses_sha_pinned_with_version_comment,
    common::sha_pinned_uses,
    [
        (
            File::Pipeline,
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "actions/checkout@v7"
        ),
        (
            File::Pipeline,
            "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6 # v4.2.2",
            "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6"
        ),
        (
            File::Retention,
            "f092b48ba3b604b2a83690dc4b2bbb3392e1045f # v1.2.1",
            "f092b48ba3b604b2a83690dc4b2bbb3392e1045 # v1.2.1"
        ),
        (
            File::Pipeline,
            "      - uses: docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0\n",
            "      - { uses: docker/setup-buildx-action@v4 }\n"
        ),
        (
            File::Cd,
            "    uses: ./.github/workflows/pipeline.yml",
            "    uses: OWNER/secure-docker-images/.github/workflows/pipeline.yml@main"
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
            File::Pipeline,
            "\npermissions: {}\n",
            "\npermissions:\n  contents: read\n"
        ),
        (File::Retention, "\npermissions: {}\n", "\n"),
        (
            File::Pipeline,
            "    permissions:\n      contents: read # checkout of this pipeline's scripts\n    outputs:",
            "    outputs:"
        ),
    ]
);

contract!(
    persist_credentials_false,
    common::persist_credentials_false,
    [
        (
            File::Pipeline,
            "persist-credentials: false",
            "persist-credentials: true"
        ),
        (
            File::Pipeline,
            "          path: src\n          persist-credentials: false\n      - name: SOURCE_DATE_EPOCH",
            "          path: src\n      - name: SOURCE_DATE_EPOCH"
        ),
    ]
);

contract!(
    no_expressions_inside_run,
    common::no_expressions_in_run,
    [
        (
            File::Pipeline,
            "run: cosign sign --yes --recursive \"${IMAGE}@${DIGEST}\"",
            "run: cosign sign --yes --recursive \"${IMAGE}@${{ steps.merge.outputs.digest }}\""
        ),
        (
            File::Pipeline,
            "        run: bash \"$TEST_SCRIPT\"",
            "        run: bash \"${{ inputs.test-script }}\""
        ),
        (
            File::Retention,
            "      - name: Old registry cache tags",
            "      - run: echo \"${{ github.event.inputs.dry_run }}\"\n      - name: Old registry cache tags"
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
        (
            File::Pipeline,
            "\npermissions: {}\n",
            "\npermissions: {}\n\nconcurrency:\n  group: pipeline\n  cancel-in-progress: true\n"
        ),
    ]
);

// The unfiltered report is not filtered by the pull request's own Trivy settings.
contract!(
    scan_ignores_checkout_settings,
    common::scan_ignores_checkout_settings,
    [
        (
            File::Pipeline,
            "            --ignorefile \"$RUNNER_TEMP/empty-trivyignore\" \\\n",
            ""
        ),
        (
            File::Pipeline,
            "            --config \"$RUNNER_TEMP/empty-trivy.yaml\" \\\n",
            ""
        ),
        (
            File::Pipeline,
            "          : >\"$RUNNER_TEMP/empty-trivyignore\"\n",
            ""
        ),
    ]
);

// Item 12 with the rest of the supply-chain metadata.
contract!(
    attest_sign_and_sbom_on_the_index,
    common::attest_and_sign,
    [
        (
            File::Pipeline,
            "          provenance: mode=max",
            "          provenance: mode=min"
        ),
        (
            File::Pipeline,
            "          sbom: true",
            "          sbom: false"
        ),
        (
            File::Pipeline,
            "          subject-digest: ${{ steps.merge.outputs.digest }}\n          push-to-registry: true",
            "          subject-digest: ${{ steps.merge.outputs.digest }}\n          push-to-registry: false"
        ),
        (
            File::Pipeline,
            "run: cosign sign --yes --recursive \"${IMAGE}@${DIGEST}\"",
            "run: echo unsigned"
        ),
        (
            File::Pipeline,
            "          DOCKER_METADATA_ANNOTATIONS_LEVELS: index",
            "          DOCKER_METADATA_ANNOTATIONS_LEVELS: manifest"
        ),
        (
            File::Pipeline,
            "          sbom-path: ${{ runner.temp }}/sbom/sbom-${{ matrix.pair }}.cdx.json\n",
            ""
        ),
        (
            File::Pipeline,
            "          trivy convert --format cyclonedx --output \"sbom-${PAIR}.cdx.json\" \"trivy-${PAIR}.json\"\n",
            ""
        ),
        (
            File::Pipeline,
            "cosign-release: v3.0.6",
            "cosign-release: v2.5.3"
        ),
        (
            File::Pipeline,
            "      DIGEST: ${{ needs.merge.outputs.digest }}",
            "      DIGEST: ${{ needs.plan.outputs.image }}"
        ),
    ]
);

contract!(
    retention_never_deletes_releases,
    common::retention_is_safe,
    [
        (File::Retention, "v*,*.*.*,*.*,", "*.*,"),
        (
            File::Retention,
            "delete-tags: buildcache-*",
            "delete-tags: \"*\""
        ),
        (File::Retention, "          older-than: 7 days\n", ""),
        (
            File::Retention,
            "          exclude-tags: ${{ env.PROTECTED_TAGS }}\n          older-than: 14 days",
            "          older-than: 14 days"
        ),
    ]
);

// Item 9: the unused bake file is gone and nothing points at it.
contract!(
    no_bake_file,
    common::no_bake_file,
    [(
        File::Docs,
        "# CI/CD",
        "# CI/CD\n\nRun `docker buildx bake image`.\n"
    )]
);

// Item 2: the files that decide what blocks need a code owner's review.
contract!(
    codeowners_guard_exceptions,
    common::codeowners_guard_exceptions,
    [
        (
            File::Codeowners,
            "vex.openvex.json      @OWNER\n*.openvex.json        @OWNER\n",
            ""
        ),
        (
            File::Codeowners,
            "vex.openvex.json      @OWNER\n*.openvex.json        @OWNER\n",
            "/vex.openvex.json     @OWNER\n"
        ),
        (
            File::Codeowners,
            ".trivyignore*         @OWNER",
            ".trivyignore          @OWNER"
        ),
        (
            File::Codeowners,
            "vexgate.toml          @OWNER",
            "vexgate.yaml          @OWNER"
        ),
        (
            File::Codeowners,
            "/.github/             @OWNER",
            "/.github/workflows/ci.yml @OWNER"
        ),
        (
            File::Codeowners,
            "/scripts/ci-test.sh   @OWNER\n",
            "/scripts/ci-test.sh   @OWNER\n*.json\n"
        ),
        (
            File::Docs,
            "Require review from Code Owners",
            "Require a review"
        ),
    ]
);

// Item 4: the Dockerfile's pins.
contract!(
    dockerfile_pinned_bookworm_builder,
    common::dockerfile_pins,
    [
        (
            File::Dockerfile,
            "# syntax=docker/dockerfile:1.24@sha256:87999aa3d42bdc6bea60565083ee17e86d1f3339802f543c0d03998580f9cb89",
            "# syntax=docker/dockerfile:1"
        ),
        (
            File::Dockerfile,
            "rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082",
            "rust:1.95.0-alpine3.23@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2"
        ),
        (
            File::Dockerfile,
            "FROM gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7 AS distroless",
            "FROM gcr.io/distroless/static-debian13:nonroot AS distroless"
        ),
        (
            File::Dockerfile,
            "ARG RUNTIME_BASE=distroless",
            "ARG RUNTIME_BASE=gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7"
        ),
        (
            File::Dockerfile,
            "    rustup target add \"$triple\" && \\\n",
            "    rustup target add \"$triple\" && \\\n    apt-get install -y --no-install-recommends musl-tools=1.2.3-1 && \\\n"
        ),
        (
            File::Dockerfile,
            "    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \\\n    . /etc/hello-linker.sh && \\\n    if [ -s /run/secrets/cargo_registry_token ]; then \\\n      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \\\n    fi && \\\n    cargo chef cook",
            "    --mount=type=secret,id=cargo_registry_token,env=CARGO_REGISTRIES_PRIVATE_TOKEN,required=false \\\n    . /etc/hello-linker.sh && \\\n    cargo chef cook"
        ),
        (
            File::Dockerfile,
            "cargo auditable build --release --locked --target \"$triple\" --package hello --bin hello && \\\n    install -D -m 0555 \"target/$triple/release/hello\" /out/hello && \\\n    sh /src/scripts/check-static-binary.sh \"$triple\" /out/hello\n\n# Local",
            "cargo auditable build --release --locked --features test-hooks --target \"$triple\" --package hello --bin hello && \\\n    install -D -m 0555 \"target/$triple/release/hello\" /out/hello && \\\n    sh /src/scripts/check-static-binary.sh \"$triple\" /out/hello\n\n# Local"
        ),
        (File::DockerIgnore, "!scripts/check-static-binary.sh\n", ""),
        (
            File::Dockerfile,
            "RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \\\n    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \\\n    cargo install",
            "RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \\\n    --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \\\n    cargo install"
        ),
    ]
);

// Item 13: the admission example admits what the pipeline publishes, and nothing else.
contract!(
    admission_policy_matches_pipeline,
    common::admission_policy_matches_pipeline,
    [
        (
            File::Policy,
            "pipeline\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+.*)$'\n                    rekor:\n                      url: https://rekor.sigstore.dev\n          attestations:",
            "pipeline\\.yml@refs/.*$'\n                    rekor:\n                      url: https://rekor.sigstore.dev\n          attestations:"
        ),
        (
            File::Policy,
            "                        subjectRegExp: '(?i)^https://github\\.com/OWNER/secure-docker-images/\\.github/workflows/pipeline\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+.*)$'\n                        rekor:\n                          url: https://rekor.sigstore.dev\n              conditions:",
            "                        subjectRegExp: '(?i)^https://github\\.com/OWNER/secure-docker-images/\\.github/workflows/cd\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+.*)$'\n                        rekor:\n                          url: https://rekor.sigstore.dev\n              conditions:"
        ),
        (
            File::Policy,
            "                    issuer: https://token.actions.githubusercontent.com\n                    subjectRegExp",
            "                    issuer: https://accounts.google.com\n                    subjectRegExp"
        ),
        (
            File::Policy,
            "            - type: https://cyclonedx.org/bom\n",
            "            - type: https://spdx.dev/Document\n"
        ),
        (
            File::Policy,
            "                      value: .github/workflows/cd.yml",
            "                      value: .github/workflows/ci.yml"
        ),
        (
            File::Policy,
            "          type: SigstoreBundle\n",
            "          type: Cosign\n"
        ),
        (
            File::Pipeline,
            "          sbom-path: ${{ runner.temp }}/sbom/sbom-${{ matrix.pair }}.cdx.json\n",
            ""
        ),
        (File::Cd, "    tags: [\"v*.*.*\"]", "    tags: [\"*\"]"),
        (
            File::VerifyImage,
            "identity_re=\"(?i)^https://github\\\\.com/${repo_re}/\\\\.github/workflows/pipeline\\\\.yml@refs/(heads/main|tags/v[0-9]+\\\\.[0-9]+\\\\.[0-9]+.*)\\$\"",
            "identity_re=\"(?i)^https://github\\\\.com/${repo_re}/\\\\.github/workflows/pipeline\\\\.yml@refs/heads/main\\$\""
        ),
    ]
);

// Item 11: reproducible builds, checked on GitHub by building twice.
contract!(
    reproducible_builds,
    common::reproducible_builds,
    [
        (
            File::Pipeline,
            "push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true",
            "push-by-digest=true,name-canonical=true,push=true"
        ),
        (
            File::Pipeline,
            "          labels: |\n            org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}\n",
            ""
        ),
        (
            File::Pipeline,
            "          outputs: type=oci,dest=${{ runner.temp }}/second.tar,rewrite-timestamp=true\n          provenance: false\n          sbom: false\n          no-cache: true",
            "          outputs: type=oci,dest=${{ runner.temp }}/second.tar,rewrite-timestamp=true\n          provenance: false\n          sbom: false\n          no-cache: false"
        ),
        (
            File::Pipeline,
            "          if [ -z \"$FIRST\" ] || [ \"$FIRST\" != \"$SECOND\" ]; then",
            "          if false; then"
        ),
        (File::Ci, "      check-reproducible: true\n", ""),
        (
            File::Pipeline,
            "      - name: SOURCE_DATE_EPOCH (the commit time)\n        run: echo \"SOURCE_DATE_EPOCH=$(git -C src log -1 --pretty=%ct)\" >> \"$GITHUB_ENV\"\n      - uses: docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0\n      - uses: docker/login-action",
            "      - uses: docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0\n      - uses: docker/login-action"
        ),
    ]
);

// The vexgate Action: composite, verified install through the tested script, the crate's
// version by default; the pipeline gets vexgate through it.
contract!(
    vexgate_action,
    common::vexgate_action,
    [
        (
            File::Action,
            "    default: \"0.1.0\"",
            "    default: \"0.0.9\""
        ),
        (
            File::Pipeline,
            "        default: \"0.1.0\"",
            "        default: \"latest\""
        ),
        (
            File::Action,
            "  blocking:\n    description:",
            "  blocked:\n    description:"
        ),
        (
            File::Action,
            "        bash \"$GITHUB_ACTION_PATH/.github/scripts/install-vexgate.sh\" \\",
            "        curl -fsSL \"https://example.invalid/vexgate\" -o vexgate; echo \\"
        ),
        (
            File::InstallVexgate,
            "    cosign verify-blob \\",
            "    true \\"
        ),
        (
            File::Pipeline,
            "        id: install\n        uses: ./pipeline",
            "        id: install-old\n        uses: ./pipeline"
        ),
        (
            File::Pipeline,
            "      - name: cargo install vexgate (vexgate-version source)\n        if: ${{ inputs.vexgate-version == 'source' }}\n",
            "      - name: cargo install vexgate (vexgate-version source)\n"
        ),
        (File::Ci, "      vexgate-version: source\n", ""),
        (File::VexgateImage, "      vexgate-version: source\n", ""),
        (File::Action, "  using: composite", "  using: node24"),
    ]
);

// Releases on v* tags: two native musl archives, SHA256SUMS, provenance, a keyless signature.
contract!(
    release_workflow,
    common::release_workflow,
    [
        (
            File::Release,
            "    tags: [\"v*.*.*\"]",
            "    tags: [\"v*.*.*\"]\n    branches: [main]"
        ),
        (
            File::Release,
            "          - target: aarch64-unknown-linux-musl\n            runner: ubuntu-24.04-arm",
            "          - target: aarch64-unknown-linux-musl\n            runner: ubuntu-24.04"
        ),
        (
            File::Release,
            "          - target: x86_64-unknown-linux-musl",
            "          - target: x86_64-unknown-linux-gnu"
        ),
        (
            File::Release,
            "          subject-path: dist/vexgate-*.tar.gz",
            "          subject-path: dist/SHA256SUMS"
        ),
        (
            File::Release,
            "          cosign sign-blob --yes --bundle SHA256SUMS.sigstore.json SHA256SUMS\n",
            ""
        ),
        (
            File::Release,
            " dist/SHA256SUMS dist/SHA256SUMS.sigstore.json",
            " dist/SHA256SUMS"
        ),
        (
            File::Release,
            "          if [ \"$TAG\" != \"v$crate\" ] || [ \"$action\" != \"$crate\" ]; then",
            "          if false; then"
        ),
        (
            File::Release,
            "      contents: write # create the release",
            "      contents: read"
        ),
    ]
);

// The vexgate image: FROM scratch, non-root, built and gated by the same pipeline.
contract!(
    vexgate_image,
    common::vexgate_image,
    [
        (
            File::Dockerfile,
            "FROM scratch AS vexgate\n",
            "FROM gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7 AS vexgate\n"
        ),
        (
            File::Dockerfile,
            "COPY --from=vexgate-bin /out/vexgate /vexgate\nUSER 65532:65532\n",
            "COPY --from=vexgate-bin /out/vexgate /vexgate\n"
        ),
        (
            File::Dockerfile,
            "ARG VEXGATE_BIN_STAGE=vexgate-build\n",
            "ARG VEXGATE_BIN_STAGE=vexgate-prebuilt\n"
        ),
        (
            File::Dockerfile,
            "    cargo auditable build --release --locked --target \"$triple\" --package vexgate --bin vexgate",
            "    cargo build --release --locked --target \"$triple\" --package vexgate --bin vexgate"
        ),
        (File::VexgateImage, "      target: vexgate\n", ""),
        (
            File::VexgateImage,
            "      push: ${{ github.event_name == 'push' }}",
            "      push: true"
        ),
    ]
);
