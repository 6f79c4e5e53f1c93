//! `hello` serves HTTP; `hello healthcheck` probes a running instance. See the library docs.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use hello::{Config, HEALTHCHECK_TIMEOUT, log};
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "\
usage: hello              serve HTTP (GET / and GET /healthz)
       hello healthcheck  probe http://127.0.0.1:$PORT/healthz; exit 0 if it answers 200, else 1
       hello --version

environment:
  PORT                 listen port (default 8080)
  BIND                 listen address (default 0.0.0.0)
  SHUTDOWN_GRACE_SECS  drain time for in-flight requests after SIGTERM/SIGINT (default 8)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => run_server(),
        ["healthcheck"] => run_healthcheck(),
        ["-h" | "--help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["-V" | "--version"] => {
            println!("hello {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("hello: unexpected arguments {other:?}; run `hello --help`");
            ExitCode::from(2)
        }
    }
}

fn config() -> Result<Config, String> {
    Config::from_env(|k| std::env::var(k).ok())
}

/// Docker treats exit 1 as "unhealthy" (2 is reserved), so every failure, including a bad
/// PORT, exits 1 here.
fn run_healthcheck() -> ExitCode {
    let cfg = match config() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    match hello::healthcheck(cfg.probe_addr(), HEALTHCHECK_TIMEOUT) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_server() -> ExitCode {
    let cfg = match config() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("hello: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::error(
                "startup failed",
                json!({ "error": format!("tokio runtime: {e}") }),
            );
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        // Install the handlers before binding: once a client can connect, SIGTERM is handled.
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                log::error(
                    "startup failed",
                    json!({ "error": format!("signal handlers: {e}") }),
                );
                return ExitCode::FAILURE;
            }
        };
        let addr = cfg.listen_addr();
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                log::error(
                    "startup failed",
                    json!({ "error": format!("cannot listen on {addr}: {e}") }),
                );
                return ExitCode::FAILURE;
            }
        };
        let local = listener.local_addr().map_or(addr, |a| a);
        log::info(
            "listening",
            json!({ "addr": local.to_string(), "version": env!("CARGO_PKG_VERSION") }),
        );
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        };
        match hello::serve(listener, &cfg, shutdown).await {
            Ok(()) => {
                log::info("stopped", json!({}));
                ExitCode::SUCCESS
            }
            // Either a serving error or requests cut off by the grace period.
            Err(e) => {
                log::error("stopped", json!({ "error": e.to_string() }));
                ExitCode::FAILURE
            }
        }
    })
}
