//! Manifest rules: PUT answers (`Location`, `Docker-Content-Digest` = digest of what was sent),
//! GET answers (digest of the bytes served, `Content-Type` = the manifest's `mediaType`, body
//! shape for its media type, `Accept` honoured).

use super::Rule;
use super::support::{
    all_of, body_matches_schema, check, docker_headers_required, fail, is_digest, is_url,
    media_type_base, path_after, sha256_digest, shown,
};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::contract::schema::schema_for_manifest_media_type;
use crate::exchange::{Exchange, Verdict};

/// `GetManifest.digest-matches-body`, by name (load mode runs it).
pub const GET_MANIFEST_DIGEST_MATCHES_BODY: Rule = Rule {
    id: "GetManifest.digest-matches-body",
    ops: &[O::GetManifest],
    explanation: "The 200 body hashes to Docker-Content-Digest and, when fetched by digest, to that digest",
    bindings: norms::B_MANIFEST_PULL,
    check: get_digest_matches_body,
};

/// `CreateManifest.digest-header`, by name (load mode runs it).
pub const CREATE_MANIFEST_DIGEST_HEADER: Rule = Rule {
    id: "CreateManifest.digest-header",
    ops: &[O::CreateManifest],
    explanation: "201 carries Docker-Content-Digest: well-formed, equal to a digest reference and to the sha256 of the bytes sent",
    bindings: norms::B_PUSH_DIGEST,
    check: create_digest_header,
};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "CreateManifest.location-present",
        ops: &[O::CreateManifest],
        explanation: "201 carries the manifest's Location",
        bindings: norms::B_MANIFEST_PUSH,
        check: location_present,
    },
    CREATE_MANIFEST_DIGEST_HEADER,
    GET_MANIFEST_DIGEST_MATCHES_BODY,
    Rule {
        id: "GetManifest.content-type-matches-media-type",
        ops: &[O::GetManifest],
        explanation: "Content-Type equals the body's mediaType when the manifest declares one",
        bindings: norms::B_MANIFEST_CONTENT_TYPE,
        check: content_type_matches_media_type,
    },
    Rule {
        id: "GetManifest.schema",
        ops: &[O::GetManifest],
        explanation: "The 200 body is a valid manifest for its Content-Type (OCI manifest/index, Docker v2/list, else ManifestWrapper)",
        bindings: norms::B_MANIFEST_PULL,
        check: manifest_schema,
    },
    Rule {
        id: "GetManifest.accept-honoured",
        ops: &[O::GetManifest],
        explanation: "The 200 Content-Type is one of the media types the request accepted",
        bindings: norms::B_ACCEPT,
        check: accept_honoured,
    },
];

fn reference_digest(ex: &Exchange) -> Option<String> {
    path_after(ex, "/manifests/").filter(|r| is_digest(r))
}

fn location_present(ex: &Exchange) -> Verdict {
    if ex.response.status != 201 {
        return Verdict::NotApplicable;
    }
    let loc = ex.response.header("Location");
    check(loc.is_some_and(is_url), || {
        fail(
            "201 without a usable Location",
            "Location: /v2/<name>/manifests/<digest>",
            shown(loc),
        )
    })
}

fn create_digest_header(ex: &Exchange) -> Verdict {
    if ex.response.status != 201 {
        return Verdict::NotApplicable;
    }
    let Some(got) = ex.response.header("Docker-Content-Digest").map(str::trim) else {
        if !docker_headers_required(ex) {
            return Verdict::NotApplicable;
        }
        return fail(
            "201 lacks Docker-Content-Digest",
            "Docker-Content-Digest: sha256:<digest of the manifest sent>",
            "<absent>",
        );
    };
    if !is_digest(got) {
        return fail("Docker-Content-Digest is malformed", "sha256:<64 hex>", got);
    }
    let by_ref = match reference_digest(ex) {
        Some(r) => check(r == got, || {
            fail(
                "Docker-Content-Digest differs from the digest in the URL",
                r.clone(),
                got,
            )
        }),
        None => Verdict::NotApplicable,
    };
    let by_body = match ex.request.body.as_ref() {
        Some(b) if got.starts_with("sha256:") => {
            let want = sha256_digest(b);
            check(want == got, || {
                fail(
                    "Docker-Content-Digest is not the digest of the manifest bytes sent",
                    want.clone(),
                    got,
                )
            })
        }
        _ => Verdict::NotApplicable,
    };
    match all_of([by_ref, by_body]) {
        Verdict::NotApplicable => Verdict::Pass,
        v => v,
    }
}

fn get_digest_matches_body(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    if ex.request.method.eq_ignore_ascii_case("HEAD") {
        // No body: the header alone must name the requested digest.
        return match (
            ex.response.header("Docker-Content-Digest").map(str::trim),
            reference_digest(ex),
        ) {
            (Some(h), Some(r)) => check(h == r, || {
                fail(
                    "HEAD by digest answered another Docker-Content-Digest",
                    r.clone(),
                    h,
                )
            }),
            _ => Verdict::NotApplicable,
        };
    }
    let body = ex.response.body.digest.as_str();
    let header = match ex.response.header("Docker-Content-Digest").map(str::trim) {
        Some(h) if h.starts_with("sha256:") => check(h == body, || {
            fail(
                "manifest bytes do not hash to Docker-Content-Digest",
                h,
                body,
            )
        }),
        _ => Verdict::NotApplicable,
    };
    let reference = match reference_digest(ex) {
        Some(r) if r.starts_with("sha256:") => check(r == body, || {
            fail(
                "manifest fetched by digest does not hash to that digest",
                r.clone(),
                body,
            )
        }),
        _ => Verdict::NotApplicable,
    };
    all_of([header, reference])
}

