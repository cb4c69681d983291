//! What several renderers derive from a `RunResult` the same way: the flat list of failures
//! (one row per finding), coverage per documented operation and per OCI endpoint, escaping and
//! one-line summaries.

use crate::contract::Operation;
use crate::exchange::Finding;
use crate::runner::{Outcome, RunResult, ScenarioResult, StepResult};
use crate::vocab::document::{ENDPOINTS, Endpoint};
use std::collections::BTreeMap;

/// One failed check (or one step/scenario that could not run) of a run.
#[derive(Debug, Clone, Copy)]
pub struct FailureRow<'a> {
    /// Its scenario.
    pub scenario: &'a ScenarioResult,
    /// Its step (absent when the scenario errored before any step).
    pub step: Option<&'a StepResult>,
    /// The failed check (absent for errors).
    pub finding: Option<&'a Finding>,
}

impl FailureRow<'_> {
    /// The rule id, or `error` when nothing could be checked.
    pub fn rule(&self) -> &str {
        self.finding.map_or("error", |f| f.rule.as_str())
    }

    /// One line saying what went wrong.
    pub fn message(&self) -> String {
        let text = match (self.finding, self.step) {
            (Some(f), _) => f.message.clone(),
            (None, Some(st)) => st.reason.clone().unwrap_or_else(|| "could not run".into()),
            (None, None) => self
                .scenario
                .reason
                .clone()
                .unwrap_or_else(|| "could not run".into()),
        };
        one_line(&text)
    }

    /// The finding is only a warning (SHOULD or convention).
    pub fn warning(&self) -> bool {
        self.finding.is_some_and(|f| f.is_warning())
    }

    /// The step name, or `-`.
    pub fn step_name(&self) -> &str {
        self.step.map_or("-", |s| s.name.as_str())
    }

    /// The finding is listed in the baseline (`known`, or a step of outcome `known`).
    pub fn known(&self) -> bool {
        self.finding.is_some_and(|f| f.known)
            || self
                .step
                .map_or(self.scenario.outcome, |s| s.outcome)
                .eq(&Outcome::Known)
    }
}

/// Every failure of the run, in scenario and step order: each finding of a failed (or known)
/// scenario, each errored step, and scenarios that errored without a step saying why.
pub fn failure_rows(result: &RunResult) -> Vec<FailureRow<'_>> {
    let mut rows = Vec::new();
    for sc in &result.scenarios {
        if !matches!(
            sc.outcome,
            Outcome::Fail | Outcome::Warn | Outcome::Known | Outcome::Error
        ) {
            continue;
        }
        let before = rows.len();
        for st in &sc.steps {
            for f in &st.findings {
                rows.push(FailureRow {
                    scenario: sc,
                    step: Some(st),
                    finding: Some(f),
                });
            }
            if st.outcome == Outcome::Error && st.findings.is_empty() {
                rows.push(FailureRow {
                    scenario: sc,
                    step: Some(st),
                    finding: None,
                });
            }
        }
        if rows.len() == before {
            rows.push(FailureRow {
                scenario: sc,
                step: None,
                finding: None,
            });
        }
    }
    rows
}

/// Coverage of one documented operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Operation name (`GetBlob`).
    pub op: String,
    /// `METHOD path` as documented (empty for names outside the catalogue).
    pub endpoint: String,
    /// Steps that exercised it.
    pub steps: u32,
    /// Of those, passed.
    pub passed: u32,
    /// Of those, failed (known failures included).
    pub failed: u32,
    /// Checks evaluated on its responses (contract rules and expectations).
    pub checks: u32,
    /// Of those, failed.
    pub checks_failed: u32,
}

/// Coverage of every documented operation (catalogue order; never-exercised ones have zero
/// steps), followed by any operation name of the report that is not in the catalogue.
pub fn coverage(result: &RunResult) -> Vec<Coverage> {
    let mut by_op: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for st in result.scenarios.iter().flat_map(|s| &s.steps) {
        let e = by_op.entry(st.op.as_str()).or_default();
        e.0 += st.checks_passed + st.findings.len() as u32;
        e.1 += st.findings.len() as u32;
    }
    let row = |op: &str, endpoint: String| {
        let stats = result.operations.get(op).cloned().unwrap_or_default();
        let (checks, checks_failed) = by_op.get(op).copied().unwrap_or_default();
        Coverage {
            op: op.to_string(),
            endpoint,
            steps: stats.steps,
            passed: stats.passed,
            failed: stats.failed,
            checks,
            checks_failed,
        }
    };
    let mut out: Vec<Coverage> = Operation::ALL
        .iter()
        .map(|op| row(op.name(), format!("{} {}", op.method(), op.path_template())))
        .collect();
    for op in result.operations.keys() {
        if !Operation::ALL.iter().any(|o| o.name() == op) {
            out.push(row(op, String::new()));
        }
    }
    out
}

