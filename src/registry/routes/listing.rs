//! Listings with `n`/`last` pagination and `Link: <...>; rel="next"` headers: `/v2/_catalog`,
//! `/v2/<name>/tags/list`, `/acr/v1/_catalog`, plus the pagination helpers used by the ACR
//! `_tags` / `_manifests` listings.

use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::{Ctx, enc, json_response};
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::json;

/// The `n` query parameter: absent/empty → no limit; negative or not an integer → 400.
pub(crate) fn parse_n(ctx: &Ctx) -> Result<Option<usize>, ApiError> {
    match ctx.q("n").map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<usize>()
            .map(Some)
            .map_err(|_| ApiError::pagination_invalid()),
    }
}

/// One page of `items` (already ordered): those after `last`, at most `n`. When `last` is not
/// an item and the order is `lexical`, the page starts after the names greater than `last`.
/// Returns the page and the `last` of the next page when more remain.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    last: Option<&str>,
    n: Option<usize>,
    lexical: bool,
) -> (Vec<T>, Option<String>) {
    let start = match last.filter(|l| !l.is_empty()) {
        None => 0,
        Some(l) => match items.iter().position(|i| key(i) == l) {
            Some(p) => p + 1,
            None if lexical => items.iter().position(|i| key(i) > l).unwrap_or(items.len()),
            None => 0,
        },
    };
    let rest: Vec<T> = items.into_iter().skip(start).collect();
    match n {
        Some(n) if rest.len() > n => {
            let page: Vec<T> = rest.into_iter().take(n).collect();
            let next = page.last().map(|i| key(i).to_owned());
            (page, next)
        }
        _ => (rest, None),
    }
}

/// Adds `Link: <base?last=..&n=..[extra]>; rel="next"` unless the `missing-link` fault is on.
pub(crate) fn with_link(
    ctx: &Ctx,
    mut resp: Response<Body>,
    base: &str,
    next: Option<String>,
    n: Option<usize>,
    extra: &str,
) -> Response<Body> {
    if let (Some(last), Some(n)) = (next, n)
        && !ctx.app.has(Fault::MissingLink)
    {
        let value = format!("<{base}?last={}&n={n}{extra}>; rel=\"next\"", enc(&last));
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert("link", v);
        }
    }
    resp
}

/// One page of plain names (repositories, /v2 tags): sorted (or, with `tags-unsorted`,
/// reverse-sorted), then paginated by `n` and `last`.
fn name_page(ctx: &Ctx, mut names: Vec<String>, n: Option<usize>) -> (Vec<String>, Option<String>) {
    names.sort();
    let unsorted = ctx.app.has(Fault::TagsUnsorted);
    if unsorted {
        names.reverse();
    }
    paginate(names, |s| s.as_str(), ctx.q("last"), n, !unsorted)
}

fn visible_repos(ctx: &Ctx) -> Vec<String> {
    ctx.app.store.read(|m| {
        m.repos
            .iter()
            .filter(|(_, r)| r.attrs.list_enabled)
            .map(|(k, _)| k.clone())
            .collect()
    })
}

/// Both catalogs answer alike; only their `Link` differs (`base` and the `extra` parameters).
fn catalog(ctx: &Ctx, base: &str, extra: &str) -> Result<Response<Body>, ApiError> {
    let n = parse_n(ctx)?;
    let (page, next) = name_page(ctx, visible_repos(ctx), n);
    let resp = json_response(StatusCode::OK, json!({ "repositories": page }).to_string());
    Ok(with_link(ctx, resp, base, next, n, extra))
}

/// `GET /v2/_catalog`.
pub(crate) fn v2_catalog(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    catalog(ctx, "/v2/_catalog", "")
}

/// `GET /acr/v1/_catalog`.
pub(crate) fn acr_catalog(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    catalog(ctx, "/acr/v1/_catalog", "&orderby=")
}

/// `GET /v2/<name>/tags/list`.
pub(crate) fn v2_tags(ctx: &Ctx, name: &str) -> Result<Response<Body>, ApiError> {
    let n = parse_n(ctx)?.filter(|_| !ctx.app.has(Fault::TagsPageSizeIgnored));
    let tags = ctx.app.store.read(|m| {
        m.known_repo(name).map(|r| {
            r.tags
                .iter()
                .filter(|(_, t)| t.attrs.list_enabled)
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>()
        })
    })?;
    let (page, next) = name_page(ctx, tags, n);
    let resp = json_response(
        StatusCode::OK,
        json!({ "name": name, "tags": page }).to_string(),
    );
    Ok(with_link(
        ctx,
        resp,
        &format!("/v2/{name}/tags/list"),
        next,
        n,
        "",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pagination() {
        let all = names(&["a", "b", "c", "d", "e"]);
        let (p, next) = paginate(all.clone(), |s| s.as_str(), None, Some(2), true);
        assert_eq!(p, names(&["a", "b"]));
        assert_eq!(next.as_deref(), Some("b"));
        let (p, next) = paginate(all.clone(), |s| s.as_str(), Some("b"), Some(2), true);
        assert_eq!(p, names(&["c", "d"]));
        assert_eq!(next.as_deref(), Some("d"));
        let (p, next) = paginate(all.clone(), |s| s.as_str(), Some("d"), Some(2), true);
        assert_eq!(p, names(&["e"]));
        assert_eq!(next, None);
        let (p, _) = paginate(all.clone(), |s| s.as_str(), Some("bb"), None, true);
        assert_eq!(p, names(&["c", "d", "e"]));
        let (p, next) = paginate(all.clone(), |s| s.as_str(), None, Some(5), true);
        assert_eq!((p.len(), next), (5, None));
        let (p, next) = paginate(all, |s| s.as_str(), Some("zz"), Some(1), true);
        assert!(p.is_empty() && next.is_none());
    }
}
