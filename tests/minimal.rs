//! The spec-minimal embedded registry (`--embedded-minimal`, `serve --minimal`): the negative
//! control of the verdicts. It offers only what OCI distribution-spec 1.1.1 requires, so the
//! bundled suite must not fail it (a failure would demand more than the text), and the faults
//! must still be caught on it by the rules written for them.

use crate::common::{read_report, regcheck};
use crate::detection::{EXPECTED, failed_rule_ids_with, judged};
use regcheck::registry::{self, AuthMode, Fault, RegistryConfig, Surface};
use reqwest::{Client, StatusCode};
use std::collections::BTreeSet;

/// Faults that cannot show on the minimal registry, with the reason.
const NOT_ON_MINIMAL: &[(&str, &str)] = &[
    (
        "missing-upload-uuid",
        "Docker-Upload-UUID is not in OCI; the minimal registry never sends it",
    ),
    ("orderby-ignored", "ACR metadata API (/acr/v1), not offered"),
    (
        "attributes-not-stored",
        "ACR metadata API (/acr/v1), not offered",
    ),
    (
        "acr-schema-violation",
        "ACR metadata API (/acr/v1), not offered",
    ),
    (
        "write-enabled-not-enforced",
        "ACR changeable attributes, not offered",
    ),
    (
        "missing-link",
        "the minimal registry never sends Link (OCI: a Link MAY be included)",
    ),
    (
        "error-body-not-json",
        "the minimal registry's errors are plain text already (OCI: a 4xx MAY have any body)",
    ),
    (
        "v2-no-api-version",
        "the minimal registry never sends Docker-Distribution-API-Version (OPTIONAL)",
    ),
    (
        "missing-api-version-header",
        "the minimal registry never sends Docker-Distribution-API-Version (OPTIONAL)",
    ),
    ("token-scope-not-enforced", "token auth is not offered"),
    ("oauth2-bad-grant-accepted", "/oauth2 is not offered"),
    ("oauth2-any-service", "/oauth2 is not offered"),
    ("challenge-scope-missing", "token auth is not offered"),
    ("token-not-verified", "token auth is not offered"),
    ("referrers-404", NO_REFERRERS),
    ("referrers-wrong-content-type", NO_REFERRERS),
    ("oci-subject-missing", NO_REFERRERS),
    ("referrers-filter-ignored", NO_REFERRERS),
    ("referrers-artifact-type-missing", NO_REFERRERS),
    ("referrers-annotations-dropped", NO_REFERRERS),
    ("referrers-invalid-digest-404", NO_REFERRERS),
    ("referrers-not-an-index", NO_REFERRERS),
];

/// Why the referrers faults cannot show on the minimal registry.
const NO_REFERRERS: &str =
    "the referrers API is conditional in OCI 1.1.1 and not offered (clients use the tag schema)";

fn run_minimal(extra: &[&str]) -> (crate::common::CliOutput, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    let spec = format!("json={}", path.display());
    let mut args = vec!["run", "-q", "--embedded-minimal", "--report", &spec];
    args.extend_from_slice(extra);
    let out = regcheck(&args);
    (out, read_report(&path))
}

