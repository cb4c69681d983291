//! The load parts of the reports, rendered from `crate::load::LoadReport` (the `load` member of
//! a report): the Markdown percentiles table, the HTML section with two inline-SVG charts
//! (latency percentile curve per workload on a logarithmic percentile axis, like HdrHistogram
//! plots, drawn from the lossless histograms; operations and errors per second over time), JUnit
//! testcases for thresholds and integrity, and the per-workload load diff (p50/p99/max, ops/s,
//! MB/s, error rate: absolute and relative, flagged beyond the tolerance).
//!
//! A load run's own JSON report (`kind: "load"`) becomes a `RunResult` without scenarios and
//! with `load` set (`from_load_run`), so every renderer and `report diff` read both kinds.

use super::Document;
use super::diff::Tolerance;
use super::text::escape_html as esc;
use crate::load::LoadReport;
use crate::load::report::OpReport;
use crate::runner::{RunResult, Summary};
use serde::Serialize;
use std::fmt::Write;

/// A load run's JSON report as a `RunResult`: no scenarios, `load` set, profile `load`.
pub fn from_load_run(r: &crate::load::LoadRunReport) -> Document {
    let run = RunResult {
        schema_version: r.schema_version,
        tool: r.tool.clone(),
        target: r.target.clone(),
        run_id: r.run_id.clone(),
        namespace: r.namespace.clone(),
        profile: "load".into(),
        started_at: r.started_at.clone(),
        finished_at: Some(r.ended_at.clone()),
        duration_ms: r.load.measured_secs * 1000.0,
        capabilities: Default::default(),
        capability_evidence: Default::default(),
        summary: Summary::default(),
        operations: Default::default(),
        endpoints: Default::default(),
        coverage: Default::default(),
        rules: Default::default(),
        scenarios: Vec::new(),
        cleanup: r.cleanup.clone(),
        baseline: None,
        strict: false,
        aborted: None,
    };
    Document {
        run,
        load: Some(r.load.clone()),
    }
}

/// Failures that no threshold excuses: wrong bytes or broken contract rules under load.
pub fn integrity_errors(op: &OpReport) -> u64 {
    ["digest_mismatch", "contract"]
        .iter()
        .map(|k| op.errors_by_kind.get(*k).copied().unwrap_or(0))
        .sum()
}

/// The load run failed: a threshold was violated, or bytes/contract were wrong under load.
pub fn failed(l: &LoadReport) -> bool {
    l.thresholds.iter().any(|t| !t.ok) || integrity_errors(&l.total) > 0
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// One line: verdict, operations, errors, rates, thresholds.
pub fn summary_line(l: &LoadReport) -> String {
    let t = &l.total;
    let held = l.thresholds.iter().filter(|t| t.ok).count();
    let thresholds = if l.thresholds.is_empty() {
        String::new()
    } else {
        format!("; thresholds {held}/{} held", l.thresholds.len())
    };
    format!(
        "**regcheck load {}**: {} operations, {} errors ({:.2}%), {:.1} ops/s, {:.2} MB/s over {:.1} s{thresholds}{}",
        if failed(l) {
            "❌ failed"
        } else {
            "✅ passed"
        },
        t.requests,
        t.errors,
        t.error_rate * 100.0,
        t.rps,
        t.mbps,
        l.measured_secs,
        if l.interrupted { " (interrupted)" } else { "" }
    )
}

fn rows(l: &LoadReport) -> impl Iterator<Item = &OpReport> {
    l.operations
        .iter()
        .chain((l.operations.len() != 1).then_some(&l.total))
}

/// Column titles of the per-workload load table (Markdown, HTML and terminal alike).
pub const TABLE_HEADER: [&str; 13] = [
    "workload",
    "ops",
    "errors",
    "error rate",
    "ops/s",
    "errors/s",
    "MB/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "ttfb p99 ms",
];

/// One workload's row of the load table, as text (names unescaped).
pub fn table_cells(o: &OpReport) -> [String; 13] {
    let lat = &o.latency;
    [
        o.name.clone(),
        o.requests.to_string(),
        o.errors.to_string(),
        format!("{:.2}%", o.error_rate * 100.0),
        format!("{:.1}", o.rps),
        format!("{:.1}", o.errors_per_sec),
        format!("{:.2}", o.mbps),
        ms(lat.p50_us),
        ms(lat.p90_us),
        ms(lat.p99_us),
        ms(lat.p999_us),
        ms(lat.max_us),
        ms(o.ttfb.p99_us),
    ]
}

/// The table's rows: each workload, then the total when there are several.
pub fn table_rows(l: &LoadReport) -> impl Iterator<Item = [String; 13]> + '_ {
    rows(l).map(table_cells)
}

