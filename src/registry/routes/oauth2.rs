//! Token endpoints: `POST /oauth2/exchange` (AAD access token → ACR refresh token),
//! `POST /oauth2/token` (refresh token or password grant → access token limited to the requested
//! scope) and `GET /oauth2/token` (Basic credentials → access token). They work in every auth
//! mode and answer `application/json; charset=utf-8` without `Docker-Distribution-Api-Version`.
//!
//! Documented errors: an unknown `grant_type` is `400 UNSUPPORTED`; a `service` that is not
//! this registry (the request's `host[:port]`) is `401 UNAUTHORIZED`; a wrong AAD token,
//! refresh token or password is `401 UNAUTHORIZED`. A scope the identity may not have is not
//! an error: the token grants the intersection (an anonymous token grants nothing).

use super::super::auth::{Access, full_grant, parse_scopes};
use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::{App, json_response, parse_query, request_host};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

const MAX_FORM: usize = 64 * 1024;

fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
}

/// Refuses a `service` that names another registry (unless the `oauth2-any-service` fault).
fn check_service(app: &App, service: &str, host: &str) -> Result<(), ApiError> {
    let ours =
        service.eq_ignore_ascii_case(host) || service.eq_ignore_ascii_case(&app.default_host);
    if ours || app.has(Fault::OAuth2AnyService) {
        Ok(())
    } else {
        Err(unauthorized(&format!(
            "service `{service}` is not this registry (expected {host})"
        )))
    }
}

/// Handles every `/oauth2/*` request.
pub(crate) async fn handle(app: Arc<App>, req: Request) -> Response<Body> {
    match route(&app, req).await {
        Ok(r) => r,
        Err(e) => app.render_error(e),
    }
}

async fn route(app: &App, req: Request) -> Result<Response<Body>, ApiError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().trim_end_matches('/').to_owned();
    let query = parse_query(parts.uri.query());
    let host = request_host(&parts.headers, &app.default_host);
    match (parts.method.clone(), path.as_str()) {
        (Method::POST, "/oauth2/exchange") => {
            let form = read_form(body).await?;
            exchange(app, &form, &host)
        }
        (Method::POST, "/oauth2/token") => {
            let form = read_form(body).await?;
            token_post(app, &form, &host)
        }
        (Method::GET, "/oauth2/token") => {
            let check = app.auth_check(&host);
            let Some(user) = check.basic_ok(&parts.headers) else {
                return Err(unauthorized("valid Basic credentials are required")
                    .with_header(header::WWW_AUTHENTICATE, r#"Basic realm="regcheck""#));
            };
            let service = field(&query, "service").unwrap_or(&host).to_owned();
            check_service(app, &service, &host)?;
            let scopes = parse_scopes(
                query
                    .iter()
                    .filter(|(k, _)| k == "scope")
                    .map(|(_, v)| v.as_str()),
            );
            Ok(access_response(app, &user, &service, full_grant(&scopes)))
        }
        (Method::GET | Method::POST, _) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UNSUPPORTED",
            format!("unknown token endpoint {path}"),
        )),
        (m, _) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            format!("method {m} is not supported on {path}"),
        )),
    }
}

async fn read_form(body: Body) -> Result<Vec<(String, String)>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| ApiError::unsupported("form body is unreadable or too large"))?;
    Ok(parse_query(std::str::from_utf8(&bytes).ok()))
}

fn exchange(app: &App, form: &[(String, String)], host: &str) -> Result<Response<Body>, ApiError> {
    let creds = &app.config.credentials;
    let Some(service) = field(form, "service").filter(|s| !s.is_empty()) else {
        return Err(ApiError::unsupported("the service form field is required"));
    };
    check_service(app, service, host)?;
    // The swagger: access_token is "mandatory when grant_type is access_token_refresh_token or
    // access_token"; refresh_token is the "AAD refresh token, mandatory when grant_type is
    // access_token_refresh_token or refresh_token" (an ACR refresh token is not one).
    let aad_access = || field(form, "access_token") == Some(creds.aad_token.as_str());
    let aad_refresh = || field(form, "refresh_token") == Some(creds.aad_refresh_token.as_str());
    let ok = match field(form, "grant_type").unwrap_or("") {
        "access_token" => aad_access(),
        "access_token_refresh_token" => aad_access() && aad_refresh(),
        "refresh_token" => aad_refresh(),
        _ if app.has(Fault::OAuth2BadGrantAccepted) => true,
        other => {
            return Err(ApiError::unsupported(format!(
                "grant_type `{other}` is not supported (use access_token)"
            )));
        }
    };
    if !ok {
        return Err(unauthorized(
            "the access token is not valid for this registry",
        ));
    }
    let token = app.signer.issue_refresh(&creds.username, service);
    Ok(json_response(
        StatusCode::OK,
        json!({ "refresh_token": token }).to_string(),
    ))
}

fn token_post(
    app: &App,
    form: &[(String, String)],
    host: &str,
) -> Result<Response<Body>, ApiError> {
    let creds = &app.config.credentials;
    let service = field(form, "service")
        .filter(|s| !s.is_empty())
        .unwrap_or(host);
    check_service(app, service, host)?;
    let scopes = parse_scopes(
        form.iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str()),
    );
    match field(form, "grant_type").unwrap_or("") {
        "refresh_token" => {
            let token = field(form, "refresh_token").unwrap_or("");
            let Some(sub) = app.signer.refresh_subject(token) else {
                return Err(unauthorized("the refresh token is invalid or expired"));
            };
            Ok(access_response(app, &sub, service, full_grant(&scopes)))
        }
        "password" => match (field(form, "username"), field(form, "password")) {
            (Some(u), Some(p)) if !u.is_empty() => {
                if u == creds.username && p == creds.password {
                    Ok(access_response(app, u, service, full_grant(&scopes)))
                } else {
                    Err(unauthorized("invalid username or password"))
                }
            }
            // Anonymous: a token is issued, but it grants nothing.
            _ => Ok(access_response(app, "acr_anon_pull", service, Vec::new())),
        },
        _ if app.has(Fault::OAuth2BadGrantAccepted) => Ok(access_response(
            app,
            &creds.username,
            service,
            full_grant(&scopes),
        )),
        other => Err(ApiError::unsupported(format!(
            "grant_type `{other}` is not supported (use refresh_token or password)"
        ))),
    }
}

fn access_response(app: &App, sub: &str, service: &str, access: Vec<Access>) -> Response<Body> {
    let token = app.signer.issue_access(sub, service, access);
    json_response(StatusCode::OK, json!({ "access_token": token }).to_string())
}
