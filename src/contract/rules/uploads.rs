//! Blob upload rules: session start (incl. monolithic POST), cross-repository mount, chunk
//! PATCHes, status GETs and completion — `Location`, `Docker-Upload-UUID`, progress `Range` and
//! `Docker-Content-Digest`.

use super::Rule;
use super::support::{
    RangeSpec, check, decode, docker_headers_required, fail, is_url, parse_content_range,
    parse_range_request, parse_upload_range, query, shown,
};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};

/// `StartUpload.location-present`, by name (load mode runs it).
pub const START_UPLOAD_LOCATION_PRESENT: Rule = Rule {
    id: "StartUpload.location-present",
    ops: &[O::StartUpload],
    explanation: "202 (session) and 201 (monolithic) carry a Location URL",
    bindings: norms::B_PUSH_LOCATION,
    check: location_present,
};

/// `UploadChunk.location-present`, by name (load mode runs it).
pub const UPLOAD_CHUNK_LOCATION_PRESENT: Rule = Rule {
    id: "UploadChunk.location-present",
    ops: &[O::UploadChunk],
    explanation: "202 carries the Location to use for the next request",
    bindings: norms::B_CHUNK,
    check: location_present,
};

/// `UploadChunk.range-matches-content-range`, by name (load mode runs it).
pub const UPLOAD_CHUNK_RANGE_MATCHES_CONTENT_RANGE: Rule = Rule {
    id: "UploadChunk.range-matches-content-range",
    ops: &[O::UploadChunk],
    explanation: "After a PATCH with Content-Range a-b, the progress Range ends at b",
    bindings: norms::B_CHUNK_ORDER,
    check: range_matches_content_range,
};

/// `CompleteUpload.digest-header-matches`, by name (load mode runs it).
pub const COMPLETE_UPLOAD_DIGEST_HEADER_MATCHES: Rule = Rule {
    id: "CompleteUpload.digest-header-matches",
    ops: &[O::CompleteUpload],
    explanation: "201 carries Docker-Content-Digest equal to the digest query parameter",
    bindings: norms::B_PUSH_DIGEST,
    check: digest_header_equals_query_digest,
};

pub(super) const RULES: &[Rule] = &[
    START_UPLOAD_LOCATION_PRESENT,
    Rule {
        id: "StartUpload.upload-uuid-present",
        ops: &[O::StartUpload],
        explanation: "202 carries a non-empty Docker-Upload-UUID",
        bindings: norms::B_ACR_HEADERS,
        check: upload_uuid_present,
    },
    Rule {
        id: "StartUpload.range-format",
        ops: &[O::StartUpload],
        explanation: "Range, when sent on 202, is `0-<last>` (bytes= prefix tolerated)",
        bindings: norms::B_CHUNK,
        check: optional_range_format,
    },
    Rule {
        id: "StartUpload.monolithic-digest",
        ops: &[O::StartUpload],
        explanation: "A monolithic 201 carries Docker-Content-Digest equal to the digest query parameter",
        bindings: norms::B_PUSH_DIGEST,
        check: digest_header_equals_query_digest,
    },
    Rule {
        id: "MountBlob.location-present",
        ops: &[O::MountBlob],
        explanation: "201 (mounted) and 202 (fallback session) carry a Location URL",
        bindings: norms::B_MOUNT,
        check: location_present,
    },
    Rule {
        id: "MountBlob.digest-header-matches",
        ops: &[O::MountBlob],
        explanation: "201 carries Docker-Content-Digest equal to the mount parameter",
        bindings: norms::B_PUSH_DIGEST,
        check: mount_digest,
    },
    Rule {
        id: "MountBlob.location-target",
        ops: &[O::MountBlob],
        explanation: "201 Location points at the mounted blob (…/blobs/<digest>); 202 Location at an upload session (…/blobs/uploads/…)",
        bindings: norms::B_MOUNT_TARGET,
        check: mount_location_target,
    },
    UPLOAD_CHUNK_LOCATION_PRESENT,
    Rule {
        id: "UploadChunk.range-format",
        ops: &[O::UploadChunk],
        explanation: "202 carries progress Range `0-<last>` (ACR style; bytes= prefix tolerated)",
        bindings: norms::B_CHUNK,
        check: required_range_format,
    },
    UPLOAD_CHUNK_RANGE_MATCHES_CONTENT_RANGE,
    Rule {
        id: "UploadChunk.upload-uuid-present",
        ops: &[O::UploadChunk],
        explanation: "202 carries a non-empty Docker-Upload-UUID",
        bindings: norms::B_ACR_HEADERS,
        check: upload_uuid_present,
    },
    Rule {
        id: "GetUploadStatus.range-format",
        ops: &[O::GetUploadStatus],
        explanation: "204 carries progress Range `0-<last>`",
        bindings: norms::B_UPLOAD_STATUS,
        check: required_range_format,
    },
    Rule {
        id: "GetUploadStatus.upload-uuid-present",
        ops: &[O::GetUploadStatus],
        explanation: "204 carries a non-empty Docker-Upload-UUID",
        bindings: norms::B_ACR_HEADERS,
        check: upload_uuid_present,
    },
    Rule {
        id: "CompleteUpload.location-present",
        ops: &[O::CompleteUpload],
        explanation: "201 carries the blob's Location",
        bindings: norms::B_PUSH_LOCATION,
        check: location_present,
    },
    COMPLETE_UPLOAD_DIGEST_HEADER_MATCHES,
];

