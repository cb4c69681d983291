//! Request routing: one fallback handler parses the (percent-decoded) path itself — repository
//! names contain slashes, which axum cannot match in the middle of a path — authorizes the
//! request for the scope ACR would demand, and dispatches to the handler modules.

mod acr;
mod blobs;
mod listing;
mod manifests;
pub(crate) mod oauth2;
mod referrers;
pub(crate) mod storage;
pub(crate) mod uploads;

use super::RegistryConfig;
use super::auth::{AuthCheck, Grant, Scope, Signer};
use super::digest::valid_repo_name;
use super::errors::ApiError;
use super::faults::{Fault, FaultSet};
use super::store::{Attributes, Store};
use super::surface::{self, Admission, Surface};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use percent_encoding::percent_decode_str;
use std::sync::Arc;

/// Shared state of one registry instance.
#[derive(Debug)]
pub(crate) struct App {
    pub config: RegistryConfig,
    pub faults: FaultSet,
    pub store: Store,
    pub sessions: uploads::Sessions,
    pub signer: Signer,
    /// `http://127.0.0.1:<port>` of the storage listener in redirect mode.
    pub storage_url: Option<String>,
    /// Fallback `host:port` when a request has no `Host` header.
    pub default_host: String,
    /// Taken by each request when `config.one_at_a_time` is set.
    pub one_at_a_time: tokio::sync::Mutex<()>,
}

impl App {
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// Whether only the OCI-required surface is offered.
    pub fn minimal(&self) -> bool {
        self.config.surface == Surface::Minimal
    }

    pub fn render_error(&self, e: ApiError) -> Response<Body> {
        // The minimal surface answers errors in plain text (OCI: a 4xx MAY have any body),
        // unless a fault needs a JSON code to break.
        let text = self.has(Fault::ErrorBodyNotJson)
            || (self.minimal() && !self.has(Fault::UnknownErrorCode));
        e.render(
            text,
            self.has(Fault::UnknownErrorCode),
            self.has(Fault::NoAuthChallenge),
        )
    }

    pub fn auth_check<'a>(&'a self, host: &'a str) -> AuthCheck<'a> {
        AuthCheck {
            mode: self.config.auth,
            credentials: &self.config.credentials,
            signer: &self.signer,
            scope_not_enforced: self.has(Fault::TokenScopeNotEnforced),
            token_not_verified: self.has(Fault::TokenNotVerified),
            challenge_scope_missing: self.has(Fault::ChallengeScopeMissing),
            host,
            scheme: if self.config.tls.is_some() {
                "https"
            } else {
                "http"
            },
        }
    }
}

/// Per-request context handed to handlers.
pub(crate) struct Ctx {
    pub app: Arc<App>,
    pub host: String,
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub grant: Grant,
}

impl Ctx {
    /// First value of a query parameter.
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The parsed target of a registry request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    V2Root,
    V2Catalog,
    Uploads { name: String },
    Upload { name: String, uuid: String },
    Blob { name: String, digest: String },
    Manifest { name: String, reference: String },
    TagsList { name: String },
    Referrers { name: String, digest: String },
    AcrCatalog,
    AcrRepo { name: String },
    AcrTags { name: String },
    AcrTag { name: String, tag: String },
    AcrManifests { name: String },
    AcrManifest { name: String, digest: String },
}

/// Parses a percent-decoded path; `None` is a router miss.
pub(crate) fn parse_route(path: &str) -> Option<Route> {
    if path == "/v2/" || path == "/v2" {
        return Some(Route::V2Root);
    }
    if let Some(rest) = path.strip_prefix("/v2/") {
        if rest == "_catalog" {
            return Some(Route::V2Catalog);
        }
        return parse_v2(rest);
    }
    if let Some(rest) = path.strip_prefix("/acr/v1/") {
        if rest == "_catalog" {
            return Some(Route::AcrCatalog);
        }
        return parse_acr(rest.trim_end_matches('/'));
    }
    None
}

fn named(segs: &[&str]) -> Option<String> {
    let name = segs.join("/");
    valid_repo_name(&name).then_some(name)
}

