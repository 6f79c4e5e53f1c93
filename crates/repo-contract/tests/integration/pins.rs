//! Every pinned version is reachable by an update tool.
//!
//! A "pin" is any version number (`1.2.3`, `v1.2.3`, `1.2.3.4`) or SHA-256 digest written
//! in the files that fetch, install or build something: the Dockerfile, the workflows, the
//! workflow scripts and scripts/*.sh. Each one must be
//!   - on a `uses: owner/repo@<sha> # vX.Y.Z` line, which Dependabot's github-actions
//!     ecosystem updates;
//!   - on a Dockerfile `FROM image:tag@sha256:...` line, which Dependabot's docker
//!     ecosystem updates (it cannot follow `FROM ${ARG}`);
//!   - inside a `currentValue`/`currentDigest` that one of renovate.json's custom managers
//!     matches, evaluated here with the same regular expressions Renovate runs; or
//!   - on the short list below of numbers that are not dependency pins, each with the
//!     reason.
//!
//! Cargo dependencies live in Cargo.toml/Cargo.lock, which Dependabot's cargo ecosystem
//! updates. `holds` runs the check on the repository; `fails_when_removed` removes an
//! update path in several ways and expects the check to name the stranded pin.

use crate::common;
use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

/// Numbers that look like pins but are not, and pins no tool can move, with why.
const NOT_UPDATED_BY_A_TOOL: &[(&str, &str, &str)] = &[
    (
        "Dockerfile",
        "0.1.0",
        "ARG VERSION=0.1.0: the image's own version label for local builds (CI passes the real one)",
    ),
    (
        ".github/scripts/install-trivy.sh",
        "1f889576636db0623539cb339df7d06c40ebf39e7919489eafa1160e29808f19",
        "the digest of the pinned Trivy: Renovate moves TRIVY_VERSION, and the script then refuses the new release until this digest is re-pinned by hand (fail closed)",
    ),
    (
        ".github/workflows/pipeline.yml",
        "0.1.0",
        "the vexgate release the pipeline installs by default: vexgate's own version, moved by a release (the contract test vexgate_action ties it to crates/vexgate/Cargo.toml)",
    ),
    (
        "action.yml",
        "0.1.0",
        "the vexgate release the Action installs by default: vexgate's own version, moved by a release (release.yml refuses a tag that differs)",
    ),
    (
        "scripts/regen-examples.sh",
        "0.76.0",
        "the Trivy version the committed example reports were made with; a new Trivy means regenerating them",
    ),
    (
        "scripts/regen-oracle.sh",
        "0.76.0",
        "the Trivy version the committed oracle outputs were made with; a new Trivy means regenerating them",
    ),
    (
        "scripts/regen-oracle.sh",
        "v0.2.0",
        "the OpenVEX spec version in a document's @context, not a dependency",
    ),
];

/// Test scripts whose numbers are test data (crate versions in fixtures, expected output).
const TEST_DATA_SCRIPTS: &[&str] = &[
    "scripts/e2e.sh",
    "scripts/test-image.sh",
    "scripts/test-helpers.sh",
    "scripts/bench-gate.sh",
    "scripts/bench-vex.sh",
    "scripts/test-release.sh",
];

#[derive(Clone)]
struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    fn load() -> Sources {
        let root = common::root();
        let mut files = BTreeMap::new();
        let mut add = |rel: String| {
            let text =
                std::fs::read_to_string(root.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
            files.insert(rel, text);
        };
        add("Dockerfile".into());
        add("renovate.json".into());
        add(".github/dependabot.yml".into());
        add("action.yml".into());
        for (dir, ext) in [
            (".github/workflows", ".yml"),
            (".github/scripts", ".sh"),
            ("scripts", ".sh"),
        ] {
            let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap_or_else(|e| panic!("{dir}: {e}"))
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(ext))
                .collect();
            names.sort();
            for n in names {
                add(format!("{dir}/{n}"));
            }
        }
        Sources { files }
    }

    fn mutated(&self, path: &str, from: &str, to: &str) -> Sources {
        let mut s = self.clone();
        let text = s.files.get_mut(path).unwrap_or_else(|| panic!("no {path}"));
        assert!(
            text.contains(from),
            "mutation no longer applies: {path} lacks {from:?}"
        );
        *text = text.replace(from, to);
        s
    }
}

/// A version or digest at a byte span of a file.
#[derive(Debug)]
struct Pin {
    file: String,
    line: usize,
    token: String,
    start: usize,
    end: usize,
}

