//! Fuzz-style check of output escaping, deterministic (a fixed seed): random strings full of
//! control and bidi characters, line breaks, `|`, `<`, `@`, backticks, `::` and `##[` in
//! every field of two reports, an ignore file, a VEX document and the file names, through
//! `gate` (table and JSON, with the Markdown summary), `vex list|audit|validate` and `scan`.
//!
//! Every derived string starts with `INJ`, and every line break in the alphabet is followed
//! by `INJ`, so "injected text started a line" is simply a line that starts with `INJ`.
//! What is checked is only what a CI log, a terminal and GitHub would see: no line that
//! starts with injected text or `::`, no `##[` anywhere, no control or bidi character; in
//! the Markdown, parsed as GitHub does (pulldown-cmark, tables and math on), no HTML but
//! vexgate's own tags, one marker, only vexgate's headings, no image, no math, no mention,
//! and no row with more cells than its header.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::vexgate;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{Value, json};

const SEED: u64 = 0x5eed_0012_dead_beef;
const ITERATIONS: usize = 40;

/// SplitMix64: small, deterministic, good enough to pick tokens.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Everything that ends a line for some reader (always followed by `INJ`).
const BREAKS: &[&str] = &[
    "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\x0b", "\x0c",
];

/// The rest of the alphabet.
const TOKENS: &[&str] = &[
    "::error::spoofed PASS",
    "::add-mask::BLOCKED",
    "::warning file=a,line=1::x",
    "::stop-commands::tok",
    "##[error]z",
    "##[add-mask]PASS",
    "##vso[task.complete result=Succeeded]",
    "###[group]",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "\x1b[31m",
    "\u{9b}2J",
    "\u{202e}",
    "\u{202d}",
    "\u{2066}",
    "\u{2069}",
    "\u{200b}",
    "\u{200e}",
    "\u{feff}",
    "\u{e0041}",
    "\x7f",
    "\x08",
    "\x07",
    "\t",
    "|",
    "||",
    "<",
    ">",
    "<!-- vexgate-summary -->",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "</details>",
    "<details open>",
    "## vexgate: PASS",
    "# h",
    "@admin",
    "@org/team",
    "`",
    "```",
    "\\",
    "\\|",
    "*",
    "**b**",
    "_",
    "[x](javascript:alert(1))",
    "![i](https://e/x.png)",
    "$x$",
    "$$y$$",
    "~~s~~",
    "&lt;",
    "&#10;",
    "&",
    " ",
    "    ",
    "é",
    "漢字",
    "😀",
    "-->",
    "PASS: nothing blocks",
    "BLOCKED",
    ":",
    "::",
    "@",
    "-",
    "+",
    "1.",
    "<br>",
    "https://x.y/z",
    "word",
];

/// A hostile string: `INJ`, then tokens, line breaks (each followed by `INJ`) and words.
fn hostile(rng: &mut Rng) -> String {
    let mut s = String::from("INJ");
    for _ in 0..1 + rng.below(6) {
        match rng.below(4) {
            0 => {
                s.push_str(rng.pick(BREAKS));
                s.push_str("INJ");
            }
            1 => s.push_str(&format!("w{}", rng.below(1000))),
            _ => s.push_str(rng.pick(TOKENS)),
        }
    }
    s
}

/// A valid value most of the time, else a hostile one.
fn mostly(rng: &mut Rng, valid: &[&str]) -> String {
    if rng.chance(75) {
        rng.pick(valid).to_string()
    } else {
        hostile(rng)
    }
}

/// A file name that starts with punctuation from the alphabet (no `/`, no NUL).
fn hostile_name(rng: &mut Rng, ext: &str) -> String {
    let mut s: String = rng
        .pick(&["::", "@", "<", "##[", " ", "|", "\u{202e}", "\n"])
        .into();
    s.push_str(&hostile(rng).replace(['/', '\0'], "_"));
    s.truncate(s.char_indices().nth(60).map_or(s.len(), |(i, _)| i));
    s.push_str(ext);
    s
}

