//! The probe's own image, pushed into `<namespace>/regcheck-probe` for the capabilities that
//! need content: a config and a layer whose bytes carry the run id, and an OCI image manifest
//! over them.

use super::http::{execute, push_blob};
use crate::blob::sha256_digest;
use crate::client::simple::request as req;
use crate::client::{Client, OutgoingBody};
use crate::runner::error::RunnerError;
use bytes::Bytes;
use reqwest::Method;

/// The probe's image: a config and a layer whose bytes carry the run id, and an OCI image
/// manifest over them pushed under the tag `regcheck-probe`.
pub(super) struct ProbeImage {
    /// The layer's digest.
    pub layer: String,
    /// The layer's size in bytes.
    pub layer_len: usize,
    /// The config's digest.
    pub config: String,
    /// The config's size in bytes.
    pub config_len: usize,
    /// The manifest's digest.
    pub manifest: String,
    /// The manifest's size in bytes.
    pub manifest_len: usize,
}

/// The tag the probe manifest is pushed under.
pub(super) const PROBE_TAG: &str = "regcheck-probe";

/// Pushes the probe image; the inner `Err` says why it could not (the capabilities that need
/// it are then absent with that reason).
pub(super) async fn push(
    client: &Client,
    repo: &str,
    run_id: &str,
) -> Result<Result<ProbeImage, String>, RunnerError> {
    let layer = format!("regcheck probe {run_id}");
    let config = format!(r#"{{"architecture":"amd64","os":"linux","regcheck-probe":"{run_id}"}}"#);
    for (what, content) in [("layer", &layer), ("config", &config)] {
        if let Err(why) = push_blob(client, repo, content.as_bytes()).await? {
            return Ok(Err(format!("pushing the probe {what} failed: {why}")));
        }
    }
    let (ld, cd) = (
        sha256_digest(layer.as_bytes()),
        sha256_digest(config.as_bytes()),
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": crate::vocab::media::OCI_CONFIG,
            "digest": cd,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": crate::vocab::media::OCI_LAYER_TAR,
            "digest": ld,
            "size": layer.len(),
        }],
    })
    .to_string();
    let mut put = req(
        client,
        Method::PUT,
        &format!("/v2/{repo}/manifests/{PROBE_TAG}"),
        OutgoingBody::Bytes(Bytes::from(manifest.clone())),
    );
    put.headers
        .push(("Content-Type".into(), OCI_MANIFEST.into()));
    let s = execute(client, &put).await?.response.status;
    if s != 201 {
        return Ok(Err(format!("PUT of the probe manifest answered {s}")));
    }
    Ok(Ok(ProbeImage {
        layer: ld,
        layer_len: layer.len(),
        config: cd,
        config_len: config.len(),
        manifest: sha256_digest(manifest.as_bytes()),
        manifest_len: manifest.len(),
    }))
}

/// The media type of the probe manifest.
const OCI_MANIFEST: &str = crate::vocab::media::OCI_MANIFEST;
