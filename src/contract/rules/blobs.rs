//! Blob read rules: digests of served content, redirects, HEAD answers, and range requests
//! (`Range` → `206` + `Content-Range` matching the requested range, `416` answers).

use super::Rule;
use super::support::{
    ContentRange, all_of, check, docker_headers_required, fail, is_head, is_url,
    parse_content_range, parse_range_request, parse_u64, requested_blob_digest, shown,
};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};

/// `GetBlob.digest-matches-body`, by name (load mode runs it).
pub const GET_BLOB_DIGEST_MATCHES_BODY: Rule = Rule {
    id: "GetBlob.digest-matches-body",
    ops: &[O::GetBlob],
    explanation: "A 200 body hashes to the digest in the request path",
    bindings: norms::B_BLOB_BODY,
    check: digest_matches_body,
};

/// `GetBlob.digest-header-matches`, by name (load mode runs it).
pub const GET_BLOB_DIGEST_HEADER_MATCHES: Rule = Rule {
    id: "GetBlob.digest-header-matches",
    ops: &[O::GetBlob],
    explanation: "Docker-Content-Digest equals the requested digest; required on a 200 from the registry itself, optional on redirects and storage answers",
    bindings: norms::B_BLOB_DIGEST_HEADER,
    check: digest_header_matches,
};

/// `GetBlob.redirect-location`, by name (load mode runs it).
pub const GET_BLOB_REDIRECT_LOCATION: Rule = Rule {
    id: "GetBlob.redirect-location",
    ops: &[O::GetBlob],
    explanation: "A redirect (307) carries a Location URL",
    bindings: norms::B_REDIRECT,
    check: redirect_location,
};

/// `CheckBlobExists.headers`, by name (load mode runs it).
pub const CHECK_BLOB_EXISTS_HEADERS: Rule = Rule {
    id: "CheckBlobExists.headers",
    ops: &[O::CheckBlobExists],
    explanation: "A 200 carries Content-Length and Docker-Content-Digest equal to the requested digest",
    bindings: norms::B_EXISTS,
    check: head_headers,
};

/// `CheckBlobExists.redirect-location`, by name (load mode runs it).
pub const CHECK_BLOB_EXISTS_REDIRECT_LOCATION: Rule = Rule {
    id: "CheckBlobExists.redirect-location",
    ops: &[O::CheckBlobExists],
    explanation: "A redirect (307) carries a Location URL",
    bindings: norms::B_REDIRECT,
    check: redirect_location,
};

/// `GetChunk.content-range-matches`, by name (load mode runs it).
pub const GET_CHUNK_CONTENT_RANGE_MATCHES: Rule = Rule {
    id: "GetChunk.content-range-matches",
    ops: &[O::GetChunk],
    explanation: "A 206 Content-Range is the requested range resolved against the blob size, and the body has exactly that many bytes",
    bindings: norms::B_206,
    check: content_range_matches,
};

/// `GetChunk.redirect-location`, by name (load mode runs it).
pub const GET_CHUNK_REDIRECT_LOCATION: Rule = Rule {
    id: "GetChunk.redirect-location",
    ops: &[O::GetChunk],
    explanation: "A redirect (307) carries a Location URL",
    bindings: norms::B_REDIRECT,
    check: redirect_location,
};