/// Coverage of one row of the OCI endpoint table.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointCoverage {
    /// The row (`vocab::document::ENDPOINTS`).
    pub endpoint: &'static Endpoint,
    /// Steps whose request exercised it.
    pub steps: u32,
    /// Of those, passed.
    pub passed: u32,
    /// Of those, failed (known failures included).
    pub failed: u32,
}

impl EndpointCoverage {
    /// The catalogue operations that exercise it, comma-separated.
    pub fn operations(&self) -> String {
        let names: Vec<&str> = self.endpoint.ops.iter().map(|o| o.name()).collect();
        names.join(", ")
    }
}

/// Coverage of every row of the OCI endpoint table, in table order.
pub fn endpoint_coverage(result: &RunResult) -> Vec<EndpointCoverage> {
    ENDPOINTS
        .iter()
        .map(|endpoint| {
            let stats = result
                .endpoints
                .get(endpoint.id)
                .cloned()
                .unwrap_or_default();
            EndpointCoverage {
                endpoint,
                steps: stats.steps,
                passed: stats.passed,
                failed: stats.failed,
            }
        })
        .collect()
}

/// `text` on one line (line breaks become spaces), at most 300 characters.
pub fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 300 {
        flat
    } else {
        let mut cut: String = flat.chars().take(299).collect();
        cut.push('…');
        cut
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A transcript as text: `> ` request lines, `< ` response lines, then the body.
pub fn transcript_text(step: &StepResult) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    for (i, t) in step.transcript.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let _ = writeln!(text, "> {}", t.request_line);
        for (k, v) in &t.request_headers {
            let _ = writeln!(text, "> {k}: {v}");
        }
        let _ = writeln!(text, "< {}", t.status);
        for (k, v) in &t.response_headers {
            let _ = writeln!(text, "< {k}: {v}");
        }
        if !t.response_body.is_empty() {
            let _ = writeln!(text, "<\n{}", t.response_body);
        }
    }
    text
}

/// The file a scenario came from, relative to the current directory or to regcheck's source
/// tree (the bundled `scenarios/`) when it is below one of them.
pub fn display_file(file: &str) -> String {
    let path = std::path::Path::new(file);
    std::env::current_dir()
        .ok()
        .into_iter()
        .chain([std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))])
        .find_map(|base| {
            path.strip_prefix(base)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| file.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn failure_rows_list_findings_errors_and_known() {
        let r = testdata::result();
        let rows = failure_rows(&r);
        let rules: Vec<&str> = rows.iter().map(|r| r.rule()).collect();
        assert_eq!(
            rules,
            ["GetBlob.digest-matches-body", "error", "scenario.status"]
        );
        assert!(!rows[0].known());
        assert_eq!(rows[1].message(), "connection refused by 127.0.0.1:1");
        assert!(rows[2].known());
    }

    #[test]
    fn coverage_lists_every_documented_operation_with_its_checks() {
        let r = testdata::result();
        let cov = coverage(&r);
        assert_eq!(cov.len(), Operation::ALL.len());
        let get_blob = cov.iter().find(|c| c.op == "GetBlob").unwrap();
        assert_eq!(get_blob.endpoint, "GET /v2/{name}/blobs/{digest}");
        assert_eq!((get_blob.steps, get_blob.failed), (4, 2));
        // 3 passed checks on 3 of the 4 steps (the errored one checked nothing) + 2 findings.
        assert_eq!((get_blob.checks, get_blob.checks_failed), (11, 2));
        let never = cov.iter().find(|c| c.op == "GetCatalog").unwrap();
        assert_eq!((never.steps, never.checks), (0, 0));
    }

    #[test]
    fn endpoint_coverage_lists_every_row_of_the_table() {
        let r = testdata::result();
        let cov = endpoint_coverage(&r);
        assert_eq!(cov.len(), 17);
        let blobs = cov.iter().find(|c| c.endpoint.id == "end-2").unwrap();
        assert_eq!((blobs.steps, blobs.failed), (4, 2));
        assert_eq!(
            blobs.operations(),
            "GetBlob, CheckBlobExists, GetChunk, CheckChunkExists"
        );
        assert_eq!(r.document_coverage().oci_endpoints.to_string(), "1/17");
        assert_eq!(r.document_coverage().acr_operations.to_string(), "1/29");
    }

    #[test]
    fn one_line_and_escape() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 300);
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
