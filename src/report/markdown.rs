//! The Markdown report (`--report md=PATH`): compact, for pull-request comments. A summary line
//! (verdict, counts, target, checks), coverage per document, a failures table (scenario, step,
//! rule, message, expected, actual), the known deviations of `--baseline` and the baseline
//! entries that no longer fail. Table cells are one line, with `|` and HTML escaped (GitHub renders HTML).

use super::Document;
use super::text::{FailureRow, failure_rows, one_line};
use crate::runner::{Outcome, RunResult};
use std::fmt::Write;

/// Escapes a table cell: one line, `|` and HTML-significant characters neutralised.
pub(crate) fn cell(text: &str) -> String {
    one_line(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// Inline code in a table cell.
pub(crate) fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", one_line(text).replace('`', "'").replace('|', "\\|"))
    }
}

/// The one-line verdict: `✅ passed` or `❌ failed` with the counts.
pub fn summary_line(result: &RunResult) -> String {
    let sm = &result.summary;
    let verdict = if sm.errors > 0 || result.aborted.is_some() {
        "⚠️ error"
    } else if sm.failed > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let mut parts = vec![format!("{} passed", sm.passed)];
    if sm.failed > 0 {
        parts.push(format!("{} failed", sm.failed));
    }
    if sm.errors > 0 {
        parts.push(format!("{} errors", sm.errors));
    }
    parts.push(format!("{} skipped", sm.skipped));
    if sm.known > 0 {
        parts.push(format!("{} known", sm.known));
    }
    if sm.warned > 0 {
        parts.push(format!("{} with warnings", sm.warned));
    }
    format!(
        "**regcheck {verdict}**: {} of {} scenarios; {} checks, {} failed",
        parts.join(", "),
        sm.scenarios,
        sm.checks.total,
        sm.checks.failed
    )
}

/// Rows shown per table: pull-request comments have a size limit (GitHub: 65,536 characters).
const MAX_ROWS: usize = 60;

fn failures_table(out: &mut String, rows: &[FailureRow<'_>]) {
    let _ = writeln!(
        out,
        "| scenario | step | rule | message | expected | actual |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in rows.iter().take(MAX_ROWS) {
        let (expected, actual) = r.finding.map_or((None, None), |f| {
            (f.expected.as_deref(), f.actual.as_deref())
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&r.scenario.name),
            cell(r.step_name()),
            rule_cell(r),
            cell(&r.message()),
            code(expected.unwrap_or("")),
            code(actual.unwrap_or("")),
        );
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n…and {} more (the HTML and JSON reports list them all).",
            rows.len() - MAX_ROWS
        );
    }
}

/// The rule id with its level and citation, when the finding has them.
fn rule_cell(r: &FailureRow<'_>) -> String {
    let known = if r.warning() && r.known() {
        " — known (baseline)"
    } else {
        ""
    };
    match r.finding.and_then(|f| f.level.zip(f.spec.as_deref())) {
        Some((level, spec)) => format!("{} ({level}, {}){known}", code(r.rule()), cell(spec)),
        None => format!("{}{known}", code(r.rule())),
    }
}