pub(super) const RULES: &[Rule] = &[
    GET_BLOB_DIGEST_MATCHES_BODY,
    GET_BLOB_DIGEST_HEADER_MATCHES,
    GET_BLOB_REDIRECT_LOCATION,
    CHECK_BLOB_EXISTS_HEADERS,
    Rule {
        id: "CheckBlobExists.no-body",
        ops: &[O::CheckBlobExists],
        explanation: "A HEAD answer has no body",
        bindings: norms::B_HEAD_NO_BODY,
        check: no_body,
    },
    CHECK_BLOB_EXISTS_REDIRECT_LOCATION,
    Rule {
        id: "DeleteBlob.digest-header-matches",
        ops: &[O::DeleteBlob],
        explanation: "Docker-Content-Digest, when sent on 202, equals the deleted digest",
        bindings: norms::B_ACR_HEADERS,
        check: digest_header_matches,
    },
    Rule {
        id: "GetChunk.range-honoured",
        ops: &[O::GetChunk],
        explanation: "With ranges advertised, a Range request is answered 206 (or 416/redirect/error), not 200",
        bindings: norms::B_RANGE_SUPPORT,
        check: range_honoured,
    },
    GET_CHUNK_CONTENT_RANGE_MATCHES,
    Rule {
        id: "GetChunk.unsatisfiable",
        ops: &[O::GetChunk],
        explanation: "A 416 Content-Range, when sent (SHOULD), is `bytes */<size>`",
        bindings: norms::B_416,
        check: unsatisfiable,
    },
    Rule {
        id: "GetChunk.digest-header-matches",
        ops: &[O::GetChunk],
        explanation: "Docker-Content-Digest equals the requested digest; required on a full 200 from the registry",
        bindings: norms::B_BLOB_DIGEST_HEADER,
        check: digest_header_matches,
    },
    GET_CHUNK_REDIRECT_LOCATION,
    Rule {
        id: "CheckChunkExists.content-range-matches",
        ops: &[O::CheckChunkExists],
        explanation: "A Content-Range, when sent, is the requested range resolved against the size, and Content-Length is its length",
        bindings: norms::B_HEAD_RANGE,
        check: content_range_matches,
    },
    Rule {
        id: "CheckChunkExists.unsatisfiable",
        ops: &[O::CheckChunkExists],
        explanation: "A 416 Content-Range, when sent (SHOULD), is `bytes */<size>`",
        bindings: norms::B_416,
        check: unsatisfiable,
    },
    Rule {
        id: "CheckChunkExists.no-body",
        ops: &[O::CheckChunkExists],
        explanation: "A HEAD answer has no body",
        bindings: norms::B_HEAD_NO_BODY,
        check: no_body,
    },
    Rule {
        id: "CheckChunkExists.redirect-location",
        ops: &[O::CheckChunkExists],
        explanation: "A redirect (307) carries a Location URL",
        bindings: norms::B_REDIRECT,
        check: redirect_location,
    },
];

fn digest_matches_body(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let Some(want) = requested_blob_digest(ex).filter(|d| d.starts_with("sha256:")) else {
        return Verdict::NotApplicable;
    };
    check(ex.response.body.digest == want, || {
        fail(
            "blob body does not hash to the requested digest",
            want.clone(),
            format!(
                "{} ({} bytes)",
                ex.response.body.digest, ex.response.body.len
            ),
        )
    })
}

fn digest_header_matches(ex: &Exchange) -> Verdict {
    let status = ex.response.status;
    if !(200..400).contains(&status) {
        return Verdict::NotApplicable;
    }
    let Some(want) = requested_blob_digest(ex) else {
        return Verdict::NotApplicable;
    };
    let got = ex.response.header("Docker-Content-Digest");
    let required = matches!(ex.op, O::GetBlob | O::GetChunk)
        && status == 200
        && !ex.context.via_redirect
        && docker_headers_required(ex);
    match got {
        None if required => fail(
            "200 from the registry lacks Docker-Content-Digest",
            format!("Docker-Content-Digest: {want}"),
            "<absent>",
        ),
        None => Verdict::NotApplicable,
        Some(g) if !same_algorithm(g.trim(), &want) => canonical_digest(ex, g.trim()),
        Some(g) => check(g.trim() == want, || {
            fail(
                "Docker-Content-Digest differs from the requested digest",
                want.clone(),
                g,
            )
        }),
    }
}

/// Whether two digests name the same algorithm (`sha256:…` and `sha256:…`).
pub(super) fn same_algorithm(a: &str, b: &str) -> bool {
    a.split_once(':').map(|(alg, _)| alg) == b.split_once(':').map(|(alg, _)| alg)
}

/// A `Docker-Content-Digest` of another algorithm than the requested digest (a sha512 blob
/// the registry files under sha256): OCI 1.1.1 calls it "the canonical digest of the uploaded
/// blob which MAY differ from the provided digest. If the digest does differ, it MAY be the
/// case that the hashing algorithms used do not match", and for blobs "If present, the value
/// of this header MUST be a digest matching that of the response body": a sha256 one is held
/// to a full body; anything else cannot be checked from the exchange.
fn canonical_digest(ex: &Exchange, got: &str) -> Verdict {
    let full_body = ex.response.status == 200 && !is_head(ex);
    if !(full_body && got.starts_with("sha256:")) {
        return Verdict::NotApplicable;
    }
    check(got == ex.response.body.digest, || {
        fail(
            "Docker-Content-Digest is neither the requested digest nor the body's digest",
            ex.response.body.digest.clone(),
            got,
        )
    })
}

