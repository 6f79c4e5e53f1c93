//! `vexgate feeds fetch` against a tiny HTTP server on 127.0.0.1, started and stopped by
//! each test: a good download is validated and written (stable and dated names), a 500 and
//! a malformed feed leave the previous copy untouched.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::{root, tmp, vexgate};

/// One canned response per path: (status, body); a 3xx's body is its `Location`.
type Routes = Vec<(&'static str, u16, Vec<u8>)>;

/// An HTTP/1.1 server on 127.0.0.1 (an OS-chosen port) answering each request from
/// `routes` and closing the connection; stopped and joined on drop.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let (stream, _) = match listener.accept() {
                    Ok(c) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                stream.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = routes
                    .iter()
                    .find(|(p, ..)| *p == path)
                    .map_or((404, b"not found".to_vec()), |(_, s, b)| (*s, b.clone()));
                let mut stream = stream;
                let (location, body) = if (300..400).contains(&status) {
                    (
                        format!("Location: {}\r\n", String::from_utf8_lossy(&body)),
                        Vec::new(),
                    )
                } else {
                    (String::new(), body)
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        Server {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn feed(name: &str) -> PathBuf {
    root().join("testdata/feeds").join(name)
}

fn fetch(dir: &Path, server: &Server) -> Output {
    fetch_at(dir, server, None)
}

/// [`fetch`] with the feed clock (the test hook) at `now`.
fn fetch_at(dir: &Path, server: &Server, now: Option<&str>) -> Output {
    let mut cmd = vexgate(dir);
    // A proxy from the environment must not see (or break) a request to 127.0.0.1.
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    if let Some(now) = now {
        cmd.env("VEXGATE_TEST_FEEDS_NOW", now);
    }
    cmd.args(["feeds", "fetch", "--dir", "out", "--timeout", "20"])
        .args(["--kev-url", &server.url("/kev.json")])
        .args(["--epss-url", &server.url("/epss.csv.gz")])
        .output()
        .unwrap()
}

/// The date part of a feed's own date line, as `YYYY-MM-DD`, read from the fixture.
fn kev_day() -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(feed("kev.json")).unwrap()).unwrap();
    v["dateReleased"].as_str().unwrap()[..10].to_string()
}

fn epss_day() -> String {
    let text = std::fs::read_to_string(feed("epss.csv")).unwrap();
    let line = text.lines().next().unwrap();
    line.split("score_date:").nth(1).unwrap()[..10].to_string()
}

#[test]
fn fetch_writes_validated_feeds_under_stable_and_dated_names() {
    let dir = tmp();
    let kev = std::fs::read(feed("kev.json")).unwrap();
    let epss = std::fs::read(feed("epss.csv.gz")).unwrap();
    let server = Server::start(vec![
        ("/kev.json", 200, kev.clone()),
        ("/epss.csv.gz", 200, epss.clone()),
    ]);
    let o = fetch(dir.path(), &server);
    drop(server);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(o.stdout.is_empty());
    let out = dir.path().join("out");
    assert_eq!(std::fs::read(out.join("kev.json")).unwrap(), kev);
    assert_eq!(std::fs::read(out.join("epss.csv.gz")).unwrap(), epss);
    assert_eq!(
        std::fs::read(out.join(format!("kev-{}.json", kev_day()))).unwrap(),
        kev
    );
    assert_eq!(
        std::fs::read(out.join(format!("epss-{}.csv.gz", epss_day()))).unwrap(),
        epss
    );
    assert!(
        err.contains("downloading") && err.contains("validating"),
        "{err}"
    );
    // Nothing else (no temp file) is left behind.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
}

#[test]
fn a_failed_download_keeps_the_previous_copy() {
    let dir = tmp();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("kev.json"), b"previous kev").unwrap();
    std::fs::write(out.join("epss.csv.gz"), b"previous epss").unwrap();
    let epss = std::fs::read(feed("epss.csv.gz")).unwrap();
    let server = Server::start(vec![
        ("/kev.json", 500, b"internal error".to_vec()),
        ("/epss.csv.gz", 200, epss.clone()),
    ]);
    let o = fetch(dir.path(), &server);
    drop(server);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("previous copy is kept"), "{err}");
    assert_eq!(
        std::fs::read(out.join("kev.json")).unwrap(),
        b"previous kev"
    );
    // The other feed is still fetched.
    assert_eq!(std::fs::read(out.join("epss.csv.gz")).unwrap(), epss);
}

