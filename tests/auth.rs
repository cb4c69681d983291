//! Client-side authentication against recording loopback servers and the embedded registry:
//! one token fetch for 50 concurrent requests, refresh before expiry and after a 401, the
//! POST form fallback, ACR refresh tokens, bounded token answers; credentials from the docker
//! config (auths, identitytoken, a credential helper); `--password` refused,
//! `--password-stdin` accepted; and known secrets never reach stdout, stderr, trace logs or
//! report files.

use crate::common::fake::{Log, Reply, Req, h, recorder};
use crate::common::{free_port, regcheck_env, wait_ready};
use regcheck::client::{
    Client, ClientError, ClientOptions, Credentials, OutgoingBody, OutgoingRequest, RunCredentials,
    Secret,
};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use url::Url;

fn json(status: u16, body: &str) -> Reply {
    (
        status,
        vec![h("Content-Type", "application/json")],
        body.as_bytes().to_vec(),
    )
}

/// A registry whose `/v2/` requests need `Bearer tok<N>` with N >= `min_token` (0: any
/// issued token), and whose realm `/token` hands out tok1, tok2, ... living `expires_in`.
/// `get_refused`: GET /token answers 405 and only the POST form works.
struct TokenRegistry {
    url: String,
    log: Log,
    min_token: Arc<AtomicUsize>,
}

impl TokenRegistry {
    fn start(expires_in: u64, get_refused: bool) -> TokenRegistry {
        let issued = Arc::new(AtomicUsize::new(0));
        let min_token = Arc::new(AtomicUsize::new(0));
        let min2 = min_token.clone();
        let (url, log) = recorder(move |req| {
            if req.line.contains(" /token") {
                if get_refused && req.line.starts_with("GET ") {
                    return json(405, r#"{"errors":[{"code":"UNSUPPORTED"}]}"#);
                }
                let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                return json(
                    200,
                    &format!(r#"{{"token":"tok{n}","expires_in":{expires_in}}}"#),
                );
            }
            let host = req.header("host").unwrap_or("?");
            let ok = req
                .header("authorization")
                .and_then(|a| a.strip_prefix("Bearer tok"))
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n >= min2.load(Ordering::SeqCst));
            if ok {
                json(200, "{}")
            } else {
                let mut r = json(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"x"}]}"#);
                r.1.push(h(
                    "WWW-Authenticate",
                    &format!(
                        r#"Bearer realm="http://{host}/token",service="fake",scope="repository:a:pull""#
                    ),
                ));
                r
            }
        });
        TokenRegistry {
            url,
            log,
            min_token,
        }
    }

    fn count(&self, pred: impl Fn(&Req) -> bool) -> usize {
        self.log
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| pred(r))
            .count()
    }

    fn token_requests(&self) -> usize {
        self.count(|r| r.line.contains(" /token"))
    }
}

fn client(target: &str, credentials: RunCredentials) -> Client {
    Client::new(ClientOptions {
        target: Url::parse(target).expect("url"),
        timeout: Duration::from_secs(20),
        credentials,
        transport: Default::default(),
        limits: Default::default(),
    })
    .expect("client")
}

fn get(base: &str, path: &str) -> OutgoingRequest {
    OutgoingRequest {
        method: reqwest::Method::GET,
        url: Url::parse(base).and_then(|u| u.join(path)).expect("url"),
        headers: vec![],
        body: OutgoingBody::Empty,
    }
}

