//! Listing rules shared by the OCI tag list / catalog and the ACR listings: body shape of the OCI
//! listings, `n` (page size) respected, `last` (marker) respected, and OCI tag order.

use super::Rule;
use super::support::{catalogue_body_schema, check, fail, items_at, parse_u64, query};
use crate::contract::Operation as O;
use crate::contract::norms;
use crate::exchange::{Exchange, Verdict};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "GetTagList.schema",
        ops: &[O::GetTagList],
        explanation: "200 body is {\"name\": string, \"tags\": [string] | null}",
        bindings: norms::B_TAGS,
        check: catalogue_body_schema,
    },
    Rule {
        id: "GetTagList.sorted",
        ops: &[O::GetTagList],
        explanation: "Tags are in lexical order (case-insensitive, or plain ASCII as historical registries do) — required with or without `n`",
        bindings: norms::B_TAGS,
        check: tags_sorted,
    },
    Rule {
        id: "GetTagList.n-respected",
        ops: &[O::GetTagList],
        explanation: "With ?n=N, at most N tags are returned",
        bindings: norms::B_TAGS_N,
        check: n_respected,
    },
    Rule {
        id: "GetTagList.last-respected",
        ops: &[O::GetTagList],
        explanation: "With ?last=X, only tags lexically after X are returned",
        bindings: norms::B_TAGS_LAST,
        check: last_respected,
    },
    Rule {
        id: "GetCatalog.schema",
        ops: &[O::GetCatalog],
        explanation: "200 body is {\"repositories\": [string]}",
        bindings: norms::B_CATALOG,
        check: catalogue_body_schema,
    },
    Rule {
        id: "GetCatalog.n-respected",
        ops: &[O::GetCatalog],
        explanation: "With ?n=N, at most N repositories are returned",
        bindings: norms::B_CATALOG_PAGING,
        check: n_respected,
    },
    Rule {
        id: "GetCatalog.last-respected",
        ops: &[O::GetCatalog],
        explanation: "With ?last=X, only repositories lexically after X are returned",
        bindings: norms::B_CATALOG_PAGING,
        check: last_respected,
    },
    Rule {
        id: "GetRepositories.n-respected",
        ops: &[O::GetRepositories],
        explanation: "With ?n=N, at most N repositories are returned",
        bindings: norms::B_ACR_LISTS,
        check: n_respected,
    },
    Rule {
        id: "GetRepositories.last-respected",
        ops: &[O::GetRepositories],
        explanation: "With ?last=X, only repositories lexically after X are returned",
        bindings: norms::B_ACR_LISTS,
        check: last_respected,
    },
    Rule {
        id: "GetTags.n-respected",
        ops: &[O::GetTags],
        explanation: "With ?n=N, at most N tags are returned",
        bindings: norms::B_ACR_LISTS,
        check: n_respected,
    },
    Rule {
        id: "GetTags.last-respected",
        ops: &[O::GetTags],
        explanation: "With ?last=X and no time ordering, only tags lexically after X are returned",
        bindings: norms::B_ACR_LISTS,
        check: last_respected,
    },
    Rule {
        id: "GetManifests.n-respected",
        ops: &[O::GetManifests],
        explanation: "With ?n=N, at most N manifests are returned",
        bindings: norms::B_ACR_LISTS,
        check: n_respected,
    },
    Rule {
        id: "GetManifests.last-respected",
        ops: &[O::GetManifests],
        explanation: "With ?last=X and no time ordering, only manifests whose digest is lexically after X are returned",
        bindings: norms::B_ACR_LISTS,
        check: last_respected,
    },
];

