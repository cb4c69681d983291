//! The live progress line on stderr (indicatif; drawn only on a terminal): elapsed time,
//! operations, operations per second, MB/s, p99 latency and errors, refreshed a few times a
//! second from the shared metrics.

use super::metrics::Metrics;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The progress line.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Starts a spinner line, hidden when `quiet`.
    pub fn start(quiet: bool) -> Progress {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    /// A status message (prepare phase, cleanup).
    pub fn phase(&self, text: &str) {
        self.bar.set_message(text.to_string());
    }

    /// Refreshes the line from the metrics.
    pub fn update(&self, metrics: &Arc<Mutex<Metrics>>, since: Instant) {
        let (requests, errors, bytes, p99) =
            metrics.lock().unwrap_or_else(|e| e.into_inner()).totals();
        let secs = since.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{secs:6.1}s  {requests} ops  {:.0} ops/s  {:.1} MB/s  p99 {:.2} ms  errors {errors}",
            requests as f64 / secs,
            bytes as f64 / 1e6 / secs,
            p99 as f64 / 1000.0
        ));
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