#[test]
fn suite_does_not_fail_the_minimal_registry() {
    for auth in ["none", "basic"] {
        let (out, report) = run_minimal(&["--embedded-auth", auth]);
        let s = &report["summary"];
        assert_eq!(s["failed"], 0, "auth {auth}:\n{}", out.stdout);
        assert_eq!(s["errors"], 0, "auth {auth}:\n{}", out.stdout);
        assert_eq!(out.code, 0, "auth {auth}:\n{}\n{}", out.stdout, out.stderr);
        // It still exercises the core of OCI: pull, push, listing, errors.
        assert!(s["passed"].as_u64().unwrap_or(0) >= 15, "auth {auth}: {s}");
        for sc in report["scenarios"].as_array().expect("scenarios") {
            if sc["outcome"] == "skip" {
                let reason = sc["reason"].as_str().unwrap_or_default();
                assert!(
                    !reason.is_empty(),
                    "{}: skipped without a reason",
                    sc["name"]
                );
            }
            for st in sc["steps"].as_array().into_iter().flatten() {
                for f in st["findings"].as_array().into_iter().flatten() {
                    // The only findings left are warnings, each with the level behind it.
                    assert_eq!(f["severity"], "warn", "{}: {f}", sc["name"]);
                    assert!(f["level"].is_string(), "{}: {f}", sc["name"]);
                }
            }
        }
        // The API-version header is a convention: its absence is a warning, not a failure.
        let v2 = report["scenarios"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == "v2-support"))
            .expect("v2-support ran");
        assert_eq!(v2["outcome"], "warn", "{v2}");
        assert!(
            s["warned"].as_u64().unwrap_or(0) >= 1,
            "auth {auth}: the missing API-version header is not reported: {s}"
        );
    }
}

#[test]
fn faults_are_still_caught_on_the_minimal_registry() {
    let skip: BTreeSet<&str> = NOT_ON_MINIMAL.iter().map(|(f, _)| *f).collect();
    // What the clean minimal registry already shows (warnings only) is not the fault's doing.
    let (baseline, _) = failed_rule_ids_with("", "none", &["--embedded-minimal"]);
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (fault, auth, expected) in EXPECTED {
        if skip.contains(fault) {
            continue;
        }
        // Token auth is not offered: a challenge fault is shown with Basic.
        let auth = if *auth == "token" { "basic" } else { auth };
        let (got, report) = failed_rule_ids_with(fault, auth, &["--embedded-minimal"]);
        let got: BTreeSet<String> = got.difference(&baseline).cloned().collect();
        assert_eq!(report["summary"]["errors"], 0, "fault {fault}: run errors");
        let (want, unexpected) = judged(fault, expected, &got);
        if want.is_disjoint(&got) || !unexpected.is_empty() {
            mismatches.push(format!(
                "{fault}: caught by {:?} (want some of {want:?}), unexpected {unexpected:?}",
                got.iter().collect::<Vec<_>>()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} faults checked");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_fault_is_either_caught_or_explained_on_the_minimal_registry() {
    for (fault, reason) in NOT_ON_MINIMAL {
        assert!(!reason.is_empty());
        assert!(
            EXPECTED.iter().any(|(f, _, _)| f == fault),
            "{fault} is not a known fault"
        );
    }
}

/// The surface itself, over HTTP: what the minimal registry leaves out.
#[tokio::test]
async fn the_minimal_surface_leaves_out_every_optional_part() {
    let reg = registry::start(RegistryConfig {
        surface: Surface::Minimal,
        ..RegistryConfig::default()
    })
    .await
    .expect("minimal registry starts");
    let c = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = |p: &str| format!("{}{p}", reg.url());
    let r = c.get(url("/v2/")).send().await.expect("GET /v2/");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("docker-distribution-api-version").is_none());
    // Push a blob: 201 with Location, no Docker-Content-Digest, no Docker-Upload-UUID.
    let r = c
        .post(url("/v2/m/blobs/uploads/"))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(r.headers().get("docker-upload-uuid").is_none());
    let loc = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let data = b"minimal".to_vec();
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data))
    );
    let sep = if loc.contains('?') { '&' } else { '?' };
    let r = c
        .put(url(&format!("{loc}{sep}digest={digest}")))
        .body(data.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("location").is_some());
    assert!(r.headers().get("docker-content-digest").is_none());
    // A Range read is answered in full, without Accept-Ranges.
    let blob = url(&format!("/v2/m/blobs/{digest}"));
    let r = c
        .get(&blob)
        .header("range", "bytes=0-0")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("accept-ranges").is_none());
    assert_eq!(r.bytes().await.expect("body").to_vec(), data);
    // Deletes are refused with 405; the blob stays.
    let r = c.delete(&blob).send().await.expect("DELETE");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(c.head(&blob).send().await.expect("HEAD").status(), 200);
    // Errors are plain text; the catalog and the ACR and token endpoints do not exist.
    let r = c
        .get(url("/v2/m/manifests/nope"))
        .send()
        .await
        .expect("GET manifest");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let ct = r.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("text/plain"), "{ct}");
    for path in ["/v2/_catalog", "/acr/v1/_catalog", "/oauth2/token"] {
        let r = c.get(url(path)).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A single-POST upload opens a session instead.
    let r = c
        .post(url(&format!("/v2/m/blobs/uploads/?digest={digest}")))
        .body(data)
        .send()
        .await
        .expect("single POST");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    reg.shutdown().await;
}