/// The names (tags, repositories, digests) a 200 listing returned, in order; `None` when the
/// body is not a listing of the expected shape (the schema rules report that).
fn listed_keys(ex: &Exchange) -> Option<Vec<String>> {
    if ex.response.status != 200 {
        return None;
    }
    let (pointer, key) = match ex.op {
        O::GetTagList => ("/tags", None),
        O::GetCatalog | O::GetRepositories => ("/repositories", None),
        O::GetTags => ("/tags", Some("/name")),
        O::GetManifests => ("/manifests", Some("/digest")),
        _ => return None,
    };
    let body = ex.response.json()?;
    items_at(&body, pointer)?
        .iter()
        .map(|item| {
            let v = match key {
                Some(k) => item.pointer(k)?,
                None => item,
            };
            v.as_str().map(str::to_string)
        })
        .collect()
}

fn n_respected(ex: &Exchange) -> Verdict {
    // n=0 and non-numeric n are implementation-defined (clamp, empty page or 400).
    let Some(n) = query(ex, "n")
        .and_then(|n| parse_u64(&n))
        .filter(|n| *n > 0)
    else {
        return Verdict::NotApplicable;
    };
    let Some(items) = listed_keys(ex) else {
        return Verdict::NotApplicable;
    };
    check(items.len() as u64 <= n, || {
        fail(
            format!("page holds more entries than n={n}"),
            format!("at most {n} entries"),
            format!("{} entries", items.len()),
        )
    })
}

fn time_ordered(ex: &Exchange) -> bool {
    query(ex, "orderby").is_some_and(|o| !o.is_empty() && !o.eq_ignore_ascii_case("none"))
}

fn last_respected(ex: &Exchange) -> Verdict {
    let Some(last) = query(ex, "last").filter(|l| !l.is_empty()) else {
        return Verdict::NotApplicable;
    };
    if time_ordered(ex) {
        return Verdict::NotApplicable;
    }
    let Some(items) = listed_keys(ex) else {
        return Verdict::NotApplicable;
    };
    let ascii_after = items.iter().all(|i| i.as_str() > last.as_str());
    let ci_after = items.iter().all(|i| i.to_lowercase() > last.to_lowercase());
    check(ascii_after || ci_after, || {
        let offending: Vec<&str> = items
            .iter()
            .filter(|i| i.as_str() <= last.as_str())
            .map(String::as_str)
            .collect();
        fail(
            format!("entries at or before last={last} were returned"),
            format!("only entries lexically after `{last}`"),
            offending.join(", "),
        )
    })
}

fn tags_sorted(ex: &Exchange) -> Verdict {
    let Some(tags) = listed_keys(ex) else {
        return Verdict::NotApplicable;
    };
    let ascii = tags.windows(2).all(|w| w[0] <= w[1]);
    let ci = tags
        .windows(2)
        .all(|w| w[0].to_lowercase() <= w[1].to_lowercase());
    check(ascii || ci, || {
        let mut sorted = tags.clone();
        sorted.sort_by_key(|t| t.to_lowercase());
        fail(
            "tags are not in lexical order",
            sorted.join(", "),
            tags.join(", "),
        )
    })
}