fn is_success(ex: &Exchange) -> bool {
    (200..300).contains(&ex.response.status)
}

fn location_present(ex: &Exchange) -> Verdict {
    if !is_success(ex) {
        return Verdict::NotApplicable;
    }
    let loc = ex.response.header("Location");
    check(loc.is_some_and(is_url), || {
        fail(
            format!("{} {} without a usable Location", ex.op, ex.response.status),
            "Location: <absolute or relative URL>",
            shown(loc),
        )
    })
}

fn upload_uuid_present(ex: &Exchange) -> Verdict {
    if !matches!(ex.response.status, 202 | 204) {
        return Verdict::NotApplicable;
    }
    let v = ex.response.header("Docker-Upload-UUID");
    check(v.is_some_and(|u| !u.trim().is_empty()), || {
        fail(
            format!("{} {} lacks Docker-Upload-UUID", ex.op, ex.response.status),
            "Docker-Upload-UUID: <session id>",
            shown(v),
        )
    })
}

fn range_format(ex: &Exchange, required: bool) -> Verdict {
    if !matches!(ex.response.status, 202 | 204) {
        return Verdict::NotApplicable;
    }
    match ex.response.header("Range") {
        None if required => fail(
            format!(
                "{} {} lacks the progress Range header",
                ex.op, ex.response.status
            ),
            "Range: 0-<last byte>",
            "<absent>",
        ),
        None => Verdict::NotApplicable,
        Some(v) => check(parse_upload_range(v).is_some(), || {
            fail("progress Range is malformed", "Range: 0-<last byte>", v)
        }),
    }
}

fn optional_range_format(ex: &Exchange) -> Verdict {
    range_format(ex, false)
}

fn required_range_format(ex: &Exchange) -> Verdict {
    range_format(ex, true)
}

fn digest_header_equals_query_digest(ex: &Exchange) -> Verdict {
    if ex.response.status != 201 {
        return Verdict::NotApplicable;
    }
    let Some(want) = query(ex, "digest") else {
        return Verdict::NotApplicable;
    };
    let got = ex.response.header("Docker-Content-Digest");
    if got.is_none() && !docker_headers_required(ex) {
        return Verdict::NotApplicable;
    }
    // A canonical digest of another algorithm (a sha512 upload filed under sha256): "the
    // canonical digest of the uploaded blob which MAY differ from the provided digest"; the
    // bytes behind it are not in this exchange.
    if got.is_some_and(|g| !super::blobs::same_algorithm(g.trim(), &want)) {
        return Verdict::NotApplicable;
    }
    check(got.map(str::trim) == Some(want.as_str()), || {
        fail(
            "Docker-Content-Digest does not equal the digest the client sent",
            want.clone(),
            shown(got),
        )
    })
}

