//! The human table (the default stdout format): the policy, what blocks and why, other
//! blocking findings, optionally what was suppressed, counts per severity and platform, a
//! pointer to the warnings (the CLI prints them on standard error), and the verdict as the
//! last line.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
};

use super::view::{
    SEVERITIES, View, platform_label, platform_labels, plural, policy_line, severity_rank,
};
use super::{DEFAULT_TABLE_WIDTH, RenderOptions};
use crate::decision::{Decision, Origin};

pub(super) fn render(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let view = View::new(decision);
    let width = opts.width.unwrap_or(DEFAULT_TABLE_WIDTH);
    let paint = Paint(opts.color);

    writeln!(out, "Policy: {}", policy_line(&decision.policy))?;
    for r in &view.reports {
        let mut line = format!(
            "Report: {} ({}): {} blocking, {} suppressed",
            r.path,
            platform_label(r.platform.as_ref()),
            r.blocking,
            r.suppressed
        );
        if let Some(id) = &r.assumed_identity {
            line.push_str(&format!("; identity assumed from --image-repo: {id}"));
        }
        writeln!(out, "{line}")?;
    }

    if !view.blocking.is_empty() {
        writeln!(
            out,
            "\nBlocking {} ({}):",
            plural(view.blocking.len(), "vulnerability", "vulnerabilities"),
            view.blocking.len()
        )?;
        let mut t = new_table(width, opts.color);
        t.set_header(header(&[
            "ID",
            "Package",
            "Installed → Fixed",
            "Severity",
            "Status",
            "Target",
            "Platforms",
        ]));
        // Keep versions readable; long targets and package names wrap instead.
        for (i, c) in [
            (0, ColumnConstraint::ContentWidth),
            (2, ColumnConstraint::LowerBoundary(Width::Fixed(21))),
            (3, ColumnConstraint::ContentWidth),
            (5, ColumnConstraint::UpperBoundary(Width::Fixed(18))),
        ] {
            if let Some(col) = t.column_mut(i) {
                col.set_constraint(c);
            }
        }
        for row in &view.blocking {
            let v = row.vuln;
            let fixed = if v.fixed_version.is_empty() {
                "(no fix)"
            } else {
                &v.fixed_version
            };
            t.add_row(vec![
                Cell::new(&v.vulnerability_id),
                Cell::new(&v.pkg_name),
                Cell::new(format!("{}\n→ {}", v.installed_version, fixed)),
                severity_cell(v.effective_severity(), opts.color),
                Cell::new(v.effective_status()),
                Cell::new(view.target_label(row.target)),
                Cell::new(platform_labels(&row.platforms).join("\n")),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    if !view.other.is_empty() {
        writeln!(
            out,
            "\nBlocking secrets, misconfigurations and licenses ({}):",
            view.other.len()
        )?;
        let mut t = new_table(width, opts.color);
        t.set_header(header(&[
            "Kind",
            "ID",
            "Severity",
            "Detail",
            "Target",
            "Platforms",
        ]));
        for o in &view.other {
            t.add_row(vec![
                Cell::new(o.kind.trivy_type()),
                Cell::new(&o.id),
                severity_cell(&o.severity, opts.color),
                Cell::new(&o.detail),
                Cell::new(view.target_label(&o.target)),
                Cell::new(platform_labels(&o.platforms).join("\n")),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    if opts.show_suppressed && !view.suppressed.is_empty() {
        writeln!(out, "\nSuppressed ({}):", view.suppressed.len())?;
        let mut t = new_table(width, opts.color);
        t.set_header(header(&[
            "ID",
            "Package",
            "Status",
            "Statement / justification",
            "Source",
            "Platforms",
        ]));
        for s in &view.suppressed {
            let pkg = if s.installed_version.is_empty() {
                s.pkg_name.clone()
            } else {
                format!("{} {}", s.pkg_name, s.installed_version)
            };
            let mut source = s.source.clone();
            if s.origin == Origin::Report {
                source.push_str("\n(recorded in the report)");
            }
            t.add_row(vec![
                Cell::new(&s.id),
                Cell::new(pkg),
                Cell::new(&s.status),
                Cell::new(if s.statement.is_empty() {
                    "-"
                } else {
                    &s.statement
                }),
                Cell::new(source),
                Cell::new(platform_labels(&s.platforms).join("\n")),
            ]);
        }
        writeln!(out, "{t}")?;
    } else if !view.suppressed.is_empty() {
        writeln!(
            out,
            "\n{} {} suppressed (list them with --show-suppressed).",
            view.suppressed.len(),
            plural(view.suppressed.len(), "finding", "findings")
        )?;
    }

    // Counts: blocking vulnerabilities per severity, per platform and over all platforms.
    let plats = view.platforms();
    let mut t = new_table(width, opts.color);
    let mut head = vec!["Severity".to_string()];
    head.extend(plats.iter().cloned());
    if plats.len() > 1 {
        head.push("All (distinct)".to_string());
    }
    t.set_header(
        head.iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold))
            .collect::<Vec<_>>(),
    );
    let per_plat: Vec<_> = plats.iter().map(|p| view.platform_counts(p)).collect();
    for (i, sev) in SEVERITIES.iter().enumerate() {
        let mut cells = vec![severity_cell(sev, opts.color)];
        cells.extend(
            per_plat
                .iter()
                .map(|c| Cell::new(c.0[i]).set_alignment(CellAlignment::Right)),
        );
        if plats.len() > 1 {
            cells.push(Cell::new(view.by_severity.0[i]).set_alignment(CellAlignment::Right));
        }
        t.add_row(cells);
    }
    let mut total = vec![Cell::new("Total").add_attribute(Attribute::Bold)];
    total.extend(
        per_plat
            .iter()
            .map(|c| Cell::new(c.total()).set_alignment(CellAlignment::Right)),
    );
    if plats.len() > 1 {
        total.push(Cell::new(view.by_severity.total()).set_alignment(CellAlignment::Right));
    }
    t.add_row(total);
    writeln!(out, "\nBlocking vulnerabilities per severity and platform:")?;
    writeln!(out, "{t}")?;

    // `vexgate gate` prints each warning on standard error as it happens; the table only
    // points at them, so a terminal does not show them twice.
    if !decision.warnings.is_empty() {
        let n = decision.warnings.len();
        let codes: Vec<&str> = decision.warnings.iter().map(|w| w.code).collect();
        writeln!(
            out,
            "{}",
            paint.warn(&format!(
                "{n} {} on standard error ({})",
                plural(n, "warning", "warnings"),
                codes.join(", ")
            ))
        )?;
    }

    let verdict = view.verdict_line(decision);
    writeln!(
        out,
        "\n{}",
        if view.blocked {
            paint.red(&verdict)
        } else {
            paint.green(&verdict)
        }
    )?;
    Ok(())
}

fn new_table(width: u16, color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn header(names: &[&str]) -> Vec<Cell> {
    names
        .iter()
        .map(|n| Cell::new(n).add_attribute(Attribute::Bold))
        .collect()
}

fn severity_cell(sev: &str, color: bool) -> Cell {
    let cell = Cell::new(sev);
    if !color {
        return cell;
    }
    match severity_rank(sev) {
        0 => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        1 => cell.fg(Color::Red),
        2 => cell.fg(Color::Yellow),
        3 => cell.fg(Color::Blue),
        _ => cell.fg(Color::Grey),
    }
}

/// ANSI colour for the plain lines, only when asked for.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("1;32", s)
    }
    fn warn(&self, s: &str) -> String {
        self.wrap("33", s)
    }
}
