//! Hostile text on its way out: the one place that decides how report-, VEX-, config- and
//! path-derived strings are written to a terminal or CI log, and into Markdown.
//!
//! Reports are built from image contents and VEX and ignore files come from pull requests,
//! so any string in them may try to pass for vexgate's own output. Every renderer, every
//! warning and error line, and `vex list|audit|validate` send such strings through here:
//!
//! - [`term`] for standard output and standard error (the CI log): control characters,
//!   line breaks, bidirectional overrides and invisible format characters are shown as
//!   visible escapes (`\n`, `\e`, `\x07`, `\u{202e}`), so nothing derived can start a line
//!   (a GitHub workflow command such as `::add-mask::` or `::error::` only counts at the
//!   start of a line) or drive the terminal; and `##[` (the legacy `##[command]` form, which
//!   the Actions runner accepts anywhere in a line) and `##vso[` (Azure Pipelines) lose
//!   their second `#` to `\x23`.
//! - [`line_start_path`] for the few lines that begin with a file name (`vex validate FILE`
//!   prints `FILE: ...`): a relative name that does not start with a letter, digit, `.` or
//!   `_` is shown as `./NAME`, the same file, so a file called `::error::x.json` cannot
//!   start a line with `::`.
//! - [`md_text`], [`md_code`] and [`md_link`] for GitHub-flavoured Markdown (the step
//!   summary and the sticky PR comment): the same visible escapes (so no newline ends a
//!   table row), then Markdown and HTML escaping: `|` cannot add a cell, `<` cannot open
//!   HTML and never appears raw (so no second `<!-- vexgate-summary -->` marker, not even
//!   inside a code span), `*`, `_`, `~`, `` ` ``, `[`, `]` and `$` cannot format, and `@`
//!   is followed by a zero-width space so that no `@mention` pings anyone.
//!
//! The escaping happens at render time and only for strings that need it: a clean string
//! (printable ASCII without `##`) is returned as it is, without a copy ([`term`]).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Component, Path};

/// Characters shown as `\u{...}`: C1 controls, bidirectional controls, and invisible format
/// and separator characters (Unicode general categories Cc, Cf, Zl, Zp, plus the Hangul and
/// Mongolian fillers that render as nothing). Inclusive ranges.
const INVISIBLE: &[(char, char)] = &[
    ('\u{80}', '\u{9f}'), // C1 controls (U+0085 NEL is a line break to some readers)
    ('\u{ad}', '\u{ad}'), // soft hyphen
    ('\u{34f}', '\u{34f}'), // combining grapheme joiner
    ('\u{600}', '\u{605}'), // Arabic number signs (Cf)
    ('\u{61c}', '\u{61c}'), // Arabic letter mark (bidi)
    ('\u{6dd}', '\u{6dd}'), // Arabic end of ayah
    ('\u{70f}', '\u{70f}'), // Syriac abbreviation mark
    ('\u{8e2}', '\u{8e2}'), // Arabic disputed end of ayah
    ('\u{115f}', '\u{1160}'), // Hangul fillers
    ('\u{17b4}', '\u{17b5}'), // Khmer inherent vowels (invisible)
    ('\u{180b}', '\u{180f}'), // Mongolian selectors and vowel separator
    ('\u{200b}', '\u{200f}'), // zero-width space/joiners, LRM, RLM
    ('\u{2028}', '\u{202e}'), // line/paragraph separators, LRE..RLO bidi overrides
    ('\u{2060}', '\u{206f}'), // word joiner, invisible operators, LRI..PDI isolates
    ('\u{3164}', '\u{3164}'), // Hangul filler
    ('\u{fe00}', '\u{fe0f}'), // variation selectors
    ('\u{feff}', '\u{feff}'), // zero-width no-break space (BOM)
    ('\u{ffa0}', '\u{ffa0}'), // halfwidth Hangul filler
    ('\u{fff9}', '\u{fffb}'), // interlinear annotation
    ('\u{110bd}', '\u{110bd}'), // Kaithi number sign
    ('\u{110cd}', '\u{110cd}'), // Kaithi number sign above
    ('\u{1d173}', '\u{1d17a}'), // musical formatting
    ('\u{e0000}', '\u{e0fff}'), // tags and variation selectors supplement
];

