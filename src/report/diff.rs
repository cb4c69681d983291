//! Regression diff between two JSON reports (`regcheck report diff BASE.json NEW.json`).
//!
//! Conformance changes: scenarios whose outcome changed (newly failing, newly warning, fixed,
//! other changes), scenarios only in one report (new, removed), failed checks and warnings
//! (`scenario ▸ rule`) that appeared or disappeared, and contract rules evaluated in only one
//! of the runs. A **regression** is a scenario that passed or was skipped in BASE and fails or
//! errors in NEW, a new scenario that fails or errors, or a failed check of NEW that BASE did
//! not have; findings NEW marks `known` (listed in its `--baseline`) are reported but are not
//! regressions. A new warning (a SHOULD or a convention no longer followed) is reported and is
//! a regression only with `--strict`.
//!
//! Load changes (both reports carry `load`): per workload and in total, p50/p99/max latency,
//! ops/s, MB/s and error rate, absolute and relative; a change for the worse beyond the
//! tolerance (`--tolerance 10%`; latencies must also move by more than 1 ms) is a regression.
//! Rendered as a terminal table, Markdown, self-contained HTML or JSON (`Diff` serialised).

use super::Document;
use super::load::{LoadChange, rel_text, value_text};
use super::text::escape_html as esc;
use crate::contract::norm::Severity;
use crate::runner::{Outcome, RunResult};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A relative noise threshold (`--tolerance 10%`): changes within it are not flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance(pub f64);

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance(0.10)
    }
}

impl std::str::FromStr for Tolerance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let value = match t.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
            None => t.parse::<f64>(),
        }
        .map_err(|_| format!("`{s}` is not a tolerance (examples: 10%, 0.1)"))?;
        if !(0.0..=10.0).contains(&value) || !value.is_finite() {
            return Err(format!("tolerance `{s}` must be between 0% and 1000%"));
        }
        Ok(Tolerance(value))
    }
}

/// What happened to a scenario between the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioChangeKind {
    /// Passed or skipped in BASE, fails or errors in NEW.
    NewlyFailing,
    /// Passed or skipped in BASE, warns in NEW (a regression only with `--strict`).
    NewlyWarning,
    /// Failed, errored or known in BASE, passes (or only warns) in NEW.
    Fixed,
    /// Only in NEW.
    New,
    /// Only in BASE.
    Removed,
    /// Any other outcome change (e.g. pass → skip, fail → error, fail → known).
    Changed,
}

/// One scenario whose outcome or presence differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioChange {
    /// Scenario name.
    pub scenario: String,
    /// Kind of change.
    pub kind: ScenarioChangeKind,
    /// Outcome in BASE (absent when new).
    pub base: Option<Outcome>,
    /// Outcome in NEW (absent when removed).
    pub new: Option<Outcome>,
    /// Counts as a regression.
    pub regression: bool,
}

/// One failed check or warning (`scenario ▸ rule`) present in only one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckChange {
    /// Scenario name.
    pub scenario: String,
    /// Rule id.
    pub rule: String,
    /// `fail` (a broken MUST) or `warn` (a SHOULD or a convention), in the run that has it.
    pub severity: Severity,
    /// `newly-failing` / `new-warning` (only NEW has it), `fixed` / `warning-gone` (only BASE
    /// had it, the scenario ran in NEW) or `not-checked` (only BASE had it, the scenario did
    /// not run in NEW).
    pub kind: &'static str,
    /// The NEW finding is listed in its baseline (`known`).
    pub known: bool,
    /// Counts as a regression.
    pub regression: bool,
    /// One-line message of the failure (from whichever run had it).
    pub message: String,
}

/// Identification of one compared run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// `regcheck <version>`.
    pub tool: String,
    /// Target URL.
    pub target: String,
    /// Run id.
    pub run_id: String,
    /// Start time.
    pub started_at: String,
    /// Scenarios passed / failed / skipped / errors / known.
    pub summary: crate::runner::Summary,
}

impl From<&RunResult> for RunInfo {
    fn from(r: &RunResult) -> Self {
        RunInfo {
            tool: r.tool.clone(),
            target: r.target.clone(),
            run_id: r.run_id.clone(),
            started_at: r.started_at.clone(),
            summary: r.summary.clone(),
        }
    }
}

