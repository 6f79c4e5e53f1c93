//! GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` or a sticky PR comment.
//!
//! The first line is the hidden marker `<!-- vexgate-summary -->`, so a workflow can find and
//! update its own comment. Then: a verdict heading with a plain status word (no emoji), the
//! policy, counts per severity × platform, the blocking findings, the suppressed ones in a
//! collapsed `<details>` block (with `show_suppressed`), warnings, and the reports read.
//! Every report-, VEX- and config-derived string goes through [`crate::escape`] (one line,
//! no HTML, no formatting, no mention, no second marker); titles are truncated,
//! and each table is capped at [`DEFAULT_MARKDOWN_MAX_ROWS`](super::DEFAULT_MARKDOWN_MAX_ROWS)
//! rows so a PR comment stays under GitHub's 65 536-character limit.

use crate::severity::Severity;
use std::io::{self, Write};

use super::view::{
    View, baseline_line, coverage_word, drift_label, exploit_lines, feeds_line, platform_label,
    platform_labels, policy_line,
};
use super::{DEFAULT_MARKDOWN_MAX_ROWS, RenderOptions};
use crate::decision::{Decision, Mark, Origin, Row};
use crate::escape::{md_code as code, md_link as link, md_text as cell};

/// The hidden marker on the first line, for sticky comments.
pub const MARKER: &str = "<!-- vexgate-summary -->";
/// Titles longer than this are cut with `…`.
const TITLE_MAX: usize = 80;

