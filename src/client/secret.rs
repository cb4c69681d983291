//! `Secret`: a string (password, token) whose `Debug`/`Display` never show the value, and the
//! redaction of known secrets from text that goes into transcripts and reports.

use std::fmt;

/// A secret value; use `expose()` only where it is sent to the target.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The raw value, for the wire only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Replaces every occurrence of each (non-trivial) secret in `text` by `<redacted>`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.len() >= 4 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "<redacted>");
        }
    }
    out
}

/// Redacts the credential part of an `Authorization`-like header value (`Bearer x` → `Bearer <redacted>`).
pub fn redact_auth_header(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} <redacted>"),
        None => "<redacted>".to_string(),
    }
}

/// Query parameters that carry credentials in URLs (storage SAS signatures, tokens).
const SENSITIVE_QUERY: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "token",
    "access_token",
    "refresh_token",
    "password",
];

/// Replaces the values of credential-bearing query parameters of any URL inside `text` (a
/// request line, a `Location` header) by `<redacted>`; everything else is kept as written.
pub fn redact_url_params(text: &str) -> String {
    let Some(q) = text.find('?') else {
        return text.to_string();
    };
    let (head, query) = text.split_at(q + 1);
    let mut out = String::from(head);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((k, _)) if SENSITIVE_QUERY.iter().any(|s| k.eq_ignore_ascii_case(s)) => {
                out.push_str(k);
                out.push_str("=<redacted>");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// Header names whose values are always credentials.
pub fn is_sensitive_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_leak_through_formatting() {
        let s = Secret::new("hunter22");
        assert!(!format!("{s:?} {s}").contains("hunter22"));
        assert_eq!(s.expose(), "hunter22");
    }

    #[test]
    fn url_signatures_are_redacted() {
        assert_eq!(
            redact_url_params(
                "GET https://acct.blob.core.windows.net/x/data?se=2023&sig=abc%2B&sp=r"
            ),
            "GET https://acct.blob.core.windows.net/x/data?se=2023&sig=<redacted>&sp=r"
        );
        assert_eq!(
            redact_url_params("/v2/a/blobs/uploads/u?_state=xyz&digest=sha256:00"),
            "/v2/a/blobs/uploads/u?_state=xyz&digest=sha256:00"
        );
        assert_eq!(redact_url_params("/v2/"), "/v2/");
    }

    #[test]
    fn redaction_replaces_all_occurrences() {
        let out = redact("token=abcdef and abcdef", &["abcdef".into()]);
        assert_eq!(out, "token=<redacted> and <redacted>");
        assert_eq!(redact_auth_header("Bearer eyJ.x.y"), "Bearer <redacted>");
        assert!(is_sensitive_header("AUTHORIZATION"));
    }
}
