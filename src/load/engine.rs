//! The load models. Closed: workers that each start the next operation when the previous one
//! ends, as many active as the current stage says. Open: operations start on a schedule of the
//! current rate whatever the target does, and their latency counts from the *intended* start,
//! so a target that stalls cannot hide it (no coordinated omission). Both stop at the measured
//! limit, the request bound or on cancellation (Ctrl-C: in-flight operations are abandoned, not
//! recorded); warm-up operations are not recorded. A closed-model worker whose operation could
//! not reach the target backs off (`backoff`) instead of spinning.

use super::cpu::CpuTime;
use super::metrics::{Metrics, Sample};
use super::ops::{Ctx, pick_weighted};
use super::spec::{LoadSpec, Model, Workload};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How the measured part went.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// When measurement started (end of warm-up).
    pub measure_start: Instant,
    /// How long it lasted.
    pub measured: Duration,
    /// Stopped by cancellation.
    pub interrupted: bool,
    /// Open model: operations that started more than 1 s after their intended time because
    /// `max_in_flight` were busy (their latency includes the wait).
    pub late_starts: u64,
    /// The generator's CPU time over the measured part (`None`: not readable, or stopped
    /// during warm-up).
    pub cpu: Option<CpuTime>,
}

struct Plan {
    /// What the schedule follows (model, rate or stages, bounds).
    schedule: LoadSpec,
    t0: Instant,
    warm_end: Instant,
    deadline: Option<Instant>,
    tickets: AtomicU64,
    max_requests: Option<u64>,
    stages_end: Option<Instant>,
}

impl Plan {
    /// Takes a measured-request ticket; false when the request bound is reached.
    fn ticket(&self) -> bool {
        match self.max_requests {
            Some(max) => self.tickets.fetch_add(1, Ordering::Relaxed) < max,
            None => true,
        }
    }

    fn over(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d) || self.stages_end.is_some_and(|e| now >= e)
    }

    fn exhausted(&self) -> bool {
        self.max_requests
            .is_some_and(|max| self.tickets.load(Ordering::Relaxed) >= max)
    }
}

fn pick(mix: &[(Workload, u32)]) -> Workload {
    pick_weighted(mix, rand::thread_rng().r#gen::<u64>())
}

/// Drives the load of `ctx.spec` until a bound or `stop`.
pub async fn drive(
    ctx: Arc<Ctx>,
    metrics: Arc<Mutex<Metrics>>,
    stop: CancellationToken,
) -> Outcome {
    let schedule = ctx.spec.clone();
    drive_with(ctx, schedule, metrics, stop).await
}

/// Drives the operations of `ctx` on the schedule of `schedule` (its model, rate or stages,
/// warm-up and bounds; the operations themselves follow `ctx.spec`) until a bound or `stop`.
pub async fn drive_with(
    ctx: Arc<Ctx>,
    schedule: LoadSpec,
    metrics: Arc<Mutex<Metrics>>,
    stop: CancellationToken,
) -> Outcome {
    let spec = &schedule;
    let t0 = Instant::now();
    let warm_end = t0 + spec.warmup;
    let stages_end = (!spec.stages.is_empty())
        .then(|| t0 + spec.stages.iter().map(|s| s.duration).sum::<Duration>());
    let plan = Arc::new(Plan {
        schedule: schedule.clone(),
        t0,
        warm_end,
        deadline: spec.measured_limit().map(|l| warm_end + l),
        tickets: AtomicU64::new(0),
        max_requests: spec.requests,
        stages_end,
    });
    let late = Arc::new(AtomicU64::new(0));
    // The CPU clock is read when measurement starts: now, or at the end of the warm-up.
    let cpu_now = CpuTime::now();
    let cpu_at_warm_end = (!spec.warmup.is_zero()).then(|| {
        tokio::spawn(async move {
            tokio::time::sleep_until(warm_end.into()).await;
            CpuTime::now()
        })
    });
    match spec.model {
        Model::Closed { concurrency } => {
            let peak = spec
                .stages
                .iter()
                .map(|s| s.target)
                .fold(concurrency as f64, f64::max)
                .ceil() as usize;
            let peak = if spec.stages.is_empty() {
                concurrency
            } else {
                peak.max(1)
            };
            let mut workers = JoinSet::new();
            for w in 0..peak {
                workers.spawn(closed_worker(
                    w,
                    ctx.clone(),
                    plan.clone(),
                    metrics.clone(),
                    stop.clone(),
                ));
            }
            while workers.join_next().await.is_some() {}
        }
        Model::Open { max_in_flight, .. } => {
            open_schedule(
                ctx.clone(),
                plan.clone(),
                metrics.clone(),
                stop.clone(),
                max_in_flight,
                late.clone(),
            )
            .await;
        }
    }
    let end = Instant::now();
    let cpu_end = CpuTime::now();
    let cpu_start = match cpu_at_warm_end {
        None => cpu_now,
        // Stopped before the warm-up ended: nothing was measured.
        Some(t) if !t.is_finished() => {
            t.abort();
            None
        }
        Some(t) => t.await.ok().flatten(),
    };
    Outcome {
        measure_start: warm_end,
        measured: end.saturating_duration_since(warm_end),
        interrupted: stop.is_cancelled(),
        late_starts: late.load(Ordering::Relaxed),
        cpu: cpu_start.zip(cpu_end).map(|(a, b)| b.since(a)),
    }
}

async fn closed_worker(
    w: usize,
    ctx: Arc<Ctx>,
    plan: Arc<Plan>,
    metrics: Arc<Mutex<Metrics>>,
    stop: CancellationToken,
) {
    let mut backoff = super::backoff::Backoff::default();
    loop {
        let now = Instant::now();
        if stop.is_cancelled() || plan.over(now) || plan.exhausted() {
            return;
        }
        let level = plan.schedule.level_at(now - plan.t0);
        if w as f64 >= level.ceil() {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => continue,
                _ = stop.cancelled() => return,
            }
        }
        let measured = now >= plan.warm_end;
        if measured && !plan.ticket() {
            return;
        }
        let op = pick(&ctx.spec.mix);
        let start = Instant::now();
        // Pinned where it is made: the operation's future is large, and select! would move it.
        let run = ctx.run(op);
        tokio::pin!(run);
        let result = tokio::select! {
            r = &mut run => r,
            _ = stop.cancelled() => return,
        };
        let wait = backoff.after(result.as_ref().err());
        if measured {
            record(&metrics, op, start, plan.warm_end, result);
        }
        if let Some(wait) = wait {
            let until = Instant::now() + wait;
            let until = plan.deadline.map_or(until, |d| d.min(until));
            tokio::select! {
                _ = tokio::time::sleep_until(until.into()) => {}
                _ = stop.cancelled() => return,
            }
        }
    }
}

