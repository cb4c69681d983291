//! The OCI 1.1 referrers rules: the referrers API answer (never 404 where the API is offered,
//! 400 for an invalid digest, an image index with its media type, descriptors with their
//! `artifactType`, an applied filter that filters) and `OCI-Subject` on the PUT of a manifest
//! with a `subject`. The sentences that bind "a registry that supports the referrers API" are
//! judged only where the probe found evidence of it (`ExchangeContext::referrers_api`): the API
//! itself is conditional in OCI 1.1.1.

use super::Rule;
use super::support::{check, fail, is_digest, media_type_base, path_after, query, shown};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};
use crate::vocab::media;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "GetReferrers.not-404",
        ops: &[O::GetReferrers],
        explanation: "A registry that offers the referrers API never answers it 404 (a subject without referrers gets an empty index)",
        bindings: norms::B_REFERRERS_NO_404,
        check: not_404,
    },
    Rule {
        id: "GetReferrers.invalid-digest-400",
        ops: &[O::GetReferrers],
        explanation: "A referrers request whose <digest> is not a digest is answered 400",
        bindings: norms::B_REFERRERS_INVALID,
        check: invalid_digest_400,
    },
    Rule {
        id: "GetReferrers.content-type",
        ops: &[O::GetReferrers],
        explanation: "A 200 answer has Content-Type application/vnd.oci.image.index.v1+json",
        bindings: norms::B_REFERRERS_INDEX,
        check: content_type,
    },
    Rule {
        id: "GetReferrers.schema",
        ops: &[O::GetReferrers],
        explanation: "A 200 answer is an OCI image index (schemaVersion 2, manifests: [descriptor])",
        bindings: norms::B_REFERRERS_INDEX,
        check: super::support::catalogue_body_schema,
    },
    Rule {
        id: "GetReferrers.artifact-type",
        ops: &[O::GetReferrers],
        explanation: "Every image-manifest descriptor carries an artifactType (the manifest's, else its config mediaType)",
        bindings: norms::B_REFERRERS_ARTIFACT_TYPE,
        check: artifact_type,
    },
    Rule {
        id: "GetReferrers.filter-applied",
        ops: &[O::GetReferrers],
        explanation: "With ?artifactType=T and OCI-Filters-Applied naming artifactType, every descriptor has artifactType T",
        bindings: norms::B_REFERRERS_FILTER,
        check: filter_applied,
    },
    Rule {
        id: "CreateManifest.oci-subject",
        ops: &[O::CreateManifest],
        explanation: "Where the referrers API is offered, the 201 to a manifest with a subject carries OCI-Subject: <subject digest>",
        bindings: norms::B_OCI_SUBJECT,
        check: oci_subject,
    },
];

/// The `<digest>` of a referrers request (decoded), whatever its syntax.
fn subject_of(ex: &Exchange) -> Option<String> {
    path_after(ex, "/referrers/")
}

fn not_404(ex: &Exchange) -> Verdict {
    if !ex.context.referrers_api || subject_of(ex).is_none_or(|d| !is_digest(&d)) {
        return Verdict::NotApplicable;
    }
    check(ex.response.status != 404, || {
        fail(
            "the referrers API answered 404 although the registry offers it",
            "200 with an image index (empty when nothing refers to the digest)",
            "404",
        )
    })
}

fn invalid_digest_400(ex: &Exchange) -> Verdict {
    let Some(subject) = subject_of(ex) else {
        return Verdict::NotApplicable;
    };
    if !ex.context.referrers_api || is_digest(&subject) {
        return Verdict::NotApplicable;
    }
    let s = ex.response.status;
    // Auth and throttling answers come before the request is looked at.
    if matches!(s, 401 | 403 | 429) {
        return Verdict::NotApplicable;
    }
    check(s == 400, || {
        fail(
            format!("the referrers of the invalid digest `{subject}` were answered {s}"),
            "400 Bad Request",
            s.to_string(),
        )
    })
}

fn content_type(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let ct = ex.response.header("Content-Type");
    check(
        ct.map(media_type_base).as_deref() == Some(media::OCI_INDEX),
        || {
            fail(
                "the referrers answer is not labelled as an image index",
                media::OCI_INDEX,
                shown(ct),
            )
        },
    )
}

/// The descriptors of a 200 referrers answer, when it is an index.
fn descriptors(ex: &Exchange) -> Option<Vec<serde_json::Value>> {
    if ex.response.status != 200 {
        return None;
    }
    ex.response.json()?.get("manifests")?.as_array().cloned()
}

fn artifact_type(ex: &Exchange) -> Verdict {
    let Some(list) = descriptors(ex) else {
        return Verdict::NotApplicable;
    };
    let missing: Vec<String> = list
        .iter()
        .filter(|d| d["mediaType"] == media::OCI_MANIFEST)
        .filter(|d| d["artifactType"].as_str().is_none_or(str::is_empty))
        .map(|d| d["digest"].as_str().unwrap_or("?").to_string())
        .collect();
    check(missing.is_empty(), || {
        fail(
            "image-manifest referrers listed without an artifactType",
            "artifactType on every image-manifest descriptor",
            format!("none on {}", missing.join(", ")),
        )
    })
}