fn redirect_location(ex: &Exchange) -> Verdict {
    if !matches!(ex.response.status, 301 | 302 | 303 | 307 | 308) {
        return Verdict::NotApplicable;
    }
    let loc = ex.response.header("Location");
    check(loc.is_some_and(is_url), || {
        fail(
            format!("redirect {} without a usable Location", ex.response.status),
            "Location: <absolute or relative URL>",
            shown(loc),
        )
    })
}

fn head_headers(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let cl = ex.response.header("Content-Length");
    let length = check(
        cl.and_then(parse_u64).is_some() || (cl.is_none() && !docker_headers_required(ex)),
        || {
            fail(
                "HEAD 200 lacks a numeric Content-Length (the blob size)",
                "Content-Length: <size>",
                shown(cl),
            )
        },
    );
    let digest = match (
        requested_blob_digest(ex),
        ex.response.header("Docker-Content-Digest"),
    ) {
        // Another algorithm's canonical digest (OCI 1.1.1: it "MAY differ from the provided
        // digest"): a HEAD has no body to check it against.
        (Some(want), Some(got)) if !same_algorithm(got.trim(), &want) => Verdict::NotApplicable,
        (Some(want), Some(got)) => check(got.trim() == want, || {
            fail(
                "Docker-Content-Digest differs from the requested digest",
                want.clone(),
                got,
            )
        }),
        (Some(want), None) if !ex.context.via_redirect && docker_headers_required(ex) => fail(
            "HEAD 200 from the registry lacks Docker-Content-Digest",
            format!("Docker-Content-Digest: {want}"),
            "<absent>",
        ),
        _ => Verdict::NotApplicable,
    };
    all_of([length, digest])
}

fn no_body(ex: &Exchange) -> Verdict {
    if !is_head(ex) {
        return Verdict::NotApplicable;
    }
    check(ex.response.body.len == 0, || {
        fail(
            "HEAD answer carries a body",
            "no body",
            format!("{} bytes", ex.response.body.len),
        )
    })
}

fn range_honoured(ex: &Exchange) -> Verdict {
    if ex.request.header("Range").is_none() || !ex.context.ranges_advertised {
        return Verdict::NotApplicable;
    }
    let s = ex.response.status;
    check(!(200..300).contains(&s) || s == 206, || {
        fail(
            "Range request answered with the whole blob although ranges are advertised",
            "206 Partial Content (or 416)",
            s.to_string(),
        )
    })
}

fn content_range_matches(ex: &Exchange) -> Verdict {
    let status = ex.response.status;
    let head = is_head(ex);
    if !(status == 206 || (head && status == 200)) {
        return Verdict::NotApplicable;
    }
    let Some(spec) = ex.request.header("Range").and_then(parse_range_request) else {
        return Verdict::NotApplicable;
    };
    let cr_raw = ex.response.header("Content-Range");
    let expected_shape = "Content-Range: bytes <first>-<last>/<size>";
    let cr = match cr_raw {
        None if head && status == 200 => return Verdict::NotApplicable,
        None => return fail("206 without Content-Range", expected_shape, "<absent>"),
        Some(v) => match parse_content_range(v) {
            Some(ContentRange::Range { first, last, total }) => (first, last, total),
            _ => return fail("Content-Range is malformed", expected_shape, v),
        },
    };
    let (first, last, total) = cr;
    let shown_cr = cr_raw.unwrap_or_default();
    let want = match total {
        Some(t) => spec.resolve(t),
        None => match spec {
            super::support::RangeSpec::FromTo(a, b) if last <= b => Some((a, last)),
            super::support::RangeSpec::From(a) => Some((a, last)),
            _ => None,
        },
    };
    let Some((wf, wl)) = want else {
        return fail(
            "the registry served a range although the requested one is unsatisfiable (or unverifiable)",
            "416 Range Not Satisfiable",
            shown_cr,
        );
    };
    if (first, last) != (wf, wl) {
        return fail(
            "Content-Range does not match the requested range",
            format!(
                "bytes {wf}-{wl}/{}",
                total.map(|t| t.to_string()).unwrap_or_else(|| "*".into())
            ),
            shown_cr,
        );
    }
    let want_len = last - first + 1;
    let got_len = if head {
        match ex.response.header("Content-Length").and_then(parse_u64) {
            Some(n) => n,
            None => return Verdict::Pass,
        }
    } else {
        ex.response.body.len
    };
    check(got_len == want_len, || {
        fail(
            "served length differs from the Content-Range length",
            format!("{want_len} bytes"),
            format!("{got_len} bytes"),
        )
    })
}

