#!/usr/bin/env python3
"""Regenerate testdata/oracle: run real Trivy for every scenario and write manifest.json.

Called by scripts/regen-oracle.sh, which prepares the fixture DB, the image tar and the local
registry and passes them in the environment:

  ORACLE_TRIVY     path of the trivy binary (0.76.0)
  ORACLE_CACHE     Trivy cache dir holding the fixture DB (db/trivy.db + db/metadata.json)
  ORACLE_IMAGE_TAR image tar relative to testdata/oracle (docker-archive), or empty to skip image scenarios
  ORACLE_IMAGE_REF image pushed to the local registry, pinned by digest (host:port/repo@sha256:...), or empty
  ORACLE_IMAGE_REPO host:port/repo of that image (for --image-repo), or empty

Every expected file is written by Trivy itself; this script only chooses flags, runs Trivy and
checks that Trivy's answer shows what the scenario's description claims (the "claims" below). A
claim that Trivy does not confirm stops the run: the description would be wrong.
"""

import json
import os
import re
import subprocess
import sys

ORACLE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "oracle"))
ALL_SEV = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"
UNFIXED_REGO = "policy/unfixed.rego"
STATUS_REGO = {("will_not_fix", "end_of_life"): "policy/ignore-status-wnf-eol.rego"}

TRIVY = os.environ["ORACLE_TRIVY"]
CACHE = os.environ["ORACLE_CACHE"]
IMAGE_TAR = os.environ.get("ORACLE_IMAGE_TAR", "")
IMAGE_REF = os.environ.get("ORACLE_IMAGE_REF", "")
IMAGE_REPO = os.environ.get("ORACLE_IMAGE_REPO", "")

# ---------------------------------------------------------------------------------------------
# Targets scanned for the "scan" scenarios (paths relative to testdata/oracle, which is the cwd).
TARGETS = {
    "deb12-rootfs": ["rootfs", "targets/deb12-rootfs"],
    "cargo": ["fs", "targets/cargo"],
    "gomod": ["fs", "targets/gomod"],
    "npm": ["fs", "targets/npm"],
}
if IMAGE_TAR:
    TARGETS["image-tar"] = ["image", "--input", IMAGE_TAR]
if IMAGE_REF:
    TARGETS["image-registry"] = ["image", IMAGE_REF]


def policy(severity=None, ignore_unfixed=False, ignore_status=None, ignorefile=None, vex=None):
    return {"severity": severity, "ignore_unfixed": ignore_unfixed, "ignore_status": ignore_status,
            "ignorefile": ignorefile, "vex": vex or []}


def C(name, description, inp, claims, **pol):
    return {"name": name, "description": description, "kind": "convert", "input": inp,
            "policy": policy(**pol), "claims": claims}


def S(name, description, target, claims, extra=None, **pol):
    return {"name": name, "description": description, "kind": "scan", "target": target,
            "policy": policy(**pol), "claims": claims, "extra": extra or {}}


