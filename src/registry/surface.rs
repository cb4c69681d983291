//! Which surface the embedded registry offers: the full ACR-like one (default), or the
//! spec-minimal one — only what OCI distribution-spec 1.1.1 makes a registry do, every
//! OPTIONAL header, endpoint and behaviour left out.
//!
//! The minimal registry is the negative control of the verdicts: a check that fails it
//! demands more than the OCI text. What it leaves out, and the text that lets it:
//! * `Docker-Distribution-API-Version`, `Docker-Content-Digest`, `Docker-Upload-UUID`: "the
//!   Docker-specific headers are OPTIONAL"; `Docker-Upload-UUID` is not in OCI at all.
//! * JSON error bodies: "A `4XX` response code from the registry MAY return a body in any
//!   format"; the errors are `text/plain`.
//! * Range reads: OCI does not require them (RFC 9110 §14.2: a server MAY ignore `Range`);
//!   no `Accept-Ranges`, `Range` ignored.
//! * `/v2/_catalog` (a Docker v2 convention, not OCI), `/acr/...`, `/oauth2/...`: router miss.
//! * The referrers API (`/v2/<name>/referrers/<digest>`, new in 1.1 and optional: "A client
//!   querying the referrers API and receiving a `404 Not Found` MUST fallback to using an image
//!   index pushed to a tag described by the referrers tag schema"): router miss, and no
//!   `OCI-Subject` on a manifest PUT (only "a registry implementation that supports the
//!   referrers API MUST respond with" it). The `<alg>-<hex>` tag schema is a plain tag push.
//! * Deletes (blob, manifest, tag) and upload cancel: `405` ("If the registry does not support
//!   deletion, it MUST return 405 Method Not Allowed"; cancel is not in 1.1.1).
//! * `Link` on listings (MAY), single-POST monolithic uploads and cross-repository mounts
//!   (a registry that does not support them answers with an upload session, 202), blob
//!   redirects, `OCI-Chunk-Min-Length`, sha512 manifest references (image-spec: MAY) and
//!   `?tag=` on a manifest PUT (post-1.1.1).
//!
//! Faults still work on the minimal registry: a fault whose violation needs an optional
//! feature (a wrong `Docker-Content-Digest`, a 206 with a wrong `Content-Range`, a NOT_FOUND
//! JSON code, a DELETE that answers 202 but keeps the manifest or the blob) turns that feature
//! back on.

use super::faults::{Fault, FaultSet};
use super::routes::Route;
use axum::http::{HeaderMap, Method, header};
use std::fmt;
use std::str::FromStr;

/// The surface of one embedded registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Surface {
    /// The ACR-like surface: every endpoint and header of `acr-contract.md`.
    #[default]
    Full,
    /// Only what OCI distribution-spec 1.1.1 requires (see the module docs).
    Minimal,
}

impl Surface {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Surface::Full => "full",
            Surface::Minimal => "minimal",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Surface {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Surface::Full),
            "minimal" => Ok(Surface::Minimal),
            other => Err(format!(
                "unknown registry surface `{other}` (expected full or minimal)"
            )),
        }
    }
}

/// What the minimal surface does with one request before it is handled.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Handle it as the full registry would.
    Handle,
    /// Answer the router miss (`404 page not found`).
    RouterMiss,
    /// Answer `405 Method Not Allowed`.
    NotAllowed,
}

/// Decides a parsed request on the minimal surface.
pub(crate) fn admit(faults: &FaultSet, method: &Method, route: &Route) -> Admission {
    match route {
        Route::V2Catalog
        | Route::AcrCatalog
        | Route::AcrRepo { .. }
        | Route::AcrTags { .. }
        | Route::AcrTag { .. }
        | Route::AcrManifests { .. }
        | Route::AcrManifest { .. }
        | Route::Referrers { .. } => Admission::RouterMiss,
        // A delete that pretends to work needs deletes to be offered.
        Route::Manifest { .. } if *method == Method::DELETE && faults.has(Fault::DeleteIgnored) => {
            Admission::Handle
        }
        Route::Blob { .. } if *method == Method::DELETE && faults.has(Fault::BlobDeleteIgnored) => {
            Admission::Handle
        }
        Route::Upload { .. } | Route::Blob { .. } | Route::Manifest { .. }
            if *method == Method::DELETE =>
        {
            Admission::NotAllowed
        }
        _ => Admission::Handle,
    }
}

