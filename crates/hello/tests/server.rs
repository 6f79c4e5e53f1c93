//! End-to-end tests over the real `hello` binary: each test spawns it on 127.0.0.1 and a
//! free port, talks HTTP/1.1 to it over std TCP, and signals it like a container runtime.
//! The child is killed on drop, so a failing test never leaves a server running.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_hello");

/// A port nobody listens on right now. The healthcheck needs a known port, so `PORT=0` is
/// not enough; the tiny window between dropping this listener and the child binding it is
/// covered by `Server::start`, which waits for the child's own "listening" line and tries
/// another port when the child exits instead.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port on 127.0.0.1")
}

struct Server {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(BIN)
                .env_clear()
                .env("BIND", "127.0.0.1")
                .env("PORT", port.to_string())
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn hello");
            let stdout = Arc::new(Mutex::new(Vec::new()));
            let pipe = child.stdout.take().expect("piped stdout");
            let sink = Arc::clone(&stdout);
            let reader = thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    match line {
                        Ok(l) => sink.lock().unwrap().push(l),
                        Err(_) => break,
                    }
                }
            });
            let mut server = Server {
                child,
                port,
                stdout,
                reader: Some(reader),
            };
            // Ready when *this* child says it listens on the port. A bare connect is not
            // proof: if another test bound the port in the window after `free_port`, the
            // connect would reach that listener while this child failed to bind.
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                let listening = server.stdout.lock().unwrap().iter().any(|l| {
                    serde_json::from_str::<Value>(l).is_ok_and(|v| {
                        v["msg"] == "listening" && v["addr"] == server.addr().to_string()
                    })
                });
                if listening {
                    return server;
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // lost the race for the port (or failed to start): try another
                }
                thread::sleep(Duration::from_millis(20));
            }
            drop(server);
        }
        panic!("hello did not start listening on 127.0.0.1");
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
    }

    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                if let Some(r) = self.reader.take() {
                    r.join().expect("stdout reader");
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "hello did not exit within {within:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every stdout line, each parsed as JSON (a non-JSON line fails the test).
    fn logs(&self) -> Vec<Value> {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("log line {l:?} is not JSON: {e}"))
            })
            .collect()
    }

    fn wait_for_log(&self, msg: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(v) = self.logs().into_iter().find(|v| v["msg"] == msg) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "no {msg:?} log line within {within:?}: {:?}",
                self.logs()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct HttpResponse {
    status: u16,
    head: String,
    body: String,
}

/// A minimal HTTP/1.1 request over std TCP (`Connection: close`, read to EOF).
fn http(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<HttpResponse> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header terminator in {raw:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    Ok(HttpResponse {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    })
}

fn healthcheck(port: u16) -> std::process::Output {
    Command::new(BIN)
        .arg("healthcheck")
        .env_clear()
        .env("PORT", port.to_string())
        .output()
        .expect("run hello healthcheck")
}

#[test]
fn root_says_hello_world() {
    let server = Server::start(&[]);
    let r = http(server.addr(), "GET", "/").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello world");
    assert!(r.head.contains("content-type: text/plain"), "{}", r.head);
}

#[test]
fn healthz_is_200_and_other_routes_are_not_found() {
    let server = Server::start(&[]);
    assert_eq!(http(server.addr(), "GET", "/healthz").unwrap().status, 200);
    assert_eq!(http(server.addr(), "GET", "/nope").unwrap().status, 404);
    assert_eq!(http(server.addr(), "POST", "/").unwrap().status, 405);
}

#[test]
fn every_request_is_one_json_log_line_on_stdout() {
    let mut server = Server::start(&[]);
    http(server.addr(), "GET", "/").unwrap();
    http(server.addr(), "GET", "/missing").unwrap();
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(10)).success());
    let logs = server.logs();
    let listening = &logs[0];
    assert_eq!(listening["msg"], "listening");
    assert_eq!(listening["addr"], server.addr().to_string());
    let requests: Vec<&Value> = logs.iter().filter(|v| v["msg"] == "request").collect();
    assert_eq!(requests.len(), 2, "{logs:?}");
    for (req, (path, status)) in requests.iter().zip([("/", 200), ("/missing", 404)]) {
        assert_eq!(req["level"], "info");
        assert_eq!(req["method"], "GET");
        assert_eq!(req["path"], path);
        assert_eq!(req["status"], status);
        assert_eq!(req["version"], "HTTP/1.1");
        assert!(req["duration_ms"].as_f64().is_some(), "{req}");
        // RFC 3339 UTC timestamp, e.g. 2026-09-01T12:00:00.123Z
        let ts = req["ts"].as_str().unwrap();
        assert!(
            ts.len() >= 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
            "{ts}"
        );
    }
}