fn filter_applied(ex: &Exchange) -> Verdict {
    let Some(wanted) = query(ex, "artifactType") else {
        return Verdict::NotApplicable;
    };
    let applied = ex
        .response
        .header_all("OCI-Filters-Applied")
        .flat_map(|v| v.split(','))
        .any(|f| f.trim().eq_ignore_ascii_case("artifactType"));
    let Some(list) = descriptors(ex).filter(|_| applied) else {
        return Verdict::NotApplicable;
    };
    let others: Vec<String> = list
        .iter()
        .filter(|d| d["artifactType"].as_str() != Some(wanted.as_str()))
        .map(|d| {
            format!(
                "{} ({})",
                d["digest"].as_str().unwrap_or("?"),
                d["artifactType"].as_str().unwrap_or("no artifactType")
            )
        })
        .collect();
    check(others.is_empty(), || {
        fail(
            "OCI-Filters-Applied says artifactType, yet other artifact types are listed",
            format!("only artifactType {wanted}"),
            others.join(", "),
        )
    })
}

fn oci_subject(ex: &Exchange) -> Verdict {
    if !ex.context.referrers_api || ex.response.status != 201 {
        return Verdict::NotApplicable;
    }
    let Some(subject) = ex
        .request
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|j| j["subject"]["digest"].as_str().map(str::to_string))
    else {
        return Verdict::NotApplicable;
    };
    let got = ex.response.header("OCI-Subject");
    check(got.map(str::trim) == Some(subject.as_str()), || {
        fail(
            "the manifest's subject was not acknowledged with OCI-Subject",
            format!("OCI-Subject: {subject}"),
            shown(got),
        )
    })
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, digest_of, ex};
    use serde_json::json;
    let subject = digest_of(b"subject");
    let url = format!("/v2/r/referrers/{subject}");
    let api = |b: super::testkit::ExBuilder| b.ctx(|c| c.referrers_api = true);
    let get = |u: &str| api(ex(O::GetReferrers, "GET", u));
    let desc = |t: Option<&str>| {
        let mut d = json!({"mediaType": media::OCI_MANIFEST, "digest": digest_of(b"a"), "size": 2});
        if let Some(t) = t {
            d["artifactType"] = json!(t);
        }
        d
    };
    let index = |ds: Vec<serde_json::Value>| json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": ds});
    let ok = |ds: Vec<serde_json::Value>| {
        get(&url)
            .header("Content-Type", media::OCI_INDEX)
            .json(index(ds))
    };
    let artifact = json!({
        "schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "artifactType": "x/y",
        "config": {"mediaType": media::OCI_EMPTY, "digest": digest_of(b"{}"), "size": 2},
        "layers": [], "subject": {"mediaType": media::OCI_MANIFEST, "digest": subject, "size": 7},
    })
    .to_string();
    let put = || {
        api(ex(O::CreateManifest, "PUT", "/v2/r/manifests/v1"))
            .status(201)
            .req_body(&artifact)
    };
    let filtered = format!("{url}?artifactType=x/y");
    vec![
        case("GetReferrers.not-404", get(&url).status(404), ok(vec![])),
        case(
            "GetReferrers.invalid-digest-400",
            get("/v2/r/referrers/sha256:nothex").status(404),
            get("/v2/r/referrers/sha256:nothex").status(400),
        ),
        case(
            "GetReferrers.content-type",
            get(&url)
                .header("Content-Type", "application/json")
                .json(index(vec![])),
            ok(vec![]),
        ),
        case(
            "GetReferrers.schema",
            get(&url)
                .header("Content-Type", media::OCI_INDEX)
                .json(json!({"schemaVersion": 2, "referrers": []})),
            ok(vec![desc(Some("x/y"))]),
        ),
        case(
            "GetReferrers.artifact-type",
            ok(vec![desc(None)]),
            ok(vec![desc(Some("x/y"))]),
        ),
        case(
            "GetReferrers.filter-applied",
            get(&filtered)
                .header("Content-Type", media::OCI_INDEX)
                .header("OCI-Filters-Applied", "artifactType")
                .json(index(vec![desc(Some("x/y")), desc(Some("other/type"))])),
            get(&filtered)
                .header("Content-Type", media::OCI_INDEX)
                .header("OCI-Filters-Applied", "artifactType")
                .json(index(vec![desc(Some("x/y"))])),
        ),
        case(
            "CreateManifest.oci-subject",
            put(),
            put().header("OCI-Subject", &subject),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{digest_of, ex};
    use super::*;

    #[test]
    fn sentences_about_a_registry_with_the_api_do_not_bind_one_without_it() {
        let url = format!("/v2/r/referrers/{}", digest_of(b"s"));
        let no_api = ex(O::GetReferrers, "GET", &url).status(404).build();
        assert_eq!(not_404(&no_api), Verdict::NotApplicable);
        let bad = ex(O::GetReferrers, "GET", "/v2/r/referrers/nope")
            .status(404)
            .build();
        assert_eq!(invalid_digest_400(&bad), Verdict::NotApplicable);
    }

    #[test]
    fn an_unapplied_filter_is_not_judged_by_the_filter_rule() {
        let url = format!("/v2/r/referrers/{}?artifactType=x/y", digest_of(b"s"));
        let unfiltered = ex(O::GetReferrers, "GET", &url)
            .header("Content-Type", media::OCI_INDEX)
            .json(serde_json::json!({"schemaVersion":2,"manifests":[
                {"mediaType": media::OCI_MANIFEST, "digest": digest_of(b"a"), "size": 1, "artifactType": "other/t"}
            ]}))
            .build();
        assert_eq!(filter_applied(&unfiltered), Verdict::NotApplicable);
    }
}
