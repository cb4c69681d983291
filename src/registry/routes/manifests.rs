//! Manifests: PUT (validation of JSON, media type, digest and references; records
//! architecture/os from the image config for ACR; sha256 or sha512 references; `?tag=` on a PUT
//! by digest on the full surface; 413 over the size limit), GET/HEAD with Accept negotiation,
//! DELETE by digest (manifest and its tags) or by tag (the tag only).

use super::super::digest::{DigestKind, fake_digest, parse_digest, sha256_digest, valid_tag};
use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::super::store::{Attributes, ManifestRecord, PlatformRef, TagRecord};
use super::{Ctx, attrs_deletable, attrs_writable, empty_response};
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use serde_json::Value;

/// Largest manifest accepted (the SDKs' MAX_MANIFEST_SIZE); OCI 1.1.1: registries "SHOULD
/// expect to be able to support manifest pushes of at least 4 megabytes", and a larger one is
/// answered `413 Payload Too Large` (the SHOULD for a registry that enforces a limit).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;
/// Largest image config parsed for architecture/os.
const MAX_CONFIG: u64 = 1024 * 1024;

pub(crate) use crate::vocab::media::{DOCKER_LIST, DOCKER_V2, OCI_INDEX, OCI_MANIFEST};

pub(crate) fn is_index(media_type: &str) -> bool {
    media_type == DOCKER_LIST || media_type == OCI_INDEX
}

/// A reference: digest or tag.
#[derive(Debug)]
enum Reference {
    Digest(String),
    Tag(String),
}

/// Whether manifests may be addressed by sha512 digests (image-spec: "Implementations MAY
/// implement SHA-512 digest verification"): on the full surface only.
fn sha512_offered(ctx: &Ctx) -> bool {
    !ctx.app.minimal()
}

fn parse_reference(raw: &str, for_put: bool, sha512: bool) -> Result<Reference, ApiError> {
    if raw.contains(':') {
        match parse_digest(raw) {
            Some(DigestKind::Sha256(d)) => Ok(Reference::Digest(d)),
            Some(DigestKind::Other(d)) if sha512 && d.starts_with("sha512:") => {
                Ok(Reference::Digest(d))
            }
            Some(DigestKind::Other(d)) if !for_put => Err(ApiError::manifest_unknown(&d)),
            Some(DigestKind::Other(_)) => Err(ApiError::digest_invalid(
                "this registry does not support this digest algorithm",
            )),
            None => Err(ApiError::digest_invalid(format!(
                "`{raw}` is not a valid digest"
            ))),
        }
    } else if valid_tag(raw) {
        Ok(Reference::Tag(raw.to_owned()))
    } else if for_put {
        Err(tag_invalid(raw))
    } else {
        Err(ApiError::manifest_unknown(raw))
    }
}

fn tag_invalid(raw: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "TAG_INVALID",
        format!("`{raw}` is not a valid tag"),
    )
}

/// The manifest body, at most [`MAX_MANIFEST`] bytes: a larger one is `413`.
async fn read_manifest(body: Body) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_MANIFEST).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                format!("manifest is larger than {MAX_MANIFEST} bytes"),
            )
        } else {
            ApiError::manifest_invalid(format!("manifest body is unreadable: {e}"))
        }
    })
}

/// Fault `manifest-bytes-rewritten`: the JSON re-serialised compactly, so whitespace and
/// layout change while every field stays.
fn rewritten(raw: &[u8]) -> bytes::Bytes {
    serde_json::from_slice::<Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok())
        .map(bytes::Bytes::from)
        .unwrap_or_else(|| bytes::Bytes::copy_from_slice(raw))
}

/// `sha512:<hex>` of `bytes`.
fn sha512_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha512};
    format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
}

fn strip_params(v: &str) -> &str {
    v.split(';').next().unwrap_or(v).trim()
}