/// Whether `c` is written as a visible escape rather than as itself.
pub fn is_escaped(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Append `c` to `out`, as a visible escape when [`is_escaped`].
fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x1b' => out.push_str("\\e"),
        c if c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_escaped(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Does `rest` (the text after `##`) open a CI log command: `[` (GitHub Actions' legacy
/// `##[command]`) or `vso[` (Azure Pipelines, any case)?
fn opens_log_command(rest: &str) -> bool {
    rest.starts_with('[')
        || rest
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("vso["))
}

fn needs_term(s: &str) -> bool {
    let b = s.as_bytes();
    let ascii_clean = b.iter().all(|&x| (0x20..0x7f).contains(&x));
    if ascii_clean {
        return memchr::memmem::find(b, b"##").is_some();
    }
    s.chars().any(is_escaped) || memchr::memmem::find(b, b"##").is_some()
}

/// A string for standard output or standard error (see the module docs). Borrowed when
/// nothing needs escaping.
pub fn term(s: &str) -> Cow<'_, str> {
    if !needs_term(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut prev_hash = false;
    for (i, c) in s.char_indices() {
        if c == '#' && prev_hash && opens_log_command(&s[i + 1..]) {
            out.push_str("\\x23");
            prev_hash = false;
            continue;
        }
        prev_hash = c == '#';
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// A run of JSON string content (between serde_json's own escapes) for standard output:
/// the same characters [`term`] escapes are written as JSON `\uXXXX` escapes, and the
/// second `#` of `##[` / `##vso[` as `\u0023`. A JSON reader sees the same string; a CI log
/// or a terminal sees no command and no control character.
pub fn json_fragment(fragment: &str) -> Cow<'_, str> {
    if !needs_term(fragment) {
        return Cow::Borrowed(fragment);
    }
    let mut out = String::with_capacity(fragment.len() + 16);
    let mut prev_hash = false;
    for (i, c) in fragment.char_indices() {
        if c == '#' && prev_hash && opens_log_command(&fragment[i + 1..]) {
            out.push_str("\\u0023");
            prev_hash = false;
            continue;
        }
        prev_hash = c == '#';
        if is_escaped(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`term`] of a path as displayed (a name that is not UTF-8 shows U+FFFD).
pub fn term_path(p: &Path) -> String {
    term(&p.to_string_lossy()).into_owned()
}

/// A path that begins a line of output: [`term_path`], and a relative path whose first
/// character is not a letter, digit, `.` or `_` gets a `./` in front (the same file), so a
/// derived name never starts the line.
pub fn line_start_path(p: &Path) -> String {
    let shown = term_path(p);
    let plain_start = shown
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '/');
    let relative = !matches!(p.components().next(), Some(Component::RootDir));
    if relative && !plain_start {
        format!("./{shown}")
    } else {
        shown
    }
}

/// Push `c` escaped for Markdown text: `\` before punctuation that could format, HTML
/// special characters as entities, a zero-width space after `@`.
fn push_md(out: &mut String, c: char) {
    match c {
        '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' => {
            out.push('\\');
            out.push(c);
        }
        '|' => push_md_pipe(out),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '@' => out.push_str("@&#8203;"),
        c => out.push(c),
    }
}

/// A `|` that cannot end a GFM table cell: preceded by an odd number of backslashes (an
/// even run before it would be escaped backslashes followed by a live `|`).
fn push_md_pipe(out: &mut String) {
    let run = out.bytes().rev().take_while(|&b| b == b'\\').count();
    out.push('\\');
    if run % 2 == 1 {
        out.push('\\');
    }
    out.push('|');
}

/// Text for a Markdown table cell, list item or paragraph: one line, no HTML, no
/// formatting, no mention (see the module docs).
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut visible = String::new();
    for c in s.chars() {
        if is_escaped(c) {
            visible.clear();
            push_visible(&mut visible, c);
            for v in visible.chars() {
                push_md(&mut out, v);
            }
        } else {
            push_md(&mut out, c);
        }
    }
    out
}

/// Monospace text that holds any string on one line. Usually a code span: control and
/// invisible characters as visible escapes, a backtick fence longer than any run inside,
/// and `|` escaped (GFM splits table cells before it parses code spans). A code span shows
/// `<` as it is, so text holding `<` (which could spell the `<!-- vexgate-summary -->`
/// marker for anything that searches the raw text) becomes a `<code>` element around
/// [`md_text`] instead. Empty text gives an empty string.
pub fn md_code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    if s.contains('<') {
        return format!("<code>{}</code>", md_text(s));
    }
    let mut clean = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '|' => push_md_pipe(&mut clean),
            c => push_visible(&mut clean, c),
        }
    }
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// `[text](url)` when `url` is an http(s) URL, else the escaped text. Every byte of the URL
/// outside `A-Za-z0-9-._~:/?#@!$&*+,;=%` is percent-encoded, so it can neither end the link
/// nor the table row, and `&` is written `\&` so that no entity is decoded into the link.
pub fn md_link(text: &str, url: Option<&str>) -> String {
    let Some(u) = url else {
        return md_text(text);
    };
    let scheme_ok = ["https://", "http://"].iter().any(|p| {
        u.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    });
    if !scheme_ok {
        return md_text(text);
    }
    let mut safe = String::with_capacity(u.len() + 8);
    for &b in u.as_bytes() {
        if b == b'&' {
            // A link destination decodes entities (`&#10;`, `&lt;`); `\&` is a plain `&`.
            safe.push_str("\\&");
        } else if b.is_ascii_alphanumeric() || b"-._~:/?#@!$*+,;=%".contains(&b) {
            safe.push(b as char);
        } else {
            let _ = write!(safe, "%{b:02X}");
        }
    }
    format!("[{}]({safe})", md_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            term("CVE-2024-1234 libssl3 3.0.1"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(term("héllo ✓ 漢字"), Cow::Borrowed(_)));
        assert!(matches!(term("# one hash [x]"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_escapes_are_visible() {
        assert_eq!(term("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(term("\x1b]0;title\x07"), "\\e]0;title\\x07");
        assert_eq!(term("\x7f\u{85}"), "\\x7f\\u{85}");
        assert_eq!(term("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(
            term("x\u{2066}y\u{200b}z\u{feff}"),
            "x\\u{2066}y\\u{200b}z\\u{feff}"
        );
        assert_eq!(term("\u{e0041}"), "\\u{e0041}");
    }

    #[test]
    fn log_commands_lose_their_second_hash() {
        assert_eq!(term("ok ##[add-mask]PASS"), "ok #\\x23[add-mask]PASS");
        assert_eq!(term("###[error]"), "##\\x23[error]");
        assert_eq!(
            term("##vso[task.setvariable]"),
            "#\\x23vso[task.setvariable]"
        );
        assert_eq!(term("##VSO[x]"), "#\\x23VSO[x]");
        assert_eq!(term("## heading"), "## heading");
        assert!(!term("#####[x").contains("##["));
    }

    #[test]
    fn json_fragments_escape_the_same_characters_as_json() {
        assert!(matches!(
            json_fragment("plain ascii # [x]"),
            Cow::Borrowed(_)
        ));
        assert_eq!(json_fragment("a##[add-mask]b"), "a#\\u0023[add-mask]b");
        assert_eq!(
            json_fragment("\u{202e}\u{7f}\u{e0041}"),
            "\\u202e\\u007f\\udb40\\udc41"
        );
        let v: String =
            serde_json::from_str(&format!("\"{}\"", json_fragment("x##[y\u{202e}\u{e0041}")))
                .unwrap();
        assert_eq!(v, "x##[y\u{202e}\u{e0041}");
    }

    #[test]
    fn a_line_start_path_never_starts_with_derived_punctuation() {
        assert_eq!(line_start_path(Path::new("vex.json")), "vex.json");
        assert_eq!(line_start_path(Path::new("./a.json")), "./a.json");
        assert_eq!(line_start_path(Path::new("/abs/x.json")), "/abs/x.json");
        assert_eq!(line_start_path(Path::new("::error::x")), "./::error::x");
        assert_eq!(line_start_path(Path::new(" ::x")), "./ ::x");
        assert_eq!(
            line_start_path(Path::new("a\n::error::x")),
            "a\\n::error::x"
        );
    }

    #[test]
    fn markdown_text_escapes_table_html_formatting_and_mentions() {
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(md_text("use `x`"), "use \\`x\\`");
        assert_eq!(md_text("<script>"), "&lt;script&gt;");
        assert_eq!(
            md_text("<!-- vexgate-summary -->"),
            "&lt;!-- vexgate-summary --&gt;"
        );
        assert_eq!(md_text("line1\nline2"), "line1\\\\nline2");
        assert_eq!(md_text("foo_bar* ~x~ $y$"), "foo\\_bar\\* \\~x\\~ \\$y\\$");
        assert_eq!(md_text("@admin"), "@&#8203;admin");
        assert_eq!(md_text("a&b"), "a&amp;b");
        // A backslash before a pipe stays a backslash; the pipe stays escaped.
        assert_eq!(md_text("\\|"), "\\\\\\|");
    }

    #[test]
    fn code_spans_hold_backticks_pipes_and_newlines() {
        assert_eq!(md_code("1.2.3"), "`1.2.3`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code(">= 2.1.0, 3|4"), "`>= 2.1.0, 3\\|4`");
        assert_eq!(
            md_code("x\n<!-- vexgate-summary -->"),
            "<code>x\\\\n&lt;!-- vexgate-summary --&gt;</code>"
        );
        assert_eq!(md_code("a\n## x"), "`a\\n## x`");
        assert_eq!(md_code("a\\|b"), "`a\\\\\\|b`");
        assert_eq!(md_code(""), "");
    }

    #[test]
    fn links_only_for_http_urls_and_percent_encoded() {
        assert_eq!(
            md_link("CVE-1", Some("https://x/a b")),
            "[CVE-1](https://x/a%20b)"
        );
        assert_eq!(
            md_link("CVE-1", Some("https://x/\n<!-- vexgate-summary -->)|")),
            "[CVE-1](https://x/%0A%3C!--%20vexgate-summary%20--%3E%29%7C)"
        );
        assert_eq!(md_link("CVE-1", Some("javascript:alert(1)")), "CVE-1");
        assert_eq!(md_link("X_1", None), "X\\_1");
        assert_eq!(md_link("A", Some("HTTPS://x")), "[A](HTTPS://x)");
        assert_eq!(
            md_link("A", Some("https://x/?a=1&b=&#10;")),
            "[A](https://x/?a=1\\&b=\\&#10;)"
        );
    }
}
