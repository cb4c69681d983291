//! The JUnit XML report (`--report junit=PATH`), for CI systems that display test results.
//!
//! One `<testsuite>` per scenario file (named after the file, with the run's target, tool and
//! run id as `<properties>`), one `<testcase>` per scenario (`classname` = the file's stem;
//! `classname`+`name` unique in the report, a repeated pair gets ` #2`). A failed scenario has
//! one `<failure>`: `type` is the first failed rule id, `message` is `rule: step: reason` on
//! one line, the text lists every finding (rule, step, expected, actual, spec). A scenario that
//! could not run has `<error>`; a skipped one `<skipped message="reason"/>`; a known deviation
//! (outcome `known`, listed in `--baseline`) is `<skipped message="known deviation
//! (baseline): rules"/>` so it is visible without failing the build. Redacted transcripts of
//! failed exchanges go to the testcase's `<system-out>`. Example:
//!
//! ```xml
//! <testsuites name="regcheck" tests="2" failures="1" errors="0" skipped="0" time="0.120" timestamp="…">
//!   <testsuite name="scenarios/tags.yaml" tests="2" failures="1" errors="0" skipped="0" time="0.120" timestamp="…">
//!     <properties><property name="target" value="http://127.0.0.1:5000/"/>…</properties>
//!     <testcase classname="tags" name="v2-support" time="0.003"/>
//!     <testcase classname="tags" name="tags-list" time="0.117">
//!       <failure type="GetTagList.sorted" message="GetTagList.sorted: list tags: tags are not in lexical order">…</failure>
//!       <system-out>&gt; GET http://127.0.0.1:5000/v2/…</system-out>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use super::Document;
use super::text::{display_file, one_line, transcript_text};
use crate::runner::{Outcome, ScenarioResult};
use indexmap::IndexMap;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

fn secs(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

/// The failure text of a scenario: every finding with its step, expected, actual and spec.
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
        if st.outcome == Outcome::Error
            && let Some(r) = &st.reason
        {
            let _ = writeln!(text, "[error] {}: {r}", st.name);
        }
    }
    text
}

/// Every transcript of the scenario's failed steps, each headed by its step.
fn transcripts(s: &ScenarioResult) -> String {
    let mut text = String::new();
    for st in s.steps.iter().filter(|st| !st.transcript.is_empty()) {
        let _ = writeln!(text, "== {} ({}, {})", st.name, st.op, st.outcome.as_str());
        text.push_str(&transcript_text(st));
        text.push('\n');
    }
    text
}

/// `(rule, one-line message)` of the scenario's first failed check.
fn first_failure(s: &ScenarioResult) -> (String, String) {
    s.steps
        .iter()
        .find_map(|st| {
            st.findings.first().map(|f| {
                (
                    f.rule.clone(),
                    one_line(&format!("{}: {}: {}", f.rule, st.name, f.message)),
                )
            })
        })
        .unwrap_or_else(|| ("failure".into(), "failed".into()))
}

fn failed_rules(s: &ScenarioResult) -> String {
    let mut rules: Vec<&str> = s
        .steps
        .iter()
        .flat_map(|st| st.findings.iter().map(|f| f.rule.as_str()))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    rules.join(", ")
}

type W = Writer<Vec<u8>>;

fn element(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
    let mut el = BytesStart::new(name.to_string());
    for (k, v) in attrs {
        el.push_attribute((*k, *v));
    }
    el
}

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    w.write_event(Event::Start(element(name, attrs)))
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    w.write_event(Event::Empty(element(name, attrs)))
}

