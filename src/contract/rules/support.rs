//! Shared helpers of the rules: building failures, reading the request URL (percent-decoded
//! digests and references, query parameters), parsing the header grammars the rules check
//! (`Range`, `Content-Range`, upload progress, `Link`, digests) and validating bodies.

use crate::contract::catalogue::{self, BodyKind, HeaderFormat};
use crate::contract::schema::{self, SchemaError};
use crate::exchange::{Exchange, Finding, FindingSource, Verdict};

/// Longest value quoted in a finding.
const QUOTE_LIMIT: usize = 200;

/// Shortens a value for a finding (keeps ~200 characters).
pub fn clip(s: &str) -> String {
    if s.chars().count() <= QUOTE_LIMIT {
        s.to_string()
    } else {
        let head: String = s.chars().take(QUOTE_LIMIT).collect();
        format!("{head}… ({} chars)", s.chars().count())
    }
}

/// A failure; `Rule::run` fills in the id, source and spec.
pub fn fail(
    message: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Verdict {
    Verdict::Fail(Finding {
        rule: String::new(),
        source: FindingSource::Contract,
        message: message.into(),
        expected: Some(clip(&expected.into())),
        actual: Some(clip(&actual.into())),
        spec: None,
        level: None,
        severity: Default::default(),
        quote: None,
        known: false,
    })
}

/// `Pass` when `ok`, otherwise the failure built by `f`.
pub fn check(ok: bool, f: impl FnOnce() -> Verdict) -> Verdict {
    if ok { Verdict::Pass } else { f() }
}

/// Combines verdicts: the first failure wins, then `Pass` if any passed, else `NotApplicable`.
pub fn all_of(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    let mut any_pass = false;
    for v in verdicts {
        match v {
            Verdict::Fail(_) => return v,
            Verdict::Pass => any_pass = true,
            Verdict::NotApplicable => {}
        }
    }
    if any_pass {
        Verdict::Pass
    } else {
        Verdict::NotApplicable
    }
}

/// `"<absent>"` or the quoted value, for `actual`.
pub fn shown(v: Option<&str>) -> String {
    v.map(|s| s.to_string())
        .unwrap_or_else(|| "<absent>".to_string())
}

/// The request URL parsed (relative URLs are resolved against a placeholder origin).
fn request_url(ex: &Exchange) -> Option<url::Url> {
    url::Url::parse(&ex.request.url)
        .or_else(|_| url::Url::parse("http://target.invalid").and_then(|b| b.join(&ex.request.url)))
        .ok()
}

/// The raw (still percent-encoded) request path.
pub fn raw_path(ex: &Exchange) -> String {
    request_url(ex)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

/// Percent-decodes a path piece.
pub fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The decoded remainder of the request path after the last `marker` (e.g. `/blobs/`).
pub fn path_after(ex: &Exchange, marker: &str) -> Option<String> {
    let path = raw_path(ex);
    let idx = path.rfind(marker)?;
    let rest = &path[idx + marker.len()..];
    (!rest.is_empty()).then(|| decode(rest.trim_end_matches('/')))
}

/// The blob digest addressed by a `/v2/<name>/blobs/<digest>` request.
pub fn requested_blob_digest(ex: &Exchange) -> Option<String> {
    path_after(ex, "/blobs/").filter(|d| is_digest(d))
}

/// The first value of a query parameter of the request (decoded).
pub fn query(ex: &Exchange, name: &str) -> Option<String> {
    request_url(ex)?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether the request method is HEAD.
/// Whether the Docker-specific headers (`Docker-Content-Digest`, …) must be present: only the
/// ACR documents require them; OCI 1.1.1 makes them OPTIONAL ("These headers are OPTIONAL and
/// clients SHOULD NOT depend on them"), so under OCI only a header that is sent is judged.
pub fn docker_headers_required(ex: &Exchange) -> bool {
    acr_target(ex)
}

/// Whether the target is judged by the ACR documents too (profile `acr`).
pub fn acr_target(ex: &Exchange) -> bool {
    ex.context.target == crate::contract::Target::Acr
}

/// Whether the request is a HEAD.
pub fn is_head(ex: &Exchange) -> bool {
    ex.request.method.eq_ignore_ascii_case("HEAD")
}

pub use crate::vocab::digest::{is_digest, sha256_digest};

/// Parses a non-negative decimal integer strictly.
pub fn parse_u64(s: &str) -> Option<u64> {
    let t = s.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Parses upload progress `0-<last>` (or `bytes=0-<last>`), returning `last`.
pub fn parse_upload_range(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t.strip_prefix("bytes=").unwrap_or(t);
    let (first, last) = t.split_once('-')?;
    (first == "0").then_some(())?;
    parse_u64(last)
}

/// One byte-range of a request `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `a-b`.
    FromTo(u64, u64),
    /// `a-`.
    From(u64),
    /// `-n` (the last n bytes).
    Suffix(u64),
}

impl RangeSpec {
    /// Resolves against the total length: the inclusive `(first, last)` served, or `None` when
    /// unsatisfiable.
    pub fn resolve(self, total: u64) -> Option<(u64, u64)> {
        match self {
            RangeSpec::FromTo(a, b) if a < total && a <= b => Some((a, b.min(total - 1))),
            RangeSpec::From(a) if a < total => Some((a, total - 1)),
            RangeSpec::Suffix(n) if n > 0 && total > 0 => Some((total - n.min(total), total - 1)),
            _ => None,
        }
    }
}

/// Parses a single-range request `Range` header: `bytes=a-b`, `bytes=a-`, `bytes=-n`, and the
/// prefix-less `a-b` form ACR clients send. Multi-range or malformed values give `None`.
pub fn parse_range_request(s: &str) -> Option<RangeSpec> {
    let t = s.trim();
    let t = t.strip_prefix("bytes=").unwrap_or(t).trim();
    if t.contains(',') {
        return None;
    }
    let (a, b) = t.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => parse_u64(n).map(RangeSpec::Suffix),
        (a, "") => parse_u64(a).map(RangeSpec::From),
        (a, b) => Some(RangeSpec::FromTo(parse_u64(a)?, parse_u64(b)?)),
    }
}

/// A parsed response `Content-Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes first-last/total` (`total` is `None` for `*`).
    Range {
        /// First byte.
        first: u64,
        /// Last byte (inclusive).
        last: u64,
        /// Complete length, if known.
        total: Option<u64>,
    },
    /// `bytes */total` (on 416).
    Unsatisfied {
        /// Complete length.
        total: u64,
    },
}

/// Parses `bytes a-b/total`, `bytes a-b/*` or `bytes */total`; `None` when malformed or
/// inconsistent (`a > b`, `b >= total`).
pub fn parse_content_range(s: &str) -> Option<ContentRange> {
    let t = s.trim().strip_prefix("bytes ")?.trim();
    let (range, total) = t.split_once('/')?;
    let total = if total == "*" {
        None
    } else {
        Some(parse_u64(total)?)
    };
    if range == "*" {
        return total.map(|total| ContentRange::Unsatisfied { total });
    }
    let (a, b) = range.split_once('-')?;
    let (first, last) = (parse_u64(a)?, parse_u64(b)?);
    if first > last || total.is_some_and(|t| last >= t) {
        return None;
    }
    Some(ContentRange::Range { first, last, total })
}

/// A parsed `Link` header entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The URI reference between `<` and `>`.
    pub target: String,
    /// The `rel` parameter, unquoted.
    pub rel: Option<String>,
}

