//! Content codings: a blob or manifest body is content-addressed, so its bytes must arrive as
//! stored. A `Content-Encoding` the request did not accept (regcheck sends
//! `Accept-Encoding: identity`) is a finding; the harness never decodes it, and the digest
//! rules see the bytes received.

use super::Rule;
use super::support::{fail, shown};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};

const EXPLANATION: &str = "The body carries no Content-Encoding the request did not accept in Accept-Encoding (content-addressed bytes arrive as stored)";

/// `GetBlob.content-encoding-requested`, by name (load mode runs it).
pub const GET_BLOB_CONTENT_ENCODING_REQUESTED: Rule = Rule {
    id: "GetBlob.content-encoding-requested",
    ops: &[O::GetBlob],
    explanation: EXPLANATION,
    bindings: norms::B_ENCODING,
    check: content_encoding_requested,
};

/// `GetChunk.content-encoding-requested`, by name (load mode runs it).
pub const GET_CHUNK_CONTENT_ENCODING_REQUESTED: Rule = Rule {
    id: "GetChunk.content-encoding-requested",
    ops: &[O::GetChunk],
    explanation: EXPLANATION,
    bindings: norms::B_ENCODING,
    check: content_encoding_requested,
};

/// `GetManifest.content-encoding-requested`, by name (load mode runs it).
pub const GET_MANIFEST_CONTENT_ENCODING_REQUESTED: Rule = Rule {
    id: "GetManifest.content-encoding-requested",
    ops: &[O::GetManifest],
    explanation: EXPLANATION,
    bindings: norms::B_ENCODING,
    check: content_encoding_requested,
};

pub(super) const RULES: &[Rule] = &[
    GET_BLOB_CONTENT_ENCODING_REQUESTED,
    GET_CHUNK_CONTENT_ENCODING_REQUESTED,
    GET_MANIFEST_CONTENT_ENCODING_REQUESTED,
];

/// Codings (lower case) the `Accept-Encoding` value accepts with a non-zero weight.
fn accepted(accept: &str) -> Vec<String> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let coding = parts.next()?.trim().to_ascii_lowercase();
            let zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!coding.is_empty() && !zero).then_some(coding)
        })
        .collect()
}

fn content_encoding_requested(ex: &Exchange) -> Verdict {
    let Some(accept) = ex.request.header("Accept-Encoding") else {
        // Without Accept-Encoding any coding is acceptable (RFC 9110 §12.5.3).
        return Verdict::NotApplicable;
    };
    let codings: Vec<String> = ex
        .response
        .header_all("Content-Encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let ok = accepted(accept);
    match codings
        .iter()
        .find(|c| !ok.contains(c) && !ok.iter().any(|a| a == "*"))
    {
        None => Verdict::Pass,
        Some(c) => fail(
            format!(
                "the body is `{c}`-encoded although the request accepted only `{accept}`; regcheck does not decode it, so digests are of the encoded bytes"
            ),
            format!("no Content-Encoding beyond `{accept}`"),
            format!(
                "Content-Encoding: {} ({} bytes received, {})",
                shown(ex.response.header("Content-Encoding")),
                ex.response.body.len,
                ex.response.body.digest
            ),
        ),
    }
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, ex};
    let blob =
        "/v2/r/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let ident = |op, url: &str| ex(op, "GET", url).req_header("Accept-Encoding", "identity");
    vec![
        case(
            "GetBlob.content-encoding-requested",
            ident(O::GetBlob, blob).header("Content-Encoding", "gzip"),
            ident(O::GetBlob, blob).header("Content-Encoding", "identity"),
        ),
        case(
            "GetChunk.content-encoding-requested",
            ident(O::GetChunk, blob)
                .req_header("Range", "bytes=0-9")
                .header("Content-Encoding", "br"),
            ex(O::GetChunk, "GET", blob)
                .req_header("Accept-Encoding", "gzip, br;q=0.5")
                .header("Content-Encoding", "br"),
        ),
        case(
            "GetManifest.content-encoding-requested",
            ex(O::GetManifest, "GET", "/v2/r/manifests/v1")
                .req_header("Accept-Encoding", "gzip;q=0, identity")
                .header("Content-Encoding", "gzip"),
            ident(O::GetManifest, "/v2/r/manifests/v1"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_weights() {
        assert_eq!(accepted("identity"), vec!["identity"]);
        assert_eq!(accepted("gzip;q=0, br ; q=0.3"), vec!["br"]);
        assert_eq!(accepted(" , ;;"), Vec::<String>::new());
    }
}