fn end(w: &mut W, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn text_element(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
    start(w, name, attrs)?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    end(w, name)
}

fn testcase(w: &mut W, s: &ScenarioResult, class: &str, name: &str) -> std::io::Result<()> {
    let time = secs(s.duration_ms);
    let attrs = [("classname", class), ("name", name), ("time", &time)];
    if s.outcome == Outcome::Pass {
        return empty(w, "testcase", &attrs);
    }
    start(w, "testcase", &attrs)?;
    match s.outcome {
        Outcome::Pass => {}
        // A warning is a passing testcase: consumers keep it green and show the text.
        Outcome::Warn => text_element(w, "system-out", &[], &warning_text(s))?,
        Outcome::Skip => empty(
            w,
            "skipped",
            &[(
                "message",
                &one_line(s.reason.as_deref().unwrap_or("skipped")),
            )],
        )?,
        Outcome::Known => {
            let message = format!("known deviation (baseline): {}", failed_rules(s));
            text_element(w, "skipped", &[("message", &message)], &failure_text(s))?
        }
        Outcome::Fail => {
            let (rule, message) = first_failure(s);
            text_element(
                w,
                "failure",
                &[("type", &rule), ("message", &message)],
                &failure_text(s),
            )?
        }
        Outcome::Error => {
            let reason = s
                .reason
                .clone()
                .or_else(|| s.steps.iter().rev().find_map(|st| st.reason.clone()))
                .unwrap_or_else(|| "could not run".into());
            text_element(
                w,
                "error",
                &[("type", "error"), ("message", &one_line(&reason))],
                &failure_text(s),
            )?
        }
    }
    let out = transcripts(s);
    if !out.is_empty() {
        text_element(w, "system-out", &[], &out)?;
    }
    end(w, "testcase")
}

/// The warnings of a scenario, one line each: `warning: rule (LEVEL, citation): message`.
fn warning_text(s: &ScenarioResult) -> String {
    s.steps
        .iter()
        .flat_map(|st| st.findings.iter().map(move |f| (st, f)))
        .filter(|(_, f)| f.is_warning())
        .map(|(st, f)| {
            format!(
                "warning: {} ▸ {} ({}, {}): {}\n",
                st.name,
                f.rule,
                f.level.map(|l| l.keyword()).unwrap_or("SHOULD"),
                f.spec.as_deref().unwrap_or("no text"),
                f.message
            )
        })
        .collect()
}

#[derive(Default)]
struct Counts {
    tests: u32,
    failures: u32,
    errors: u32,
    skipped: u32,
    ms: f64,
}

impl Counts {
    fn add(&mut self, s: &ScenarioResult) {
        self.tests += 1;
        self.ms += s.duration_ms;
        match s.outcome {
            Outcome::Fail => self.failures += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Skip | Outcome::Known => self.skipped += 1,
            Outcome::Pass | Outcome::Warn => {}
        }
    }

    fn attrs(&self, name: &str, ms: f64, timestamp: &str) -> Vec<(String, String)> {
        vec![
            ("name".into(), name.to_string()),
            ("tests".into(), self.tests.to_string()),
            ("failures".into(), self.failures.to_string()),
            ("errors".into(), self.errors.to_string()),
            ("skipped".into(), self.skipped.to_string()),
            ("time".into(), secs(ms)),
            ("timestamp".into(), timestamp.to_string()),
        ]
    }
}

fn owned_start(w: &mut W, name: &str, attrs: &[(String, String)]) -> std::io::Result<()> {
    let refs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    start(w, name, &refs)
}

/// The class name of a scenario file: its stem (`scenarios/blobs.yaml` → `blobs`).
fn class_of(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "regcheck".into())
}