#[test]
fn healthcheck_subcommand_exits_0_against_a_live_server() {
    let server = Server::start(&[]);
    let out = healthcheck(server.port);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the probe shows up in the server's request log
    let probe = server.wait_for_log("request", Duration::from_secs(5));
    assert_eq!(probe["path"], "/healthz");
}

#[test]
fn healthcheck_subcommand_exits_1_when_nothing_listens() {
    let out = healthcheck(free_port());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("healthcheck: cannot connect to 127.0.0.1:"),
        "{err}"
    );
}

#[test]
fn healthcheck_subcommand_exits_1_on_a_non_200_answer() {
    // A stand-in server on 127.0.0.1 that answers 503 once.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        s.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    });
    let out = healthcheck(port);
    let request = fake.join().unwrap();
    assert!(
        request.starts_with("GET /healthz HTTP/1.1\r\n"),
        "{request:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("answered 503"), "{err}");
}

#[test]
fn healthcheck_with_a_bad_port_is_unhealthy_not_a_crash() {
    let out = Command::new(BIN)
        .arg("healthcheck")
        .env_clear()
        .env("PORT", "eighty")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORT=\"eighty\""));
}

#[test]
fn bad_configuration_is_one_line_and_exit_2() {
    let out = Command::new(BIN)
        .env_clear()
        .env("BIND", "example")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("hello: BIND=\"example\""), "{err}");
    let out = Command::new(BIN).arg("serve-forever").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// SIGTERM (and SIGINT) while a request is being handled: the listener closes at once,
/// the in-flight request still completes with its full response, and the process exits 0.
fn graceful_shutdown(sig: libc::c_int, name: &str) {
    let mut server = Server::start(&[("HELLO_TEST_DELAY_MS", "1500")]);
    let addr = server.addr();
    let in_flight = thread::spawn(move || http(addr, "GET", "/"));
    // wait until the request is inside the server: its connection is accepted and the
    // handler is sleeping (no request log line yet, since that is written on completion)
    thread::sleep(Duration::from_millis(400));
    assert!(
        !in_flight.is_finished(),
        "the slow request finished before the signal"
    );
    server.signal(sig);
    let shutdown = server.wait_for_log("shutdown", Duration::from_secs(5));
    assert_eq!(shutdown["signal"], name);
    // New connections are refused while the old request drains.
    let deadline = Instant::now() + Duration::from_secs(1);
    while TcpStream::connect(addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "listener still open after {name}"
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !in_flight.is_finished(),
        "in-flight request ended before its delay"
    );
    let r = in_flight
        .join()
        .unwrap()
        .expect("in-flight request completes");
    assert_eq!((r.status, r.body.as_str()), (200, "hello world"));
    let status = server.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    let logs = server.logs();
    assert_eq!(logs.last().unwrap()["msg"], "stopped", "{logs:?}");
    assert!(
        logs.iter()
            .any(|v| v["msg"] == "request" && v["status"] == 200)
    );
}

#[test]
fn sigterm_drains_the_in_flight_request_and_exits_0() {
    graceful_shutdown(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sigint_drains_the_in_flight_request_and_exits_0() {
    graceful_shutdown(libc::SIGINT, "SIGINT");
}

#[test]
fn idle_server_stops_promptly_on_sigterm() {
    let mut server = Server::start(&[]);
    let t = Instant::now();
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(5)).code(), Some(0));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn requests_outliving_the_grace_period_are_cut_and_exit_is_1() {
    let mut server = Server::start(&[
        ("HELLO_TEST_DELAY_MS", "10000"),
        ("SHUTDOWN_GRACE_SECS", "1"),
    ]);
    let addr = server.addr();
    let in_flight = thread::spawn(move || http(addr, "GET", "/"));
    thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(5)).code(), Some(1));
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        in_flight.join().unwrap().is_err(),
        "the cut request must not look successful"
    );
    let last = server.logs().pop().unwrap();
    assert_eq!(
        (last["level"].as_str(), last["msg"].as_str()),
        (Some("error"), Some("stopped"))
    );
}
