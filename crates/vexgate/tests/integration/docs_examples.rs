//! The docs harness: every ```console block in the book (docs/src/*.md) is run and compared
//! with what it shows.
//!
//! In a block, a line `$ vexgate ARGS…` is a command, run with `sh -c` from the repository's
//! root with this build's vexgate first on PATH, NO_COLOR=1 and no VEXGATE_* or TRIVY_*
//! variable; the lines after it, up to the next `$ ` line or the end of the block, are its
//! standard output and standard error as shown, and a last line `[exit status: N]` is its
//! exit status (0 when absent). Lines are compared exactly, trailing spaces aside. A `$ `
//! line that does not start with `vexgate ` is an error, so nothing in the book goes unchecked.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::root;

#[derive(Debug)]
struct Example {
    file: String,
    line: usize,
    command: String,
    output: Vec<String>,
    status: i32,
}

/// Every example of one Markdown file.
fn examples(file: &str, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<Example> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if !in_console {
            if trimmed == "```console" {
                in_console = true;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            in_console = false;
            out.extend(current.take());
            continue;
        }
        if let Some(cmd) = trimmed.strip_prefix("$ ") {
            out.extend(current.take());
            assert!(
                cmd.starts_with("vexgate "),
                "{file}:{}: a console example must run vexgate: {cmd}",
                n + 1
            );
            current = Some(Example {
                file: file.to_string(),
                line: n + 1,
                command: cmd.to_string(),
                output: Vec::new(),
                status: 0,
            });
            continue;
        }
        let ex = current.as_mut().unwrap_or_else(|| {
            panic!(
                "{file}:{}: output before any `$ vexgate` line in a console block",
                n + 1
            )
        });
        if let Some(code) = trimmed
            .strip_prefix("[exit status: ")
            .and_then(|r| r.strip_suffix(']'))
        {
            ex.status = code.parse().expect("exit status");
        } else {
            ex.output.push(trimmed.to_string());
        }
    }
    assert!(!in_console, "{file}: unterminated console block");
    out
}

fn book() -> Vec<Example> {
    let dir = root().join("docs/src");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let name = format!("docs/src/{}", p.file_name().unwrap().to_string_lossy());
            examples(&name, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

fn run(ex: &Example, bin_dir: &Path) -> (Vec<String>, i32) {
    let mut cmd = Command::new("sh");
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("VEXGATE_") || k.starts_with("TRIVY_") {
            cmd.env_remove(&*k);
        }
    }
    let o = cmd
        .arg("-c")
        .arg(format!("exec 2>&1; {}", ex.command))
        .current_dir(root())
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    (lines, o.status.code().unwrap_or(-1))
}

#[test]
fn every_console_example_in_the_book_prints_what_it_shows() {
    let all = book();
    assert!(
        all.len() >= 4,
        "only {} console examples found in docs/src: is the harness still reading the book?",
        all.len()
    );
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vexgate"), bin.path().join("vexgate")).unwrap();
    let mut failures = Vec::new();
    for ex in &all {
        let (got, status) = run(ex, bin.path());
        if got != ex.output || status != ex.status {
            failures.push(format!(
                "{}:{}: $ {}\n--- shown (exit {})\n{}\n--- real (exit {status})\n{}",
                ex.file,
                ex.line,
                ex.command,
                ex.status,
                ex.output.join("\n"),
                got.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples differ:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// The harness notices a wrong line and a wrong exit status (it cannot pass vacuously).
#[test]
fn a_wrong_example_is_caught() {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vexgate"), bin.path().join("vexgate")).unwrap();
    let doc = "```console\n$ vexgate gate --vex none examples/missing.json\nvexgate: error: examples/missing.json: no such file\n[exit status: 2]\n```\n";
    let good = examples("t.md", doc);
    assert_eq!(good.len(), 1);
    assert_eq!(
        run(&good[0], bin.path()),
        (good[0].output.clone(), good[0].status)
    );
    for bad in [
        doc.replace("no such file", "no such fil"),
        doc.replace("[exit status: 2]", "[exit status: 1]"),
        doc.replace("[exit status: 2]\n", ""),
    ] {
        let ex = &examples("t.md", &bad)[0];
        assert_ne!(run(ex, bin.path()), (ex.output.clone(), ex.status), "{bad}");
    }
}
