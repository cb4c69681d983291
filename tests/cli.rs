//! The command line as a user meets it: bad flags, bad scenario files, unreachable and hostile
//! targets all end with a clear message and exit code 2 (or 1 for `validate`), never a panic.

use crate::common::{free_port, regcheck, run_against};
use std::io::{Read, Write};
use std::net::TcpListener;

fn assert_no_panic(out: &crate::common::CliOutput) {
    assert!(
        !out.stderr.contains("panicked"),
        "regcheck panicked:\n{}",
        out.stderr
    );
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = regcheck(&["run", "--no-such-flag"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
}

#[test]
fn bad_flag_values_are_usage_errors() {
    for args in [
        &["run", "--jobs", "0"][..],
        &["run", "--profile", "azure"],
        &["run", "--report", "yaml=out.yaml"],
        &["run", "--target", "not a url"],
        &["run", "--filter", "(unclosed"],
        &["serve", "--fault", "no-such-fault"],
    ] {
        let out = regcheck(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_no_panic(&out);
        assert!(out.stderr.contains("error"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn unreachable_target_is_a_connection_error() {
    let port = free_port();
    let target = format!("http://127.0.0.1:{port}");
    let out = run_against(&target, &["--timeout", "5"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    assert_no_panic(&out);
}

/// A server that answers every connection with `reply` (after reading the request head).
fn hostile_server(reply: &'static [u8], delay_ms: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming().take(16) {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                std::thread::sleep(std::time::Duration::from_millis(delay_ms));
                let _ = conn.write_all(reply);
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn garbage_answering_target_is_a_clear_error() {
    let target = hostile_server(b"this is not HTTP at all\r\n\r\n", 0);
    let out = run_against(&target, &["--timeout", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot probe"), "{}", out.stderr);
    assert_no_panic(&out);
}

#[test]
fn non_registry_target_is_a_clear_error() {
    let target = hostile_server(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        0,
    );
    let out = run_against(&target, &["--timeout", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not look like a registry"),
        "{}",
        out.stderr
    );
}

#[test]
fn slow_target_times_out() {
    let target = hostile_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 4000);
    let out = run_against(&target, &["--timeout", "1"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("within 1s"), "{}", out.stderr);
}

#[test]
fn huge_lying_body_does_not_hang_or_panic() {
    // Claims 10 GB, sends a few bytes, then closes.
    let target = hostile_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n{}",
        0,
    );
    let out = run_against(&target, &["--timeout", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_no_panic(&out);
}

#[test]
fn invalid_scenario_file_gives_file_line_col() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "name: bad\nsteps:\n  - name: probe\n    op: CheckDockerV2Support\n    request: { path: /v2/ }\n    expect: { stauts: 200 }\n",
    )
    .expect("write");
    let out = regcheck(&["validate", file.to_str().expect("utf8 path")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("bad.yaml:6:"),
        "expected a file:line:col position, got: {}",
        out.stdout
    );
    assert!(out.stdout.contains("stauts"), "{}", out.stdout);
    // `run` with the same file is a configuration error.
    let out = regcheck(&["run", "-q", "--scenarios", file.to_str().expect("utf8")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn list_shows_every_operation_and_rule() {
    let out = regcheck(&["list", "--operations"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().count(), 32, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("ExchangeAadAccessTokenForAcrRefreshToken")
    );
    // Each operation names the documents it comes from.
    let line = |op: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{op} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("GetBlob").ends_with("acr-2021-07-01, oci-1.1.1"),
        "{}",
        out.stdout
    );
    assert!(
        line("GetReferrers").ends_with(" oci-1.1.1"),
        "{}",
        out.stdout
    );
    assert!(line("GetCatalog").ends_with(" docker-v2"), "{}", out.stdout);
    let out = regcheck(&["list", "--endpoints"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("end-"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids.len(), 17, "{}", out.stdout);
    assert_eq!((ids[0], ids[16]), ("end-1", "end-14"));
    assert!(
        out.stdout
            .contains("scenarios (2): blob-upload-empty-single-post, blob-upload-single-post"),
        "{}",
        out.stdout
    );
    let out = regcheck(&["list", "--rules"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("GetBlob.digest-matches-body"),
        "{}",
        out.stdout
    );
}

#[test]
fn bundled_scenarios_validate() {
    let out = regcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn https_targets_are_spoken_to_with_tls() {
    // A plain-HTTP server behind an https:// URL: the TLS handshake fails with a clear error
    // (proof that https targets such as *.azurecr.io are spoken to over TLS).
    let target = hostile_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0)
        .replace("http://", "https://");
    let out = run_against(&target, &["--timeout", "5"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // rustls received an HTTP answer where a TLS record was expected.
    assert!(out.stderr.contains("corrupt message"), "{}", out.stderr);
    assert_no_panic(&out);
}

#[test]
fn an_empty_selection_is_an_error_not_a_green_run() {
    let out = regcheck(&["run", "-q", "--tag", "no-such-tag"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("no scenario matches"), "{}", out.stderr);
}

#[test]
fn a_run_that_cannot_start_still_writes_reports_that_say_why() {
    let port = free_port();
    let target = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let junit = dir.path().join("r.xml");
    let md = dir.path().join("r.md");
    let out = run_against(
        &target,
        &[
            "--timeout",
            "5",
            "--report",
            &format!("json={}", json.display()),
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("md={}", md.display()),
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let r = crate::common::read_report(&json);
    let why = r["aborted"].as_str().expect("aborted says why");
    assert!(why.contains(&format!("127.0.0.1:{port}")), "{why}");
    assert!(r["scenarios"].as_array().unwrap().is_empty());
    crate::reports::assert_valid(&r, "aborted run");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<error message=") && xml.contains(&format!("{port}")),
        "{xml}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("Could not run"), "{md}");
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = regcheck(&["completions", "bash"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("--embedded-minimal"),
        "run's flags are completed"
    );
    assert!(out.stdout.contains("--aad-refresh-token"));
    let script = dir.path().join("regcheck.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    for shell in ["zsh", "fish"] {
        let out = regcheck(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains("validate"), "{shell}");
    }
    let out = regcheck(&["completions", "tcsh"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("possible values"), "{}", out.stderr);

    let out = regcheck(&["man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH"),
        "roff"
    );
    for sub in ["run", "load", "report", "list", "validate", "serve"] {
        assert!(
            out.stdout.contains(&format!(".TH regcheck-{sub}")),
            "section for {sub}"
        );
    }
    assert!(
        out.stdout.contains("aad\\-refresh\\-token"),
        "run's options are documented"
    );
}

#[test]
fn a_skip_at_a_level_below_must_skips_and_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("skip-level.yaml");
    std::fs::write(
        &scenario,
        r#"name: skip-level
description: a refusal the text allows only because it is a SHOULD
tags: [oci]
steps:
  - name: refused
    op: GetManifest
    request: { path: "/v2/{{repo}}/manifests/nope" }
    skip_on:
      - { status: 404, level: should, reason: "stands in for a SHOULD-level refusal" }
    expect: { status: 200 }
"#,
    )
    .expect("write");
    let json = dir.path().join("r.json");
    let scenario_arg = scenario.display().to_string();
    let report_arg = format!("json={}", json.display());
    let args = [
        "run",
        "-q",
        "--embedded-auth",
        "none",
        "--report",
        &report_arg,
        "--scenarios",
        &scenario_arg,
    ];
    let out = regcheck(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let r = crate::common::read_report(&json);
    let s = &r["scenarios"][0];
    assert_eq!(s["outcome"], "skip", "{s}");
    assert!(
        s["reason"].as_str().unwrap_or("").contains("SHOULD-level"),
        "{s}"
    );
    let f = &s["steps"][0]["findings"][0];
    assert_eq!(f["rule"], "scenario.skip_on", "{s}");
    assert_eq!(f["severity"], "warn", "{f}");
    assert_eq!(f["level"], "should", "{f}");
    assert!(f["spec"].is_string(), "{f}");
    assert_eq!(r["summary"]["checks"]["warned"], 1, "{}", r["summary"]);
    // --strict makes the warning fail the exit code, as any warning.
    let mut strict = args.to_vec();
    strict.insert(2, "--strict");
    assert_eq!(regcheck(&strict).code, 1);
}