/// The Markdown load section: percentiles table, thresholds, error kinds.
pub fn markdown(out: &mut String, l: &LoadReport) {
    use super::markdown::{cell, code};
    let _ = writeln!(
        out,
        "\n#### Load: latency percentiles (ms)\n\n| {} |\n|---|{}",
        TABLE_HEADER.join(" | "),
        "---:|".repeat(TABLE_HEADER.len() - 1)
    );
    for mut cells in table_rows(l) {
        cells[0] = cell(&cells[0]);
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if !l.thresholds.is_empty() {
        let _ = writeln!(out, "\n| threshold | measured | held |\n|---|---|---|");
        for t in &l.thresholds {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&t.expr),
                cell(&t.actual),
                if t.ok { "✅" } else { "❌" }
            );
        }
    }
    let kinds: Vec<String> = l
        .total
        .errors_by_kind
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    for o in &l.outages {
        let _ = writeln!(
            out,
            "\nOutage: {} s from t={} s to t={} s ({} operations failed, none succeeded).",
            o.end_s - o.start_s,
            o.start_s,
            o.end_s,
            o.errors
        );
    }
    if !kinds.is_empty() {
        let _ = writeln!(out, "\nErrors by kind: {}.", cell(&kinds.join(", ")));
    }
}

const COLORS: [&str; 8] = [
    "#1a73e8", "#e8710a", "#188038", "#9334e6", "#d93025", "#12b5cb", "#f9ab00", "#5f6368",
];

/// A "nice" upper bound for an axis (1, 2 or 5 × 10^n at or above `v`).
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    const CHART: Frame = Frame {
        w: 760.0,
        h: 320.0,
        left: 60.0,
        right: 150.0,
        top: 20.0,
        bottom: 45.0,
    };
    fn x(&self, f: f64) -> f64 {
        self.left + f * (self.w - self.left - self.right)
    }
    fn y(&self, f: f64) -> f64 {
        self.h - self.bottom - f * (self.h - self.top - self.bottom)
    }
}

fn svg_open(id: &str, label: &str) -> String {
    let f = Frame::CHART;
    format!(
        "<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" font-size=\"11\" font-family=\"sans-serif\">",
        f.w,
        f.h,
        f.w,
        f.h,
        esc(label)
    )
}

/// Y grid and labels for 0..=`max` in 5 steps, and the axis titles.
fn y_axis(svg: &mut String, max: f64, title: &str, x_title: &str) {
    let f = Frame::CHART;
    for i in 0..=5 {
        let v = max * f64::from(i) / 5.0;
        let y = f.y(f64::from(i) / 5.0);
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            f.x(0.0),
            f.x(1.0),
            f.x(0.0) - 6.0,
            y + 4.0,
            fmt_num(v)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        f.y(0.5),
        f.y(0.5),
        esc(title),
        f.x(0.5),
        f.h - 6.0,
        esc(x_title)
    );
}

fn legend(svg: &mut String, i: usize, name: &str, color: &str) {
    let f = Frame::CHART;
    let (x, y) = (f.w - f.right + 12.0, f.top + 8.0 + 18.0 * i as f64);
    let _ = write!(
        svg,
        "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{color}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"legend\">{}</text>",
        x + 18.0,
        x + 24.0,
        y + 4.0,
        esc(name)
    );
}

/// Decades of the percentile axis: 0 → 0%, 1 → 90%, 2 → 99%, … 5 → 99.999%.
const DECADES: f64 = 5.0;