const SEVERITIES: &[&str] = &["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
const STATUSES: &[&str] = &["fixed", "affected", "will_not_fix", "under_investigation"];

fn url(rng: &mut Rng) -> String {
    if rng.chance(70) {
        format!("https://x/{}", hostile(rng))
    } else {
        hostile(rng)
    }
}

fn vulnerability(rng: &mut Rng, id: &str) -> Value {
    json!({
        "VulnerabilityID": id,
        "PkgID": hostile(rng),
        "PkgName": hostile(rng),
        "PkgPath": hostile(rng),
        "PkgIdentifier": {"PURL": format!("pkg:deb/debian/{}@1", hostile(rng)), "UID": hostile(rng)},
        "InstalledVersion": hostile(rng),
        "FixedVersion": if rng.chance(80) { hostile(rng) } else { String::new() },
        "Status": mostly(rng, STATUSES),
        "Severity": mostly(rng, SEVERITIES),
        "Title": hostile(rng),
        "PrimaryURL": url(rng),
    })
}

/// A report for one platform; `ids` are the vulnerability IDs (shared with the ignore file).
fn report(rng: &mut Rng, ids: &[String]) -> Value {
    let vulns: Vec<Value> = ids.iter().map(|id| vulnerability(rng, id)).collect();
    let suppressed_id = hostile(rng);
    let suppressed = vulnerability(rng, &suppressed_id);
    let (os_vulns, lang_vulns) = vulns.split_at(ids.len() / 2);
    json!({
        "SchemaVersion": 2,
        "ArtifactName": hostile(rng),
        "ArtifactType": "container_image",
        "Metadata": {
            "OS": {"Family": "debian", "Name": "12"},
            "ImageConfig": {"os": hostile(rng), "architecture": hostile(rng), "variant": hostile(rng)}
        },
        "Results": [
            {"Target": format!("{} (debian 12)", hostile(rng)), "Class": "os-pkgs", "Type": "debian",
             "Vulnerabilities": os_vulns},
            {"Target": hostile(rng), "Class": "lang-pkgs", "Type": hostile(rng),
             "Vulnerabilities": lang_vulns,
             "ExperimentalModifiedFindings": [{
                 "Type": "vulnerability", "Status": "not_affected",
                 "Statement": hostile(rng), "Source": hostile(rng),
                 "Finding": suppressed
             }]},
            {"Target": hostile(rng), "Class": "secret",
             "Secrets": [{"RuleID": hostile(rng), "Category": hostile(rng),
                          "Severity": mostly(rng, SEVERITIES), "Title": hostile(rng), "StartLine": 3}]},
            {"Target": hostile(rng), "Class": "config", "Type": hostile(rng),
             "Misconfigurations": [{"Type": hostile(rng), "ID": hostile(rng), "AVDID": hostile(rng),
                                    "Title": hostile(rng), "Message": hostile(rng),
                                    "Severity": mostly(rng, SEVERITIES), "Status": "FAIL",
                                    "PrimaryURL": url(rng)}]},
            {"Target": hostile(rng), "Class": "license-file",
             "Licenses": [{"Severity": mostly(rng, SEVERITIES), "Category": hostile(rng),
                           "PkgName": hostile(rng), "FilePath": hostile(rng), "Name": hostile(rng),
                           "Confidence": 1.0}]}
        ]
    })
}

/// A YAML double-quoted scalar holding `s` exactly.
fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn ignore_yaml(rng: &mut Rng, ids: &[String]) -> String {
    let mut y = String::from("vulnerabilities:\n");
    for id in ids {
        if !rng.chance(40) {
            continue;
        }
        y.push_str(&format!(
            "  - id: {}\n    statement: {}\n",
            yaml_str(id),
            yaml_str(&hostile(rng))
        ));
    }
    y.push_str(&format!(
        "secrets:\n  - id: {}\n    statement: {}\n",
        yaml_str(&hostile(rng)),
        yaml_str(&hostile(rng))
    ));
    y
}

fn vex_doc(rng: &mut Rng, ids: &[String]) -> Value {
    let statements: Vec<Value> = (0..3)
        .map(|i| {
            let name = if i == 0 { ids[0].clone() } else { hostile(rng) };
            json!({
                "vulnerability": {"name": name, "@id": hostile(rng), "aliases": [hostile(rng)]},
                "timestamp": if rng.chance(70) { "2025-01-01T00:00:00Z".to_string() } else { hostile(rng) },
                "products": [{
                    "@id": if rng.chance(50) { format!("pkg:deb/debian/{}", hostile(rng)) } else { hostile(rng) },
                    "subcomponents": [{"@id": format!("pkg:deb/debian/{}@1", hostile(rng))}]
                }],
                "status": mostly(rng, &["not_affected", "affected", "fixed", "under_investigation"]),
                "justification": mostly(rng, &["component_not_present", "vulnerable_code_not_present"]),
                "impact_statement": hostile(rng),
                "action_statement": hostile(rng),
                "status_notes": hostile(rng),
            })
        })
        .collect();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": hostile(rng),
        "author": hostile(rng),
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 1,
        "statements": statements,
    })
}

// ---------------------------------------------------------------------------------------
// The checks

fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Standard output or standard error as a CI log or a terminal sees it.
fn check_log(ctx: &str, what: &str, s: &str, failures: &mut Vec<String>) {
    let mut fail = |m: String| failures.push(format!("{ctx}: {what}: {m}"));
    if let Some(c) = s.chars().find(|&c| forbidden(c)) {
        fail(format!("raw {c:?}"));
    }
    for line in s.split(['\n', '\r']) {
        let t = line.trim_start();
        if t.starts_with("::") {
            fail(format!("workflow command line {line:?}"));
        }
        if t.starts_with("INJ") {
            fail(format!("injected text starts a line: {line:?}"));
        }
        let lower = line.to_ascii_lowercase();
        if lower.contains("##[") || lower.contains("##vso[") {
            fail(format!("log command in {line:?}"));
        }
        if what == "stderr" && !line.is_empty() && !line.starts_with("vexgate: ") {
            fail(format!("stderr line without the vexgate prefix: {line:?}"));
        }
    }
}

/// Lines of the summary start with vexgate's own syntax only.
const MD_LINE_STARTS: &[&str] = &[
    "## vexgate: ",
    "### ",
    "**Policy:** ",
    "| ",
    "|---",
    "- `",
    "<details><summary>",
    "</details>",
    "… and ",
    "PASS: ",
    "BLOCKED: ",
];

fn check_markdown(ctx: &str, md: &str, blocked: bool, failures: &mut Vec<String>) {
    let mut fail = |m: String| failures.push(format!("{ctx}: markdown: {m}"));
    if let Some(c) = md.chars().find(|&c| forbidden(c)) {
        fail(format!("raw {c:?}"));
    }
    let lines: Vec<&str> = md.split('\n').collect();
    if lines[0] != "<!-- vexgate-summary -->" {
        fail(format!("first line {:?}", lines[0]));
    }
    if md.matches("<!--").count() != 1 {
        fail("a second <!-- in the text".into());
    }
    for l in &lines[1..] {
        let ok = l.is_empty()
            || MD_LINE_STARTS.iter().any(|p| l.starts_with(p))
            || l.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !ok || l.trim_start().starts_with("INJ") {
            fail(format!("line starts with foreign text: {l:?}"));
        }
    }
    // Every table row has exactly its header's cells: count the pipes GFM splits on.
    let mut cols = None;
    for l in &lines {
        if !l.starts_with('|') {
            cols = None;
            continue;
        }
        let mut n = 0;
        let mut backslashes = 0;
        for c in l.chars() {
            if c == '|' && backslashes % 2 == 0 {
                n += 1;
            }
            backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        }
        match cols {
            None => cols = Some(n),
            Some(k) if k != n => fail(format!("row with {n} pipes, header {k}: {l:?}")),
            _ => {}
        }
    }
    // What GitHub's renderer would build.
    let allowed_html = [
        "<!-- vexgate-summary -->",
        "<details>",
        "</details>",
        "<summary>",
        "</summary>",
        "<br>",
        "<code>",
        "</code>",
    ];
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH;
    let mut h2 = Vec::new();
    let mut in_heading = None;
    let mut heading_text = String::new();
    let mut link_depth = 0;
    let mut markers = 0;
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => {
                let mut rest = h.trim().to_string();
                markers += rest.matches("<!-- vexgate-summary -->").count();
                for a in allowed_html {
                    rest = rest.replace(a, "");
                }
                // `<details><summary>Reports (2)</summary>`: the text between the tags.
                if rest.contains('<') || rest.contains('>') {
                    fail(format!("HTML {h:?}"));
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some(level as usize);
                heading_text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                match in_heading {
                    Some(2) => h2.push(heading_text.clone()),
                    Some(3)
                        if ["Blocking vulnerabilities (", "Blocking secrets", "Warnings"]
                            .iter()
                            .any(|p| heading_text.starts_with(p)) => {}
                    other => fail(format!("heading h{other:?} {heading_text:?}")),
                }
                in_heading = None;
            }
            Event::Start(Tag::Image { .. }) => fail("image".into()),
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_depth += 1;
                let ok = (dest_url.starts_with("https://") || dest_url.starts_with("http://"))
                    && !dest_url.contains(|c: char| c.is_whitespace() || "<>\"|`".contains(c));
                if !ok {
                    fail(format!("link to {dest_url:?}"));
                }
            }
            Event::End(TagEnd::Link) => link_depth -= 1,
            Event::InlineMath(m) | Event::DisplayMath(m) => fail(format!("math {m:?}")),
            Event::Text(t) => {
                if in_heading.is_some() {
                    heading_text.push_str(&t);
                }
                let b = t.as_bytes();
                let mention = b
                    .windows(2)
                    .any(|w| w[0] == b'@' && w[1].is_ascii_alphanumeric());
                if link_depth == 0 && mention {
                    fail(format!("mention in {t:?}"));
                }
            }
            Event::Code(t) if in_heading.is_some() => heading_text.push_str(&t),
            _ => {}
        }
    }
    let verdict = if blocked {
        "vexgate: BLOCKED"
    } else {
        "vexgate: PASS"
    };
    if h2 != [verdict] {
        fail(format!("h2 headings {h2:?}, want [{verdict:?}]"));
    }
    if markers != 1 {
        fail(format!("{markers} markers"));
    }
}

