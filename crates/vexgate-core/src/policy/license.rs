//! The license-expression rule of Trivy's ignore file (pkg/result/ignore.go MatchLicense,
//! lines 182-217): a license expression is ignored when each of its components (a simple
//! license, or `A WITH B` taken as one) is a valid SPDX expression that the ignore file
//! ignores on its own.
//!
//! Components are normalised as Trivy does for SPDX IDs: the canonical SPDX ID looked up
//! case-insensitively (`expression.SPDXLicenseID`), and the GNU licenses rendered with
//! `-only` / `-or-later` (`SimpleExpr.String`). Trivy's extra alias table
//! (`licensing.mapping`, e.g. "APACHE 2.0" → Apache-2.0) is not reproduced: a component
//! known only by such an alias is not ignored here (the safe direction: it keeps blocking).

use spdx::identifiers::{EXCEPTIONS, LICENSES};

/// pkg/licensing/expression/category.go GnuLicenses.
const GNU_LICENSES: &[&str] = &[
    "AGPL-1.0",
    "AGPL-3.0",
    "GFDL-1.1-invariants",
    "GFDL-1.1-no-invariants",
    "GFDL-1.1",
    "GFDL-1.2-invariants",
    "GFDL-1.2-no-invariants",
    "GFDL-1.2",
    "GFDL-1.3-invariants",
    "GFDL-1.3-no-invariants",
    "GFDL-1.3",
    "GPL-1.0",
    "GPL-2.0",
    "GPL-3.0",
    "LGPL-2.0",
    "LGPL-2.1",
    "LGPL-3.0",
];

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Simple { license: String, plus: bool },
    With(Box<Expr>, String),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Trivy `MatchLicense`'s expression pass: true when the expression parses and every
/// component is a valid SPDX license (or license WITH exception) for which `is_ignored`
/// holds. A parse error means "not ignored" (ignore.go:202-205).
pub fn all_components_ignored(expression: &str, is_ignored: impl Fn(&str) -> bool) -> bool {
    let Some(expr) = parse(expression) else {
        return false;
    };
    components_ignored(&expr, &is_ignored)
}

fn components_ignored(e: &Expr, is_ignored: &impl Fn(&str) -> bool) -> bool {
    match e {
        Expr::And(l, r) | Expr::Or(l, r) => {
            components_ignored(l, is_ignored) && components_ignored(r, is_ignored)
        }
        Expr::Simple { .. } => {
            let s = render(e);
            is_spdx_license(&s) && is_ignored(&s)
        }
        Expr::With(l, exc) => {
            let valid = matches!(**l, Expr::Simple { .. })
                && is_spdx_license(&render(l))
                && spdx_exception(exc).is_some();
            valid && is_ignored(&render(e))
        }
    }
}

/// `SimpleExpr.String` / `CompoundExpr.String` after `NormalizeLicenseExpression`.
fn render(e: &Expr) -> String {
    match e {
        Expr::Simple { license, plus } => {
            let canonical = spdx_license(license).unwrap_or(license);
            if GNU_LICENSES.contains(&canonical) {
                if *plus {
                    format!("{canonical}-or-later")
                } else {
                    format!("{canonical}-only")
                }
            } else if *plus {
                format!("{canonical}+")
            } else {
                canonical.to_string()
            }
        }
        Expr::With(l, exc) => {
            format!("{} WITH {}", render(l), spdx_exception(exc).unwrap_or(exc))
        }
        Expr::And(l, r) => format!("{} AND {}", render(l), render(r)),
        Expr::Or(l, r) => format!("{} OR {}", render(l), render(r)),
    }
}

/// `expression.SPDXLicenseID`: the canonical ID, case-insensitively.
fn spdx_license(name: &str) -> Option<&'static str> {
    LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name))
        .map(|l| l.name)
}

fn is_spdx_license(s: &str) -> bool {
    spdx_license(s.strip_suffix('+').unwrap_or(s)).is_some()
}

