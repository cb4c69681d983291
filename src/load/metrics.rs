//! Recording under load: per operation, one HDR histogram of total latency and one of time to
//! first byte (microseconds, 3 significant digits, up to an hour), counters of requests, bytes
//! and errors by kind, and a per-second timeline. Shared by all workers behind one mutex (a
//! record is a few hundred nanoseconds); interval histograms feed the HDR interval log.

use super::spec::Workload;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Highest latency a histogram holds exactly (larger values saturate): one hour in µs.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Why an operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// An unexpected HTTP status.
    Status,
    /// No complete answer within the request timeout.
    Timeout,
    /// Connecting failed or the connection broke before a response.
    Connection,
    /// The bytes received do not hash to the digest they were asked for.
    DigestMismatch,
    /// The response broke a contract rule checked under load (status class aside).
    Contract,
    /// The body broke off or was longer or shorter than announced.
    Body,
    /// Credentials were refused or a token could not be obtained.
    Auth,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Status,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::DigestMismatch,
        ErrorKind::Contract,
        ErrorKind::Body,
        ErrorKind::Auth,
    ];

    /// Name in reports and thresholds.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Status => "status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::DigestMismatch => "digest_mismatch",
            ErrorKind::Contract => "contract",
            ErrorKind::Body => "body",
            ErrorKind::Auth => "auth",
        }
    }
}

/// A failed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Kind.
    pub kind: ErrorKind,
    /// The status received, if any.
    pub status: Option<u16>,
    /// The contract rule broken, for `Contract`.
    pub rule: Option<&'static str>,
    /// One line for people (no secrets: URLs without query strings).
    pub detail: String,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Failure {
            kind,
            status: None,
            rule: None,
            detail: detail.into(),
        }
    }

    /// An unexpected status.
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        Failure {
            kind: ErrorKind::Status,
            status: Some(status),
            rule: None,
            detail: detail.into(),
        }
    }

    /// A broken contract rule.
    pub fn contract(rule: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            kind: ErrorKind::Contract,
            status: None,
            rule: Some(rule),
            detail: detail.into(),
        }
    }
}

/// One finished operation.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Workload.
    pub op: Workload,
    /// From the intended start (open model) or the actual start (closed model) to the end.
    pub latency: Duration,
    /// From the same start to the response head of the operation's main request.
    pub ttfb: Option<Duration>,
    /// Payload bytes moved (received for reads, sent for pushes).
    pub bytes: u64,
    /// When it ended, relative to the start of measurement.
    pub at: Duration,
    /// `None` on success.
    pub failure: Option<Failure>,
    /// The requests inside the operation, by kind, with their latency (image workloads).
    pub parts: Vec<(&'static str, Duration)>,
}

/// Counters and histograms of one workload.
#[derive(Debug, Clone)]
pub struct OpMetrics {
    /// Latency of successful operations (µs).
    pub latency: Histogram<u64>,
    /// Time to first byte of successful operations (µs).
    pub ttfb: Histogram<u64>,
    /// Operations finished.
    pub requests: u64,
    /// Operations failed.
    pub errors: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Failures by kind.
    pub error_kinds: BTreeMap<ErrorKind, u64>,
    /// Unexpected statuses by code.
    pub statuses: BTreeMap<u16, u64>,
    /// Contract violations by rule.
    pub rules: BTreeMap<String, u64>,
    /// The first few failure details.
    pub examples: Vec<String>,
    /// Latency of the requests inside successful operations, by kind (`manifest`, `layer`, …;
    /// the image workloads).
    pub parts: BTreeMap<&'static str, Histogram<u64>>,
}

/// Failure details kept per workload.
pub const MAX_EXAMPLES: usize = 5;

/// A histogram with the bounds every load histogram uses.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant histogram bounds are valid")
}

impl Default for OpMetrics {
    fn default() -> Self {
        OpMetrics {
            latency: new_histogram(),
            ttfb: new_histogram(),
            requests: 0,
            errors: 0,
            bytes: 0,
            error_kinds: BTreeMap::new(),
            statuses: BTreeMap::new(),
            rules: BTreeMap::new(),
            examples: Vec::new(),
            parts: BTreeMap::new(),
        }
    }
}

/// One second of the timeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// Operations that ended in this second.
    pub requests: u64,
    /// Payload bytes of those operations.
    pub bytes: u64,
    /// Failed operations among them.
    pub errors: u64,
}