#[tokio::test]
async fn the_minimal_registry_refuses_token_auth_and_redirects_clearly() {
    for config in [
        RegistryConfig {
            surface: Surface::Minimal,
            auth: AuthMode::Token,
            ..RegistryConfig::default()
        },
        RegistryConfig {
            surface: Surface::Minimal,
            redirect_blobs: true,
            ..RegistryConfig::default()
        },
    ] {
        let err = registry::start(config).await.expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("minimal registry"), "{msg}");
    }
    // A fault that needs an optional feature turns it back on.
    let reg = registry::start(RegistryConfig {
        surface: Surface::Minimal,
        faults: vec![Fault::UnknownErrorCode],
        ..RegistryConfig::default()
    })
    .await
    .expect("starts");
    let r = reqwest::get(format!("{}/v2/m/manifests/nope", reg.url()))
        .await
        .expect("GET");
    let body: serde_json::Value = r.json().await.expect("JSON error body");
    assert_eq!(body["errors"][0]["code"], "NOT_FOUND");
    reg.shutdown().await;
}

#[test]
fn require_turns_a_missing_capability_into_a_failure_with_its_evidence() {
    let (out, report) = run_minimal(&["--require", "range,catalog"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    // Every capability comes with what the probe saw.
    let caps = report["capabilities"].as_object().expect("capabilities");
    for k in caps.keys() {
        let e = report["capability_evidence"][k].as_str().unwrap_or("");
        assert!(!e.is_empty(), "capability {k} has no evidence");
    }
    assert_eq!(caps["range"], false);
    let range = report["scenarios"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "blob-range-get"))
        .expect("blob-range-get");
    assert_eq!(range["outcome"], "fail", "{range}");
    let f = &range["steps"][0]["findings"][0];
    assert_eq!(f["rule"], "capability.range", "{f}");
    assert!(
        f["actual"]
            .as_str()
            .unwrap_or("")
            .contains("Range: bytes=0-0"),
        "the finding quotes the probe: {f}"
    );
    // A capability nobody asked for still only skips.
    let acr = report["scenarios"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "acr-tags-orderby"))
        .expect("acr-tags-orderby");
    assert_eq!(acr["outcome"], "skip", "{acr}");
    let bad = regcheck(&["run", "-q", "--embedded-minimal", "--require", "teleport"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("unknown capability"), "{}", bad.stderr);
}

#[test]
fn deletes_are_probed_apart() {
    // The minimal registry refuses every delete; with delete-ignored it answers manifest and
    // tag deletes (202) but still refuses blob deletes: manifest-delete then runs (and catches
    // the fault) although blob deletes are refused.
    let (_, report) = run_minimal(&["--embedded-fault", "delete-ignored"]);
    let caps = &report["capabilities"];
    assert_eq!(caps["blob-delete"], false, "{caps}");
    assert_eq!(caps["manifest-delete"], true, "{caps}");
    let md = report["scenarios"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "manifest-delete"))
        .expect("manifest-delete");
    assert_eq!(md["outcome"], "fail", "{md}");
    let blob = report["scenarios"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "blob-delete"))
        .expect("blob-delete");
    assert_eq!(blob["outcome"], "skip", "{blob}");
    assert!(
        blob["reason"]
            .as_str()
            .unwrap_or("")
            .contains("blob deletes"),
        "{blob}"
    );
}
