//! ACR metadata surface `/acr/v1/...`: repository properties (GET/PATCH/DELETE), tag and
//! manifest listings (`n`, `last`, `orderby`, `digest`, `Link`), tag and manifest properties
//! (GET/PATCH, tag DELETE). Shapes follow acr-contract.md §4 and §7.

use super::super::digest::{DigestKind, parse_digest};
use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::super::store::{Attributes, ManifestRecord, Meta, Repo, TagRecord};
use super::super::timefmt::rfc3339;
use super::listing::{paginate, parse_n, with_link};
use super::{Ctx, attrs_deletable, empty_response, enc, json_response};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::{Map, Value, json};

const MAX_PATCH_BODY: usize = 64 * 1024;

fn attrs_json(a: &Attributes) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("deleteEnabled".into(), a.delete_enabled.into());
    m.insert("writeEnabled".into(), a.write_enabled.into());
    m.insert("readEnabled".into(), a.read_enabled.into());
    m.insert("listEnabled".into(), a.list_enabled.into());
    m
}

fn repo_json(ctx: &Ctx, name: &str, r: &Repo) -> Value {
    let mut v = json!({
        "registry": ctx.host,
        "imageName": name,
        "createdTime": rfc3339(r.created.into()),
        "lastUpdateTime": rfc3339(r.updated.into()),
        "manifestCount": r.manifests.len(),
        "tagCount": r.tags.len(),
        "changeableAttributes": attrs_json(&r.attrs),
    });
    if ctx.app.has(Fault::AcrSchemaViolation)
        && let Some(obj) = v.as_object_mut()
    {
        obj.remove("imageName");
    }
    v
}

fn tag_json(name: &str, t: &TagRecord) -> Value {
    json!({
        "name": name,
        "digest": t.digest,
        "createdTime": rfc3339(t.created.into()),
        "lastUpdateTime": rfc3339(t.updated.into()),
        "signed": false,
        "changeableAttributes": attrs_json(&t.attrs),
    })
}

fn manifest_json(digest: &str, m: &ManifestRecord, tags: Vec<String>) -> Value {
    let mut attrs = attrs_json(&m.attrs);
    if let Some(q) = &m.quarantine_state {
        attrs.insert("quarantineState".into(), q.clone().into());
    }
    if let Some(q) = &m.quarantine_details {
        attrs.insert("quarantineDetails".into(), q.clone().into());
    }
    let mut v = json!({
        "digest": digest,
        "imageSize": m.size,
        "createdTime": rfc3339(m.created.into()),
        "lastUpdateTime": rfc3339(m.updated.into()),
        "architecture": m.architecture,
        "os": m.os,
        "mediaType": m.media_type,
        "tags": tags,
        "changeableAttributes": attrs,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(c) = &m.config_media_type {
            obj.insert("configMediaType".into(), c.clone().into());
        }
        if !m.references.is_empty() {
            let refs: Vec<Value> = m
                .references
                .iter()
                .map(|r| json!({"digest": r.digest, "architecture": r.architecture, "os": r.os}))
                .collect();
            obj.insert("references".into(), refs.into());
        }
    }
    v
}

/// Reads an optional JSON object body of a PATCH.
async fn patch_body(body: Body) -> Result<Map<String, Value>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_PATCH_BODY)
        .await
        .map_err(|_| ApiError::unsupported("request body is unreadable or too large"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::unsupported(
            "request body must be a JSON object of changeable attributes",
        )),
    }
}

/// Applies the four booleans of `patch` to `attrs`; a non-boolean value is an error.
fn apply_attrs(attrs: &mut Attributes, patch: &Map<String, Value>) -> Result<(), ApiError> {
    let fields: [(&str, &mut bool); 4] = [
        ("deleteEnabled", &mut attrs.delete_enabled),
        ("writeEnabled", &mut attrs.write_enabled),
        ("readEnabled", &mut attrs.read_enabled),
        ("listEnabled", &mut attrs.list_enabled),
    ];
    for (key, slot) in fields {
        match patch.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => *slot = *b,
            Some(_) => {
                return Err(ApiError::unsupported(format!("`{key}` must be a boolean")));
            }
        }
    }
    Ok(())
}

