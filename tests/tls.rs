//! TLS end to end: the embedded registry over https (`--embedded-tls`, `serve --tls`,
//! `serve --tls-cert/--tls-key`); the client verifies by default, trusts `--ca-cert`, accepts
//! anything with `--insecure`, and explains an unknown CA, a wrong host name and http spoken
//! to a TLS port; plain http off loopback and https→http redirects are refused.

use crate::common::fake::{fake_server, h};
use crate::common::{failed_rules, free_port, read_report, regcheck, run_against, wait_ready};
use regcheck::registry::{AuthMode, RegistryConfig, RunningRegistry, TlsSetup};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// An in-process registry on its own runtime; stopped on drop.
struct Reg {
    running: Option<RunningRegistry>,
    runtime: tokio::runtime::Runtime,
}

impl Reg {
    fn start(config: RegistryConfig) -> Reg {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(regcheck::registry::start(config))
            .expect("start registry");
        Reg {
            running: Some(running),
            runtime,
        }
    }

    fn r(&self) -> &RunningRegistry {
        self.running.as_ref().expect("running")
    }
}

impl Drop for Reg {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.runtime.block_on(r.shutdown());
        }
    }
}

fn tls_registry(auth: AuthMode, setup: TlsSetup) -> Reg {
    Reg::start(RegistryConfig {
        auth,
        tls: Some(setup),
        ..RegistryConfig::default()
    })
}

const V2: &[&str] = &["--filter", "^(v2-support|blob-upload-monolithic)$"];

fn with(extra: &[&str]) -> Vec<String> {
    V2.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(target: &str, extra: &[&str]) -> crate::common::CliOutput {
    let args = with(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_against(target, &args)
}

#[test]
fn verified_by_ca_cert_or_insecure_and_refused_otherwise() {
    let reg = tls_registry(AuthMode::None, TlsSetup::Generate);
    let url = reg.r().url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca = reg.r().ca_cert_path().expect("generated CA").to_owned();
    let ca = ca.to_str().expect("utf8");
    let ok = run(&url, &["--ca-cert", ca]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    // The certificate names localhost too.
    let localhost = url.replace("127.0.0.1", "localhost");
    let ok = run(&localhost, &["--ca-cert", ca]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    // Unknown CA: verified by default, so refused, with what to do.
    let refused = run(&url, &[]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("unknown CA") && refused.stderr.contains("--ca-cert"),
        "{}",
        refused.stderr
    );
    // --insecure is the explicit opt-out.
    let insecure = run(&url, &["--insecure"]);
    assert_eq!(insecure.code, 0, "{}\n{}", insecure.stdout, insecure.stderr);
    // http spoken to the TLS port.
    let plain = run(&url.replace("https://", "http://"), &[]);
    assert_eq!(plain.code, 2);
    assert!(plain.stderr.contains("https://"), "{}", plain.stderr);
    // A CA file that is not one.
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "junk").expect("write");
    let bad = run(&url, &["--ca-cert", junk.to_str().expect("utf8")]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--ca-cert"), "{}", bad.stderr);
}

/// Writes a CA and a server certificate for `names` signed by it; returns the file paths
/// (ca, cert, key).
fn cert_files(dir: &std::path::Path, names: &[&str]) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, cert, key) = regcheck::registry::generate_certificates(names).expect("generate");
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca).expect("ca");
    std::fs::write(&paths.1, cert).expect("cert");
    std::fs::write(&paths.2, key).expect("key");
    paths
}

#[test]
fn a_certificate_for_another_host_name_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = cert_files(dir.path(), &["registry.other.example"]);
    let reg = tls_registry(AuthMode::None, TlsSetup::Files { cert, key });
    let out = run(&reg.r().url(), &["--ca-cert", ca.to_str().expect("utf8")]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("not valid for this host name"),
        "{}",
        out.stderr
    );
    let insecure = run(&reg.r().url(), &["--insecure"]);
    assert_eq!(insecure.code, 0, "{}", insecure.stderr);
}

#[test]
fn the_whole_suite_passes_over_tls_in_token_mode() {
    for extra in [&[][..], &["--embedded-redirect-blobs"][..]] {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = dir.path().join("r.json");
        let spec = format!("json={}", report.display());
        let mut args = vec!["run", "-q", "--embedded-tls", "--embedded-auth", "token"];
        args.extend_from_slice(extra);
        args.extend(["--report", &spec]);
        let out = regcheck(&args);
        assert_eq!(out.code, 0, "{extra:?}: {}\n{}", out.stdout, out.stderr);
        let r = read_report(&report);
        assert_eq!(failed_rules(&r), Vec::<String>::new());
        assert!(
            r["target"].as_str().unwrap_or("").starts_with("https://"),
            "{}",
            r["target"]
        );
        assert_eq!(r["summary"]["skipped"], 0, "{extra:?}: {}", out.stdout);
        assert!(r["summary"]["passed"].as_u64().unwrap_or(0) >= 40);
    }
}

/// A `regcheck serve` child with extra args; returns it and the lines it printed before
/// listening (read until the CA or certificate line).
fn serve_tls(args: &[&str]) -> (std::process::Child, String, Vec<String>) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["serve", "--addr", &addr])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn serve");
    wait_ready(&addr);
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let done = line.starts_with("tls:");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    (child, format!("https://{addr}"), lines)
}