/// Parses one `Link` value `<uri>; param=value; rel="next"`, strictly on syntax.
pub fn parse_link(s: &str) -> Result<Link, String> {
    let t = s.trim();
    let rest = t
        .strip_prefix('<')
        .ok_or_else(|| "does not start with `<`".to_string())?;
    let end = rest
        .find('>')
        .ok_or_else(|| "has no closing `>`".to_string())?;
    let target = rest[..end].trim().to_string();
    if target.is_empty() || target.chars().any(char::is_whitespace) {
        return Err("has an empty URI or one with spaces".to_string());
    }
    let mut rel = None;
    let params = rest[end + 1..].trim();
    if !params.is_empty() {
        let params = params
            .strip_prefix(';')
            .ok_or_else(|| "parameters after `>` must start with `;`".to_string())?;
        for p in params.split(';') {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("parameter `{}` is not name=value", p.trim()))?;
            let k = k.trim();
            let v = v.trim();
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '-')
            {
                return Err(format!("bad parameter name `{k}`"));
            }
            let v = if let Some(q) = v.strip_prefix('"') {
                q.strip_suffix('"')
                    .ok_or_else(|| format!("unterminated quote in `{k}`"))?
            } else if v.is_empty() || v.contains(['"', ' ', ',']) {
                return Err(format!("bad value for `{k}`"));
            } else {
                v
            };
            if k.eq_ignore_ascii_case("rel") {
                rel = Some(v.to_string());
            }
        }
    }
    Ok(Link { target, rel })
}