/// Applies the two quarantine strings of `patch` to a manifest (`null` clears one); another
/// value is an error.
fn apply_quarantine(rec: &mut ManifestRecord, patch: &Map<String, Value>) -> Result<(), ApiError> {
    for (key, slot) in [
        ("quarantineState", &mut rec.quarantine_state),
        ("quarantineDetails", &mut rec.quarantine_details),
    ] {
        match patch.get(key) {
            None => {}
            Some(Value::Null) => *slot = None,
            Some(Value::String(s)) => *slot = Some(s.clone()),
            Some(_) => {
                return Err(ApiError::unsupported(format!("`{key}` must be a string")));
            }
        }
    }
    Ok(())
}

/// One PATCH of changeable attributes, shared by the repository, tag and manifest endpoints.
struct AttributePatch {
    fields: Map<String, Value>,
    /// False under the `attributes-not-stored` fault: the answer shows the change, the store
    /// never keeps it.
    store: bool,
}

impl AttributePatch {
    /// Reads the body, runs `edit` in one store mutation, answers 200 with the JSON it renders.
    async fn answer(
        ctx: &Ctx,
        body: Body,
        edit: impl FnOnce(&mut Meta, &AttributePatch) -> Result<Value, ApiError>,
    ) -> Result<Response<Body>, ApiError> {
        let patch = AttributePatch {
            fields: patch_body(body).await?,
            store: !ctx.app.has(Fault::AttributesNotStored),
        };
        let value = ctx.app.store.mutate(|m| edit(m, &patch)).await?;
        Ok(json_response(StatusCode::OK, value.to_string()))
    }

    /// Runs `edit` on a copy of `record`, renders the copy as the answer, then puts it in
    /// place of `record` (unless the fault is on). A failing `edit` leaves `record` untouched.
    fn apply<T: Clone>(
        &self,
        record: &mut T,
        edit: impl FnOnce(&mut T, &Map<String, Value>) -> Result<(), ApiError>,
        render: impl FnOnce(&T) -> Value,
    ) -> Result<Value, ApiError> {
        let mut updated = record.clone();
        edit(&mut updated, &self.fields)?;
        let answer = render(&updated);
        if self.store {
            *record = updated;
        }
        Ok(answer)
    }
}

