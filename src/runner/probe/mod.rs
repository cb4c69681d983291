//! The capability probe: what the target offers before any scenario runs, each capability
//! decided by one probe on evidence (a schema-valid answer, a negative control) and recorded
//! with that evidence for the reports: `/v2/` (auth challenge, API version header), ACR
//! extensions (`/acr/v1/_catalog`), token endpoints, `/v2/_catalog`, and — on a small image of
//! its own pushed into `<namespace>/regcheck-probe` — range reads, the referrers API (an artifact
//! whose subject is the probe image) and the three deletes (tag, manifest, blob), each tried on
//! its own.
//!
//! One module per kind of evidence; each probe returns its `Evidence` (present or not, and
//! what decided it) and [`probe`] only composes them, in order, into [`Capabilities`].

mod capabilities;
mod deletes;
mod endpoints;
mod given;
mod http;
mod image;
mod range;
mod referrers;
mod root;

pub use capabilities::Capabilities;

use super::error::RunnerError;
use super::options::Profile;
use crate::client::Client;
use crate::namespace::cleanup::Kind;
use crate::scenario::Capability;
use capabilities::Evidence;
use image::ProbeImage;

/// Probes the target.
pub async fn probe(
    client: &Client,
    namespace: &str,
    profile: Profile,
    run_id: &str,
) -> Result<Capabilities, RunnerError> {
    let mut caps = Capabilities::default();
    let root = root::root(client).await?;
    caps.api_version_header = root.api_version_header;
    caps.set(Capability::Auth, root::auth(&root.anonymous));
    caps.set(Capability::TokenAuth, root::token_auth(&root.anonymous));
    let creds = &client.options().credentials;
    caps.set(Capability::AadToken, given::aad_token(creds));
    caps.set(Capability::AadRefreshToken, given::aad_refresh_token(creds));
    caps.set(Capability::Credentials, given::credentials(creds));
    caps.set(Capability::Acr, endpoints::acr(client, profile).await?);
    caps.set(
        Capability::OAuth2,
        endpoints::oauth2(client, profile).await?,
    );
    caps.set(Capability::Catalog, endpoints::catalog(client).await?);

    let repo = format!("{namespace}/regcheck-probe");
    caps.probe_repository = Some(repo.clone());
    match image::push(client, &repo, run_id).await? {
        Ok(image) => probe_image(client, &repo, &image, &mut caps).await?,
        Err(why) => {
            for c in [
                Capability::Range,
                Capability::Referrers,
                Capability::TagDelete,
                Capability::ManifestDelete,
                Capability::BlobDelete,
            ] {
                caps.set(c, Evidence::new(false, format!("not probed: {why}")));
            }
        }
    }
    Ok(caps)
}

/// The capabilities probed on the probe image: range reads, then the tag, the manifest and
/// the blob deletes in turn; what the deletes left is recorded for cleanup (the config is
/// never deleted by the probe).
async fn probe_image(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
    caps: &mut Capabilities,
) -> Result<(), RunnerError> {
    let ranges = range::range(client, repo, image).await?;
    caps.ranges_advertised = ranges.advertised;
    caps.set(Capability::Range, ranges.evidence);
    let referrers = referrers::referrers(client, repo, image).await?;
    if let Some(artifact) = referrers.leftover {
        caps.probe_objects.push((Kind::Manifest, artifact));
    }
    caps.set(Capability::Referrers, referrers.evidence);
    caps.set(
        Capability::TagDelete,
        deletes::tag_delete(client, repo).await?,
    );
    let manifest = deletes::manifest_delete(client, repo, image).await?;
    if !manifest.present {
        caps.probe_objects
            .push((Kind::Manifest, image.manifest.clone()));
    }
    caps.set(Capability::ManifestDelete, manifest);
    let blob = deletes::blob_delete(client, repo, image).await?;
    if !blob.present {
        caps.probe_objects.push((Kind::Blob, image.layer.clone()));
    }
    caps.set(Capability::BlobDelete, blob);
    caps.probe_objects.push((Kind::Blob, image.config.clone()));
    Ok(())
}