#[test]
fn serve_tls_prints_its_ca_and_serve_takes_given_certificates() {
    let (mut child, url, lines) = serve_tls(&["--tls"]);
    let ca = lines
        .iter()
        .find_map(|l| l.strip_prefix("tls: CA certificate "))
        .and_then(|l| l.split(' ').next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no CA path printed: {lines:?}"));
    assert!(ca.is_file(), "{}", ca.display());
    assert!(lines.iter().any(|l| l.contains(&url)), "{lines:?}");
    let out = run(&url, &["--ca-cert", ca.to_str().expect("utf8")]);
    // SIGTERM: the registry stops and removes its throwaway CA.
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!ca.exists(), "the throwaway CA outlived the registry");

    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = cert_files(dir.path(), &["127.0.0.1"]);
    let (mut child, url, lines) = serve_tls(&[
        "--tls-cert",
        cert.to_str().expect("utf8"),
        "--tls-key",
        key.to_str().expect("utf8"),
    ]);
    let out = run(&url, &["--ca-cert", ca.to_str().expect("utf8")]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines.iter().any(|l| l.contains("given certificate")),
        "{lines:?}"
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Mismatched key: a clear startup error, exit 2.
    let (_, _, other_key) = cert_files(&dir.path().join("x").tap_mkdir(), &["127.0.0.1"]);
    let bad = regcheck(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().expect("utf8"),
        "--tls-key",
        other_key.to_str().expect("utf8"),
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("do not match"), "{}", bad.stderr);
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).expect("mkdir");
        self
    }
}

#[test]
fn plain_http_off_loopback_is_refused_before_connecting() {
    let out = run_against("http://registry.example.invalid", &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("plain http") && out.stderr.contains("--insecure"),
        "{}",
        out.stderr
    );
    // With --insecure the name is tried (and cannot resolve).
    let out = run_against("http://registry.example.invalid", &["--insecure"]);
    assert_eq!(out.code, 2);
    assert!(
        !out.stderr.contains("plain http on a non-loopback"),
        "{}",
        out.stderr
    );
}

/// A one-shot-per-connection https server on loopback answering with `handler(request line,
/// headers)`; returns its URL and the CA file that signed its certificate.
fn https_fake(
    dir: &std::path::Path,
    handler: impl Fn(&str, &[(String, String)]) -> (String, Vec<(String, String)>, Vec<u8>)
    + Send
    + Sync
    + 'static,
) -> String {
    let (ca, cert, key) = regcheck::registry::generate_certificates(&["127.0.0.1"]).expect("gen");
    std::fs::write(dir.join("ca.pem"), ca).expect("ca");
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("config");
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in listener.incoming().take(100) {
            let Ok(mut tcp) = conn else { continue };
            let Ok(mut tls) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head).into_owned();
            let mut lines = text.lines();
            let line = lines.next().unwrap_or("").to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let (status, resp_headers, body) = handler(&line, &headers);
            let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
            for (k, v) in resp_headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            tls.send_close_notify();
            let _ = tls.complete_io(&mut tcp);
        }
    });
    url
}

#[test]
fn an_https_to_http_redirect_is_refused_unless_insecure() {
    const CONTENT: &[u8] = b"blob bytes over plain http";
    use sha2::Digest;
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(CONTENT)));
    let (plain, plain_seen) = fake_server(|_, _| ("200 OK".into(), vec![], CONTENT.to_vec()));
    let dir = tempfile::tempdir().expect("tempdir");
    let to = format!("{plain}/blob");
    let d2 = digest.clone();
    let url = https_fake(dir.path(), move |line, _| {
        let api = h("Docker-Distribution-Api-Version", "registry/2.0");
        if line.starts_with("GET /v2/ ") {
            return (
                "200 OK".into(),
                vec![api, h("Content-Type", "application/json")],
                b"{}".to_vec(),
            );
        }
        if line.contains("/blobs/") {
            return (
                "307 Temporary Redirect".into(),
                vec![api, h("Location", &to), h("Docker-Content-Digest", &d2)],
                Vec::new(),
            );
        }
        (
            "404 Not Found".into(),
            vec![api, h("Content-Type", "application/json")],
            br#"{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}"#.to_vec(),
        )
    });
    let scenario = dir.path().join("redirect.yaml");
    std::fs::write(
        &scenario,
        format!(
            "name: downgrade\nsteps:\n  - name: get redirected blob\n    op: GetBlob\n    request: {{ path: \"/v2/{{{{repo}}}}/blobs/{digest}\" }}\n    expect: {{ status: 200, body_digest: \"{digest}\" }}\n"
        ),
    )
    .expect("scenario");
    let ca = dir.path().join("ca.pem");
    let args = [
        "--scenarios",
        scenario.to_str().expect("utf8"),
        "--ca-cert",
        ca.to_str().expect("utf8"),
    ];
    let refused = run_against(&url, &args);
    assert_ne!(refused.code, 0, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains("plain http"),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert!(
        plain_seen.lock().expect("lock").is_empty(),
        "the http host was contacted"
    );
    let mut insecure_args = args.to_vec();
    insecure_args.push("--insecure");
    let allowed = run_against(&url, &insecure_args);
    assert_eq!(allowed.code, 0, "{}\n{}", allowed.stdout, allowed.stderr);
    let seen = plain_seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(!seen[0].1.iter().any(|(k, _)| k == "authorization"));
}