/// Everything that differs between two reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The earlier run.
    pub base: RunInfo,
    /// The later run.
    pub new: RunInfo,
    /// Noise threshold used for measured values.
    pub tolerance: Tolerance,
    /// New warnings count as regressions (`--strict`).
    pub strict: bool,
    /// Scenarios whose outcome or presence changed.
    pub scenarios: Vec<ScenarioChange>,
    /// Failed checks and warnings present in only one run.
    pub checks: Vec<CheckChange>,
    /// Contract rules evaluated in NEW but not in BASE.
    pub rules_new: Vec<String>,
    /// Contract rules evaluated in BASE but not in NEW.
    pub rules_removed: Vec<String>,
    /// Load measurements per workload (both reports of load runs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load: Vec<LoadChange>,
    /// Number of regressions (scenarios, checks and load measurements).
    pub regressions: usize,
}

impl Diff {
    /// True when NEW regressed against BASE.
    pub fn has_regression(&self) -> bool {
        self.regressions > 0
    }
}

fn failing(o: Outcome) -> bool {
    matches!(o, Outcome::Fail | Outcome::Error)
}

/// What one run found for one `scenario ▸ rule`.
struct Found {
    severity: Severity,
    known: bool,
    message: String,
}

/// `(scenario, rule) → Found` for every failed check and warning of a run (a rule that both
/// failed and warned in a scenario counts as failed; it is known only if every finding is).
fn findings_of(r: &RunResult) -> BTreeMap<(String, String), Found> {
    let mut out: BTreeMap<(String, String), Found> = BTreeMap::new();
    for s in &r.scenarios {
        for f in s.steps.iter().flat_map(|st| &st.findings) {
            out.entry((s.name.clone(), f.rule.clone()))
                .and_modify(|e| {
                    e.known &= f.known;
                    if !f.is_warning() {
                        e.severity = Severity::Fail;
                    }
                })
                .or_insert(Found {
                    severity: f.severity,
                    known: f.known,
                    message: super::text::one_line(&f.message),
                });
        }
    }
    out
}

/// Compares two runs; with `strict`, new warnings are regressions too.
pub fn diff(base: &Document, new: &Document, tolerance: Tolerance, strict: bool) -> Diff {
    let outcomes = |r: &RunResult| -> BTreeMap<String, Outcome> {
        r.scenarios
            .iter()
            .map(|s| (s.name.clone(), s.outcome))
            .collect()
    };
    let (b, n) = (outcomes(base), outcomes(new));
    let mut scenarios = Vec::new();
    for (name, &bo) in &b {
        match n.get(name) {
            None => scenarios.push(ScenarioChange {
                scenario: name.clone(),
                kind: ScenarioChangeKind::Removed,
                base: Some(bo),
                new: None,
                regression: false,
            }),
            Some(&no) if no != bo => {
                let was_clean = matches!(bo, Outcome::Pass | Outcome::Skip);
                let kind = if failing(no) && !failing(bo) && bo != Outcome::Known {
                    ScenarioChangeKind::NewlyFailing
                } else if no == Outcome::Warn && was_clean {
                    ScenarioChangeKind::NewlyWarning
                } else if matches!(no, Outcome::Pass | Outcome::Warn)
                    && (failing(bo) || bo == Outcome::Known)
                {
                    ScenarioChangeKind::Fixed
                } else {
                    ScenarioChangeKind::Changed
                };
                scenarios.push(ScenarioChange {
                    scenario: name.clone(),
                    kind,
                    base: Some(bo),
                    new: Some(no),
                    regression: kind == ScenarioChangeKind::NewlyFailing
                        || (strict && kind == ScenarioChangeKind::NewlyWarning),
                });
            }
            Some(_) => {}
        }
    }
    for (name, &no) in n.iter().filter(|(name, _)| !b.contains_key(*name)) {
        scenarios.push(ScenarioChange {
            scenario: name.clone(),
            kind: ScenarioChangeKind::New,
            base: None,
            new: Some(no),
            regression: failing(no) || (strict && no == Outcome::Warn),
        });
    }
    scenarios.sort_by(|x, y| (x.kind, &x.scenario).cmp(&(y.kind, &y.scenario)));

    let (fb, fn_) = (findings_of(base), findings_of(new));
    let mut checks = Vec::new();
    for ((scenario, rule), found) in &fn_ {
        // Present in BASE with the same severity: no change (a warning that became a failure
        // is a new failure).
        if fb
            .get(&(scenario.clone(), rule.clone()))
            .is_some_and(|b| b.severity == found.severity || found.severity == Severity::Warn)
        {
            continue;
        }
        let warn = found.severity == Severity::Warn;
        checks.push(CheckChange {
            scenario: scenario.clone(),
            rule: rule.clone(),
            severity: found.severity,
            kind: if warn { "new-warning" } else { "newly-failing" },
            known: found.known,
            regression: !found.known && (!warn || strict),
            message: found.message.clone(),
        });
    }
    for ((scenario, rule), found) in &fb {
        if fn_
            .get(&(scenario.clone(), rule.clone()))
            .is_some_and(|n| n.severity == found.severity || found.severity == Severity::Warn)
        {
            continue;
        }
        let ran = n.get(scenario).is_some_and(|o| {
            matches!(
                o,
                Outcome::Pass | Outcome::Warn | Outcome::Fail | Outcome::Known
            )
        });
        let warn = found.severity == Severity::Warn;
        checks.push(CheckChange {
            scenario: scenario.clone(),
            rule: rule.clone(),
            severity: found.severity,
            kind: match (ran, warn) {
                (false, _) => "not-checked",
                (true, false) => "fixed",
                (true, true) => "warning-gone",
            },
            known: false,
            regression: false,
            message: found.message.clone(),
        });
    }
    let rules = |r: &RunResult| -> BTreeSet<String> { r.rules.keys().cloned().collect() };
    let (rb, rn) = (rules(base), rules(new));
    let load = match (&base.load, &new.load) {
        (Some(b), Some(n)) => super::load::diff(b, n, tolerance),
        _ => Vec::new(),
    };
    let regressions = scenarios.iter().filter(|s| s.regression).count()
        + checks.iter().filter(|c| c.regression).count()
        + load.iter().filter(|c| c.regression).count();
    Diff {
        base: (&base.run).into(),
        new: (&new.run).into(),
        tolerance,
        strict,
        scenarios,
        checks,
        rules_new: rn.difference(&rb).cloned().collect(),
        rules_removed: rb.difference(&rn).cloned().collect(),
        load,
        regressions,
    }
}

