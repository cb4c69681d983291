//! Cross-cutting rules (`all.*`): the status is documented or legal, the API version header,
//! error bodies and codes, `Content-Length` consistency, `Link` syntax, and the format of the
//! headers the catalogue documents.

use super::Rule;
use super::support::{all_of, check, clip, fail, format_ok, is_head, parse_link, parse_u64, shown};
use crate::contract::Surface;
use crate::contract::catalogue::{self, Condition, Origin};
use crate::contract::norms;
use crate::contract::schema::{self, SchemaError};
use crate::exchange::{Exchange, Verdict};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "all.status-documented",
        ops: &[],
        explanation: "A non-error status is one the operation documents or a legal variant (307 redirect, 202 mount fallback, 200 without range support, 304)",
        bindings: norms::B_STATUS,
        check: status_documented,
    },
    Rule {
        id: "all.api-version-header",
        ops: &[],
        explanation: "Registry responses carry Docker-Distribution-Api-Version: registry/2.0 when /v2/ announced it (not token endpoints, not redirect targets)",
        bindings: norms::B_API_VERSION,
        check: api_version_header,
    },
    Rule {
        id: "all.error-body",
        ops: &[],
        explanation: "A 4xx/5xx answer (except HEAD, and 416 range answers) has a JSON body {\"errors\":[{code,message,detail?}]} with a JSON Content-Type",
        bindings: norms::B_ERROR_BODY,
        check: error_body,
    },
    Rule {
        id: "all.error-code-documented",
        ops: &[],
        explanation: "Error codes are OCI/Distribution/ACR codes (BLOB_UNKNOWN … TOOMANYREQUESTS, TAG_UNKNOWN, UNKNOWN, …)",
        bindings: norms::B_ERROR_CODE,
        check: error_code_documented,
    },
    Rule {
        id: "all.content-length-matches-body",
        ops: &[],
        explanation: "Content-Length, when sent, is an integer equal to the body length (not checked on HEAD and 304)",
        bindings: norms::B_BODY_LENGTH,
        check: content_length_matches_body,
    },
    Rule {
        id: "all.body-complete",
        ops: &[],
        explanation: "The response body is delivered in full: the connection does not end before the length the response announced",
        bindings: norms::B_BODY_LENGTH,
        check: body_complete,
    },
    Rule {
        id: "all.link-header-format",
        ops: &[],
        explanation: "A Link header is `<url>; rel=\"next\"` with a relative or absolute URL carrying `last` or `n`",
        bindings: norms::B_LINK,
        check: link_header_format,
    },
    Rule {
        id: "all.required-headers",
        ops: &[],
        explanation: "Content-Length/Content-Type (and GetBlob 206 Content-Range) the catalogue requires for this status are present; other required headers have dedicated rules",
        bindings: norms::B_CATALOGUE_HEADERS,
        check: required_headers,
    },
    Rule {
        id: "all.header-format",
        ops: &[],
        explanation: "Headers the catalogue documents for this status are well-formed when present (digests, URLs, ranges, integers, media types)",
        bindings: norms::B_CATALOGUE_HEADERS,
        check: header_format,
    },
];

fn body_complete(ex: &Exchange) -> Verdict {
    match &ex.response.body.incomplete {
        None => Verdict::Pass,
        Some(why) => fail(
            "the response body broke off before its end",
            ex.response
                .header("Content-Length")
                .map(|l| format!("{l} bytes (Content-Length)"))
                .unwrap_or_else(|| "a complete body".into()),
            format!("{} bytes, then: {}", ex.response.body.len, clip(why)),
        ),
    }
}

/// The codes OCI 1.1.1 lists ("The `code` field MUST be one of the following"), plus the two
/// schema1 codes its legacy section says a client MAY encounter.
pub const OCI_ERROR_CODES: &[&str] = &[
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
    "TOOMANYREQUESTS",
    "MANIFEST_UNVERIFIED",
    "TAG_INVALID",
];

/// Codes documented by OCI (14 + MANIFEST_UNVERIFIED/TAG_INVALID), CNCF Distribution and ACR.
pub const KNOWN_ERROR_CODES: &[&str] = &[
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "MANIFEST_UNVERIFIED",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "TAG_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
    "TOOMANYREQUESTS",
    "PAGINATION_NUMBER_INVALID",
    "RANGE_INVALID",
    "UNKNOWN",
    "UNAVAILABLE",
    "TAG_UNKNOWN",
];

