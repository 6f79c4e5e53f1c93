//! `hello`: the reference service that the hardened image ships.
//!
//! * `GET /` answers `hello world`, `GET /healthz` answers 200.
//! * Configuration comes from the environment (see [`Config::from_env`]).
//! * Every request is logged as one JSON object per line on stdout ([`log`]).
//! * SIGTERM and SIGINT start a graceful shutdown: the listener closes, in-flight requests
//!   finish, and the process exits 0 (it runs as PID 1 in the image, where the kernel
//!   installs no default handlers, so the signals must be handled explicitly).
//! * `hello healthcheck` ([`healthcheck`]) probes `/healthz` over plain std TCP, so the
//!   image's exec-form HEALTHCHECK needs no shell and no curl.

#![forbid(unsafe_code)]

pub mod log;

use std::future::{Future, IntoFuture};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Port used when `PORT` is unset (the image EXPOSEs it).
pub const DEFAULT_PORT: u16 = 8080;
/// Address used when `BIND` is unset: every interface, which is what a container needs.
pub const DEFAULT_BIND: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// How long in-flight requests may take to finish after SIGTERM. Below `docker stop`'s
/// default 10 s, so the process exits on its own before it would be SIGKILLed.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(8);
/// Upper bound for `HELLO_TEST_DELAY_MS` (read only with the `test-hooks` feature).
pub const MAX_TEST_DELAY: Duration = Duration::from_secs(60);

/// Runtime configuration, read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `BIND`: IP address to listen on (default 0.0.0.0).
    pub bind: IpAddr,
    /// `PORT`: TCP port (default 8080).
    pub port: u16,
    /// `SHUTDOWN_GRACE_SECS`: drain period after a shutdown signal (default 8).
    pub shutdown_grace: Duration,
    /// Artificial latency added to `GET /` (default 0), from `HELLO_TEST_DELAY_MS` in builds
    /// with the `test-hooks` cargo feature (the test suite's), so that "an in-flight request
    /// survives SIGTERM" is observable. Release builds and the image neither read nor
    /// mention the variable: it is always 0 there.
    pub test_delay: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: DEFAULT_BIND,
            port: DEFAULT_PORT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            test_delay: Duration::ZERO,
        }
    }
}

impl Config {
    /// Reads the configuration through `lookup` (normally `std::env::var`). An empty
    /// variable counts as unset. The error is one line naming the variable and the problem.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut cfg = Config::default();
        if let Some(v) = get("BIND") {
            cfg.bind = v.trim().parse().map_err(|_| {
                format!("BIND={v:?} is not an IP address (e.g. 0.0.0.0, 127.0.0.1, ::)")
            })?;
        }
        if let Some(v) = get("PORT") {
            cfg.port = v
                .trim()
                .parse()
                .map_err(|_| format!("PORT={v:?} is not a port number (0-65535)"))?;
        }
        if let Some(v) = get("SHUTDOWN_GRACE_SECS") {
            let secs: u64 = v.trim().parse().map_err(|_| {
                format!("SHUTDOWN_GRACE_SECS={v:?} is not a whole number of seconds")
            })?;
            cfg.shutdown_grace = Duration::from_secs(secs);
        }
        #[cfg(feature = "test-hooks")]
        if let Some(v) = get("HELLO_TEST_DELAY_MS") {
            let ms: u64 = v.trim().parse().map_err(|_| {
                format!("HELLO_TEST_DELAY_MS={v:?} is not a whole number of milliseconds")
            })?;
            let delay = Duration::from_millis(ms);
            if delay > MAX_TEST_DELAY {
                return Err(format!(
                    "HELLO_TEST_DELAY_MS={v:?} exceeds the maximum of 60000"
                ));
            }
            cfg.test_delay = delay;
        }
        Ok(cfg)
    }

    /// The socket address to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The address `hello healthcheck` probes: loopback when the server listens on a
    /// wildcard address (the image's case: 127.0.0.1), otherwise the bound address itself.
    pub fn probe_addr(&self) -> SocketAddr {
        let ip = match self.bind {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        SocketAddr::new(ip, self.port)
    }
}

/// The HTTP routes, with the request-log middleware around them.
pub fn app(cfg: &Config) -> Router {
    let delay = cfg.test_delay;
    Router::new()
        .route(
            "/",
            get(move || async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "hello world",
                )
            }),
        )
        .route("/healthz", get(|| async { (StatusCode::OK, "ok") }))
        .layer(middleware::from_fn(log_request))
}

/// Logs one JSON line per request after the response is produced.
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let version = format!("{:?}", req.version());
    let response = next.run(req).await.into_response();
    log::info(
        "request",
        json!({
            "method": method,
            "path": path,
            "version": version,
            "status": response.status().as_u16(),
            "duration_ms": (start.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        }),
    );
    response
}

