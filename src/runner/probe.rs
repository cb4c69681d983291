//! The capability probe: what the target offers before any scenario runs, each capability
//! decided by one probe on evidence (a schema-valid answer, a negative control) and recorded
//! with that evidence for the reports: `/v2/` (auth challenge, API version header), ACR
//! extensions (`/acr/v1/_catalog`), token endpoints, `/v2/_catalog`, and — on a small image of
//! its own pushed into `<namespace>/regcheck-probe` — range reads and the three deletes (tag,
//! manifest, blob), each tried on its own.

use super::error::RunnerError;
use super::options::Profile;
use crate::blob::sha256_digest;
use crate::client::simple::{self, request as req};
use crate::client::{Client, ClientError, Credentials, Observed, OutgoingBody, OutgoingRequest};
use crate::namespace::cleanup::Kind;
use crate::scenario::Capability;
use bytes::Bytes;
use reqwest::Method;
use std::collections::BTreeMap;

/// What the probe found.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// Capability → present.
    pub present: BTreeMap<Capability, bool>,
    /// Capability → what the probe saw that decided it (one line).
    pub evidence: BTreeMap<Capability, String>,
    /// `/v2/` carried `Docker-Distribution-Api-Version: registry/2.0`.
    pub api_version_header: bool,
    /// Blob responses advertise `Accept-Ranges: bytes`.
    pub ranges_advertised: bool,
    /// The probe's repository, if it pushed anything (cleaned up at the end).
    pub probe_repository: Option<String>,
    /// What the probe pushed and could not delete: (kind, digest) in its repository.
    pub probe_objects: Vec<(Kind, String)>,
}

impl Capabilities {
    /// Records a capability and the evidence that decided it.
    fn set(&mut self, c: Capability, present: bool, evidence: impl Into<String>) {
        self.present.insert(c, present);
        self.evidence.insert(c, evidence.into());
    }

    /// The evidence recorded for a capability (empty when it was not probed).
    pub fn evidence_of(&self, c: Capability) -> &str {
        self.evidence.get(&c).map(String::as_str).unwrap_or("")
    }

    /// Whether the capability is present.
    pub fn has(&self, c: Capability) -> bool {
        self.present.get(&c).copied().unwrap_or(false)
    }

    /// The profile the target is judged by: ACR texts bind only a target that proved to be ACR.
    pub fn target(&self) -> crate::contract::Target {
        if self.has(Capability::Acr) {
            crate::contract::Target::Acr
        } else {
            crate::contract::Target::Oci
        }
    }

    /// The first of `required` that is missing.
    pub fn missing<'a>(&self, required: &'a [Capability]) -> Option<&'a Capability> {
        required.iter().find(|c| !self.has(**c))
    }
}

/// ACR extensions are claimed only on evidence: `/acr/v1/_catalog` answers 200 with a JSON
/// Content-Type and a body that is a repositories document (an array, not `null`), and a
/// negative control — a path under `/acr/v1/` that no ACR routes — does not answer the same
/// way (a registry that routes every `*/_catalog` path to its catalog is not ACR).
async fn probe_acr(client: &Client) -> Result<(bool, String), RunnerError> {
    let get = |path: &'static str| async move { send(client, Method::GET, path).await };
    let catalog = get("/acr/v1/_catalog?n=1").await?.response;
    let json_ct = catalog.header("Content-Type").is_some_and(|c| {
        let base = c
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        base == "application/json" || base.ends_with("+json")
    });
    let listing = catalog
        .json()
        .is_some_and(|v| v.get("repositories").is_some_and(|r| r.is_array()));
    if catalog.status != 200 || !json_ct || !listing {
        return Ok((
            false,
            format!(
                "GET /acr/v1/_catalog answered {}{}",
                catalog.status,
                if catalog.status == 200 {
                    " without a JSON repositories listing"
                } else {
                    ""
                }
            ),
        ));
    }
    let control = get("/acr/v1/regcheck-no-such-repository-x9/_catalog?n=1")
        .await?
        .response;
    if control.status != 200 || control.body.bytes != catalog.body.bytes {
        Ok((
            true,
            format!(
                "GET /acr/v1/_catalog answered a JSON repositories listing; a path ACR does not route answered {}",
                control.status
            ),
        ))
    } else {
        Ok((
            false,
            "GET /acr/v1/_catalog answered a listing, but so did a path ACR does not route (a catalog on every */_catalog path)".into(),
        ))
    }
}

