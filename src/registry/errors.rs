//! Registry error responses: the `{"errors":[{"code","message","detail"}]}` body shared by the
//! `/v2` and `/acr/v1` surfaces, plus the plain-text router miss.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

/// One error answer of the registry (before fault rendering).
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    /// Each entry: code, message, optional detail.
    pub errors: Vec<(&'static str, String, Option<Value>)>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// ACR router miss: `404 text/plain` `404 page not found`.
    pub plain_not_found: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            errors: vec![(code, message.into(), None)],
            headers: Vec::new(),
            plain_not_found: false,
        }
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.2 = Some(detail);
        }
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    pub fn router_miss() -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            errors: Vec::new(),
            headers: Vec::new(),
            plain_not_found: true,
        }
    }

    pub fn blob_unknown(digest: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            "blob unknown to registry",
        )
        .with_detail(json!({ "digest": digest }))
    }

    pub fn upload_unknown() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "BLOB_UPLOAD_UNKNOWN",
            "blob upload unknown to registry",
        )
    }

    pub fn upload_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BLOB_UPLOAD_INVALID", message)
    }

    pub fn digest_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "DIGEST_INVALID", message)
    }

    pub fn manifest_unknown(reference: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("manifest {reference} is not found"),
        )
    }

    pub fn manifest_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", message)
    }

    pub fn name_unknown(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "repository name not known to registry",
        )
        .with_detail(json!({ "name": name }))
    }

    pub fn tag_unknown() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "TAG_UNKNOWN",
            "the specified tag does not exist",
        )
    }

    pub fn denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            "The operation is disallowed on this registry, repository or image.",
        )
    }

    /// One `MANIFEST_BLOB_UNKNOWN` error per missing reference.
    pub fn manifest_blobs_unknown(missing: &[String]) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            errors: missing
                .iter()
                .map(|d| {
                    (
                        "MANIFEST_BLOB_UNKNOWN",
                        format!("blob unknown to registry: {d}"),
                        Some(json!({ "digest": d })),
                    )
                })
                .collect(),
            headers: Vec::new(),
            plain_not_found: false,
        }
    }

    pub fn pagination_invalid() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "PAGINATION_NUMBER_INVALID",
            "invalid number of results requested",
        )
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "UNSUPPORTED", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN", message)
    }

    /// Renders the error. `text_body` (fault `error-body-not-json`) sends `text/plain` `error`;
    /// `not_found_code` (fault `unknown-error-code`) replaces every code of a 404;
    /// `drop_challenge` (fault `no-auth-challenge`) omits `WWW-Authenticate`.
    pub fn render(
        self,
        text_body: bool,
        not_found_code: bool,
        drop_challenge: bool,
    ) -> Response<Body> {
        let mut builder = Response::builder().status(self.status);
        for (name, value) in &self.headers {
            if drop_challenge && name == header::WWW_AUTHENTICATE {
                continue;
            }
            builder = builder.header(name, value);
        }
        let (content_type, body) = if self.plain_not_found {
            (
                "text/plain; charset=utf-8",
                "404 page not found\n".to_owned(),
            )
        } else if text_body {
            ("text/plain; charset=utf-8", "error".to_owned())
        } else {
            let errors: Vec<Value> = self
                .errors
                .iter()
                .map(|(code, message, detail)| {
                    let code = if not_found_code && self.status == StatusCode::NOT_FOUND {
                        "NOT_FOUND"
                    } else {
                        code
                    };
                    let mut entry = json!({ "code": code, "message": message });
                    if let (Some(d), Some(obj)) = (detail, entry.as_object_mut()) {
                        obj.insert("detail".to_owned(), d.clone());
                    }
                    entry
                })
                .collect();
            (
                "application/json; charset=utf-8",
                json!({ "errors": errors }).to_string(),
            )
        };
        builder
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap_or_else(|_| Response::new(Body::empty()))
    }
}
