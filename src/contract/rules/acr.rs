//! ACR metadata rules (`/acr/v1`): every body matches its 2021-07-01 schema, time ordering
//! (`orderby=timedesc|timeasc`), the `digest` filter, PATCHes reflected in the answer, and
//! single-item answers naming the item asked for.

use super::Rule;
use super::support::{catalogue_body_schema, check, decode, fail, items_at, path_after, query};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const fn schema_rule(
    id: &'static str,
    op: &'static [O],
    explanation: &'static str,
    _swagger_operation: &'static str,
) -> Rule {
    Rule {
        id,
        ops: op,
        explanation,
        bindings: norms::B_ACR_BODIES,
        check: catalogue_body_schema,
    }
}

pub(super) const RULES: &[Rule] = &[
    schema_rule(
        "GetRepositories.schema",
        &[O::GetRepositories],
        "200 body matches Repositories",
        "ACR 2021-07-01 ContainerRegistry_GetRepositories (Repositories)",
    ),
    schema_rule(
        "GetProperties.schema",
        &[O::GetProperties],
        "200 body matches RepositoryAttributes",
        "ACR 2021-07-01 ContainerRegistry_GetProperties (RepositoryAttributes)",
    ),
    schema_rule(
        "DeleteRepository.schema",
        &[O::DeleteRepository],
        "202 body matches DeletedRepository (lists may be null)",
        "ACR 2021-07-01 ContainerRegistry_DeleteRepository (DeletedRepository)",
    ),
    schema_rule(
        "UpdateProperties.schema",
        &[O::UpdateProperties],
        "200 body matches RepositoryAttributes",
        "ACR 2021-07-01 ContainerRegistry_UpdateProperties (RepositoryAttributes)",
    ),
    schema_rule(
        "GetTags.schema",
        &[O::GetTags],
        "200 body matches TagList (tags may be null)",
        "ACR 2021-07-01 ContainerRegistry_GetTags (TagList)",
    ),
    schema_rule(
        "GetTagProperties.schema",
        &[O::GetTagProperties],
        "200 body matches TagAttributes",
        "ACR 2021-07-01 ContainerRegistry_GetTagProperties (TagAttributes)",
    ),
    schema_rule(
        "UpdateTagAttributes.schema",
        &[O::UpdateTagAttributes],
        "200 body matches TagAttributes",
        "ACR 2021-07-01 ContainerRegistry_UpdateTagAttributes (TagAttributes)",
    ),
    schema_rule(
        "GetManifests.schema",
        &[O::GetManifests],
        "200 body matches AcrManifests",
        "ACR 2021-07-01 ContainerRegistry_GetManifests (AcrManifests)",
    ),
    schema_rule(
        "GetManifestProperties.schema",
        &[O::GetManifestProperties],
        "200 body matches ManifestAttributes",
        "ACR 2021-07-01 ContainerRegistry_GetManifestProperties (ManifestAttributes)",
    ),
    schema_rule(
        "UpdateManifestProperties.schema",
        &[O::UpdateManifestProperties],
        "200 body matches ManifestAttributes",
        "ACR 2021-07-01 ContainerRegistry_UpdateManifestProperties (ManifestAttributes)",
    ),
    Rule {
        id: "GetTags.orderby",
        ops: &[O::GetTags],
        explanation: "With orderby=timedesc|timeasc, tags are sorted by lastUpdateTime accordingly",
        bindings: norms::B_ACR_BODIES,
        check: orderby,
    },
    Rule {
        id: "GetManifests.orderby",
        ops: &[O::GetManifests],
        explanation: "With orderby=timedesc|timeasc, manifests are sorted by lastUpdateTime accordingly",
        bindings: norms::B_ACR_BODIES,
        check: orderby,
    },
    Rule {
        id: "GetTags.digest-filter",
        ops: &[O::GetTags],
        explanation: "With ?digest=D, every returned tag points at D",
        bindings: norms::B_ACR_BODIES,
        check: digest_filter,
    },
    Rule {
        id: "GetTagProperties.name-matches",
        ops: &[O::GetTagProperties],
        explanation: "The 200 body describes the tag in the URL",
        bindings: norms::B_ACR_BODIES,
        check: tag_name_matches,
    },
    Rule {
        id: "GetManifestProperties.digest-matches",
        ops: &[O::GetManifestProperties],
        explanation: "The 200 body describes the manifest digest in the URL",
        bindings: norms::B_ACR_BODIES,
        check: manifest_digest_matches,
    },
    Rule {
        id: "UpdateProperties.reflects-request",
        ops: &[O::UpdateProperties],
        explanation: "The 200 changeableAttributes hold the values the PATCH sent",
        bindings: norms::B_ACR_BODIES,
        check: reflects_request,
    },
    Rule {
        id: "UpdateTagAttributes.reflects-request",
        ops: &[O::UpdateTagAttributes],
        explanation: "The 200 tag.changeableAttributes hold the values the PATCH sent",
        bindings: norms::B_ACR_BODIES,
        check: reflects_request,
    },
    Rule {
        id: "UpdateManifestProperties.reflects-request",
        ops: &[O::UpdateManifestProperties],
        explanation: "The 200 manifest.changeableAttributes hold the values the PATCH sent",
        bindings: norms::B_ACR_BODIES,
        check: reflects_request,
    },
];

