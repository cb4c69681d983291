//! `load --find-max`: the highest open-model arrival rate at which every SLO holds. Steps of a
//! fixed length at a rate doubled from the start rate until an SLO breaks (or the rate limit or
//! step budget is reached), then bisected between the last rate that held and the first that
//! broke until they are within the precision. Every step is a bounded open-model run on the
//! prepared pool (latency from each arrival's intended start, so an overloaded registry's
//! queue shows); its SLOs are thresholds evaluated on that step alone.

use super::engine::{self, Outcome};
use super::metrics::Metrics;
use super::ops::Ctx;
use super::report::{LoadReport, RunFacts};
use super::spec::Model;
use super::threshold::{Threshold, ThresholdResult};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// What to search.
#[derive(Debug, Clone)]
pub struct FindMax {
    /// Each must hold for a rate to count (threshold syntax).
    pub slos: Vec<Threshold>,
    /// First rate tried, operations per second.
    pub start_rate: f64,
    /// Highest rate tried.
    pub max_rate: f64,
    /// Measured length of each step.
    pub step: Duration,
    /// Steps at most (doubling and bisecting together).
    pub max_steps: usize,
    /// Stop bisecting when the broken rate is within this fraction above the held one.
    pub precision: f64,
    /// Operations in flight at most per step (beyond it arrivals wait, and their wait counts).
    pub max_in_flight: usize,
}

/// One step of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityStep {
    /// Arrival rate asked, operations per second.
    pub rate: f64,
    /// Every SLO held.
    pub held: bool,
    /// Successful operations per second achieved.
    pub achieved_rps: f64,
    /// Error rate of the step.
    pub error_rate: f64,
    /// Latency percentiles of all workloads, milliseconds.
    pub p50_ms: f64,
    /// p90.
    pub p90_ms: f64,
    /// p99.
    pub p99_ms: f64,
    /// The SLOs as measured in this step.
    pub slos: Vec<ThresholdResult>,
}

/// The result of a capacity search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// The SLOs, as written.
    pub slos: Vec<String>,
    /// The highest rate at which every SLO held (`None`: not even the start rate).
    pub max_rate_held: Option<f64>,
    /// The lowest rate at which an SLO broke (`None`: none broke up to the limit).
    pub first_rate_broken: Option<f64>,
    /// Every step, in the order run.
    pub steps: Vec<CapacityStep>,
}

/// A finished step: its summary and what to build the run's report from.
pub struct StepRun {
    /// Summary.
    pub step: CapacityStep,
    /// Its recordings.
    pub metrics: Metrics,
    /// Its timing.
    pub outcome: Outcome,
    /// When its measurement started.
    pub measure_wall: SystemTime,
}

/// Runs the search; returns the report and the step whose recordings stand for the run (the
/// highest that held, else the first).
pub async fn search(
    ctx: &Arc<Ctx>,
    fm: &FindMax,
    facts: impl Fn(&Metrics, &Outcome, SystemTime) -> RunFacts,
    stop: &CancellationToken,
) -> (CapacityReport, Option<StepRun>) {
    let mut steps: Vec<CapacityStep> = Vec::new();
    let (mut held, mut broken): (Option<StepRun>, Option<f64>) = (None, None);
    let mut first: Option<StepRun> = None;
    let mut rate = fm.start_rate;
    while steps.len() < fm.max_steps && !stop.is_cancelled() {
        let run = step(ctx, fm, rate, &facts, stop).await;
        steps.push(run.step.clone());
        let ok = run.step.held && !run.outcome.interrupted;
        if ok {
            held = Some(run);
        } else {
            broken = Some(broken.map_or(rate, |b| b.min(rate)));
            if first.is_none() && held.is_none() {
                first = Some(run);
            }
        }
        let lo = held.as_ref().map(|h| h.step.rate);
        rate = match (lo, broken) {
            (Some(lo), None) if lo >= fm.max_rate => break,
            (Some(lo), None) => (lo * 2.0).min(fm.max_rate),
            (None, Some(_)) => break,
            (Some(lo), Some(hi)) if hi <= lo * (1.0 + fm.precision) => break,
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (None, None) => break,
        };
    }
    let report = CapacityReport {
        slos: fm.slos.iter().map(|s| s.expr.clone()).collect(),
        max_rate_held: held.as_ref().map(|h| h.step.rate),
        first_rate_broken: broken,
        steps,
    };
    (report, held.or(first))
}

async fn step(
    ctx: &Arc<Ctx>,
    fm: &FindMax,
    rate: f64,
    facts: &impl Fn(&Metrics, &Outcome, SystemTime) -> RunFacts,
    stop: &CancellationToken,
) -> StepRun {
    let mut schedule = ctx.spec.clone();
    schedule.model = Model::Open {
        rate,
        max_in_flight: fm.max_in_flight,
    };
    schedule.stages.clear();
    schedule.duration = Some(fm.step);
    schedule.requests = None;
    schedule.warmup = Duration::ZERO;
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let measure_wall = SystemTime::now();
    let outcome = engine::drive_with(ctx.clone(), schedule, metrics.clone(), stop.clone()).await;
    let metrics = std::mem::take(&mut *metrics.lock().unwrap_or_else(|e| e.into_inner()));
    let report = LoadReport::build(&metrics, facts(&metrics, &outcome, measure_wall));
    let slos: Vec<ThresholdResult> = fm.slos.iter().map(|s| s.check(&report)).collect();
    let t = &report.total;
    let ms = |us: u64| us as f64 / 1000.0;
    StepRun {
        step: CapacityStep {
            rate,
            held: slos.iter().all(|s| s.ok),
            achieved_rps: t.rps,
            error_rate: t.error_rate,
            p50_ms: ms(t.latency.p50_us),
            p90_ms: ms(t.latency.p90_us),
            p99_ms: ms(t.latency.p99_us),
            slos,
        },
        metrics,
        outcome,
        measure_wall,
    }
}