#[cfg(test)]
pub(super) fn cases() -> Vec<super::testkit::Case> {
    use super::testkit::{case, ex};
    use serde_json::json;
    let tl = |q: &str, tags: serde_json::Value| {
        ex(O::GetTagList, "GET", &format!("/v2/r/tags/list{q}"))
            .json(json!({"name":"r","tags":tags}))
    };
    let cat = |q: &str, repos: serde_json::Value| {
        ex(O::GetCatalog, "GET", &format!("/v2/_catalog{q}")).json(json!({"repositories":repos}))
    };
    let repos = |q: &str, r: serde_json::Value| {
        ex(O::GetRepositories, "GET", &format!("/acr/v1/_catalog{q}"))
            .json(json!({"repositories":r}))
    };
    let tag = |n: &str| json!({"name":n,"digest":"sha256:aa","createdTime":"2021-01-01T00:00:00Z","lastUpdateTime":"2021-01-01T00:00:00Z","changeableAttributes":{}});
    let tags = |q: &str, t: Vec<serde_json::Value>| {
        ex(O::GetTags, "GET", &format!("/acr/v1/r/_tags{q}"))
            .json(json!({"registry":"r","imageName":"r","tags":t}))
    };
    let man = |d: &str| json!({"digest":d,"createdTime":"2021-01-01T00:00:00Z","lastUpdateTime":"2021-01-01T00:00:00Z"});
    let mans = |q: &str, m: Vec<serde_json::Value>| {
        ex(O::GetManifests, "GET", &format!("/acr/v1/r/_manifests{q}"))
            .json(json!({"registry":"r","imageName":"r","manifests":m}))
    };
    vec![
        case(
            "GetTagList.schema",
            ex(O::GetTagList, "GET", "/v2/r/tags/list").json(json!({"tags":"v1"})),
            tl("", json!(null)),
        ),
        case(
            "GetTagList.sorted",
            tl("", json!(["v2", "v1", "a"])),
            tl("", json!(["TEST0", "test1", "Test2"])),
        ),
        case(
            "GetTagList.sorted",
            tl("", json!(["b", "a"])),
            tl("", json!(["A", "B", "a", "b"])),
        ),
        case(
            "GetTagList.n-respected",
            tl("?n=2", json!(["a", "b", "c"])),
            tl("?n=2", json!(["a", "b"])),
        ),
        case(
            "GetTagList.last-respected",
            tl("?n=2&last=b", json!(["b", "c"])),
            tl("?n=2&last=b", json!(["c", "d"])),
        ),
        case(
            "GetCatalog.schema",
            ex(O::GetCatalog, "GET", "/v2/_catalog").json(json!({"repos":[]})),
            cat("", json!(["a/b"])),
        ),
        case(
            "GetCatalog.n-respected",
            cat("?n=1", json!(["a", "b"])),
            cat("?n=1", json!(["a"])),
        ),
        case(
            "GetCatalog.last-respected",
            cat("?last=m", json!(["a"])),
            cat("?last=m", json!(["n", "z"])),
        ),
        case(
            "GetRepositories.n-respected",
            repos("?n=2", json!(["a", "b", "c"])),
            repos("?n=2", json!(["library/alpine", "library/busybox"])),
        ),
        case(
            "GetRepositories.last-respected",
            repos("?last=library%2Fbusybox&n=2", json!(["library/alpine"])),
            repos(
                "?last=library%2Fbusybox&n=2",
                json!(["library/hello-world"]),
            ),
        ),
        case(
            "GetTags.n-respected",
            tags("?n=1", vec![tag("a"), tag("b")]),
            tags("?n=1&api-version=2021-07-01", vec![tag("latest")]),
        ),
        case(
            "GetTags.last-respected",
            tags("?last=latest&n=1", vec![tag("a")]),
            tags("?last=latest&n=1", vec![tag("v1")]),
        ),
        case(
            "GetManifests.n-respected",
            mans("?n=1", vec![man("sha256:aa"), man("sha256:bb")]),
            mans("?n=2", vec![man("sha256:aa"), man("sha256:bb")]),
        ),
        case(
            "GetManifests.last-respected",
            mans("?last=sha256%3Abb", vec![man("sha256:aa")]),
            mans("?last=sha256%3Abb", vec![man("sha256:cc")]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::ex;
    use super::*;
    use serde_json::json;

    #[test]
    fn last_is_not_checked_under_time_ordering_and_n_zero_is_not_judged() {
        let e = ex(O::GetTags, "GET", "/acr/v1/r/_tags?last=b&orderby=timedesc")
            .json(json!({"registry":"r","imageName":"r","tags":[{"name":"a"}]}))
            .build();
        assert_eq!(last_respected(&e), Verdict::NotApplicable);
        let e = ex(O::GetTagList, "GET", "/v2/r/tags/list?n=0")
            .json(json!({"name":"r","tags":["a"]}))
            .build();
        assert_eq!(n_respected(&e), Verdict::NotApplicable);
    }
}