fn content_type_matches_media_type(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let Some(mt) = ex.response.json().and_then(|v| {
        v.get("mediaType")
            .and_then(|m| m.as_str())
            .map(str::to_string)
    }) else {
        return Verdict::NotApplicable;
    };
    let ct = ex.response.header("Content-Type");
    check(
        ct.is_some_and(|c| media_type_base(c) == mt.to_ascii_lowercase()),
        || {
            fail(
                "Content-Type differs from the manifest's mediaType",
                mt.clone(),
                shown(ct),
            )
        },
    )
}

fn manifest_schema(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 || ex.request.method.eq_ignore_ascii_case("HEAD") {
        return Verdict::NotApplicable;
    }
    let media_type = ex
        .response
        .header("Content-Type")
        .map(str::to_string)
        .or_else(|| {
            ex.response.json().and_then(|v| {
                v.get("mediaType")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
        })
        .unwrap_or_default();
    body_matches_schema(ex, schema_for_manifest_media_type(&media_type))
}

fn accept_honoured(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let Some(accept) = ex.request.header("Accept") else {
        return Verdict::NotApplicable;
    };
    let accepted: Vec<String> = accept
        .split(',')
        .map(media_type_base)
        .filter(|m| !m.is_empty())
        .collect();
    if accepted.is_empty() || accepted.iter().any(|m| m == "*/*") {
        return Verdict::NotApplicable;
    }
    let ct = ex.response.header("Content-Type");
    let got = ct.map(media_type_base).unwrap_or_default();
    let ok = accepted.iter().any(|m| {
        m == &got
            || m.strip_suffix("/*")
                .is_some_and(|t| got.split('/').next() == Some(t))
    });
    check(ok, || {
        fail(
            "manifest served in a media type the client did not accept",
            accepted.join(", "),
            shown(ct),
        )
    })
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, digest_of, ex};
    use serde_json::json;
    let oci = "application/vnd.oci.image.manifest.v1+json";
    let docker = "application/vnd.docker.distribution.manifest.v2+json";
    let desc = json!({"mediaType":"application/vnd.oci.image.config.v1+json","digest":digest_of(b"c"),"size":1});
    let manifest =
        json!({"schemaVersion":2,"mediaType":oci,"config":desc,"layers":[desc]}).to_string();
    let md = digest_of(manifest.as_bytes());
    let by_digest = format!("/v2/r/manifests/{md}");
    let put = |url: &str| {
        ex(O::CreateManifest, "PUT", url)
            .status(201)
            .req_body(&manifest)
    };
    let get = |url: &str| {
        ex(O::GetManifest, "GET", url)
            .header("Content-Type", oci)
            .body(&manifest)
    };
    let head = |url: &str| ex(O::GetManifest, "HEAD", url).header("Content-Type", oci);
    vec![
        // HEAD has no body: only the header is compared with the requested digest.
        case(
            "GetManifest.digest-matches-body",
            head(&by_digest).header("Docker-Content-Digest", &digest_of(b"other")),
            head(&by_digest).header("Docker-Content-Digest", &md),
        ),
        case(
            "CreateManifest.location-present",
            put("/v2/r/manifests/v1"),
            put("/v2/r/manifests/v1").header("Location", &by_digest),
        ),
        case(
            "CreateManifest.digest-header",
            put("/v2/r/manifests/v1").header("Docker-Content-Digest", &digest_of(b"x")),
            put("/v2/r/manifests/v1").header("Docker-Content-Digest", &md),
        ),
        case(
            "CreateManifest.digest-header",
            ex(O::CreateManifest, "PUT", &by_digest)
                .status(201)
                .header("Docker-Content-Digest", &digest_of(b"x")),
            ex(O::CreateManifest, "PUT", &by_digest)
                .status(201)
                .header("Docker-Content-Digest", &md),
        ),
        case(
            "CreateManifest.digest-header",
            put("/v2/r/manifests/v1"),
            put("/v2/r/manifests/v1").header("Docker-Content-Digest", &md),
        ),
        case(
            "GetManifest.digest-matches-body",
            get("/v2/r/manifests/v1").header("Docker-Content-Digest", &digest_of(b"x")),
            get("/v2/r/manifests/v1").header("Docker-Content-Digest", &md),
        ),
        case(
            "GetManifest.digest-matches-body",
            get(&format!("/v2/r/manifests/{}", digest_of(b"x"))),
            get(&by_digest),
        ),
        case(
            "GetManifest.content-type-matches-media-type",
            ex(O::GetManifest, "GET", "/v2/r/manifests/v1")
                .header("Content-Type", docker)
                .body(&manifest),
            get("/v2/r/manifests/v1"),
        ),
        case(
            "GetManifest.schema",
            ex(O::GetManifest, "GET", "/v2/r/manifests/v1")
                .header("Content-Type", oci)
                .json(json!({"schemaVersion":2,"layers":[]})),
            get("/v2/r/manifests/v1"),
        ),
        case(
            "GetManifest.accept-honoured",
            get("/v2/r/manifests/v1").req_header(
                "Accept",
                &format!("{docker}, application/vnd.docker.distribution.manifest.list.v2+json"),
            ),
            get("/v2/r/manifests/v1").req_header("Accept", &format!("{docker}, {oci};q=0.9")),
        ),
    ]
}