/// Sends one request with credentials as needed; a transport failure makes the target
/// unreachable.
async fn send(client: &Client, method: Method, path: &str) -> Result<Observed, RunnerError> {
    execute(client, &req(client, method, path, OutgoingBody::Empty)).await
}

async fn execute(client: &Client, r: &OutgoingRequest) -> Result<Observed, RunnerError> {
    execute_as(client, r, Credentials::Auto).await
}

/// [`execute`] with the given credential policy (`Never`: see what an anonymous client gets).
async fn execute_as(
    client: &Client,
    r: &OutgoingRequest,
    creds: Credentials,
) -> Result<Observed, RunnerError> {
    client
        .execute(r, creds)
        .await
        .map_err(|source| unreachable(client, source))
}

fn unreachable(client: &Client, source: ClientError) -> RunnerError {
    RunnerError::Unreachable {
        target: client.options().target.to_string(),
        source,
    }
}

/// Probes the target.
pub async fn probe(
    client: &Client,
    namespace: &str,
    profile: Profile,
    run_id: &str,
) -> Result<Capabilities, RunnerError> {
    let mut caps = Capabilities::default();
    probe_v2(client, &mut caps).await?;

    let creds = &client.options().credentials;
    caps.set(
        Capability::AadToken,
        creds.aad_token.is_some(),
        if creds.aad_token.is_some() {
            "an AAD access token was given (--aad-token)"
        } else {
            "no AAD access token given (--aad-token)"
        },
    );
    caps.set(
        Capability::AadRefreshToken,
        creds.aad_refresh_token.is_some(),
        if creds.aad_refresh_token.is_some() {
            "an AAD refresh token was given (--aad-refresh-token)"
        } else {
            "no AAD refresh token given (--aad-refresh-token)"
        },
    );
    let has_creds = creds.username.is_some() && creds.password.is_some();
    caps.set(
        Capability::Credentials,
        has_creds,
        if has_creds {
            "a username and password were given"
        } else {
            "no username and password given"
        },
    );

    let (acr, why) = match profile {
        Profile::Oci => (false, "--profile oci".to_string()),
        Profile::Acr => (true, "--profile acr".to_string()),
        Profile::Auto => probe_acr(client).await?,
    };
    caps.set(Capability::Acr, acr, why);
    let (oauth2, why) = match profile {
        Profile::Oci => (false, "--profile oci".to_string()),
        Profile::Acr => (true, "--profile acr".to_string()),
        Profile::Auto => probe_oauth2(client).await?,
    };
    caps.set(Capability::OAuth2, oauth2, why);
    probe_catalog(client, &mut caps).await?;

    let repo = format!("{namespace}/regcheck-probe");
    match push_probe_image(client, &repo, run_id).await? {
        Ok(image) => {
            caps.probe_repository = Some(repo.clone());
            probe_range(client, &repo, &image, &mut caps).await?;
            probe_deletes(client, &repo, &image, &mut caps).await?;
        }
        Err(why) => {
            caps.probe_repository = Some(repo);
            for c in [
                Capability::Range,
                Capability::TagDelete,
                Capability::ManifestDelete,
                Capability::BlobDelete,
            ] {
                caps.set(c, false, format!("not probed: {why}"));
            }
        }
    }
    Ok(caps)
}