fn user_pass(u: &str, p: &str) -> RunCredentials {
    RunCredentials {
        username: Some(u.into()),
        password: Some(Secret::new(p)),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_fetch_one_token() {
    let reg = TokenRegistry::start(300, false);
    let c = Arc::new(client(&reg.url, user_pass("u", "p")));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            let url = reg.url.clone();
            tokio::spawn(async move {
                c.execute(&get(&url, "/v2/a/manifests/x"), Credentials::Auto)
                    .await
                    .map(|o| o.response.status)
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("join").expect("request"), 200);
    }
    assert_eq!(reg.token_requests(), 1, "token endpoint hits");
    let stats = c.auth_stats();
    assert_eq!((stats.token_requests, stats.token_refreshes), (1, 0));
    // The one token request carried the Basic credentials and the challenge's scope.
    let log = reg.log.lock().expect("lock");
    let t = log
        .iter()
        .find(|r| r.line.contains(" /token"))
        .expect("token request");
    assert!(t.line.contains("scope=repository%3Aa%3Apull"), "{}", t.line);
    assert!(t.line.contains("service=fake"), "{}", t.line);
    assert_eq!(t.header("authorization"), Some("Basic dTpw"));
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    // expires_in 2 s: refreshed once 1.5 s have passed, before the registry would refuse it.
    let reg = TokenRegistry::start(2, false);
    let c = client(&reg.url, user_pass("u", "p"));
    let req = get(&reg.url, "/v2/a/manifests/x");
    let first = c.execute(&req, Credentials::Auto).await.expect("first");
    assert_eq!(first.response.status, 200);
    let again = c.execute(&req, Credentials::Auto).await.expect("again");
    assert!(again.retried.is_empty(), "the cached token is reused");
    assert_eq!(reg.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let later = c.execute(&req, Credentials::Auto).await.expect("later");
    assert_eq!(later.response.status, 200);
    assert!(later.retried.is_empty(), "refreshed without a 401 first");
    assert_eq!(reg.token_requests(), 2);
    let stats = c.auth_stats();
    assert_eq!((stats.token_requests, stats.token_refreshes), (2, 1));
    let log = reg.log.lock().expect("lock");
    let last = log.last().expect("requests");
    assert_eq!(last.header("authorization"), Some("Bearer tok2"));
}

#[tokio::test]
async fn a_401_with_a_cached_token_fetches_a_new_one() {
    let reg = TokenRegistry::start(3600, false);
    let c = client(&reg.url, user_pass("u", "p"));
    let req = get(&reg.url, "/v2/a/manifests/x");
    assert_eq!(
        c.execute(&req, Credentials::Auto)
            .await
            .expect("1")
            .response
            .status,
        200
    );
    // The registry revokes tok1 (as a long load run sees when tokens are rotated).
    reg.min_token.store(2, Ordering::SeqCst);
    let o = c.execute(&req, Credentials::Auto).await.expect("2");
    assert_eq!(o.response.status, 200);
    assert_eq!(o.retried.len(), 1, "the 401 is kept for the checks");
    assert_eq!(o.retried[0].response.status, 401);
    let stats = c.auth_stats();
    assert_eq!((stats.token_requests, stats.token_refreshes), (2, 1));
    // A registry that refuses every token: one retry, no loop.
    reg.min_token.store(usize::MAX, Ordering::SeqCst);
    let o = c.execute(&req, Credentials::Auto).await.expect("3");
    assert_eq!(o.response.status, 401);
    assert_eq!(reg.token_requests(), 3);
}

#[tokio::test]
async fn token_post_form_is_the_fallback_when_get_is_refused() {
    let reg = TokenRegistry::start(300, true);
    let c = client(&reg.url, user_pass("admin", "adm1n-pw"));
    let o = c
        .execute(&get(&reg.url, "/v2/a/manifests/x"), Credentials::Auto)
        .await
        .expect("request");
    assert_eq!(o.response.status, 200);
    let log = reg.log.lock().expect("lock");
    let token: Vec<&Req> = log.iter().filter(|r| r.line.contains(" /token")).collect();
    assert_eq!(token.len(), 2, "{token:?}");
    assert!(token[0].line.starts_with("GET "));
    assert!(token[1].line.starts_with("POST "));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(token[1].body.as_bytes())
        .into_owned()
        .collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("password"));
    assert_eq!(field("username"), Some("admin"));
    assert_eq!(field("password"), Some("adm1n-pw"));
    assert_eq!(field("scope"), Some("repository:a:pull"));
    assert_eq!(field("service"), Some("fake"));
}

#[tokio::test]
async fn a_given_refresh_token_uses_the_refresh_grant() {
    let reg = TokenRegistry::start(300, false);
    let c = client(
        &reg.url,
        RunCredentials {
            refresh_token: Some(Secret::new("acr-refresh-123")),
            ..Default::default()
        },
    );
    let o = c
        .execute(&get(&reg.url, "/v2/a/manifests/x"), Credentials::Auto)
        .await
        .expect("request");
    assert_eq!(o.response.status, 200);
    let log = reg.log.lock().expect("lock");
    let token: Vec<&Req> = log.iter().filter(|r| r.line.contains(" /token")).collect();
    assert_eq!(token.len(), 1);
    assert!(token[0].line.starts_with("POST "), "{}", token[0].line);
    assert!(token[0].body.contains("grant_type=refresh_token"));
    assert!(token[0].body.contains("refresh_token=acr-refresh-123"));
    assert!(token[0].header("authorization").is_none());
}

#[tokio::test]
async fn huge_or_garbled_token_answers_are_clear_errors() {
    for (body, want) in [
        (vec![b' '; 3 * 1024 * 1024], "limit"),
        (b"<html>not json</html>".to_vec(), "no JSON"),
        (br#"{"token":"a\r\nInjected: 1"}"#.to_vec(), "usable token"),
    ] {
        let body = Arc::new(body);
        let (url, _) = recorder(move |req| {
            if req.line.contains(" /token") {
                return (200, vec![], body.as_ref().clone());
            }
            let host = req.header("host").unwrap_or("?");
            (
                401,
                vec![h(
                    "WWW-Authenticate",
                    &format!(r#"Bearer realm="http://{host}/token",service="s""#),
                )],
                vec![],
            )
        });
        let c = client(&url, user_pass("u", "p"));
        let e = c
            .execute(&get(&url, "/v2/"), Credentials::Auto)
            .await
            .expect_err("an error");
        assert!(
            matches!(e, ClientError::Auth(_) | ClientError::Http { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains(want), "{e}");
    }
}

/// A `regcheck serve` child process; killed on drop.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(auth: &str, user: &str, password: &str, aad: &str) -> Served {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["serve", "--addr", &addr, "--auth", auth])
        .env("REGCHECK_SERVE_USERNAME", user)
        .env("REGCHECK_SERVE_PASSWORD", password)
        .env("REGCHECK_SERVE_AAD_TOKEN", aad)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn regcheck serve");
    wait_ready(&addr);
    Served {
        child,
        url: format!("http://{addr}"),
    }
}

const SMALL: &[&str] = &[
    "--filter",
    "^(v2-support|blob-upload-monolithic|tags-list)$",
];

#[test]
fn credentials_come_from_a_docker_credential_helper() {
    let reg = serve("basic", "helper-user", "helper-pw-77", "aad-x");
    let host = reg.url.trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let helper = bin.join("docker-credential-regchecktest");
    // The helper answers for exactly our registry; anything else is "not found".
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\nif [ \"$server\" = \"{host}\" ]; then\n  printf '%s' '{{\"ServerURL\":\"{host}\",\"Username\":\"helper-user\",\"Secret\":\"helper-pw-77\"}}'\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n"
        ),
    )
    .expect("helper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = dir.path().join("docker");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"auths": {{"{host}": {{}}}}, "credHelpers": {{"{host}": "regchecktest"}}}}"#),
    )
    .expect("config");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let docker_config = config.to_str().expect("utf8").to_string();
    let env = [
        ("PATH", path.as_str()),
        ("DOCKER_CONFIG", docker_config.as_str()),
    ];
    let mut args = vec!["run", "--target", &reg.url];
    args.extend_from_slice(SMALL);
    let out = regcheck_env(&args, &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("credHelpers (docker-credential-regchecktest)"),
        "{}",
        out.stderr
    );
    assert!(!(out.stdout + &out.stderr).contains("helper-pw-77"));
    // The same config with a helper that gives a wrong password: the registry refuses it.
    std::fs::write(
        &helper,
        "#!/bin/sh\nprintf '%s' '{\"Username\":\"helper-user\",\"Secret\":\"wrong-pw\"}'\n",
    )
    .expect("helper");
    let out = regcheck_env(&args, &env);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    // A broken config is a warning, and the run goes on anonymously (and is refused).
    std::fs::write(config.join("config.json"), "{broken").expect("config");
    let out = regcheck_env(&args, &env);
    assert!(
        out.stderr.contains("warning: docker config"),
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn docker_config_auths_and_identity_tokens_are_used() {
    // auths with base64 user:password, against Basic auth.
    let reg = serve("basic", "cfg-user", "cfg-pw-55", "aad-x");
    let host = reg.url.trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode("cfg-user:cfg-pw-55");
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths": {{"http://{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .expect("config");
    let dc = dir.path().to_str().expect("utf8").to_string();
    let mut args = vec!["run", "--target", &reg.url];
    args.extend_from_slice(SMALL);
    let out = regcheck_env(&args, &[("DOCKER_CONFIG", &dc)]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("auths"), "{}", out.stderr);
    let no_config = {
        let mut a = args.clone();
        a.push("--no-docker-config");
        regcheck_env(&a, &[("DOCKER_CONFIG", &dc)])
    };
    assert_eq!(no_config.code, 2, "without the config the run is refused");

    // identitytoken (an ACR refresh token, as `az acr login` stores it): against token auth it
    // feeds the refresh-token grant; against Basic auth it is the null-GUID user's password.
    for mode in ["token", "basic"] {
        let reg = serve(mode, "u", "p-unused-99", "aad-for-identity");
        let host = reg.url.trim_start_matches("http://").to_string();
        let refresh = tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async {
                let resp = reqwest::Client::new()
                    .post(format!("{}/oauth2/exchange", reg.url))
                    .form(&[
                        ("grant_type", "access_token"),
                        ("service", host.as_str()),
                        ("access_token", "aad-for-identity"),
                    ])
                    .send()
                    .await
                    .expect("exchange");
                let v: serde_json::Value = resp.json().await.expect("json");
                v["refresh_token"]
                    .as_str()
                    .expect("refresh token")
                    .to_string()
            });
        std::fs::write(
            dir.path().join("config.json"),
            format!(
                r#"{{"auths": {{"{host}": {{"auth": "MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==", "identitytoken": "{refresh}"}}}}}}"#
            ),
        )
        .expect("config");
        let mut args = vec!["run", "--target", &reg.url];
        args.extend_from_slice(SMALL);
        let out = regcheck_env(&args, &[("DOCKER_CONFIG", &dc)]);
        assert_eq!(out.code, 0, "{mode}: {}\n{}", out.stdout, out.stderr);
        assert!(!(out.stdout + &out.stderr).contains(&refresh));
    }
}

#[test]
fn password_flag_is_refused_and_stdin_is_accepted() {
    let reg = serve("basic", "stdin-user", "stdin-pw-31", "aad-x");
    let out = regcheck_env(
        &[
            "run",
            "--target",
            &reg.url,
            "--username",
            "stdin-user",
            "--password",
            "stdin-pw-31",
        ],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--password-stdin"), "{}", out.stderr);
    assert!(out.stderr.contains("REGCHECK_PASSWORD"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("stdin-pw-31"),
        "the password is echoed"
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args([
            "run",
            "-q",
            "--target",
            &reg.url,
            "--username",
            "stdin-user",
        ])
        .args(["--password-stdin"])
        .args(SMALL)
        .env("DOCKER_CONFIG", "/nonexistent")
        .env_remove("REGCHECK_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"stdin-pw-31\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // OCI conformance suite variables work too (OCI_ROOT_URL as the target).
    let out = regcheck_env(
        &["run", "-q", "--filter", "^v2-support$"],
        &[
            ("OCI_ROOT_URL", &reg.url),
            ("OCI_USERNAME", "stdin-user"),
            ("OCI_PASSWORD", "stdin-pw-31"),
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// Every file under `dir`, as text.
fn all_files(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        if e.path().is_file() {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(e.path()).expect("read"),
            ));
        }
    }
    out
}

#[test]
fn known_secrets_never_reach_output_logs_or_reports() {
    const PASSWORD: &str = "pw-Sekr1t-4242";
    const AAD: &str = "aad-Sekr1t-9898";
    const AAD_REFRESH: &str = "aadr-Sekr1t-5656";
    let bearer = regex::Regex::new(r"Bearer [A-Za-z0-9_-]{8,}").expect("regex");
    for auth in ["basic", "token"] {
        // A fault makes steps fail, so transcripts (Authorization headers, token bodies)
        // land in the reports.
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .args(["serve", "--addr", &addr, "--auth", auth])
            .args(["--fault", "corrupt-blob-body"])
            .env("REGCHECK_SERVE_USERNAME", "leak-user")
            .env("REGCHECK_SERVE_PASSWORD", PASSWORD)
            .env("REGCHECK_SERVE_AAD_TOKEN", AAD)
            .env("REGCHECK_SERVE_AAD_REFRESH_TOKEN", AAD_REFRESH)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn serve");
        wait_ready(&addr);
        let dir = tempfile::tempdir().expect("tempdir");
        let json = format!("json={}", dir.path().join("r.json").display());
        let junit = format!("junit={}", dir.path().join("r.xml").display());
        let target = format!("http://{addr}");
        let out = regcheck_env(
            &[
                "run",
                "--target",
                &target,
                "--username",
                "leak-user",
                "--report",
                &json,
                "--report",
                &junit,
            ],
            &[
                ("REGCHECK_PASSWORD", PASSWORD),
                ("REGCHECK_AAD_TOKEN", AAD),
                ("REGCHECK_AAD_REFRESH_TOKEN", AAD_REFRESH),
                ("REGCHECK_LOG", "trace"),
                ("RUST_LOG", "trace"),
            ],
        );
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(out.code, 1, "auth {auth}: {}\n{}", out.stdout, out.stderr);
        let reports = all_files(dir.path());
        assert!(
            reports.contains("transcript"),
            "failing steps carry transcripts"
        );
        use base64::Engine;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("leak-user:{PASSWORD}"));
        for (name, text) in [
            ("stdout", &out.stdout),
            ("stderr", &out.stderr),
            ("reports", &reports),
        ] {
            for secret in [PASSWORD, AAD, AAD_REFRESH, basic.as_str()] {
                assert!(!text.contains(secret), "auth {auth}: {name} leaks {secret}");
            }
            assert!(
                !bearer.is_match(text),
                "auth {auth}: a bearer token leaked in {name}"
            );
            assert!(
                !text.contains("refresh_token\":\"ey"),
                "auth {auth}: {name}"
            );
        }
    }
}

#[test]
fn the_aad_refresh_grants_run_only_with_an_aad_refresh_token() {
    let reg = serve("token", "u", "pw-1", "aad-1");
    let filter = ["--filter", "^auth-exchange-aad-refresh$"];
    let report = |dir: &std::path::Path, env: &[(&str, &str)]| {
        let json = dir.join("r.json");
        let spec = format!("json={}", json.display());
        let mut args = vec!["run", "-q", "--target", &reg.url, "--username", "u"];
        args.extend(filter);
        args.extend(["--report", &spec]);
        let out = regcheck_env(&args, env);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("json");
        (out.code, v["scenarios"][0].clone(), v)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let base = [
        ("REGCHECK_PASSWORD", "pw-1"),
        ("REGCHECK_AAD_TOKEN", "aad-1"),
    ];
    let (code, s, v) = report(dir.path(), &base);
    assert_eq!((code, s["outcome"].as_str()), (0, Some("skip")), "{s}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap_or("")
            .contains("aad-refresh-token"),
        "{s}"
    );
    assert_eq!(
        v["capability_evidence"]["aad-refresh-token"],
        "no AAD refresh token given (--aad-refresh-token)"
    );
    // `regcheck serve` accepts its default AAD refresh token.
    let mut with = base.to_vec();
    with.push(("REGCHECK_AAD_REFRESH_TOKEN", "regcheck-aad-refresh-token"));
    let (code, s, _) = report(dir.path(), &with);
    assert_eq!((code, s["outcome"].as_str()), (0, Some("pass")), "{s}");
    // A wrong one is refused (401), which the scenario reports.
    with.pop();
    with.push(("REGCHECK_AAD_REFRESH_TOKEN", "not-the-token"));
    let (code, s, _) = report(dir.path(), &with);
    assert_eq!((code, s["outcome"].as_str()), (1, Some("fail")), "{s}");
}

#[test]
fn verbose_runs_show_every_exchange_with_secrets_redacted() {
    let creds = regcheck::registry::Credentials::default();
    let bearer = regex::Regex::new(r"Bearer [A-Za-z0-9_-]{8,}").expect("regex");
    // A JWT is `header.payload.signature`, each base64url; random base64 (a descriptor's
    // `data`) may contain "eyJ" but never the dots.
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}").expect("regex");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", creds.username, creds.password));
    for flag in ["-v", "-vv"] {
        let out = regcheck_env(&["run", "--no-report", flag], &[]);
        assert_eq!(out.code, 0, "{flag}: {}", out.stdout);
        let err = &out.stderr;
        assert!(
            !out.stdout.contains("\n> "),
            "{flag}: exchanges go to stderr only"
        );
        let exchanges = err.lines().filter(|l| l.starts_with("* ")).count();
        assert!(exchanges > 300, "{flag}: only {exchanges} exchanges shown");
        assert!(err.contains("> Authorization: Bearer <redacted>"), "{flag}");
        assert!(err.contains("< 201"), "{flag}");
        for secret in [
            creds.password.as_str(),
            creds.aad_token.as_str(),
            creds.aad_refresh_token.as_str(),
            basic.as_str(),
        ] {
            assert!(!err.contains(secret), "{flag}: stderr shows {secret}");
        }
        assert!(!bearer.is_match(err), "{flag}: a bearer token is shown");
        assert!(!jwt.is_match(err), "{flag}: a token (JWT) is shown");
        if flag == "-vv" {
            assert!(
                err.contains("grant_type=access_token&"),
                "-vv shows request bodies (form fields, tokens redacted)"
            );
            assert!(err.contains("access_token=<redacted>"), "-vv");
        }
    }
    // Without -v, nothing of the kind.
    let out = regcheck_env(&["run", "--no-report", "--filter", "^v2-support$"], &[]);
    assert!(!out.stderr.contains("\n> "), "{}", out.stderr);
    // load -v: a sample (the first 8, then one a second), redacted the same way.
    let out = regcheck_env(
        &[
            "load",
            "-v",
            "--duration",
            "2s",
            "--workload",
            "pull",
            "--no-report",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("* load"))
        .count();
    assert!((8..=11).contains(&shown), "{shown} sampled exchanges");
    assert!(out.stderr.contains("> authorization: Bearer <redacted>"));
    for secret in [creds.password.as_str(), basic.as_str()] {
        assert!(!out.stderr.contains(secret), "load -v shows {secret}");
    }
    assert!(!bearer.is_match(&out.stderr) && !jwt.is_match(&out.stderr));
}
