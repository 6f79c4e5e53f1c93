//! `vexgate feeds fetch`: download the exploitation feeds the gate reads (`--kev`, `--epss`),
//! validate them with the gate's own readers, and write them atomically. The network is
//! here; the validation and the writing are the library's (`vexgate_core::feeds::store`).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use vexgate_core::error::{Error, Result};
use vexgate_core::escape::term;
use vexgate_core::feeds::{self, FeedKind};
use vexgate_core::report::text::NON_REGULAR_MAX;

/// CISA's catalog, as linked from <https://www.cisa.gov/known-exploited-vulnerabilities-catalog>.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The current EPSS scores, as linked from FIRST's data page
/// (<https://www.first.org/epss/data_stats>).
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Download the CISA KEV catalog and the FIRST EPSS scores into DIR, validated.
    #[command(after_long_help = FETCH_HELP)]
    Fetch(FetchArgs),
}

const FETCH_HELP: &str = "\
Each feed is downloaded, validated with the same readers as `vexgate gate --kev/--epss`, and
written atomically (temp file + rename) as DIR/kev.json and DIR/epss.csv.gz, and as a copy
named after the feed's own date (kev-2025-08-25.json, epss-2025-08-25.csv.gz). A download
that fails or a feed that does not validate leaves the previous files untouched; the other
feed is still fetched. Progress goes to standard error.

Exit codes: 0 both feeds written, 2 a download failed or a feed was malformed.

Example:
  vexgate feeds fetch --dir feeds
  vexgate gate report.json --kev feeds/kev.json --epss feeds/epss.csv.gz --block-kev";

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The directory to write the feeds into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to download the KEV catalog from.
    #[arg(long, value_name = "URL", default_value = KEV_URL)]
    pub kev_url: String,
    /// Where to download the EPSS scores from.
    #[arg(long, value_name = "URL", default_value = EPSS_URL)]
    pub epss_url: String,
    /// Give up on a download after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

pub fn run(cmd: FeedsCommand) -> Result<i32> {
    match cmd {
        FeedsCommand::Fetch(a) => fetch(&a),
    }
}

fn fetch(a: &FetchArgs) -> Result<i32> {
    let urls = [(FeedKind::Kev, &a.kev_url), (FeedKind::Epss, &a.epss_url)];
    for (_, url) in urls {
        check_url(url)?;
    }
    std::fs::create_dir_all(&a.dir).map_err(|e| Error::io(&a.dir, e))?;
    let mut first_err = None;
    for (kind, url) in urls {
        // HTTPS only (redirects included: no downgrade to plain HTTP), except a loopback
        // address, where there is no network to attack (tests, a local mirror); a loopback
        // URL's redirects are not followed, since they could lead anywhere in the clear.
        let loopback = is_loopback_http(url);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(a.timeout)))
            .user_agent(concat!("vexgate/", env!("CARGO_PKG_VERSION")))
            .https_only(!loopback)
            .max_redirects(if loopback { 0 } else { 5 })
            .build()
            .into();
        match fetch_one(&agent, kind, url, &a.dir) {
            Ok(()) => {}
            Err(e) => {
                eprintln!(
                    "vexgate: error: {}: {}; the previous copy is kept",
                    kind.label(),
                    term(&e.to_string())
                );
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        None => Ok(0),
        Some(_) => Ok(vexgate_core::EXIT_INPUT),
    }
}

/// `http://` on a loopback host (`127.0.0.1`, `[::1]`, `localhost`).
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// A feed URL is `https://`, or plain HTTP on a loopback host: a feed fetched in the clear
/// could be replaced on the way (say, EPSS scores all below the threshold).
fn check_url(url: &str) -> Result<()> {
    if url.starts_with("https://") || is_loopback_http(url) {
        return Ok(());
    }
    Err(Error::usage(format!(
        "feed URL {:?}: only https:// (or http:// on 127.0.0.1, [::1] or localhost) is fetched",
        term(url)
    )))
}

fn fetch_one(agent: &ureq::Agent, kind: FeedKind, url: &str, dir: &Path) -> Result<()> {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "vexgate: {}: downloading {}", kind.label(), term(url));
    let start = Instant::now();
    let fail = |what: String| Error::Tool(format!("downloading {url}: {what}"));
    let mut resp = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    // Only reached from a plain-HTTP loopback URL, whose agent follows no redirect: where
    // it points is not checked to be HTTPS or loopback, so it is not followed.
    if resp.status().is_redirection() {
        let to = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return Err(fail(format!(
            "redirected ({}) to {}; redirects are followed only from https:// URLs",
            resp.status().as_u16(),
            term(to)
        )));
    }
    let total = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut reader = resp
        .body_mut()
        .with_config()
        .limit(NON_REGULAR_MAX)
        .reader();
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    let tty = err.is_terminal();
    let mut last = Instant::now();
    loop {
        let n = reader.read(&mut buf).map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        if tty && last.elapsed() > Duration::from_millis(200) {
            last = Instant::now();
            let _ = match total {
                Some(t) => write!(err, "\r  {} / {} KiB", bytes.len() >> 10, t >> 10),
                None => write!(err, "\r  {} KiB", bytes.len() >> 10),
            };
        }
    }
    if tty {
        let _ = write!(err, "\r");
    }
    if let Some(t) = total
        && t != bytes.len() as u64
    {
        return Err(fail(format!(
            "got {} of {t} bytes (connection closed early)",
            bytes.len()
        )));
    }
    let _ = writeln!(
        err,
        "vexgate: {}: {} KiB in {:.1}s; validating",
        kind.label(),
        bytes.len() >> 10,
        start.elapsed().as_secs_f64()
    );
    let (paths, date) = feeds::store(dir, kind, &bytes, Path::new(url), feeds::now())?;
    let _ = writeln!(
        err,
        "vexgate: {}: {date}, written to {}",
        kind.label(),
        paths
            .iter()
            .map(|p| term(&p.display().to_string()).into_owned())
            .collect::<Vec<_>>()
            .join(" and ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_url, is_loopback_http};

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://www.cisa.gov/feeds/kev.json",
            "http://127.0.0.1:8080/kev.json",
            "http://localhost/kev.json",
            "http://[::1]:9/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://www.cisa.gov/kev.json",
            "http://127.0.0.1.evil.example/kev.json",
            "http://localhost.evil.example:80/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(!is_loopback_http("https://127.0.0.1/x"));
    }
}
