//! The bundled suite against the embedded reference registry: everything passes in every auth
//! mode (the registry and the harness agree on the contract), and secrets never reach output.

use crate::common::{failed_rules, read_report, regcheck, run_against, run_against_env};

fn run_embedded(extra: &[&str]) -> (crate::common::CliOutput, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let mut args = vec!["run", "-q", "--report", &spec];
    args.extend_from_slice(extra);
    let out = regcheck(&args);
    let json = read_report(&report);
    (out, json)
}

fn assert_all_pass(mode: &str) -> serde_json::Value {
    let (out, report) = run_embedded(&["--embedded-auth", mode]);
    assert_eq!(
        failed_rules(&report),
        Vec::<String>::new(),
        "auth {mode}: failures against the embedded registry\n{}",
        out.stdout
    );
    let s = &report["summary"];
    assert_eq!(s["errors"], 0, "auth {mode}:\n{}", out.stdout);
    assert_eq!(s["failed"], 0, "auth {mode}:\n{}", out.stdout);
    assert_eq!(out.code, 0, "auth {mode}:\n{}\n{}", out.stdout, out.stderr);
    assert!(s["passed"].as_u64().unwrap_or(0) >= 40, "auth {mode}: {s}");
    assert!(
        s["checks"]["passed"].as_u64().unwrap_or(0) > 500,
        "auth {mode}: {s}"
    );
    // Every documented operation was exercised and passed at least once.
    for op in regcheck::contract::Operation::ALL {
        let stats = &report["operations"][op.name()];
        assert!(
            stats["passed"].as_u64().unwrap_or(0) >= 1,
            "auth {mode}: operation {op} not exercised successfully: {stats}"
        );
    }
    assert_eq!(report["cleanup"]["leftovers"], serde_json::json!([]));
    report
}

#[test]
fn suite_passes_without_auth() {
    let report = assert_all_pass("none");
    // Nothing is skipped for lack of a capability: the embedded registry has them all except
    // auth and token-auth (no challenge in this mode).
    for s in report["scenarios"].as_array().expect("scenarios") {
        if s["outcome"] == "skip" {
            let reason = s["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("capability `token-auth`") || reason.contains("capability `auth`"),
                "{}: {reason}",
                s["name"]
            );
        }
    }
}

#[test]
fn suite_passes_with_basic_auth() {
    assert_all_pass("basic");
}

#[test]
fn suite_passes_with_token_auth() {
    let report = assert_all_pass("token");
    assert_eq!(report["capabilities"]["token-auth"], true);
    let skipped = report["summary"]["skipped"].as_u64().unwrap_or(99);
    assert_eq!(skipped, 0, "token mode skips nothing");
}