# Claims: "remaining" and "suppressed" are multisets of "ID pkg" (or "ID pkg @Target" when any
# entry of that list names a target); suppressed entries end with the ModifiedFinding status.
# Rego-dropped findings (rego_unfixed scenarios) are not part of "suppressed".
SCENARIOS = [
    # ---------------- trivy convert: pkg/result/filter_test.go TestFilter, ported -------------
    C("convert-severities",
      "filter_test 'severities': --severity CRITICAL,HIGH keeps vuln2 (CRITICAL), drops vuln1 (LOW); the HIGH FAIL "
      "misconfig, the CRITICAL secret and the HIGH license stay, the LOW ones vanish (not recorded).",
      "convert/inputs/severities.json",
      {"remaining": ["CVE-2019-0002 github.com/aquasecurity/foo"], "suppressed": [], "exit": 1},
      severity="CRITICAL,HIGH"),
    C("convert-severities-medium",
      "--severity MEDIUM on the same report: nothing at MEDIUM, so every finding of every type vanishes and the exit code is 0.",
      "convert/inputs/severities.json",
      {"remaining": [], "suppressed": [], "exit": 0},
      severity="MEDIUM"),
    C("convert-ignore-unfixed-upstream",
      "filter_test 'ignore unfixed': --severity HIGH plus ignore-status will_not_fix,end_of_life (Rego stand-in): "
      "both findings are dropped by severity; the Result stays with no Vulnerabilities key.",
      "convert/inputs/ignore-unfixed-upstream.json",
      {"remaining": [], "suppressed": [], "exit": 0},
      severity="HIGH", ignore_status=["will_not_fix", "end_of_life"]),
    C("convert-ignore-status",
      "Every vendor status at HIGH; ignore-status will_not_fix,end_of_life (Rego stand-in) drops exactly those two.",
      "convert/inputs/statuses.json",
      {"remaining": ["CVE-2019-0012 bar", "CVE-2019-0013 bar", "CVE-2019-0014 bar", "CVE-2019-0015 baz",
                     "CVE-2019-0016 baz"], "suppressed": [], "exit": 1},
      severity="HIGH", ignore_status=["will_not_fix", "end_of_life"]),
    C("convert-ignore-unfixed",
      "Every vendor status; ignore-unfixed (Rego stand-in) keeps only Status=fixed, at all severities; a finding "
      "with no Status key and no FixedVersion (status unknown) is dropped too (the policy uses "
      "'not input.Status == \"fixed\"'; the issue's 'input.Status != \"fixed\"' would keep it).",
      "convert/inputs/statuses.json",
      {"remaining": ["CVE-2019-0001 foo", "CVE-2019-0002 foo", "CVE-2019-0013 bar"], "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_unfixed=True),
    C("convert-default-policy",
      "The default policy (HIGH,CRITICAL + ignore-unfixed, Rego stand-in) on the all-statuses report.",
      "convert/inputs/statuses.json",
      {"remaining": ["CVE-2019-0002 foo", "CVE-2019-0013 bar"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL", ignore_unfixed=True),
    C("convert-ignore-file",
      "filter_test 'ignore file' (plain .trivyignore, --severity LOW): 0001, 0005, 0006 ignored (exp:9999 is future, "
      "key:value ignored); 0004 kept (exp:2020-01-01 expired); 0002 dropped by severity; 0008 kept (bad exp: date "
      "drops the line); 0003 kept (lower-case id does not match); misconfig AVD-ID-0300 and secret "
      "generic-unwanted-rule ignored.",
      "convert/inputs/ignore-file.json",
      {"remaining": ["CVE-2019-0003 foo", "CVE-2019-0004 foo", "CVE-2019-0008 foo"],
       "suppressed": ["CVE-2019-0001 foo ignored", "CVE-2019-0005 foo ignored", "CVE-2019-0006 foo ignored"],
       "exit": 1},
      severity="LOW", ignorefile="convert/ignore/.trivyignore"),
    C("convert-ignore-yaml",
      "filter_test 'ignore yaml' (--severity LOW): ignored 0001 (paths **/*-lock.json, statement copied), 0003, "
      "0005 (expired_at 9999-12-31), 0007 (version-less purl), 0008 (purls entry matches a PURL-less finding), 0011 "
      "(paths matched against PkgPath); kept 0004 (path mismatch), 0006 (expired 2020), 0009 (constraint qualifier "
      "absent), 0010 ('*' does not cross '/'); 0002 dropped by severity; misconfig ID200, secrets unwanted-rule "
      "and unwanted-rule2, license GPL-3.0 at __init__.py ignored.",
      "convert/inputs/ignore-yaml.json",
      {"remaining": ["CVE-2019-0004 foo", "CVE-2019-0006 foo", "CVE-2019-0009 github.com/aquasecurity/bar",
                     "CVE-2019-0010 foo"],
       "suppressed": ["CVE-2019-0001 foo ignored", "CVE-2019-0003 foo ignored", "CVE-2019-0005 foo ignored",
                      "CVE-2019-0007 github.com/aquasecurity/bar ignored", "CVE-2019-0008 foo ignored",
                      "CVE-2019-0011 lodash ignored"],
       "exit": 1},
      severity="LOW", ignorefile="convert/ignore/trivyignore.yaml"),
    C("convert-ignore-file-far-future",
      "Plain ignore file, expiry dates that hold on any day (--severity LOW): exp:9999-12-31 and 9999-12-30 are "
      "future, so 0001 and 0003 are ignored; exp:0001-01-01 is Go's zero time, which never expires (0005 ignored); "
      "0000-12-31 and 0001-01-02 are past (0004, 0006 kept); exp:2099-02-29 is no date, the line is dropped (0008 "
      "kept).",
      "convert/inputs/ignore-yaml.json",
      {"remaining": ["CVE-2019-0004 foo", "CVE-2019-0006 foo", "CVE-2019-0007 github.com/aquasecurity/bar",
                     "CVE-2019-0008 foo", "CVE-2019-0009 github.com/aquasecurity/bar", "CVE-2019-0010 foo",
                     "CVE-2019-0011 lodash"],
       "suppressed": ["CVE-2019-0001 foo ignored", "CVE-2019-0003 foo ignored", "CVE-2019-0005 foo ignored"],
       "exit": 1},
      severity="LOW", ignorefile="convert/ignore/far-future.trivyignore"),
    C("convert-ignore-yaml-far-future",
      "YAML ignore file, expired_at forms yaml.v3 decodes, on dates that hold on any day (--severity LOW): "
      "9999-12-31, 9999-12-31T23:59:59-05:00 (year 10000 in UTC), 9999-1-2, quoted \"9999-12-31T00:00:00Z\" and "
      "9999-12-31 23:59:59.999999999 are future; 0001-01-01 and 0001-01-01T01:00:00+01:00 are Go's zero time (no "
      "expiry): 0001, 0003, 0005, 0007, 0009, 0010, 0011 ignored. 0000-01-01 and one nanosecond after the zero "
      "time are past (0004, 0006 kept).",
      "convert/inputs/ignore-yaml.json",
      {"remaining": ["CVE-2019-0004 foo", "CVE-2019-0006 foo", "CVE-2019-0008 foo"],
       "suppressed": ["CVE-2019-0001 foo ignored", "CVE-2019-0003 foo ignored", "CVE-2019-0005 foo ignored",
                      "CVE-2019-0007 github.com/aquasecurity/bar ignored", "CVE-2019-0009 github.com/aquasecurity/bar ignored",
                      "CVE-2019-0010 foo ignored", "CVE-2019-0011 lodash ignored"],
       "exit": 1},
      severity="LOW", ignorefile="convert/ignore/far-future.trivyignore.yaml"),
    C("convert-duplicates-empty-fixed",
      "filter_test 'duplicates, one with empty fixed version' (--severity CRITICAL,HIGH,UNKNOWN): per key "
      "ID/PkgName/InstalledVersion/PkgPath the lexicographically larger FixedVersion wins (1.2.5 over 1.2.4; "
      "'1.9.0' over '1.10.0' as strings); empty Severity becomes UNKNOWN.",
      "convert/inputs/duplicates-empty-fixed.json",
      {"remaining": ["CVE-2018-0001 bar", "CVE-2018-0001 baz", "CVE-2018-0002 bar", "CVE-2018-0002 bar",
                     "CVE-2019-0002 bar", "CVE-2019-0003 qux"], "suppressed": [], "exit": 1},
      severity="CRITICAL,HIGH,UNKNOWN"),
    C("convert-duplicates-paths",
      "filter_test 'duplicates and different package paths': PkgPath is part of the dedup key; same path "
      "keeps the larger FixedVersion.",
      "convert/inputs/duplicates-paths.json",
      {"remaining": ["CVE-2019-0001 bar", "CVE-2019-0001 bar", "CVE-2019-0002 baz", "CVE-2019-0003 bar",
                     "CVE-2019-0003 bar"], "suppressed": [], "exit": 1},
      severity="CRITICAL,HIGH,UNKNOWN"),
    C("convert-duplicates-pkgids",
      "Same ID/PkgName/InstalledVersion/PkgPath but different PkgID: PkgID is part of Trivy 0.76's dedup key, so "
      "both CVE-2019-0001 entries stay; same PkgID keeps the larger FixedVersion (1.0.2).",
      "convert/inputs/duplicates-pkgids.json",
      {"remaining": ["CVE-2019-0001 org.example:bar", "CVE-2019-0001 org.example:bar",
                     "CVE-2019-0002 org.example:baz"], "suppressed": [], "exit": 1},
      severity=ALL_SEV),
    # ---------------- trivy convert: how Go's encoding/json reads a report ----------------------
    C("convert-go-keys-ascii-case",
      "Keys in another ASCII case select the field (Go matches keys case-insensitively): \"severity\": \"HIGH\", "
      "\"SEVERITY\": \"CRITICAL\" and a finding with every key in lower case all count; the \"sEvErItY\": \"LOW\" "
      "one goes under --severity HIGH,CRITICAL.",
      "convert/inputs/go-keys-ascii-case.json",
      {"remaining": ["CVE-2019-0101 example.com/lower", "CVE-2019-0102 example.com/upper",
                     "CVE-2019-0104 example.com/allkeys"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL"),
    C("convert-go-keys-unicode-fold",
      "Go's Unicode key folding: \"\u017feverity\" (long s, raw and escaped) is Severity and \"P\u212agName\" "
      "(Kelvin sign) is PkgName; \"S\u00e9verity\", \"Severity\u017f\" and \"Sever\u0131ty\" (dotless i) fold to no "
      "field, so those two findings have no severity (UNKNOWN) and go under --severity HIGH,CRITICAL.",
      "convert/inputs/go-keys-unicode-fold.json",
      {"remaining": ["CVE-2019-0201 example.com/longs", "CVE-2019-0202 example.com/longs-escaped",
                     "CVE-2019-0203 example.com/kelvin"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL"),
    C("convert-go-duplicate-keys",
      "Duplicate keys: the last wins (LOW then CRITICAL is CRITICAL; CRITICAL then LOW is LOW; \"Severity\" then "
      "\"severity\" is the second; Status fixed then affected is affected).",
      "convert/inputs/go-duplicate-keys.json",
      {"remaining": ["CVE-2019-0301 example.com/dup", "CVE-2019-0304 example.com/dup"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL"),
    C("convert-go-null-values",
      "null leaves a string as it was (no severity: UNKNOWN; CRITICAL then null: CRITICAL) and makes the status "
      "unknown (trivy-db types.Status reads null as unknown).",
      "convert/inputs/go-null-values.json",
      {"remaining": ["CVE-2019-0401 example.com/null", "CVE-2019-0402 example.com/null",
                     "CVE-2019-0403 example.com/null"], "suppressed": [], "exit": 1},
      severity=ALL_SEV),
    C("convert-go-array-vulnerability",
      "An array where a vulnerability object belongs: Go's decoder fails and Trivy refuses the whole report.",
      "convert/inputs/go-array-vulnerability.json",
      {"fatal": "json: cannot unmarshal array into Report.Results.0.Vulnerabilities.1 of type "
                "types.DetectedVulnerability", "exit": 1},
      severity="HIGH,CRITICAL"),
    # ---------------- trivy convert on the upstream goldens ----------------------------------
    C("upstream-centos-7-medium",
      "centos-7 golden, --severity MEDIUM + ignore-unfixed (Rego stand-in): reproduces expected/centos-7-medium.",
      "../upstream/trivy/centos-7.json.golden",
      {"remaining": ["CVE-2019-1559 openssl-libs"], "suppressed": [], "exit": 1},
      severity="MEDIUM", ignore_unfixed=True),
    C("upstream-centos-7-medium-keep-unfixed",
      "centos-7 golden, --severity MEDIUM, ignore-unfixed=false (the issue's 'centos-7-medium' flag combo).",
      "../upstream/trivy/centos-7.json.golden",
      {"remaining": ["CVE-2019-1559 openssl-libs"], "suppressed": [], "exit": 1},
      severity="MEDIUM"),
    C("upstream-debian-buster-ignore-unfixed",
      "debian-buster golden, all severities + ignore-unfixed (Rego stand-in).",
      "../upstream/trivy/debian-buster.json.golden",
      {"remaining": ["CVE-2019-18224 libidn2-0"], "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_unfixed=True),
    C("upstream-ubuntu-1804-default-policy",
      "ubuntu-1804 golden under the default policy (HIGH,CRITICAL + ignore-unfixed): nothing remains, exit 0.",
      "../upstream/trivy/ubuntu-1804.json.golden",
      {"remaining": [], "suppressed": [], "exit": 0},
      severity="HIGH,CRITICAL", ignore_unfixed=True),
    C("upstream-alpine-310-ignorefile",
      "alpine-310 golden, plain ignore file naming CVE-2019-1549: both libcrypto1.1 and libssl1.1 findings of it "
      "are ignored.",
      "../upstream/trivy/alpine-310.json.golden",
      {"remaining": ["CVE-2019-1551 libcrypto1.1", "CVE-2019-1551 libssl1.1"],
       "suppressed": ["CVE-2019-1549 libcrypto1.1 ignored", "CVE-2019-1549 libssl1.1 ignored"], "exit": 1},
      severity=ALL_SEV, ignorefile="convert/ignore/alpine-310.trivyignore"),
    C("upstream-centos-7-yaml-paths-purls",
      "centos-7 golden, YAML ignore: path glob testdata/fixtures/images/*.tar.gz* matches the odd OS Target; a "
      "purl constraint with arch=aarch64 does not match the x86_64 openssl-libs.",
      "../upstream/trivy/centos-7.json.golden",
      {"remaining": ["CVE-2018-0734 openssl-libs", "CVE-2019-1559 openssl-libs"],
       "suppressed": ["CVE-2019-18276 bash ignored"], "exit": 1},
      severity=ALL_SEV, ignorefile="convert/ignore/centos-7.trivyignore.yaml"),
    C("upstream-busybox-cargo-high",
      "busybox-with-lockfile golden (Cargo.lock result), --severity HIGH,CRITICAL.",
      "../upstream/trivy/busybox-with-lockfile.json.golden",
      {"remaining": ["CVE-2019-15542 ammonia"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL"),
    C("upstream-npm-with-suppressed",
      "npm-with-suppressed golden: the VEX suppression already in ExperimentalModifiedFindings survives convert; "
      "--severity HIGH,CRITICAL keeps the HIGH debug finding.",
      "../upstream/trivy/npm-with-suppressed.json.golden",
      None,
      severity="HIGH,CRITICAL"),
    C("upstream-gomod-unknown-only",
      "gomod golden (three go.mod results), --severity UNKNOWN.",
      "../upstream/trivy/gomod.json.golden",
      None,
      severity="UNKNOWN"),
    C("upstream-ubi-7-ignore-status",
      "ubi-7-comprehensive golden, ignore-status will_not_fix,end_of_life (Rego stand-in): the bash will_not_fix "
      "finding goes, setuptools (python-pkg) stays.",
      "../upstream/trivy/ubi-7-comprehensive.json.golden",
      {"remaining": ["CVE-2022-40897 setuptools"], "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_status=["will_not_fix", "end_of_life"]),

    # ---------------- scans with the fixture DB: the gate filters -----------------------------
    S("scan-deb-all",
      "Debian 12 rootfs, no filter flags at all (Trivy's defaults: all severities, unfixed kept): 19 findings incl. bash matched on the "
      "source version 5.2.15-2 while the report shows 5.2.15-2+b8.",
      "deb12-rootfs", {"count": 19, "suppressed": [], "exit": 1}),
    S("scan-deb-default-policy",
      "Debian 12 rootfs, the default --severity HIGH,CRITICAL --ignore-unfixed: bash and the two openssl "
      "findings remain; the CRITICAL will_not_fix zlib finding goes.",
      "deb12-rootfs",
      {"remaining": ["CVE-2022-3715 bash", "CVE-2025-9230 libssl3", "CVE-2025-9230 openssl"], "suppressed": [],
       "exit": 1},
      severity="HIGH,CRITICAL", ignore_unfixed=True),
    S("scan-deb-critical-ignore-unfixed",
      "--severity CRITICAL --ignore-unfixed: only an unfixed CRITICAL exists, so nothing remains; exit 0.",
      "deb12-rootfs", {"remaining": [], "suppressed": [], "exit": 0},
      severity="CRITICAL", ignore_unfixed=True),
    S("scan-deb-severity-unknown-low",
      "--severity UNKNOWN,LOW (a set, not a threshold), unfixed kept.",
      "deb12-rootfs", {"count": 11, "suppressed": [], "exit": 1},
      severity="UNKNOWN,LOW"),
    S("scan-deb-ignore-status",
      "--ignore-status will_not_fix,end_of_life,fix_deferred: fixed, affected and under_investigation stay.",
      "deb12-rootfs", {"count": 13, "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_status=["will_not_fix", "end_of_life", "fix_deferred"]),
    S("scan-deb-ignore-status-and-unfixed",
      "--ignore-unfixed together with --ignore-status affected: Trivy warns and --ignore-status wins, so "
      "will_not_fix, fix_deferred, end_of_life and under_investigation findings stay.",
      "deb12-rootfs", {"count": 15, "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_unfixed=True, ignore_status=["affected"]),
    S("scan-deb-plain-ignorefile",
      "Plain ignore file: CVE-2023-45853 ignored; CVE-2025-9230 exp:9999-12-31 ignored on both packages; "
      "CVE-2005-2541 exp:2020-01-01 expired so kept.",
      "deb12-rootfs",
      {"count": 16, "suppressed": ["CVE-2023-45853 zlib1g ignored", "CVE-2025-9230 libssl3 ignored",
                                   "CVE-2025-9230 openssl ignored"], "exit": 1},
      severity=ALL_SEV, ignorefile="ignore/deb.trivyignore"),
    S("scan-deb-plain-ignorefile-unfixed",
      "Same ignore file plus --ignore-unfixed: the status filter runs first, so the unfixed zlib finding vanishes "
      "instead of being recorded as ignored.",
      "deb12-rootfs",
      {"remaining": ["CVE-2022-3715 bash", "CVE-2023-4641 login", "CVE-2023-4641 passwd", "CVE-2025-9086 curl",
                     "CVE-2025-9086 libcurl4"],
       "suppressed": ["CVE-2025-9230 libssl3 ignored", "CVE-2025-9230 openssl ignored"], "exit": 1},
      severity=ALL_SEV, ignore_unfixed=True, ignorefile="ignore/deb.trivyignore"),
    S("scan-deb-yaml-ignorefile",
      "YAML ignore file: purls pkg:deb/debian/libssl3 ignores CVE-2025-9230 on libssl3 only; epoch as qualifier "
      "(login?epoch=1) matches, epoch inside the version (passwd@1:...) does not; a Target glob 'oracle-deb12 *' "
      "ignores CVE-2010-4756; statement copied.",
      "deb12-rootfs",
      {"count": 15, "suppressed": ["CVE-2010-4756 libc6 ignored", "CVE-2023-4641 login ignored",
                                   "CVE-2025-9230 libssl3 ignored", "CVE-2025-9086 libcurl4 ignored"], "exit": 1},
      severity=ALL_SEV, ignorefile="ignore/deb.trivyignore.yaml"),
    S("scan-cargo-high-critical",
      "Two Cargo.lock projects, --severity HIGH,CRITICAL, unfixed kept: regex and smallvec in each.",
      "cargo", {"remaining": ["CVE-2021-25900 smallvec", "CVE-2021-25900 smallvec", "CVE-2022-24713 regex",
                              "CVE-2022-24713 regex"], "suppressed": [], "exit": 1},
      severity="HIGH,CRITICAL"),
    S("scan-cargo-ignore-unfixed",
      "Cargo.lock projects, all severities + --ignore-unfixed: the atty advisory (no patched version, status "
      "affected) goes; range-text FixedVersions count as fixed.",
      "cargo", {"count": 6, "suppressed": [], "exit": 1},
      severity=ALL_SEV, ignore_unfixed=True),
    S("scan-npm-yaml-paths",
      "package-lock.json, YAML ignore with paths '**/package-lock.json' for minimist: ignored with its statement.",
      "npm", {"remaining": ["CVE-2021-23337 lodash"], "suppressed": ["CVE-2021-44906 minimist ignored"], "exit": 1},
      severity=ALL_SEV, ignorefile="ignore/npm.trivyignore.yaml"),
    S("scan-gomod-medium",
      "go.mod project, --severity MEDIUM.",
      "gomod", {"remaining": ["CVE-2022-23628 github.com/open-policy-agent/opa"], "suppressed": [], "exit": 1},
      severity="MEDIUM"),

    # ---------------- scans with --vex ----------------------------------------------
    S("vex-deb-versioned-product",
      "Versioned package product pkg:deb/debian/libssl3@3.0.19-1~deb12u2 (raw '~' as in Trivy's PURL): libssl3 "
      "suppressed not_affected, openssl (same CVE) kept.",
      "deb12-rootfs", {"count": 18, "suppressed": ["CVE-2025-9230 libssl3 not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-versioned.openvex.json"]),
    S("vex-deb-versionless-fixed",
      "Version-less product pkg:deb/debian/curl, no subcomponents, status fixed: curl suppressed (status fixed), "
      "and so is libcurl4, because its only path to the root goes through curl (a product without subcomponents "
      "covers every descendant reached only through it).",
      "deb12-rootfs", {"count": 17, "suppressed": ["CVE-2025-9086 curl fixed", "CVE-2025-9086 libcurl4 fixed"],
                       "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-versionless-fixed.openvex.json"]),
    S("vex-deb-qualifier-match",
      "Product with qualifiers arch=amd64&distro=debian-12.11 and a raw '+' in the version (Trivy writes %2B): "
      "both qualifiers are in Trivy's PURL, suppressed.",
      "deb12-rootfs", {"count": 18, "suppressed": ["CVE-2025-9086 libcurl4 not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-qualifier-match.openvex.json"]),
    S("vex-deb-qualifier-mismatch",
      "Product qualifier distro=debian-12 while Trivy says distro=debian-12.11: no match, kept.",
      "deb12-rootfs", {"count": 19, "suppressed": [], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-qualifier-mismatch.openvex.json"]),
    S("vex-deb-affected-under-investigation",
      "Statuses affected (zlib1g) and under_investigation (tar) never suppress.",
      "deb12-rootfs", {"count": 19, "suppressed": [], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-affected-under-investigation.openvex.json"]),
    S("vex-deb-timestamps",
      "Two statements with different timestamps, last (newest) wins whatever the document order: bash "
      "not_affected@2024 then affected@2025 -> kept; coreutils not_affected@2025 before affected@2024 -> suppressed.",
      "deb12-rootfs", {"count": 18, "suppressed": ["CVE-2016-2781 coreutils not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-timestamps.openvex.json"]),
    S("vex-deb-timestamp-tie",
      "Timestamp tie (both inherit the document timestamp): the first statement in the document wins: openssl "
      "not_affected-then-affected -> suppressed; login affected-then-not_affected -> kept.",
      "deb12-rootfs", {"count": 18, "suppressed": ["CVE-2025-27587 openssl not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-timestamp-tie.openvex.json"]),
    S("vex-deb-epoch",
      "Epoch: login@4.13+dfsg1-1+deb12u2?epoch=1 matches; passwd@1:4.13+dfsg1-1+deb12u2 (epoch in the version) "
      "does not; zlib1g@1.2.13.dfsg-1?epoch=1 matches.",
      "deb12-rootfs", {"count": 17, "suppressed": ["CVE-2023-4641 login not_affected",
                                                   "CVE-2023-45853 zlib1g not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-epoch.openvex.json"]),
    S("vex-deb-every-path-one-parent",
      "dpkg graph: libssl3 is depended on by libcurl4 and openssl; a statement for product libcurl4 + "
      "subcomponent libssl3 blocks one path only, so libssl3 is kept.",
      "deb12-rootfs", {"count": 19, "suppressed": [], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-every-path-one-parent.openvex.json"]),
    S("vex-deb-every-path-all-parents",
      "Products libcurl4 and openssl, each with subcomponent libssl3: every path blocked, libssl3 suppressed. "
      "openssl's own finding is suppressed too: a product equal to the vulnerable package matches even though "
      "the statement lists subcomponents (Trivy asks product=package with subcomponent \"\" first).",
      "deb12-rootfs", {"count": 17, "suppressed": ["CVE-2025-9230 libssl3 not_affected",
                                                   "CVE-2025-9230 openssl not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/deb-every-path-all-parents.openvex.json"]),
    S("vex-deb-with-default-policy",
      "VEX after the filters: --severity HIGH,CRITICAL --ignore-unfixed plus the versioned libssl3 statement.",
      "deb12-rootfs", {"remaining": ["CVE-2022-3715 bash", "CVE-2025-9230 openssl"],
                       "suppressed": ["CVE-2025-9230 libssl3 not_affected"], "exit": 1},
      severity="HIGH,CRITICAL", ignore_unfixed=True, vex=["vex/deb-versioned.openvex.json"]),
    S("vex-cargo-alias-and-id",
      "Vulnerability matching: name RUSTSEC-2021-0145 with alias GHSA-g98v-hv3f-hcfr matches atty; "
      "RUSTSEC-2022-0013 (only in Trivy's VendorIDs) does not match regex; @id CVE-2020-26235 matches time.",
      "cargo", {"count": 4, "suppressed": ["CVE-2020-26235 time not_affected", "CVE-2020-26235 time not_affected",
                                           "GHSA-g98v-hv3f-hcfr atty not_affected",
                                           "GHSA-g98v-hv3f-hcfr atty not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/cargo-alias-and-id.openvex.json"]),
    S("vex-cargo-every-path",
      "Nested dependency, every-path rule: product parking_lot_core + subcomponent smallvec. In single/ smallvec "
      "is reached only through parking_lot_core (suppressed); in multi/ the root also depends on smallvec "
      "directly (kept).",
      "cargo", {"remaining": ["CVE-2020-26235 time @multi/Cargo.lock", "CVE-2020-26235 time @single/Cargo.lock",
                              "CVE-2021-25900 smallvec @multi/Cargo.lock", "CVE-2022-24713 regex @multi/Cargo.lock",
                              "CVE-2022-24713 regex @single/Cargo.lock", "GHSA-g98v-hv3f-hcfr atty @multi/Cargo.lock",
                              "GHSA-g98v-hv3f-hcfr atty @single/Cargo.lock"],
                "suppressed": ["CVE-2021-25900 smallvec not_affected @single/Cargo.lock"], "exit": 1},
      severity=ALL_SEV, vex=["vex/cargo-every-path.openvex.json"]),
    S("vex-cargo-root-product",
      "Version-less root-package product pkg:cargo/oracle-multi with version-less subcomponent smallvec: every "
      "path in multi/ passes the root package (suppressed); single/ has another root (kept).",
      "cargo", {"count": 7, "suppressed": ["CVE-2021-25900 smallvec not_affected @multi/Cargo.lock"], "exit": 1},
      severity=ALL_SEV, vex=["vex/cargo-root-product.openvex.json"]),
    S("vex-cargo-csaf",
      "CSAF VEX: known_not_affected on the smallvec product itself (suppressed in both projects); regex "
      "default_component_of oracle-single (suppressed in single/ only).",
      "cargo", {"count": 5, "suppressed": ["CVE-2021-25900 smallvec not_affected @multi/Cargo.lock",
                                           "CVE-2021-25900 smallvec not_affected @single/Cargo.lock",
                                           "CVE-2022-24713 regex not_affected @single/Cargo.lock"], "exit": 1},
      severity=ALL_SEV, vex=["vex/cargo.csaf.json"]),
    S("vex-gomod-root-module",
      "Upstream integration case 'gomod with local VEX file': version-less root module product "
      "pkg:golang/github.com/testdata/testdata with subcomponent opa@v0.35.0.",
      "gomod", {"remaining": ["CVE-2021-38561 golang.org/x/text"],
                "suppressed": ["CVE-2022-23628 github.com/open-policy-agent/opa not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/gomod-root-module.openvex.json"]),
    S("vex-npm-nested",
      "package-lock graph: mkdirp -> minimist single path (suppressed); lodash@4.17.21 product does not match the "
      "installed 4.17.20 (kept).",
      "npm", {"remaining": ["CVE-2021-23337 lodash"], "suppressed": ["CVE-2021-44906 minimist not_affected"],
              "exit": 1},
      severity=ALL_SEV, vex=["vex/npm-nested.openvex.json"]),
    S("vex-npm-two-sources",
      "Two --vex files in priority order: the first says affected, the second not_affected; any source saying "
      "not_affected suppresses.",
      "npm", {"remaining": ["CVE-2021-44906 minimist"], "suppressed": ["CVE-2021-23337 lodash not_affected"],
              "exit": 1},
      severity=ALL_SEV, vex=["vex/priority-first.openvex.json", "vex/priority-second.openvex.json"]),

    # ---------------- VEX documents as Trivy's decoder reads them ------------------------
    # Trivy decodes every OpenVEX file straight into go-vex's v0.2.0 structs: a value of the
    # wrong JSON type fails the scan ("fatal": Trivy's error line; vexgate must exit 2).
    S("vex-refused-vulnerability-string",
      "Legacy context https://openvex.dev/ns with v0.0.1 shapes (string vulnerability, string products): "
      "Trivy's decoder fails on the vulnerability, the scan stops.",
      "gomod", {"fatal": "json: cannot unmarshal string into Go struct field VEX.statements.0.vulnerability "
                         "of type vex.Vulnerability", "exit": 1},
      severity=ALL_SEV, vex=["vex/refused/vulnerability-string.openvex.json"]),
    S("vex-refused-products-strings",
      "v0.2.0 context, products written as strings (an image PURL and a module PURL): Trivy fails on "
      "products[0].",
      "gomod", {"fatal": "json: cannot unmarshal string into VEX.statements.0.products.0 of type vex.Product",
                "exit": 1},
      severity=ALL_SEV, vex=["vex/refused/products-strings.openvex.json"]),
    S("vex-refused-version-string",
      "v0.2.0 shapes except the document version, the string \"1\": Trivy fails.",
      "gomod", {"fatal": "json: cannot unmarshal string into Go struct field VEX.version of type int", "exit": 1},
      severity=ALL_SEV, vex=["vex/refused/version-string.openvex.json"]),
    S("vex-refused-v001-document",
      "A complete v0.0.1 document (context .../v0.0.1, string version, string vulnerability with "
      "vuln_description, string products, statement-level subcomponents): Trivy has no v0.0.1 reader and fails "
      "on the version.",
      "gomod", {"fatal": "json: cannot unmarshal string into Go struct field VEX.version of type int", "exit": 1},
      severity=ALL_SEV, vex=["vex/refused/v001-document.openvex.json"]),
    S("vex-refused-last-updated-space",
      "last_updated \"2024-05-09 16:30:00+00:00\" (a space, not T): Go's time.Time refuses it, the scan stops.",
      "gomod", {"fatal": "parsing time \"2024-05-09 16:30:00+00:00\"", "exit": 1},
      severity=ALL_SEV, vex=["vex/refused/last-updated-space.openvex.json"]),
    # What Trivy loads although the spec, the schema or go-vex's other readers would not.
    S("vex-as-trivy-reads-v001-context",
      "Context .../v0.0.1 with v0.2.0 shapes: Trivy reads it as v0.2.0 and ignores the statement-level "
      "subcomponents (x/text) and vuln_description, so the root-module product covers opa: suppressed.",
      "gomod", {"remaining": ["CVE-2021-38561 golang.org/x/text"],
                "suppressed": ["CVE-2022-23628 github.com/open-policy-agent/opa not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/as-trivy-reads/v001-context-statement-subcomponents.openvex.json"]),
    S("vex-as-trivy-reads-go-vex-rules",
      "Statements go-vex's Statement.Validate refuses (an action statement on not_affected; a justification and "
      "an impact statement on fixed), a string statement version, an unknown top-level field, no @id: Trivy "
      "applies both statements.",
      "gomod", {"remaining": [],
                "suppressed": ["CVE-2022-23628 github.com/open-policy-agent/opa not_affected",
                               "CVE-2021-38561 golang.org/x/text fixed"], "exit": 0},
      severity=ALL_SEV, vex=["vex/as-trivy-reads/go-vex-rules.openvex.json"]),
    S("vex-as-trivy-reads-key-case",
      "Keys Vulnerability/Name/Products/Status/Justification: Go matches JSON keys case-insensitively, the "
      "statement applies.",
      "gomod", {"remaining": ["CVE-2021-38561 golang.org/x/text"],
                "suppressed": ["CVE-2022-23628 github.com/open-policy-agent/opa not_affected"], "exit": 1},
      severity=ALL_SEV, vex=["vex/as-trivy-reads/key-case.openvex.json"]),
    S("vex-as-trivy-reads-empty-statements",
      "An empty statements list (the schema wants at least one): Trivy loads it, nothing is suppressed.",
      "gomod", {"count": 2, "suppressed": [], "exit": 1},
      severity=ALL_SEV, vex=["vex/as-trivy-reads/empty-statements.openvex.json"]),
    # Never-match lints: the statement as people write it, then the fix vexgate suggests.
    S("vex-lint-golang-version-without-v",
      "pkg:golang/golang.org/x/text@0.3.6 (no v): Trivy's PURL is @v0.3.6 and versions compare exactly, kept. "
      "vexgate warns golang-version-without-v.",
      "gomod", {"remaining": ["CVE-2021-38561 golang.org/x/text", "CVE-2022-23628 github.com/open-policy-agent/opa"],
                "suppressed": [], "exit": 1},
      extra={"lint": "golang-version-without-v"},
      severity=ALL_SEV, vex=["vex/lint/golang-version-without-v.openvex.json"]),
    S("vex-lint-golang-version-without-v-fixed",
      "The fix: pkg:golang/golang.org/x/text@v0.3.6, suppressed.",
      "gomod", {"remaining": ["CVE-2022-23628 github.com/open-policy-agent/opa"],
                "suppressed": ["CVE-2021-38561 golang.org/x/text not_affected"], "exit": 1},
      extra={"lint_fix_of": "vex-lint-golang-version-without-v"},
      severity=ALL_SEV, vex=["vex/lint/golang-version-without-v-fixed.openvex.json"]),
    S("vex-lint-github",
      "The project as pkg:github/testdata/testdata (opa as subcomponent), and x/text as the subcomponent "
      "pkg:github/golang/text@v0.3.6: Trivy emits no pkg:github component, both kept.",
      "gomod", {"remaining": ["CVE-2021-38561 golang.org/x/text", "CVE-2022-23628 github.com/open-policy-agent/opa"],
                "suppressed": [], "exit": 1},
      extra={"lint": "purl-type-github"},
      severity=ALL_SEV, vex=["vex/lint/github.openvex.json"]),
    S("vex-lint-github-fixed",
      "The fix: pkg:golang/ and the module paths (github.com/testdata/testdata, golang.org/x/text), both "
      "suppressed.",
      "gomod", {"remaining": [],
                "suppressed": ["CVE-2021-38561 golang.org/x/text not_affected",
                               "CVE-2022-23628 github.com/open-policy-agent/opa not_affected"], "exit": 0},
      extra={"lint_fix_of": "vex-lint-github"},
      severity=ALL_SEV, vex=["vex/lint/github-fixed.openvex.json"]),
]

def write_generated():
    """VEX documents that name the throw-away registry or the image digest of this run."""
    registry = IMAGE_REPO.split("/", 1)[0]
    digest = IMAGE_REF.rsplit("@", 1)[1]

    def doc(name, vuln, product, sub):
        return {
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": f"https://example.invalid/vex/oracle/generated/{name}",
            "author": "secure-docker-images oracle (written by scripts/oracle/regen.py)",
            "timestamp": "2025-06-01T00:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": vuln},
                "products": [{"@id": product, "subcomponents": [{"@id": sub}]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            }],
        }

    docs = {
        # The image as a pkg:docker PURL (namespace oracle, registry as repository_url).
        "lint-docker": doc("lint-docker", "CVE-2023-45853", f"pkg:docker/oracle/deb12?repository_url={registry}",
                           "pkg:deb/debian/zlib1g"),
        "lint-docker-fixed": doc("lint-docker-fixed", "CVE-2023-45853",
                                 f"pkg:oci/deb12?repository_url={IMAGE_REPO}", "pkg:deb/debian/zlib1g"),
        # The image tag as the PURL version.
        "lint-oci-version": doc("lint-oci-version", "CVE-2005-2541",
                                f"pkg:oci/deb12@1?repository_url={IMAGE_REPO}", "pkg:deb/debian/tar"),
        "lint-oci-version-fixed": doc("lint-oci-version-fixed", "CVE-2005-2541",
                                      f"pkg:oci/deb12@{digest}?repository_url={IMAGE_REPO}", "pkg:deb/debian/tar"),
    }
    os.makedirs(os.path.join(ORACLE, "vex", "generated"), exist_ok=True)
    for name, d in docs.items():
        with open(os.path.join(ORACLE, "vex", "generated", f"{name}.openvex.json"), "w") as f:
            json.dump(d, f, indent=2)
            f.write("\n")


if IMAGE_REF:
    SCENARIOS += [
        S("vex-lint-docker",
          "The registry image as pkg:docker/oracle/deb12?repository_url=<registry> + subcomponent zlib1g: Trivy's "
          "image PURL type is oci, kept.",
          "image-registry", {"count": 19, "suppressed": [], "exit": 1},
          extra={"lint": "purl-type-docker"},
          severity=ALL_SEV, vex=["vex/generated/lint-docker.openvex.json"]),
        S("vex-lint-docker-fixed",
          "The fix vexgate suggests: pkg:oci/deb12?repository_url=<registry>/oracle/deb12, zlib1g suppressed.",
          "image-registry", {"count": 18, "suppressed": ["CVE-2023-45853 zlib1g not_affected"], "exit": 1},
          extra={"lint_fix_of": "vex-lint-docker"},
          severity=ALL_SEV, vex=["vex/generated/lint-docker-fixed.openvex.json"]),
        S("vex-lint-oci-version",
          "pkg:oci/deb12@1 (the tag as version) + subcomponent tar: Trivy's image PURL version is the digest, kept.",
          "image-registry", {"count": 19, "suppressed": [], "exit": 1},
          extra={"lint": "oci-version-not-digest"},
          severity=ALL_SEV, vex=["vex/generated/lint-oci-version.openvex.json"]),
        S("vex-lint-oci-version-fixed",
          "The fix: pkg:oci/deb12@sha256:<the image digest>, tar suppressed.",
          "image-registry", {"count": 18, "suppressed": ["CVE-2005-2541 tar not_affected"], "exit": 1},
          extra={"lint_fix_of": "vex-lint-oci-version"},
          severity=ALL_SEV, vex=["vex/generated/lint-oci-version-fixed.openvex.json"]),
        S("vex-image-registry",
          "Image pulled from the local registry by digest (RepoDigests set, so Trivy builds the image PURL): "
          "pkg:oci/deb12 + subcomponent zlib1g suppresses zlib1g; the image-wide statement (no subcomponents, "
          "arch=amd64) suppresses tar; the tag= qualifier statement never matches (bash kept).",
          "image-registry", {"count": 17, "suppressed": ["CVE-2005-2541 tar not_affected",
                                                          "CVE-2023-45853 zlib1g not_affected"], "exit": 1},
          severity=ALL_SEV, vex=["vex/oci-image.openvex.json"]),
        S("vex-image-registry-repository-url",
          "Same image; product pkg:oci/deb12?repository_url=<registry>/oracle/deb12 (written by the regen script "
          "with the registry's real address) + subcomponent bash.",
          "image-registry", {"count": 18, "suppressed": ["CVE-2022-3715 bash not_affected"], "exit": 1},
          severity=ALL_SEV, vex=["vex/generated/oci-repository-url.openvex.json"]),
    ]
if IMAGE_TAR:
    SCENARIOS += [
        S("vex-image-tar",
          "The same image scanned from its docker-archive tar: no RepoDigests, no image PURL, so Trivy suppresses "
          "nothing. vexgate with --image-repo <registry>/oracle/deb12 must suppress zlib1g and tar as in "
          "vex-image-registry.",
          "image-tar", {"count": 19, "suppressed": [], "exit": 1},
          extra={"vexgate_expect": "suppressed", "vexgate_expect_suppressed": ["CVE-2005-2541", "CVE-2023-45853"]},
          severity=ALL_SEV, vex=["vex/oci-image.openvex.json"]),
    ]
    if IMAGE_REF:
        SCENARIOS += [
            S("vex-image-tar-repository-url",
              "The tar again, with the repository_url statement of vex-image-registry-repository-url: Trivy "
              "suppresses nothing; vexgate with --image-repo <registry>/oracle/deb12 must suppress bash.",
              "image-tar", {"count": 19, "suppressed": [], "exit": 1},
              extra={"vexgate_expect": "suppressed", "vexgate_expect_suppressed": ["CVE-2022-3715"]},
              severity=ALL_SEV, vex=["vex/generated/oci-repository-url.openvex.json"]),
        ]
    if IMAGE_REPO:
        for sc in SCENARIOS:
            if sc.get("target") == "image-tar":
                sc["extra"]["vexgate_extra_args"] = ["--image-repo", IMAGE_REPO]


# ---------------------------------------------------------------------------------------------
def flags_for(pol, kind):
    """(trivy args, gate args, rego_unfixed) for one policy."""
    sev = pol["severity"] or ALL_SEV
    trivy, gate, rego = [], ["--severity", sev], False
    if pol["severity"]:
        trivy += ["--severity", pol["severity"]]
    gate.append("--ignore-unfixed=" + ("true" if pol["ignore_unfixed"] else "false"))
    if pol["ignore_status"]:
        gate += ["--ignore-status", ",".join(pol["ignore_status"])]
    if kind == "scan":
        if pol["ignore_unfixed"]:
            trivy.append("--ignore-unfixed")
        if pol["ignore_status"]:
            trivy += ["--ignore-status", ",".join(pol["ignore_status"])]
    else:
        if pol["ignore_unfixed"] and pol["ignore_status"]:
            raise SystemExit("convert scenario cannot emulate both ignore-unfixed and ignore-status")
        if pol["ignore_unfixed"]:
            trivy += ["--ignore-policy", UNFIXED_REGO]
            rego = True
        elif pol["ignore_status"]:
            trivy += ["--ignore-policy", STATUS_REGO[tuple(pol["ignore_status"])]]
            rego = True
    if pol["ignorefile"]:
        trivy += ["--ignorefile", pol["ignorefile"]]
        gate += ["--ignorefile", pol["ignorefile"]]
    if pol["vex"]:
        for v in pol["vex"]:
            trivy += ["--vex", v]
            gate += ["--vex", v]
    else:
        gate += ["--vex", "none"]
    trivy.append("--show-suppressed")
    return trivy, gate, rego


def fatal_error(stderr):
    """Trivy's error for a FATAL run: the multierror items ("\t* ...") or the FATAL line's tail."""
    items = [m.group(1) for m in re.finditer(r"^\s+\* (.*)$", stderr, re.M)]
    if items:
        return "; ".join(items)
    for line in stderr.splitlines():
        if "FATAL" in line:
            if "VEX error: " in line:
                return line.split("VEX error: ")[-1].strip()
            # A report Trivy cannot decode (`trivy convert`): Go's error.
            return line.split("json decode error: ")[-1].strip()
    return None


def run_trivy(args, out, expect_fatal=False):
    cmd = [TRIVY] + args + ["--output", out]
    env = dict(os.environ, TRIVY_NO_PROGRESS="true")
    p = subprocess.run(cmd, cwd=ORACLE, env=env, capture_output=True, text=True)
    if expect_fatal:
        if os.path.exists(os.path.join(ORACLE, out)):
            os.remove(os.path.join(ORACLE, out))
        err = fatal_error(p.stderr) if "FATAL" in p.stderr else None
        if err is None:
            sys.stderr.write(p.stderr)
            raise SystemExit(f"trivy did not fail ({p.returncode}): {' '.join(args)}")
        return p.returncode, [], err
    if p.returncode not in (0, 1) or not os.path.exists(os.path.join(ORACLE, out)):
        sys.stderr.write(p.stderr)
        raise SystemExit(f"trivy failed ({p.returncode}): {' '.join(args)}")
    if p.returncode == 1 and "FATAL" in p.stderr:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"trivy error: {' '.join(args)}")
    warns = []
    for line in p.stderr.splitlines():
        m = re.match(r"^\S+\s+(WARN|ERROR)\s+(.*)$", line)
        if m:
            warns.append(f"{m.group(1)} {m.group(2).strip()}")
    return p.returncode, warns, None


def scan_base(target):
    args = list(TARGETS[target])
    cmd, rest = args[0], args[1:]
    base = [cmd, "--cache-dir", "$CACHE", "--skip-db-update", "--scanners", "vuln", "--format", "json",
            "--list-all-pkgs", "--exit-code", "1"]
    if cmd == "image":
        base += ["--cache-backend", "memory"]
    return base, rest


def subst(args):
    return [CACHE if a == "$CACHE" else a for a in args]


def keys(report, modified):
    out = []
    for r in report.get("Results") or []:
        if modified:
            for m in r.get("ExperimentalModifiedFindings") or []:
                if m["Type"] != "vulnerability":
                    continue
                if m.get("Statement") == "Filtered by Rego":
                    continue
                f = m["Finding"]
                out.append((f"{f['VulnerabilityID']} {f['PkgName']} {m['Status']}", r["Target"]))
        else:
            for v in r.get("Vulnerabilities") or []:
                out.append((f"{v['VulnerabilityID']} {v['PkgName']}", r["Target"]))
    return out


def check(name, claims, report, code, rego, fatal=None):
    if claims is None:
        return []
    errs = []
    if "fatal" in claims:
        if fatal is None or claims["fatal"] not in fatal:
            errs.append(f"fatal: claimed {claims['fatal']!r}, Trivy says {fatal!r}")
        if claims.get("exit") is not None and claims["exit"] != code:
            errs.append(f"exit: claimed {claims['exit']}, Trivy says {code}")
        return [f"{name}: {e}" for e in errs]
    for field, modified in (("remaining", False), ("suppressed", True)):
        if field not in claims:
            continue
        got = keys(report, modified)
        want = claims[field]
        if any(" @" in w for w in want):
            got = sorted(f"{k} @{t}" for k, t in got)
        else:
            got = sorted(k for k, _ in got)
        if sorted(want) != got:
            errs.append(f"{field}: claimed {sorted(want)}, Trivy says {got}")
    if "count" in claims:
        n = len(keys(report, False))
        if n != claims["count"]:
            errs.append(f"count: claimed {claims['count']}, Trivy says {n}")
    if claims.get("exit") is not None and claims["exit"] != code:
        errs.append(f"exit: claimed {claims['exit']}, Trivy says {code}")
    if rego:
        # The Rego stand-in runs after the ignore file; an unfixed finding the ignore file caught would be
        # recorded by Trivy but silently dropped by a real status filter. Refuse such scenarios.
        for r in report.get("Results") or []:
            for m in r.get("ExperimentalModifiedFindings") or []:
                if m["Type"] == "vulnerability" and m.get("Statement") != "Filtered by Rego" \
                        and m["Status"] == "ignored" and m["Finding"].get("Status") != "fixed":
                    errs.append(f"rego stand-in conflict on {m['Finding']['VulnerabilityID']}")
    return [f"{name}: {e}" for e in errs]


def upstream_vex():
    """Trivy's verdict (loads or refuses) on every upstream OpenVEX fixture."""
    base, rest = scan_base("gomod")
    root = os.path.join(ORACLE, "..", "upstream", "openvex")
    out = []
    for sub in sorted(os.listdir(root)):
        for fn in sorted(os.listdir(os.path.join(root, sub))):
            if not fn.endswith(".json"):
                continue
            vex = f"../upstream/openvex/{sub}/{fn}"
            tmp = "scan/expected/.upstream-vex.json"
            cmd = [TRIVY] + subst(base) + ["--vex", vex] + rest + ["--output", tmp]
            env = dict(os.environ, TRIVY_NO_PROGRESS="true")
            p = subprocess.run(cmd, cwd=ORACLE, env=env, capture_output=True, text=True)
            loads = "FATAL" not in p.stderr
            if os.path.exists(os.path.join(ORACLE, tmp)):
                os.remove(os.path.join(ORACLE, tmp))
            if loads and p.returncode not in (0, 1):
                sys.stderr.write(p.stderr)
                raise SystemExit(f"trivy failed ({p.returncode}) on {vex}")
            out.append({"vex": vex, "trivy_loads": loads, "trivy_exit_code": p.returncode,
                        "trivy_error": None if loads else fatal_error(p.stderr)})
            print(f"  upstream {vex:<70} {'loads' if loads else 'refused'}")
    return out


# Statement timestamps for Go's time.Time, each in TIMESTAMP_TEMPLATE, given to trivy fs on the
# go.mod target: which ones Trivy loads.
TIMESTAMPS = [
    "2023-01-16T19:07:16-06:00", "2024-06-01T12:00:00+05:30", "2023-02-03T03:59:00-00:00",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2016-12-31T3:59:00Z", "2016-12-31T03:59:00,5Z",
    "2016-12-31T03:59:00.1234567891234Z", "2023-02-03T03:59:00.000000000Z", "2023-02-03T03:59:00+24:00",
    "2023-02-03T03:59:00+23:60", "2023-02-03T03:59:00+24:61", "2023-02-03T03:59:00+25:00",
    "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
    "2023-02-30T03:59:00Z", "2023-02-03T24:00:00Z", "2016-12-31T23:59:60Z", "", "yesterday",
    "2024-01-01 00:00:00Z", "2016-12-31t23:59:00z", "2016-12-31T23:59:00z", "2016-12-31T03:59Z",
    "2016-12-31T03:59:00+0100", "2016-12-31T03:59:00", " 2023-02-03T03:59:00Z", "2023-02-03T03:59:00Z ",
    "2023-2-03T03:59:00Z", "+2023-02-03T03:59:00Z", "2023-02-03T03:59:00.Z", "2024-05-09T16:30:00+00:00Z",
]
TIMESTAMP_TEMPLATE = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.invalid/vex/oracle/timestamp",
    "author": "secure-docker-images oracle",
    "version": 1,
    "statements": [{
        "vulnerability": {"name": "CVE-2022-23628"},
        "timestamp": "TIMESTAMP",
        "products": [{"@id": "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"}],
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
    }],
}


def go_timestamps():
    """Trivy's verdict on each of TIMESTAMPS as a statement timestamp."""
    base, rest = scan_base("gomod")
    out = []
    for ts in TIMESTAMPS:
        doc = json.loads(json.dumps(TIMESTAMP_TEMPLATE).replace('"TIMESTAMP"', json.dumps(ts)))
        vex = "scan/expected/.timestamp.openvex.json"
        with open(os.path.join(ORACLE, vex), "w") as f:
            json.dump(doc, f)
        tmp = "scan/expected/.timestamp-report.json"
        cmd = [TRIVY] + subst(base) + ["--vex", vex] + rest + ["--output", tmp]
        env = dict(os.environ, TRIVY_NO_PROGRESS="true")
        p = subprocess.run(cmd, cwd=ORACLE, env=env, capture_output=True, text=True)
        for fn in (vex, tmp):
            if os.path.exists(os.path.join(ORACLE, fn)):
                os.remove(os.path.join(ORACLE, fn))
        loads = "FATAL" not in p.stderr
        if loads and p.returncode not in (0, 1):
            sys.stderr.write(p.stderr)
            raise SystemExit(f"trivy failed ({p.returncode}) on timestamp {ts!r}")
        out.append({"timestamp": ts, "trivy_loads": loads,
                    "trivy_error": None if loads else fatal_error(p.stderr)})
        print(f"  timestamp {ts!r:<40} {'loads' if loads else 'refused'}")
    return out


def update_readme(manifest):
    """Rewrite the scenario table between the markers in testdata/oracle/README.md."""
    path = os.path.join(ORACLE, "README.md")
    if not os.path.exists(path):
        return
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- scenarios:begin -->", "<!-- scenarios:end -->"
    if begin not in text or end not in text:
        return
    rows = ["| scenario | kind | Trivy flags | exit | what it shows |", "|---|---|---|---|---|"]
    for sc in manifest["scenarios"]:
        flags = " ".join(a for a in sc["trivy_args"] if a != "--show-suppressed") or "(none)"
        desc = sc["description"].replace("|", "\\|")
        code = f"{sc['trivy_exit_code']} (FATAL)" if sc.get("trivy_fatal") else sc["trivy_exit_code"]
        rows.append(f"| `{sc['name']}` | {sc['kind']} | `{flags}` | {code} | {desc} |")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail)


def merge_manifest(manifest):
    """Put this run's scenarios into the existing manifest.json, by name, in SCENARIOS order, keeping every
    other entry (a convert scenario needs neither the fixture DB nor the registry of a full run)."""
    path = os.path.join(ORACLE, "manifest.json")
    with open(path) as f:
        old = json.load(f)
    fresh = {sc["name"]: sc for sc in manifest["scenarios"]}
    order = [sc["name"] for sc in SCENARIOS]
    entries = [fresh.pop(e["name"], e) for e in old["scenarios"]]
    for name, entry in fresh.items():
        # After the nearest earlier scenario (in SCENARIOS order) that the manifest holds.
        before = order[:order.index(name)]
        at = max((i + 1 for i, e in enumerate(entries) if e["name"] in before), default=0)
        entries.insert(at, entry)
    old["scenarios"] = entries
    return old


def main():
    os.makedirs(os.path.join(ORACLE, "convert", "expected"), exist_ok=True)
    os.makedirs(os.path.join(ORACLE, "scan", "unfiltered"), exist_ok=True)
    os.makedirs(os.path.join(ORACLE, "scan", "expected"), exist_ok=True)
    args = sys.argv[1:]
    merge = bool(args) and args[0] == "--merge"
    only = set(args[1:] if merge else args)
    if merge:
        known = {sc["name"]: sc["kind"] for sc in SCENARIOS}
        bad = sorted(n for n in only if known.get(n) != "convert")
        if bad or not only:
            raise SystemExit(f"--merge takes convert scenario names; not convert scenarios: {bad}")
    manifest = {"trivy_version": "0.76.0",
                "notes": [
                    "All paths are relative to testdata/oracle; every command ran with cwd = <cwd> (also relative to "
                    "testdata/oracle), so relative --vex/--ignorefile values equal the Source strings in the outputs.",
                    "unfiltered = Trivy's report with --list-all-pkgs and all severities (for convert scenarios: the "
                    "input report given to trivy convert). expected = Trivy's output with trivy_args "
                    "(which include --show-suppressed). trivy_exit_code is with --exit-code 1.",
                    "rego_unfixed: trivy convert has no --ignore-unfixed/--ignore-status; a Rego policy stood in. Its "
                    "drops appear in ExperimentalModifiedFindings as Status 'ignored', Statement 'Filtered by Rego', "
                    "Source policy/*.rego, while vexgate's status filter drops them silently: discard those entries "
                    "before comparing. The regen script refuses scenarios where the Rego order would differ otherwise.",
                    "CreatedAt and ReportID are as Trivy wrote them; compare after removing them.",
                    "vexgate_extra_args / vexgate_expect: vexgate must differ from Trivy here on purpose ("
                    "--image-repo); with vexgate_extra_args added, the listed IDs must be suppressed.",
                    "Order: Vulnerabilities are sorted by Trivy (deterministic), but ExperimentalModifiedFindings "
                    "from Rego come out in Go map order and change from run to run: compare them as a multiset.",
                    "Registry host:port in image scenarios is the real address of the run that wrote them "
                    "(a random free port on 127.0.0.1); it is plain data, the tests need no registry.",
                    "trivy_fatal: Trivy refused the VEX document and the scan failed (FATAL, exit code 1, no output); "
                    "this is its error (after 'unable to decode VEX:'). expected is null; vexgate must exit 2.",
                    "lint / lint_fix_of: the scenario's VEX has a statement vexgate lints with this code (it must "
                    "warn), and the named scenario's VEX is the fix vexgate suggests (no lint; Trivy suppresses).",
                    "upstream_vex: every upstream OpenVEX fixture given to trivy fs on targets/gomod: whether Trivy "
                    "loaded it or failed (trivy_error); vexgate gate must refuse exactly the ones Trivy refuses.",
                    "go_timestamps: timestamp_template with its statement timestamp set to each value, given to trivy "
                    "fs on targets/gomod: whether Trivy's time.Time parse accepted it.",
                ],
                "scenarios": []}
    if not only:
        # Start from scratch so a renamed or removed scenario leaves no stale output behind.
        for d in ("convert/expected", "scan/expected", "scan/unfiltered"):
            for fn in os.listdir(os.path.join(ORACLE, d)):
                if fn.endswith(".json"):
                    os.remove(os.path.join(ORACLE, d, fn))
    if IMAGE_REF and IMAGE_REPO:
        write_generated()
    unfiltered_done = {}
    failures = []
    for sc in SCENARIOS:
        if only and sc["name"] not in only:
            continue
        trivy_args, gate_args, rego = flags_for(sc["policy"], sc["kind"])
        expected = f"{sc['kind']}/expected/{sc['name']}.json"
        fatal_expected = "fatal" in (sc["claims"] or {})
        if sc["kind"] == "convert":
            unfiltered = sc["input"]
            cmd = ["convert", "--format", "json", "--exit-code", "1"] + trivy_args + [sc["input"]]
            code, warns, fatal = run_trivy(cmd, expected, expect_fatal=fatal_expected)
            shown = cmd
        else:
            base, rest = scan_base(sc["target"])
            unfiltered = f"scan/unfiltered/{sc['target']}.json"
            if sc["target"] not in unfiltered_done:
                run_trivy(subst(base + ["--severity", ALL_SEV] + rest), unfiltered)
                unfiltered_done[sc["target"]] = True
            cmd = base + trivy_args + rest
            code, warns, fatal = run_trivy(subst(cmd), expected, expect_fatal=fatal_expected)
            shown = cmd
        report = {}
        if not fatal_expected:
            with open(os.path.join(ORACLE, expected)) as f:
                report = json.load(f)
        failures += check(sc["name"], sc["claims"], report, code, rego, fatal)
        entry = {"name": sc["name"], "description": sc["description"], "kind": sc["kind"],
                 "unfiltered": unfiltered, "trivy_args": trivy_args, "gate_args": gate_args,
                 "expected": None if fatal_expected else expected, "trivy_exit_code": code, "cwd": ".",
                 "trivy_command": ["trivy"] + shown + ["--output", expected]}
        if fatal_expected:
            entry["trivy_fatal"] = fatal
        if rego:
            entry["rego_unfixed"] = True
        if warns:
            entry["trivy_warnings"] = sorted(set(w for w in warns if "$CACHE" not in w and CACHE not in w))
        entry.update(sc.get("extra") or {})
        manifest["scenarios"].append(entry)
        n_left = len(keys(report, False))
        n_sup = len(keys(report, True))
        print(f"  {sc['name']:<42} exit={code} remaining={n_left:<3} suppressed={n_sup}")
    if not only:
        manifest["upstream_vex"] = upstream_vex()
        manifest["timestamp_template"] = TIMESTAMP_TEMPLATE
        manifest["go_timestamps"] = go_timestamps()
    if merge:
        manifest = merge_manifest(manifest)
    if not only or merge:
        with open(os.path.join(ORACLE, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        update_readme(manifest)
    if failures:
        print("\nClaims Trivy did not confirm:", file=sys.stderr)
        for e in failures:
            print("  " + e, file=sys.stderr)
        raise SystemExit(1)
    print(f"{len(manifest['scenarios'])} scenarios "
          f"({sum(1 for s in manifest['scenarios'] if s['kind'] == 'convert')} convert, "
          f"{sum(1 for s in manifest['scenarios'] if s['kind'] == 'scan')} scan, "
          f"{sum(1 for s in manifest['scenarios'] if s['gate_args'][-1] != 'none' or '--vex' in s['trivy_args'])} with VEX)")


if __name__ == "__main__":
    main()
