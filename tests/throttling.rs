//! Throttled answers (429 with `Retry-After`) are waited out a bounded number of times and the
//! 429s are still checked; a target that never stops throttling fails the step instead of
//! hanging the run.

use crate::common::fake::{errors, fake_server, h};
use crate::common::{read_report, run_against};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const CONTENT: &[u8] = b"throttled content";

fn scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let digest = regcheck::blob::sha256_digest(CONTENT);
    let path = dir.join("get.yaml");
    std::fs::write(
        &path,
        format!(
            "name: throttled\nsteps:\n  - name: get\n    op: GetBlob\n    request: {{ path: \"/v2/{{{{repo}}}}/blobs/{digest}\" }}\n    expect: {{ status: 200, body_digest: \"{digest}\" }}\n"
        ),
    )
    .expect("write scenario");
    path
}

/// A registry whose blob GETs answer 429 `throttle_first` times before serving the blob.
fn registry(throttle_first: usize) -> (String, crate::common::fake::Seen) {
    let count = Arc::new(AtomicUsize::new(0));
    fake_server(move |line, _| {
        let api = h("Docker-Distribution-Api-Version", "registry/2.0");
        let json = h("Content-Type", "application/json");
        if line.starts_with("GET /v2/ ") {
            return ("200 OK".into(), vec![api, json], b"{}".to_vec());
        }
        if line.starts_with("GET ") && line.contains("/blobs/sha256:") {
            if count.fetch_add(1, Ordering::SeqCst) < throttle_first {
                return (
                    "429 Too Many Requests".into(),
                    vec![api, json, h("Retry-After", "0")],
                    errors("TOOMANYREQUESTS"),
                );
            }
            let digest = regcheck::blob::sha256_digest(CONTENT);
            return (
                "200 OK".into(),
                vec![
                    api,
                    h("Content-Type", "application/octet-stream"),
                    h("Docker-Content-Digest", &digest),
                ],
                CONTENT.to_vec(),
            );
        }
        (
            "404 Not Found".into(),
            vec![api, json],
            errors("NAME_UNKNOWN"),
        )
    })
}

fn blob_gets(seen: &crate::common::fake::Seen) -> usize {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|(l, _)| l.starts_with("GET ") && l.contains("/blobs/sha256:"))
        .count()
}

#[test]
fn throttling_is_waited_out_and_still_checked() {
    let (url, seen) = registry(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path());
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let out = run_against(
        &url,
        &[
            "--scenarios",
            file.to_str().expect("utf8"),
            "--report",
            &spec,
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(blob_gets(&seen), 3, "two 429s, then the blob");
    // The 429 answers went through the contract rules too (error body, documented code).
    let report = read_report(&report);
    assert!(
        report["rules"]["all.error-code-documented"]["passed"]
            .as_u64()
            .unwrap_or(0)
            >= 2
    );
}

#[test]
fn endless_throttling_fails_the_step_after_a_bounded_number_of_tries() {
    let (url, seen) = registry(usize::MAX);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path());
    let out = run_against(&url, &["--scenarios", file.to_str().expect("utf8")]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("status 429"), "{}", out.stdout);
    assert_eq!(blob_gets(&seen), 1 + regcheck::client::MAX_THROTTLE_RETRIES);
}
