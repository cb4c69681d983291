//! The github-action-benchmark formats: a JSON array of `{name, unit, value, extra}` entries,
//! one file per direction as the action's tools want them — `customSmallerIsBetter`
//! (latency percentiles, error rate, failed checks) and `customBiggerIsBetter` (successful
//! operations and megabytes per second, passed scenarios). Names are stable across runs
//! (`<workload> p99`), so CI tracks each one across registry versions.

use super::Document;
use crate::load::report::OpReport;
use serde::Serialize;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `customSmallerIsBetter`.
    Smaller,
    /// `customBiggerIsBetter`.
    Bigger,
}

#[derive(Debug, Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<String>,
}

fn entry(name: impl Into<String>, unit: &'static str, value: f64) -> Entry {
    Entry {
        name: name.into(),
        unit,
        value: (value * 1000.0).round() / 1000.0,
        extra: None,
    }
}

/// Renders the entries of `doc` for one direction.
pub fn render(doc: &Document, direction: Direction) -> String {
    let mut entries = Vec::new();
    if doc.run.profile != "load" {
        conformance(doc, direction, &mut entries);
    }
    if let Some(l) = &doc.load {
        let rows = l
            .operations
            .iter()
            .chain((l.operations.len() > 1).then_some(&l.total));
        for o in rows {
            workload(o, direction, &mut entries);
        }
    }
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

fn conformance(doc: &Document, direction: Direction, out: &mut Vec<Entry>) {
    let s = &doc.run.summary;
    match direction {
        Direction::Smaller => {
            out.push(entry(
                "conformance failed checks",
                "checks",
                s.checks.failed.into(),
            ));
            out.push(entry(
                "conformance warnings",
                "checks",
                s.checks.warned.into(),
            ));
            out.push(entry("conformance duration", "ms", doc.run.duration_ms));
        }
        Direction::Bigger => {
            out.push(entry(
                "conformance passed scenarios",
                "scenarios",
                s.passed.into(),
            ));
            out.push(entry(
                "conformance passed checks",
                "checks",
                s.checks.passed.into(),
            ));
        }
    }
}

fn workload(o: &OpReport, direction: Direction, out: &mut Vec<Entry>) {
    let ms = |us: u64| us as f64 / 1000.0;
    let n = &o.name;
    match direction {
        Direction::Smaller => {
            let lat = &o.latency;
            for (q, v) in [
                ("p50", lat.p50_us),
                ("p90", lat.p90_us),
                ("p99", lat.p99_us),
                ("p99.9", lat.p999_us),
            ] {
                let mut e = entry(format!("{n} {q}"), "ms", ms(v));
                e.extra = Some(format!("{} successful operations", lat.count));
                out.push(e);
            }
            out.push(entry(format!("{n} ttfb p99"), "ms", ms(o.ttfb.p99_us)));
            let mut e = entry(format!("{n} error rate"), "%", o.error_rate * 100.0);
            e.extra = Some(format!("{} of {} operations failed", o.errors, o.requests));
            out.push(e);
        }
        Direction::Bigger => {
            out.push(entry(format!("{n} ops/s"), "ops/s", o.rps));
            out.push(entry(format!("{n} MB/s"), "MB/s", o.mbps));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    fn parsed(doc: &Document, d: Direction) -> Vec<serde_json::Value> {
        serde_json::from_str(&render(doc, d)).expect("a JSON array")
    }

    #[test]
    fn load_entries_have_stable_names_units_and_the_report_values() {
        let doc = testdata::document_with_load();
        let l = doc.load.clone().unwrap();
        let smaller = parsed(&doc, Direction::Smaller);
        let pull = l.op("pull").unwrap();
        let p99 = smaller.iter().find(|e| e["name"] == "pull p99").unwrap();
        assert_eq!(p99["unit"], "ms");
        assert_eq!(
            p99["value"].as_f64().unwrap(),
            pull.latency.p99_us as f64 / 1000.0
        );
        assert!(smaller.iter().any(|e| e["name"] == "total error rate"));
        assert!(
            smaller
                .iter()
                .any(|e| e["name"] == "conformance failed checks")
        );
        let bigger = parsed(&doc, Direction::Bigger);
        let rps = bigger.iter().find(|e| e["name"] == "pull ops/s").unwrap();
        assert!((rps["value"].as_f64().unwrap() - pull.rps).abs() < 0.001);
        // Every entry has the three fields the action reads.
        for e in smaller.iter().chain(&bigger) {
            assert!(e["name"].is_string() && e["unit"].is_string() && e["value"].is_number());
        }
        // No direction's metric leaks into the other.
        assert!(!bigger.iter().any(|e| e["unit"] == "ms"));
        assert!(!smaller.iter().any(|e| e["unit"] == "ops/s"));
    }

    #[test]
    fn a_load_run_alone_has_no_conformance_entries() {
        let doc = crate::report::load::from_load_run(&testdata::load_run(
            testdata::document_with_load().load.unwrap(),
        ));
        let names: Vec<String> = parsed(&doc, Direction::Smaller)
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with("conformance")),
            "{names:?}"
        );
        assert!(names.contains(&"pull p50".to_string()), "{names:?}");
    }
}
