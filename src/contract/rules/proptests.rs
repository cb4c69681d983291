//! Property tests: every parser of target input in the rules (`Link`, `Content-Range`,
//! `Range`, upload progress, `Location`/URLs, digests, media types, integers, challenges, JSON
//! bodies and schemas) and `evaluate` itself never panic, whatever a target sends.
//! (`runner::expect` runs the scenario matchers on the same arbitrary exchanges.)

use super::support::{self, RangeSpec};
use super::{auth, evaluate};
use crate::contract::Operation;
use crate::contract::catalogue::HeaderFormat;
use crate::exchange::{Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse};
use bytes::Bytes;
use proptest::prelude::*;

/// Strings that look like the header grammars (so parsers get past their first check), mixed
/// with arbitrary text.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,60}",
        "<[ -~]{0,40}>(; ?(rel|n|last)=\"?[ -~]{0,12}\"?){0,3}",
        "(bytes[ =])?[0-9*]{0,22}-[0-9*]{0,22}(/[0-9*]{0,22})?",
        "(sha256|sha512|[a-z+._-]{0,8}):[0-9a-fA-F]{0,130}",
        "(Bearer|Basic|bearer|)( [a-z]{0,8}=(\"[ -~]{0,20}\"|[a-z:/.]{0,20}),?){0,4}",
        "(https?://[a-z0-9.:\\[\\]@%]{0,30})?/[ -~]{0,40}",
        "[a-z]{0,10}/[a-z.+-]{0,20}(; ?[a-z]{0,8}=[ -~]{0,10}){0,2}",
    ]
}

/// JSON values of any shape (bounded), serialised, or raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        "[ -~]{0,20}".prop_map(serde_json::Value::from),
    ];
    let json = leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("errors".to_string()),
                        Just("tags".to_string()),
                        Just("name".to_string()),
                        Just("repositories".to_string()),
                        Just("manifests".to_string()),
                        Just("code".to_string()),
                        Just("mediaType".to_string()),
                        "[a-zA-Z]{0,12}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    });
    prop_oneof![
        json.prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

const NAMES: &[&str] = &[
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "Location",
    "Link",
    "Range",
    "Docker-Content-Digest",
    "Docker-Upload-UUID",
    "Docker-Distribution-Api-Version",
    "WWW-Authenticate",
    "Accept-Ranges",
    "Content-Encoding",
    "Retry-After",
];

/// Any exchange: arbitrary statuses, headers and bodies (also used by `runner::expect`).
pub(crate) fn exchange() -> impl Strategy<Value = Exchange> {
    (
        0..Operation::ALL.len(),
        prop::sample::select(vec!["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]),
        "/v2/[a-z/]{0,12}(blobs|manifests|tags|_tags|uploads)/[ -~]{0,30}",
        prop::collection::vec((prop::sample::select(NAMES), header_value()), 0..8),
        prop::collection::vec((prop::sample::select(NAMES), header_value()), 0..3),
        any::<u16>(),
        body(),
        any::<bool>(),
    )
        .prop_map(
            |(op, method, path, headers, req_headers, status, body, flags)| {
                let digest = support::sha256_digest(&body);
                Exchange {
                    op: Operation::ALL[op],
                    request: ObservedRequest {
                        method: method.to_string(),
                        url: format!("http://127.0.0.1:5000{path}"),
                        headers: req_headers
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                        body_len: body.len() as u64,
                        body: flags.then(|| Bytes::from(body.clone())),
                    },
                    response: ObservedResponse {
                        status: status % 600,
                        headers: headers
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                        body: ObservedBody {
                            len: body.len() as u64,
                            digest,
                            bytes: Some(Bytes::from(body)),
                            incomplete: (!flags).then(|| "reset".to_string()),
                        },
                    },
                    context: ExchangeContext {
                        expects_api_version_header: flags,
                        via_redirect: !flags,
                        ranges_advertised: flags,
                        authenticated: !flags,
                        referrers_api: flags,
                        target: if flags {
                            crate::contract::Target::Acr
                        } else {
                            crate::contract::Target::Oci
                        },
                    },
                }
            },
        )
}

proptest! {
    #[test]
    fn header_parsers_never_panic(s in header_value(), total in any::<u64>()) {
        let _ = support::parse_link(&s);
        let _ = support::parse_content_range(&s);
        let _ = support::parse_upload_range(&s);
        let _ = support::parse_u64(&s);
        let _ = support::is_digest(&s);
        let _ = support::is_url(&s);
        let _ = support::is_media_type(&s);
        let _ = support::media_type_base(&s);
        let _ = auth::parse_challenge(&s);
        if let Some(spec) = support::parse_range_request(&s) {
            let r: RangeSpec = spec;
            if let Some((a, b)) = r.resolve(total) {
                prop_assert!(a <= b && b < total, "{s:?} resolved to {a}-{b} of {total}");
            }
        }
        for f in [
            HeaderFormat::Integer,
            HeaderFormat::Digest,
            HeaderFormat::Url,
            HeaderFormat::Token,
            HeaderFormat::UploadRange,
            HeaderFormat::ContentRange,
            HeaderFormat::MediaType,
            HeaderFormat::Link,
        ] {
            let _ = support::format_ok(f, &s);
        }
    }

    #[test]
    fn every_rule_judges_any_exchange_without_panicking(ex in exchange()) {
        for r in evaluate(&ex) {
            if let crate::exchange::Verdict::Fail(f) = r.verdict {
                prop_assert!(!f.message.is_empty(), "{}: empty message", r.rule.id);
            }
        }
        let _ = ex.response.json();
        let _ = support::json_body(&ex);
    }
}