fn outcome_str(o: Option<Outcome>) -> &'static str {
    o.map_or("—", Outcome::as_str)
}

fn kind_str(k: ScenarioChangeKind) -> &'static str {
    match k {
        ScenarioChangeKind::NewlyFailing => "newly failing",
        ScenarioChangeKind::NewlyWarning => "newly warning",
        ScenarioChangeKind::Fixed => "fixed",
        ScenarioChangeKind::New => "new",
        ScenarioChangeKind::Removed => "removed",
        ScenarioChangeKind::Changed => "changed",
    }
}

fn verdict(d: &Diff) -> String {
    if d.has_regression() {
        format!("REGRESSION: {} regression(s)", d.regressions)
    } else {
        "no regression".to_string()
    }
}

fn headline(d: &Diff) -> String {
    let s = |i: &RunInfo| {
        format!(
            "{} passed, {} warned, {} failed, {} skipped, {} errors, {} known",
            i.summary.passed,
            i.summary.warned,
            i.summary.failed,
            i.summary.skipped,
            i.summary.errors,
            i.summary.known
        )
    };
    format!(
        "base run {} ({}): {}\nnew  run {} ({}): {}",
        d.base.run_id,
        d.base.started_at,
        s(&d.base),
        d.new.run_id,
        d.new.started_at,
        s(&d.new)
    )
}

