//! Redaction and transcripts: what a report or the terminal may show of a step's exchanges —
//! secrets, credentials and token fields redacted, control characters escaped — as the
//! reports' transcripts, the `-v` output, and the text of findings.

use super::result::Transcript;
use crate::client::verbose::{self, Verbosity, WireExchange};
use crate::client::{Observed, secret};
use crate::contract::Operation;
use crate::exchange::Finding;

/// Text the target sent, as a finding may quote it: secrets and URL credentials redacted,
/// control characters escaped so a hostile body cannot drive the terminal.
pub(super) fn redact_text(t: &str, secrets: &[String]) -> String {
    escape_controls(&secret::redact_url_params(&secret::redact(t, secrets)))
}

/// Findings quote what the target sent (headers, bodies): same redaction as transcripts,
/// and control characters escaped.
pub(super) fn redact_findings(findings: &mut [Finding], secrets: &[String]) {
    let redact = |t: &str| redact_text(t, secrets);
    for f in findings {
        f.message = redact(&f.message);
        f.expected = f.expected.as_deref().map(redact);
        f.actual = f.actual.as_deref().map(redact);
    }
}

/// The redacted transcripts of every exchange of a step (retries and redirect hops included).
pub(super) fn transcripts(hops: &[Observed], secrets: &[String]) -> Vec<Transcript> {
    hops.iter()
        .flat_map(|o| o.retried.iter().chain([o]))
        .map(|o| transcript(o, secrets))
        .collect()
}

/// `t` with control characters (ESC, NUL, …; not newlines or tabs) shown as `\u{..}`.
fn escape_controls(t: &str) -> String {
    if !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return t.to_string();
    }
    t.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `-v`: writes every exchange of a step (retries and redirect hops included) to stderr,
/// redacted like the reports' transcripts.
pub(super) fn show_exchanges(
    verbosity: Verbosity,
    scenario: &str,
    step: &str,
    op: Operation,
    hops: &[Observed],
    secrets: &[String],
) {
    if verbosity == Verbosity::Quiet {
        return;
    }
    let limit = verbosity.body_limit();
    for o in hops.iter().flat_map(|o| o.retried.iter().chain([o])) {
        // The terminal must not be driven by what a hostile target sends.
        let mut t = transcript_limited(o, secrets, limit);
        t.response_body = escape_controls(&t.response_body);
        for (_, v) in t.response_headers.iter_mut() {
            *v = escape_controls(v);
        }
        let request_body = (verbosity == Verbosity::Bodies)
            .then(|| request_body_text(o, secrets))
            .flatten();
        verbose::emit(&verbose::render(&WireExchange {
            title: &format!("{} ▸ {step} ({})", scenario, op.name()),
            request_line: &t.request_line,
            request_headers: &t.request_headers,
            request_body: request_body.as_deref(),
            status: t.status,
            response_headers: &t.response_headers,
            response_body: &t.response_body,
        }));
    }
}

/// The request body as redacted text (binary bodies as their length).
fn request_body_text(o: &Observed, secrets: &[String]) -> Option<String> {
    let bytes = o.request.body.as_ref()?;
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => redact_text(&redact_text_tokens(text), secrets),
        Err(_) => format!("<{} bytes of binary>", bytes.len()),
    })
}

/// Text with the values of token fields redacted when it is JSON or a form.
fn redact_text_tokens(text: &str) -> String {
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
        redact_token_fields(&mut v);
        return v.to_string();
    }
    if text.contains('=') && !text.contains(char::is_whitespace) {
        let pairs: Vec<String> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| {
                let sensitive =
                    k.to_ascii_lowercase().contains("token") || k.eq_ignore_ascii_case("password");
                let v = if sensitive { "<redacted>".into() } else { v };
                format!("{k}={v}")
            })
            .collect();
        return pairs.join("&");
    }
    text.to_string()
}

/// A redacted transcript of one exchange (body excerpt of at most 2 KiB, as in reports).
fn transcript(o: &Observed, secrets: &[String]) -> Transcript {
    transcript_limited(o, secrets, Some(2048))
}

/// A redacted transcript with a body excerpt of at most `limit` bytes (`None`: whole).
fn transcript_limited(o: &Observed, secrets: &[String], limit: Option<usize>) -> Transcript {
    let red = |s: &str| secret::redact_url_params(&secret::redact(s, secrets));
    let body = match &o.response.body.bytes {
        Some(b) if !b.is_empty() => match std::str::from_utf8(b) {
            Ok(text) => {
                let text = match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(mut v) => {
                        redact_token_fields(&mut v);
                        v.to_string()
                    }
                    Err(_) => text.to_string(),
                };
                let mut t = red(&text);
                if let Some(limit) = limit
                    && t.len() > limit
                {
                    let mut cut = limit;
                    while !t.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    t.truncate(cut);
                    t.push('…');
                }
                t
            }
            Err(_) => format!("<{} bytes of binary, {}>", b.len(), o.response.body.digest),
        },
        Some(_) => String::new(),
        None => format!(
            "<{} bytes, {}>",
            o.response.body.len, o.response.body.digest
        ),
    };
    Transcript {
        request_line: red(&format!("{} {}", o.request.method, o.request.url)),
        request_headers: o
            .request
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), red(v)))
            .collect(),
        status: o.response.status,
        response_headers: o
            .response
            .headers
            .iter()
            .map(|(k, v)| {
                if secret::is_sensitive_header(k) {
                    (k.clone(), secret::redact_auth_header(v))
                } else {
                    (k.clone(), red(v))
                }
            })
            .collect(),
        response_body: body,
    }
}

/// Replaces the values of JSON fields that hold tokens (`access_token`, `refresh_token`, …).
fn redact_token_fields(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k.to_ascii_lowercase().contains("token") && val.is_string() {
                    *val = serde_json::Value::String("<redacted>".into());
                } else {
                    redact_token_fields(val);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_token_fields),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(escape_controls("x\u{1b}[2Jy\0"), "x\\u{1b}[2Jy\\u{0}");
    }

    #[test]
    fn token_fields_are_redacted_in_json() {
        let mut v =
            serde_json::json!({"access_token": "abc", "nested": [{"refresh_token": "x"}], "n": 1});
        redact_token_fields(&mut v);
        assert_eq!(v["access_token"], "<redacted>");
        assert_eq!(v["nested"][0]["refresh_token"], "<redacted>");
        assert_eq!(v["n"], 1);
    }
}