pub(super) fn render(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let view = View::new(decision);
    let max_rows = opts.markdown_max_rows.unwrap_or(DEFAULT_MARKDOWN_MAX_ROWS);

    writeln!(out, "{MARKER}")?;
    let word = if view.blocked { "BLOCKED" } else { "PASS" };
    writeln!(out, "## vexgate: {word}\n")?;
    writeln!(out, "{}\n", cell(&view.verdict_line(decision)))?;
    writeln!(
        out,
        "**Policy:** {}\n",
        cell(&policy_line(&decision.policy))
    )?;
    // The platform check (crate::expect).
    if let Some(c) = &decision.platform_check {
        writeln!(
            out,
            "**Platforms:** {}\n",
            cell(&super::view::platform_check_line(c))
        )?;
    }

    // Counts per severity × platform.
    let plats = view.platforms();
    let multi = plats.len() > 1;
    let mut head = vec!["Severity".to_string()];
    head.extend(plats.iter().map(|p| code(p)));
    if multi {
        head.push("All (distinct)".into());
    }
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|---|{}", "---:|".repeat(head.len() - 1))?;
    let per_plat: Vec<_> = plats.iter().map(|p| view.platform_counts(p)).collect();
    for (i, sev) in Severity::MOST_SEVERE_FIRST.iter().enumerate() {
        let mut cells = vec![sev.to_string()];
        cells.extend(per_plat.iter().map(|c| c.0[i].to_string()));
        if multi {
            cells.push(view.by_severity.0[i].to_string());
        }
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    let mut total = vec!["**Total**".to_string()];
    total.extend(per_plat.iter().map(|c| format!("**{}**", c.total())));
    if multi {
        total.push(format!("**{}**", view.by_severity.total()));
    }
    writeln!(out, "| {} |\n", total.join(" | "))?;

    if let Some(line) = baseline_line(decision) {
        writeln!(out, "**Baseline:** {}\n", cell(&line))?;
    }
    if let Some(line) = feeds_line(decision) {
        writeln!(out, "**Feeds:** {}\n", cell(&line))?;
    }

    if !view.blocking.is_empty() {
        writeln!(
            out,
            "### Blocking vulnerabilities ({})\n",
            view.blocking.len()
        )?;
        vuln_table(
            out,
            decision,
            &view,
            &view.blocking,
            max_rows,
            decision.baseline.is_some(),
        )?;
    }

    if !view.suppressed_kev.is_empty() {
        let denied = decision
            .feeds
            .as_ref()
            .is_some_and(|f| f.kev_suppression_failed);
        writeln!(
            out,
            "### Suppressed KEV findings ({}){}\n",
            view.suppressed_kev.len(),
            if denied {
                ", blocking (`--kev-suppression deny`)"
            } else {
                ""
            }
        )?;
        writeln!(
            out,
            "| ID | Package | KEV / EPSS | Status | Statement / justification | Source | Platforms |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for s in view.suppressed_kev.iter().take(max_rows) {
            let facts = decision.facts_of_cve(s.cve.as_deref());
            writeln!(
                out,
                "| {} | {} {} | {} | {} | {} | {} | {} |",
                link(&s.id, s.url.as_deref()),
                code(&s.pkg_name),
                code(&s.installed_version),
                cell(&exploit_lines(&facts, None).join("; ")),
                cell(s.status.as_str()),
                if s.statement.is_empty() {
                    "-".to_string()
                } else {
                    cell(&truncate(&s.statement, TITLE_MAX))
                },
                cell(&s.source),
                platforms(&platform_labels(&s.platforms)),
            )?;
        }
        more(out, view.suppressed_kev.len(), max_rows)?;
    }

    if !view.below_threshold.is_empty() {
        writeln!(
            out,
            "<details><summary>Below the EPSS threshold, not blocking ({})</summary>\n",
            view.below_threshold.len()
        )?;
        vuln_table(out, decision, &view, &view.below_threshold, max_rows, false)?;
        writeln!(out, "</details>\n")?;
    }

    if !view.existing.is_empty() {
        writeln!(
            out,
            "<details><summary>In the baseline, not blocking ({})</summary>\n",
            view.existing.len()
        )?;
        vuln_table(out, decision, &view, &view.existing, max_rows, false)?;
        writeln!(out, "</details>\n")?;
    }

    if !view.fixed.is_empty() {
        writeln!(
            out,
            "<details><summary>Fixed since the baseline ({})</summary>\n",
            view.fixed.len()
        )?;
        writeln!(
            out,
            "| ID | Package | Installed | Severity | Target | Platforms |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        for f in view.fixed.iter().take(max_rows) {
            let x = &f.finding;
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                link(&x.id.vulnerability_id, x.primary_url.as_deref()),
                code(&x.pkg_name),
                code(&x.installed_version),
                cell(&x.severity),
                cell(&view.target_label(&x.target)),
                platforms(&platform_labels(&f.platforms)),
            )?;
        }
        more(out, view.fixed.len(), max_rows)?;
        writeln!(out, "</details>\n")?;
    }

    for (rows, marks, existing) in [
        (&view.other, decision.baseline.is_some(), false),
        (&view.other_existing, false, true),
    ] {
        if rows.is_empty() {
            continue;
        }
        if existing {
            writeln!(
                out,
                "<details><summary>In the baseline, not blocking: secrets, misconfigurations and licenses ({})</summary>\n",
                rows.len()
            )?;
        } else {
            writeln!(
                out,
                "### Blocking secrets, misconfigurations and licenses ({})\n",
                rows.len()
            )?;
        }
        let (head, rule) = if marks {
            (
                "| Kind | ID | Severity | Detail | Target | Platforms | Baseline |",
                "|---|---|---|---|---|---|---|",
            )
        } else {
            (
                "| Kind | ID | Severity | Detail | Target | Platforms |",
                "|---|---|---|---|---|---|",
            )
        };
        writeln!(out, "{head}")?;
        writeln!(out, "{rule}")?;
        for o in rows.iter().take(max_rows) {
            write!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                o.kind.trivy_type(),
                link(&o.id, o.url.as_deref()),
                cell(&o.severity),
                cell(&truncate(&o.detail, TITLE_MAX)),
                cell(&view.target_label(&o.target)),
                platforms(&platform_labels(&o.platforms)),
            )?;
            if marks {
                write!(out, " {} |", o.mark.map_or("", Mark::as_str))?;
            }
            writeln!(out)?;
        }
        more(out, rows.len(), max_rows)?;
        if existing {
            writeln!(out, "</details>\n")?;
        }
    }

    if !view.suppressed.is_empty() {
        if opts.show_suppressed {
            writeln!(
                out,
                "<details><summary>Suppressed findings ({})</summary>\n",
                view.suppressed.len()
            )?;
            writeln!(
                out,
                "| ID | Package | Severity | Status | Statement / justification | Source | Platforms |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|")?;
            for s in view.suppressed.iter().take(max_rows) {
                let pkg = if s.installed_version.is_empty() {
                    code(&s.pkg_name)
                } else {
                    format!("{} {}", code(&s.pkg_name), code(&s.installed_version))
                };
                let mut source = cell(&s.source);
                if s.origin == Origin::Report {
                    source.push_str(" (recorded in the report)");
                }
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    link(&s.id, s.url.as_deref()),
                    pkg,
                    cell(&s.severity),
                    cell(s.status.as_str()),
                    if s.statement.is_empty() {
                        "-".to_string()
                    } else {
                        cell(&truncate(&s.statement, TITLE_MAX))
                    },
                    source,
                    platforms(&platform_labels(&s.platforms)),
                )?;
            }
            more(out, view.suppressed.len(), max_rows)?;
            writeln!(out, "</details>\n")?;
        } else {
            writeln!(
                out,
                "{} finding(s) suppressed by VEX or ignore files (run with `--show-suppressed` to list them).\n",
                view.suppressed.len()
            )?;
        }
    }

    if !decision.warnings.is_empty() {
        writeln!(out, "### Warnings\n")?;
        for w in &decision.warnings {
            writeln!(out, "- `{}`: {}", w.code, cell(&w.message))?;
        }
        writeln!(out)?;
    }

    writeln!(
        out,
        "<details><summary>Reports ({})</summary>\n",
        view.reports.len()
    )?;
    writeln!(
        out,
        "| Report | Platform | Coverage | Blocking | Suppressed | Assumed identity |"
    )?;
    writeln!(out, "|---|---|---|---:|---:|---|")?;
    for r in &view.reports {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            code(&r.path),
            code(&platform_label(r.platform.as_ref())),
            coverage_word(&r.coverage),
            r.blocking,
            r.suppressed,
            r.assumed_identity.as_deref().map_or("-".to_string(), code),
        )?;
    }
    writeln!(out, "\n</details>")?;
    Ok(())
}