fn record(
    metrics: &Mutex<Metrics>,
    op: Workload,
    start: Instant,
    warm_end: Instant,
    result: Result<super::ops::Done, super::metrics::Failure>,
) {
    let end = Instant::now();
    let (bytes, ttfb, failure, parts) = match result {
        Ok(d) => (
            d.bytes,
            d.first_byte.map(|f| f.saturating_duration_since(start)),
            None,
            d.parts,
        ),
        Err(f) => (0, None, Some(f), Vec::new()),
    };
    let sample = Sample {
        op,
        latency: end.saturating_duration_since(start),
        ttfb,
        bytes,
        at: end.saturating_duration_since(warm_end),
        failure,
        parts,
    };
    metrics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(&sample);
}

/// Below this gap between arrivals, the schedule advances arrival by arrival; above it, in
/// steps of this size accumulating fractional arrivals (so ramps from 0 start promptly).
const STEP: Duration = Duration::from_millis(10);

async fn open_schedule(
    ctx: Arc<Ctx>,
    plan: Arc<Plan>,
    metrics: Arc<Mutex<Metrics>>,
    stop: CancellationToken,
    max_in_flight: usize,
    late: Arc<AtomicU64>,
) {
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let mut tasks = JoinSet::new();
    let mut t = Duration::ZERO;
    let mut credit = 0.0f64;
    loop {
        while tasks.try_join_next().is_some() {}
        let intended = plan.t0 + t;
        if stop.is_cancelled() || plan.over(intended) || plan.exhausted() {
            break;
        }
        let rate = plan.schedule.level_at(t);
        let gap = if rate > 0.0 {
            Duration::from_secs_f64((1.0 / rate).min(3600.0))
        } else {
            Duration::MAX
        };
        if gap > STEP {
            t += STEP;
            credit += rate * STEP.as_secs_f64();
            if credit < 1.0 {
                continue;
            }
            credit -= 1.0;
        } else {
            t += gap;
        }
        let intended = plan.t0 + t;
        if plan.over(intended) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(intended.into()) => {}
            _ = stop.cancelled() => break,
        }
        let measured = intended >= plan.warm_end;
        if measured && !plan.ticket() {
            break;
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.cancelled() => break,
        };
        if Instant::now().saturating_duration_since(intended) > Duration::from_secs(1) {
            late.fetch_add(1, Ordering::Relaxed);
        }
        let op = pick(&ctx.spec.mix);
        let (ctx, metrics, warm_end) = (ctx.clone(), metrics.clone(), plan.warm_end);
        tasks.spawn(async move {
            let result = ctx.run(op).await;
            drop(permit);
            if measured {
                record(&metrics, op, intended, warm_end, result);
            }
        });
    }
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { break },
            _ = stop.cancelled() => { tasks.abort_all(); while tasks.join_next().await.is_some() {} break }
        }
    }
}