/// `/v2/` without credentials (the challenge), then with them; `auth` and `token-auth`.
async fn probe_v2(client: &Client, caps: &mut Capabilities) -> Result<(), RunnerError> {
    let target = client.options().target.to_string();
    let anonymous = execute_as(
        client,
        &req(client, Method::GET, "/v2/", OutgoingBody::Empty),
        Credentials::Never,
    )
    .await?;
    let challenge = anonymous
        .response
        .header("www-authenticate")
        .unwrap_or_default()
        .to_string();
    let challenged = anonymous.response.status == 401;
    caps.set(
        Capability::Auth,
        challenged,
        if !challenged {
            format!("anonymous GET /v2/ answered {}", anonymous.response.status)
        } else if challenge.is_empty() {
            "anonymous GET /v2/ answered 401 without a challenge".to_string()
        } else {
            format!(
                "anonymous GET /v2/ answered 401, challenge scheme {}",
                challenge.split_whitespace().next().unwrap_or("")
            )
        },
    );
    let bearer = challenge.to_ascii_lowercase().starts_with("bearer");
    caps.set(
        Capability::TokenAuth,
        bearer,
        if bearer {
            "anonymous GET /v2/ was challenged with Bearer".to_string()
        } else if challenged {
            "the /v2/ challenge is not Bearer".to_string()
        } else {
            "anonymous GET /v2/ was not challenged".to_string()
        },
    );
    let v2 = if challenged {
        send(client, Method::GET, "/v2/").await?
    } else {
        anonymous
    };
    if let Some(broken) = &v2.response.body.incomplete {
        return Err(RunnerError::NotARegistry {
            target,
            detail: format!("the body of GET /v2/ broke off: {broken}"),
        });
    }
    match v2.response.status {
        200 => {}
        401 => {
            return Err(RunnerError::Config(format!(
                "{target} refused the credentials for /v2/ (401); pass --username/--password or --aad-token"
            )));
        }
        s => {
            return Err(RunnerError::NotARegistry {
                target,
                detail: format!("GET /v2/ answered {s}, expected 200 or 401"),
            });
        }
    }
    caps.api_version_header = v2
        .response
        .header("docker-distribution-api-version")
        .is_some_and(|v| v.trim() == "registry/2.0");
    Ok(())
}

/// Token endpoints: present when `POST /oauth2/token` is routed (anything but 404/405).
async fn probe_oauth2(client: &Client) -> Result<(bool, String), RunnerError> {
    let mut r = req(
        client,
        Method::POST,
        "/oauth2/token",
        OutgoingBody::Bytes(Bytes::from_static(b"grant_type=password&service=probe")),
    );
    r.headers.push((
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    let s = execute_as(client, &r, Credentials::Never)
        .await?
        .response
        .status;
    Ok((
        s != 404 && s != 405,
        format!("POST /oauth2/token answered {s}"),
    ))
}

/// `/v2/_catalog`: present when it answers 200 with a JSON `repositories` array.
async fn probe_catalog(client: &Client, caps: &mut Capabilities) -> Result<(), RunnerError> {
    let r = send(client, Method::GET, "/v2/_catalog?n=1")
        .await?
        .response;
    let listing = r
        .json()
        .is_some_and(|v| v.get("repositories").is_some_and(|x| x.is_array()));
    let present = r.status == 200 && listing;
    caps.set(
        Capability::Catalog,
        present,
        match (r.status, listing) {
            (200, true) => "GET /v2/_catalog answered 200 with a repositories list".to_string(),
            (200, false) => "GET /v2/_catalog answered 200 without a repositories list".to_string(),
            (s, _) => format!("GET /v2/_catalog answered {s}"),
        },
    );
    Ok(())
}

/// The probe's image: a config and a layer whose bytes carry the run id, and an OCI image
/// manifest over them pushed under the tag `regcheck-probe`.
struct ProbeImage {
    layer: String,
    layer_len: usize,
    config: String,
    manifest: String,
}

const PROBE_TAG: &str = "regcheck-probe";

/// Pushes the probe image; the inner `Err` says why it could not (the capabilities that need
/// it are then absent with that reason).
async fn push_probe_image(
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
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": cd,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
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
        manifest: sha256_digest(manifest.as_bytes()),
    }))
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Uploads one blob ([`simple::push_blob`]); a transport failure makes the target unreachable.
async fn push_blob(
    client: &Client,
    repo: &str,
    content: &[u8],
) -> Result<Result<(), String>, RunnerError> {
    simple::push_blob(client, repo, content)
        .await
        .map_err(|source| unreachable(client, source))
}

