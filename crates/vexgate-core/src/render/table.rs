//! The human table (the default stdout format): the policy, what blocks and why, other
//! blocking findings, optionally what was suppressed, counts per severity and platform, a
//! pointer to the warnings (the CLI prints them on standard error), and the verdict as the
//! last line.

use crate::severity::Severity;
use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
};

use super::view::{
    View, baseline_line, drift_label, exploit_lines, feeds_line, platform_label, platform_labels,
    plural, policy_line,
};
use super::{DEFAULT_TABLE_WIDTH, RenderOptions};
use crate::decision::{BlockReason, Decision, Mark, Origin};
use crate::escape::term;

pub(super) fn render(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let view = View::new(decision);
    let width = opts.width.unwrap_or(DEFAULT_TABLE_WIDTH);
    let paint = Paint(opts.color);

    writeln!(out, "Policy: {}", term(&policy_line(&decision.policy)))?;
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
        if decision.baseline.is_some() {
            if r.baseline.is_some() {
                line.push_str(&format!(
                    "; baseline: {} new, {} existing, {} fixed",
                    r.new, r.existing, r.fixed
                ));
            } else {
                line.push_str("; no baseline, gated in full");
            }
        }
        writeln!(out, "{}", term(&line))?;
    }
    if let Some(b) = baseline_line(decision) {
        writeln!(out, "Baseline: {}", term(&b))?;
    }
    if let Some(f) = feeds_line(decision) {
        writeln!(out, "Feeds: {}", term(&f))?;
    }

    if !view.blocking.is_empty() {
        writeln!(
            out,
            "\nBlocking {} ({}):",
            plural(view.blocking.len(), "vulnerability", "vulnerabilities"),
            view.blocking.len()
        )?;
        let marks = decision.baseline.is_some();
        vuln_table(out, decision, &view, opts, width, &view.blocking, marks)?;
    }

    if !view.existing.is_empty() {
        writeln!(
            out,
            "\nIn the baseline, not blocking ({}):",
            view.existing.len()
        )?;
        vuln_table(out, decision, &view, opts, width, &view.existing, false)?;
    }

    if !view.fixed.is_empty() {
        writeln!(out, "\nFixed since the baseline ({}):", view.fixed.len())?;
        let names = [
            "ID",
            "Package",
            "Installed",
            "Severity",
            "Target",
            "Platforms",
        ];
        let constraints = [(0, ColumnConstraint::ContentWidth)];
        write_table(
            out,
            width,
            opts.color,
            &names,
            &constraints,
            &view.fixed,
            |f| {
                let f_ = &f.finding;
                vec![
                    Cell::new(term(&f_.id.vulnerability_id)),
                    Cell::new(term(&f_.pkg_name)),
                    Cell::new(term(&f_.installed_version)),
                    severity_cell(&f_.severity, opts.color),
                    Cell::new(term(&view.target_label(&f_.target))),
                    Cell::new(platforms(&f.platforms)),
                ]
            },
        )?;
    }

    if !view.below_threshold.is_empty() {
        writeln!(
            out,
            "\nBelow the EPSS threshold, not blocking ({}):",
            view.below_threshold.len()
        )?;
        vuln_table(
            out,
            decision,
            &view,
            opts,
            width,
            &view.below_threshold,
            false,
        )?;
    }

    if !view.suppressed_kev.is_empty() {
        let denied = decision
            .feeds
            .as_ref()
            .is_some_and(|f| f.kev_suppression_failed);
        writeln!(
            out,
            "\nSuppressed KEV findings ({}){}:",
            view.suppressed_kev.len(),
            if denied {
                ", blocking (--kev-suppression deny)"
            } else {
                ""
            }
        )?;
        let names = [
            "ID",
            "Package",
            "KEV",
            "Status",
            "Statement / justification",
            "Source",
            "Platforms",
        ];
        write_table(
            out,
            width,
            opts.color,
            &names,
            &[],
            &view.suppressed_kev,
            |s| {
                let facts = decision.facts_of_cve(s.cve.as_deref());
                vec![
                    Cell::new(term(&s.id)),
                    Cell::new(format!(
                        "{} {}",
                        term(&s.pkg_name),
                        term(&s.installed_version)
                    )),
                    Cell::new(exploit_cell(&facts, None)),
                    Cell::new(term(s.status.as_str())),
                    Cell::new(if s.statement.is_empty() {
                        "-".into()
                    } else {
                        term(&s.statement)
                    }),
                    Cell::new(term(&s.source)),
                    Cell::new(platforms(&s.platforms)),
                ]
            },
        )?;
    }

    for (title, rows, marks) in [
        (
            "Blocking secrets, misconfigurations and licenses",
            &view.other,
            decision.baseline.is_some(),
        ),
        (
            "In the baseline, not blocking: secrets, misconfigurations and licenses",
            &view.other_existing,
            false,
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{title} ({}):", rows.len())?;
        let mut names = vec!["Kind", "ID", "Severity", "Detail", "Target", "Platforms"];
        if marks {
            names.push("Baseline");
        }
        write_table(out, width, opts.color, &names, &[], rows, |o| {
            let mut cells = vec![
                Cell::new(o.kind.trivy_type()),
                Cell::new(term(&o.id)),
                severity_cell(&o.severity, opts.color),
                Cell::new(term(&o.detail)),
                Cell::new(term(&view.target_label(&o.target))),
                Cell::new(platforms(&o.platforms)),
            ];
            if marks {
                cells.push(Cell::new(o.mark.map_or("", Mark::as_str)));
            }
            cells
        })?;
    }

    if opts.show_suppressed && !view.suppressed.is_empty() {
        writeln!(out, "\nSuppressed ({}):", view.suppressed.len())?;
        let names = [
            "ID",
            "Package",
            "Status",
            "Statement / justification",
            "Source",
            "Platforms",
        ];
        write_table(out, width, opts.color, &names, &[], &view.suppressed, |s| {
            let pkg = if s.installed_version.is_empty() {
                term(&s.pkg_name).into_owned()
            } else {
                format!("{} {}", term(&s.pkg_name), term(&s.installed_version))
            };
            let mut source = term(&s.source).into_owned();
            if s.origin == Origin::Report {
                source.push_str("\n(recorded in the report)");
            }
            vec![
                Cell::new(term(&s.id)),
                Cell::new(pkg),
                Cell::new(term(s.status.as_str())),
                Cell::new(if s.statement.is_empty() {
                    "-".into()
                } else {
                    term(&s.statement)
                }),
                Cell::new(source),
                Cell::new(platforms(&s.platforms)),
            ]
        })?;
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
    head.extend(plats.iter().map(|p| term(p).into_owned()));
    if plats.len() > 1 {
        head.push("All (distinct)".to_string());
    }
    t.set_header(
        head.iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold))
            .collect::<Vec<_>>(),
    );
    let per_plat: Vec<_> = plats.iter().map(|p| view.platform_counts(p)).collect();
    for (i, sev) in Severity::MOST_SEVERE_FIRST.iter().enumerate() {
        let mut cells = vec![severity_cell(sev.as_str(), opts.color)];
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
        let codes: Vec<&str> = decision.warnings.iter().map(|w| w.code.as_str()).collect();
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

    let verdict = term(&view.verdict_line(decision)).into_owned();
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

/// A table of vulnerability rows (blocking, or in the baseline and not blocking), with a
/// Baseline column when `with_baseline` and a Drift column when some row is missing on a
/// platform of the run.
fn vuln_table(
    out: &mut dyn Write,
    decision: &Decision<'_>,
    view: &View<'_>,
    opts: &RenderOptions,
    width: u16,
    rows: &[crate::decision::Row<'_>],
    with_baseline: bool,
) -> io::Result<()> {
    let blocking = std::ptr::eq(rows, view.blocking.as_slice());
    // Keep versions readable; long targets and package names wrap instead.
    let mut constraints = vec![
        (0, ColumnConstraint::ContentWidth),
        (2, ColumnConstraint::LowerBoundary(Width::Fixed(21))),
        (3, ColumnConstraint::ContentWidth),
        (5, ColumnConstraint::UpperBoundary(Width::Fixed(18))),
    ];
    if with_baseline {
        constraints.push((7, ColumnConstraint::ContentWidth));
    }
    let mut names = vec![
        "ID",
        "Package",
        "Installed → Fixed",
        "Severity",
        "Status",
        "Target",
        "Platforms",
    ];
    let with_drift = rows.iter().any(|r| !r.missing_on.is_empty());
    if with_baseline {
        names.push("Baseline");
    }
    if with_drift {
        names.push("Drift");
    }
    let with_feeds = decision.feeds.is_some();
    if with_feeds {
        names.push("Exploit");
    }
    write_table(out, width, opts.color, &names, &constraints, rows, |row| {
        let v = row.vuln;
        let fixed = if v.fixed_version.is_empty() {
            "(no fix)".into()
        } else {
            term(&v.fixed_version)
        };
        let mut cells = vec![
            Cell::new(term(&v.vulnerability_id)),
            Cell::new(term(&v.pkg_name)),
            Cell::new(format!("{}\n→ {}", term(&v.installed_version), fixed)),
            severity_cell(v.effective_severity(), opts.color),
            Cell::new(v.effective_status().as_str()),
            Cell::new(term(&view.target_label(row.target))),
            Cell::new(platforms(&row.platforms)),
        ];
        if with_baseline {
            cells.push(Cell::new(row.mark().map_or("-", Mark::as_str)));
        }
        if with_drift {
            cells.push(Cell::new(term(&drift_label(row))));
        }
        if with_feeds {
            let blocks = blocking.then(|| decision.reason(v));
            cells.push(Cell::new(exploit_cell(&decision.facts(v), blocks)));
        }
        cells
    })
}

/// The Exploit cell, one fact a line.
fn exploit_cell(f: &crate::decision::Facts<'_>, blocks: Option<BlockReason>) -> String {
    exploit_lines(f, blocks).join("\n")
}

/// Tables with more rows than this are laid out by [`fit_widths`] and rendered in chunks,
/// one per thread: comfy-table formats ~100k rows a second, and the blocking table of a
/// 100 MB report (5k rows) was a third of the gate's time.
const PARALLEL_ROWS: usize = 1024;

/// One table: a header of `names`, a row of `cells(item)` per item.
///
/// Up to [`PARALLEL_ROWS`] rows this is one comfy-table `Table` with the dynamic layout
/// and `constraints`. Above it, every chunk must have the same column widths, so they are
/// fixed up front by [`fit_widths`] (the same constraints, applied to the widest content of
/// each column); each chunk is then built and formatted on the report pool, and the chunks
/// are joined by dropping the inner bottom and top borders. The condensed style has no
/// separator lines between rows, so the joined text is exactly the one table with those
/// widths (`tests::chunked_table_is_one_table`).
fn write_table<T: Sync>(
    out: &mut dyn Write,
    width: u16,
    color: bool,
    names: &[&str],
    constraints: &[(usize, ColumnConstraint)],
    items: &[T],
    cells: impl Fn(&T) -> Vec<Cell> + Sync,
) -> io::Result<()> {
    // The report pool (bounded); without it (it could not start) one table on this thread.
    let pool = crate::report::pool::pool()
        .ok()
        .filter(|p| p.current_num_threads() >= 2);
    let text = if let Some(pool) = pool.filter(|_| items.len() > PARALLEL_ROWS) {
        chunked_table(width, color, names, constraints, items, &cells, pool)
    } else {
        let mut t = new_table(width, color);
        t.set_header(header(names));
        for (i, c) in constraints {
            if let Some(col) = t.column_mut(*i) {
                col.set_constraint(*c);
            }
        }
        for item in items {
            t.add_row(cells(item));
        }
        t.to_string()
    };
    writeln!(out, "{text}")
}

fn chunked_table<T: Sync>(
    width: u16,
    color: bool,
    names: &[&str],
    constraints: &[(usize, ColumnConstraint)],
    items: &[T],
    cells: &(impl Fn(&T) -> Vec<Cell> + Sync),
    pool: &rayon::ThreadPool,
) -> String {
    use rayon::prelude::*;
    let chunk = items.len().div_ceil(pool.current_num_threads()).max(1);
    let build = |i: usize, part: &[T]| {
        let mut t = new_table(width, color);
        if i == 0 {
            t.set_header(header(names));
        }
        for item in part {
            t.add_row(cells(item));
        }
        let widths = t.column_max_content_widths();
        (t, widths)
    };
    let tables: Vec<(Table, Vec<u16>)> = pool.install(|| {
        items
            .par_chunks(chunk)
            .enumerate()
            .map(|(i, part)| build(i, part))
            .collect()
    });
    let mut max = vec![0u16; names.len()];
    for (_, w) in &tables {
        for (m, w) in max.iter_mut().zip(w) {
            *m = (*m).max(*w);
        }
    }
    let widths = fit_widths(&max, names, constraints, width);
    // Each task also frees its chunk's cells: tens of thousands of small strings.
    let texts: Vec<String> = pool.install(|| {
        tables
            .into_par_iter()
            .map(|(mut t, _)| {
                for (i, w) in widths.iter().enumerate() {
                    if let Some(col) = t.column_mut(i) {
                        // Absolute widths include the padding (one space each side).
                        col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w + 2)));
                    }
                }
                t.to_string()
            })
            .collect()
    });
    let last = texts.len() - 1;
    let mut joined = String::with_capacity(texts.iter().map(String::len).sum());
    for (i, text) in texts.iter().enumerate() {
        let mut lines: Vec<&str> = text.lines().collect();
        if i < last {
            lines.pop(); // bottom border
        }
        let skip = usize::from(i > 0); // top border
        for line in &lines[skip..] {
            if !joined.is_empty() {
                joined.push('\n');
            }
            joined.push_str(line);
        }
    }
    joined
}

