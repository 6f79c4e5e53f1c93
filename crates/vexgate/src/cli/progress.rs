//! `vexgate scan`'s per-platform progress: spinners on a terminal, plain lines otherwise
//! (both on stderr, so stdout carries only the gate's output), and Ctrl-C.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use vexgate_core::escape::term;
use vexgate_core::scan;

/// Set on Ctrl-C (and SIGTERM, SIGHUP); the scan driver kills its Trivy runs and fails.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Flag Ctrl-C instead of dying, so the running Trivy children are killed first.
pub fn catch_interrupts() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Spinners when stderr is a terminal, lines otherwise.
pub struct Progress {
    tty: bool,
    bars: OnceLock<(MultiProgress, Vec<ProgressBar>)>,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            bars: OnceLock::new(),
        }
    }
}

impl scan::Progress for Progress {
    fn begin(&self, n: usize) {
        if !self.tty {
            return;
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix:<16} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = (0..n)
            .map(|_| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(style.clone());
                b.set_message("queued");
                b
            })
            .collect();
        let _ = self.bars.set((multi, bars));
    }

    fn start(&self, i: usize, label: &str) {
        match self.bars.get().and_then(|(_, bars)| bars.get(i)) {
            Some(bar) => {
                bar.set_prefix(term(label).into_owned());
                bar.set_message("scanning");
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            None => eprintln!("vexgate: scan {}: trivy started", term(label)),
        }
    }

    fn done(&self, i: usize, label: &str, what: &str, took: Duration) {
        match self.bars.get().and_then(|(_, bars)| bars.get(i)) {
            Some(bar) => bar.finish_with_message(format!("{what} ({:.1}s)", took.as_secs_f64())),
            None => eprintln!(
                "vexgate: scan {}: {what} in {:.1}s",
                term(label),
                took.as_secs_f64()
            ),
        }
    }

    fn trivy_log(&self, label: &str, line: &str) {
        // Trivy's log may quote the image: each line escaped, under vexgate's own prefix.
        eprintln!("vexgate: trivy {}: {}", term(label), term(line));
    }

    fn finish(&self) {
        if let Some((multi, _)) = self.bars.get() {
            let _ = multi.clear();
        }
    }
}
