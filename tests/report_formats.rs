//! Every report format of one real failing run (embedded registry with an injected fault), read
//! by real consumers: JUnit through Python's `junitparser` (as CI result viewers read it), HTML
//! in headless Chromium (loads with no console error, the expected sections are in the DOM, a
//! screenshot is produced), JSON back through regcheck's own reader, Markdown's tables. Also:
//! a run without `--report` writes every format to `reports/<run id>/` of its working directory.

use crate::common::read_report;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The reports of one failing run (token auth, `corrupt-blob-body`), written once per test
/// binary into a temp directory that lives as long as the process.
pub struct Reports {
    pub dir: PathBuf,
    pub json: serde_json::Value,
}

impl Reports {
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
    pub fn text(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).expect("report written")
    }
}

pub fn failing_run() -> &'static Reports {
    static RUN: OnceLock<Reports> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let specs: Vec<String> = [
            "json=report.json",
            "junit=junit.xml",
            "md=report.md",
            "html=report.html",
        ]
        .iter()
        .map(|s| {
            let (f, p) = s.split_once('=').unwrap_or_default();
            format!("{f}={}", dir.join(p).display())
        })
        .collect();
        let mut args = vec!["run", "-q", "--embedded-fault", "corrupt-blob-body"];
        for s in &specs {
            args.extend(["--report", s.as_str()]);
        }
        let out = crate::common::regcheck(&args);
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        let json = read_report(&dir.join("report.json"));
        Reports { dir, json }
    })
}

#[test]
fn junit_reads_in_junitparser_like_the_json_report_says() {
    let run = failing_run();
    let python = crate::common::python("junitparser");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/report/junit_check.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(run.path("junit.xml"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "junitparser could not read the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("script JSON");
    let report = &run.json;
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let cases = parsed["cases"].as_array().expect("cases");
    // One testcase per scenario, one testsuite per scenario file, counts agree.
    assert_eq!(cases.len(), scenarios.len());
    let mut files: Vec<&str> = scenarios
        .iter()
        .filter_map(|s| s["file"].as_str())
        .collect();
    files.sort_unstable();
    files.dedup();
    assert_eq!(parsed["suites"].as_u64(), Some(files.len() as u64));
    assert_eq!(parsed["tests_attr"].as_u64(), Some(scenarios.len() as u64));
    assert_eq!(parsed["failures_attr"], report["summary"]["failed"]);
    // Unique names.
    let mut names: Vec<String> = cases
        .iter()
        .map(|c| format!("{}::{}", c["classname"], c["name"]))
        .collect();
    names.sort();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "testcase names are not unique");
    for s in scenarios {
        let name = s["name"].as_str().unwrap_or_default();
        let case = cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no testcase for {name}"));
        let results = case["results"].as_array().expect("results");
        match s["outcome"].as_str() {
            Some("pass") => assert!(results.is_empty(), "{case}"),
            Some("fail") => {
                assert_eq!(results.len(), 1, "{case}");
                let r = &results[0];
                assert_eq!(r["kind"], "failure");
                // message = first rule id + one-line reason; type = that rule.
                let first_rule = s["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|st| st["findings"].as_array().into_iter().flatten())
                    .next()
                    .and_then(|f| f["rule"].as_str())
                    .expect("a failed scenario has a finding");
                assert_eq!(r["type"], first_rule);
                let message = r["message"].as_str().unwrap_or_default();
                assert!(message.starts_with(&format!("{first_rule}: ")), "{message}");
                assert!(!message.contains('\n'), "{message}");
                // The redacted transcript is in system-out.
                let out = case["system_out"].as_str().unwrap_or_default();
                assert!(out.contains("> GET http://127.0.0.1:"), "{out}");
                assert!(out.contains("Authorization: Bearer <redacted>"), "{out}");
            }
            Some("skip") => {
                assert_eq!(results[0]["kind"], "skipped");
                assert_eq!(results[0]["message"], s["reason"]);
            }
            other => panic!("unexpected outcome {other:?} in this run"),
        }
    }
}

/// Headless Chromium (Debian `chromium`), isolated: its own profile, no network services.
pub fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    let bin = ["chromium", "/usr/bin/chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
    let Some(bin) = bin else {
        crate::common::missing_tool("chromium", "apt-get install -y chromium");
    };
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium")
}

/// Console messages (errors, CSP violations, failed loads) Chromium logged for the page.
pub fn console_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Content Security Policy")
                || l.contains("Refused to")
                || l.contains("net::ERR_")
                || l.contains("Page load failed")
        })
        .map(str::to_string)
        .collect()
}

pub fn dump_dom(file: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().expect("tempdir");
    let out = chromium(
        &["--dump-dom", &format!("file://{}", file.display())],
        profile.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {stderr}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        console_errors(&stderr),
    )
}