fn parse_v2(rest: &str) -> Option<Route> {
    let segs: Vec<&str> = rest.split('/').collect();
    let n = segs.len();
    if n >= 3 && segs[n - 1].is_empty() && segs[n - 2] == "uploads" && segs[n - 3] == "blobs" {
        return Some(Route::Uploads {
            name: named(&segs[..n - 3])?,
        });
    }
    if n >= 3 && segs[n - 1] == "uploads" && segs[n - 2] == "blobs" {
        return Some(Route::Uploads {
            name: named(&segs[..n - 2])?,
        });
    }
    if n >= 4 && segs[n - 2] == "uploads" && segs[n - 3] == "blobs" && !segs[n - 1].is_empty() {
        return Some(Route::Upload {
            name: named(&segs[..n - 3])?,
            uuid: segs[n - 1].to_owned(),
        });
    }
    if n >= 3 && segs[n - 2] == "blobs" && !segs[n - 1].is_empty() {
        return Some(Route::Blob {
            name: named(&segs[..n - 2])?,
            digest: segs[n - 1].to_owned(),
        });
    }
    if n >= 3 && segs[n - 2] == "manifests" && !segs[n - 1].is_empty() {
        return Some(Route::Manifest {
            name: named(&segs[..n - 2])?,
            reference: segs[n - 1].to_owned(),
        });
    }
    if n >= 3 && segs[n - 1] == "list" && segs[n - 2] == "tags" {
        return Some(Route::TagsList {
            name: named(&segs[..n - 2])?,
        });
    }
    if n >= 3 && segs[n - 2] == "referrers" && !segs[n - 1].is_empty() {
        return Some(Route::Referrers {
            name: named(&segs[..n - 2])?,
            digest: segs[n - 1].to_owned(),
        });
    }
    None
}

fn parse_acr(rest: &str) -> Option<Route> {
    let segs: Vec<&str> = rest.split('/').collect();
    let marker = segs.iter().position(|s| s.starts_with('_'));
    match marker {
        None => Some(Route::AcrRepo {
            name: named(&segs)?,
        }),
        Some(i) if i >= 1 => {
            let name = named(&segs[..i])?;
            match (segs[i], &segs[i + 1..]) {
                ("_tags", []) => Some(Route::AcrTags { name }),
                ("_tags", [tag]) if !tag.is_empty() => Some(Route::AcrTag {
                    name,
                    tag: (*tag).to_owned(),
                }),
                ("_manifests", []) => Some(Route::AcrManifests { name }),
                ("_manifests", [d]) if !d.is_empty() => Some(Route::AcrManifest {
                    name,
                    digest: (*d).to_owned(),
                }),
                _ => None,
            }
        }
        Some(_) => None,
    }
}