fn spdx_exception(name: &str) -> Option<&'static str> {
    EXCEPTIONS
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .map(|e| e.name)
}

/// A small SPDX expression parser: `OR` binds weaker than `AND`, which binds weaker than
/// `WITH`; operators are case-insensitive; parentheses group; a trailing `+` is kept.
fn parse(s: &str) -> Option<Expr> {
    let tokens = tokenize(s);
    let mut pos = 0;
    let e = parse_or(&tokens, &mut pos)?;
    (pos == tokens.len()).then_some(e)
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_op(t: &str, op: &str) -> bool {
    t.eq_ignore_ascii_case(op)
}

fn parse_or(t: &[String], pos: &mut usize) -> Option<Expr> {
    let mut left = parse_and(t, pos)?;
    while *pos < t.len() && is_op(&t[*pos], "OR") {
        *pos += 1;
        let right = parse_and(t, pos)?;
        left = Expr::Or(Box::new(left), Box::new(right));
    }
    Some(left)
}

fn parse_and(t: &[String], pos: &mut usize) -> Option<Expr> {
    let mut left = parse_with(t, pos)?;
    while *pos < t.len() && is_op(&t[*pos], "AND") {
        *pos += 1;
        let right = parse_with(t, pos)?;
        left = Expr::And(Box::new(left), Box::new(right));
    }
    Some(left)
}

fn parse_with(t: &[String], pos: &mut usize) -> Option<Expr> {
    let left = parse_atom(t, pos)?;
    if *pos < t.len() && is_op(&t[*pos], "WITH") {
        *pos += 1;
        let exc = t.get(*pos)?;
        if exc == "(" || exc == ")" {
            return None;
        }
        *pos += 1;
        return Some(Expr::With(Box::new(left), exc.clone()));
    }
    Some(left)
}

fn parse_atom(t: &[String], pos: &mut usize) -> Option<Expr> {
    let tok = t.get(*pos)?;
    if tok == "(" {
        *pos += 1;
        let e = parse_or(t, pos)?;
        if t.get(*pos)? != ")" {
            return None;
        }
        *pos += 1;
        return Some(e);
    }
    if tok == ")" || is_op(tok, "AND") || is_op(tok, "OR") || is_op(tok, "WITH") {
        return None;
    }
    *pos += 1;
    let (license, plus) = match tok.strip_suffix('+') {
        Some(l) => (l.to_string(), true),
        None => (tok.clone(), false),
    };
    Some(Expr::Simple { license, plus })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `licenses:` section of filter_test.go's `.trivyignore.yaml` (without paths).
    fn ignored(s: &str) -> bool {
        [
            "MIT",
            "GPL-2.0-or-later",
            "Apache-2.0 WITH LLVM-exception",
            "LLVM-exception",
        ]
        .contains(&s)
    }

    #[test]
    fn filter_test_license_cases() {
        // license3: every component ignored on its own (after "mit" → "MIT").
        assert!(all_components_ignored("mit AND GPL-2.0-or-later", ignored));
        // license4: a WITH expression is one component.
        assert!(all_components_ignored(
            "Apache-2.0 WITH LLVM-exception",
            ignored
        ));
        // license5: a different exception.
        assert!(!all_components_ignored(
            "GPL-3.0 WITH GCC-exception-3.1",
            ignored
        ));
        // license2 / license1 as plain names: GPL-3.0 renders as GPL-3.0-only.
        assert!(!all_components_ignored("GPL-3.0", ignored));
    }

    #[test]
    fn gnu_plus_and_grouping() {
        let only = |s: &str| s == "GPL-2.0-or-later" || s == "MIT";
        assert!(all_components_ignored("(GPL-2.0+ OR mit)", only));
        assert!(!all_components_ignored("GPL-2.0 OR MIT", only));
        assert!(!all_components_ignored("NotALicense AND MIT", |_| true));
        assert!(!all_components_ignored("MIT AND (", |_| true));
    }
}
