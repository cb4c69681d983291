//! The JUnit XML report (`--report junit=PATH`), for CI systems that display test results.
//!
//! One `<testsuite>` per run (named after the target), one `<testcase>` per scenario
//! (`classname` = its first tag). A failed scenario carries one `<failure>` whose `type` is the
//! first failed rule id and whose text lists every finding (rule, step, expected, actual) and
//! the redacted transcripts; a scenario that could not run carries `<error>`; a skipped one
//! `<skipped message="reason"/>`. Example:
//!
//! ```xml
//! <testsuites name="regcheck" tests="2" failures="1" errors="0" skipped="0" time="0.120">
//!   <testsuite name="http://127.0.0.1:5000/" tests="2" failures="1" errors="0" skipped="0" time="0.120">
//!     <testcase classname="oci" name="v2-support" time="0.003"/>
//!     <testcase classname="oci" name="tags-list" time="0.117">
//!       <failure type="GetTagList.sorted" message="list tags: tags are not in lexical order">…</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use super::ReportError;
use crate::runner::{Outcome, RunResult, ScenarioResult};
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use std::fmt::Write as _;
use std::path::Path;

fn secs(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

/// The failure text of a scenario: every finding, then the transcripts of failed steps.
fn failure_text(s: &ScenarioResult) -> String {
    let mut text = String::new();
    for st in &s.steps {
        for f in &st.findings {
            let _ = writeln!(text, "[{}] {}: {}", f.rule, st.name, f.message);
            if let Some(e) = &f.expected {
                let _ = writeln!(text, "  expected: {e}");
            }
            if let Some(a) = &f.actual {
                let _ = writeln!(text, "  actual:   {a}");
            }
            if let Some(spec) = &f.spec {
                let _ = writeln!(text, "  spec:     {spec}");
            }
        }
        for t in &st.transcript {
            let _ = writeln!(text, "\n> {}", t.request_line);
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
    }
    text
}

fn first_failure(s: &ScenarioResult) -> (String, String) {
    s.steps
        .iter()
        .find_map(|st| {
            st.findings
                .first()
                .map(|f| (f.rule.clone(), format!("{}: {}", st.name, f.message)))
        })
        .unwrap_or_else(|| ("failure".into(), "failed".into()))
}

type W = Writer<Vec<u8>>;

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        el.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(el))
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        el.push_attribute((*k, *v));
    }
    w.write_event(Event::Empty(el))
}

fn end(w: &mut W, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn testcase(w: &mut W, s: &ScenarioResult) -> std::io::Result<()> {
    let class = s.tags.first().map(String::as_str).unwrap_or("regcheck");
    let time = secs(s.duration_ms);
    let attrs = [
        ("classname", class),
        ("name", s.name.as_str()),
        ("time", &time),
    ];
    match s.outcome {
        Outcome::Pass => empty(w, "testcase", &attrs),
        Outcome::Skip => {
            start(w, "testcase", &attrs)?;
            empty(
                w,
                "skipped",
                &[("message", s.reason.as_deref().unwrap_or(""))],
            )?;
            end(w, "testcase")
        }
        Outcome::Fail => {
            start(w, "testcase", &attrs)?;
            let (rule, message) = first_failure(s);
            start(w, "failure", &[("type", &rule), ("message", &message)])?;
            w.write_event(Event::Text(BytesText::new(&failure_text(s))))?;
            end(w, "failure")?;
            end(w, "testcase")
        }
        Outcome::Error => {
            start(w, "testcase", &attrs)?;
            let reason = s
                .reason
                .clone()
                .or_else(|| s.steps.iter().rev().find_map(|st| st.reason.clone()))
                .unwrap_or_else(|| "could not run".into());
            start(w, "error", &[("message", &reason)])?;
            w.write_event(Event::Text(BytesText::new(&failure_text(s))))?;
            end(w, "error")?;
            end(w, "testcase")
        }
    }
}

/// Renders the report as JUnit XML.
pub fn render(result: &RunResult) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let sm = &result.summary;
    let counts = [
        ("tests", sm.scenarios.to_string()),
        ("failures", sm.failed.to_string()),
        ("errors", sm.errors.to_string()),
        ("skipped", sm.skipped.to_string()),
        ("time", secs(result.duration_ms)),
    ];
    let attrs = |name: &str| -> Vec<(String, String)> {
        std::iter::once(("name".to_string(), name.to_string()))
            .chain(counts.iter().map(|(k, v)| (k.to_string(), v.clone())))
            .collect()
    };
    let written: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(quick_xml::events::BytesDecl::new(
            "1.0",
            Some("UTF-8"),
            None,
        )))?;
        let suites = attrs("regcheck");
        let refs: Vec<(&str, &str)> = suites
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        start(&mut w, "testsuites", &refs)?;
        let suite = attrs(&result.target);
        let refs: Vec<(&str, &str)> = suite
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        start(&mut w, "testsuite", &refs)?;
        for s in &result.scenarios {
            testcase(&mut w, s)?;
        }
        end(&mut w, "testsuite")?;
        end(&mut w, "testsuites")
    })();
    // Writing into a Vec cannot fail; keep whatever was produced if it somehow did.
    let _ = written;
    let mut out = String::from_utf8_lossy(&w.into_inner()).into_owned();
    out.push('\n');
    out
}