/// The latency percentile curve of every workload: x = log10(1 / (1 − q)), y = latency (ms).
pub fn percentile_chart(l: &LoadReport) -> String {
    let f = Frame::CHART;
    let mut curves: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for o in &l.operations {
        let Ok(h) = o.latency.decode() else { continue };
        if h.is_empty() {
            continue;
        }
        // Past 1 − 1/count the curve is the maximum: stop there.
        let last = (h.len() as f64).log10().clamp(0.5, DECADES);
        let points: Vec<(f64, f64)> = (0..=120)
            .map(|i| last * f64::from(i) / 120.0)
            .map(|x| {
                let q = (1.0 - 10f64.powf(-x)).clamp(0.0, 1.0);
                (x, h.value_at_quantile(q) as f64 / 1000.0)
            })
            .chain([(last, h.max() as f64 / 1000.0)])
            .collect();
        curves.push((o.name.clone(), points));
    }
    let max = nice_max(
        curves
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
            .fold(0.0, f64::max),
    );
    let mut svg = svg_open("latency-chart", "latency by percentile per workload");
    y_axis(&mut svg, max, "latency (ms)", "percentile (log scale)");
    for (d, label) in ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        .iter()
        .enumerate()
    {
        let x = f.x(d as f64 / DECADES);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            f.y(0.0),
            f.y(1.0),
            f.y(0.0) + 15.0
        );
    }
    for (i, (name, points)) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", f.x(x / DECADES), f.y(y / max)))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"curve\" data-op=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            esc(name),
            path.join(" ")
        );
        legend(&mut svg, i, name, color);
    }
    svg.push_str("</svg>");
    svg
}

/// Operations and errors per second over the measured time.
pub fn timeline_chart(l: &LoadReport) -> String {
    let f = Frame::CHART;
    let secs = l.timeline.iter().map(|p| p.t).max().unwrap_or(0).max(1) as f64;
    let max = nice_max(
        l.timeline
            .iter()
            .map(|p| p.tick.requests.max(p.tick.errors) as f64)
            .fold(0.0, f64::max),
    );
    let mut svg = svg_open("timeline-chart", "operations and errors per second");
    y_axis(
        &mut svg,
        max,
        "per second",
        "seconds since the start of measurement",
    );
    for i in 0..=5 {
        let t = secs * f64::from(i) / 5.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.x(f64::from(i) / 5.0),
            f.y(0.0) + 15.0,
            fmt_num(t)
        );
    }
    for (i, (name, color, value)) in [
        (
            "ops/s",
            COLORS[0],
            (|p: &crate::load::report::TimelinePoint| p.tick.requests - p.tick.errors)
                as fn(&_) -> u64,
        ),
        ("errors/s", COLORS[4], |p| p.tick.errors),
    ]
    .into_iter()
    .enumerate()
    {
        let points: Vec<String> = l
            .timeline
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    f.x(p.t as f64 / secs),
                    f.y(value(p) as f64 / max)
                )
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        legend(&mut svg, i, name, color);
    }
    svg.push_str("</svg>");
    svg
}

/// `--find-max`: the throughput/latency curve of the capacity search — x = successful
/// operations per second achieved, y = p99 latency — one point per step in order of the rate
/// asked, green where every SLO held, red where one broke.
pub fn capacity_chart(c: &crate::load::search::CapacityReport) -> String {
    let f = Frame::CHART;
    let mut steps: Vec<&crate::load::search::CapacityStep> = c.steps.iter().collect();
    steps.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let max_x = nice_max(steps.iter().map(|s| s.achieved_rps).fold(0.0, f64::max));
    let max_y = nice_max(steps.iter().map(|s| s.p99_ms).fold(0.0, f64::max));
    let mut svg = svg_open(
        "capacity-chart",
        "p99 latency by achieved throughput, per step",
    );
    y_axis(
        &mut svg,
        max_y,
        "p99 latency (ms)",
        "successful operations per second",
    );
    for i in 0..=5 {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.x(f64::from(i) / 5.0),
            f.y(0.0) + 15.0,
            fmt_num(max_x * f64::from(i) / 5.0)
        );
    }
    let at = |s: &crate::load::search::CapacityStep| {
        (f.x(s.achieved_rps / max_x), f.y(s.p99_ms / max_y))
    };
    let points: Vec<String> = steps
        .iter()
        .map(|s| {
            let (x, y) = at(s);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"curve\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
        COLORS[0],
        points.join(" ")
    );
    for s in &steps {
        let (x, y) = at(s);
        let (class, color) = if s.held {
            ("held", "#2e7d32")
        } else {
            ("broke", "#c62828")
        };
        let _ = write!(
            svg,
            "<circle class=\"step {class}\" data-rate=\"{:.1}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{color}\"><title>{:.1} ops/s asked: {:.1} ok/s, p99 {:.1} ms, {}</title></circle>",
            s.rate, s.rate, s.achieved_rps, s.p99_ms, class
        );
    }
    legend(&mut svg, 0, "SLOs held", "#2e7d32");
    legend(&mut svg, 1, "an SLO broke", "#c62828");
    svg.push_str("</svg>");
    svg
}