/// Renders the diff as terminal tables.
pub fn render_table(d: &Diff) -> String {
    let mut out = format!("{}\n{}\n", verdict(d), headline(d));
    if !d.scenarios.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["scenario", "change", "base", "new", "regression"]);
        for c in &d.scenarios {
            t.add_row(vec![
                c.scenario.as_str(),
                kind_str(c.kind),
                outcome_str(c.base),
                outcome_str(c.new),
                if c.regression { "YES" } else { "" },
            ]);
        }
        let _ = writeln!(out, "\nscenarios:\n{t}");
    }
    if !d.checks.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["scenario ▸ rule", "change", "regression", "message"]);
        for c in &d.checks {
            let kind = if c.known {
                format!("{} (known)", c.kind)
            } else {
                c.kind.to_string()
            };
            t.add_row(vec![
                format!("{} ▸ {}", c.scenario, c.rule),
                kind,
                if c.regression {
                    "YES".into()
                } else {
                    String::new()
                },
                super::terminal::shorten(&c.message, 100),
            ]);
        }
        let _ = writeln!(out, "\nfailed checks and warnings:\n{t}");
    }
    for (label, list) in [
        ("contract rules evaluated only in new", &d.rules_new),
        ("contract rules evaluated only in base", &d.rules_removed),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{label}: {}", list.join(", "));
        }
    }
    if !d.load.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "workload",
                "metric",
                "base",
                "new",
                "change",
                "relative",
                "regression",
            ]);
        for c in &d.load {
            t.add_row(vec![
                c.op.clone(),
                c.metric.to_string(),
                value_text(c.metric, c.base),
                value_text(c.metric, c.new),
                value_text(c.metric, c.abs),
                rel_text(c),
                if c.regression {
                    "YES".into()
                } else {
                    String::new()
                },
            ]);
        }
        let _ = writeln!(
            out,
            "\nload (tolerance {:.0}%):\n{t}",
            d.tolerance.0 * 100.0
        );
    }
    if d.scenarios.is_empty() && d.checks.is_empty() && d.load.is_empty() {
        let _ = writeln!(out, "\nno conformance changes");
    }
    out
}

/// Renders the diff as Markdown (for pull-request comments).
pub fn render_markdown(d: &Diff) -> String {
    use super::markdown::{cell, code};
    let icon = if d.has_regression() { "❌" } else { "✅" };
    let mut out = format!("### {icon} regcheck diff: {}\n\n", verdict(d));
    for line in headline(d).lines() {
        let _ = writeln!(out, "- {}", cell(line));
    }
    if !d.scenarios.is_empty() {
        let _ = writeln!(
            out,
            "\n#### Scenarios\n\n| scenario | change | base | new |\n|---|---|---|---|"
        );
        for c in &d.scenarios {
            let mark = if c.regression { " ❌" } else { "" };
            let _ = writeln!(
                out,
                "| {} | {}{mark} | {} | {} |",
                cell(&c.scenario),
                kind_str(c.kind),
                outcome_str(c.base),
                outcome_str(c.new)
            );
        }
    }
    if !d.checks.is_empty() {
        let _ = writeln!(
            out,
            "\n#### Failed checks and warnings\n\n| scenario | rule | change | message |\n|---|---|---|---|"
        );
        for c in &d.checks {
            let mark = if c.regression {
                " ❌"
            } else if c.known {
                " (known)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {} | {} | {}{mark} | {} |",
                cell(&c.scenario),
                code(&c.rule),
                c.kind,
                cell(&c.message)
            );
        }
    }
    if !d.load.is_empty() {
        let _ = writeln!(
            out,
            "\n#### Load (tolerance {:.0}%)\n\n| workload | metric | base | new | change | relative |\n|---|---|---:|---:|---:|---:|",
            d.tolerance.0 * 100.0
        );
        for c in &d.load {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {}{} |",
                cell(&c.op),
                c.metric,
                value_text(c.metric, c.base),
                value_text(c.metric, c.new),
                value_text(c.metric, c.abs),
                rel_text(c),
                if c.regression { " ❌" } else { "" }
            );
        }
    }
    if d.scenarios.is_empty() && d.checks.is_empty() && d.load.is_empty() {
        let _ = writeln!(out, "\nNo conformance changes.");
    }
    out
}