/// Writes the report to `path`.
pub fn write(result: &RunResult, path: &Path) -> Result<(), ReportError> {
    std::fs::write(path, render(result)).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Finding, FindingSource};
    use crate::runner::{StepResult, Summary};

    fn scenario(name: &str, outcome: Outcome, findings: Vec<Finding>) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            file: format!("scenarios/{name}.yaml"),
            tags: vec!["oci".into()],
            repository: format!("ns/{name}"),
            outcome,
            reason: (outcome == Outcome::Skip).then(|| "target lacks capability `acr`".into()),
            duration_ms: 12.0,
            steps: vec![StepResult {
                name: "step <one> & \"two\"".into(),
                op: "GetBlob".into(),
                outcome,
                status: 200,
                duration_ms: 1.0,
                checks_passed: 3,
                contract_passed: vec!["GetBlob.digest-header-matches".into()],
                findings,
                reason: None,
                transcript: vec![],
            }],
        }
    }

    fn result() -> RunResult {
        let finding = Finding {
            rule: "GetBlob.digest-matches-body".into(),
            source: FindingSource::Contract,
            message: "body <sha256> differs".into(),
            expected: Some("sha256:aa".into()),
            actual: Some("sha256:bb".into()),
            spec: None,
        };
        let mut r = RunResult {
            schema_version: 1,
            tool: "regcheck test".into(),
            target: "http://127.0.0.1:1/".into(),
            run_id: "0000abcd".into(),
            namespace: "ns".into(),
            profile: "oci".into(),
            started_at: "2026-11-26T00:00:00Z".into(),
            duration_ms: 30.0,
            capabilities: Default::default(),
            summary: Summary::default(),
            operations: Default::default(),
            rules: Default::default(),
            scenarios: vec![
                scenario("ok", Outcome::Pass, vec![]),
                scenario("bad", Outcome::Fail, vec![finding]),
                scenario("skipped", Outcome::Skip, vec![]),
            ],
            cleanup: Default::default(),
        };
        r.recount();
        r
    }

    #[test]
    fn recount_tallies_contract_rules() {
        let r = result();
        assert_eq!(r.rules["GetBlob.digest-matches-body"].failed, 1);
        assert_eq!(r.rules["GetBlob.digest-header-matches"].passed, 3);
    }

    #[test]
    fn junit_counts_outcomes_and_escapes_text() {
        let xml = render(&result());
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<testsuites name="regcheck" tests="3" failures="1" errors="0" skipped="1""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase classname="oci" name="ok" time="0.012"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure type="GetBlob.digest-matches-body""#),
            "{xml}"
        );
        assert!(xml.contains("body &lt;sha256&gt; differs"), "{xml}");
        assert!(
            xml.contains(r#"<skipped message="target lacks capability `acr`"/>"#),
            "{xml}"
        );
        // Well-formed: a reader gets through it.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut cases = 0;
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.name().as_ref() == b"testcase" => {
                    cases += 1
                }
                Ok(_) => {}
                Err(e) => panic!("malformed XML: {e}\n{xml}"),
            }
        }
        assert_eq!(cases, 3);
    }
}
