//! The OCI 1.1 referrers API (end-12a/12b): `GET /v2/<name>/referrers/<digest>` answers an
//! image index with one descriptor per manifest of `<name>` whose `subject` is `<digest>`,
//! computed from the stored manifest records at request time (a deleted manifest leaves its
//! subject's list at once); `?artifactType=` filters and says so in `OCI-Filters-Applied`.
//!
//! Choices where distribution-spec 1.1.1 leaves room: an unknown repository, like an unknown
//! subject, answers an empty index (the spec only demands 200 "assuming a repository is
//! found", and "MUST NOT return a 404" when the API is supported); a well-formed digest of an
//! algorithm this registry does not store (sha512) has no referrers; the whole list fits one
//! response (no `Link`); descriptors are ordered by digest.

use super::super::digest::{DigestKind, parse_digest};
use super::super::errors::ApiError;
use super::super::faults::{Fault, FaultSet};
use super::super::store::ManifestRecord;
use super::manifests::{OCI_INDEX, is_index};
use super::{Ctx, body_response};
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode};
use serde_json::{Map, Value, json};

/// The referrers descriptor of one manifest (`artifactType` and `annotations` as the spec says).
fn descriptor(faults: &FaultSet, digest: &str, record: &ManifestRecord) -> Value {
    let mut d = Map::new();
    d.insert("mediaType".into(), json!(record.media_type));
    d.insert("digest".into(), json!(digest));
    d.insert("size".into(), json!(record.size));
    // "If the artifactType is empty or missing in the image manifest, the value of artifactType
    // MUST be set to the config descriptor mediaType value. If the artifactType is empty or
    // missing in an index, the artifactType MUST be omitted."
    let artifact_type = match (&record.artifact_type, is_index(&record.media_type)) {
        (Some(t), _) => Some(t.clone()),
        (None, false) => record.config_media_type.clone(),
        (None, true) => None,
    };
    if let Some(t) = artifact_type
        && !faults.has(Fault::ReferrersArtifactTypeMissing)
    {
        d.insert("artifactType".into(), json!(t));
    }
    if let Some(a) = &record.annotations
        && !faults.has(Fault::ReferrersAnnotationsDropped)
    {
        d.insert("annotations".into(), a.clone());
    }
    Value::Object(d)
}

/// `GET /v2/<name>/referrers/<digest>[?artifactType=<type>]`.
pub(crate) fn get(ctx: &Ctx, name: &str, raw_digest: &str) -> Result<Response<Body>, ApiError> {
    let subject = match parse_digest(raw_digest) {
        Some(DigestKind::Sha256(d)) | Some(DigestKind::Other(d)) => d,
        None if ctx.app.has(Fault::ReferrersInvalidDigest404) => {
            return Err(ApiError::manifest_unknown(raw_digest));
        }
        None => {
            return Err(ApiError::digest_invalid(format!(
                "`{raw_digest}` is not a valid digest"
            )));
        }
    };
    let all: Vec<Value> = ctx.app.store.read(|m| {
        m.repos.get(name).map_or_else(Vec::new, |repo| {
            repo.manifests
                .iter()
                .filter(|(_, r)| r.subject.as_deref() == Some(subject.as_str()))
                .map(|(digest, r)| descriptor(&ctx.app.faults, digest, r))
                .collect()
        })
    });
    if all.is_empty() && ctx.app.has(Fault::Referrers404) {
        return Err(ApiError::manifest_unknown(&subject));
    }
    let filter = ctx.q("artifactType").filter(|t| !t.is_empty());
    let manifests: Vec<Value> = match filter {
        Some(wanted) if !ctx.app.has(Fault::ReferrersFilterIgnored) => all
            .into_iter()
            .filter(|d| d.get("artifactType").and_then(Value::as_str) == Some(wanted))
            .collect(),
        _ => all,
    };
    let list = if ctx.app.has(Fault::ReferrersNotAnIndex) {
        "referrers"
    } else {
        "manifests"
    };
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        list: manifests,
    });
    let content_type = if ctx.app.has(Fault::ReferrersWrongContentType) {
        "application/json"
    } else {
        OCI_INDEX
    };
    let mut resp = body_response(StatusCode::OK, content_type, body.to_string());
    if filter.is_some() {
        resp.headers_mut().insert(
            "oci-filters-applied",
            HeaderValue::from_static("artifactType"),
        );
    }
    Ok(resp)
}
