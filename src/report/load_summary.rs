//! The terminal summary of a load run: the load table (the columns every report format shares:
//! operations, errors, ops/s (successful), errors/s, MB/s, p50/p90/p99/p99.9/max latency), then errors by kind with examples, and the
//! SHOULD-level contract warnings, and the thresholds with their measured values.

use super::load::{TABLE_HEADER, table_rows};
use crate::load::LoadReport;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// Renders the summary.
pub fn render(r: &LoadReport) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(TABLE_HEADER.to_vec());
    for cells in table_rows(r) {
        t.add_row(cells.to_vec());
    }
    let mut out = format!("{t}\n");
    out.push_str(&format!(
        "measured {:.1} s{}; prepare: {} blobs ({} bytes), {} manifests in {:.1} s; credentials answered {} challenges ({} token requests, {} refreshes)\n",
        r.measured_secs,
        if r.interrupted { " (interrupted)" } else { "" },
        r.prepare.blobs,
        r.prepare.bytes,
        r.prepare.manifests,
        r.prepare.secs,
        r.auth.challenges_answered,
        r.auth.token_requests,
        r.auth.token_refreshes,
    ));
    for o in &r.operations {
        if o.requests_by_kind.is_empty() {
            continue;
        }
        let kinds: Vec<String> = o
            .requests_by_kind
            .iter()
            .map(|(k, l)| {
                format!(
                    "{k} ×{} p50 {:.2} ms p99 {:.2} ms",
                    l.count,
                    l.p50_us as f64 / 1000.0,
                    l.p99_us as f64 / 1000.0
                )
            })
            .collect();
        out.push_str(&format!("{} requests: {}\n", o.name, kinds.join("; ")));
    }
    if r.late_starts > 0 {
        out.push_str(&format!(
            "{} operations started over 1 s late (all --max-in-flight slots busy); their wait is in the latency\n",
            r.late_starts
        ));
    }
    if let Some(c) = &r.generator_cpu
        && r.measured_secs > 0.0
    {
        out.push_str(&format!(
            "generator CPU {:.2} s (user {:.2}, system {:.2}) over the measured {:.1} s: {:.2} cores busy{}\n",
            c.total(),
            c.user_secs,
            c.system_secs,
            r.measured_secs,
            c.total() / r.measured_secs,
            if c.includes_target {
                " (the embedded registry's share included: it runs in this process)"
            } else {
                ""
            }
        ));
    }
    if let Some(c) = &r.capacity {
        out.push_str(&format!("capacity search ({}):\n", c.slos.join(", ")));
        for s in &c.steps {
            out.push_str(&format!(
                "  {:>10.1} ops/s asked: {:>10.1} ok/s, p50 {:.1} ms, p99 {:.1} ms, errors {:.2}% — {}\n",
                s.rate,
                s.achieved_rps,
                s.p50_ms,
                s.p99_ms,
                s.error_rate * 100.0,
                if s.held { "held" } else { "BROKE" }
            ));
        }
        match (c.max_rate_held, c.first_rate_broken) {
            (Some(ok), Some(bad)) => out.push_str(&format!(
                "capacity: {ok:.1} ops/s held every SLO; {bad:.1} ops/s broke one (the table above is the {ok:.1} ops/s step)\n"
            )),
            (Some(ok), None) => out.push_str(&format!(
                "capacity: at least {ok:.1} ops/s (no SLO broke up to the last rate tried)\n"
            )),
            (None, _) => out.push_str("capacity: not even the start rate held every SLO (--start-rate lower?)\n"),
        }
    }
    for o in &r.outages {
        out.push_str(&format!(
            "outage: {} s from t={} s to t={} s: {} operations failed, none succeeded\n",
            o.end_s - o.start_s,
            o.start_s,
            o.end_s,
            o.errors
        ));
    }
    for o in &r.operations {
        if o.errors == 0 {
            continue;
        }
        let kinds: Vec<String> = o
            .errors_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push_str(&format!("errors in {}: {}\n", o.name, kinds.join(", ")));
        for (rule, n) in &o.contract_violations {
            out.push_str(&format!("  contract {rule}: {n}\n"));
        }
        for e in &o.examples {
            out.push_str(&format!("  e.g. {e}\n"));
        }
    }
    if !r.contract_warnings.is_empty() {
        let warned: Vec<String> = r
            .contract_warnings
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect();
        out.push_str(&format!(
            "contract warnings (SHOULD-level rules, no operation failed for them): {}\n",
            warned.join(", ")
        ));
    }
    for th in &r.thresholds {
        out.push_str(&format!(
            "threshold {} {} (measured {})\n",
            th.expr,
            if th.ok { "ok" } else { "VIOLATED" },
            th.actual
        ));
    }
    out
}