/// Whether a value is an acceptable `Location`/URL: relative path or absolute http(s) URL.
pub fn is_url(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() || t.chars().any(char::is_whitespace) {
        return false;
    }
    if t.starts_with('/') {
        return url::Url::parse("http://target.invalid")
            .and_then(|b| b.join(t))
            .is_ok();
    }
    url::Url::parse(t).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Whether a value is a media type `type/subtype[; params]`.
pub fn is_media_type(s: &str) -> bool {
    let base = s.split(';').next().unwrap_or_default().trim();
    let token = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    matches!(base.split_once('/'), Some((t, st)) if token(t) && token(st))
}

/// The media type without parameters, lowercased.
pub fn media_type_base(s: &str) -> String {
    s.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a header value has the given format.
pub fn format_ok(format: HeaderFormat, value: &str) -> bool {
    match format {
        HeaderFormat::Integer => parse_u64(value).is_some(),
        HeaderFormat::Digest => is_digest(value.trim()),
        HeaderFormat::Url => is_url(value),
        HeaderFormat::Token => {
            !value.trim().is_empty() && !value.trim().contains(char::is_whitespace)
        }
        HeaderFormat::UploadRange => parse_upload_range(value).is_some(),
        HeaderFormat::ContentRange => parse_content_range(value).is_some(),
        HeaderFormat::MediaType => is_media_type(value),
        HeaderFormat::Link => value.split(',').all(|l| parse_link(l).is_ok()),
    }
}

/// The response body as JSON: `Ok(None)` when the body was not kept (too large to check).
pub fn json_body(ex: &Exchange) -> Result<Option<serde_json::Value>, String> {
    let Some(bytes) = ex.response.body.bytes.as_ref() else {
        return Ok(None);
    };
    if bytes.is_empty() {
        return Err("the body is empty".to_string());
    }
    serde_json::from_slice(bytes).map(Some).map_err(|e| {
        format!(
            "the body is not JSON ({e}): {}",
            clip(&String::from_utf8_lossy(bytes))
        )
    })
}

/// Validates the response body against a named schema.
pub fn body_matches_schema(ex: &Exchange, schema_name: &str) -> Verdict {
    let value = match json_body(ex) {
        Ok(Some(v)) => v,
        Ok(None) => return Verdict::NotApplicable,
        Err(e) => {
            return fail(
                format!(
                    "{} {} body must be JSON matching `{schema_name}`",
                    ex.op, ex.response.status
                ),
                format!("JSON matching {schema_name}"),
                e,
            );
        }
    };
    match schema::validate_schema(schema_name, &value) {
        Ok(()) => Verdict::Pass,
        Err(SchemaError::Invalid { violations, .. }) => fail(
            format!(
                "{} {} body violates schema `{schema_name}` ({} violation(s))",
                ex.op,
                ex.response.status,
                violations.len()
            ),
            format!("a body matching {schema_name}"),
            schema::summarize(&violations),
        ),
        Err(e @ SchemaError::UnknownSchema { .. }) => fail(
            "internal: the catalogue names a schema that is not embedded",
            schema_name,
            e.to_string(),
        ),
    }
}

/// The catalogue's JSON schema of the response body for this exchange, validated (used by the
/// `<Op>.schema` rules).
pub fn catalogue_body_schema(ex: &Exchange) -> Verdict {
    let Some(resp) = catalogue::spec(ex.op).response(ex.response.status) else {
        return Verdict::NotApplicable;
    };
    match resp.body {
        BodyKind::Json(name) => body_matches_schema(ex, name),
        _ => Verdict::NotApplicable,
    }
}

/// Applies `f` to the items of a JSON array at `pointer` in the body (`null` = no items).
pub fn items_at(value: &serde_json::Value, pointer: &str) -> Option<Vec<serde_json::Value>> {
    match value.pointer(pointer)? {
        serde_json::Value::Array(a) => Some(a.clone()),
        serde_json::Value::Null => Some(vec![]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_rfc_9110() {
        assert_eq!(
            parse_range_request("bytes=500-1499"),
            Some(RangeSpec::FromTo(500, 1499))
        );
        assert_eq!(
            parse_range_request("0-4194303"),
            Some(RangeSpec::FromTo(0, 4194303))
        );
        assert_eq!(
            parse_range_request("bytes=500-"),
            Some(RangeSpec::From(500))
        );
        assert_eq!(
            parse_range_request("bytes=-500"),
            Some(RangeSpec::Suffix(500))
        );
        assert_eq!(parse_range_request("bytes=0-1,5-6"), None);
        assert_eq!(parse_range_request("bytes=x-1"), None);
        assert_eq!(
            RangeSpec::FromTo(2000, 5000).resolve(2048),
            Some((2000, 2047))
        );
        assert_eq!(RangeSpec::Suffix(500).resolve(2048), Some((1548, 2047)));
        assert_eq!(RangeSpec::Suffix(5000).resolve(2048), Some((0, 2047)));
        assert_eq!(RangeSpec::From(5000).resolve(2048), None);
        assert_eq!(RangeSpec::FromTo(500, 0).resolve(2048), None);
    }

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 0-299/5635"),
            Some(ContentRange::Range {
                first: 0,
                last: 299,
                total: Some(5635)
            })
        );
        assert_eq!(
            parse_content_range("bytes 500-1499/*"),
            Some(ContentRange::Range {
                first: 500,
                last: 1499,
                total: None
            })
        );
        assert_eq!(
            parse_content_range("bytes */2048"),
            Some(ContentRange::Unsatisfied { total: 2048 })
        );
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 0-10/10"), None);
        assert_eq!(parse_content_range("0-10/11"), None);
    }

    #[test]
    fn upload_ranges_digests_links_urls() {
        assert_eq!(parse_upload_range("0-27"), Some(27));
        assert_eq!(parse_upload_range("bytes=0-0"), Some(0));
        assert_eq!(parse_upload_range("1-27"), None);
        assert!(is_digest(&sha256_digest(b"")));
        assert!(!is_digest("sha256:abc"));
        assert!(!is_digest(
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        ));
        assert!(is_digest("blake3:abcd"));
        assert!(!is_digest("nodigest"));
        let l = parse_link("</acr/v1/_catalog?last=a%2Fb&n=2&orderby=>; rel=\"next\"").unwrap();
        assert_eq!(l.target, "/acr/v1/_catalog?last=a%2Fb&n=2&orderby=");
        assert_eq!(l.rel.as_deref(), Some("next"));
        assert!(parse_link("/v2/_catalog?n=1; rel=\"next\"").is_err());
        assert!(parse_link("</v2/_catalog?n=1> rel=\"next\"").is_err());
        assert!(parse_link("</v2/_catalog?n=1>; rel=\"next").is_err());
        assert!(is_url("/v2/r/blobs/uploads/u?_state=x"));
        assert!(is_url("https://storage.example/x?sig=1"));
        assert!(!is_url("ftp://x/y"));
        assert!(!is_url("not a url"));
        assert!(is_media_type("application/json; charset=utf-8"));
        assert!(!is_media_type("json"));
        let clipped = clip(&"x".repeat(500));
        assert!(clipped.chars().count() < 230 && clipped.ends_with("(500 chars)"));
    }
}