/// Everything recorded during the measured part of a run.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per workload.
    pub ops: BTreeMap<Workload, OpMetrics>,
    /// Per second since the start of measurement.
    pub timeline: Vec<Tick>,
    /// Latency histograms since the last `take_interval`, for the interval log.
    interval: BTreeMap<Workload, Histogram<u64>>,
}

/// Longest timeline kept (a week of seconds); later seconds fold into the last one.
const MAX_TIMELINE: usize = 7 * 86_400;

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl Metrics {
    /// Records one finished operation.
    pub fn record(&mut self, s: &Sample) {
        let m = self.ops.entry(s.op).or_default();
        m.requests += 1;
        m.bytes += s.bytes;
        match &s.failure {
            None => {
                m.latency.saturating_record(micros(s.latency));
                for (kind, d) in &s.parts {
                    m.parts
                        .entry(kind)
                        .or_insert_with(new_histogram)
                        .saturating_record(micros(*d));
                }
                if let Some(t) = s.ttfb {
                    m.ttfb.saturating_record(micros(t));
                }
                self.interval
                    .entry(s.op)
                    .or_insert_with(new_histogram)
                    .saturating_record(micros(s.latency));
            }
            Some(f) => {
                m.errors += 1;
                *m.error_kinds.entry(f.kind).or_default() += 1;
                if let Some(code) = f.status {
                    *m.statuses.entry(code).or_default() += 1;
                }
                if let Some(rule) = f.rule {
                    *m.rules.entry(rule.to_string()).or_default() += 1;
                }
                if m.examples.len() < MAX_EXAMPLES {
                    m.examples.push(format!("{}: {}", f.kind.name(), f.detail));
                }
            }
        }
        let second = (s.at.as_secs() as usize).min(MAX_TIMELINE - 1);
        if self.timeline.len() <= second {
            self.timeline.resize(second + 1, Tick::default());
        }
        let tick = &mut self.timeline[second];
        tick.requests += 1;
        tick.bytes += s.bytes;
        tick.errors += u64::from(s.failure.is_some());
    }

    /// Takes the latency histograms recorded since the previous call.
    pub fn take_interval(&mut self) -> BTreeMap<Workload, Histogram<u64>> {
        std::mem::take(&mut self.interval)
    }

    /// Totals over all workloads: (requests, errors, bytes, p99 latency in µs).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        let mut all = new_histogram();
        let (mut r, mut e, mut b) = (0, 0, 0);
        for m in self.ops.values() {
            r += m.requests;
            e += m.errors;
            b += m.bytes;
            let _ = all.add(&m.latency);
        }
        (r, e, b, all.value_at_quantile(0.99))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(op: Workload, ms: u64, at: u64, failure: Option<Failure>) -> Sample {
        Sample {
            op,
            latency: Duration::from_millis(ms),
            ttfb: Some(Duration::from_millis(ms / 2)),
            bytes: 100,
            at: Duration::from_secs(at),
            failure,
            parts: Vec::new(),
        }
    }

    #[test]
    fn successes_feed_histograms_and_failures_feed_counters() {
        let mut m = Metrics::default();
        m.record(&sample(Workload::Pull, 10, 0, None));
        m.record(&sample(Workload::Pull, 30, 2, None));
        m.record(&sample(
            Workload::Pull,
            1,
            2,
            Some(Failure::status(503, "GET x: 503")),
        ));
        m.record(&sample(
            Workload::Head,
            5,
            1,
            Some(Failure::contract("CheckBlobExists.headers", "no digest")),
        ));
        let pull = &m.ops[&Workload::Pull];
        assert_eq!((pull.requests, pull.errors, pull.bytes), (3, 1, 300));
        assert_eq!(pull.latency.len(), 2);
        assert_eq!(pull.latency.max() / 1000, 30);
        assert_eq!(pull.ttfb.len(), 2);
        assert_eq!(pull.statuses[&503], 1);
        assert_eq!(pull.error_kinds[&ErrorKind::Status], 1);
        assert_eq!(m.ops[&Workload::Head].rules["CheckBlobExists.headers"], 1);
        assert_eq!(m.timeline.len(), 3);
        assert_eq!(m.timeline[2].requests, 2);
        assert_eq!(m.timeline[2].errors, 1);
        assert_eq!(m.timeline[1].errors, 1);
        let (r, e, b, _) = m.totals();
        assert_eq!((r, e, b), (4, 2, 400));
        let interval = m.take_interval();
        assert_eq!(interval[&Workload::Pull].len(), 2);
        assert!(m.take_interval().is_empty());
    }
}