/// Content widths for a table `width` columns wide whose widest cells are `max`: columns
/// with `ContentWidth` get their content; the others share the rest max-min fairly, each
/// within its bounds (`LowerBoundary`, `UpperBoundary`, and never
/// wider than its content). No column is narrower than the longest word of its header. A
/// table that cannot fit keeps its lower bounds and is wider.
fn fit_widths(
    max: &[u16],
    names: &[&str],
    constraints: &[(usize, ColumnConstraint)],
    width: u16,
) -> Vec<u16> {
    let n = max.len();
    let word = |i: usize| {
        names.get(i).map_or(1, |h| {
            h.split_whitespace()
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(1)
        })
    };
    let constraint = |i: usize| constraints.iter().find(|(c, _)| *c == i).map(|(_, c)| *c);
    let mut w = vec![0u16; n];
    let mut upper = max.to_vec();
    let mut open = vec![true; n];
    for i in 0..n {
        let m = max[i].max(1);
        match constraint(i) {
            Some(ColumnConstraint::ContentWidth) => {
                w[i] = m;
                open[i] = false;
            }
            Some(ColumnConstraint::LowerBoundary(Width::Fixed(l))) => w[i] = l.min(m),
            Some(ColumnConstraint::UpperBoundary(Width::Fixed(u))) => {
                upper[i] = u.saturating_sub(2).clamp(1, m);
                w[i] = 1;
            }
            _ => w[i] = 1,
        }
        let head = u16::try_from(word(i)).unwrap_or(u16::MAX).min(m);
        w[i] = w[i].max(head);
        upper[i] = upper[i].max(w[i]);
    }
    // Borders: n + 1 columns; padding: two per column.
    let used: usize = w.iter().map(|&x| usize::from(x)).sum::<usize>() + 3 * n + 1;
    let mut rem = usize::from(width).saturating_sub(used);
    // Max-min fair: always widen the narrowest column that may still grow.
    while rem > 0 {
        let Some(i) = (0..n)
            .filter(|&i| open[i] && w[i] < upper[i])
            .min_by_key(|&i| w[i])
        else {
            break;
        };
        w[i] += 1;
        rem -= 1;
    }
    w
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

/// A row's platform labels, one per line inside the cell.
fn platforms(ps: &[Option<crate::report::Platform>]) -> String {
    platform_labels(ps)
        .iter()
        .map(|l| term(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn severity_cell(sev: &str, color: bool) -> Cell {
    let cell = Cell::new(term(sev));
    if !color {
        return cell;
    }
    match Severity::of_report(sev) {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Blue),
        Severity::Unknown => cell.fg(Color::Grey),
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

#[cfg(test)]
mod chunk_tests {
    use super::*;

    const NAMES: [&str; 4] = ["ID", "Package", "Installed → Fixed", "Platforms"];

    fn items(n: usize) -> Vec<[String; 4]> {
        (0..n)
            .map(|i| {
                [
                    format!("CVE-2024-{i:05}"),
                    format!("package-with-a-longer-name-{}", i % 37),
                    format!("1.{i}.0\n→ 1.{}.0+deb12u{}", i + 1, i % 9),
                    if i % 3 == 0 {
                        "linux/amd64\nlinux/arm64".to_string()
                    } else {
                        "linux/arm64".to_string()
                    },
                ]
            })
            .collect()
    }

    fn cells(row: &[String; 4]) -> Vec<Cell> {
        row.iter().map(Cell::new).collect()
    }

    /// The chunks, joined, are exactly one comfy-table table with the same column widths,
    /// for any number of threads.
    #[test]
    fn chunked_table_is_one_table() {
        let rows = items(2500);
        let constraints = [(0, ColumnConstraint::ContentWidth)];
        let mut whole = new_table(80, false);
        whole.set_header(header(&NAMES));
        for r in &rows {
            whole.add_row(cells(r));
        }
        let widths = fit_widths(&whole.column_max_content_widths(), &NAMES, &constraints, 80);
        for (i, w) in widths.iter().enumerate() {
            whole
                .column_mut(i)
                .unwrap()
                .set_constraint(ColumnConstraint::Absolute(Width::Fixed(w + 2)));
        }
        let want = whole.to_string();
        for threads in [2, 3, 7] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = chunked_table(80, false, &NAMES, &constraints, &rows, &cells, &pool);
            assert_eq!(got, want, "{threads} threads");
        }
        assert_eq!(
            want.lines().count(),
            2500 * 2 + 4,
            "header, 2 lines a row, borders"
        );
    }

    #[test]
    fn fit_widths_shares_the_width_within_bounds() {
        // ID fixed to its content, Installed at least 21, Target at most 18 - 2 padding.
        let constraints = [
            (0, ColumnConstraint::ContentWidth),
            (2, ColumnConstraint::LowerBoundary(Width::Fixed(21))),
            (3, ColumnConstraint::UpperBoundary(Width::Fixed(18))),
        ];
        let names = ["ID", "Package", "Installed", "Target", "Platforms"];
        let w = fit_widths(&[19, 60, 40, 50, 11], &names, &constraints, 100);
        assert_eq!(w[0], 19);
        assert!(w[2] >= 21);
        assert_eq!(w[3], 16);
        assert_eq!(w[4], 11, "short columns get their whole content");
        let total: u16 = w.iter().sum::<u16>() + 3 * 5 + 1;
        assert_eq!(total, 100, "{w:?}");
        // Too narrow: header words still fit, the table grows wider.
        let w = fit_widths(&[19, 60, 40, 50, 11], &names, &constraints, 30);
        assert_eq!(w, vec![19, 7, 21, 6, 9]);
        // Narrow content (the maxima include the header) is never padded out.
        let w = fit_widths(&[2, 7, 9, 6, 9], &names, &[], 100);
        assert_eq!(w, vec![2, 7, 9, 6, 9]);
    }
}