fn mount_digest(ex: &Exchange) -> Verdict {
    if ex.response.status != 201 {
        return Verdict::NotApplicable;
    }
    let Some(want) = query(ex, "mount") else {
        return Verdict::NotApplicable;
    };
    let got = ex.response.header("Docker-Content-Digest");
    if got.is_none() && !docker_headers_required(ex) {
        return Verdict::NotApplicable;
    }
    check(got.map(str::trim) == Some(want.as_str()), || {
        fail(
            "mounted blob's Docker-Content-Digest differs from the mount parameter",
            want.clone(),
            shown(got),
        )
    })
}

fn location_path(loc: &str) -> String {
    let no_query = loc.split(['?', '#']).next().unwrap_or_default();
    let path = match no_query.find("://") {
        Some(i) => no_query[i + 3..]
            .find('/')
            .map(|j| &no_query[i + 3 + j..])
            .unwrap_or("/"),
        None => no_query,
    };
    decode(path)
}

fn mount_location_target(ex: &Exchange) -> Verdict {
    let Some(loc) = ex.response.header("Location") else {
        return Verdict::NotApplicable;
    };
    let path = location_path(loc);
    match ex.response.status {
        201 => {
            let Some(d) = query(ex, "mount") else {
                return Verdict::NotApplicable;
            };
            check(path.ends_with(&format!("/blobs/{d}")), || {
                fail(
                    "201 Location is not the mounted blob",
                    format!("…/blobs/{d}"),
                    loc,
                )
            })
        }
        202 => check(path.contains("/blobs/uploads/"), || {
            fail(
                "202 fallback Location is not an upload session",
                "…/blobs/uploads/<session>",
                loc,
            )
        }),
        _ => Verdict::NotApplicable,
    }
}

/// The last byte a PATCH declared with `Content-Range` (`a-b`, `bytes a-b/total`, `bytes=a-b`).
fn declared_chunk_end(v: &str) -> Option<u64> {
    if let Some(super::support::ContentRange::Range { last, .. }) = parse_content_range(v) {
        return Some(last);
    }
    match parse_range_request(v)? {
        RangeSpec::FromTo(_, b) => Some(b),
        _ => None,
    }
}

