//! The target's optional endpoints, each capability decided by its own probe (or by
//! `--profile`): ACR extensions (`/acr/v1/_catalog`, with a negative control), token endpoints
//! (`/oauth2/token`), the catalog (`/v2/_catalog`).

use super::capabilities::Evidence;
use super::http::{execute_as, send};
use crate::client::simple::request as req;
use crate::client::{Client, Credentials, OutgoingBody};
use crate::exchange::ObservedResponse;
use crate::runner::error::RunnerError;
use crate::runner::options::Profile;
use bytes::Bytes;
use reqwest::Method;

/// What `--profile` decides for the ACR-only capabilities; `None` with `auto` (probe them).
fn by_profile(profile: Profile) -> Option<Evidence> {
    match profile {
        Profile::Oci => Some(Evidence::new(false, "--profile oci")),
        Profile::Acr => Some(Evidence::new(true, "--profile acr")),
        Profile::Auto => None,
    }
}

/// `acr`: by `--profile`, else probed ([`acr_extensions`]).
pub(super) async fn acr(client: &Client, profile: Profile) -> Result<Evidence, RunnerError> {
    match by_profile(profile) {
        Some(e) => Ok(e),
        None => acr_extensions(client).await,
    }
}

/// `oauth2`: by `--profile`, else probed ([`token_endpoints`]).
pub(super) async fn oauth2(client: &Client, profile: Profile) -> Result<Evidence, RunnerError> {
    match by_profile(profile) {
        Some(e) => Ok(e),
        None => token_endpoints(client).await,
    }
}

/// ACR extensions are claimed only on evidence: `/acr/v1/_catalog` answers 200 with a JSON
/// Content-Type and a body that is a repositories document (an array, not `null`), and a
/// negative control — a path under `/acr/v1/` that no ACR routes — does not answer the same
/// way (a registry that routes every `*/_catalog` path to its catalog is not ACR).
async fn acr_extensions(client: &Client) -> Result<Evidence, RunnerError> {
    let get = |path: &'static str| async move { send(client, Method::GET, path).await };
    let catalog = get("/acr/v1/_catalog?n=1").await?.response;
    if catalog.status != 200 || !json_content_type(&catalog) || !repositories_listing(&catalog) {
        return Ok(Evidence::new(
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
        Ok(Evidence::new(
            true,
            format!(
                "GET /acr/v1/_catalog answered a JSON repositories listing; a path ACR does not route answered {}",
                control.status
            ),
        ))
    } else {
        Ok(Evidence::new(
            false,
            "GET /acr/v1/_catalog answered a listing, but so did a path ACR does not route (a catalog on every */_catalog path)",
        ))
    }
}

/// The answer's Content-Type is JSON (`application/json` or `+json`).
fn json_content_type(r: &ObservedResponse) -> bool {
    r.header("Content-Type").is_some_and(|c| {
        let base = c
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        base == "application/json" || base.ends_with("+json")
    })
}

/// The body is a repositories document: JSON with a `repositories` array.
fn repositories_listing(r: &ObservedResponse) -> bool {
    r.json()
        .is_some_and(|v| v.get("repositories").is_some_and(|x| x.is_array()))
}

/// Token endpoints: present when `POST /oauth2/token` is routed (anything but 404/405).
async fn token_endpoints(client: &Client) -> Result<Evidence, RunnerError> {
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
    Ok(Evidence::new(
        s != 404 && s != 405,
        format!("POST /oauth2/token answered {s}"),
    ))
}

/// `catalog`: `/v2/_catalog` answers 200 with a JSON `repositories` array.
pub(super) async fn catalog(client: &Client) -> Result<Evidence, RunnerError> {
    let r = send(client, Method::GET, "/v2/_catalog?n=1")
        .await?
        .response;
    let listing = repositories_listing(&r);
    Ok(Evidence::new(
        r.status == 200 && listing,
        match (r.status, listing) {
            (200, true) => "GET /v2/_catalog answered 200 with a repositories list".to_string(),
            (200, false) => "GET /v2/_catalog answered 200 without a repositories list".to_string(),
            (s, _) => format!("GET /v2/_catalog answered {s}"),
        },
    ))
}