/// Decision: RFC 9110 says a 416 to a byte-range request SHOULD carry `Content-Range: bytes */N`;
/// its absence passes, a malformed or non-`*` value fails.
fn unsatisfiable(ex: &Exchange) -> Verdict {
    if ex.response.status != 416 {
        return Verdict::NotApplicable;
    }
    match ex.response.header("Content-Range") {
        None => Verdict::Pass,
        Some(v) => check(
            matches!(
                parse_content_range(v),
                Some(ContentRange::Unsatisfied { .. })
            ),
            || {
                fail(
                    "416 Content-Range is not `bytes */<size>`",
                    "bytes */<size>",
                    v,
                )
            },
        ),
    }
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, digest_of, ex};
    let content = b"hello blob";
    let d = digest_of(content);
    let other = digest_of(b"other");
    let url = format!("/v2/r/blobs/{d}");
    // SDKs percent-encode the colon; the rule must decode it.
    let enc_url = format!("/v2/library%2Fr/blobs/{}", d.replace(':', "%3A"));
    let get = || ex(O::GetBlob, "GET", &url);
    let head = || ex(O::CheckBlobExists, "HEAD", &url);
    let chunk = |range: &str| ex(O::GetChunk, "GET", &url).req_header("Range", range);
    let hchunk = |range: &str| ex(O::CheckChunkExists, "HEAD", &url).req_header("Range", range);
    let blob2048: Vec<u8> = (0..2048u32).map(|i| (i % 251) as u8).collect();
    vec![
        // A ranged HEAD may answer 206 (RFC 9110 §9.3.2) but then must say which range.
        case(
            "CheckChunkExists.content-range-matches",
            hchunk("bytes=0-9").status(206),
            hchunk("bytes=0-9")
                .status(206)
                .header("Content-Range", "bytes 0-9/2048"),
        ),
        case(
            "GetBlob.digest-matches-body",
            get().body(b"tampered"),
            ex(O::GetBlob, "GET", &enc_url).body(content),
        ),
        case(
            "GetBlob.digest-header-matches",
            get().body(content),
            get().body(content).header("Docker-Content-Digest", &d),
        ),
        case(
            "GetBlob.digest-header-matches",
            get().status(307).header("Docker-Content-Digest", &other),
            get().status(307).header("Docker-Content-Digest", &d),
        ),
        // A sha512 blob answered with its sha256 canonical digest (Distribution 2.8): it must
        // be the body's.
        case(
            "GetBlob.digest-header-matches",
            ex(
                O::GetBlob,
                "GET",
                &format!("/v2/r/blobs/sha512:{}", "a".repeat(128)),
            )
            .body(content)
            .header("Docker-Content-Digest", &other),
            ex(
                O::GetBlob,
                "GET",
                &format!("/v2/r/blobs/sha512:{}", "a".repeat(128)),
            )
            .body(content)
            .header("Docker-Content-Digest", &d),
        ),
        case(
            "GetBlob.redirect-location",
            get().status(307),
            get().status(307).header(
                "Location",
                "https://acct.blob.core.windows.net/x/data?sig=1",
            ),
        ),
        case(
            "CheckBlobExists.headers",
            head().header("Content-Length", "10"),
            head()
                .header("Content-Length", "10")
                .header("Docker-Content-Digest", &d),
        ),
        case(
            "CheckBlobExists.headers",
            head()
                .header("Docker-Content-Digest", &other)
                .header("Content-Length", "10"),
            head()
                .header("Content-Length", "10")
                .ctx(|c| c.via_redirect = true),
        ),
        case("CheckBlobExists.no-body", head().body(content), head()),
        case(
            "CheckBlobExists.redirect-location",
            head().status(307).header("Location", "not a url"),
            head().status(307).header("Location", "/storage/x"),
        ),
        case(
            "DeleteBlob.digest-header-matches",
            ex(O::DeleteBlob, "DELETE", &url)
                .status(202)
                .header("Docker-Content-Digest", &other),
            ex(O::DeleteBlob, "DELETE", &url)
                .status(202)
                .header("Docker-Content-Digest", &d),
        ),
        case(
            "GetChunk.range-honoured",
            chunk("bytes=0-1")
                .ctx(|c| c.ranges_advertised = true)
                .body(content),
            chunk("bytes=0-1")
                .ctx(|c| c.ranges_advertised = true)
                .status(206)
                .header("Content-Range", "bytes 0-1/10")
                .body(&content[..2]),
        ),
        case(
            "GetChunk.content-range-matches",
            chunk("bytes=500-1499")
                .status(206)
                .header("Content-Range", "bytes 500-1500/2048")
                .body(&blob2048[500..1501]),
            chunk("bytes=500-1499")
                .status(206)
                .header("Content-Range", "bytes 500-1499/2048")
                .body(&blob2048[500..1500]),
        ),
        case(
            "GetChunk.content-range-matches",
            chunk("bytes=-500")
                .status(206)
                .header("Content-Range", "bytes 1548-2047/2048")
                .body(&blob2048[1548..2000]),
            chunk("bytes=-500")
                .status(206)
                .header("Content-Range", "bytes 1548-2047/2048")
                .body(&blob2048[1548..]),
        ),
        case(
            "GetChunk.content-range-matches",
            chunk("bytes=5000-")
                .status(206)
                .header("Content-Range", "bytes 0-2047/2048"),
            // ACR clients omit the `bytes=` prefix; the open end resolves against the size.
            chunk("2000-")
                .status(206)
                .header("Content-Range", "bytes 2000-2047/2048")
                .body(&blob2048[2000..]),
        ),
        case(
            "GetChunk.content-range-matches",
            chunk("bytes=0-1").status(206).body(&content[..2]),
            chunk("bytes=0-99")
                .status(206)
                .header("Content-Range", "bytes 0-9/10")
                .body(content),
        ),
        case(
            "GetChunk.unsatisfiable",
            chunk("bytes=5000-")
                .status(416)
                .header("Content-Range", "bytes 0-1/2048"),
            chunk("bytes=5000-")
                .status(416)
                .header("Content-Range", "bytes */2048"),
        ),
        case(
            "GetChunk.digest-header-matches",
            chunk("bytes=0-1")
                .status(206)
                .header("Docker-Content-Digest", &other),
            chunk("bytes=0-1")
                .status(206)
                .header("Docker-Content-Digest", &d),
        ),
        case(
            "GetChunk.redirect-location",
            chunk("bytes=0-1").status(307),
            chunk("bytes=0-1")
                .status(307)
                .header("Location", "https://s/x"),
        ),
        case(
            "CheckChunkExists.content-range-matches",
            hchunk("bytes=0-9")
                .header("Content-Range", "bytes 0-9/2048")
                .header("Content-Length", "2048"),
            hchunk("bytes=0-9")
                .header("Content-Range", "bytes 0-9/2048")
                .header("Content-Length", "10"),
        ),
        case(
            "CheckChunkExists.unsatisfiable",
            hchunk("bytes=9999-")
                .status(416)
                .header("Content-Range", "garbage"),
            hchunk("bytes=9999-").status(416),
        ),
        case(
            "CheckChunkExists.no-body",
            hchunk("bytes=0-1").body(content),
            hchunk("bytes=0-1"),
        ),
        case(
            "CheckChunkExists.redirect-location",
            hchunk("bytes=0-1").status(307),
            hchunk("bytes=0-1").status(307).header("Location", "/x"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::ex;
    use super::*;

    #[test]
    fn content_range_with_unknown_total_is_checked_against_the_request() {
        let e = ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:aa")
            .req_header("Range", "bytes=500-1499")
            .status(206)
            .header("Content-Range", "bytes 500-1499/*")
            .body(vec![0u8; 1000])
            .build();
        assert_eq!(content_range_matches(&e), Verdict::Pass);
    }

    #[test]
    fn a_200_without_range_support_is_not_a_range_violation() {
        let e = ex(O::GetChunk, "GET", "/v2/r/blobs/sha256:aa")
            .req_header("Range", "bytes=0-1")
            .build();
        assert_eq!(range_honoured(&e), Verdict::NotApplicable);
        assert_eq!(content_range_matches(&e), Verdict::NotApplicable);
    }
}
