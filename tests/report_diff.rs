//! `regcheck report diff` on crafted reports (a known regression → exit 1 with
//! `--fail-on-regression`, a fix → exit 0), and `run --baseline` against real failing runs
//! (listed failures become `known` and stop failing the exit code; a listed failure that no
//! longer happens is reported as fixed; an unlisted one still fails).

use crate::common::{failed_rules, read_report, regcheck};
use crate::reports::assert_valid;
use serde_json::{Value, json};
use std::path::Path;

fn example() -> Value {
    read_report(&Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/example-embedded.json"))
}

/// `report` with scenario `name` turned into a failure of `rule`.
fn break_scenario(report: &mut Value, name: &str, rule: &str) {
    let scenarios = report["scenarios"].as_array_mut().expect("scenarios");
    let s = scenarios
        .iter_mut()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in the example"));
    s["outcome"] = json!("fail");
    let step = &mut s["steps"][0];
    step["outcome"] = json!("fail");
    step["findings"] = json!([{
        "rule": rule,
        "source": "contract",
        "message": "crafted regression",
        "expected": "a",
        "actual": "b"
    }]);
    report["summary"]["passed"] = json!(report["summary"]["passed"].as_u64().unwrap_or(1) - 1);
    report["summary"]["failed"] = json!(report["summary"]["failed"].as_u64().unwrap_or(0) + 1);
    let checks = &mut report["summary"]["checks"];
    checks["failed"] = json!(checks["failed"].as_u64().unwrap_or(0) + 1);
    checks["total"] = json!(checks["total"].as_u64().unwrap_or(0) + 1);
    let tally = &mut report["rules"][rule];
    let failed = tally["failed"].as_u64().unwrap_or(0) + 1;
    tally["failed"] = json!(failed);
    if tally["passed"].is_null() {
        tally["passed"] = json!(0);
    }
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).expect("json")).expect("write");
    p.display().to_string()
}

