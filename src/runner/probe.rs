//! The capability probe: what the target offers before any scenario runs. `/v2/` (API version
//! header, auth challenge), ACR extensions (`/acr/v1/_catalog`), token endpoints, `/v2/_catalog`,
//! and — with a one-byte blob pushed into `<namespace>/regcheck-probe` — range support and
//! whether deletes are allowed.

use super::error::RunnerError;
use super::options::Profile;
use crate::blob::sha256_digest;
use crate::client::{Client, Credentials, OutgoingBody, OutgoingRequest};
use crate::scenario::Capability;
use bytes::Bytes;
use reqwest::Method;
use std::collections::BTreeMap;

/// What the probe found.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// Capability → present.
    pub present: BTreeMap<Capability, bool>,
    /// `/v2/` carried `Docker-Distribution-Api-Version: registry/2.0`.
    pub api_version_header: bool,
    /// Blob responses advertise `Accept-Ranges: bytes`.
    pub ranges_advertised: bool,
    /// The probe blob's repository, if one was created (cleaned up at the end).
    pub probe_repository: Option<(String, String)>,
}

impl Capabilities {
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
async fn probe_acr(client: &Client) -> Result<bool, RunnerError> {
    let get = |path: &'static str| async move {
        client
            .execute(
                &req(client, Method::GET, path, OutgoingBody::Empty),
                Credentials::Auto,
            )
            .await
            .map_err(|source| RunnerError::Unreachable {
                target: client.options().target.to_string(),
                source,
            })
    };
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
        return Ok(false);
    }
    let control = get("/acr/v1/regcheck-no-such-repository-x9/_catalog?n=1")
        .await?
        .response;
    Ok(control.status != 200 || control.body.bytes != catalog.body.bytes)
}

fn req(client: &Client, method: Method, path: &str, body: OutgoingBody) -> OutgoingRequest {
    let url = client
        .options()
        .target
        .join(path)
        .unwrap_or_else(|_| client.options().target.clone());
    OutgoingRequest {
        method,
        url,
        headers: Vec::new(),
        body,
    }
}

/// Probes the target.
pub async fn probe(
    client: &Client,
    namespace: &str,
    profile: Profile,
    run_id: &str,
) -> Result<Capabilities, RunnerError> {
    let target = client.options().target.to_string();
    let unreachable = |source| RunnerError::Unreachable {
        target: target.clone(),
        source,
    };
    let mut caps = Capabilities::default();

    // /v2/ without credentials first, to see the challenge.
    let v2 = client
        .execute(
            &req(client, Method::GET, "/v2/", OutgoingBody::Empty),
            Credentials::Never,
        )
        .await
        .map_err(unreachable)?;
    let challenge = v2
        .response
        .header("www-authenticate")
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    caps.present
        .insert(Capability::TokenAuth, challenge.starts_with("bearer"));
    let v2 = if v2.response.status == 401 {
        client
            .execute(
                &req(client, Method::GET, "/v2/", OutgoingBody::Empty),
                Credentials::Auto,
            )
            .await
            .map_err(unreachable)?
    } else {
        v2
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

    let creds = &client.options().credentials;
    caps.present
        .insert(Capability::AadToken, creds.aad_token.is_some());
    caps.present.insert(
        Capability::Credentials,
        creds.username.is_some() && creds.password.is_some(),
    );

    // ACR extensions.
    let acr = match profile {
        Profile::Oci => false,
        Profile::Acr => true,
        Profile::Auto => probe_acr(client).await?,
    };
    caps.present.insert(Capability::Acr, acr);

    // Token endpoints: present when POST /oauth2/token is routed (anything but 404/405).
    let oauth2 = match profile {
        Profile::Oci => false,
        Profile::Acr => true,
        Profile::Auto => {
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
            let s = client
                .execute(&r, Credentials::Never)
                .await
                .map_err(unreachable)?
                .response
                .status;
            s != 404 && s != 405
        }
    };
    caps.present.insert(Capability::OAuth2, oauth2);

    let catalog = client
        .execute(
            &req(client, Method::GET, "/v2/_catalog?n=1", OutgoingBody::Empty),
            Credentials::Auto,
        )
        .await
        .map_err(unreachable)?;
    caps.present
        .insert(Capability::Catalog, catalog.response.status == 200);

    // Range and delete support, on a one-byte blob of our own.
    let repo = format!("{namespace}/regcheck-probe");
    let content = format!("regcheck probe {run_id}");
    let digest = sha256_digest(content.as_bytes());
    let mut push = req(
        client,
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
        OutgoingBody::Bytes(Bytes::from(content.clone())),
    );
    push.headers
        .push(("Content-Type".into(), "application/octet-stream".into()));
    let posted = client
        .execute(&push, Credentials::Auto)
        .await
        .map_err(unreachable)?;
    let pushed = match posted.response.status {
        201 => true,
        // Single-POST uploads not supported: the 202 opened a session; finish it with a PUT.
        202 => complete_upload(client, &posted, &digest, content.as_bytes()).await,
        _ => false,
    };
    let (mut range, mut delete) = (false, false);
    if pushed {
        caps.probe_repository = Some((repo.clone(), digest.clone()));
        let head = client
            .execute(
                &req(
                    client,
                    Method::HEAD,
                    &format!("/v2/{repo}/blobs/{digest}"),
                    OutgoingBody::Empty,
                ),
                Credentials::Auto,
            )
            .await
            .map_err(unreachable)?;
        range = head
            .response
            .header("accept-ranges")
            .is_some_and(|v| v.to_ascii_lowercase().contains("bytes"));
        if !range && head.response.status == 307 {
            // Redirected blobs: ranges are served by the storage host.
            range = true;
        }
        let del = client
            .execute(
                &req(
                    client,
                    Method::DELETE,
                    &format!("/v2/{repo}/blobs/{digest}"),
                    OutgoingBody::Empty,
                ),
                Credentials::Auto,
            )
            .await
            .map_err(unreachable)?;
        delete = del.response.status == 202;
        if delete {
            caps.probe_repository = Some((repo, String::new()));
        }
    }
    caps.ranges_advertised = range;
    caps.present.insert(Capability::Range, range);
    caps.present.insert(Capability::Delete, delete);
    Ok(caps)
}

/// PUTs `content` to the session a 202 answer opened.
async fn complete_upload(
    client: &Client,
    started: &crate::client::Observed,
    digest: &str,
    content: &[u8],
) -> bool {
    let Some(location) = started.response.header("location") else {
        return false;
    };
    let Ok(mut url) = url::Url::parse(&started.request.url).and_then(|u| u.join(location)) else {
        return false;
    };
    url.query_pairs_mut().append_pair("digest", digest);
    let put = OutgoingRequest {
        method: Method::PUT,
        url,
        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
        body: OutgoingBody::Bytes(Bytes::copy_from_slice(content)),
    };
    matches!(client.execute(&put, Credentials::Auto).await, Ok(o) if o.response.status == 201)
}