fn condition_holds(ex: &Exchange, when: Condition) -> bool {
    match when {
        Condition::Always => true,
        Condition::RangeRequested => ex.request.header("Range").is_some(),
        Condition::RangesNotAdvertised => !ex.context.ranges_advertised,
        Condition::ConditionalRequest => {
            ex.request.header("If-None-Match").is_some()
                || ex.request.header("If-Modified-Since").is_some()
        }
        Condition::DigestQuery => super::support::query(ex, "digest").is_some(),
    }
}

fn condition_text(when: Condition) -> &'static str {
    match when {
        Condition::Always => "always",
        Condition::RangeRequested => "the request has a Range header",
        Condition::RangesNotAdvertised => "the registry does not advertise Accept-Ranges: bytes",
        Condition::ConditionalRequest => "the request is conditional (If-None-Match)",
        Condition::DigestQuery => "the request has a digest query parameter",
    }
}

fn legal_statuses(ex: &Exchange) -> String {
    let spec = catalogue::spec(ex.op);
    let mut parts: Vec<String> = spec
        .responses
        .iter()
        .map(|r| match r.origin {
            Origin::Documented => r.status.to_string(),
            Origin::Allowed { when, .. } => format!("{} (when {})", r.status, condition_text(when)),
        })
        .collect();
    parts.push("4xx/5xx errors".to_string());
    parts.join(", ")
}

fn status_documented(ex: &Exchange) -> Verdict {
    let status = ex.response.status;
    if status >= 400 {
        return Verdict::Pass;
    }
    match catalogue::spec(ex.op).response(status).map(|r| r.origin) {
        Some(Origin::Documented) => Verdict::Pass,
        Some(Origin::Allowed { when, .. }) if condition_holds(ex, when) => Verdict::Pass,
        Some(Origin::Allowed { when, .. }) => fail(
            format!(
                "{} answered {status}, which is only legal when {}",
                ex.op,
                condition_text(when)
            ),
            legal_statuses(ex),
            status.to_string(),
        ),
        None => fail(
            format!(
                "{} answered {status}, which the contract does not document",
                ex.op
            ),
            legal_statuses(ex),
            status.to_string(),
        ),
    }
}

fn api_version_header(ex: &Exchange) -> Verdict {
    if !ex.context.expects_api_version_header
        || ex.context.via_redirect
        || ex.op.surface() == Surface::OAuth2
    {
        return Verdict::NotApplicable;
    }
    let v = ex.response.header("Docker-Distribution-Api-Version");
    check(v.map(str::trim) == Some("registry/2.0"), || {
        fail(
            "response lacks Docker-Distribution-Api-Version: registry/2.0 although /v2/ announced it",
            "Docker-Distribution-Api-Version: registry/2.0",
            shown(v),
        )
    })
}

/// Whether this is a 416 answer to a range request: RFC 9110 range semantics, not a registry
/// API error, so a non-JSON body is allowed.
fn is_range_416(ex: &Exchange) -> bool {
    ex.response.status == 416 && ex.request.header("Range").is_some()
}

