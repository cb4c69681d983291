//! Credentials never leave the target's host: a blob redirect to another origin is followed
//! without `Authorization` (Basic or a bearer token; the recorder is shown to catch one), and
//! a token realm on another host is refused rather than sent the password. Writes never leave the run namespace, not even through a redirect. Uses
//! hand-written loopback servers that record what they receive.

use crate::common::fake::{errors, fake_server, h};
use crate::common::{run_against, run_against_env};
use sha2::{Digest, Sha256};

const CONTENT: &[u8] = b"hello from storage";

fn scenario_file(dir: &std::path::Path, digest: &str) -> std::path::PathBuf {
    let path = dir.join("redirect.yaml");
    std::fs::write(
        &path,
        format!(
            "name: redirect\nsteps:\n  - name: get redirected blob\n    op: GetBlob\n    request: {{ path: \"/v2/{{{{repo}}}}/blobs/{digest}\" }}\n    expect: {{ status: 200, body_digest: \"{digest}\" }}\n"
        ),
    )
    .expect("write scenario");
    path
}

/// A storage host that serves `CONTENT` to anyone and records what it receives.
fn storage_host() -> (String, crate::common::fake::Seen) {
    fake_server(|_, _| {
        (
            "200 OK".into(),
            vec![h("Content-Type", "application/octet-stream")],
            CONTENT.to_vec(),
        )
    })
}

/// What the fake registries answer an authorized request: `/v2/`, a 307 for the blob
/// `digest` to `redirect_to`, 404 otherwise.
fn redirecting(
    line: &str,
    digest: &str,
    redirect_to: &str,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    let api = h("Docker-Distribution-Api-Version", "registry/2.0");
    let json = h("Content-Type", "application/json");
    if line.starts_with("GET /v2/ ") {
        return ("200 OK".into(), vec![api, json], b"{}".to_vec());
    }
    if line.starts_with("GET ") && line.contains(&format!("/blobs/{digest}")) {
        return (
            "307 Temporary Redirect".into(),
            vec![
                api,
                h("Location", redirect_to),
                h("Docker-Content-Digest", digest),
            ],
            Vec::new(),
        );
    }
    (
        "404 Not Found".into(),
        vec![api, json],
        errors("NAME_UNKNOWN"),
    )
}

/// Runs the one-step redirect scenario against `registry` as user `me` (password by env).
fn run_redirect_scenario(registry: &str, digest: &str) -> crate::common::CliOutput {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario_file(dir.path(), digest);
    run_against_env(
        registry,
        &[
            "--scenarios",
            file.to_str().expect("utf8"),
            "--username",
            "me",
        ],
        &[("REGCHECK_PASSWORD", "topsecret-pw")],
    )
}

#[test]
fn redirects_to_another_host_carry_no_credentials() {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(CONTENT)));
    let (storage, storage_seen) = storage_host();
    let redirect_to = format!("{storage}/blob?sig=abc");
    let d2 = digest.clone();
    let (registry, registry_seen) = fake_server(move |line, headers| {
        let api = h("Docker-Distribution-Api-Version", "registry/2.0");
        let json = h("Content-Type", "application/json");
        if !headers.iter().any(|(k, _)| k == "authorization") {
            return (
                "401 Unauthorized".into(),
                vec![api, json, h("WWW-Authenticate", "Basic realm=\"fake\"")],
                errors("UNAUTHORIZED"),
            );
        }
        redirecting(line, &d2, &redirect_to)
    });
    let out = run_redirect_scenario(&registry, &digest);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let storage_seen = storage_seen.lock().expect("lock").clone();
    assert_eq!(storage_seen.len(), 1, "{storage_seen:?}");
    assert!(
        !storage_seen[0].1.iter().any(|(k, _)| k == "authorization"),
        "credentials were sent to the storage host: {storage_seen:?}"
    );
    let registry_seen = registry_seen.lock().expect("lock").clone();
    assert!(
        registry_seen
            .iter()
            .any(|(l, hs)| l.contains("/blobs/") && hs.iter().any(|(k, _)| k == "authorization")),
        "the registry itself did get the credentials"
    );
}

