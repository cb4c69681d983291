//! The terminal summary: one table of scenarios (outcome, steps, duration), the findings of
//! failed steps with the rule id, expected vs actual, then totals and coverage per document (OCI
//! endpoints, ACR operations, the whole catalogue).

use crate::runner::{Outcome, RunResult};
use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::fmt::Write;

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "PASS",
        Outcome::Warn => "WARN",
        Outcome::Fail => "FAIL",
        Outcome::Skip => "SKIP",
        Outcome::Error => "ERROR",
        Outcome::Known => "KNOWN",
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Renders the summary as text; the table fits the terminal's width when stdout is one.
pub fn render(result: &RunResult) -> String {
    render_with_width(result, None)
}

/// [`render`] with the table's width fixed (`Some`) instead of taken from the terminal that
/// stdout may be (`None`): the same text whatever runs it (the snapshot tests).
pub fn render_with_width(result: &RunResult, width: Option<u16>) -> String {
    let mut out = String::new();
    if let Some(why) = &result.aborted {
        out.push_str(&format!("could not run: {why}\n"));
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["scenario", "result", "steps", "ms", "note"]);
    if let Some(w) = width {
        table.set_width(w);
    }
    for s in &result.scenarios {
        let failed_rules: Vec<String> = s
            .steps
            .iter()
            .flat_map(|st| st.findings.iter().map(|f| f.rule.clone()))
            .collect();
        let note = if !failed_rules.is_empty() {
            let mut rules = failed_rules;
            rules.sort();
            rules.dedup();
            rules.join(", ")
        } else {
            s.reason.clone().unwrap_or_default()
        };
        // The table stays readable in CI logs; full details follow it.
        let note = shorten(&note, 100);
        table.add_row(vec![
            Cell::new(&s.name),
            Cell::new(outcome_label(s.outcome)),
            Cell::new(s.steps.len()),
            Cell::new(format!("{:.0}", s.duration_ms)),
            Cell::new(note),
        ]);
    }
    let _ = writeln!(out, "{table}");

    for s in result.scenarios.iter().filter(|s| {
        matches!(
            s.outcome,
            Outcome::Fail | Outcome::Warn | Outcome::Error | Outcome::Known
        )
    }) {
        // A warning repeats on every answer that shows it: once per scenario and rule here
        // (every report file lists them all).
        let mut warned: std::collections::BTreeSet<&str> = Default::default();
        let mut repeated = 0usize;
        for st in &s.steps {
            for f in &st.findings {
                if f.is_warning() && !warned.insert(f.rule.as_str()) {
                    repeated += 1;
                    continue;
                }
                let known = if f.is_warning() && f.known {
                    " (known warning)"
                } else if f.known || st.outcome == Outcome::Known {
                    " (known)"
                } else if f.is_warning() {
                    " (warning)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "\n{} ▸ {} [{}]{known} {}",
                    s.name, st.name, f.rule, f.message
                );
                if let Some(e) = &f.expected {
                    let _ = writeln!(out, "    expected: {e}");
                }
                if let Some(a) = &f.actual {
                    let _ = writeln!(out, "    actual:   {a}");
                }
                if let (Some(level), Some(spec)) = (f.level, &f.spec) {
                    let _ = writeln!(out, "    basis:    {level}, {spec}");
                }
                if let Some(t) = st.transcript.last() {
                    let _ = writeln!(out, "    request:  {}  →  {}", t.request_line, t.status);
                }
            }
            if st.outcome == Outcome::Error
                && let Some(r) = &st.reason
            {
                let _ = writeln!(out, "\n{} ▸ {} [error] {r}", s.name, st.name);
            }
        }
        if repeated > 0 {
            let _ = writeln!(
                out,
                "\n{} ▸ {repeated} more warning(s) of the same rule(s) (listed in the reports)",
                s.name
            );
        }
        if s.outcome == Outcome::Error
            && s.steps.iter().all(|st| st.outcome != Outcome::Error)
            && let Some(r) = &s.reason
        {
            let _ = writeln!(out, "\n{} [error] {r}", s.name);
        }
    }

    let sm = &result.summary;
    let _ = writeln!(
        out,
        "\ntarget {} ({}), namespace {}, {:.1}s",
        result.target,
        result.profile,
        result.namespace,
        result.duration_ms / 1000.0
    );
    let caps: Vec<&str> = result
        .capabilities
        .iter()
        .filter(|(_, v)| **v)
        .map(|(k, _)| k.as_str())
        .collect();
    let _ = writeln!(out, "capabilities: {}", caps.join(", "));
    let _ = writeln!(out, "coverage: {}", result.document_coverage().line());
    let _ = writeln!(
        out,
        "checks: {} passed, {} failed, {} warnings",
        sm.checks.passed, sm.checks.failed, sm.checks.warned
    );
    if result.cleanup.kept {
        let _ = writeln!(out, "cleanup: skipped (--keep)");
    } else {
        let _ = writeln!(
            out,
            "cleanup: {} deleted, {} left over",
            result.cleanup.deleted,
            result.cleanup.leftovers.len()
        );
        for l in &result.cleanup.leftovers {
            let _ = writeln!(out, "  left over: {l}");
        }
        let empty = result.cleanup.empty_repositories.len();
        if empty > 0 {
            let _ = writeln!(
                out,
                "  {empty} emptied repositories may stay listed in the catalog (no repository delete in the OCI API); namespace {} is reused by later runs when clean",
                result.namespace
            );
        }
        for n in &result.cleanup.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    if let Some(b) = &result.baseline {
        let _ = writeln!(
            out,
            "baseline {}: {} known deviation(s) matched",
            b.file,
            b.matched.len()
        );
        for e in &b.fixed {
            let _ = writeln!(out, "  fixed, remove from baseline: {e}");
        }
        for e in &b.unchecked {
            let _ = writeln!(out, "  not checked (scenario did not run): {e}");
        }
    }
    let mut known = if sm.known > 0 {
        format!(", {} known", sm.known)
    } else {
        String::new()
    };
    if sm.warned > 0 {
        let _ = write!(known, ", {} with warnings", sm.warned);
    }
    let _ = writeln!(
        out,
        "scenarios: {} passed, {} failed, {} skipped, {} errors{known}",
        sm.passed, sm.failed, sm.skipped, sm.errors
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_notes_are_shortened_on_a_char_boundary() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }
}