/// The scopes ACR demands for a request (acr-contract.md §6.3); `None` = method not allowed.
pub(crate) fn required_scopes(
    method: &Method,
    route: &Route,
    query: &[(String, String)],
) -> Option<Vec<Scope>> {
    let m = method.as_str();
    let scopes = match route {
        Route::V2Root if matches!(m, "GET" | "HEAD") => vec![],
        Route::V2Catalog | Route::AcrCatalog if m == "GET" => vec![Scope::catalog()],
        Route::Uploads { name } if m == "POST" => {
            let mut scopes = vec![Scope::repo(name, &["push", "pull"])];
            // A cross-repository mount also needs pull on the source (as in Distribution).
            let q = |k: &str| {
                query
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            if let (Some(_), Some(from)) = (q("mount"), q("from"))
                && from != name
                && valid_repo_name(from)
            {
                scopes.push(Scope::repo(from, &["pull"]));
            }
            scopes
        }
        Route::Upload { name, .. } if matches!(m, "GET" | "PATCH" | "PUT" | "DELETE") => {
            vec![Scope::repo(name, &["push", "pull"])]
        }
        Route::Blob { name, .. } | Route::Manifest { name, .. } if matches!(m, "GET" | "HEAD") => {
            vec![Scope::repo(name, &["pull"])]
        }
        Route::Blob { name, .. } | Route::Manifest { name, .. } if m == "DELETE" => {
            vec![Scope::repo(name, &["delete"])]
        }
        Route::Manifest { name, .. } if m == "PUT" => vec![Scope::repo(name, &["push", "pull"])],
        Route::TagsList { name } | Route::Referrers { name, .. } if m == "GET" => {
            vec![Scope::repo(name, &["pull"])]
        }
        Route::AcrRepo { name } | Route::AcrTag { name, .. } => match m {
            "GET" => vec![Scope::repo(name, &["metadata_read"])],
            "PATCH" => vec![Scope::repo(name, &["metadata_write"])],
            "DELETE" => vec![Scope::repo(name, &["delete"])],
            _ => return None,
        },
        Route::AcrManifest { name, .. } => match m {
            "GET" => vec![Scope::repo(name, &["metadata_read"])],
            "PATCH" => vec![Scope::repo(name, &["metadata_write"])],
            _ => return None,
        },
        Route::AcrTags { name } | Route::AcrManifests { name } if m == "GET" => {
            vec![Scope::repo(name, &["metadata_read"])]
        }
        _ => return None,
    };
    Some(scopes)
}

/// The single fallback handler of the registry listener.
pub(crate) async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response<Body> {
    let serial = app.clone();
    let _one_at_a_time = match app.config.one_at_a_time {
        Some(delay) => {
            let turn = serial.one_at_a_time.lock().await;
            tokio::time::sleep(delay).await;
            Some(turn)
        }
        None => None,
    };
    let raw_path = req.uri().path().to_owned();
    if raw_path.starts_with("/oauth2/") {
        if app.minimal() {
            return app.render_error(ApiError::router_miss());
        }
        return oauth2::handle(app, req).await;
    }
    let is_root = raw_path == "/v2/" || raw_path == "/v2";
    let sent_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let mut resp = match handle(app.clone(), req).await {
        Ok(r) => r,
        Err(e) => app.render_error(e),
    };
    // An error answered before the request body was read leaves unread bytes on the
    // connection: tell the client not to reuse it (it would otherwise race the close).
    if sent_body && resp.status().as_u16() >= 400 {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let keep = if is_root {
        !app.has(Fault::V2NoApiVersion)
    } else {
        !app.has(Fault::MissingApiVersionHeader)
    };
    if app.minimal() {
        surface::trim_response(&app.faults, resp.headers_mut());
    } else if keep {
        resp.headers_mut().insert(
            "docker-distribution-api-version",
            HeaderValue::from_static("registry/2.0"),
        );
    }
    resp
}

/// `host[:port]` of the request.
pub(crate) fn request_host(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or(fallback)
        .to_owned()
}

pub(crate) fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn handle(app: Arc<App>, req: Request) -> Result<Response<Body>, ApiError> {
    let (parts, body) = req.into_parts();
    let decoded = percent_decode_str(parts.uri.path())
        .decode_utf8()
        .map_err(|_| ApiError::router_miss())?;
    let route = parse_route(&decoded).ok_or_else(ApiError::router_miss)?;
    let method = parts.method.clone();
    let mut query = parse_query(parts.uri.query());
    if app.minimal() {
        match surface::admit(&app.faults, &method, &route) {
            Admission::Handle => surface::trim_query(&route, &mut query),
            Admission::RouterMiss => return Err(ApiError::router_miss()),
            Admission::NotAllowed => return Err(method_not_allowed(&method)),
        }
    }
    let required =
        required_scopes(&method, &route, &query).ok_or_else(|| method_not_allowed(&method))?;
    let host = request_host(&parts.headers, &app.default_host);
    let grant = app.auth_check(&host).authorize(&parts.headers, &required)?;
    let ctx = Ctx {
        app: app.clone(),
        host,
        method: method.clone(),
        query,
        headers: parts.headers,
        grant,
    };
    let m = method.as_str();
    match route {
        Route::V2Root => Ok(json_response(StatusCode::OK, "{}".to_owned())),
        Route::V2Catalog => listing::v2_catalog(&ctx),
        Route::TagsList { name } => listing::v2_tags(&ctx, &name),
        Route::Referrers { name, digest } => referrers::get(&ctx, &name, &digest),
        Route::Uploads { name } => uploads::post(&ctx, &name, body).await,
        Route::Upload { name, uuid } => match m {
            "GET" => uploads::status(&ctx, &name, &uuid).await,
            "PATCH" => uploads::patch(&ctx, &name, &uuid, body).await,
            "PUT" => uploads::put(&ctx, &name, &uuid, body).await,
            _ => uploads::cancel(&ctx, &name, &uuid).await,
        },
        Route::Blob { name, digest } => match m {
            "DELETE" => blobs::delete(&ctx, &name, &digest).await,
            _ => blobs::get(&ctx, &name, &digest).await,
        },
        Route::Manifest { name, reference } => match m {
            "PUT" => manifests::put(&ctx, &name, &reference, body).await,
            "DELETE" => manifests::delete(&ctx, &name, &reference).await,
            _ => manifests::get(&ctx, &name, &reference).await,
        },
        Route::AcrCatalog => listing::acr_catalog(&ctx),
        Route::AcrRepo { name } => match m {
            "GET" => acr::get_repo(&ctx, &name),
            "PATCH" => acr::patch_repo(&ctx, &name, body).await,
            _ => acr::delete_repo(&ctx, &name).await,
        },
        Route::AcrTags { name } => acr::list_tags(&ctx, &name),
        Route::AcrTag { name, tag } => match m {
            "GET" => acr::get_tag(&ctx, &name, &tag),
            "PATCH" => acr::patch_tag(&ctx, &name, &tag, body).await,
            _ => acr::delete_tag(&ctx, &name, &tag).await,
        },
        Route::AcrManifests { name } => acr::list_manifests(&ctx, &name),
        Route::AcrManifest { name, digest } => match m {
            "GET" => acr::get_manifest(&ctx, &name, &digest),
            _ => acr::patch_manifest(&ctx, &name, &digest, body).await,
        },
    }
}

/// `405 UNSUPPORTED` for a method this path does not offer.
fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "UNSUPPORTED",
        format!("method {method} is not supported on this path"),
    )
}

