//! No report format carries a secret: runs with known credentials against registries that
//! fail (an injected fault, so failing steps write transcripts with their Authorization
//! headers, token requests and responses), writing every format; each file is searched for the
//! password, the AAD token, the Basic credential (base64 of `user:password`), issued bearer and
//! refresh tokens.

use crate::common::{free_port, regcheck, run_against_env, wait_ready};
use base64::Engine;
use std::path::Path;

const FORMATS: [(&str, &str); 4] = [
    ("json", "report.json"),
    ("junit", "junit.xml"),
    ("md", "report.md"),
    ("html", "report.html"),
];

/// Every report file in `dir`, asserted free of `secrets` and of unredacted issued tokens.
fn assert_clean(dir: &Path, secrets: &[String], what: &str) {
    let bearer = regex::Regex::new(r"Bearer [A-Za-z0-9_\-.+/=]{16,}").expect("regex");
    let token_field =
        regex::Regex::new(r#"(access_token|refresh_token)\\?"\s*:\s*\\?"[A-Za-z0-9]"#)
            .expect("regex");
    let mut transcripts = 0;
    for (_, file) in FORMATS {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{what}: {file} not written: {e}"));
        for s in secrets {
            assert_eq!(
                text.matches(s.as_str()).count(),
                0,
                "{what}: a secret leaked into {file}"
            );
        }
        assert!(
            !bearer.is_match(&text),
            "{what}: a bearer token leaked into {file}"
        );
        assert!(
            !token_field.is_match(&text),
            "{what}: a token field leaked into {file}"
        );
        if text.contains("Bearer <redacted>")
            || text.contains("Basic <redacted>")
            || text.contains("Bearer &lt;redacted&gt;")
            || text.contains("Basic &lt;redacted&gt;")
        {
            transcripts += 1;
        }
    }
    // JSON, JUnit and HTML carry transcripts with Authorization headers, so the search meant
    // something.
    assert!(
        transcripts >= 3,
        "{what}: only {transcripts} formats carried transcripts"
    );
}

fn report_args(dir: &Path) -> Vec<String> {
    FORMATS
        .iter()
        .flat_map(|(f, file)| {
            [
                "--report".into(),
                format!("{f}={}", dir.join(file).display()),
            ]
        })
        .collect()
}

#[test]
fn no_report_format_contains_the_credentials_of_a_failing_run() {
    let (user, password, aad) = ("ci-user", "pw-Zq81-never-shown", "aad-Xk27-never-shown");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let secrets = [password.to_string(), aad.to_string(), basic];
    for auth in ["basic", "token"] {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .args([
                "serve",
                "--addr",
                &addr,
                "--auth",
                auth,
                "--fault",
                "corrupt-blob-body",
            ])
            .args([
                "--username",
                user,
                "--password",
                password,
                "--aad-token",
                aad,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn regcheck serve");
        wait_ready(&addr);
        let dir = tempfile::tempdir().expect("tempdir");
        // Secrets by environment: the command line refuses --password (process lists).
        let mut args: Vec<String> = ["--username", user].map(String::from).to_vec();
        args.extend(report_args(dir.path()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_against_env(
            &format!("http://{addr}"),
            &refs,
            &[("REGCHECK_PASSWORD", password), ("REGCHECK_AAD_TOKEN", aad)],
        );
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(out.code, 1, "{auth}: {}\n{}", out.stdout, out.stderr);
        for s in &secrets {
            assert!(!out.stdout.contains(s.as_str()) && !out.stderr.contains(s.as_str()));
        }
        assert_clean(dir.path(), &secrets, auth);
    }
}

#[test]
fn no_report_format_of_the_embedded_registry_contains_its_credentials() {
    let creds = regcheck::registry::Credentials::default();
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", creds.username, creds.password));
    let secrets = [creds.password.clone(), creds.aad_token.clone(), basic];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<String> = [
        "run",
        "-q",
        "--embedded-auth",
        "token",
        "--embedded-fault",
        "corrupt-blob-body",
    ]
    .map(String::from)
    .to_vec();
    args.extend(report_args(dir.path()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = regcheck(&refs);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_clean(dir.path(), &secrets, "embedded token");
}

/// The search can fail: a report that quotes the password is caught.
#[test]
#[should_panic(expected = "a secret leaked")]
fn the_secret_search_catches_a_leak() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (_, file) in FORMATS {
        std::fs::write(
            dir.path().join(file),
            "Authorization: Basic <redacted> pw-leaked-1",
        )
        .expect("write");
    }
    assert_clean(dir.path(), &["pw-leaked-1".into()], "planted");
}