fn orderby(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let desc = match query(ex, "orderby")
        .map(|o| o.to_ascii_lowercase())
        .as_deref()
    {
        Some("timedesc") => true,
        Some("timeasc") => false,
        _ => return Verdict::NotApplicable,
    };
    let pointer = if ex.op == O::GetTags {
        "/tags"
    } else {
        "/manifests"
    };
    let Some(items) = ex.response.json().and_then(|b| items_at(&b, pointer)) else {
        return Verdict::NotApplicable;
    };
    let mut times = Vec::with_capacity(items.len());
    for item in &items {
        let raw = item
            .get("lastUpdateTime")
            .and_then(|t| t.as_str())
            .unwrap_or("");
        match OffsetDateTime::parse(raw, &Rfc3339) {
            Ok(t) => times.push((t, raw.to_string())),
            // Malformed times are the schema rule's finding; ordering cannot be judged.
            Err(_) => return Verdict::NotApplicable,
        }
    }
    let bad = times.windows(2).position(|w| {
        if desc {
            w[0].0 < w[1].0
        } else {
            w[0].0 > w[1].0
        }
    });
    match bad {
        None => Verdict::Pass,
        Some(i) => fail(
            format!(
                "entries are not sorted by lastUpdateTime {}",
                if desc { "descending" } else { "ascending" }
            ),
            format!(
                "entry {} {} entry {}",
                i,
                if desc {
                    "not older than"
                } else {
                    "not newer than"
                },
                i + 1
            ),
            format!("{} then {}", times[i].1, times[i + 1].1),
        ),
    }
}

fn digest_filter(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let Some(want) = query(ex, "digest").filter(|d| !d.is_empty()) else {
        return Verdict::NotApplicable;
    };
    let Some(items) = ex.response.json().and_then(|b| items_at(&b, "/tags")) else {
        return Verdict::NotApplicable;
    };
    let wrong: Vec<String> = items
        .iter()
        .filter(|t| t.get("digest").and_then(|d| d.as_str()) != Some(want.as_str()))
        .map(|t| {
            format!(
                "{} → {}",
                t.get("name").and_then(|n| n.as_str()).unwrap_or("?"),
                t.get("digest").and_then(|d| d.as_str()).unwrap_or("?")
            )
        })
        .collect();
    check(wrong.is_empty(), || {
        fail(
            "the digest filter returned tags of other manifests",
            format!("only tags with digest {want}"),
            wrong.join(", "),
        )
    })
}

fn tag_name_matches(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let (Some(want), Some(body)) = (path_after(ex, "/_tags/"), ex.response.json()) else {
        return Verdict::NotApplicable;
    };
    let Some(got) = body.pointer("/tag/name").and_then(|n| n.as_str()) else {
        return Verdict::NotApplicable;
    };
    check(got == want, || {
        fail("the answer describes another tag", want.clone(), got)
    })
}

fn manifest_digest_matches(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let (Some(want), Some(body)) = (path_after(ex, "/_manifests/"), ex.response.json()) else {
        return Verdict::NotApplicable;
    };
    let Some(got) = body.pointer("/manifest/digest").and_then(|n| n.as_str()) else {
        return Verdict::NotApplicable;
    };
    check(got == decode(&want), || {
        fail("the answer describes another manifest", want.clone(), got)
    })
}