/// A response of `content_type` with explicit `Content-Length`.
pub(crate) fn body_response(
    status: StatusCode,
    content_type: &str,
    body: String,
) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A JSON response with explicit `Content-Length`.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Body> {
    body_response(status, "application/json; charset=utf-8", body)
}

/// An empty response with `Content-Length: 0` and the given headers (invalid values skipped).
pub(crate) fn empty_response(status: StatusCode, headers: &[(&str, String)]) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_LENGTH, "0");
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(*name, v);
        }
    }
    builder
        .body(Body::empty())
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether attributes allow deleting (ACR: a write lock also blocks deletes).
pub(crate) fn attrs_deletable(app: &App, attrs: &Attributes) -> bool {
    attrs.delete_enabled && (attrs.write_enabled || app.has(Fault::WriteEnabledNotEnforced))
}

/// Whether attributes allow writing.
pub(crate) fn attrs_writable(app: &App, attrs: &Attributes) -> bool {
    attrs.write_enabled || app.has(Fault::WriteEnabledNotEnforced)
}

/// `403 DENIED` when the repository exists and is write-locked.
pub(crate) fn ensure_repo_writable(ctx: &Ctx, name: &str) -> Result<(), ApiError> {
    let ok = ctx.app.store.read(|m| {
        m.repos
            .get(name)
            .is_none_or(|r| attrs_writable(&ctx.app, &r.attrs))
    });
    if ok { Ok(()) } else { Err(ApiError::denied()) }
}

/// `403 DENIED` when the repository exists and is delete-locked.
pub(crate) fn ensure_repo_deletable(ctx: &Ctx, name: &str) -> Result<(), ApiError> {
    let ok = ctx.app.store.read(|m| {
        m.repos
            .get(name)
            .is_none_or(|r| attrs_deletable(&ctx.app, &r.attrs))
    });
    if ok { Ok(()) } else { Err(ApiError::denied()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_with_slashes() {
        assert_eq!(parse_route("/v2/"), Some(Route::V2Root));
        assert_eq!(
            parse_route("/v2/a/b/c/blobs/uploads/"),
            Some(Route::Uploads {
                name: "a/b/c".into()
            })
        );
        assert_eq!(
            parse_route("/v2/ns/x/blobs/uploads/u-1"),
            Some(Route::Upload {
                name: "ns/x".into(),
                uuid: "u-1".into()
            })
        );
        assert_eq!(
            parse_route("/v2/blobs/blobs/sha256:ab"),
            Some(Route::Blob {
                name: "blobs".into(),
                digest: "sha256:ab".into()
            })
        );
        assert_eq!(
            parse_route("/v2/a/manifests/manifests/latest"),
            Some(Route::Manifest {
                name: "a/manifests".into(),
                reference: "latest".into()
            })
        );
        assert_eq!(
            parse_route("/v2/a/tags/list"),
            Some(Route::TagsList { name: "a".into() })
        );
        assert_eq!(
            parse_route("/v2/a/b/referrers/sha256:ab"),
            Some(Route::Referrers {
                name: "a/b".into(),
                digest: "sha256:ab".into()
            })
        );
        assert_eq!(
            parse_route("/v2/referrers/manifests/sha256:ab"),
            Some(Route::Manifest {
                name: "referrers".into(),
                reference: "sha256:ab".into()
            })
        );
        assert_eq!(parse_route("/v2/Upper/tags/list"), None);
        assert_eq!(parse_route("/acr/v1/_catalog"), Some(Route::AcrCatalog));
        assert_eq!(
            parse_route("/acr/v1/a/b"),
            Some(Route::AcrRepo { name: "a/b".into() })
        );
        assert_eq!(
            parse_route("/acr/v1/a/b/_tags/v1"),
            Some(Route::AcrTag {
                name: "a/b".into(),
                tag: "v1".into()
            })
        );
        assert_eq!(
            parse_route("/acr/v1/a/_manifests"),
            Some(Route::AcrManifests { name: "a".into() })
        );
        assert_eq!(parse_route("/acr/v1/a/_other"), None);
        assert_eq!(parse_route("/nope"), None);
    }
}