/// Removes the query parameters of features the minimal surface does not offer: a POST with
/// `digest=` (single-POST monolithic) or `mount=` starts an ordinary session instead.
pub(crate) fn trim_query(route: &Route, query: &mut Vec<(String, String)>) {
    if matches!(route, Route::Uploads { .. }) {
        query.retain(|(k, _)| !matches!(k.as_str(), "digest" | "mount" | "from"));
    }
    // `?tag=` on a manifest PUT is post-1.1.1 text: not offered.
    if matches!(route, Route::Manifest { .. }) {
        query.retain(|(k, _)| k != "tag");
    }
}

/// Whether Range reads are offered: never on the minimal surface, except where a range fault
/// needs them to be advertised or answered.
pub(crate) fn ranges_offered(faults: &FaultSet) -> bool {
    faults.has(Fault::RangeIgnored) || faults.has(Fault::WrongContentRange)
}

/// Drops the OPTIONAL response headers of the full registry (see the module docs).
pub(crate) fn trim_response(faults: &FaultSet, headers: &mut HeaderMap) {
    let keep_digest =
        faults.has(Fault::WrongDigestHeader) || faults.has(Fault::ManifestDigestMismatch);
    if !keep_digest {
        headers.remove("docker-content-digest");
    }
    headers.remove("docker-upload-uuid");
    headers.remove("docker-distribution-api-version");
    if !faults.has(Fault::BadChunkMinLength) {
        headers.remove("oci-chunk-min-length");
    }
    headers.remove("oci-subject");
    headers.remove(header::LINK);
    if !ranges_offered(faults) {
        headers.remove(header::ACCEPT_RANGES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [Surface::Full, Surface::Minimal] {
            assert_eq!(s.name().parse::<Surface>(), Ok(s));
        }
        assert!("tiny".parse::<Surface>().is_err());
    }

    #[test]
    fn minimal_refuses_deletes_unless_a_fault_needs_them() {
        let none = FaultSet::new(&[]);
        let m = Route::Manifest {
            name: "a".into(),
            reference: "t".into(),
        };
        assert_eq!(admit(&none, &Method::DELETE, &m), Admission::NotAllowed);
        assert_eq!(admit(&none, &Method::GET, &m), Admission::Handle);
        let ignored = FaultSet::new(&[Fault::DeleteIgnored]);
        assert_eq!(admit(&ignored, &Method::DELETE, &m), Admission::Handle);
        assert_eq!(
            admit(&none, &Method::GET, &Route::V2Catalog),
            Admission::RouterMiss
        );
        let referrers = Route::Referrers {
            name: "a".into(),
            digest: "sha256:ab".into(),
        };
        assert_eq!(
            admit(&none, &Method::GET, &referrers),
            Admission::RouterMiss
        );
    }

    #[test]
    fn minimal_drops_optional_headers() {
        let mut h = HeaderMap::new();
        h.insert("docker-content-digest", "sha256:x".parse().unwrap());
        h.insert(header::ACCEPT_RANGES, "bytes".parse().unwrap());
        h.insert(header::LOCATION, "/v2/a/blobs/sha256:x".parse().unwrap());
        trim_response(&FaultSet::new(&[]), &mut h);
        assert!(!h.contains_key("docker-content-digest"));
        assert!(!h.contains_key(header::ACCEPT_RANGES));
        assert!(h.contains_key(header::LOCATION));
        let mut h2 = HeaderMap::new();
        h2.insert("docker-content-digest", "sha256:x".parse().unwrap());
        trim_response(&FaultSet::new(&[Fault::WrongDigestHeader]), &mut h2);
        assert!(h2.contains_key("docker-content-digest"));
    }
}