/// Renders the diff as one self-contained HTML page.
pub fn render_html(d: &Diff) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>regcheck diff: {v}</title><style>body{{font:14px system-ui,sans-serif;max-width:1100px;margin:auto;padding:1rem}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ddd;padding:.2rem .4rem;text-align:left}}tr.regression{{background:#fce8e6}}</style></head><body>\n<h1>regcheck diff: {v}</h1><pre>{h}</pre>\n",
        v = esc(&verdict(d)),
        h = esc(&headline(d))
    );
    let _ = writeln!(
        out,
        "<section id=\"scenario-changes\"><h2>Scenarios</h2><table><tr><th>scenario</th><th>change</th><th>base</th><th>new</th></tr>"
    );
    for c in &d.scenarios {
        let class = if c.regression {
            " class=\"regression\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.scenario),
            kind_str(c.kind),
            outcome_str(c.base),
            outcome_str(c.new)
        );
    }
    let _ = writeln!(
        out,
        "</table></section>\n<section id=\"check-changes\"><h2>Failed checks and warnings</h2><table><tr><th>scenario</th><th>rule</th><th>change</th><th>message</th></tr>"
    );
    for c in &d.checks {
        let class = if c.regression {
            " class=\"regression\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td><code>{}</code></td><td>{}{}</td><td>{}</td></tr>",
            esc(&c.scenario),
            esc(&c.rule),
            c.kind,
            if c.known { " (known)" } else { "" },
            esc(&c.message)
        );
    }
    let _ = writeln!(out, "</table></section>");
    if !d.load.is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"load-changes\"><h2>Load (tolerance {:.0}%)</h2><table><tr><th>workload</th><th>metric</th><th>base</th><th>new</th><th>change</th><th>relative</th></tr>",
            d.tolerance.0 * 100.0
        );
        for c in &d.load {
            let class = if c.regression {
                " class=\"regression\""
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.op),
                c.metric,
                value_text(c.metric, c.base),
                value_text(c.metric, c.new),
                value_text(c.metric, c.abs),
                rel_text(c)
            );
        }
        let _ = writeln!(out, "</table></section>");
    }
    let _ = writeln!(out, "</body></html>");
    out
}