/// Range reads: advertised (`Accept-Ranges: bytes` on the blob HEAD), or tried (`Range:
/// bytes=0-0` answered 206 with `Content-Range: bytes 0-0/<size>` and one byte), or served by
/// the storage a blob HEAD redirects to.
async fn probe_range(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
    caps: &mut Capabilities,
) -> Result<(), RunnerError> {
    let path = format!("/v2/{repo}/blobs/{}", image.layer);
    let head = send(client, Method::HEAD, &path).await?.response;
    let advertised = head
        .header("accept-ranges")
        .is_some_and(|v| v.to_ascii_lowercase().contains("bytes"));
    caps.ranges_advertised = advertised;
    if advertised {
        caps.set(
            Capability::Range,
            true,
            "blob HEAD advertises Accept-Ranges: bytes",
        );
        return Ok(());
    }
    if head.status == 307 {
        caps.set(
            Capability::Range,
            true,
            "blob HEAD redirects (307) to storage, which serves ranges",
        );
        return Ok(());
    }
    let mut get = req(client, Method::GET, &path, OutgoingBody::Empty);
    get.headers.push(("Range".into(), "bytes=0-0".into()));
    // Only evidence: a target that breaks on the try is judged by the scenarios, not here.
    let r = match client.execute(&get, Credentials::Auto).await {
        Ok(o) => o.response,
        Err(e) => {
            caps.set(
                Capability::Range,
                false,
                format!("no Accept-Ranges, and GET with Range: bytes=0-0 failed: {e}"),
            );
            return Ok(());
        }
    };
    let want = format!("bytes 0-0/{}", image.layer_len);
    let honoured =
        r.status == 206 && r.header("content-range") == Some(want.as_str()) && r.body.len == 1;
    caps.set(
        Capability::Range,
        honoured,
        if honoured {
            format!("no Accept-Ranges, but GET with Range: bytes=0-0 answered 206 {want}")
        } else {
            format!(
                "no Accept-Ranges, and GET with Range: bytes=0-0 answered {} ({} bytes)",
                r.status, r.body.len
            )
        },
    );
    Ok(())
}

/// The three deletes, each tried on its own: the tag, then the manifest by digest, then the
/// layer blob. A delete is offered when it answers 2xx (whether it really deletes is what the
/// delete scenarios judge); the follow-up status is kept as evidence.
async fn probe_deletes(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
    caps: &mut Capabilities,
) -> Result<(), RunnerError> {
    let manifests = format!("/v2/{repo}/manifests");
    let tag = format!("{manifests}/{PROBE_TAG}");
    let (ok, why) = try_delete(client, &tag, "the tag").await?;
    caps.set(Capability::TagDelete, ok, why);
    let by_digest = format!("{manifests}/{}", image.manifest);
    let (ok, why) = try_delete(client, &by_digest, "the manifest").await?;
    caps.set(Capability::ManifestDelete, ok, why);
    if !ok {
        caps.probe_objects
            .push((Kind::Manifest, image.manifest.clone()));
    }
    let blob = format!("/v2/{repo}/blobs/{}", image.layer);
    let (ok, why) = try_delete(client, &blob, "the blob").await?;
    caps.set(Capability::BlobDelete, ok, why);
    if !ok {
        caps.probe_objects.push((Kind::Blob, image.layer.clone()));
    }
    caps.probe_objects.push((Kind::Blob, image.config.clone()));
    Ok(())
}

/// DELETE `path`; on 2xx, a HEAD of the same path records what it answers afterwards (as
/// evidence only: a follow-up that fails does not stop the run).
async fn try_delete(
    client: &Client,
    path: &str,
    what: &str,
) -> Result<(bool, String), RunnerError> {
    let s = send(client, Method::DELETE, path).await?.response.status;
    if !(200..300).contains(&s) {
        return Ok((false, format!("DELETE of {what} answered {s}")));
    }
    let head = req(client, Method::HEAD, path, OutgoingBody::Empty);
    let after = match client.execute(&head, Credentials::Auto).await {
        Ok(o) => format!("HEAD then answered {}", o.response.status),
        Err(e) => format!("HEAD then failed: {e}"),
    };
    Ok((true, format!("DELETE of {what} answered {s}; {after}")))
}