#[test]
fn diff_exits_1_on_a_crafted_regression_and_0_on_its_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base_v = example();
    let mut new_v = example();
    let name = base_v["scenarios"][0]["name"]
        .as_str()
        .expect("name")
        .to_string();
    break_scenario(&mut new_v, &name, "GetBlob.digest-matches-body");
    assert_valid(&new_v, "crafted");
    let base = write(dir.path(), "base.json", &base_v);
    let new = write(dir.path(), "new.json", &new_v);

    let out = regcheck(&["report", "diff", &base, &new, "--fail-on-regression"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("REGRESSION: 2 regression(s)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&name), "{}", out.stdout);
    assert!(out.stdout.contains("newly failing"), "{}", out.stdout);
    // Without the flag the diff is informational.
    assert_eq!(regcheck(&["report", "diff", &base, &new]).code, 0);
    // The other way round it is a fix, not a regression.
    let back = regcheck(&["report", "diff", &new, &base, "--fail-on-regression"]);
    assert_eq!(back.code, 0, "{}", back.stdout);
    assert!(back.stdout.contains("fixed"), "{}", back.stdout);
    // Identical reports: nothing.
    let same = regcheck(&["report", "diff", &base, &base, "--fail-on-regression"]);
    assert_eq!(same.code, 0);
    assert!(
        same.stdout.contains("no conformance changes"),
        "{}",
        same.stdout
    );

    // Every output format says the same.
    let json_out = regcheck(&["report", "diff", &base, &new, "--format", "json"]);
    let d: Value = serde_json::from_str(&json_out.stdout).expect("diff JSON");
    assert_eq!(d["regressions"], 2);
    assert_eq!(d["scenarios"][0]["scenario"], name.as_str());
    assert_eq!(d["checks"][0]["rule"], "GetBlob.digest-matches-body");
    let md = regcheck(&["report", "diff", &base, &new, "--format", "md"]);
    assert!(
        md.stdout.starts_with("### ❌ regcheck diff: REGRESSION"),
        "{}",
        md.stdout
    );
    let html_path = dir.path().join("diff.html");
    let html = regcheck(&[
        "report",
        "diff",
        &base,
        &new,
        "--format",
        "html",
        "--output",
        &html_path.display().to_string(),
    ]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    let page = std::fs::read_to_string(&html_path).expect("diff.html");
    assert!(page.contains("<tr class=\"regression\">"), "{page}");
}

#[test]
fn diff_explains_unreadable_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").expect("write");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/example-embedded.json");
    let out = regcheck(&[
        "report",
        "diff",
        &base.display().to_string(),
        &bad.display().to_string(),
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not a regcheck JSON report"),
        "{}",
        out.stderr
    );
    let out = regcheck(&[
        "report",
        "diff",
        "/nonexistent/a.json",
        "/nonexistent/b.json",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot read report"), "{}", out.stderr);
    let out = regcheck(&["report", "diff", "a", "b", "--tolerance", "lots"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not a tolerance"), "{}", out.stderr);
}

/// A failing run's JSON report (`corrupt-blob-body` fault), optionally with a baseline.
fn faulty_run(dir: &Path, name: &str, baseline: Option<&Path>) -> (i32, Value, String) {
    let path = dir.join(format!("{name}.json"));
    let spec = format!("json={}", path.display());
    let mut args = vec![
        "run",
        "-q",
        "--embedded-fault",
        "corrupt-blob-body",
        "--report",
        &spec,
    ];
    let b;
    if let Some(p) = baseline {
        b = p.display().to_string();
        args.extend(["--baseline", &b]);
    }
    let out = regcheck(&args);
    assert!(out.code <= 1, "{}", out.stderr);
    let report = read_report(&path);
    assert_valid(&report, name);
    (out.code, report, out.stdout)
}

#[test]
fn baseline_turns_listed_failures_into_known_and_reports_fixed_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, first, _) = faulty_run(dir.path(), "first", None);
    assert_eq!(code, 1);
    let failing = failed_rules(&first);
    assert!(failing.len() > 2, "{failing:?}");
    let failed_scenarios = first["summary"]["failed"].as_u64().expect("failed");

    // YAML baseline listing every failure plus one that does not happen (fixed).
    let mut yaml = String::from("# known deviations\nknown:\n");
    for f in &failing {
        yaml.push_str(&format!("  - \"{f}\"\n"));
    }
    yaml.push_str("  - v2-support ▸ GetBlob.digest-matches-body\n");
    let known = dir.path().join("known.yaml");
    std::fs::write(&known, &yaml).expect("write");
    let (code, second, stdout) = faulty_run(dir.path(), "second", Some(&known));
    assert_eq!(code, 0, "every failure is known: {stdout}");
    assert_eq!(second["summary"]["failed"], 0);
    assert_eq!(second["summary"]["known"].as_u64(), Some(failed_scenarios));
    assert_eq!(
        second["baseline"]["fixed"],
        json!(["v2-support ▸ GetBlob.digest-matches-body"])
    );
    assert!(
        stdout.contains("fixed, remove from baseline: v2-support ▸ GetBlob.digest-matches-body"),
        "{stdout}"
    );
    // Known failures are still reported, with their findings and transcripts.
    assert_eq!(failed_rules(&second), failing);
    assert!(stdout.contains("KNOWN"), "{stdout}");

    // Half the list: the rest still fails the run.
    let partial = dir.path().join("partial.yaml");
    let mut yaml = String::new();
    for f in failing.iter().step_by(2) {
        yaml.push_str(&format!("- \"{f}\"\n"));
    }
    std::fs::write(&partial, yaml).expect("write");
    let (code, third, _) = faulty_run(dir.path(), "third", Some(&partial));
    assert_eq!(code, 1);
    assert!(third["summary"]["failed"].as_u64() > Some(0));

    // A previous JSON report is a baseline too.
    let prev = dir.path().join("first.json");
    let (code, fourth, _) = faulty_run(dir.path(), "fourth", Some(&prev));
    assert_eq!(code, 0);
    assert_eq!(fourth["summary"]["known"].as_u64(), Some(failed_scenarios));
    assert_eq!(fourth["baseline"]["fixed"], json!([]));

    // Against a clean target every entry is fixed.
    let clean = dir.path().join("clean.json");
    let out = regcheck(&[
        "run",
        "-q",
        "--baseline",
        &known.display().to_string(),
        "--report",
        &format!("json={}", clean.display()),
    ]);
    assert_eq!(out.code, 0);
    let report = read_report(&clean);
    assert_eq!(
        report["baseline"]["fixed"].as_array().map(Vec::len),
        Some(failing.len() + 1)
    );
}

#[test]
fn a_bad_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- \"two words ▸ rule\"\n").expect("write");
    let out = regcheck(&["run", "-q", "--baseline", &bad.display().to_string()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("entry 1"), "{}", out.stderr);
    let out = regcheck(&["run", "-q", "--baseline", "/nonexistent/known.yaml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read baseline"),
        "{}",
        out.stderr
    );
}

/// `run --embedded-minimal` (one warning: no API-version header) with `--strict`, optionally
/// with a baseline: `(exit code, report)`.
fn minimal_strict(dir: &Path, name: &str, baseline: Option<&Path>) -> (i32, Value) {
    let path = dir.join(format!("{name}.json"));
    let spec = format!("json={}", path.display());
    let mut args = vec![
        "run",
        "-q",
        "--embedded-minimal",
        "--strict",
        "--report",
        &spec,
    ];
    let b;
    if let Some(p) = baseline {
        b = p.display().to_string();
        args.extend(["--baseline", &b]);
    }
    let out = regcheck(&args);
    assert!(out.code <= 1, "{}", out.stderr);
    let report = read_report(&path);
    assert_valid(&report, name);
    (out.code, report)
}

#[test]
fn baselines_and_diffs_understand_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, first) = minimal_strict(dir.path(), "first", None);
    assert_eq!(code, 1, "--strict fails on the warning");
    assert_eq!(first["summary"]["failed"], 0);
    assert!(first["summary"]["warned"].as_u64() > Some(0));

    // The previous report as a baseline lists the warning: --strict passes, the warning is
    // still reported (outcome warn, finding marked known), and its entry is not "fixed".
    let (code, second) = minimal_strict(dir.path(), "second", Some(&dir.path().join("first.json")));
    assert_eq!(code, 0, "every warning is listed");
    assert_eq!(second["summary"]["warned"], first["summary"]["warned"]);
    assert_eq!(second["baseline"]["fixed"], json!([]));
    let known_warnings = second["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default())
        .flat_map(|st| st["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["severity"] == "warn")
        .map(|f| f["known"] == true)
        .collect::<Vec<_>>();
    assert!(!known_warnings.is_empty() && known_warnings.iter().all(|k| *k));

    // Full embedded (no warning) → minimal: a new warning, a regression only with --strict.
    let full = dir.path().join("full.json");
    let out = regcheck(&["run", "-q", "--report", &format!("json={}", full.display())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (f, m) = (full.display().to_string(), dir.path().join("first.json"));
    let m = m.display().to_string();
    let out = regcheck(&["report", "diff", &f, &m, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d: Value = serde_json::from_str(&out.stdout).expect("diff json");
    let warnings: Vec<&Value> = d["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["kind"] == "new-warning")
        .collect();
    assert!(!warnings.is_empty(), "{d:#}");
    assert!(
        warnings
            .iter()
            .all(|c| c["severity"] == "warn" && c["regression"] == false)
    );
    assert_eq!(
        d["regressions"], 0,
        "skips and warnings are not regressions: {d:#}"
    );
    let out = regcheck(&["report", "diff", &f, &m, "--fail-on-regression", "--strict"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("new-warning"), "{}", out.stdout);
}