/// Why [`serve`] returned unsuccessfully.
#[derive(Debug)]
pub enum ServeError {
    /// Accepting or serving failed.
    Io(io::Error),
    /// In-flight requests were still running when the grace period ended.
    GraceExceeded(Duration),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Io(e) => write!(f, "server error: {e}"),
            ServeError::GraceExceeded(d) => write!(
                f,
                "requests still in flight after the {}s shutdown grace period; dropping them",
                d.as_secs()
            ),
        }
    }
}

/// Serves `app(cfg)` on `listener` until `shutdown` resolves (to the signal's name), then
/// stops accepting, lets in-flight requests finish for up to `cfg.shutdown_grace`, and
/// returns.
pub async fn serve(
    listener: TcpListener,
    cfg: &Config,
    shutdown: impl Future<Output = &'static str>,
) -> Result<(), ServeError> {
    let (stop_tx, mut stop_rx) = watch::channel(());
    let server = axum::serve(listener, app(cfg))
        .with_graceful_shutdown(async move {
            // Resolves when stop_tx sends (or is dropped).
            let _ = stop_rx.changed().await;
        })
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        res = &mut server => return res.map_err(ServeError::Io),
        signal = shutdown => {
            log::info(
                "shutdown",
                json!({ "signal": signal, "grace_secs": cfg.shutdown_grace.as_secs() }),
            );
            let _ = stop_tx.send(());
        }
    }
    match tokio::time::timeout(cfg.shutdown_grace, server).await {
        Ok(res) => res.map_err(ServeError::Io),
        Err(_) => Err(ServeError::GraceExceeded(cfg.shutdown_grace)),
    }
}

/// Total time budget for one healthcheck probe (connect, and each read/write).
pub const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Probes `http://<addr>/healthz` with a minimal HTTP/1.1 GET. `Ok(())` means status 200.
pub fn healthcheck(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("cannot set socket timeouts: {e}"))?;
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: hello-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send request to {addr}: {e}"))?;
    // The status line is all we need; 1 KiB bounds what a misbehaving peer can make us read.
    let mut buf = Vec::with_capacity(256);
    stream
        .take(1024)
        .read_to_end(&mut buf)
        .map_err(|e| format!("no response from {addr}: {e}"))?;
    match parse_status(&buf) {
        Some(200) => Ok(()),
        Some(code) => Err(format!("http://{addr}/healthz answered {code}")),
        None => Err(format!("http://{addr}/healthz sent no HTTP status line")),
    }
}

/// The status code of an `HTTP/1.x NNN ...` response head.
pub fn parse_status(response: &[u8]) -> Option<u16> {
    let line_end = response.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&response[..line_end]).ok()?.trim_end();
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_listen_on_every_interface_port_8080() {
        let cfg = Config::from_env(env(&[])).unwrap();
        assert_eq!(cfg.listen_addr(), "0.0.0.0:8080".parse().unwrap());
        assert_eq!(cfg.probe_addr(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cfg.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
        assert_eq!(cfg.test_delay, Duration::ZERO);
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let cfg = Config::from_env(env(&[("PORT", ""), ("BIND", "  ")])).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn port_and_bind_are_read() {
        let cfg = Config::from_env(env(&[("PORT", "9000"), ("BIND", "127.0.0.1")])).unwrap();
        assert_eq!(cfg.listen_addr(), "127.0.0.1:9000".parse().unwrap());
        assert_eq!(cfg.probe_addr(), "127.0.0.1:9000".parse().unwrap());
    }

    #[test]
    fn ipv6_wildcard_probes_ipv6_loopback() {
        let cfg = Config::from_env(env(&[("BIND", "::"), ("PORT", "81")])).unwrap();
        assert_eq!(cfg.probe_addr(), "[::1]:81".parse().unwrap());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, val) in [
            ("PORT", "http"),
            ("PORT", "70000"),
            ("BIND", "localhost"),
            ("SHUTDOWN_GRACE_SECS", "-1"),
            #[cfg(feature = "test-hooks")]
            ("HELLO_TEST_DELAY_MS", "1.5"),
            #[cfg(feature = "test-hooks")]
            ("HELLO_TEST_DELAY_MS", "60001"),
        ] {
            let err = Config::from_env(env(&[(var, val)])).unwrap_err();
            assert!(err.starts_with(&format!("{var}=")), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn status_line_parsing() {
        assert_eq!(
            parse_status(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
            Some(200)
        );
        assert_eq!(
            parse_status(b"HTTP/1.0 503 Service Unavailable\r\n\r\n"),
            Some(503)
        );
        assert_eq!(parse_status(b"HTTP/1.1 204\r\n\r\n"), Some(204));
        assert_eq!(parse_status(b"HTTP/1.1 200 OK"), None, "no line end");
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 20 OK\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 abc OK\r\n"), None);
        assert_eq!(parse_status(b"\xff\xfe\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }
}
