//! The load result model, serialized into the JSON report under `load`: per workload the
//! counters, errors by kind, throughput, and latency / time-to-first-byte summaries that carry
//! their whole HDR histogram (base64 of the V2 encoding, lossless), plus the per-second
//! timeline. Built from `Metrics`, merged exactly across shards (histograms added, counters
//! summed, timelines aligned on wall-clock seconds).

use super::cpu::CpuTime;
use super::metrics::{ErrorKind, Metrics, OpMetrics, Tick, new_histogram};
use super::pool::PrepareStats;
use super::spec::LoadSpec;
use super::threshold::ThresholdResult;
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Latency (or time to first byte) of one workload, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Minimum.
    pub min_us: u64,
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Maximum.
    pub max_us: u64,
    /// The histogram: base64 of its HdrHistogram V2 encoding (lossless).
    pub histogram: String,
}

impl LatencySummary {
    /// Summarizes a histogram.
    pub fn of(h: &Histogram<u64>) -> Self {
        let mut buf = Vec::new();
        let encoded = match V2Serializer::new().serialize(h, &mut buf) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(&buf),
            Err(_) => String::new(),
        };
        let empty = h.is_empty();
        let q = |x: f64| if empty { 0 } else { h.value_at_quantile(x) };
        LatencySummary {
            count: h.len(),
            min_us: if empty { 0 } else { h.min() },
            mean_us: if empty { 0.0 } else { h.mean() },
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: if empty { 0 } else { h.max() },
            histogram: encoded,
        }
    }

    /// Decodes the histogram back.
    pub fn decode(&self) -> Result<Histogram<u64>, String> {
        if self.histogram.is_empty() {
            return Ok(new_histogram());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.histogram)
            .map_err(|e| format!("histogram is not base64: {e}"))?;
        Deserializer::new()
            .deserialize(&mut std::io::Cursor::new(bytes))
            .map_err(|e| format!("histogram does not decode: {e:?}"))
    }

    /// Any quantile (0..=1), decoding the histogram.
    pub fn quantile(&self, q: f64) -> u64 {
        match self.decode() {
            Ok(h) if !h.is_empty() => h.value_at_quantile(q),
            _ => 0,
        }
    }
}

/// Results of one workload (or of all: `name` = "total").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpReport {
    /// Workload name.
    pub name: String,
    /// Operations finished (successes and failures).
    pub requests: u64,
    /// Operations failed.
    pub errors: u64,
    /// errors / requests.
    pub error_rate: f64,
    /// Failures by kind (`status`, `timeout`, `connection`, `digest_mismatch`, `contract`,
    /// `body`, `auth`).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Unexpected statuses by code.
    pub statuses: BTreeMap<String, u64>,
    /// Contract rules broken under load, by rule id.
    pub contract_violations: BTreeMap<String, u64>,
    /// Payload bytes moved.
    pub bytes: u64,
    /// Successful operations per second over the measured time (failures are not throughput).
    pub rps: f64,
    /// Failed operations per second over the measured time.
    #[serde(default)]
    pub errors_per_sec: f64,
    /// Megabytes (10^6 bytes) of payload per second.
    pub mbps: f64,
    /// Latency of successful operations.
    pub latency: LatencySummary,
    /// Time to the first response head of successful operations.
    pub ttfb: LatencySummary,
    /// The first few failures, one line each.
    pub examples: Vec<String>,
    /// Latency of the requests inside successful operations, by kind (image workloads:
    /// `resolve`, `manifest`, `config`, `layer`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests_by_kind: BTreeMap<String, LatencySummary>,
}

/// A second of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since the start of measurement.
    pub t: u64,
    /// Wall-clock second (Unix time), for aligning shards.
    pub unix: u64,
    /// Counters of that second.
    #[serde(flatten)]
    pub tick: Tick,
}