#[test]
fn token_realm_on_another_host_gets_no_password() {
    let (realm_host, realm_seen) =
        fake_server(|_, _| ("200 OK".into(), vec![], br#"{"token":"t"}"#.to_vec()));
    let challenge = format!("Bearer realm=\"{realm_host}/token\",service=\"fake\"");
    let (registry, _) = fake_server(move |_, _| {
        (
            "401 Unauthorized".into(),
            vec![
                h("Docker-Distribution-Api-Version", "registry/2.0"),
                h("WWW-Authenticate", &challenge),
            ],
            errors("UNAUTHORIZED"),
        )
    });
    let out = run_against_env(
        &registry,
        &["--username", "me"],
        &[("REGCHECK_PASSWORD", "topsecret-pw")],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("does not send credentials to another host"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("topsecret-pw"));
    assert!(
        realm_seen.lock().expect("lock").is_empty(),
        "the foreign realm was contacted"
    );
}

#[test]
fn a_redirect_cannot_lead_a_write_out_of_the_namespace() {
    let (registry, seen) = fake_server(|line, _| {
        let api = h("Docker-Distribution-Api-Version", "registry/2.0");
        if line.starts_with("GET /v2/ ") {
            return ("200 OK".into(), vec![api], b"{}".to_vec());
        }
        if line.starts_with("DELETE /v2/guarded/") {
            let to = "/v2/victim/app/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000";
            return (
                "307 Temporary Redirect".into(),
                vec![api, h("Location", to)],
                Vec::new(),
            );
        }
        (
            "404 Not Found".into(),
            vec![api, h("Content-Type", "application/json")],
            errors("NAME_UNKNOWN"),
        )
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("delete.yaml");
    std::fs::write(
        &file,
        "name: redirected-delete\nsteps:\n  - name: delete\n    op: DeleteManifest\n    request: { path: \"/v2/{{repo}}/manifests/sha256:0000000000000000000000000000000000000000000000000000000000000000\" }\n    expect: { status: 202 }\n",
    )
    .expect("write scenario");
    let out = run_against(
        &registry,
        &[
            "--namespace",
            "guarded",
            "--scenarios",
            file.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("outside the run namespace"),
        "{}",
        out.stdout
    );
    let seen = seen.lock().expect("lock").clone();
    assert!(
        seen.iter()
            .any(|(l, _)| l.starts_with("DELETE /v2/guarded/"))
    );
    assert!(
        !seen.iter().any(|(l, _)| l.contains("/v2/victim/")),
        "the redirect was followed out of the namespace: {seen:?}"
    );
}

#[test]
fn token_mode_redirects_carry_no_bearer_and_the_recorder_would_notice() {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(CONTENT)));
    let (storage, storage_seen) = storage_host();
    let redirect_to = format!("{storage}/blob?sig=abc");
    let d2 = digest.clone();
    let (registry, registry_seen) = fake_server(move |line, headers| {
        let api = h("Docker-Distribution-Api-Version", "registry/2.0");
        let json = h("Content-Type", "application/json");
        if line.starts_with("GET /token") {
            return (
                "200 OK".into(),
                vec![json],
                br#"{"token":"tok-Sekr1t-777","expires_in":300}"#.to_vec(),
            );
        }
        let authorized = headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer tok-Sekr1t-777");
        if !authorized {
            let host = headers
                .iter()
                .find(|(k, _)| k == "host")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let challenge = format!(r#"Bearer realm="http://{host}/token",service="fake""#);
            return (
                "401 Unauthorized".into(),
                vec![api, json, h("WWW-Authenticate", &challenge)],
                errors("UNAUTHORIZED"),
            );
        }
        redirecting(line, &d2, &redirect_to)
    });
    let out = run_redirect_scenario(&registry, &digest);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let registry_seen = registry_seen.lock().expect("lock").clone();
    assert!(
        registry_seen.iter().any(|(l, hs)| l.contains("/blobs/")
            && hs
                .iter()
                .any(|(k, v)| k == "authorization" && v.starts_with("Bearer "))),
        "the registry itself got the token: {registry_seen:?}"
    );
    let seen = storage_seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        !seen[0].1.iter().any(|(k, _)| k == "authorization"),
        "the bearer token was sent to the storage host: {seen:?}"
    );
    // The recorder is able to notice: a careless client that forwards the header is caught.
    use std::io::{Read, Write};
    let addr = storage.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /blob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer careless\r\n\r\n")
        .expect("write");
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
    let seen = storage_seen.lock().expect("lock").clone();
    assert!(
        seen.iter()
            .any(|(_, hs)| hs.iter().any(|(k, _)| k == "authorization")),
        "the recorder missed an Authorization header: {seen:?}"
    );
}