/// What a manifest body references.
struct Parsed {
    media_type: String,
    config: Option<(String, Option<String>)>,
    blobs: Vec<String>,
    children: Vec<PlatformRef>,
    subject: Option<String>,
    artifact_type: Option<String>,
    annotations: Option<Value>,
}

fn descriptor_digest(v: &Value, what: &str) -> Result<String, ApiError> {
    let d = v
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::manifest_invalid(format!("{what} has no digest")))?;
    match parse_digest(d) {
        Some(DigestKind::Sha256(d)) | Some(DigestKind::Other(d)) => Ok(d),
        None => Err(ApiError::manifest_invalid(format!(
            "{what} digest `{d}` is not a valid digest"
        ))),
    }
}

fn parse_manifest(content_type: Option<&str>, raw: &[u8]) -> Result<Parsed, ApiError> {
    let json: Value = serde_json::from_slice(raw)
        .map_err(|e| ApiError::manifest_invalid(format!("manifest is not valid JSON: {e}")))?;
    let obj = json
        .as_object()
        .ok_or_else(|| ApiError::manifest_invalid("manifest is not a JSON object"))?;
    let body_type = obj.get("mediaType").and_then(Value::as_str);
    let media_type = match (content_type.map(strip_params), body_type) {
        (Some(ct), _) if !ct.is_empty() && ct != "application/json" => ct.to_owned(),
        (_, Some(bt)) => bt.to_owned(),
        _ if obj.contains_key("manifests") => OCI_INDEX.to_owned(),
        _ => OCI_MANIFEST.to_owned(),
    };
    if ![DOCKER_V2, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX].contains(&media_type.as_str()) {
        return Err(ApiError::manifest_invalid(format!(
            "unsupported manifest media type `{media_type}`"
        )));
    }
    if let Some(bt) = body_type
        && bt != media_type
    {
        return Err(ApiError::manifest_invalid(format!(
            "mediaType `{bt}` in the body does not match Content-Type `{media_type}`"
        )));
    }
    if obj.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
        return Err(ApiError::manifest_invalid("schemaVersion must be 2"));
    }
    let subject = match obj.get("subject") {
        Some(s) => Some(descriptor_digest(s, "subject")?),
        None => None,
    };
    let mut parsed = Parsed {
        media_type: media_type.clone(),
        config: None,
        blobs: Vec::new(),
        children: Vec::new(),
        subject,
        artifact_type: obj
            .get("artifactType")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        annotations: obj.get("annotations").filter(|a| a.is_object()).cloned(),
    };
    if is_index(&media_type) {
        let list = obj
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::manifest_invalid("manifests must be an array"))?;
        for m in list {
            let digest = descriptor_digest(m, "manifests[]")?;
            let platform = m.get("platform");
            let field = |k: &str| {
                platform
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            parsed.children.push(PlatformRef {
                digest,
                architecture: field("architecture"),
                os: field("os"),
            });
        }
    } else {
        let config = obj
            .get("config")
            .ok_or_else(|| ApiError::manifest_invalid("image manifest has no config"))?;
        let config_digest = descriptor_digest(config, "config")?;
        let config_type = config
            .get("mediaType")
            .and_then(Value::as_str)
            .map(str::to_owned);
        parsed.blobs.push(config_digest.clone());
        parsed.config = Some((config_digest, config_type));
        let layers = obj
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::manifest_invalid("layers must be an array"))?;
        for l in layers {
            let digest = descriptor_digest(l, "layers[]")?;
            let lt = l.get("mediaType").and_then(Value::as_str).unwrap_or("");
            let foreign = lt.contains("foreign") || lt.contains("nondistributable");
            if !foreign {
                parsed.blobs.push(digest);
            }
        }
    }
    Ok(parsed)
}