/// `GET /acr/v1/<name>`.
pub(crate) fn get_repo(ctx: &Ctx, name: &str) -> Result<Response<Body>, ApiError> {
    let body = ctx
        .app
        .store
        .read(|m| m.known_repo(name).map(|r| repo_json(ctx, name, r)))?;
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// `PATCH /acr/v1/<name>`.
pub(crate) async fn patch_repo(
    ctx: &Ctx,
    name: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    AttributePatch::answer(ctx, body, |m, patch| {
        let repo = m.known_repo_mut(name)?;
        patch.apply(
            repo,
            |r, fields| apply_attrs(&mut r.attrs, fields),
            |r| repo_json(ctx, name, r),
        )
    })
    .await
}

/// `DELETE /acr/v1/<name>` → 202 `{"manifestsDeleted":[...],"tagsDeleted":[...]|null}`.
pub(crate) async fn delete_repo(ctx: &Ctx, name: &str) -> Result<Response<Body>, ApiError> {
    let app = ctx.app.clone();
    let value = ctx
        .app
        .store
        .mutate(|m| {
            let repo = m.known_repo(name)?;
            let locked = !attrs_deletable(&app, &repo.attrs)
                || repo
                    .manifests
                    .values()
                    .any(|r| !attrs_deletable(&app, &r.attrs))
                || repo.tags.values().any(|t| !attrs_deletable(&app, &t.attrs));
            if locked {
                return Err(ApiError::denied());
            }
            let repo = m
                .repos
                .remove(name)
                .ok_or_else(|| ApiError::name_unknown(name))?;
            let manifests: Vec<String> = repo.manifests.keys().cloned().collect();
            let tags: Vec<String> = repo.tags.keys().cloned().collect();
            Ok(json!({
                "manifestsDeleted": manifests,
                "tagsDeleted": if tags.is_empty() { Value::Null } else { json!(tags) },
            }))
        })
        .await?;
    Ok(json_response(StatusCode::ACCEPTED, value.to_string()))
}

/// The `orderby` value: `timedesc`, `timeasc`, or name order (`none`/absent/other).
fn orderby(ctx: &Ctx) -> (&'static str, Option<bool>) {
    if ctx.app.has(Fault::OrderbyIgnored) {
        return ("", None);
    }
    match ctx.q("orderby").map(str::trim) {
        Some("timedesc") => ("timedesc", Some(true)),
        Some("timeasc") => ("timeasc", Some(false)),
        _ => ("", None),
    }
}

/// `GET /acr/v1/<name>/_tags`.
pub(crate) fn list_tags(ctx: &Ctx, name: &str) -> Result<Response<Body>, ApiError> {
    let n = parse_n(ctx)?;
    let (order_name, desc) = orderby(ctx);
    let digest_filter = ctx.q("digest").filter(|d| !d.is_empty()).map(str::to_owned);
    let mut items: Vec<(String, TagRecord)> = ctx.app.store.read(|m| {
        m.known_repo(name).map(|r| {
            r.tags
                .iter()
                .filter(|(_, t)| t.attrs.list_enabled)
                .filter(|(_, t)| digest_filter.as_ref().is_none_or(|d| *d == t.digest))
                .map(|(k, t)| (k.clone(), t.clone()))
                .collect()
        })
    })?;
    if let Some(desc) = desc {
        items.sort_by_key(|(_, t)| t.updated);
        if desc {
            items.reverse();
        }
    }
    let (page, next) = paginate(items, |(k, _)| k.as_str(), ctx.q("last"), n, desc.is_none());
    let tags: Value = if page.is_empty() {
        Value::Null
    } else {
        page.iter().map(|(k, t)| tag_json(k, t)).collect()
    };
    let body = json!({ "registry": ctx.host, "imageName": name, "tags": tags });
    let resp = json_response(StatusCode::OK, body.to_string());
    let mut extra = format!("&orderby={order_name}");
    if let Some(d) = &digest_filter {
        extra.push_str(&format!("&digest={}", enc(d)));
    }
    Ok(with_link(
        ctx,
        resp,
        &format!("/acr/v1/{}/_tags", enc(name)),
        next,
        n,
        &extra,
    ))
}

fn find_tag<'a>(m: &'a Meta, name: &str, tag: &str) -> Result<&'a TagRecord, ApiError> {
    m.known_repo(name)?
        .tags
        .get(tag)
        .ok_or_else(ApiError::tag_unknown)
}

fn tag_attributes_json(ctx: &Ctx, name: &str, tag: &str, t: &TagRecord) -> Value {
    json!({ "registry": ctx.host, "imageName": name, "tag": tag_json(tag, t) })
}