fn reflects_request(ex: &Exchange) -> Verdict {
    if ex.response.status != 200 {
        return Verdict::NotApplicable;
    }
    let Some(sent) = ex
        .request
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| v.as_object().cloned())
    else {
        return Verdict::NotApplicable;
    };
    let pointer = match ex.op {
        O::UpdateProperties => "/changeableAttributes",
        O::UpdateTagAttributes => "/tag/changeableAttributes",
        _ => "/manifest/changeableAttributes",
    };
    let Some(body) = ex.response.json() else {
        return Verdict::NotApplicable;
    };
    let got = body.pointer(pointer);
    let mismatched: Vec<String> = sent
        .iter()
        .filter(|(k, v)| got.and_then(|g| g.get(k.as_str())) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: sent {v}, got {}",
                got.and_then(|g| g.get(k.as_str()))
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "<absent>".into())
            )
        })
        .collect();
    check(mismatched.is_empty(), || {
        fail(
            "the PATCHed attributes are not reflected in the answer",
            serde_json::Value::Object(sent.clone()).to_string(),
            mismatched.join("; "),
        )
    })
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, ex};
    use serde_json::{Value, json};
    let t0 = "2021-01-01T00:00:00.1234567Z";
    let t1 = "2021-06-01T00:00:00.123456Z";
    let ca =
        json!({"deleteEnabled":true,"writeEnabled":true,"readEnabled":true,"listEnabled":true});
    let tag = |n: &str, d: &str, t: &str| json!({"name":n,"digest":d,"createdTime":t0,"lastUpdateTime":t,"signed":false,"changeableAttributes":ca});
    let taglist = |q: &str, tags: Value| {
        ex(O::GetTags, "GET", &format!("/acr/v1/r/_tags{q}"))
            .json(json!({"registry":"r.azurecr.io","imageName":"r","tags":tags}))
    };
    let man = |d: &str, t: &str| json!({"digest":d,"createdTime":t0,"lastUpdateTime":t,"architecture":null,"os":"linux","changeableAttributes":ca});
    let mans = |q: &str, m: Value| {
        ex(O::GetManifests, "GET", &format!("/acr/v1/r/_manifests{q}"))
            .json(json!({"registry":"r","imageName":"r","manifests":m}))
    };
    let repo_attrs = |ca: Value| json!({"registry":"r","imageName":"r","createdTime":t0,"lastUpdateTime":t1,"manifestCount":1,"tagCount":1,"changeableAttributes":ca});
    let tag_attrs = |name: &str, ca: Value| json!({"registry":"r","imageName":"r","tag":{"name":name,"digest":"sha256:aa","createdTime":t0,"lastUpdateTime":t1,"changeableAttributes":ca}});
    let man_attrs = |d: &str, ca: Value| json!({"registry":"r","imageName":"r","manifest":{"digest":d,"createdTime":t0,"lastUpdateTime":t1,"changeableAttributes":ca}});
    let bad = json!({"registry":"r"});
    let locked = json!({"deleteEnabled":false,"writeEnabled":true});
    let patch_body = br#"{"deleteEnabled":false}"#;
    vec![
        case(
            "GetRepositories.schema",
            ex(O::GetRepositories, "GET", "/acr/v1/_catalog").json(json!({"repositories":"a"})),
            ex(O::GetRepositories, "GET", "/acr/v1/_catalog").json(json!({"repositories":["a"]})),
        ),
        case(
            "GetProperties.schema",
            ex(O::GetProperties, "GET", "/acr/v1/r").json(bad.clone()),
            ex(O::GetProperties, "GET", "/acr/v1/r").json(repo_attrs(ca.clone())),
        ),
        case(
            "DeleteRepository.schema",
            ex(O::DeleteRepository, "DELETE", "/acr/v1/r").status(202),
            ex(O::DeleteRepository, "DELETE", "/acr/v1/r")
                .status(202)
                .json(json!({"manifestsDeleted":["sha256:aa"],"tagsDeleted":null})),
        ),
        case(
            "UpdateProperties.schema",
            ex(O::UpdateProperties, "PATCH", "/acr/v1/r").json(bad.clone()),
            ex(O::UpdateProperties, "PATCH", "/acr/v1/r").json(repo_attrs(ca.clone())),
        ),
        case(
            "GetTags.schema",
            taglist("", json!([{"name":"a"}])),
            taglist("", Value::Null),
        ),
        case(
            "GetTagProperties.schema",
            ex(O::GetTagProperties, "GET", "/acr/v1/r/_tags/v1").json(bad.clone()),
            ex(O::GetTagProperties, "GET", "/acr/v1/r/_tags/v1").json(tag_attrs("v1", ca.clone())),
        ),
        case(
            "UpdateTagAttributes.schema",
            ex(O::UpdateTagAttributes, "PATCH", "/acr/v1/r/_tags/v1").json(bad.clone()),
            ex(O::UpdateTagAttributes, "PATCH", "/acr/v1/r/_tags/v1")
                .json(tag_attrs("v1", ca.clone())),
        ),
        case(
            "GetManifests.schema",
            mans("", json!([{"digest":"sha256:aa"}])),
            mans("", json!([man("sha256:aa", t1)])),
        ),
        case(
            "GetManifestProperties.schema",
            ex(
                O::GetManifestProperties,
                "GET",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .json(json!({"manifest":{}})),
            ex(
                O::GetManifestProperties,
                "GET",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .json(man_attrs("sha256:aa", ca.clone())),
        ),
        case(
            "UpdateManifestProperties.schema",
            ex(
                O::UpdateManifestProperties,
                "PATCH",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .json(bad.clone()),
            ex(
                O::UpdateManifestProperties,
                "PATCH",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .json(man_attrs("sha256:aa", ca.clone())),
        ),
        case(
            "GetTags.orderby",
            taglist(
                "?orderby=timedesc",
                json!([tag("a", "sha256:aa", t0), tag("b", "sha256:aa", t1)]),
            ),
            taglist(
                "?orderby=timedesc",
                json!([tag("b", "sha256:aa", t1), tag("a", "sha256:aa", t0)]),
            ),
        ),
        case(
            "GetManifests.orderby",
            mans(
                "?orderby=timeasc",
                json!([man("sha256:bb", t1), man("sha256:aa", t0)]),
            ),
            mans(
                "?orderby=timeasc",
                json!([man("sha256:aa", t0), man("sha256:bb", t1)]),
            ),
        ),
        case(
            "GetTags.digest-filter",
            taglist(
                "?digest=sha256%3Aaa",
                json!([tag("a", "sha256:aa", t0), tag("b", "sha256:bb", t0)]),
            ),
            taglist("?digest=sha256%3Aaa", json!([tag("a", "sha256:aa", t0)])),
        ),
        case(
            "GetTagProperties.name-matches",
            ex(O::GetTagProperties, "GET", "/acr/v1/r/_tags/v1").json(tag_attrs("v2", ca.clone())),
            ex(O::GetTagProperties, "GET", "/acr/v1/library%2Fr/_tags/v1")
                .json(tag_attrs("v1", ca.clone())),
        ),
        case(
            "GetManifestProperties.digest-matches",
            ex(
                O::GetManifestProperties,
                "GET",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .json(man_attrs("sha256:bb", ca.clone())),
            ex(
                O::GetManifestProperties,
                "GET",
                "/acr/v1/r/_manifests/sha256%3Aaa",
            )
            .json(man_attrs("sha256:aa", ca.clone())),
        ),
        case(
            "UpdateProperties.reflects-request",
            ex(O::UpdateProperties, "PATCH", "/acr/v1/r")
                .req_body(patch_body)
                .json(repo_attrs(ca.clone())),
            ex(O::UpdateProperties, "PATCH", "/acr/v1/r")
                .req_body(patch_body)
                .json(repo_attrs(locked.clone())),
        ),
        case(
            "UpdateTagAttributes.reflects-request",
            ex(O::UpdateTagAttributes, "PATCH", "/acr/v1/r/_tags/v1")
                .req_body(patch_body)
                .json(tag_attrs("v1", json!({}))),
            ex(O::UpdateTagAttributes, "PATCH", "/acr/v1/r/_tags/v1")
                .req_body(patch_body)
                .json(tag_attrs("v1", locked.clone())),
        ),
        case(
            "UpdateManifestProperties.reflects-request",
            ex(
                O::UpdateManifestProperties,
                "PATCH",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .req_body(patch_body)
            .json(man_attrs("sha256:aa", ca.clone())),
            ex(
                O::UpdateManifestProperties,
                "PATCH",
                "/acr/v1/r/_manifests/sha256:aa",
            )
            .req_body(patch_body)
            .json(man_attrs("sha256:aa", locked.clone())),
        ),
    ]
}