fn write_all(w: &mut W, result: &Document) -> std::io::Result<()> {
    // JUnit timestamps carry no zone in the common XSD; ours are UTC.
    let timestamp = result
        .started_at
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches('Z')
        .to_string();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut files: IndexMap<String, Vec<&ScenarioResult>> = IndexMap::new();
    for s in &result.scenarios {
        files.entry(display_file(&s.file)).or_default().push(s);
    }
    let mut total = Counts::default();
    result.scenarios.iter().for_each(|s| total.add(s));
    if result.aborted.is_some() {
        total.tests += 1;
        total.errors += 1;
    }
    if let Some(l) = &result.load {
        let cases = super::load::junit_cases(l);
        total.tests += cases.len() as u32;
        total.failures += cases.iter().filter(|(_, f)| f.is_some()).count() as u32;
    }
    owned_start(
        w,
        "testsuites",
        &total.attrs("regcheck", result.duration_ms, &timestamp),
    )?;
    let mut properties: Vec<(String, String)> = [
        ("target", result.target.as_str()),
        ("tool", result.tool.as_str()),
        ("run_id", result.run_id.as_str()),
        ("profile", result.profile.as_str()),
        ("namespace", result.namespace.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // capability.<name> = "yes: <evidence>" / "no: <evidence>".
    for (k, present) in &result.capabilities {
        let evidence = result
            .capability_evidence
            .get(k)
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        properties.push((
            format!("capability.{k}"),
            format!("{}{evidence}", if *present { "yes" } else { "no" }),
        ));
    }
    // coverage.<document> = "<exercised>/<total>".
    let coverage = result.document_coverage();
    for (k, c) in [
        ("coverage.oci-endpoints", coverage.oci_endpoints),
        ("coverage.acr-operations", coverage.acr_operations),
        ("coverage.operations", coverage.operations),
    ] {
        properties.push((k.to_string(), c.to_string()));
    }
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for (file, scenarios) in &files {
        let mut counts = Counts::default();
        scenarios.iter().for_each(|s| counts.add(s));
        owned_start(w, "testsuite", &counts.attrs(file, counts.ms, &timestamp))?;
        start(w, "properties", &[])?;
        for (k, v) in &properties {
            empty(w, "property", &[("name", k), ("value", v)])?;
        }
        end(w, "properties")?;
        let class = class_of(file);
        for s in scenarios {
            let n = seen.entry((class.clone(), s.name.clone())).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                s.name.clone()
            } else {
                format!("{} #{n}", s.name)
            };
            testcase(w, s, &class, &name)?;
        }
        end(w, "testsuite")?;
    }
    if let Some(why) = &result.aborted {
        // A run that could not start is one erroring test, so CI shows why.
        start(
            w,
            "testsuite",
            &[
                ("name", "regcheck"),
                ("tests", "1"),
                ("errors", "1"),
                ("failures", "0"),
                ("skipped", "0"),
            ],
        )?;
        start(w, "testcase", &[("classname", "regcheck"), ("name", "run")])?;
        text_element(w, "error", &[("message", why.as_str())], why)?;
        end(w, "testcase")?;
        end(w, "testsuite")?;
    }
    if let Some(l) = &result.load {
        load_suite(w, l, &timestamp)?;
    }
    end(w, "testsuites")
}

/// A load run as a testsuite `load`: one testcase per threshold, one integrity check per
/// workload (wrong bytes or broken contract rules under load).
fn load_suite(w: &mut W, l: &crate::load::LoadReport, timestamp: &str) -> std::io::Result<()> {
    let cases = super::load::junit_cases(l);
    let failures = cases.iter().filter(|(_, f)| f.is_some()).count();
    let (tests, failures, time) = (
        cases.len().to_string(),
        failures.to_string(),
        format!("{:.3}", l.measured_secs),
    );
    start(
        w,
        "testsuite",
        &[
            ("name", "load"),
            ("tests", &tests),
            ("failures", &failures),
            ("errors", "0"),
            ("skipped", "0"),
            ("time", &time),
            ("timestamp", timestamp),
        ],
    )?;
    for (name, failure) in &cases {
        let attrs = [
            ("classname", "load"),
            ("name", name.as_str()),
            ("time", "0"),
        ];
        match failure {
            None => empty(w, "testcase", &attrs)?,
            Some((kind, message)) => {
                start(w, "testcase", &attrs)?;
                empty(w, "failure", &[("type", kind), ("message", message)])?;
                end(w, "testcase")?;
            }
        }
    }
    end(w, "testsuite")
}

/// Renders the report as JUnit XML.
pub fn render(result: &Document) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; keep whatever was produced if it somehow did.
    let _ = write_all(&mut w, result);
    let mut out = String::from_utf8_lossy(&w.into_inner()).into_owned();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;
    use quick_xml::events::Event;

    #[test]
    fn recount_tallies_contract_rules() {
        let r = testdata::document();
        assert_eq!(r.rules["GetBlob.digest-matches-body"].failed, 1);
        assert_eq!(r.rules["GetBlob.digest-header-matches"].passed, 4);
    }

    #[test]
    fn junit_counts_outcomes_and_escapes_text() {
        let xml = render(&testdata::document());
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<testsuites name="regcheck" tests="5" failures="1" errors="1" skipped="2""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuite name="scenarios/bad.yaml" tests="1" failures="1""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase classname="ok" name="ok" time="0.012"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure type="GetBlob.digest-matches-body" message="GetBlob.digest-matches-body: step &lt;one&gt; &amp; &quot;two&quot;: body &lt;sha256&gt; differs">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="target lacks capability `acr`"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="known deviation (baseline): scenario.status">"#),
            "{xml}"
        );
        // One-line error message; the transcript in system-out.
        assert!(
            xml.contains(r#"<error type="error" message="connection refused by 127.0.0.1:1">"#),
            "{xml}"
        );
        assert!(xml.contains("<system-out>== step"), "{xml}");
        assert!(
            xml.contains("&gt; Authorization: Bearer &lt;redacted&gt;"),
            "{xml}"
        );
        // Well-formed: a reader gets through it.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let (mut cases, mut suites) = (0, 0);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"testsuite" => suites += 1,
                    _ => {}
                },
                Ok(_) => {}
                Err(e) => panic!("malformed XML: {e}\n{xml}"),
            }
        }
        assert_eq!((cases, suites), (5, 5));
    }

    #[test]
    fn a_load_run_is_a_suite_of_thresholds_and_integrity_checks() {
        let mut r = testdata::document();
        r.scenarios.clear();
        r.recount();
        let mut l = crate::report::load::tests::load_report();
        l.thresholds = vec![crate::load::threshold::ThresholdResult {
            expr: "pull.p99<1ms".into(),
            ok: false,
            actual: "pull.p99 = 185 ms".into(),
        }];
        r.load = Some(l);
        let xml = render(&r);
        assert!(
            xml.contains(r#"<testsuites name="regcheck" tests="3" failures="1""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure type="threshold" message="threshold pull.p99&lt;1ms violated: measured pull.p99 = 185 ms"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase classname="load" name="integrity pull" time="0"/>"#),
            "{xml}"
        );
    }

    #[test]
    fn repeated_names_in_one_file_become_unique() {
        let mut r = testdata::document();
        for s in &mut r.scenarios {
            s.file = "scenarios/all.yaml".into();
            s.name = "same".into();
        }
        let xml = render(&r);
        assert!(xml.contains(r#"name="same""#), "{xml}");
        assert!(xml.contains(r#"name="same #2""#), "{xml}");
        assert!(xml.contains(r#"name="same #5""#), "{xml}");
        assert_eq!(xml.matches("<testsuite ").count(), 1);
    }
}
