//! The HTML report (`--report html=PATH`): one self-contained page for people. Inline CSS, no
//! script, no external asset (a Content-Security-Policy of `default-src 'none'` makes any
//! reference to one fail loudly in a browser). Sections, each an element with an id the tests
//! look for: `summary` (pass/fail/skip/error/known counts, an inline-SVG outcome bar, checks,
//! capabilities), `coverage` (coverage per document, the OCI endpoint table with the steps
//! that exercised each row, every documented operation with its documents: steps exercised,
//! checks run and failed), `failures` (each failed scenario expanded: findings with expected vs actual and the
//! redacted transcripts), `known` and `baseline` (with `--baseline`), `scenarios` (all of them).
//! A report with load measurements gets the `load` section first (see `report::load`: table,
//! thresholds, `latency-chart` and `timeline-chart` SVGs); a load-only report has only that.

use super::Document;
use super::text::{coverage, endpoint_coverage, escape_html as esc, transcript_text};
use crate::runner::{Outcome, RunResult, ScenarioResult};
use crate::vocab::document::Endpoint;
use std::fmt::Write;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#1b1f23;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.unused td{color:#999}pre{background:#f6f8fa;border:1px solid #ddd;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
.meta{color:#555}.counts{display:flex;gap:.6rem;flex-wrap:wrap;margin:.6rem 0}
.count{border-radius:6px;padding:.4rem .8rem;font-weight:600;border:1px solid #ccc}
.pass{background:#e6f4ea;color:#137333}.fail{background:#fce8e6;color:#a50e0e}.skip{background:#f1f3f4;color:#5f6368}
.error{background:#fef7e0;color:#8a5a00}.known{background:#e8f0fe;color:#1a4fa0}
span.badge{border-radius:4px;padding:0 .35rem;font-size:12px;font-weight:600}
details{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.3rem .7rem}summary{cursor:pointer;font-weight:600}
code{font-size:12px;background:#f6f8fa;padding:0 .2rem}td code{word-break:break-all}
table.findings{table-layout:fixed}table.findings th:first-child{width:18%}table.findings th:nth-child(2){width:26%}
";

fn badge(o: Outcome) -> String {
    format!(
        "<span class=\"badge {0}\">{0}</span>",
        match o {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Known => "known",
        }
    )
}

/// The outcome bar: one rect per outcome, widths proportional to the scenario counts.
fn outcome_bar(result: &RunResult) -> String {
    let sm = &result.summary;
    let parts = [
        ("pass", sm.passed, "#34a853"),
        ("fail", sm.failed, "#d93025"),
        ("error", sm.errors, "#f9ab00"),
        ("known", sm.known, "#4285f4"),
        ("skip", sm.skipped, "#bdc1c6"),
    ];
    let total = sm.scenarios.max(1) as f64;
    let (w, h) = (600.0, 18.0);
    let mut svg = format!(
        "<svg id=\"outcome-bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"scenario outcomes\">"
    );
    let mut x = 0.0;
    for (name, n, color) in parts {
        if n == 0 {
            continue;
        }
        let width = w * f64::from(n) / total;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{width:.1}\" height=\"{h}\" fill=\"{color}\"><title>{name}: {n}</title></rect>"
        );
        x += width;
    }
    svg.push_str("</svg>");
    svg
}

fn summary(out: &mut String, result: &RunResult) {
    let sm = &result.summary;
    let _ = writeln!(out, "<section id=\"summary\"><h2>Summary</h2>");
    let _ = writeln!(out, "<div class=\"counts\">");
    for (class, label, n) in [
        ("pass", "passed", sm.passed),
        ("fail", "failed", sm.failed),
        ("skip", "skipped", sm.skipped),
        ("error", "errors", sm.errors),
        ("known", "known", sm.known),
    ] {
        let _ = writeln!(
            out,
            "<div class=\"count {class}\" id=\"count-{class}\"><span class=\"n\">{n}</span> {label}</div>"
        );
    }
    let _ = writeln!(out, "</div>{}", outcome_bar(result));
    let _ = writeln!(
        out,
        "<p>{} scenarios; {} checks evaluated, {} held, {} failed.</p>",
        sm.scenarios, sm.checks.total, sm.checks.passed, sm.checks.failed
    );
    let caps: Vec<String> = result
        .capabilities
        .iter()
        .map(|(k, v)| {
            let why = result
                .capability_evidence
                .get(k)
                .map(|e| format!(" title=\"{}\"", esc(e)))
                .unwrap_or_default();
            format!(
                "<code{why}>{}</code> {}",
                esc(k),
                if *v { "yes" } else { "no" }
            )
        })
        .collect();
    let _ = writeln!(out, "<p>Capabilities: {}</p>", caps.join(", "));
    if !result.capability_evidence.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Capability evidence</summary><table><tr><th>capability</th><th>present</th><th>what the probe saw</th></tr>"
        );
        for (k, e) in &result.capability_evidence {
            let present = result.capabilities.get(k).copied().unwrap_or(false);
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(k),
                if present { "yes" } else { "no" },
                esc(e)
            );
        }
        let _ = writeln!(out, "</table></details>");
    }
    if result.cleanup.kept {
        let _ = writeln!(out, "<p>Cleanup: skipped (--keep).</p>");
    } else {
        let _ = writeln!(
            out,
            "<p>Cleanup: {} deleted, {} left over.</p>",
            result.cleanup.deleted,
            result.cleanup.leftovers.len()
        );
    }
    let _ = writeln!(out, "</section>");
}

fn coverage_section(out: &mut String, result: &RunResult) {
    let rows = coverage(result);
    let documented = rows.iter().filter(|c| !c.endpoint.is_empty()).count();
    let exercised = rows
        .iter()
        .filter(|c| !c.endpoint.is_empty() && c.steps > 0)
        .count();
    let _ = writeln!(
        out,
        "<section id=\"coverage\"><h2>Coverage</h2><p>Coverage per document: {}.</p>",
        esc(&result.document_coverage().line())
    );
    endpoint_table(out, result);
    let _ = writeln!(
        out,
        "<h3>Per operation</h3><p>{exercised} of {documented} documented operations exercised.</p>"
    );
    let _ = writeln!(
        out,
        "<table><thead><tr><th>operation</th><th>endpoint</th><th>documents</th><th>steps</th><th>passed</th><th>failed</th><th>checks</th><th>checks failed</th></tr></thead><tbody>"
    );
    for c in &rows {
        let class = if c.steps == 0 {
            " class=\"unused\""
        } else {
            ""
        };
        let documents =
            c.op.parse::<crate::contract::Operation>()
                .map(|op| {
                    let names: Vec<&str> = crate::vocab::document::documents_of(op)
                        .iter()
                        .map(|d| d.name())
                        .collect();
                    names.join(", ")
                })
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.op),
            esc(&c.endpoint),
            esc(&documents),
            c.steps,
            c.passed,
            c.failed,
            c.checks,
            c.checks_failed
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

/// The OCI endpoint table with the steps that exercised each row (unexercised rows greyed).
fn endpoint_table(out: &mut String, result: &RunResult) {
    let _ = writeln!(
        out,
        "<h3 id=\"coverage-endpoints\">Per OCI endpoint</h3><table><thead><tr><th>id</th><th>request</th><th>success</th><th>failure</th><th>category</th><th>level</th><th>operations</th><th>steps</th><th>passed</th><th>failed</th></tr></thead><tbody>"
    );
    for c in endpoint_coverage(result) {
        let e = c.endpoint;
        let class = if c.steps == 0 {
            " class=\"unused\""
        } else {
            ""
        };
        let level = if e.document == crate::vocab::document::Document::OciDev {
            format!("{} (after 1.1.1)", e.level)
        } else {
            e.level.to_string()
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e.id,
            esc(&e.request_line()),
            Endpoint::statuses(e.success),
            Endpoint::statuses(e.failure),
            e.category.name(),
            esc(&level),
            esc(&c.operations()),
            c.steps,
            c.passed,
            c.failed
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

/// A failed (expanded) or known (collapsed) scenario with its failed steps.
fn scenario_details(out: &mut String, s: &ScenarioResult) {
    let open = if s.outcome == Outcome::Known {
        ""
    } else {
        " open"
    };
    let _ = writeln!(
        out,
        "<details{open} class=\"scenario\" id=\"scenario-{}\"><summary>{} {} <span class=\"meta\">{} · {:.0} ms</span></summary>",
        esc(&s.name),
        badge(s.outcome),
        esc(&s.name),
        esc(&super::text::display_file(&s.file)),
        s.duration_ms
    );
    if let Some(r) = &s.reason {
        let _ = writeln!(out, "<p>{}</p>", esc(r));
    }
    for st in s.steps.iter().filter(|st| {
        matches!(
            st.outcome,
            Outcome::Fail | Outcome::Warn | Outcome::Error | Outcome::Known
        )
    }) {
        let _ = writeln!(
            out,
            "<h4>{} step <code>{}</code> ({}, HTTP {})</h4>",
            badge(st.outcome),
            esc(&st.name),
            esc(&st.op),
            st.status
        );
        if let Some(r) = &st.reason {
            let _ = writeln!(out, "<p>{}</p>", esc(r));
        }
        if !st.findings.is_empty() {
            let _ = writeln!(
                out,
                "<table class=\"findings\"><thead><tr><th>rule</th><th>message</th><th>expected</th><th>actual</th></tr></thead><tbody>"
            );
            for f in &st.findings {
                let level = f.level.map(|l| format!("{l}, ")).unwrap_or_default();
                let quote = f
                    .quote
                    .as_deref()
                    .map(|q| format!("<br><q class=\"meta\">{}</q>", esc(q)))
                    .unwrap_or_default();
                let spec = f
                    .spec
                    .as_deref()
                    .map(|s| {
                        format!(
                            "<br><span class=\"meta\">{}{}</span>{quote}",
                            esc(&level),
                            esc(s)
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code>{}</td><td>{}{spec}</td><td class=\"expected\"><code>{}</code></td><td class=\"actual\"><code>{}</code></td></tr>",
                    esc(&f.rule),
                    if f.known {
                        " <span class=\"known\">known</span>"
                    } else {
                        ""
                    },
                    esc(&f.message),
                    esc(f.expected.as_deref().unwrap_or("")),
                    esc(f.actual.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(out, "</tbody></table>");
        }
        if !st.transcript.is_empty() {
            let _ = writeln!(
                out,
                "<pre class=\"transcript\">{}</pre>",
                esc(&transcript_text(st))
            );
        }
    }
    let _ = writeln!(out, "</details>");
}

fn scenarios_table(out: &mut String, result: &RunResult) {
    let _ = writeln!(
        out,
        "<section id=\"scenarios\"><h2>All scenarios</h2><table><thead><tr><th>scenario</th><th>result</th><th>file</th><th>steps</th><th>ms</th><th>note</th></tr></thead><tbody>"
    );
    for s in &result.scenarios {
        let mut rules: Vec<&str> = s
            .steps
            .iter()
            .flat_map(|st| st.findings.iter().map(|f| f.rule.as_str()))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        let note = if rules.is_empty() {
            s.reason.clone().unwrap_or_default()
        } else {
            rules.join(", ")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.0}</td><td>{}</td></tr>",
            esc(&s.name),
            badge(s.outcome),
            esc(&super::text::display_file(&s.file)),
            s.steps.len(),
            s.duration_ms,
            esc(&note)
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

/// Renders the report as one self-contained HTML page.
pub fn render(result: &Document) -> String {
    let mut out = String::new();
    let sm = &result.summary;
    let conformance = !result.scenarios.is_empty() || result.load.is_none();
    let load_failed = result.load.as_ref().is_some_and(super::load::failed);
    let verdict = if sm.errors > 0 || result.aborted.is_some() {
        "error"
    } else if sm.failed > 0 || load_failed {
        "failed"
    } else {
        "passed"
    };
    let kind = if conformance {
        "regcheck"
    } else {
        "regcheck load"
    };
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{kind} {verdict}: {}</title>\n<style>{STYLE}</style></head><body>",
        esc(&result.target)
    );
    let _ = writeln!(
        out,
        "<header><h1>{kind} {verdict}</h1><p class=\"meta\">Target <code>{}</code> · profile {} · {} · run <code>{}</code> · namespace <code>{}</code><br>started {}{} · {:.1} s</p></header>",
        esc(&result.target),
        esc(&result.profile),
        esc(&result.tool),
        esc(&result.run_id),
        esc(&result.namespace),
        esc(&result.started_at),
        result
            .finished_at
            .as_deref()
            .map(|f| format!(", finished {}", esc(f)))
            .unwrap_or_default(),
        result.duration_ms / 1000.0
    );
    if let Some(why) = &result.aborted {
        let _ = writeln!(
            out,
            "<section id=\"aborted\"><h2>Could not run</h2><p>{}</p></section>",
            esc(why)
        );
    }
    if let Some(l) = &result.load {
        super::load::html(&mut out, l);
    }
    if conformance {
        conformance_sections(&mut out, result);
    }
    let _ = writeln!(out, "</body></html>");
    out
}

fn conformance_sections(out: &mut String, result: &RunResult) {
    summary(out, result);
    coverage_section(out, result);
    let failing: Vec<_> = result
        .scenarios
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Fail | Outcome::Error))
        .collect();
    let _ = writeln!(
        out,
        "<section id=\"failures\"><h2>Failures ({})</h2>",
        failing.len()
    );
    if failing.is_empty() {
        let _ = writeln!(out, "<p>No failures.</p>");
    }
    for s in failing {
        scenario_details(out, s);
    }
    let _ = writeln!(out, "</section>");
    let warned: Vec<_> = result
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Warn)
        .collect();
    if !warned.is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"warnings\"><h2>Warnings ({})</h2><p>A SHOULD broken or a convention not followed: reported, not failing.</p>",
            warned.len()
        );
        for s in warned {
            scenario_details(out, s);
        }
        let _ = writeln!(out, "</section>");
    }
    let known: Vec<_> = result
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Known)
        .collect();
    if !known.is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"known\"><h2>Known deviations ({})</h2>",
            known.len()
        );
        for s in known {
            scenario_details(out, s);
        }
        let _ = writeln!(out, "</section>");
    }
    if let Some(b) = &result.baseline {
        let _ = writeln!(
            out,
            "<section id=\"baseline\"><h2>Baseline <code>{}</code></h2><p>{} entries matched a failure of this run.</p><ul>",
            esc(&b.file),
            b.matched.len()
        );
        for e in &b.fixed {
            let _ = writeln!(
                out,
                "<li class=\"fixed\">fixed, remove from the baseline: <code>{}</code></li>",
                esc(e)
            );
        }
        for e in &b.unchecked {
            let _ = writeln!(
                out,
                "<li>not checked (its scenario did not run): <code>{}</code></li>",
                esc(e)
            );
        }
        let _ = writeln!(out, "</ul></section>");
    }
    scenarios_table(out, result);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn sections_counts_and_escaping() {
        let html = render(&testdata::document());
        for id in [
            "summary",
            "coverage",
            "failures",
            "known",
            "scenarios",
            "outcome-bar",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains(
            "<div class=\"count fail\" id=\"count-fail\"><span class=\"n\">1</span> failed</div>"
        ));
        assert!(html.contains("body &lt;sha256&gt; differs"));
        assert!(!html.contains("<sha256>"));
        assert!(html.contains("<td class=\"expected\"><code>sha256:aa</code></td><td class=\"actual\"><code>sha256:bb</code></td>"));
        assert!(html.contains("&gt; Authorization: Bearer &lt;redacted&gt;"));
        assert!(html.contains("Failures (2)"), "bad and down");
        assert!(html.contains("1 of 32 documented operations exercised"));
        assert!(!html.contains("id=\"load\""));
        // Nothing is loaded from elsewhere.
        for bad in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!html.contains(bad), "{bad}");
        }
    }

    #[test]
    fn a_load_report_gets_the_load_section_and_charts_only() {
        let mut r = testdata::document();
        r.scenarios.clear();
        r.recount();
        r.load = Some(crate::report::load::tests::load_report());
        let html = render(&r);
        for id in ["load", "load-table", "latency-chart", "timeline-chart"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("<h1>regcheck load passed</h1>"));
        assert!(
            !html.contains("id=\"coverage\""),
            "no conformance sections for a load run"
        );
        assert!(!html.contains("<script"));
    }
}
