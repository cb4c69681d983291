//! Captures: values a step takes from its response (a header, a JSON pointer, the body's
//! digest, optionally narrowed by a regex) into the variables of later steps.

use super::vars::Vars;
use crate::exchange::ObservedResponse;
use crate::scenario::template::TValue;
use crate::scenario::valid::{Capture, CaptureSource};
use indexmap::IndexMap;
use url::Url;

/// Captures every value of a step into `vars` (a secret one also into `vars.secrets`); the
/// captures that failed, as (variable, why), in the step's order. `request_url` is the URL
/// that gave `resp`.
pub(super) fn capture_all(
    captures: &IndexMap<String, Capture>,
    resp: &ObservedResponse,
    request_url: &str,
    vars: &mut Vars,
) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    for (var, cap) in captures {
        match capture(cap, resp, request_url) {
            Ok(value) => {
                if cap.secret {
                    vars.secrets.push(value.clone());
                }
                vars.set(var, TValue::Str(value));
            }
            Err(msg) => failed.push((var.clone(), msg)),
        }
    }
    failed
}

/// One value from `resp`, or why it cannot be taken.
fn capture(cap: &Capture, resp: &ObservedResponse, request_url: &str) -> Result<String, String> {
    let raw = match &cap.source {
        CaptureSource::Header(h) => {
            let Some(v) = resp.header(h) else {
                return cap.default.clone().ok_or_else(|| {
                    format!("cannot capture header `{h}`: absent from the response")
                });
            };
            if h.eq_ignore_ascii_case("location") {
                // Keep Locations absolute, resolved against the URL that answered.
                Url::parse(request_url)
                    .and_then(|u| u.join(v))
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| v.to_string())
            } else {
                v.to_string()
            }
        }
        CaptureSource::Json(ptr) => {
            let json = resp
                .json()
                .ok_or_else(|| format!("cannot capture `{ptr}`: the body is not JSON"))?;
            match json.pointer(ptr) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => {
                    return cap
                        .default
                        .clone()
                        .ok_or_else(|| format!("cannot capture `{ptr}`: not in the body"));
                }
                Some(other) => other.to_string(),
            }
        }
        CaptureSource::BodyDigest => resp.body.digest.clone(),
    };
    match &cap.regex {
        None => Ok(raw),
        Some(re) => {
            let re = regex::Regex::new(re).map_err(|e| format!("bad capture regex: {e}"))?;
            let caps = re
                .captures(&raw)
                .ok_or_else(|| format!("capture regex `{re}` does not match `{raw}`"))?;
            Ok(caps
                .get(1)
                .or_else(|| caps.get(0))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Captures read target input (Location, JSON bodies): any value is captured or
        /// refused with a message, never a panic.
        #[test]
        fn captures_take_any_response(
            location in "[ -~]{0,60}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            pointer in "(/[a-z0-9~]{0,6}){0,3}",
        ) {
            let resp = crate::exchange::ObservedResponse {
                status: 201,
                headers: vec![("Location".into(), location)],
                body: crate::exchange::ObservedBody {
                    len: body.len() as u64,
                    bytes: Some(bytes::Bytes::from(body)),
                    ..Default::default()
                },
            };
            let location = || CaptureSource::Header("Location".into());
            for cap in [
                Capture { source: location(), regex: None, secret: false, default: None },
                Capture { source: CaptureSource::Json(pointer.clone()), regex: None, secret: false, default: None },
                Capture {
                    source: location(),
                    regex: Some("/([^/]+)$".into()),
                    secret: false,
                    default: None,
                },
            ] {
                let _ = capture(&cap, &resp, "http://127.0.0.1:5000/v2/a/blobs/uploads/");
            }
        }
    }
}