fn find_pins(path: &str, text: &str) -> Vec<Pin> {
    let version = Regex::new(r"\bv?\d+\.\d+\.\d+(?:\.\d+)?\b").expect("regex");
    let digest = Regex::new(r"\b[0-9a-f]{64}\b").expect("regex");
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim_start();
        // Comments hold no pins, except the Dockerfile's frontend directive.
        let directive = path == "Dockerfile" && t.starts_with("# syntax=");
        if !t.starts_with('#') || directive {
            for m in version.find_iter(line).chain(digest.find_iter(line)) {
                let tok = m.as_str();
                let parts: Vec<&str> = tok.trim_start_matches('v').split('.').collect();
                // Loopback and wildcard addresses are not versions.
                if parts.len() == 4 && (parts[0] == "127" || parts.iter().all(|p| *p == "0")) {
                    continue;
                }
                out.push(Pin {
                    file: path.to_string(),
                    line: n + 1,
                    token: tok.to_string(),
                    start: offset + m.start(),
                    end: offset + m.end(),
                });
            }
        }
        offset += line.len();
    }
    out
}

/// Byte spans that Renovate's custom managers would update, per file.
fn renovate_spans(s: &Sources) -> Result<BTreeMap<String, Vec<(usize, usize)>>, String> {
    let cfg: serde_json::Value = serde_json::from_str(&s.files["renovate.json"])
        .map_err(|e| format!("renovate.json: {e}"))?;
    let enabled: Vec<&str> = cfg["enabledManagers"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut spans: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    if !enabled.contains(&"custom.regex") {
        return Ok(spans);
    }
    for m in cfg["customManagers"].as_array().into_iter().flatten() {
        if m["customType"] != "regex" {
            continue;
        }
        let patterns: Vec<Regex> = m["managerFilePatterns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .map(|p| {
                let re = p
                    .strip_prefix('/')
                    .and_then(|p| p.strip_suffix('/'))
                    .ok_or_else(|| {
                        format!("renovate.json: managerFilePatterns {p:?}: use the /regex/ form")
                    })?;
                Regex::new(re).map_err(|e| format!("renovate.json: {p:?}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let matchers: Vec<Regex> = m["matchStrings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .map(|p| Regex::new(p).map_err(|e| format!("renovate.json: matchStrings {p:?}: {e}")))
            .collect::<Result<_, _>>()?;
        let has_datasource = m.get("datasourceTemplate").is_some();
        for (path, text) in &s.files {
            if !patterns.iter().any(|p| p.is_match(path)) {
                continue;
            }
            for re in &matchers {
                for c in re.captures_iter(text) {
                    // Renovate needs a name and a datasource for every match.
                    if c.name("depName").is_none()
                        || !(has_datasource || c.name("datasource").is_some())
                    {
                        continue;
                    }
                    for g in ["currentValue", "currentDigest"] {
                        if let Some(v) = c.name(g) {
                            spans
                                .entry(path.clone())
                                .or_default()
                                .push((v.start(), v.end()));
                        }
                    }
                }
            }
        }
    }
    Ok(spans)
}

fn dependabot_ecosystems(s: &Sources) -> Result<Vec<(String, String)>, String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&s.files[".github/dependabot.yml"])
        .map_err(|e| format!(".github/dependabot.yml: {e}"))?;
    Ok(doc
        .get("updates")
        .and_then(|u| u.as_sequence())
        .into_iter()
        .flatten()
        .map(|u| {
            (
                common::field(u, "package-ecosystem").unwrap_or_default(),
                common::field(u, "directory").unwrap_or_default(),
            )
        })
        .collect())
}

fn is_digest_from(line: &str) -> bool {
    let Some(rest) = line.trim().strip_prefix("FROM ") else {
        return false;
    };
    rest.split_whitespace()
        .find(|w| !w.starts_with("--"))
        .is_some_and(|img| {
            img.split_once("@sha256:")
                .is_some_and(|(name, d)| name.contains(':') && !name.contains('$') && d.len() == 64)
        })
}

/// Every pin in the scanned files, with the tool that updates it; `Err` names each stranded one.
fn every_pin_updatable(s: &Sources) -> Result<usize, String> {
    let spans = renovate_spans(s)?;
    let eco = dependabot_ecosystems(s)?;
    let dependabot = |e: &str| eco.iter().any(|(x, d)| x == e && d == "/");
    let mut stranded = Vec::new();
    let mut n = 0;
    for (path, text) in &s.files {
        if path.ends_with(".json") || path.ends_with("dependabot.yml") {
            continue;
        }
        if TEST_DATA_SCRIPTS.contains(&path.as_str()) {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for pin in find_pins(path, text) {
            n += 1;
            let line = lines[pin.line - 1];
            let t = line.trim_start().trim_start_matches("- ");
            let by_actions =
                t.starts_with("uses:") && line.contains('@') && dependabot("github-actions");
            let by_docker = path == "Dockerfile" && is_digest_from(line) && dependabot("docker");
            let by_renovate = spans
                .get(path)
                .is_some_and(|v| v.iter().any(|(a, b)| *a <= pin.start && pin.end <= *b));
            let exempt = NOT_UPDATED_BY_A_TOOL
                .iter()
                .any(|(f, tok, _)| *f == path && *tok == pin.token);
            if !(by_actions || by_docker || by_renovate || exempt) {
                stranded.push(format!(
                    "{}:{}: {} ({})",
                    pin.file,
                    pin.line,
                    pin.token,
                    line.trim()
                ));
            }
        }
    }
    if stranded.is_empty() {
        Ok(n)
    } else {
        Err(format!(
            "{} pin(s) no update tool reaches (annotate with `# renovate: datasource=... depName=...` on the line above, or use a literal FROM image:tag@sha256):\n  {}",
            stranded.len(),
            stranded.join("\n  ")
        ))
    }
}

#[test]
fn holds() {
    let s = Sources::load();
    match every_pin_updatable(&s) {
        Ok(n) => {
            assert!(
                n >= 20,
                "only {n} pins found: is the scan still reading the files?"
            );
            eprintln!(
                "{n} pins, each reachable by Dependabot or Renovate (or listed as not a dependency)"
            );
        }
        Err(e) => panic!("{e}"),
    }
    // Every exemption still names a real token (a stale one would hide nothing, but lie).
    for (file, tok, _) in NOT_UPDATED_BY_A_TOOL {
        assert!(
            s.files.get(*file).is_some_and(|t| t.contains(tok)),
            "exemption {file} {tok} is stale"
        );
    }
    // Renovate's schema check runs in scripts/lint.sh; here the file must at least exist
    // where Renovate looks for it.
    assert!(Path::new(&common::root().join("renovate.json")).is_file());
}

#[test]
fn fails_when_removed() {
    let s = Sources::load();
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "Dockerfile",
            "# renovate: datasource=crate depName=cargo-chef\n",
            "",
            "0.1.78",
        ),
        (
            "Dockerfile",
            "ARG BIN_STAGE=build\n",
            "ARG BIN_STAGE=build\nARG MOLD_VERSION=2.40.4\n",
            "2.40.4",
        ),
        (
            "Dockerfile",
            "ARG RUST_BASE=rust-upstream",
            "ARG RUST_BASE=rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082",
            "d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082",
        ),
        (
            ".github/dependabot.yml",
            "  - package-ecosystem: docker\n",
            "  - package-ecosystem: npm\n",
            "rust-upstream",
        ),
        (
            ".github/dependabot.yml",
            "  - package-ecosystem: github-actions\n",
            "  - package-ecosystem: pip\n",
            "actions/checkout",
        ),
        (
            "renovate.json",
            "\"enabledManagers\": [\"custom.regex\"]",
            "\"enabledManagers\": [\"dockerfile\"]",
            "0.76.0",
        ),
        (
            ".github/workflows/pipeline.yml",
            "          # renovate: datasource=github-releases depName=sigstore/cosign\n          cosign-release: v3.0.6\n      - name: cosign keyless",
            "          cosign-release: v3.0.6\n      - name: cosign keyless",
            "v3.0.6",
        ),
        (
            "scripts/setup-tools.sh",
            "  zizmor==1.32.0\n",
            "  zizmor=1.32.0\n",
            "1.32.0",
        ),
        (
            "renovate.json",
            "#\\\\s*syntax=(?<depName>docker/dockerfile)",
            "#\\\\s*syntax=(?<name>docker/dockerfile)",
            "87999aa3d42bdc6bea60565083ee17e86d1f3339802f543c0d03998580f9cb89",
        ),
    ];
    for (file, from, to, want) in cases {
        let m = s.mutated(file, from, to);
        match every_pin_updatable(&m) {
            Ok(_) => panic!("removing an update path went unnoticed: {from:?} -> {to:?} in {file}"),
            Err(e) => {
                assert!(
                    e.contains(want)
                        || (*want == "rust-upstream" && e.contains("rust:1.95.0"))
                        || (*want == "actions/checkout" && e.contains("actions/checkout@")),
                    "{file}: {from:?} -> {to:?}: the message should name {want}: {e}"
                );
                eprintln!(
                    "{file}: caught: {}",
                    e.lines().nth(1).unwrap_or_default().trim()
                );
            }
        }
    }
}