/// Authentication under load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthReport {
    /// 401 challenges answered with fresh credentials (token fetches, or Basic) during the
    /// measured part; the token workload counts one per operation.
    pub challenges_answered: u64,
    /// Requests to token endpoints during the measured part (concurrent requests needing the
    /// same token share one fetch).
    #[serde(default)]
    pub token_requests: u64,
    /// Tokens fetched again because the cached one expired or was refused.
    #[serde(default)]
    pub token_refreshes: u64,
}

/// The load part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// What was asked for.
    pub spec: LoadSpec,
    /// Shards merged into this report (1 for a single generator).
    pub shards: u32,
    /// Start of measurement, Unix milliseconds.
    pub measure_start_unix_ms: u64,
    /// End of measurement, Unix milliseconds.
    pub measure_end_unix_ms: u64,
    /// Measured seconds (for merged shards: from the first start to the last end).
    pub measured_secs: f64,
    /// Stopped early by Ctrl-C: the report holds what finished before.
    pub interrupted: bool,
    /// Open model: operations that started over a second late (all slots busy).
    pub late_starts: u64,
    /// The generator's own CPU time over the measured part (for merged shards: their sum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_cpu: Option<CpuTime>,
    /// Prepare phase.
    pub prepare: PrepareStats,
    /// Per workload.
    pub operations: Vec<OpReport>,
    /// All workloads together.
    pub total: OpReport,
    /// Per second.
    pub timeline: Vec<TimelinePoint>,
    /// Authentication.
    pub auth: AuthReport,
    /// Thresholds evaluated on this report.
    pub thresholds: Vec<ThresholdResult>,
    /// SHOULD-level contract rules broken, by rule id (warnings: no operation failed for them;
    /// the whole run, prepare included).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contract_warnings: BTreeMap<String, u64>,
    /// Spans of the timeline in which operations failed and none succeeded (the target down,
    /// or refusing everything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<Outage>,
    /// `--find-max`: the capacity search (the rest of the report is its highest step that
    /// held every SLO, or its first step when none did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<super::search::CapacityReport>,
}

/// Consecutive seconds of the timeline with failures and no success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    /// First second (since the start of measurement).
    pub start_s: u64,
    /// The second after the last one.
    pub end_s: u64,
    /// Operations that failed in it.
    pub errors: u64,
}

/// The outages of a timeline.
pub fn outages(timeline: &[TimelinePoint]) -> Vec<Outage> {
    let mut out: Vec<Outage> = Vec::new();
    for p in timeline {
        let down = p.tick.errors > 0 && p.tick.errors == p.tick.requests;
        match out.last_mut() {
            Some(o) if down && o.end_s == p.t => {
                o.end_s = p.t + 1;
                o.errors += p.tick.errors;
            }
            _ if down => out.push(Outage {
                start_s: p.t,
                end_s: p.t + 1,
                errors: p.tick.errors,
            }),
            _ => {}
        }
    }
    out
}

fn op_report(name: &str, m: &OpMetrics, secs: f64) -> OpReport {
    let secs = secs.max(1e-9);
    OpReport {
        name: name.to_string(),
        requests: m.requests,
        errors: m.errors,
        error_rate: if m.requests == 0 {
            0.0
        } else {
            m.errors as f64 / m.requests as f64
        },
        errors_by_kind: m
            .error_kinds
            .iter()
            .map(|(k, v)| (k.name().to_string(), *v))
            .collect(),
        statuses: m
            .statuses
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        contract_violations: m.rules.clone(),
        bytes: m.bytes,
        rps: (m.requests - m.errors) as f64 / secs,
        errors_per_sec: m.errors as f64 / secs,
        mbps: m.bytes as f64 / 1e6 / secs,
        latency: LatencySummary::of(&m.latency),
        ttfb: LatencySummary::of(&m.ttfb),
        examples: m.examples.clone(),
        requests_by_kind: m
            .parts
            .iter()
            .map(|(k, h)| (k.to_string(), LatencySummary::of(h)))
            .collect(),
    }
}

fn total_of(ops: &BTreeMap<String, OpMetrics>) -> OpMetrics {
    let mut t = OpMetrics::default();
    for m in ops.values() {
        merge_metrics(&mut t, m);
    }
    t.examples.truncate(super::metrics::MAX_EXAMPLES);
    t
}