fn error_body(ex: &Exchange) -> Verdict {
    let status = ex.response.status;
    if status < 400 || is_head(ex) || ex.context.via_redirect || is_range_416(ex) {
        return Verdict::NotApplicable;
    }
    let Some(bytes) = ex.response.body.bytes.as_ref() else {
        return Verdict::NotApplicable;
    };
    // OCI 1.1.1: "A 4XX response code from the registry MAY return a body in any format. If the
    // response body is in JSON format, it MUST have the following format". Nothing about 5xx,
    // nor about the Content-Type; only the ACR documents require a JSON errors body everywhere.
    if !super::support::acr_target(ex)
        && (status >= 500
            || ex.op.surface() != Surface::Oci
            || serde_json::from_slice::<serde_json::Value>(bytes).is_err())
    {
        return Verdict::NotApplicable;
    }
    let ct = ex.response.header("Content-Type");
    let expected =
        "Content-Type: application/json and {\"errors\":[{\"code\",\"message\",\"detail\"?}]}";
    if bytes.is_empty() {
        return fail(
            format!("error response {status} has no body"),
            expected,
            "empty body",
        );
    }
    let text = String::from_utf8_lossy(bytes);
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            return fail(
                format!("error response {status} body is not JSON"),
                expected,
                format!("Content-Type: {}; body: {}", shown(ct), clip(&text)),
            );
        }
    };
    if let Err(SchemaError::Invalid { violations, .. }) =
        schema::validate_schema("AcrErrors", &value)
    {
        return fail(
            format!("error response {status} body is not an errors document"),
            expected,
            format!(
                "{} ({})",
                clip(&text),
                violations
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
    }
    if !super::support::acr_target(ex) {
        return Verdict::Pass;
    }
    let json_ct = ct.is_some_and(|c| {
        let base = super::support::media_type_base(c);
        base == "application/json" || base.ends_with("+json")
    });
    check(json_ct, || {
        fail(
            format!("error response {status} has a JSON body but not a JSON Content-Type"),
            "Content-Type: application/json",
            shown(ct),
        )
    })
}

fn error_code_documented(ex: &Exchange) -> Verdict {
    let oci = !super::support::acr_target(ex);
    // The OCI list binds 4xx answers of the /v2/ API; 5xx bodies are unconstrained.
    if ex.response.status < 400
        || (oci && (ex.response.status >= 500 || ex.op.surface() != Surface::Oci))
    {
        return Verdict::NotApplicable;
    }
    let known: &[&str] = if oci {
        OCI_ERROR_CODES
    } else {
        KNOWN_ERROR_CODES
    };
    let Some(value) = ex.response.json() else {
        return Verdict::NotApplicable;
    };
    let Some(errors) = value.get("errors").and_then(|e| e.as_array()) else {
        return Verdict::NotApplicable;
    };
    let unknown: Vec<String> = errors
        .iter()
        .filter_map(|e| e.get("code"))
        .filter_map(|c| c.as_str())
        .filter(|c| !known.contains(c))
        .map(str::to_string)
        .collect();
    if errors
        .iter()
        .all(|e| e.get("code").and_then(|c| c.as_str()).is_none())
    {
        return Verdict::NotApplicable;
    }
    check(unknown.is_empty(), || {
        fail(
            format!(
                "error code(s) not in the list the {} documents: {}",
                if oci {
                    "OCI distribution-spec"
                } else {
                    "ACR contract"
                },
                unknown.join(", ")
            ),
            known.join(", "),
            unknown.join(", "),
        )
    })
}

fn content_length_matches_body(ex: &Exchange) -> Verdict {
    // A body that broke off is `all.body-complete`'s finding; one finding per defect.
    if is_head(ex) || ex.response.status == 304 || ex.response.body.incomplete.is_some() {
        return Verdict::NotApplicable;
    }
    let Some(cl) = ex.response.header("Content-Length") else {
        return Verdict::NotApplicable;
    };
    match parse_u64(cl) {
        None => fail(
            "Content-Length is not a non-negative integer",
            "an integer",
            cl,
        ),
        Some(n) => check(n == ex.response.body.len, || {
            fail(
                "Content-Length does not match the number of body bytes received",
                format!("{} (bytes received)", ex.response.body.len),
                cl,
            )
        }),
    }
}

fn link_header_format(ex: &Exchange) -> Verdict {
    let values: Vec<&str> = ex.response.header_all("Link").collect();
    if values.is_empty() {
        return Verdict::NotApplicable;
    }
    all_of(values.iter().flat_map(|v| v.split(',')).map(|one| {
        let expected = "<url?last=…&n=…>; rel=\"next\"";
        match parse_link(one) {
            Err(why) => fail(format!("Link header {why}"), expected, one),
            Ok(link) => {
                let rel_next = link
                    .rel
                    .as_deref()
                    .is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("next")));
                let url_ok = super::support::is_url(&link.target)
                    || (!link.target.starts_with('/') && !link.target.contains("://"));
                let query = link.target.split_once('?').map(|(_, q)| q).unwrap_or("");
                let paged = query
                    .split('&')
                    .any(|p| p.starts_with("last=") || p.starts_with("n="));
                if !rel_next {
                    fail("Link header has no rel=\"next\"", expected, one)
                } else if !url_ok {
                    fail("Link target is not a URL", expected, one)
                } else if !paged {
                    fail("Link target carries neither `last` nor `n`", expected, one)
                } else {
                    Verdict::Pass
                }
            }
        }
    }))
}