/// A table of vulnerability rows, with a Baseline column when `with_baseline` and a Drift
/// column when some row is missing on a platform of the run.
fn vuln_table(
    out: &mut dyn Write,
    decision: &Decision<'_>,
    view: &View<'_>,
    rows: &[Row<'_>],
    max_rows: usize,
    with_baseline: bool,
) -> io::Result<()> {
    let blocking = std::ptr::eq(rows, view.blocking.as_slice());
    let with_drift = rows.iter().any(|r| !r.missing_on.is_empty());
    let mut head = String::from(
        "| ID | Package | Installed | Fixed | Severity | Status | Target | Platforms | Title |",
    );
    let mut rule = String::from("|---|---|---|---|---|---|---|---|---|");
    if with_baseline {
        head.push_str(" Baseline |");
        rule.push_str("---|");
    }
    if with_drift {
        head.push_str(" Drift |");
        rule.push_str("---|");
    }
    let with_feeds = decision.feeds.is_some();
    if with_feeds {
        head.push_str(" Exploit |");
        rule.push_str("---|");
    }
    writeln!(out, "{head}")?;
    writeln!(out, "{rule}")?;
    for row in rows.iter().take(max_rows) {
        let v = row.vuln;
        let mut line = format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            link(&v.vulnerability_id, v.primary_url.as_deref()),
            code(&v.pkg_name),
            code(&v.installed_version),
            if v.fixed_version.is_empty() {
                "(no fix)".to_string()
            } else {
                code(&v.fixed_version)
            },
            cell(v.effective_severity()),
            cell(v.effective_status().as_str()),
            cell(&view.target_label(row.target)),
            platforms(&platform_labels(&row.platforms)),
            cell(&truncate(v.title.as_deref().unwrap_or_default(), TITLE_MAX)),
        );
        if with_baseline {
            line.push_str(&format!(" {} |", row.mark().map_or("-", Mark::as_str)));
        }
        if with_drift {
            let d = drift_label(row);
            line.push_str(&format!(
                " {} |",
                if d.is_empty() {
                    "-".to_string()
                } else {
                    cell(&d)
                }
            ));
        }
        if with_feeds {
            let blocks = blocking.then(|| decision.reason(v));
            line.push_str(&format!(
                " {} |",
                cell(&exploit_lines(&decision.facts(v), blocks).join("; "))
            ));
        }
        writeln!(out, "{line}")?;
    }
    more(out, rows.len(), max_rows)
}

fn more(out: &mut dyn Write, n: usize, max: usize) -> io::Result<()> {
    if n > max {
        writeln!(
            out,
            "\n… and {} more (see the full report, `--format json` or `--sarif`).",
            n - max
        )?;
    }
    writeln!(out)
}

fn platforms(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| cell(l))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Cut to at most `max` characters, ending with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("ééééé", 3), "éé…");
    }
}