fn merge_metrics(into: &mut OpMetrics, m: &OpMetrics) {
    into.requests += m.requests;
    into.errors += m.errors;
    into.bytes += m.bytes;
    let _ = into.latency.add(&m.latency);
    let _ = into.ttfb.add(&m.ttfb);
    for (k, v) in &m.error_kinds {
        *into.error_kinds.entry(*k).or_default() += v;
    }
    for (k, v) in &m.statuses {
        *into.statuses.entry(*k).or_default() += v;
    }
    for (k, v) in &m.rules {
        *into.rules.entry(k.clone()).or_default() += v;
    }
    into.examples.extend(m.examples.iter().cloned());
    for (k, h) in &m.parts {
        let _ = into.parts.entry(k).or_insert_with(new_histogram).add(h);
    }
}

/// Facts of a run that the metrics do not hold.
pub struct RunFacts {
    /// Spec.
    pub spec: LoadSpec,
    /// Start of measurement, Unix ms.
    pub measure_start_unix_ms: u64,
    /// Measured seconds.
    pub measured_secs: f64,
    /// Interrupted by Ctrl-C.
    pub interrupted: bool,
    /// Late starts (open model).
    pub late_starts: u64,
    /// The generator's CPU time over the measured part.
    pub generator_cpu: Option<CpuTime>,
    /// Prepare phase.
    pub prepare: PrepareStats,
    /// Authentication.
    pub auth: AuthReport,
    /// SHOULD-level contract rules broken, by rule id.
    pub contract_warnings: BTreeMap<String, u64>,
}

impl LoadReport {
    /// Builds the report of one generator.
    pub fn build(metrics: &Metrics, facts: RunFacts) -> LoadReport {
        let ops: BTreeMap<String, OpMetrics> = metrics
            .ops
            .iter()
            .map(|(w, m)| (w.name().to_string(), m.clone()))
            .collect();
        let start_s = facts.measure_start_unix_ms / 1000;
        let timeline_points: Vec<TimelinePoint> = metrics
            .timeline
            .iter()
            .enumerate()
            .map(|(i, tick)| TimelinePoint {
                t: i as u64,
                unix: start_s + i as u64,
                tick: *tick,
            })
            .collect();
        let secs = facts.measured_secs;
        LoadReport {
            operations: ops.iter().map(|(n, m)| op_report(n, m, secs)).collect(),
            total: op_report("total", &total_of(&ops), secs),
            spec: facts.spec,
            shards: 1,
            measure_start_unix_ms: facts.measure_start_unix_ms,
            measure_end_unix_ms: facts.measure_start_unix_ms + (secs * 1000.0) as u64,
            measured_secs: secs,
            interrupted: facts.interrupted,
            late_starts: facts.late_starts,
            generator_cpu: facts.generator_cpu,
            prepare: facts.prepare,
            outages: outages(&timeline_points),
            capacity: None,
            timeline: timeline_points,
            auth: facts.auth,
            thresholds: Vec::new(),
            contract_warnings: facts.contract_warnings,
        }
    }

    /// The report of a workload by name ("total" for all).
    pub fn op(&self, name: &str) -> Option<&OpReport> {
        if name == "total" {
            return Some(&self.total);
        }
        self.operations.iter().find(|o| o.name == name)
    }