/// Required headers whose presence no dedicated rule checks.
fn generic_presence(ex: &Exchange, name: &str) -> bool {
    match name {
        // Token endpoints have `<Op>.content-type-json`.
        "Content-Type" => ex.op.surface() != Surface::OAuth2,
        "Content-Length" => ex.op != crate::contract::Operation::CheckBlobExists,
        // GetChunk/CheckChunkExists check Content-Range in their content-range rules.
        "Content-Range" => ex.op == crate::contract::Operation::GetBlob,
        _ => false,
    }
}

fn required_headers(ex: &Exchange) -> Verdict {
    if ex.context.via_redirect {
        return Verdict::NotApplicable;
    }
    let Some(resp) = catalogue::spec(ex.op).response(ex.response.status) else {
        return Verdict::NotApplicable;
    };
    all_of(
        resp.headers
            .iter()
            .filter(|h| h.required && generic_presence(ex, h.name))
            .map(|h| {
                check(ex.response.header(h.name).is_some(), || {
                    fail(
                        format!(
                            "{} {} lacks the {} header",
                            ex.op, ex.response.status, h.name
                        ),
                        format!("{}: {}", h.name, h.format.describe()),
                        "<absent>",
                    )
                })
            }),
    )
}

fn header_format(ex: &Exchange) -> Verdict {
    let Some(resp) = catalogue::spec(ex.op).response(ex.response.status) else {
        return Verdict::NotApplicable;
    };
    all_of(
        resp.headers
            .iter()
            .map(|h| match ex.response.header(h.name) {
                None => Verdict::NotApplicable,
                Some(v) => check(format_ok(h.format, v), || {
                    fail(
                        format!("{} header is malformed", h.name),
                        format!("{}: {}", h.name, h.format.describe()),
                        format!("{}: {v}", h.name),
                    )
                }),
            }),
    )
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, ex};
    use crate::contract::Operation as O;
    use serde_json::json;
    let err = json!({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]});
    vec![
        case(
            "all.body-complete",
            ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:00")
                .status(416)
                .header("Content-Length", "4096")
                .body("short")
                .broken_off("end of file before message length reached"),
            ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:00")
                .status(416)
                .header("Content-Length", "5")
                .body("short"),
        ),
        case(
            "all.status-documented",
            ex(O::CreateManifest, "PUT", "/v2/r/manifests/t").status(200),
            ex(O::CreateManifest, "PUT", "/v2/r/manifests/t").status(201),
        ),
        // Allowed only under a condition: 200 for GetChunk is legal only without range support.
        case(
            "all.status-documented",
            ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:aa")
                .req_header("Range", "bytes=0-1")
                .ctx(|c| c.ranges_advertised = true),
            ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:aa").req_header("Range", "bytes=0-1"),
        ),
        case(
            "all.status-documented",
            ex(O::StartUpload, "POST", "/v2/r/blobs/uploads/").status(201),
            ex(O::StartUpload, "POST", "/v2/r/blobs/uploads/?digest=sha256:aa").status(201),
        ),
        case(
            "all.api-version-header",
            ex(O::GetTags, "GET", "/acr/v1/r/_tags").ctx(|c| c.expects_api_version_header = true),
            ex(O::GetTags, "GET", "/acr/v1/r/_tags")
                .header("Docker-Distribution-Api-Version", "registry/2.0")
                .ctx(|c| c.expects_api_version_header = true),
        ),
        case(
            "all.error-body",
            ex(O::GetTagProperties, "GET", "/acr/v1/Nope/_tags/x")
                .status(404)
                .header("Content-Type", "text/plain; charset=utf-8")
                .body("404 page not found\n"),
            ex(O::GetTagProperties, "GET", "/acr/v1/r/_tags/x")
                .status(404)
                .header("Content-Type", "application/json")
                .json(json!({"errors":[{"code":"TAG_UNKNOWN","message":"the specified tag does not exist"}]})),
        ),
        case(
            "all.error-body",
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa").status(404),
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .status(401)
                .header("Content-Type", "application/json; charset=utf-8")
                .json(json!({"errors":[{"code":"UNAUTHORIZED","message":"m","detail":[{"Type":"repository"}]}]})),
        ),
        case(
            "all.error-body",
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .status(404)
                .header("Content-Type", "text/plain")
                .json(err.clone()),
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .status(404)
                .header("Content-Type", "application/json")
                .json(err.clone()),
        ),
        case(
            "all.error-code-documented",
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .status(404)
                .json(json!({"errors":[{"code":"BLOB_MISSING","message":"m"}]})),
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa").status(404).json(err.clone()),
        ),
        case(
            "all.content-length-matches-body",
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .header("Content-Length", "5")
                .body("abc"),
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .header("Content-Length", "3")
                .body("abc"),
        ),
        case(
            "all.link-header-format",
            ex(O::GetRepositories, "GET", "/acr/v1/_catalog?n=2")
                .header("Link", "/acr/v1/_catalog?last=a&n=2; rel=\"next\""),
            ex(O::GetRepositories, "GET", "/acr/v1/_catalog?n=2").header(
                "Link",
                "</acr/v1/_catalog?last=library%2Fbusybox&n=2&orderby=>; rel=\"next\"",
            ),
        ),
        case(
            "all.link-header-format",
            ex(O::GetTagList, "GET", "/v2/r/tags/list?n=1")
                .header("Link", "</v2/r/tags/list?n=1&last=a>; rel=\"prev\""),
            ex(O::GetTagList, "GET", "/v2/r/tags/list?n=1")
                .header("Link", "<https://reg.example/v2/r/tags/list?n=1&last=a>; rel=\"next\""),
        ),
        case(
            "all.required-headers",
            ex(O::GetManifest, "GET", "/v2/r/manifests/t").body("{}"),
            ex(O::GetManifest, "GET", "/v2/r/manifests/t")
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body("{}"),
        ),
        case(
            "all.required-headers",
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa").body("abc"),
            ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
                .header("Content-Length", "3")
                .body("abc"),
        ),
        case(
            "all.header-format",
            ex(O::CompleteUpload, "PUT", "/v2/r/blobs/uploads/u?digest=sha256:aa")
                .status(201)
                .header("Docker-Content-Digest", "sha256:XYZ"),
            ex(O::CompleteUpload, "PUT", "/v2/r/blobs/uploads/u?digest=sha256:aa")
                .status(201)
                .header(
                    "Docker-Content-Digest",
                    "sha256:654b93f61054e4ce90ed203bb8d556a6200d5f906cf3eca0620738d6dc18cbed",
                )
                .header("Location", "/v2/r/blobs/sha256:654b"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::ex;
    use super::*;
    use crate::contract::Operation as O;

    #[test]
    fn errors_and_legal_variants_pass_status_documented() {
        for (op, m, url, status) in [
            (
                O::MountBlob,
                "POST",
                "/v2/r/blobs/uploads/?mount=sha256:aa&from=s",
                202,
            ),
            (O::DeleteBlob, "DELETE", "/v2/r/blobs/sha256:aa", 404),
            (O::UploadChunk, "PATCH", "/v2/r/blobs/uploads/u", 416),
            (O::GetBlob, "GET", "/v2/r/blobs/sha256:aa", 307),
            (O::CheckChunkExists, "HEAD", "/v2/r/blobs/sha256:aa", 307),
            (O::DeleteRepository, "DELETE", "/acr/v1/r", 202),
        ] {
            let e = ex(op, m, url).status(status).build();
            assert_eq!(status_documented(&e), Verdict::Pass, "{op} {status}");
        }
        let e = ex(O::GetBlob, "GET", "/v2/r/blobs/sha256:aa")
            .status(304)
            .build();
        assert!(matches!(status_documented(&e), Verdict::Fail(_)));
    }

    #[test]
    fn exempt_cases_of_error_body() {
        let head = ex(O::CheckBlobExists, "HEAD", "/v2/r/blobs/sha256:aa")
            .status(404)
            .build();
        assert_eq!(error_body(&head), Verdict::NotApplicable);
        let range = ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:aa")
            .req_header("Range", "bytes=5000-")
            .status(416)
            .body("invalid range")
            .build();
        assert_eq!(error_body(&range), Verdict::NotApplicable);
    }

    #[test]
    fn token_endpoints_need_no_api_version_header() {
        let e = ex(
            O::ExchangeAcrRefreshTokenForAcrAccessToken,
            "POST",
            "/oauth2/token",
        )
        .ctx(|c| c.expects_api_version_header = true)
        .build();
        assert_eq!(api_version_header(&e), Verdict::NotApplicable);
        let e = ex(O::GetBlob, "GET", "https://storage.example/blob")
            .ctx(|c| {
                c.expects_api_version_header = true;
                c.via_redirect = true;
            })
            .build();
        assert_eq!(api_version_header(&e), Verdict::NotApplicable);
    }
}