fn range_matches_content_range(ex: &Exchange) -> Verdict {
    if ex.response.status != 202 {
        return Verdict::NotApplicable;
    }
    let Some(end) = ex
        .request
        .header("Content-Range")
        .and_then(declared_chunk_end)
    else {
        return Verdict::NotApplicable;
    };
    let Some(range) = ex.response.header("Range") else {
        return Verdict::NotApplicable;
    };
    check(parse_upload_range(range) == Some(end), || {
        fail(
            "progress Range does not end at the last byte of the chunk just sent",
            format!("0-{end}"),
            range,
        )
    })
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, digest_of, ex};
    let d = digest_of(b"blob");
    let other = digest_of(b"other");
    let start = || ex(O::StartUpload, "POST", "/v2/r/blobs/uploads/").status(202);
    let mono_url = format!("/v2/r/blobs/uploads/?digest={}", d.replace(':', "%3A"));
    let mono = || ex(O::StartUpload, "POST", &mono_url).status(201);
    let mount_url = format!("/v2/r/blobs/uploads/?mount={d}&from=src");
    let mount = |s: u16| ex(O::MountBlob, "POST", &mount_url).status(s);
    let loc = "/v2/r/blobs/uploads/cd69dc38?_nouploadcache=false&_state=SSzw";
    let patch = || ex(O::UploadChunk, "PATCH", loc).status(202);
    let status = || ex(O::GetUploadStatus, "GET", loc).status(204);
    let complete_url = format!("/v2/r/blobs/uploads/u?_state=x&digest={d}");
    let complete = || ex(O::CompleteUpload, "PUT", &complete_url).status(201);
    vec![
        case(
            "StartUpload.location-present",
            start(),
            start().header("Location", loc),
        ),
        case(
            "StartUpload.location-present",
            mono().header("Location", ""),
            mono().header("Location", &format!("/v2/r/blobs/{d}")),
        ),
        case(
            "StartUpload.upload-uuid-present",
            start().header("Docker-Upload-UUID", " "),
            start().header("Docker-Upload-UUID", "cd69dc38-b125-4787-bbec-05a47b8522e0"),
        ),
        case(
            "StartUpload.range-format",
            start().header("Range", "bytes 0-0/0"),
            start().header("Range", "0-0"),
        ),
        case(
            "StartUpload.monolithic-digest",
            mono().header("Docker-Content-Digest", &other),
            mono().header("Docker-Content-Digest", &d),
        ),
        case(
            "MountBlob.location-present",
            mount(202),
            mount(202).header("Location", "/v2/r/blobs/uploads/u"),
        ),
        case(
            "MountBlob.digest-header-matches",
            mount(201).header("Docker-Content-Digest", &other),
            mount(201).header("Docker-Content-Digest", &d),
        ),
        case(
            "MountBlob.location-target",
            mount(201).header("Location", "/v2/r/blobs/uploads/u"),
            mount(201).header("Location", &format!("https://reg.example/v2/r/blobs/{d}")),
        ),
        case(
            "MountBlob.location-target",
            mount(202).header("Location", &format!("/v2/r/blobs/{d}")),
            mount(202).header("Location", "/v2/r/blobs/uploads/u?_state=s"),
        ),
        case(
            "UploadChunk.location-present",
            patch(),
            patch().header("Location", loc),
        ),
        case(
            "UploadChunk.range-format",
            patch(),
            patch().header("Range", "0-27"),
        ),
        case(
            "UploadChunk.range-format",
            patch().header("Range", "5-27"),
            patch().header("Range", "bytes=0-27"),
        ),
        case(
            "UploadChunk.range-matches-content-range",
            patch()
                .req_header("Content-Range", "1048576-2097151")
                .header("Range", "0-1048575"),
            patch()
                .req_header("Content-Range", "1048576-2097151")
                .header("Range", "0-2097151"),
        ),
        case(
            "UploadChunk.upload-uuid-present",
            patch(),
            patch().header("Docker-Upload-UUID", "u"),
        ),
        case(
            "GetUploadStatus.range-format",
            status().header("Range", "0-"),
            status().header("Range", "0-1048575"),
        ),
        case(
            "GetUploadStatus.upload-uuid-present",
            status(),
            status().header("Docker-Upload-UUID", "u"),
        ),
        case(
            "CompleteUpload.location-present",
            complete().header("Location", "relative/no/slash"),
            complete().header("Location", &format!("/v2/r/blobs/{d}")),
        ),
        case(
            "CompleteUpload.digest-header-matches",
            complete(),
            complete().header("Docker-Content-Digest", &d),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_end_accepts_the_content_range_spellings() {
        assert_eq!(declared_chunk_end("0-1023"), Some(1023));
        assert_eq!(declared_chunk_end("bytes 1024-2047/4096"), Some(2047));
        assert_eq!(declared_chunk_end("bytes=0-9"), Some(9));
        assert_eq!(declared_chunk_end("nonsense"), None);
        assert_eq!(
            location_path("https://h:1/v2/a%2Fb/blobs/x?q=1"),
            "/v2/a/b/blobs/x"
        );
    }
}