    /// Merges shard reports into one: histograms added, counters summed, rates over the
    /// union of the measured intervals, timelines aligned on wall-clock seconds.
    pub fn merge(parts: &[LoadReport]) -> Result<LoadReport, String> {
        let first = parts.first().ok_or("nothing to merge")?;
        let start = parts
            .iter()
            .map(|p| p.measure_start_unix_ms)
            .min()
            .unwrap_or(0);
        let end = parts
            .iter()
            .map(|p| p.measure_end_unix_ms)
            .max()
            .unwrap_or(0);
        let secs = (end.saturating_sub(start)) as f64 / 1000.0;
        let mut ops: BTreeMap<String, OpMetrics> = BTreeMap::new();
        for p in parts {
            for o in &p.operations {
                let m = ops.entry(o.name.clone()).or_default();
                merge_metrics(m, &metrics_of(o)?);
            }
        }
        for m in ops.values_mut() {
            m.examples.truncate(super::metrics::MAX_EXAMPLES);
        }
        let mut seconds: BTreeMap<u64, Tick> = BTreeMap::new();
        for p in parts {
            for pt in &p.timeline {
                let t = seconds.entry(pt.unix).or_default();
                t.requests += pt.tick.requests;
                t.bytes += pt.tick.bytes;
                t.errors += pt.tick.errors;
            }
        }
        let first_s = start / 1000;
        let timeline: Vec<TimelinePoint> = seconds
            .into_iter()
            .map(|(unix, tick)| TimelinePoint {
                t: unix.saturating_sub(first_s),
                unix,
                tick,
            })
            .collect();
        let mut prepare = PrepareStats::default();
        let mut auth = AuthReport::default();
        let mut contract_warnings = BTreeMap::new();
        for p in parts {
            for (rule, n) in &p.contract_warnings {
                *contract_warnings.entry(rule.clone()).or_default() += n;
            }
            prepare.blobs += p.prepare.blobs;
            prepare.bytes += p.prepare.bytes;
            prepare.manifests += p.prepare.manifests;
            prepare.secs = prepare.secs.max(p.prepare.secs);
            auth.challenges_answered += p.auth.challenges_answered;
            auth.token_requests += p.auth.token_requests;
            auth.token_refreshes += p.auth.token_refreshes;
        }
        Ok(LoadReport {
            spec: first.spec.clone(),
            shards: parts.iter().map(|p| p.shards).sum(),
            measure_start_unix_ms: start,
            measure_end_unix_ms: end,
            measured_secs: secs,
            interrupted: parts.iter().any(|p| p.interrupted),
            late_starts: parts.iter().map(|p| p.late_starts).sum(),
            generator_cpu: parts
                .iter()
                .map(|p| p.generator_cpu)
                .collect::<Option<Vec<_>>>()
                .map(CpuTime::sum),
            prepare,
            operations: ops.iter().map(|(n, m)| op_report(n, m, secs)).collect(),
            total: op_report("total", &total_of(&ops), secs),
            outages: outages(&timeline),
            capacity: None,
            timeline,
            auth,
            thresholds: Vec::new(),
            contract_warnings,
        })
    }
}

/// Rebuilds recorder state from a serialized workload report.
fn metrics_of(o: &OpReport) -> Result<OpMetrics, String> {
    let kinds = o
        .errors_by_kind
        .iter()
        .filter_map(|(k, v)| {
            ErrorKind::ALL
                .into_iter()
                .find(|e| e.name() == k)
                .map(|e| (e, *v))
        })
        .collect();
    let statuses = o
        .statuses
        .iter()
        .filter_map(|(k, v)| k.parse::<u16>().ok().map(|c| (c, *v)))
        .collect();
    Ok(OpMetrics {
        latency: o
            .latency
            .decode()
            .map_err(|e| format!("{} latency: {e}", o.name))?,
        ttfb: o
            .ttfb
            .decode()
            .map_err(|e| format!("{} ttfb: {e}", o.name))?,
        requests: o.requests,
        errors: o.errors,
        bytes: o.bytes,
        error_kinds: kinds,
        statuses,
        rules: o.contract_violations.clone(),
        examples: o.examples.clone(),
        parts: o
            .requests_by_kind
            .iter()
            .filter_map(|(k, l)| PART_KINDS.iter().find(|p| **p == k).map(|p| (*p, l)))
            .map(|(k, l)| {
                l.decode()
                    .map(|h| (k, h))
                    .map_err(|e| format!("{} {k}: {e}", o.name))
            })
            .collect::<Result<_, String>>()?,
    })
}

/// The kinds of requests inside operations that are measured apart.
pub const PART_KINDS: [&str; 4] = ["resolve", "manifest", "config", "layer"];
