//! Load mode's verdicts on what it receives, by the contract rules themselves. Each request a
//! workload sends names the rules of its operation that stay on under load ([`Checks`]: typed
//! references to the rule constants of `contract::rules`, never ids spelled as strings); the
//! response head — and, once read and verified, the body's length and digest — is judged by
//! those very checks, under the profile every target is bound by (OCI: load does not probe
//! for ACR). A MUST broken fails the operation with that rule's id; a SHOULD broken is counted
//! as a warning of that rule and the operation goes on.
//!
//! The rules are pure functions of what they see, and a load run sees the same answer again and
//! again; an answer judged clean once (byte for byte the same request and response head, the
//! same body length and digest) is not judged again — a per-thread set of those answers, so
//! that judging costs a lookup on the hot path (`benches/load-cost-compare.sh`).

use super::metrics::Failure;
use crate::client::fields::HeaderView;
use crate::contract::Operation;
use crate::contract::rules::{self as r, Rule};
use crate::exchange::{
    Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse, Verdict,
};
use crate::vocab::{Severity, Target};
use reqwest::Method;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use url::Url;

/// The rules judged on the responses of one kind of request under load.
#[derive(Debug)]
pub struct Checks {
    /// The operation the request performs.
    pub op: Operation,
    /// Judged on every response head (redirect hops included).
    pub head: &'static [&'static Rule],
    /// Judged once the body has been read and verified (they look at its length or digest).
    pub body: &'static [&'static Rule],
    /// The MUST a body in an unrequested content coding cannot meet (its bytes are not the
    /// content's, so they cannot hash to its digest): with one, such an answer fails by this
    /// rule before its body is read — nothing is inflated or hashed in vain.
    pub encoded_body_breaks: Option<&'static Rule>,
}

/// `pull`: a blob GET.
pub const PULL: Checks = Checks {
    op: Operation::GetBlob,
    head: &[
        &r::GET_BLOB_CONTENT_ENCODING_REQUESTED,
        &r::GET_BLOB_DIGEST_HEADER_MATCHES,
        &r::GET_BLOB_REDIRECT_LOCATION,
    ],
    body: &[],
    encoded_body_breaks: Some(&r::GET_BLOB_DIGEST_MATCHES_BODY),
};

/// `pull-range`: a blob GET with `Range`.
pub const PULL_RANGE: Checks = Checks {
    op: Operation::GetChunk,
    head: &[
        &r::GET_CHUNK_CONTENT_ENCODING_REQUESTED,
        &r::GET_CHUNK_REDIRECT_LOCATION,
    ],
    body: &[&r::GET_CHUNK_CONTENT_RANGE_MATCHES],
    encoded_body_breaks: None,
};

/// `head`: a blob HEAD.
pub const HEAD: Checks = Checks {
    op: Operation::CheckBlobExists,
    head: &[
        &r::CHECK_BLOB_EXISTS_HEADERS,
        &r::CHECK_BLOB_EXISTS_REDIRECT_LOCATION,
    ],
    body: &[],
    encoded_body_breaks: None,
};

/// The POST opening an upload.
pub const START_UPLOAD: Checks = Checks {
    op: Operation::StartUpload,
    head: &[&r::START_UPLOAD_LOCATION_PRESENT],
    body: &[],
    encoded_body_breaks: None,
};

/// A PATCH of a chunked upload.
pub const UPLOAD_CHUNK: Checks = Checks {
    op: Operation::UploadChunk,
    head: &[
        &r::UPLOAD_CHUNK_RANGE_MATCHES_CONTENT_RANGE,
        &r::UPLOAD_CHUNK_LOCATION_PRESENT,
    ],
    body: &[],
    encoded_body_breaks: None,
};

/// The PUT closing an upload.
pub const COMPLETE_UPLOAD: Checks = Checks {
    op: Operation::CompleteUpload,
    head: &[&r::COMPLETE_UPLOAD_DIGEST_HEADER_MATCHES],
    body: &[],
    encoded_body_breaks: None,
};

/// `manifest-get`.
pub const MANIFEST_GET: Checks = Checks {
    op: Operation::GetManifest,
    head: &[&r::GET_MANIFEST_CONTENT_ENCODING_REQUESTED],
    body: &[&r::GET_MANIFEST_DIGEST_MATCHES_BODY],
    encoded_body_breaks: Some(&r::GET_MANIFEST_DIGEST_MATCHES_BODY),
};