#[test]
fn html_loads_in_headless_chromium_without_console_errors() {
    let run = failing_run();
    let html = run.path("report.html");
    let (dom, errors) = dump_dom(&html);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    for id in [
        "summary",
        "coverage",
        "failures",
        "scenarios",
        "outcome-bar",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "section {id} missing"
        );
    }
    let failed = run.json["summary"]["failed"].as_u64().expect("failed");
    assert!(
        dom.contains(&format!(
            "<div class=\"count fail\" id=\"count-fail\"><span class=\"n\">{failed}</span> failed</div>"
        )),
        "failed count"
    );
    assert!(dom.contains(&format!("Failures ({failed})")));
    // Every failing scenario is expanded with its expected/actual and transcript.
    for s in run.json["scenarios"].as_array().into_iter().flatten() {
        if s["outcome"] == "fail" {
            let name = s["name"].as_str().unwrap_or_default();
            assert!(dom.contains(&format!("id=\"scenario-{name}\"")), "{name}");
        }
    }
    assert!(dom.contains("<td class=\"expected\">"));
    assert!(dom.contains("class=\"transcript\""));
    assert!(dom.contains("32 of 32 documented operations exercised"));
    assert!(dom.contains("Coverage per document: OCI endpoints "));

    // A screenshot is produced (a real PNG of a rendered page, not an empty one).
    let profile = tempfile::tempdir().expect("tempdir");
    let png = profile.path().join("shot.png");
    let out = chromium(
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
            &format!("file://{}", html.display()),
        ],
        &profile.path().join("profile"),
    );
    assert!(out.status.success());
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "suspiciously small screenshot: {} bytes",
        bytes.len()
    );
}

/// The console check can fail: a page with a script error and an external asset is caught.
#[test]
fn the_chromium_check_catches_console_errors_and_external_assets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read_to_string(failing_run().path("report.html")).expect("html");
    let broken = good.replacen(
        "</body>",
        "<img src=\"http://127.0.0.1:9/x.png\"><script>undefinedFunction()</script></body>",
        1,
    );
    let path = dir.path().join("broken.html");
    std::fs::write(&path, broken).expect("write");
    let (_, errors) = dump_dom(&path);
    assert!(
        !errors.is_empty(),
        "an external asset and a script error went unnoticed"
    );
}

#[test]
fn json_round_trips_and_markdown_tables_the_failures() {
    let run = failing_run();
    // regcheck reads its own report back to the same document.
    let text = run.text("report.json");
    let parsed = regcheck::report::json::parse(&text, Path::new("report.json")).expect("parse");
    assert_eq!(regcheck::report::json::render(&parsed), text);
    assert!(parsed.finished_at.is_some());

    let md = run.text("report.md");
    let failed = run.json["summary"]["failed"].as_u64().expect("failed");
    assert!(md.starts_with("### **regcheck ❌ failed**"), "{md}");
    assert!(md.contains(&format!("{failed} failed")), "{md}");
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`GetBlob.digest-matches-body`"))
        .count();
    let findings = crate::common::failed_rules(&run.json)
        .iter()
        .filter(|r| r.ends_with("GetBlob.digest-matches-body"))
        .count();
    assert!(
        rows >= findings && findings > 0,
        "{rows} rows for {findings} findings"
    );
    // Every table row has the header's number of cells (no unescaped `|`).
    for l in md.lines().filter(|l| l.starts_with("| ")) {
        let cells = l.replace("\\|", "").matches('|').count();
        assert!(cells == 7 || cells == 3, "broken row: {l}");
    }
}

#[test]
fn a_run_without_report_flags_writes_every_format_to_reports_run_id() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["run", "-q", "--filter", "^blob-upload-monolithic$"])
        .current_dir(cwd.path())
        .env_remove("REGCHECK_NO_REPORT")
        .output()
        .expect("run regcheck");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let report_dir = cwd.path().join("reports");
    let runs: Vec<_> = std::fs::read_dir(&report_dir)
        .expect("reports/ created")
        .flatten()
        .collect();
    assert_eq!(runs.len(), 1);
    let run_id = runs[0].file_name().to_string_lossy().into_owned();
    assert!(
        stdout.contains(&format!("reports: reports/{run_id}/")),
        "{stdout}"
    );
    for f in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(runs[0].path().join(f).is_file(), "{f} missing");
    }
    assert_eq!(
        read_report(&runs[0].path().join("report.json"))["run_id"],
        run_id.as_str()
    );

    // --no-report writes nothing.
    let quiet = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args([
            "run",
            "-q",
            "--no-report",
            "--filter",
            "^blob-upload-monolithic$",
        ])
        .current_dir(quiet.path())
        .output()
        .expect("run regcheck");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_dir(quiet.path()).expect("dir").count(), 0);
}

/// The committed examples of one run agree with each other (they are regenerated together by
/// `reports/regenerate.sh`, never edited by hand), and the load example reads back.
#[test]
fn committed_examples_of_one_run_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    for name in ["example-fault", "example-distribution"] {
        let json = read_report(&dir.join(format!("{name}.json")));
        let failed = json["summary"]["failed"].as_u64().expect("failed");
        let text = |ext: &str| {
            std::fs::read_to_string(dir.join(format!("{name}.{ext}")))
                .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"))
        };
        let xml = text("junit.xml");
        assert_eq!(xml.matches("<failure ").count() as u64, failed, "{name}");
        assert!(
            xml.contains(json["run_id"].as_str().expect("run id")),
            "{name}"
        );
        assert!(text("md").contains(&format!("{failed} failed")), "{name}");
        assert!(
            text("html").contains(&format!(
                "id=\"count-fail\"><span class=\"n\">{failed}</span>"
            )),
            "{name}"
        );
    }
    let load = regcheck::report::json::read(&dir.join("example-load.json")).expect("load example");
    let l = load.load.expect("load member");
    let html = std::fs::read_to_string(dir.join("example-load.html")).expect("html");
    for o in &l.operations {
        assert!(
            html.contains(&format!("data-op=\"{}\"", o.name)),
            "{}",
            o.name
        );
    }
}
