//! Turning a step's `Request` into an `OutgoingRequest`: templates rendered, URL resolved,
//! query appended, body chosen (blob range, document, JSON, text, form) with its default
//! `Content-Type` — with the step's operation and credential policy, ready to send; and
//! rendering a step's `Expect` so the checks see plain values.

use super::vars::Vars;
use crate::client::{Credentials, OutgoingBody, OutgoingRequest};
use crate::contract::Operation;
use crate::scenario::template::{self, TemplateError};
use crate::scenario::valid::{Body, Request, RequestStep};
use crate::scenario::{Expect, StepAuth};
use bytes::Bytes;
use url::Url;

/// Why a request could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A template failed to render.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Bad URL, method or range.
    #[error("{0}")]
    Invalid(String),
}

/// Builds the request of a step.
pub fn build(
    op: Operation,
    spec: &Request,
    vars: &Vars,
    target: &Url,
) -> Result<OutgoingRequest, BuildError> {
    let method_name = match &spec.method {
        Some(m) => template::render_str(m, vars)?,
        None => op.method().to_string(),
    };
    let method = reqwest::Method::from_bytes(method_name.to_ascii_uppercase().as_bytes())
        .map_err(|_| BuildError::Invalid(format!("`{method_name}` is not an HTTP method")))?;
    let raw = template::render_str(spec.target.template(), vars)?;
    let mut url = resolve(target, &raw)?;
    if !spec.query.is_empty() {
        let mut rendered = Vec::with_capacity(spec.query.len());
        for (k, v) in &spec.query {
            rendered.push((
                template::render_str(k, vars)?,
                template::render_str(v, vars)?,
            ));
        }
        let mut q = url.query_pairs_mut();
        for (k, v) in &rendered {
            q.append_pair(k, v);
        }
    }
    let mut headers = Vec::with_capacity(spec.headers.len() + 1);
    for (k, v) in &spec.headers {
        headers.push((k.clone(), template::render_str(v, vars)?));
    }
    let (body, content_type) = match &spec.body {
        None => (OutgoingBody::Empty, None),
        Some(b) => build_body(b, vars)?,
    };
    if let Some(ct) = content_type
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), ct));
    }
    Ok(OutgoingRequest {
        method,
        url,
        headers,
        body,
    })
}

/// A step's request, ready to send.
pub(super) struct StepRequest {
    /// The request, rendered.
    pub request: OutgoingRequest,
    /// Whether the client may send credentials.
    pub creds: Credentials,
    /// Whether redirects are followed.
    pub follow: bool,
}

/// Builds the request of a request step; or why it cannot.
pub(super) fn for_step(
    step: &RequestStep,
    vars: &Vars,
    target: &Url,
) -> Result<StepRequest, String> {
    let spec = &step.request;
    let request = build(step.op, spec, vars, target).map_err(|e| match e {
        BuildError::Template(t) => format!("cannot render request: {t}"),
        BuildError::Invalid(m) => m,
    })?;
    let creds = match step.auth {
        StepAuth::Auto => Credentials::Auto,
        StepAuth::None => Credentials::Never,
    };
    Ok(StepRequest {
        request,
        creds,
        follow: spec.follow_redirects,
    })
}

/// Resolves a path or URL (relative or absolute) against the target.
pub fn resolve(target: &Url, raw: &str) -> Result<Url, BuildError> {
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return Url::parse(raw).map_err(|e| BuildError::Invalid(format!("bad URL `{raw}`: {e}")));
    }
    target
        .join(raw)
        .map_err(|e| BuildError::Invalid(format!("bad path `{raw}`: {e}")))
}

fn build_body(b: &Body, vars: &Vars) -> Result<(OutgoingBody, Option<String>), BuildError> {
    match b {
        Body::Blob { blob: r, bytes } => {
            let (blob, name) = (vars.blob(r), &r.name);
            let (start, end) = match bytes {
                None => (0, blob.size.saturating_sub(1)),
                Some(r) => {
                    let (start, end) = parse_range(&template::render_str(r, vars)?)?;
                    if start > end || end >= blob.size {
                        return Err(BuildError::Invalid(format!(
                            "bytes {start}-{end} are not inside blob `{name}` ({} bytes)",
                            blob.size
                        )));
                    }
                    (start, end)
                }
            };
            let body = if blob.size == 0 {
                OutgoingBody::Empty
            } else {
                OutgoingBody::Blob { blob, start, end }
            };
            Ok((body, Some("application/octet-stream".into())))
        }
        Body::Document(r) => {
            let doc = vars.document(r);
            Ok((
                OutgoingBody::Bytes(doc.bytes.clone()),
                Some(doc.media_type.clone()),
            ))
        }
        Body::Json(json) => {
            let v = template::render_json(json, vars)?;
            let bytes = serde_json::to_vec(&v).map_err(|e| BuildError::Invalid(e.to_string()))?;
            Ok((
                OutgoingBody::Bytes(Bytes::from(bytes)),
                Some("application/json".into()),
            ))
        }
        Body::Text(text) => Ok((
            OutgoingBody::Bytes(Bytes::from(template::render_str(text, vars)?)),
            Some("text/plain".into()),
        )),
        Body::Form(form) => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in form {
                ser.append_pair(k, &template::render_str(v, vars)?);
            }
            Ok((
                OutgoingBody::Bytes(Bytes::from(ser.finish())),
                Some("application/x-www-form-urlencoded".into()),
            ))
        }
    }
}

fn parse_range(r: &str) -> Result<(u64, u64), BuildError> {
    let bad = || BuildError::Invalid(format!("`{r}` is not a byte range START-END"));
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    Ok((
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    ))
}

/// Renders the templates inside an `Expect`.
pub fn render_expect(e: &Expect, vars: &Vars) -> Result<Expect, TemplateError> {
    let mut out = e.clone();
    for m in out.headers.values_mut() {
        if let Some(v) = &m.equals {
            m.equals = Some(template::render_str(v, vars)?);
        }
        if let Some(v) = &m.regex {
            m.regex = Some(template::render_str(v, vars)?);
        }
    }
    for j in &mut out.json {
        j.pointer = template::render_str(&j.pointer, vars)?;
        for v in [
            &mut j.equals,
            &mut j.not_equals,
            &mut j.contains,
            &mut j.not_contains,
            &mut j.includes,
            &mut j.not_includes,
        ]
        .into_iter()
        .flatten()
        {
            *v = template::render_json(v, vars)?;
        }
    }
    if let Some(d) = &out.body_digest {
        out.body_digest = Some(template::render_str(d, vars)?);
    }
    if let Some(d) = &out.body_length {
        out.body_length = Some(template::render_str(d, vars)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_locations() {
        let t = Url::parse("http://127.0.0.1:5000/").unwrap();
        assert_eq!(
            resolve(&t, "/v2/a/blobs/uploads/x?_state=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=1"
        );
        assert_eq!(
            resolve(&t, "http://127.0.0.1:6000/b").unwrap().as_str(),
            "http://127.0.0.1:6000/b"
        );
    }

    #[test]
    fn ranges_parse_or_explain() {
        assert_eq!(parse_range("0-99").unwrap(), (0, 99));
        assert!(parse_range("5").is_err());
        assert!(parse_range("a-b").is_err());
    }
}