/// The HTML load section: counts, the percentiles table, thresholds, the charts (and the
/// capacity search's curve and steps after `--find-max`).
pub fn html(out: &mut String, l: &LoadReport) {
    let t = &l.total;
    let _ = writeln!(out, "<section id=\"load\"><h2>Load</h2>");
    let _ = writeln!(
        out,
        "<div class=\"counts\"><div class=\"count pass\" id=\"load-ops\"><span class=\"n\">{}</span> operations</div><div class=\"count {}\" id=\"load-errors\"><span class=\"n\">{}</span> errors ({:.2}%)</div><div class=\"count skip\"><span class=\"n\">{:.1}</span> ops/s</div><div class=\"count skip\"><span class=\"n\">{:.2}</span> MB/s</div></div>",
        t.requests,
        if t.errors > 0 { "fail" } else { "pass" },
        t.errors,
        t.error_rate * 100.0,
        t.rps,
        t.mbps
    );
    let _ = writeln!(
        out,
        "<p>Measured {:.1} s; {} shard(s); model {}; prepare: {} blobs, {} manifests in {:.1} s; {} auth challenges answered{}.</p>",
        l.measured_secs,
        l.shards,
        esc(&serde_json::to_string(&l.spec.model).unwrap_or_default()),
        l.prepare.blobs,
        l.prepare.manifests,
        l.prepare.secs,
        l.auth.challenges_answered,
        if l.interrupted { "; interrupted" } else { "" }
    );
    let _ = writeln!(
        out,
        "<table id=\"load-table\"><thead><tr>{}</tr></thead><tbody>",
        TABLE_HEADER
            .iter()
            .map(|h| format!("<th>{h}</th>"))
            .collect::<String>()
    );
    for cells in table_rows(l) {
        let tds: String = cells
            .iter()
            .enumerate()
            .map(|(i, c)| match i {
                0 => format!("<td>{}</td>", esc(c)),
                _ => format!("<td class=\"n\">{}</td>", esc(c)),
            })
            .collect();
        let _ = writeln!(out, "<tr>{tds}</tr>");
    }
    let _ = writeln!(out, "</tbody></table>");
    if !l.thresholds.is_empty() {
        let _ = writeln!(out, "<ul id=\"thresholds\">");
        for t in &l.thresholds {
            let _ = writeln!(
                out,
                "<li class=\"{}\"><code>{}</code>: {} ({})</li>",
                if t.ok { "pass" } else { "fail" },
                esc(&t.expr),
                esc(&t.actual),
                if t.ok { "held" } else { "violated" }
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    let examples: Vec<&String> = l.total.examples.iter().take(10).collect();
    if !examples.is_empty() {
        let text: Vec<String> = examples.iter().map(|e| esc(e)).collect();
        let _ = writeln!(out, "<h3>First failures</h3><pre>{}</pre>", text.join("\n"));
    }
    if let Some(c) = &l.capacity {
        let found = match (c.max_rate_held, c.first_rate_broken) {
            (Some(ok), Some(bad)) => {
                format!("{ok:.1} ops/s held every SLO; {bad:.1} ops/s broke one")
            }
            (Some(ok), None) => format!("at least {ok:.1} ops/s (no SLO broke)"),
            (None, _) => "not even the start rate held every SLO".into(),
        };
        let _ = writeln!(
            out,
            "<h3>Capacity search</h3><p>SLOs: {}. Capacity: <strong>{}</strong>.</p>{}",
            esc(&c.slos.join(", ")),
            esc(&found),
            capacity_chart(c)
        );
        let _ = writeln!(
            out,
            "<table><tr><th>rate asked</th><th>ok/s</th><th>p50 ms</th><th>p99 ms</th><th>error rate</th><th>SLOs</th></tr>"
        );
        for s in &c.steps {
            let _ = writeln!(
                out,
                "<tr><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.2}%</td><td>{}</td></tr>",
                s.rate,
                s.achieved_rps,
                s.p50_ms,
                s.p99_ms,
                s.error_rate * 100.0,
                if s.held { "held" } else { "broke" }
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(
        out,
        "<h3>Latency by percentile</h3>{}\n<h3>Throughput and errors over time</h3>{}\n</section>",
        percentile_chart(l),
        timeline_chart(l)
    );
}

/// JUnit testcases of a load run: one per threshold, one integrity check per workload.
pub fn junit_cases(l: &LoadReport) -> Vec<(String, Option<(String, String)>)> {
    let mut cases: Vec<(String, Option<(String, String)>)> = l
        .thresholds
        .iter()
        .map(|t| {
            let failure = (!t.ok).then(|| {
                (
                    "threshold".to_string(),
                    format!("threshold {} violated: measured {}", t.expr, t.actual),
                )
            });
            (format!("threshold {}", t.expr), failure)
        })
        .collect();
    for o in &l.operations {
        let bad = integrity_errors(o);
        let failure = (bad > 0).then(|| {
            (
                "integrity".to_string(),
                format!(
                    "{}: {bad} operations returned wrong bytes or broke a contract rule",
                    o.name
                ),
            )
        });
        cases.push((format!("integrity {}", o.name), failure));
    }
    cases
}

/// One measured value of one workload that changed between two load runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadChange {
    /// Workload (`total` for all).
    pub op: String,
    /// `p50_ms`, `p99_ms`, `max_ms`, `ops_per_s`, `mb_per_s` or `error_rate`.
    pub metric: &'static str,
    /// Value in BASE.
    pub base: f64,
    /// Value in NEW.
    pub new: f64,
    /// NEW − BASE.
    pub abs: f64,
    /// (NEW − BASE) / BASE (absent when BASE is 0).
    pub rel: Option<f64>,
    /// Worse beyond the tolerance: a regression.
    pub regression: bool,
}

/// Compares every workload present in both load reports (and `total`).
pub fn diff(base: &LoadReport, new: &LoadReport, tol: Tolerance) -> Vec<LoadChange> {
    let mut out = Vec::new();
    let pairs = new
        .operations
        .iter()
        .chain([&new.total])
        .filter_map(|n| base.op(&n.name).map(|b| (b, n)));
    for (b, n) in pairs {
        // (metric, base, new, higher is worse, smallest absolute change that matters)
        let metrics: [(&'static str, f64, f64, bool, f64); 6] = [
            (
                "p50_ms",
                b.latency.p50_us as f64 / 1e3,
                n.latency.p50_us as f64 / 1e3,
                true,
                1.0,
            ),
            (
                "p99_ms",
                b.latency.p99_us as f64 / 1e3,
                n.latency.p99_us as f64 / 1e3,
                true,
                1.0,
            ),
            (
                "max_ms",
                b.latency.max_us as f64 / 1e3,
                n.latency.max_us as f64 / 1e3,
                true,
                1.0,
            ),
            ("ops_per_s", b.rps, n.rps, false, 0.0),
            ("mb_per_s", b.mbps, n.mbps, false, 0.0),
            ("error_rate", b.error_rate, n.error_rate, true, 0.0),
        ];
        for (metric, bv, nv, higher_worse, floor) in metrics {
            let abs = nv - bv;
            let rel = (bv != 0.0).then(|| abs / bv);
            let worse = if higher_worse { abs > 0.0 } else { abs < 0.0 };
            let beyond = rel.is_none_or(|r| r.abs() > tol.0) && abs.abs() > floor;
            out.push(LoadChange {
                op: n.name.clone(),
                metric,
                base: bv,
                new: nv,
                abs,
                rel,
                regression: worse && beyond,
            });
        }
    }
    out
}

/// `+12.3%` (or `new` when BASE was 0 and NEW is not).
pub fn rel_text(c: &LoadChange) -> String {
    match c.rel {
        Some(r) => format!("{:+.1}%", r * 100.0),
        None if c.abs != 0.0 => "new".into(),
        None => "0%".into(),
    }
}

/// A value as people read it.
pub fn value_text(metric: &str, v: f64) -> String {
    if metric == "error_rate" {
        format!("{:.3}%", v * 100.0)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::load::report::{LatencySummary, TimelinePoint};

    /// The `load` member of a real report (`regcheck load --duration 3s --workload pull,push`
    /// against the embedded registry): two workloads with lossless histograms.
    pub fn load_report() -> LoadReport {
        let text = include_str!("testdata_load.json");
        serde_json::from_str(text).expect("fixture")
    }

    fn summary(values_us: &[u64]) -> LatencySummary {
        let mut h = crate::load::metrics::new_histogram();
        for v in values_us {
            h.record(*v).expect("record");
        }
        LatencySummary::of(&h)
    }

    #[test]
    fn fixture_is_consistent() {
        let l = load_report();
        assert_eq!(l.operations.len(), 2);
        let pull = l.op("pull").unwrap();
        assert_eq!(pull.latency.decode().unwrap().len(), pull.latency.count);
        let s = summary(&[1000, 2000, 3000]);
        assert_eq!(s.count, 3);
    }

    #[test]
    fn percentile_chart_draws_one_curve_per_workload_on_a_log_axis() {
        let l = load_report();
        let svg = percentile_chart(&l);
        assert_eq!(svg.matches("<polyline class=\"curve\"").count(), 2);
        assert!(svg.contains("data-op=\"pull\"") && svg.contains("data-op=\"push\""));
        for label in ["90%", "99%", "99.9%"] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
        }
        // The curves rise: the last point of each is its maximum, above its first point.
        for curve in svg.split("<polyline class=\"curve\"").skip(1) {
            let points = curve
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let ys: Vec<f64> = points
                .split(' ')
                .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
                .collect();
            assert!(
                ys.windows(2).all(|w| w[1] <= w[0] + 0.01),
                "y grows downwards in SVG"
            );
            assert!(ys.last() < ys.first());
        }
    }

    #[test]
    fn timeline_chart_has_ops_and_errors() {
        let mut l = load_report();
        l.timeline = (0..4)
            .map(|t| TimelinePoint {
                t,
                unix: 1000 + t,
                tick: crate::load::metrics::Tick {
                    requests: 10 * (t + 1),
                    bytes: 0,
                    errors: t,
                },
            })
            .collect();
        let svg = timeline_chart(&l);
        assert!(svg.contains("data-series=\"ops/s\""));
        assert!(svg.contains("data-series=\"errors/s\""));
        assert_eq!(svg.matches("<polyline").count(), 2);
    }

    #[test]
    fn the_capacity_curve_has_a_point_per_step_marked_held_or_broke() {
        let step = |rate: f64, held: bool| crate::load::search::CapacityStep {
            rate,
            held,
            achieved_rps: rate.min(45.0),
            error_rate: 0.0,
            p50_ms: 20.0,
            p90_ms: 25.0,
            p99_ms: if held { 30.0 } else { 300.0 },
            slos: Vec::new(),
        };
        let c = crate::load::search::CapacityReport {
            slos: vec!["pull.p99<100ms".into()],
            max_rate_held: Some(40.0),
            first_rate_broken: Some(80.0),
            steps: vec![step(10.0, true), step(40.0, true), step(80.0, false)],
        };
        let svg = capacity_chart(&c);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("step held").count(), 2);
        assert!(svg.contains("data-rate=\"80.0\"") && svg.contains("step broke"));
        let mut l = load_report();
        l.capacity = Some(c);
        let mut html_out = String::new();
        html(&mut html_out, &l);
        assert!(html_out.contains(
            "Capacity: <strong>40.0 ops/s held every SLO; 80.0 ops/s broke one</strong>"
        ));
    }

    #[test]
    fn markdown_table_has_the_percentiles() {
        let l = load_report();
        let mut md = String::new();
        markdown(&mut md, &l);
        let pull = l.op("pull").unwrap();
        let row = format!("| pull | {} | 0 | 0.00% |", pull.requests);
        assert!(md.contains(&row), "{md}");
        assert!(md.contains(&ms(pull.latency.p99_us)), "{md}");
        assert!(md.contains("| total |"), "{md}");
    }

    #[test]
    fn diff_flags_worse_beyond_tolerance_only() {
        let base = load_report();
        let mut new = base.clone();
        new.operations[0].latency.p99_us *= 2; // pull p99 doubled: regression
        new.operations[1].rps *= 1.05; // push 5% faster: no regression
        new.operations[1].latency.p50_us = base.operations[1].latency.p50_us + 500; // < 1 ms
        let changes = diff(&base, &new, Tolerance(0.10));
        let flagged: Vec<(&str, &str)> = changes
            .iter()
            .filter(|c| c.regression)
            .map(|c| (c.op.as_str(), c.metric))
            .collect();
        assert_eq!(flagged, [("pull", "p99_ms")]);
        let p99 = changes
            .iter()
            .find(|c| c.op == "pull" && c.metric == "p99_ms")
            .unwrap();
        assert_eq!(rel_text(p99), "+100.0%");
        // A looser tolerance lets it through.
        assert!(
            diff(&base, &new, Tolerance(1.5))
                .iter()
                .all(|c| !c.regression)
        );
        // Errors appearing from zero are flagged.
        let mut errs = base.clone();
        errs.total.error_rate = 0.01;
        let c = diff(&base, &errs, Tolerance(0.1));
        let e = c
            .iter()
            .find(|c| c.op == "total" && c.metric == "error_rate")
            .unwrap();
        assert!(e.regression);
        assert_eq!(rel_text(e), "new");
    }
}
