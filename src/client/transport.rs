//! The HTTP transport: a reqwest client with TLS verified by default (webpki roots, plus
//! `--ca-cert FILE`), `--insecure` as the explicit opt-out, connect and read timeouts, no
//! redirects followed (the runner follows them hop by hop), no proxy. And the rules on plain
//! http: a target may be `http://` only on loopback or with `--insecure`, and an https target
//! never leads the client to http (a downgrading redirect) unless `--insecure`.

use crate::client::error::ClientError;
use crate::client::origin::{is_loopback, strip_query};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// TLS choices of a run.
#[derive(Debug, Clone, Default)]
pub struct TransportOptions {
    /// Accept any certificate and plain http anywhere (`--insecure`).
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM file, `--ca-cert`).
    pub ca_cert: Option<PathBuf>,
}

/// Longest wait for a TCP + TLS connection.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the HTTP client. `timeout` bounds a whole request and each read.
pub fn build(
    options: &TransportOptions,
    timeout: Duration,
    limits: &super::Limits,
) -> Result<reqwest::Client, ClientError> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The whole-request deadline, also for paths that drive the pool themselves (load).
        .timeout(timeout)
        .connect_timeout(limits.connect_timeout.min(timeout))
        .user_agent(concat!("regcheck/", env!("CARGO_PKG_VERSION")))
        // Every path through this pool (the load engine's too) asks for bytes as stored.
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("identity"),
        )]))
        .no_proxy();
    if let Some(path) = &options.ca_cert {
        for cert in load_ca(path)? {
            b = b.add_root_certificate(cert);
        }
    }
    if options.insecure {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build().map_err(|e| ClientError::Build(e.to_string()))
}

fn load_ca(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let bad =
        |detail: String| ClientError::Build(format!("--ca-cert {}: {detail}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if meta.len() > 4 * 1024 * 1024 {
        return Err(bad("larger than 4 MiB; expected PEM certificates".into()));
    }
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| bad(format!("not PEM certificates ({e})")))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// A target may be plain http only on loopback, or with `--insecure`.
pub fn check_target(target: &Url, options: &TransportOptions) -> Result<(), ClientError> {
    if target.scheme() == "http" && !options.insecure && !is_loopback(target) {
        return Err(ClientError::Insecure(format!(
            "--target {} is plain http on a non-loopback host: credentials and content would cross the network unencrypted; use https://, or pass --insecure if you really mean it",
            strip_query(target)
        )));
    }
    Ok(())
}

/// An https target never leads to an http URL (a downgrading redirect), unless `--insecure`.
pub fn check_request(
    target: &Url,
    url: &Url,
    options: &TransportOptions,
) -> Result<(), ClientError> {
    if target.scheme() == "https" && url.scheme() == "http" && !options.insecure {
        return Err(ClientError::Insecure(format!(
            "refusing to follow the https target to plain http ({}); pass --insecure to allow the downgrade",
            strip_query(url)
        )));
    }
    Ok(())
}

/// A clear message for a TLS failure, from the error chain's text (rustls' wording).
pub(crate) fn tls_hint(detail: &str) -> Option<&'static str> {
    let d = detail.to_ascii_lowercase();
    if d.contains("notvalidforname") || d.contains("not valid for name") {
        Some(
            "the server's certificate is not valid for this host name; use the name it was issued for, or --insecure",
        )
    } else if d.contains("unknownissuer") || d.contains("unknown issuer") {
        Some(
            "the server's certificate is signed by an unknown CA; pass --ca-cert FILE with that CA, or --insecure",
        )
    } else if d.contains("expired") && d.contains("certificate") {
        Some(
            "the server's certificate has expired (or the clock is wrong); renew it, or --insecure",
        )
    } else if d.contains("invalidcontenttype")
        || d.contains("corrupt message")
        || d.contains("invalid message")
        || d.contains("wrong version number")
    {
        Some("the server does not speak TLS on this port; use http:// if it is plain http")
    } else if d.contains("certificate") || d.contains("tls handshake") {
        Some("the TLS handshake failed; check --ca-cert, or --insecure")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_unless_insecure() {
        let strict = TransportOptions::default();
        let insecure = TransportOptions {
            insecure: true,
            ..Default::default()
        };
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_target(&u("http://127.0.0.1:5000"), &strict).is_ok());
        assert!(check_target(&u("http://localhost:5000"), &strict).is_ok());
        assert!(check_target(&u("https://reg.example"), &strict).is_ok());
        let e = check_target(&u("http://reg.example"), &strict).unwrap_err();
        assert!(e.to_string().contains("--insecure"), "{e}");
        assert!(check_target(&u("http://reg.example"), &insecure).is_ok());
        let https = u("https://reg.example");
        assert!(check_request(&https, &u("https://blob.example/x"), &strict).is_ok());
        let e = check_request(&https, &u("http://blob.example/x?sig=s"), &strict).unwrap_err();
        assert!(e.to_string().contains("plain http"), "{e}");
        assert!(!e.to_string().contains("sig=s"));
        assert!(check_request(&https, &u("http://blob.example/x"), &insecure).is_ok());
        assert!(check_request(&u("http://127.0.0.1:1"), &u("http://h/x"), &strict).is_ok());
    }

    #[test]
    fn ca_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let e = build(
            &TransportOptions {
                ca_cert: Some(p),
                ..Default::default()
            },
            Duration::from_secs(1),
            &crate::client::Limits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("--ca-cert"), "{e}");
        let e = build(
            &TransportOptions {
                ca_cert: Some(dir.path().join("missing.pem")),
                ..Default::default()
            },
            Duration::from_secs(1),
            &crate::client::Limits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("missing.pem"), "{e}");
    }

    #[test]
    fn tls_failures_get_hints() {
        assert!(
            tls_hint("invalid peer certificate: UnknownIssuer")
                .unwrap()
                .contains("--ca-cert")
        );
        assert!(
            tls_hint("invalid peer certificate: NotValidForName")
                .unwrap()
                .contains("host name")
        );
        assert_eq!(tls_hint("connection refused"), None);
    }
}