/// `GET /acr/v1/<name>/_tags/<tag>`.
pub(crate) fn get_tag(ctx: &Ctx, name: &str, tag: &str) -> Result<Response<Body>, ApiError> {
    let body = ctx
        .app
        .store
        .read(|m| find_tag(m, name, tag).map(|t| tag_attributes_json(ctx, name, tag, t)))?;
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// `PATCH /acr/v1/<name>/_tags/<tag>`.
pub(crate) async fn patch_tag(
    ctx: &Ctx,
    name: &str,
    tag: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    AttributePatch::answer(ctx, body, |m, patch| {
        let repo = m.known_repo_mut(name)?;
        let record = repo.tags.get_mut(tag).ok_or_else(ApiError::tag_unknown)?;
        patch.apply(
            record,
            |t, fields| apply_attrs(&mut t.attrs, fields),
            |t| tag_attributes_json(ctx, name, tag, t),
        )
    })
    .await
}

/// `DELETE /acr/v1/<name>/_tags/<tag>` → 202.
pub(crate) async fn delete_tag(
    ctx: &Ctx,
    name: &str,
    tag: &str,
) -> Result<Response<Body>, ApiError> {
    let app = ctx.app.clone();
    let digest = ctx
        .app
        .store
        .mutate(|m| {
            let now = m.tick();
            let repo = m.known_repo_mut(name)?;
            let record = repo.tags.get(tag).ok_or_else(ApiError::tag_unknown)?;
            if !attrs_deletable(&app, &repo.attrs) || !attrs_deletable(&app, &record.attrs) {
                return Err(ApiError::denied());
            }
            let digest = record.digest.clone();
            repo.tags.remove(tag);
            repo.updated = now;
            Ok(digest)
        })
        .await?;
    Ok(empty_response(
        StatusCode::ACCEPTED,
        &[("x-ms-int-docker-content-digest", digest)],
    ))
}

/// `GET /acr/v1/<name>/_manifests`.
pub(crate) fn list_manifests(ctx: &Ctx, name: &str) -> Result<Response<Body>, ApiError> {
    let n = parse_n(ctx)?;
    let (order_name, desc) = orderby(ctx);
    let mut items: Vec<(String, Value, i64)> = ctx.app.store.read(|m| {
        m.known_repo(name).map(|r| {
            r.manifests
                .iter()
                .filter(|(_, rec)| rec.attrs.list_enabled)
                .map(|(d, rec)| (d.clone(), manifest_json(d, rec, r.tags_of(d)), rec.updated))
                .collect()
        })
    })?;
    if let Some(desc) = desc {
        items.sort_by_key(|(_, _, t)| *t);
        if desc {
            items.reverse();
        }
    }
    let (page, next) = paginate(
        items,
        |(d, _, _)| d.as_str(),
        ctx.q("last"),
        n,
        desc.is_none(),
    );
    let manifests: Vec<Value> = page.into_iter().map(|(_, v, _)| v).collect();
    let body = json!({ "registry": ctx.host, "imageName": name, "manifests": manifests });
    let resp = json_response(StatusCode::OK, body.to_string());
    Ok(with_link(
        ctx,
        resp,
        &format!("/acr/v1/{}/_manifests", enc(name)),
        next,
        n,
        &format!("&orderby={order_name}"),
    ))
}

/// ACR's `MANIFEST_UNKNOWN` (its message differs from the /v2 one).
fn acr_manifest_unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "MANIFEST_UNKNOWN",
        "manifest unknown",
    )
}

fn manifest_digest(raw: &str) -> Result<String, ApiError> {
    match parse_digest(raw) {
        Some(DigestKind::Sha256(d)) | Some(DigestKind::Other(d)) => Ok(d),
        None => Err(acr_manifest_unknown()),
    }
}

fn manifest_attributes_json(
    ctx: &Ctx,
    name: &str,
    digest: &str,
    rec: &ManifestRecord,
    tags: Vec<String>,
) -> Value {
    json!({
        "registry": ctx.host,
        "imageName": name,
        "manifest": manifest_json(digest, rec, tags),
    })
}

/// `GET /acr/v1/<name>/_manifests/<digest>`.
pub(crate) fn get_manifest(ctx: &Ctx, name: &str, raw: &str) -> Result<Response<Body>, ApiError> {
    let digest = manifest_digest(raw)?;
    let body = ctx.app.store.read(|m| {
        let repo = m.known_repo(name)?;
        let rec = repo
            .manifests
            .get(&digest)
            .ok_or_else(acr_manifest_unknown)?;
        let tags = repo.tags_of(&digest);
        Ok::<_, ApiError>(manifest_attributes_json(ctx, name, &digest, rec, tags))
    })?;
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// `PATCH /acr/v1/<name>/_manifests/<digest>` (also `quarantineState`, `quarantineDetails`).
pub(crate) async fn patch_manifest(
    ctx: &Ctx,
    name: &str,
    raw: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let digest = manifest_digest(raw)?;
    AttributePatch::answer(ctx, body, |m, patch| {
        let repo = m.known_repo_mut(name)?;
        let tags = repo.tags_of(&digest);
        let rec = repo
            .manifests
            .get_mut(&digest)
            .ok_or_else(acr_manifest_unknown)?;
        patch.apply(
            rec,
            |r, fields| {
                apply_attrs(&mut r.attrs, fields)?;
                apply_quarantine(r, fields)
            },
            |r| manifest_attributes_json(ctx, name, &digest, r, tags),
        )
    })
    .await
}