/// Renders the diff as JSON.
pub fn render_json(d: &Diff) -> String {
    serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{document as result, finding, scenario};

    fn pair() -> (Document, Document) {
        let base = result();
        let mut new = result();
        // ok: pass → fail (a regression); bad: fixed; skipped: removed; fresh: new passing.
        new.scenarios[0] = scenario(
            "ok",
            Outcome::Fail,
            vec![finding("GetBlob.content-length-matches", "3 vs 4")],
        );
        new.scenarios[1] = scenario("bad", Outcome::Pass, vec![]);
        new.scenarios.retain(|s| s.name != "skipped");
        new.scenarios.push(scenario("fresh", Outcome::Pass, vec![]));
        new.recount();
        (base, new)
    }

    #[test]
    fn a_newly_failing_check_is_a_regression() {
        let (base, new) = pair();
        let d = diff(&base, &new, Tolerance::default(), false);
        let kinds: Vec<(&str, ScenarioChangeKind, bool)> = d
            .scenarios
            .iter()
            .map(|c| (c.scenario.as_str(), c.kind, c.regression))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ok", ScenarioChangeKind::NewlyFailing, true),
                ("bad", ScenarioChangeKind::Fixed, false),
                ("fresh", ScenarioChangeKind::New, false),
                ("skipped", ScenarioChangeKind::Removed, false),
            ]
        );
        let checks: Vec<(&str, &str, bool)> = d
            .checks
            .iter()
            .map(|c| (c.rule.as_str(), c.kind, c.regression))
            .collect();
        assert_eq!(
            checks,
            [
                ("GetBlob.content-length-matches", "newly-failing", true),
                ("GetBlob.digest-matches-body", "fixed", false),
            ]
        );
        assert_eq!(d.regressions, 2);
        // The fixture's steps record only failures of these two rules.
        assert_eq!(d.rules_new, ["GetBlob.content-length-matches"]);
        assert_eq!(d.rules_removed, ["GetBlob.digest-matches-body"]);
        assert!(render_table(&d).starts_with("REGRESSION: 2 regression(s)"));
        assert!(render_markdown(&d).contains("| ok | newly failing ❌ | pass | fail |"));
        assert!(render_html(&d).contains("<tr class=\"regression\"><td>ok</td>"));
        let json: serde_json::Value = serde_json::from_str(&render_json(&d)).unwrap();
        assert_eq!(json["regressions"], 2);
        assert_eq!(json["scenarios"][0]["kind"], "newly-failing");
    }

    #[test]
    fn the_same_run_has_no_changes_and_fixes_are_no_regression() {
        let (base, new) = pair();
        let same = diff(&base, &base, Tolerance::default(), false);
        assert!(same.scenarios.is_empty() && same.checks.is_empty());
        assert!(!same.has_regression());
        assert!(render_table(&same).contains("no conformance changes"));
        // Reversed: NEW fixed `ok` and broke `bad` again (bad was failing in the new BASE...).
        let back = diff(&new, &base, Tolerance::default(), false);
        let bad = back.scenarios.iter().find(|c| c.scenario == "bad").unwrap();
        assert_eq!(bad.kind, ScenarioChangeKind::NewlyFailing);
        let ok = back.scenarios.iter().find(|c| c.scenario == "ok").unwrap();
        assert_eq!(ok.kind, ScenarioChangeKind::Fixed);
    }

    #[test]
    fn known_failures_are_not_regressions() {
        let base = result();
        let mut new = result();
        new.scenarios[0] = scenario(
            "ok",
            Outcome::Known,
            vec![finding("GetBlob.content-length-matches", "3 vs 4")],
        );
        new.recount();
        let d = diff(&base, &new, Tolerance::default(), false);
        assert!(!d.has_regression(), "{d:#?}");
        assert!(d.checks[0].known);
        assert_eq!(d.scenarios[0].kind, ScenarioChangeKind::Changed);
    }

    #[test]
    fn load_regressions_count_and_render() {
        let mut base = result();
        base.scenarios.clear();
        base.recount();
        base.load = Some(crate::report::load::tests::load_report());
        let mut new = base.clone();
        if let Some(l) = new.load.as_mut() {
            l.operations[0].latency.p99_us *= 3;
        }
        let d = diff(&base, &new, Tolerance::default(), false);
        assert_eq!(d.regressions, 1, "{:#?}", d.load);
        assert!(render_table(&d).contains("p99_ms"));
        assert!(render_markdown(&d).contains("+200.0% ❌"));
        assert!(render_html(&d).contains("id=\"load-changes\""));
        assert_eq!(
            diff(&base, &base, Tolerance::default(), false).regressions,
            0
        );
    }

    #[test]
    fn tolerances_parse() {
        assert_eq!("10%".parse::<Tolerance>().unwrap(), Tolerance(0.1));
        assert_eq!("0.25".parse::<Tolerance>().unwrap(), Tolerance(0.25));
        assert!("ten".parse::<Tolerance>().is_err());
        assert!("-5%".parse::<Tolerance>().is_err());
    }

    #[test]
    fn warnings_are_changes_and_regress_only_when_strict() {
        use crate::report::testdata::warning;
        let base = result();
        let mut new = result();
        // ok: pass → warn; bad: fail → warn (fixed, now only a convention).
        new.scenarios[0] = scenario(
            "ok",
            Outcome::Warn,
            vec![warning("scenario.header.Docker-Upload-UUID", "absent")],
        );
        new.scenarios[1] = scenario(
            "bad",
            Outcome::Warn,
            vec![warning("GetBlob.digest-matches-body", "now a convention")],
        );
        new.recount();
        let d = diff(&base, &new, Tolerance::default(), false);
        assert!(!d.has_regression(), "{d:#?}");
        let kinds: Vec<(&str, ScenarioChangeKind)> = d
            .scenarios
            .iter()
            .map(|c| (c.scenario.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ok", ScenarioChangeKind::NewlyWarning),
                ("bad", ScenarioChangeKind::Fixed)
            ]
        );
        let checks: Vec<(&str, &str, Severity)> = d
            .checks
            .iter()
            .map(|c| (c.rule.as_str(), c.kind, c.severity))
            .collect();
        assert_eq!(
            checks,
            [
                (
                    "scenario.header.Docker-Upload-UUID",
                    "new-warning",
                    Severity::Warn
                ),
                ("GetBlob.digest-matches-body", "fixed", Severity::Fail),
            ]
        );
        assert!(render_markdown(&d).contains("| ok | newly warning | pass | warn |"));
        let strict = diff(&base, &new, Tolerance::default(), true);
        assert_eq!(strict.regressions, 2, "the scenario and its new warning");
        // Back: the warning disappears, and a warning turned failure is newly failing.
        let back = diff(&new, &base, Tolerance::default(), true);
        let gone = back
            .checks
            .iter()
            .find(|c| c.rule == "scenario.header.Docker-Upload-UUID")
            .unwrap();
        assert_eq!((gone.kind, gone.regression), ("warning-gone", false));
        let worse = back
            .checks
            .iter()
            .find(|c| c.rule == "GetBlob.digest-matches-body")
            .unwrap();
        assert_eq!((worse.kind, worse.regression), ("newly-failing", true));
    }
}
