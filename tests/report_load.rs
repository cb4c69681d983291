//! Reports of a real load run (`regcheck load` against the embedded registry): `report render`
//! turns its JSON into HTML (loaded in headless Chromium: no console error, the latency
//! percentile curve per workload and the ops/errors timeline are in the DOM, a screenshot is
//! produced), Markdown (the percentiles table carries the report's numbers) and JUnit (read by
//! junitparser); `report diff` of two load reports flags a crafted p99 regression (+200%) (exit 1 with
//! `--fail-on-regression`) unless the tolerance covers it.

use crate::common::{read_report, regcheck};
use crate::report_formats::{chromium, dump_dom};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One short pull/push load run, its JSON report in a temp dir that lives as long as the process.
fn load_run() -> &'static (PathBuf, Value) {
    static RUN: OnceLock<(PathBuf, Value)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let json = dir.join("load.json");
        let spec = format!("json={}", json.display());
        let out = regcheck(&[
            "load",
            "-q",
            "--duration",
            "2s",
            "--workload",
            "pull,push",
            "--blob-size",
            "64KiB",
            "-c",
            "4",
            "--report",
            &spec,
        ]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let report = read_report(&json);
        (dir, report)
    })
}

fn render(formats: &[(&str, &str)]) -> PathBuf {
    let (dir, _) = load_run();
    let input = dir.join("load.json").display().to_string();
    let specs: Vec<String> = formats
        .iter()
        .map(|(f, file)| format!("{f}={}", dir.join(file).display()))
        .collect();
    let mut args = vec!["report", "render", input.as_str()];
    for s in &specs {
        args.extend(["--report", s.as_str()]);
    }
    let out = regcheck(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir.clone()
}

fn op<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["load"]["operations"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no workload {name}"))
}

#[test]
fn load_html_shows_percentile_curves_and_timeline_in_chromium() {
    let dir = render(&[("html", "load.html")]);
    let html = dir.join("load.html");
    let (dom, errors) = dump_dom(&html);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    for id in ["load", "load-table", "latency-chart", "timeline-chart"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    for name in ["pull", "push"] {
        assert!(
            dom.contains(&format!("class=\"curve\" data-op=\"{name}\"")),
            "no percentile curve for {name}"
        );
    }
    assert!(dom.contains("data-series=\"ops/s\"") && dom.contains("data-series=\"errors/s\""));
    assert!(dom.contains("<h1>regcheck load passed</h1>"));
    assert!(
        !dom.contains("id=\"coverage\""),
        "a load run has no conformance sections"
    );
    let profile = tempfile::tempdir().expect("tempdir");
    let png = profile.path().join("load.png");
    let out = chromium(
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1100,1200",
            &format!("file://{}", html.display()),
        ],
        &profile.path().join("p"),
    );
    assert!(out.status.success());
    let bytes = std::fs::read(&png).expect("screenshot");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000);
}

#[test]
fn load_markdown_and_junit_carry_the_report_numbers() {
    let dir = render(&[("md", "load.md"), ("junit", "load.xml")]);
    let (_, report) = load_run();
    let md = std::fs::read_to_string(dir.join("load.md")).expect("md");
    assert!(md.starts_with("### **regcheck load ✅ passed**"), "{md}");
    for name in ["pull", "push"] {
        let o = op(report, name);
        let p99 = o["latency"]["p99_us"].as_u64().expect("p99") as f64 / 1000.0;
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {name} | {} |", o["requests"])))
            .unwrap_or_else(|| panic!("no row for {name}: {md}"));
        assert!(row.contains(&format!("| {p99:.2} |")), "{row}");
    }
    let python = crate::common::python("junitparser");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report/junit_check.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(dir.join("load.xml"))
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = parsed["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["integrity pull", "integrity push"]);
    assert_eq!(parsed["failures_attr"], 0);
}

#[test]
fn load_diff_flags_a_p99_regression_beyond_the_tolerance() {
    let (dir, report) = load_run();
    // pull's p99 is 10 ms in BASE and 30 ms in NEW (+200%); everything else is equal.
    let with_p99 = |us: u64, file: &str| {
        let mut r = report.clone();
        let pull = r["load"]["operations"]
            .as_array_mut()
            .and_then(|a| a.iter_mut().find(|o| o["name"] == "pull"))
            .expect("pull");
        pull["latency"]["p99_us"] = us.into();
        let path = dir.join(file);
        std::fs::write(&path, serde_json::to_string(&r).expect("json")).expect("write");
        path
    };
    let base = with_p99(10_000, "base.json");
    let new = with_p99(30_000, "slower.json");
    let (b, n) = (base.display().to_string(), new.display().to_string());

    let out = regcheck(&["report", "diff", &b, &n, "--fail-on-regression"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("p99_ms"), "{}", out.stdout);
    let json = regcheck(&["report", "diff", &b, &n, "--format", "json"]);
    let d: Value = serde_json::from_str(&json.stdout).expect("diff json");
    let flagged: Vec<(String, String)> = d["load"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["regression"] == true)
        .map(|c| {
            (
                c["op"].as_str().unwrap_or("").to_string(),
                c["metric"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(flagged, [("pull".to_string(), "p99_ms".to_string())]);
    // A tolerance wider than the change lets it pass; the same report against itself passes.
    let wide = regcheck(&[
        "report",
        "diff",
        &b,
        &n,
        "--fail-on-regression",
        "--tolerance",
        "10000%",
    ]);
    assert_eq!(
        wide.code, 2,
        "tolerance above 1000% is refused: {}",
        wide.stderr
    );
    let wide = regcheck(&[
        "report",
        "diff",
        &b,
        &n,
        "--fail-on-regression",
        "--tolerance",
        "250%",
    ]);
    assert_eq!(wide.code, 0, "{}", wide.stdout);
    assert_eq!(
        regcheck(&["report", "diff", &b, &b, "--fail-on-regression"]).code,
        0
    );
}