#[test]
fn a_malformed_feed_is_refused_with_exit_2_and_the_previous_copy_kept() {
    let dir = tmp();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old_kev = std::fs::read(feed("kev.json")).unwrap();
    std::fs::write(out.join("kev.json"), &old_kev).unwrap();
    std::fs::write(out.join("epss.csv.gz"), b"previous epss").unwrap();
    // A catalog cut short (as a truncated download is), and a score file with a bad row.
    let truncated = old_kev[..old_kev.len() / 2].to_vec();
    let bad_epss = b"#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n\
cve,epss,percentile\nCVE-2021-44228,7,0.9\n"
        .to_vec();
    let server = Server::start(vec![
        ("/kev.json", 200, truncated),
        ("/epss.csv.gz", 200, bad_epss),
    ]);
    let o = fetch(dir.path(), &server);
    drop(server);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a CISA KEV catalog"), "{err}");
    assert!(err.contains("not an EPSS score file"), "{err}");
    assert_eq!(std::fs::read(out.join("kev.json")).unwrap(), old_kev);
    assert_eq!(
        std::fs::read(out.join("epss.csv.gz")).unwrap(),
        b"previous epss"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2, "no dated copy");
}

/// A feed dated after the clock (the gate would refuse it) or older than the copy already
/// there (a stale mirror, a replayed response) does not replace that copy: exit 2, one line
/// each, nothing written.
#[test]
fn a_feed_from_the_future_or_older_than_the_copy_is_refused() {
    let dir = tmp();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let kev = std::fs::read(feed("kev.json")).unwrap();
    let epss = std::fs::read_to_string(feed("epss.csv")).unwrap();
    std::fs::write(out.join("kev.json"), &kev).unwrap();
    // The server's catalog is a year older than the copy; its scores a year newer than
    // the clock.
    let (kev_date, epss_date) = (kev_day(), epss_day());
    let year = |d: &str, by: i32| {
        let y: i32 = d[..4].parse().unwrap();
        format!("{}{}", y + by, &d[4..])
    };
    let older_kev =
        String::from_utf8(kev.clone())
            .unwrap()
            .replacen(&kev_date, &year(&kev_date, -1), 1);
    assert_ne!(older_kev.as_bytes(), kev.as_slice());
    let future_epss = epss.replacen(&epss_date, &year(&epss_date, 1), 1);
    let server = Server::start(vec![
        ("/kev.json", 200, older_kev.into_bytes()),
        ("/epss.csv.gz", 200, future_epss.into_bytes()),
    ]);
    // The clock: noon of the later fixture date.
    let now = format!("{}T12:00:00Z", epss_date.max(kev_date.clone()));
    let o = fetch_at(dir.path(), &server, Some(&now));
    drop(server);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("older than the copy already in") && err.contains("roll the feed back"),
        "{err}"
    );
    assert!(err.contains("later than now"), "{err}");
    assert_eq!(std::fs::read(out.join("kev.json")).unwrap(), kev);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "nothing written"
    );
}

/// A plain-HTTP loopback URL's redirect is not followed (it could lead to any host in
/// the clear); an https:// URL may not redirect to plain HTTP either (ureq's https_only).
#[test]
fn a_loopback_url_that_redirects_is_not_followed() {
    let dir = tmp();
    let kev = std::fs::read(feed("kev.json")).unwrap();
    let epss = std::fs::read(feed("epss.csv.gz")).unwrap();
    let target = Server::start(vec![("/kev.json", 200, kev), ("/epss.csv.gz", 200, epss)]);
    // 127.0.0.2 is loopback too, but not a loopback name vexgate accepts as a URL.
    let elsewhere = format!("http://127.0.0.2:{}/kev.json", target.port);
    let server = Server::start(vec![
        ("/kev.json", 302, elsewhere.into_bytes()),
        ("/epss.csv.gz", 302, target.url("/epss.csv.gz").into_bytes()),
    ]);
    let o = fetch(dir.path(), &server);
    drop(server);
    drop(target);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.matches("redirects are followed only from https:// URLs")
            .count(),
        2,
        "{err}"
    );
    assert!(!dir.path().join("out/kev.json").exists());
    assert!(!dir.path().join("out/epss.csv.gz").exists());
}