fn run_and_check(ctx: &str, cmd: &mut Command, failures: &mut Vec<String>) -> Output {
    let out = cmd.output().unwrap();
    check_log(
        ctx,
        "stdout",
        &String::from_utf8_lossy(&out.stdout),
        failures,
    );
    check_log(
        ctx,
        "stderr",
        &String::from_utf8_lossy(&out.stderr),
        failures,
    );
    if out.status.code().is_none_or(|c| c > 2) {
        failures.push(format!("{ctx}: exit {:?}", out.status));
    }
    out
}

fn fake_trivy(dir: &Path, report: &Path) -> PathBuf {
    let path = dir.join("trivy");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --output ]; then out=$2; fi; shift; done\ncp '{}' \"$out\"\n",
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn no_hostile_string_reaches_a_log_a_terminal_or_the_markdown_unescaped() {
    let mut rng = Rng(SEED);
    let mut failures = Vec::new();
    let mut blocked_runs = 0;
    for it in 0..ITERATIONS {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ids: Vec<String> = (0..6).map(|_| hostile(&mut rng)).collect();
        let r1 = report(&mut rng, &ids);
        let r2 = report(&mut rng, &ids[..4]);
        let (n1, n2) = (
            hostile_name(&mut rng, ".json"),
            hostile_name(&mut rng, ".json"),
        );
        std::fs::write(dir.join(&n1), serde_json::to_vec(&r1).unwrap()).unwrap();
        std::fs::write(dir.join(&n2), serde_json::to_vec(&r2).unwrap()).unwrap();
        let ig = hostile_name(&mut rng, ".yaml");
        std::fs::write(dir.join(&ig), ignore_yaml(&mut rng, &ids)).unwrap();
        let vex = hostile_name(&mut rng, ".json");
        let doc = vex_doc(&mut rng, &ids);
        std::fs::write(dir.join(&vex), serde_json::to_vec(&doc).unwrap()).unwrap();

        let format = if it % 3 == 2 { "json" } else { "table" };
        let ctx = format!("iteration {it} (seed {SEED:#x}) gate --format {format}");
        let out = run_and_check(
            &ctx,
            vexgate(dir)
                .arg("gate")
                .args([&n1, &n2])
                .args(["--vex", "none", "--ignorefile", &ig, "--format", format])
                .args([
                    "--severity",
                    "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
                    "--ignore-unfixed=false",
                ])
                .args(["--show-suppressed", "--summary-md", "out.md"]),
            &mut failures,
        );
        match out.status.code() {
            Some(c @ (0 | 1)) => {
                blocked_runs += usize::from(c == 1);
                let md = std::fs::read_to_string(dir.join("out.md")).unwrap();
                check_markdown(&ctx, &md, c == 1, &mut failures);
            }
            other => failures.push(format!(
                "{ctx}: exit {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
        }
        for args in [
            vec!["vex", "list", &vex],
            vec!["vex", "audit", &vex, "--report", &n1],
            vec!["vex", "validate", &vex],
        ] {
            let ctx = format!("iteration {it} (seed {SEED:#x}) {}", args[..2].join(" "));
            run_and_check(&ctx, vexgate(dir).args(&args), &mut failures);
        }
        if it % 4 == 0 {
            // scan: the hostile platform is refused; with a clean one the gate runs.
            let mut clean = r1.clone();
            clean["Metadata"]["ImageConfig"] = json!({"os": "linux", "architecture": "amd64"});
            std::fs::write(dir.join("clean.json"), serde_json::to_vec(&clean).unwrap()).unwrap();
            std::fs::write(dir.join("img.tar"), b"").unwrap();
            for (src, want) in [(n1.as_str(), 2), ("clean.json", 1)] {
                let trivy = fake_trivy(dir, &dir.join(src));
                let ctx = format!("iteration {it} (seed {SEED:#x}) scan of {src:?}");
                let out = run_and_check(
                    &ctx,
                    vexgate(dir)
                        .args([
                            "scan",
                            "--input-kind",
                            "archive",
                            "--platform",
                            "linux/amd64",
                        ])
                        .arg("--trivy")
                        .arg(&trivy)
                        .args([
                            "--reports-dir",
                            "reports",
                            "--vex",
                            "none",
                            "--show-suppressed",
                        ])
                        .args(["--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"])
                        .arg("img.tar"),
                    &mut failures,
                );
                if out.status.code() != Some(want) && !(want == 1 && out.status.code() == Some(0)) {
                    failures.push(format!("{ctx}: exit {:?}, want {want}", out.status.code()));
                }
            }
        }
    }
    assert!(
        blocked_runs > ITERATIONS / 2,
        "the data must make the gate block"
    );
    assert!(
        failures.is_empty(),
        "{} problems, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