#[test]
fn secrets_never_appear_in_output_or_reports() {
    // A fault makes steps fail, so transcripts (with Authorization headers and token bodies)
    // are written to the report.
    let (out, report) = run_embedded(&[
        "--embedded-auth",
        "token",
        "--embedded-fault",
        "corrupt-blob-body",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let text = report.to_string() + &out.stdout + &out.stderr;
    assert!(
        text.contains("transcript"),
        "failing steps carry transcripts"
    );
    let creds = regcheck::registry::Credentials::default();
    for secret in [creds.password.as_str(), creds.aad_token.as_str()] {
        assert!(!text.contains(secret), "secret leaked into output");
    }
    assert!(!text.contains("Bearer ey"), "a bearer token leaked");
}

/// `regcheck serve` as a separate process with its own credentials, and `run --target` against
/// it: the right password passes the suite, a wrong one is a clear configuration error.
#[test]
fn serve_with_configured_credentials_and_run_against_it() {
    let port = crate::common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["serve", "--addr", &addr, "--auth", "basic"])
        .args(["--username", "ci-user", "--password", "s3cret-pass"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn regcheck serve");
    crate::common::wait_ready(&addr);
    let target = format!("http://{addr}");
    let good = run_against_env(
        &target,
        &["--username", "ci-user", "--tag", "oci"],
        &[("REGCHECK_PASSWORD", "s3cret-pass")],
    );
    let bad = run_against_env(
        &target,
        &["--username", "ci-user"],
        &[("REGCHECK_PASSWORD", "wrong")],
    );
    // Credentials inside the URL work the same and never reach the output or the report.
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("r.json");
    let spec = format!("json={}", report_path.display());
    let inline = format!("http://ci-user:s3cret-pass@{addr}");
    let inline_run = run_against(&inline, &["--tag", "oci", "--report", &spec]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        inline_run.code, 0,
        "{}\n{}",
        inline_run.stdout, inline_run.stderr
    );
    let report_text = std::fs::read_to_string(&report_path).expect("report");
    for text in [&inline_run.stdout, &inline_run.stderr, &report_text] {
        assert!(!text.contains("s3cret-pass"), "password leaked: {text}");
    }
    assert_eq!(good.code, 0, "{}\n{}", good.stdout, good.stderr);
    assert!(good.stdout.contains("0 failed"), "{}", good.stdout);
    assert!(!good.stdout.contains("s3cret-pass"));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("refused the credentials"),
        "{}",
        bad.stderr
    );
    assert!(
        !bad.stderr.contains("wrong"),
        "the password must not be echoed: {}",
        bad.stderr
    );
}

/// Every contract rule applies somewhere in the bundled suite (default mode plus redirect
/// mode): no rule is dead weight, and every rule held against the reference registry.
#[test]
fn the_suite_exercises_every_contract_rule() {
    let (_, plain) = run_embedded(&["--embedded-auth", "token"]);
    let (_, redirected) = run_embedded(&["--embedded-auth", "token", "--embedded-redirect-blobs"]);
    let exercised =
        |r: &serde_json::Value, id: &str| r["rules"][id]["passed"].as_u64().unwrap_or(0) > 0;
    let missing: Vec<&str> = regcheck::contract::rules()
        .iter()
        .map(|r| r.id)
        .filter(|id| !exercised(&plain, id) && !exercised(&redirected, id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules no scenario exercises: {missing:?}"
    );
}

#[test]
fn suite_passes_with_blob_redirects_to_storage() {
    // Blob GETs answer 307 to a second loopback listener (ACR's storage redirect): the runner
    // checks the redirect, follows it without credentials and checks the storage answer.
    let (out, report) = run_embedded(&["--embedded-auth", "token", "--embedded-redirect-blobs"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(failed_rules(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["skipped"], 0, "{}", out.stdout);
    let blob_gets = report["operations"]["GetBlob"]["passed"]
        .as_u64()
        .unwrap_or(0);
    assert!(blob_gets > 5, "{}", report["operations"]);
}

#[test]
fn storage_signatures_are_redacted_from_transcripts() {
    // Failing blob GETs in redirect mode: the transcripts show the 307 and the storage hop,
    // whose signed URLs (like Azure SAS `sig=`) are credentials.
    let (out, report) = run_embedded(&[
        "--embedded-auth",
        "token",
        "--embedded-redirect-blobs",
        "--embedded-fault",
        "corrupt-blob-body",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let text = report.to_string();
    assert!(
        text.contains("sig=<redacted>"),
        "storage hops are in the transcripts"
    );
    let leaked = regex::Regex::new(r"sig=[0-9a-f]{16}").expect("regex");
    assert!(!leaked.is_match(&text), "a storage signature leaked");
}

/// A registry with a minimum chunk size (S3-backed registries have 5 MiB): it announces
/// `OCI-Chunk-Min-Length` and refuses, on the closing PUT, an upload whose chunks before the
/// last were shorter. `blob-upload-chunked` honours the announced minimum (its 3 MiB blob goes in
/// 2 MiB + 1 MiB instead of three 1 MiB chunks) and passes; the same scenario with the minimum
/// ignored is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_uploads_honour_an_announced_minimum_chunk_length() {
    use regcheck::registry::{self, RegistryConfig};
    let reg = registry::start(RegistryConfig {
        chunk_min_length: Some(2 << 20),
        ..RegistryConfig::default()
    })
    .await
    .expect("registry starts");
    let url = reg.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let ignoring = dir.path().join("ignoring.yaml");
    let bundled = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/blob-upload-chunked.yaml"),
    )
    .expect("scenario");
    let stripped = bundled.replace(r#", min_chunk_size: "{{chunk_min}}""#, "");
    assert_ne!(stripped, bundled, "the scenario honours the minimum");
    std::fs::write(&ignoring, stripped).expect("write");
    let (honoured, ignored) = tokio::task::spawn_blocking(move || {
        let spec = format!("json={}", report.display());
        let honoured = run_against(
            &url,
            &["--filter", "^blob-upload-chunked$", "--report", &spec],
        );
        let json = read_report(&report);
        let ignored = run_against(
            &url,
            &[
                "--scenarios",
                ignoring.to_str().expect("utf8"),
                "--no-report",
            ],
        );
        ((honoured, json), ignored)
    })
    .await
    .expect("runs");
    let (out, json) = honoured;
    assert_eq!(out.code, 0, "{}", out.stdout);
    let patches = json["scenarios"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["op"] == "UploadChunk")
        .count();
    assert_eq!(patches, 2, "{}", json["scenarios"][0]);
    assert_eq!(ignored.code, 1, "{}", ignored.stdout);
    assert!(
        ignored.stdout.contains("BLOB_UPLOAD_INVALID") || ignored.stdout.contains("400"),
        "{}",
        ignored.stdout
    );
}