/// `image-pull`'s tag resolution: a manifest HEAD by tag (no body, no digest to check it by;
/// the workload compares the digest with the one it pushed).
pub const RESOLVE_TAG: Checks = Checks {
    op: Operation::GetManifest,
    head: &[],
    body: &[],
    encoded_body_breaks: None,
};

/// `manifest-put`.
pub const MANIFEST_PUT: Checks = Checks {
    op: Operation::CreateManifest,
    head: &[&r::CREATE_MANIFEST_DIGEST_HEADER],
    body: &[],
    encoded_body_breaks: None,
};

/// One response as the rules see it.
pub struct Seen<'a> {
    /// Method sent.
    pub method: &'a Method,
    /// URL asked.
    pub url: &'a Url,
    /// Headers sent (besides the pool's `Accept-Encoding: identity` and the credentials).
    pub sent: &'a [(&'a str, String)],
    /// Credentials went along.
    pub authenticated: bool,
    /// A hop to another origin (storage): registry-only header rules do not apply.
    pub via_redirect: bool,
    /// Status received.
    pub status: u16,
    /// Headers received.
    pub headers: HeaderView<'a>,
}

/// SHOULD-level rules broken under load, by rule id (the whole run, prepare included).
#[derive(Debug, Default)]
pub struct Warnings(Mutex<BTreeMap<&'static str, u64>>);

impl Warnings {
    fn add(&self, rule: &'static str) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(rule).or_default() += 1;
    }

    /// The counts so far.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
}

/// Judges a response head by `checks`: its head rules, then — for a 2xx in a content coding
/// the request did not accept — the MUST such a body cannot meet.
pub fn judge_head(checks: &Checks, seen: &Seen<'_>, warnings: &Warnings) -> Result<(), Failure> {
    judge(checks.op, checks.head, seen, None, warnings)?;
    let (Some(rule), true) = (
        checks.encoded_body_breaks,
        (200..300).contains(&seen.status),
    ) else {
        return Ok(());
    };
    let coding = seen
        .headers
        .get_all("content-encoding")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"));
    match coding {
        None => Ok(()),
        Some(c) => Err(Failure::contract(
            rule.id,
            format!(
                "{} {}: the body is {c}-encoded although identity was asked for: its bytes are not the content, so they cannot hash to its digest (not read)",
                seen.method,
                crate::client::strip_query(seen.url)
            ),
        )),
    }
}

/// Judges `seen` (with `body` when it was read) by `rules`: the first MUST broken is the
/// operation's failure; SHOULDs broken are counted in `warnings`.
pub fn judge(
    op: Operation,
    rules: &[&'static Rule],
    seen: &Seen<'_>,
    body: Option<ObservedBody>,
    warnings: &Warnings,
) -> Result<(), Failure> {
    if rules.is_empty() {
        return Ok(());
    }
    CLEAN.with(|clean| {
        let mut clean = clean.borrow_mut();
        let clean = &mut *clean;
        key(&mut clean.key, op, rules, seen, body.as_ref());
        if clean.seen.contains(clean.key.as_slice()) {
            return Ok(());
        }
        let warned = judge_now(op, rules, seen, body, warnings)?;
        if !warned {
            if clean.seen.len() >= CLEAN_CAPACITY {
                clean.seen.clear();
            }
            clean.seen.insert(clean.key.as_slice().into());
        }
        Ok(())
    })
}

/// Answers judged clean, per thread, at most this many (then forgotten all at once).
const CLEAN_CAPACITY: usize = 4096;

#[derive(Default)]
struct Clean {
    /// The key being built (reused).
    key: Vec<u8>,
    /// foldhash: a few hundred bytes hashed per lookup, where SipHash's cost showed.
    seen: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
}

thread_local! {
    static CLEAN: RefCell<Clean> = RefCell::new(Clean::default());
}

/// Everything an exchange is built from, length-prefixed so that no two differ by framing.
fn key(
    out: &mut Vec<u8>,
    op: Operation,
    rules: &[&'static Rule],
    seen: &Seen<'_>,
    body: Option<&ObservedBody>,
) {
    fn put(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out.clear();
    put(out, op.name().as_bytes());
    for r in rules {
        put(out, r.id.as_bytes());
    }
    put(out, seen.method.as_str().as_bytes());
    put(out, seen.url.as_str().as_bytes());
    for (k, v) in seen.sent {
        put(out, k.as_bytes());
        put(out, v.as_bytes());
    }
    out.push(u8::from(seen.authenticated) | u8::from(seen.via_redirect) << 1);
    out.extend_from_slice(&seen.status.to_le_bytes());
    for (k, v) in seen.headers.iter() {
        put(out, k.as_bytes());
        put(out, v);
    }
    if let Some(b) = body {
        out.extend_from_slice(&b.len.to_le_bytes());
        put(out, b.digest.as_bytes());
    }
}

/// Runs the rules; `Ok(true)` when a SHOULD was broken (counted in `warnings`).
fn judge_now(
    op: Operation,
    rules: &[&'static Rule],
    seen: &Seen<'_>,
    body: Option<ObservedBody>,
    warnings: &Warnings,
) -> Result<bool, Failure> {
    let ex = exchange(op, seen, body);
    let mut warned = false;
    let mut failure = None;
    for rule in rules {
        let Verdict::Fail(f) = rule.run(&ex) else {
            continue;
        };
        match f.severity {
            Severity::Fail if failure.is_none() => {
                let mut detail = format!(
                    "{} {}: {}",
                    seen.method,
                    crate::client::strip_query(seen.url),
                    f.message
                );
                if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
                    detail.push_str(&format!(" (expected {e}, got {a})"));
                }
                failure = Some(Failure::contract(rule.id, detail));
            }
            Severity::Fail => {}
            _ => {
                warned = true;
                warnings.add(rule.id);
            }
        }
    }
    failure.map_or(Ok(warned), Err)
}

fn exchange(op: Operation, seen: &Seen<'_>, body: Option<ObservedBody>) -> Exchange {
    let mut request_headers: Vec<(String, String)> = Vec::with_capacity(seen.sent.len() + 1);
    request_headers.push(("accept-encoding".into(), "identity".into()));
    request_headers.extend(seen.sent.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let headers = seen
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    Exchange {
        op,
        request: ObservedRequest {
            method: seen.method.as_str().to_string(),
            url: seen.url.as_str().to_string(),
            headers: request_headers,
            body_len: 0,
            body: None,
        },
        response: ObservedResponse {
            status: seen.status,
            headers,
            body: body.unwrap_or_default(),
        },
        context: ExchangeContext {
            via_redirect: seen.via_redirect,
            authenticated: seen.authenticated,
            target: Target::Oci,
            ..ExchangeContext::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn seen<'a>(
        method: &'a Method,
        url: &'a Url,
        sent: &'a [(&'a str, String)],
        status: u16,
        headers: &'a HeaderMap,
    ) -> Seen<'a> {
        Seen {
            method,
            url,
            sent,
            authenticated: false,
            via_redirect: false,
            status,
            headers: HeaderView::Map(headers),
        }
    }

    const DIGEST: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn a_must_fails_with_the_rule_that_broke() {
        let url = Url::parse(&format!("http://r.test/v2/x/blobs/{DIGEST}")).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "docker-content-digest",
            HeaderValue::from_static("sha256:00"),
        );
        let w = Warnings::default();
        let f = judge(
            PULL.op,
            PULL.head,
            &seen(&Method::GET, &url, &[], 200, &h),
            None,
            &w,
        )
        .unwrap_err();
        assert_eq!(f.rule, Some("GetBlob.digest-header-matches"));
        assert!(
            f.detail.contains("differs from the requested digest"),
            "{}",
            f.detail
        );
        h.insert(
            "docker-content-digest",
            HeaderValue::from_str(DIGEST).unwrap(),
        );
        judge(
            PULL.op,
            PULL.head,
            &seen(&Method::GET, &url, &[], 200, &h),
            None,
            &w,
        )
        .unwrap();
        assert!(w.counts().is_empty());
    }

    #[test]
    fn a_should_is_a_warning_of_the_operation_that_was_asked() {
        // A redirect without Location: RFC 9110 says SHOULD; for a HEAD it is the HEAD's rule.
        let url = Url::parse(&format!("http://r.test/v2/x/blobs/{DIGEST}")).unwrap();
        let h = HeaderMap::new();
        let w = Warnings::default();
        judge(
            HEAD.op,
            HEAD.head,
            &seen(&Method::HEAD, &url, &[], 307, &h),
            None,
            &w,
        )
        .unwrap();
        judge(
            PULL.op,
            PULL.head,
            &seen(&Method::GET, &url, &[], 307, &h),
            None,
            &w,
        )
        .unwrap();
        let counts = w.counts();
        assert_eq!(counts["CheckBlobExists.redirect-location"], 1);
        assert_eq!(counts["GetBlob.redirect-location"], 1);
        // A manifest redirect has no such rule: nothing is counted for it.
        let m = Url::parse("http://r.test/v2/x/manifests/t").unwrap();
        judge(
            MANIFEST_GET.op,
            MANIFEST_GET.head,
            &seen(&Method::GET, &m, &[], 307, &h),
            None,
            &w,
        )
        .unwrap();
        assert_eq!(w.counts().len(), 2);
    }

    #[test]
    fn an_encoded_blob_fails_by_the_digest_must_and_warns_by_the_coding_should() {
        let url = Url::parse(&format!("http://r.test/v2/x/blobs/{DIGEST}")).unwrap();
        let mut h = HeaderMap::new();
        h.insert("content-encoding", HeaderValue::from_static("gzip"));
        let w = Warnings::default();
        let s = seen(&Method::GET, &url, &[], 200, &h);
        let f = judge_head(&PULL, &s, &w).unwrap_err();
        assert_eq!(f.rule, Some("GetBlob.digest-matches-body"));
        assert_eq!(w.counts()["GetBlob.content-encoding-requested"], 1);
        // A range has no digest to miss: the coding is only the SHOULD's warning.
        judge_head(&PULL_RANGE, &s, &w).unwrap();
        assert_eq!(w.counts()["GetChunk.content-encoding-requested"], 1);
        h.insert("content-encoding", HeaderValue::from_static("identity"));
        judge_head(&PULL, &seen(&Method::GET, &url, &[], 200, &h), &w).unwrap();
    }

    #[test]
    fn repeated_answers_are_judged_alike() {
        let url = Url::parse(&format!("http://r.test/v2/x/blobs/{DIGEST}")).unwrap();
        let w = Warnings::default();
        let mut bad = HeaderMap::new();
        bad.insert(
            "docker-content-digest",
            HeaderValue::from_static("sha256:00"),
        );
        let mut good = HeaderMap::new();
        good.insert(
            "docker-content-digest",
            HeaderValue::from_str(DIGEST).unwrap(),
        );
        let redirect = HeaderMap::new();
        for _ in 0..3 {
            assert!(judge_head(&PULL, &seen(&Method::GET, &url, &[], 200, &good), &w).is_ok());
            let f = judge_head(&PULL, &seen(&Method::GET, &url, &[], 200, &bad), &w);
            assert_eq!(f.unwrap_err().rule, Some("GetBlob.digest-header-matches"));
            judge_head(&PULL, &seen(&Method::GET, &url, &[], 307, &redirect), &w).unwrap();
        }
        assert_eq!(w.counts()["GetBlob.redirect-location"], 3);
        // The same answer to another request is judged for that request.
        let d2 = format!("sha256:{}", "ab".repeat(32));
        let other = Url::parse(&format!("http://r.test/v2/x/blobs/{d2}")).unwrap();
        let mut good2 = HeaderMap::new();
        good2.insert("docker-content-digest", HeaderValue::from_str(&d2).unwrap());
        judge_head(&PULL, &seen(&Method::GET, &other, &[], 200, &good2), &w).unwrap();
        assert!(judge_head(&PULL, &seen(&Method::GET, &other, &[], 200, &good), &w).is_err());
    }

    #[test]
    fn body_rules_see_the_verified_body() {
        let url = Url::parse("http://r.test/v2/x/manifests/t").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "docker-content-digest",
            HeaderValue::from_str(DIGEST).unwrap(),
        );
        let w = Warnings::default();
        let body = |digest: &str| ObservedBody {
            len: 5,
            digest: digest.into(),
            ..ObservedBody::default()
        };
        let s = seen(&Method::GET, &url, &[], 200, &h);
        judge(
            MANIFEST_GET.op,
            MANIFEST_GET.body,
            &s,
            Some(body(DIGEST)),
            &w,
        )
        .unwrap();
        let f = judge(
            MANIFEST_GET.op,
            MANIFEST_GET.body,
            &s,
            Some(body("sha256:11")),
            &w,
        )
        .unwrap_err();
        assert_eq!(f.rule, Some("GetManifest.digest-matches-body"));
    }

    #[test]
    fn every_rule_named_applies_to_its_checks_operation() {
        for c in [
            &PULL,
            &PULL_RANGE,
            &HEAD,
            &START_UPLOAD,
            &UPLOAD_CHUNK,
            &COMPLETE_UPLOAD,
            &MANIFEST_GET,
            &MANIFEST_PUT,
            &RESOLVE_TAG,
        ] {
            for rule in c.head.iter().chain(c.body).chain(&c.encoded_body_breaks) {
                assert!(
                    rule.applies_to(c.op),
                    "{} is not a rule of {}",
                    rule.id,
                    c.op
                );
                assert!(
                    crate::contract::rules::rule(rule.id).is_some(),
                    "{} is not in the catalogue",
                    rule.id
                );
            }
        }
    }
}
