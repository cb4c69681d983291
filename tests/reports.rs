//! The JSON report is a stable interface: reports of real runs (clean and failing) and the
//! committed examples in `reports/` all validate against `reports/schema/report.v1.json`, and
//! the summary agrees with the scenario list it summarises.

use crate::common::{read_report, regcheck};
use std::path::Path;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/schema/report.v1.json"),
    )
    .expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

pub fn assert_valid(report: &serde_json::Value, what: &str) {
    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
    // The summary counts what the scenario list holds.
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let count = |o: &str| scenarios.iter().filter(|s| s["outcome"] == o).count() as u64;
    let s = &report["summary"];
    assert_eq!(
        s["scenarios"].as_u64(),
        Some(scenarios.len() as u64),
        "{what}"
    );
    assert_eq!(s["passed"].as_u64(), Some(count("pass")), "{what}");
    assert_eq!(s["failed"].as_u64(), Some(count("fail")), "{what}");
    assert_eq!(s["skipped"].as_u64(), Some(count("skip")), "{what}");
    assert_eq!(s["errors"].as_u64(), Some(count("error")), "{what}");
    assert_eq!(s["known"].as_u64().unwrap_or(0), count("known"), "{what}");
    assert_eq!(s["warned"].as_u64().unwrap_or(0), count("warn"), "{what}");
    let all_findings = || {
        scenarios
            .iter()
            .flat_map(|sc| sc["steps"].as_array().into_iter().flatten())
            .flat_map(|st| st["findings"].as_array().into_iter().flatten())
    };
    let warnings = all_findings().filter(|f| f["severity"] == "warn").count() as u64;
    let failures = all_findings().count() as u64 - warnings;
    assert_eq!(s["checks"]["failed"].as_u64(), Some(failures), "{what}");
    assert_eq!(
        s["checks"]["warned"].as_u64().unwrap_or(0),
        warnings,
        "{what}"
    );
    // `rules` tallies the contract findings.
    let contract_findings = scenarios
        .iter()
        .flat_map(|sc| sc["steps"].as_array().into_iter().flatten())
        .flat_map(|st| st["findings"].as_array().into_iter().flatten())
        .filter(|f| f["source"] == "contract")
        .count() as u64;
    let tallied: u64 = report["rules"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v["failed"].as_u64().unwrap_or(0) + v["warned"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(tallied, contract_findings, "{what}");
    // `endpoints` tallies the steps that name an OCI endpoint (reports older than it lack both).
    if let Some(endpoints) = report["endpoints"].as_object() {
        let steps = scenarios
            .iter()
            .flat_map(|sc| sc["steps"].as_array().into_iter().flatten())
            .filter(|st| st["endpoint"].is_string())
            .count() as u64;
        let tallied: u64 = endpoints
            .values()
            .map(|v| v["steps"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(tallied, steps, "{what}: endpoints");
    }
}

#[test]
fn reports_of_clean_and_failing_runs_match_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, extra) in [
        ("clean", &[][..]),
        ("failing", &["--embedded-fault", "wrong-content-range"][..]),
    ] {
        let path = dir.path().join(format!("{name}.json"));
        let spec = format!("json={}", path.display());
        let mut args = vec!["run", "-q", "--report", &spec];
        args.extend_from_slice(extra);
        let out = regcheck(&args);
        assert!(out.code <= 1, "{name}: {}", out.stderr);
        let report = read_report(&path);
        assert_valid(&report, name);
        if name == "failing" {
            assert!(report["summary"]["failed"].as_u64().unwrap_or(0) > 0);
            assert!(report.to_string().contains("\"transcript\""));
        }
    }
}

#[test]
fn the_schema_rejects_a_broken_report() {
    let mut report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/example-embedded.json"),
        )
        .expect("example report"),
    )
    .expect("JSON");
    report["summary"]["passed"] = serde_json::json!("many");
    assert!(!validator().is_valid(&report));
}

#[test]
fn committed_examples_match_the_schema() {
    for name in [
        "example-embedded.json",
        "example-distribution.json",
        "example-fault.json",
        "example-known.json",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reports")
            .join(name);
        assert_valid(&read_report(&path), name);
    }
}

#[test]
fn junit_report_of_a_failing_run_is_well_formed_and_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml_path = dir.path().join("junit.xml");
    let json_path = dir.path().join("r.json");
    let junit = format!("junit={}", xml_path.display());
    let json = format!("json={}", json_path.display());
    let out = regcheck(&[
        "run",
        "-q",
        "--embedded-auth",
        "basic",
        "--embedded-fault",
        "corrupt-blob-body",
        "--report",
        &junit,
        "--report",
        &json,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let xml = std::fs::read_to_string(&xml_path).expect("junit written");
    let report = read_report(&json_path);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("malformed JUnit XML: {e}"),
        }
    }
    assert_eq!(Some(cases), report["summary"]["scenarios"].as_u64());
    assert_eq!(Some(failures), report["summary"]["failed"].as_u64());
    assert!(failures > 0);
    assert!(xml.contains("GetBlob.digest-matches-body"));
    let creds = regcheck::registry::Credentials::default();
    // Transcripts are there, with the credential redacted (XML-escaped `<redacted>`).
    assert!(
        xml.contains("&gt; Authorization: Basic &lt;redacted&gt;"),
        "{xml}"
    );
    assert!(!xml.contains(&creds.password), "password leaked into JUnit");
}