/// Architecture and os from the image config blob, when it is linked and is JSON.
async fn config_platform(ctx: &Ctx, name: &str, config: &str) -> (Option<String>, Option<String>) {
    let linked = ctx
        .app
        .store
        .read(|m| m.repos.get(name).is_some_and(|r| r.blobs.contains(config)));
    if !linked {
        return (None, None);
    }
    let Some(data) = ctx.app.store.content(config) else {
        return (None, None);
    };
    let Ok(bytes) = data.read_all(MAX_CONFIG).await else {
        return (None, None);
    };
    let Ok(json) = serde_json::from_slice::<Value>(&bytes) else {
        return (None, None);
    };
    let field = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_owned);
    (field("architecture"), field("os"))
}

/// `PUT /v2/<name>/manifests/<reference>`.
pub(crate) async fn put(
    ctx: &Ctx,
    name: &str,
    raw_ref: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let reference = parse_reference(raw_ref, true, sha512_offered(ctx))?;
    let bytes = read_manifest(body).await?;
    let digest = match &reference {
        Reference::Digest(d) if d.starts_with("sha512:") => sha512_digest(&bytes),
        _ => sha256_digest(&bytes),
    };
    let digest = match &reference {
        Reference::Digest(d) if *d != digest && ctx.app.has(Fault::ManifestDigestUnchecked) => {
            d.clone()
        }
        Reference::Digest(d) if *d != digest => {
            return Err(ApiError::digest_invalid(format!(
                "manifest digest {digest} does not match the reference {d}"
            )));
        }
        _ => digest,
    };
    let parsed = parse_manifest(ctx.header(header::CONTENT_TYPE), &bytes)?;
    let bytes = if ctx.app.has(Fault::ManifestBytesRewritten) {
        rewritten(&bytes)
    } else {
        bytes
    };
    // `?tag=` on a PUT by digest (post-1.1.1 distribution-spec): the full surface tags it too.
    let mut tags: Vec<String> = match &reference {
        Reference::Tag(t) => vec![t.clone()],
        Reference::Digest(_) => ctx
            .query
            .iter()
            .filter(|(k, _)| k == "tag")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    if let Some(bad) = tags.iter().find(|t| !valid_tag(t)) {
        return Err(tag_invalid(bad));
    }
    tags.dedup();
    let (architecture, os) = match &parsed.config {
        Some((config, _)) => config_platform(ctx, name, config).await,
        None => (None, None),
    };
    if ctx.app.store.content(&digest).is_none() {
        ctx.app
            .store
            .put_bytes(&digest, bytes.clone())
            .await
            .map_err(|e| ApiError::internal(format!("cannot store manifest: {e}")))?;
    }
    let app = ctx.app.clone();
    let size = bytes.len() as u64;
    ctx.app
        .store
        .mutate(|m| {
            if let Some(repo) = m.repos.get(name) {
                let tag_locked = tags.iter().any(|t| {
                    repo.tags
                        .get(t)
                        .is_some_and(|t| !attrs_writable(&app, &t.attrs))
                });
                let manifest_locked = repo
                    .manifests
                    .get(&digest)
                    .is_some_and(|mr| !attrs_writable(&app, &mr.attrs));
                if !attrs_writable(&app, &repo.attrs) || tag_locked || manifest_locked {
                    return Err(ApiError::denied());
                }
            }
            let missing: Vec<String> = {
                let repo = m.repos.get(name);
                let has_blob = |d: &String| repo.is_some_and(|r| r.blobs.contains(d));
                let has_manifest = |d: &String| repo.is_some_and(|r| r.manifests.contains_key(d));
                let mut missing: Vec<String> = parsed
                    .blobs
                    .iter()
                    .filter(|d| !has_blob(d))
                    .cloned()
                    .collect();
                missing.extend(
                    parsed
                        .children
                        .iter()
                        .map(|c| &c.digest)
                        .filter(|d| !has_manifest(d))
                        .cloned(),
                );
                missing.dedup();
                missing
            };
            if !missing.is_empty() {
                return Err(ApiError::manifest_blobs_unknown(&missing));
            }
            let now = m.tick();
            let repo = m.repo_mut(name);
            repo.updated = now;
            let record = repo
                .manifests
                .entry(digest.clone())
                .or_insert_with(|| ManifestRecord {
                    media_type: parsed.media_type.clone(),
                    size,
                    created: now,
                    updated: now,
                    attrs: Attributes::default(),
                    architecture: None,
                    os: None,
                    config_media_type: None,
                    references: Vec::new(),
                    quarantine_state: None,
                    quarantine_details: None,
                    subject: None,
                    artifact_type: None,
                    annotations: None,
                });
            record.media_type = parsed.media_type.clone();
            record.size = size;
            record.architecture = architecture;
            record.os = os;
            record.config_media_type = parsed.config.as_ref().and_then(|(_, t)| t.clone());
            record.references = parsed.children.clone();
            record.subject = parsed.subject.clone();
            record.artifact_type = parsed.artifact_type.clone();
            record.annotations = parsed.annotations.clone();
            for tag in &tags {
                let entry = repo.tags.entry(tag.clone()).or_insert_with(|| TagRecord {
                    digest: digest.clone(),
                    created: now,
                    updated: now,
                    attrs: Attributes::default(),
                });
                if entry.digest != digest {
                    entry.digest = digest.clone();
                    entry.updated = now;
                }
            }
            Ok(())
        })
        .await?;
    let mut headers = vec![
        ("location", format!("/v2/{name}/manifests/{digest}")),
        ("docker-content-digest", digest.clone()),
    ];
    if let Some(subject) = parsed.subject
        && !ctx.app.has(Fault::OciSubjectMissing)
    {
        headers.push(("oci-subject", subject));
    }
    Ok(empty_response(StatusCode::CREATED, &headers))
}

/// Whether the `Accept` values allow `media_type` (absent header = anything).
fn accepts(ctx: &Ctx, media_type: &str) -> bool {
    let values: Vec<&str> = ctx
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(strip_params)
        .filter(|v| !v.is_empty())
        .collect();
    values.is_empty()
        || values
            .iter()
            .any(|v| *v == media_type || *v == "*/*" || *v == "application/*")
}

/// `GET`/`HEAD /v2/<name>/manifests/<reference>`.
pub(crate) async fn get(ctx: &Ctx, name: &str, raw_ref: &str) -> Result<Response<Body>, ApiError> {
    let reference = parse_reference(raw_ref, false, sha512_offered(ctx))?;
    let (digest, media_type) = ctx.app.store.read(|m| {
        let repo = m.known_repo(name)?;
        let digest = match &reference {
            Reference::Digest(d) => d.clone(),
            Reference::Tag(t) => {
                let tag = repo
                    .tags
                    .get(t)
                    .ok_or_else(|| ApiError::manifest_unknown(t))?;
                if !tag.attrs.read_enabled {
                    return Err(ApiError::denied());
                }
                tag.digest.clone()
            }
        };
        let record = repo
            .manifests
            .get(&digest)
            .ok_or_else(|| ApiError::manifest_unknown(&digest))?;
        if !repo.attrs.read_enabled || !record.attrs.read_enabled {
            return Err(ApiError::denied());
        }
        Ok((digest, record.media_type.clone()))
    })?;
    if !accepts(ctx, &media_type) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("manifest has media type {media_type}, which the Accept header does not allow"),
        ));
    }
    let data = ctx
        .app
        .store
        .content(&digest)
        .ok_or_else(|| ApiError::manifest_unknown(&digest))?;
    let bytes = data
        .read_all(MAX_MANIFEST as u64)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read manifest: {e}")))?;
    let content_type = if ctx.app.has(Fault::ManifestWrongContentType) {
        "application/json".to_owned()
    } else {
        media_type
    };
    let dcd = if ctx.app.has(Fault::ManifestDigestMismatch) {
        fake_digest(&digest)
    } else {
        digest.clone()
    };
    let head = ctx.method == axum::http::Method::HEAD;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, bytes.len())
        .header("docker-content-digest", dcd)
        .header(header::ETAG, format!("\"{digest}\""))
        .body(if head {
            Body::empty()
        } else {
            Body::from(bytes)
        })
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `DELETE /v2/<name>/manifests/<digest|tag>` → 202.
pub(crate) async fn delete(
    ctx: &Ctx,
    name: &str,
    raw_ref: &str,
) -> Result<Response<Body>, ApiError> {
    let reference = parse_reference(raw_ref, false, sha512_offered(ctx))?;
    let ignored = ctx.app.has(Fault::DeleteIgnored);
    let app = ctx.app.clone();
    ctx.app
        .store
        .mutate(|m| {
            let now = m.tick();
            let repo = m.known_repo_mut(name)?;
            if !attrs_deletable(&app, &repo.attrs) {
                return Err(ApiError::denied());
            }
            match &reference {
                Reference::Tag(t) => {
                    let tag = repo
                        .tags
                        .get(t)
                        .ok_or_else(|| ApiError::manifest_unknown(t))?;
                    if !attrs_deletable(&app, &tag.attrs) {
                        return Err(ApiError::denied());
                    }
                    if !ignored {
                        repo.tags.remove(t);
                        repo.updated = now;
                    }
                }
                Reference::Digest(d) => {
                    let record = repo
                        .manifests
                        .get(d)
                        .ok_or_else(|| ApiError::manifest_unknown(d))?;
                    let tag_locked = repo
                        .tags
                        .values()
                        .any(|t| t.digest == *d && !attrs_deletable(&app, &t.attrs));
                    if !attrs_deletable(&app, &record.attrs) || tag_locked {
                        return Err(ApiError::denied());
                    }
                    if !ignored {
                        repo.manifests.remove(d);
                        repo.tags.retain(|_, t| t.digest != *d);
                        repo.updated = now;
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(empty_response(StatusCode::ACCEPTED, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_validation() {
        let d = sha256_digest(b"x");
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{d}","size":1}},"layers":[{{"digest":"{d}","size":1}}]}}"#
        );
        let p = parse_manifest(Some(OCI_MANIFEST), image.as_bytes()).expect("valid");
        assert_eq!(p.blobs.len(), 2);
        assert!(parse_manifest(Some(DOCKER_V2), image.as_bytes()).is_err());
        assert!(parse_manifest(Some(OCI_MANIFEST), b"{not json").is_err());
        assert!(parse_manifest(Some("text/plain"), image.as_bytes()).is_err());
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{d}","size":1,"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#
        );
        let p = parse_manifest(Some(OCI_INDEX), index.as_bytes()).expect("index");
        assert_eq!(p.children[0].architecture.as_deref(), Some("arm64"));
    }

    #[test]
    fn sha512_references_only_where_offered() {
        let d = sha512_digest(b"{}");
        assert_eq!(d.len(), "sha512:".len() + 128);
        assert!(matches!(
            parse_reference(&d, true, true),
            Ok(Reference::Digest(r)) if r == d
        ));
        let refused = parse_reference(&d, true, false).expect_err("refused");
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        let unknown = parse_reference(&d, false, false).expect_err("unknown");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_manifest_over_the_limit_is_413() {
        let at_limit = Body::from(vec![b' '; MAX_MANIFEST]);
        assert_eq!(
            read_manifest(at_limit).await.expect("at limit").len(),
            MAX_MANIFEST
        );
        let over = Body::from(vec![b' '; MAX_MANIFEST + 1]);
        let e = read_manifest(over).await.expect_err("over the limit");
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn rewritten_keeps_the_fields_and_changes_the_bytes() {
        let raw = b"{\n  \"b\": 1,\n  \"a\": [ true ]\n}";
        let out = rewritten(raw);
        assert_eq!(&out[..], br#"{"b":1,"a":[true]}"#);
        assert_eq!(rewritten(b"not json"), &b"not json"[..]);
    }
}