/// Renders the report as Markdown.
pub fn render(result: &Document) -> String {
    let mut out = String::new();
    if let Some(l) = &result.load {
        let _ = writeln!(out, "### {}\n", super::load::summary_line(l));
        let _ = writeln!(
            out,
            "Target `{}`, {}, run `{}` started {}.",
            result.target, result.tool, result.run_id, result.started_at
        );
        super::load::markdown(&mut out, l);
        if result.scenarios.is_empty() {
            return out;
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### {}\n", summary_line(result));
    if let Some(why) = &result.aborted {
        let _ = writeln!(out, "**Could not run:** {}\n", why.replace('|', "\\|"));
    }
    let _ = writeln!(
        out,
        "Target `{}` (profile {}), {}, run `{}` started {}, {:.1} s.",
        result.target,
        result.profile,
        result.tool,
        result.run_id,
        result.started_at,
        result.duration_ms / 1000.0
    );
    let _ = writeln!(out, "\nCoverage: {}.", result.document_coverage().line());
    let rows = failure_rows(result);
    let (warnings, rows): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.warning());
    let (known, failing): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.known());
    if !failing.is_empty() {
        let _ = writeln!(out, "\n#### Failures\n");
        failures_table(&mut out, &failing);
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n#### Warnings (SHOULD or convention: not failing)\n");
        failures_table(&mut out, &warnings);
    }
    if !known.is_empty() {
        let _ = writeln!(out, "\n#### Known deviations (baseline)\n");
        failures_table(&mut out, &known);
    }
    if let Some(b) = &result.baseline
        && !(b.fixed.is_empty() && b.unchecked.is_empty())
    {
        let _ = writeln!(out, "\n#### Baseline `{}`\n", b.file.replace('`', "'"));
        for e in &b.fixed {
            let _ = writeln!(out, "- fixed, remove from the baseline: {}", code(e));
        }
        for e in &b.unchecked {
            let _ = writeln!(out, "- not checked (its scenario did not run): {}", code(e));
        }
    }
    if !result.capability_evidence.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Capabilities</summary>\n");
        let _ = writeln!(out, "| capability | present: what the probe saw |");
        let _ = writeln!(out, "|---|---|");
        for (k, e) in &result.capability_evidence {
            let present = result.capabilities.get(k).copied().unwrap_or(false);
            let _ = writeln!(
                out,
                "| `{k}` | {}: {} |",
                if present { "yes" } else { "no" },
                e.replace('|', "\\|")
            );
        }
        let _ = writeln!(out, "\n</details>");
    }
    let skipped: Vec<_> = result
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Skip)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} skipped</summary>\n",
            skipped.len()
        );
        let _ = writeln!(out, "| scenario | reason |");
        let _ = writeln!(out, "|---|---|");
        for s in skipped {
            let _ = writeln!(
                out,
                "| {} | {} |",
                cell(&s.name),
                cell(s.reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn summary_and_tables() {
        let md = render(&testdata::document());
        assert!(
            md.starts_with("### **regcheck ⚠️ error**: 1 passed, 1 failed, 1 errors, 1 skipped, 1 known of 5 scenarios; 11 checks, 2 failed"),
            "{md}"
        );
        assert!(md.contains("#### Failures"), "{md}");
        assert!(
            md.contains("| bad | step &lt;one&gt; &amp; \"two\" | `GetBlob.digest-matches-body` | body &lt;sha256&gt; differs | `sha256:aa` | `sha256:bb` |"),
            "{md}"
        );
        assert!(md.contains("| down | step &lt;one&gt; &amp; \"two\" | `error` | connection refused by 127.0.0.1:1 |"), "{md}");
        let known = md
            .split("#### Known deviations")
            .nth(1)
            .expect("known section");
        assert!(known.contains("`scenario.status`"), "{md}");
        assert!(!known.contains("GetBlob.digest-matches-body"), "{md}");
        assert!(
            md.contains("| skipped | target lacks capability `acr` |"),
            "{md}"
        );
    }

    #[test]
    fn a_clean_run_is_one_green_line() {
        let mut r = testdata::document();
        r.scenarios.retain(|s| s.outcome == Outcome::Pass);
        r.recount();
        let md = render(&r);
        assert!(md.starts_with("### **regcheck ✅ passed**"), "{md}");
        assert!(!md.contains("Failures"), "{md}");
    }

    #[test]
    fn long_failure_lists_are_cut_for_comments() {
        let mut r = testdata::document();
        let many: Vec<_> = (0..100)
            .map(|i| testdata::finding(&format!("GetBlob.rule-{i}"), "x"))
            .collect();
        r.scenarios[1] = testdata::scenario("bad", Outcome::Fail, many);
        let md = render(&r);
        assert!(md.contains("`GetBlob.rule-59`"));
        assert!(!md.contains("`GetBlob.rule-60`"));
        assert!(md.contains("…and 41 more"), "{md}");
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc <i>"), "a\\|b c &lt;i&gt;");
        assert_eq!(code("x|`y`"), "`x\\|'y'`");
    }
}
