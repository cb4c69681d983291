//! `referrers`: whether the target offers the OCI 1.1 referrers API. OCI 1.1.1 makes it
//! conditional ("If the registry supports the referrers API, the registry MUST NOT return a
//! `404 Not Found` to a referrers API requests"), so the probe looks for two pieces of evidence
//! on an artifact of its own whose `subject` is the probe image: the `OCI-Subject` header on its
//! PUT ("a registry implementation that supports the referrers API MUST respond with the
//! response header `OCI-Subject`") and an image index answered by
//! `GET /v2/<name>/referrers/<probe manifest>`. Either one is a claim of support; a 404 with no
//! `OCI-Subject` is a registry without the API (clients fall back to the tag schema). The
//! artifact is deleted again, or left for the run's cleanup.

use super::capabilities::Evidence;
use super::http::{execute, send};
use super::image::ProbeImage;
use crate::blob::sha256_digest;
use crate::client::simple::request as req;
use crate::client::{Client, OutgoingBody};
use crate::exchange::ObservedResponse;
use crate::runner::error::RunnerError;
use crate::vocab::media;
use bytes::Bytes;
use reqwest::Method;

/// What the referrers probe found.
pub(super) struct Referrers {
    /// The `referrers` capability.
    pub evidence: Evidence,
    /// The artifact manifest the probe pushed and could not delete, if any.
    pub leftover: Option<String>,
}

/// The artifact type of the probe's referrer.
const PROBE_ARTIFACT_TYPE: &str = "application/vnd.regcheck.probe.v1";

/// Pushes an artifact whose subject is the probe image, reads the referrers of the probe
/// image, and deletes the artifact.
pub(super) async fn referrers(
    client: &Client,
    repo: &str,
    image: &ProbeImage,
) -> Result<Referrers, RunnerError> {
    let artifact = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "artifactType": PROBE_ARTIFACT_TYPE,
        "config": {
            "mediaType": media::OCI_CONFIG,
            "digest": image.config,
            "size": image.config_len,
        },
        "layers": [],
        "subject": {
            "mediaType": media::OCI_MANIFEST,
            "digest": image.manifest,
            "size": image.manifest_len,
        },
    })
    .to_string();
    let digest = sha256_digest(artifact.as_bytes());
    let mut put = req(
        client,
        Method::PUT,
        &format!("/v2/{repo}/manifests/{digest}"),
        OutgoingBody::Bytes(Bytes::from(artifact)),
    );
    put.headers
        .push(("Content-Type".into(), media::OCI_MANIFEST.into()));
    let put = execute(client, &put).await?.response;
    let pushed = put.status == 201;
    let subject_header = put
        .header("oci-subject")
        .map(|v| v.trim() == image.manifest);
    let list = send(
        client,
        Method::GET,
        &format!("/v2/{repo}/referrers/{}", image.manifest),
    )
    .await?
    .response;
    let evidence = decide(pushed, put.status, subject_header, &list, &digest);
    let leftover = if pushed {
        let del = format!("/v2/{repo}/manifests/{digest}");
        let s = send(client, Method::DELETE, &del).await?.response.status;
        (!(200..300).contains(&s)).then_some(digest)
    } else {
        None
    };
    Ok(Referrers { evidence, leftover })
}

/// The verdict on what the PUT and the GET answered.
fn decide(
    pushed: bool,
    put_status: u16,
    subject_header: Option<bool>,
    list: &ObservedResponse,
    artifact: &str,
) -> Evidence {
    let put = match (pushed, subject_header) {
        (false, _) => format!("the PUT of an artifact with a subject answered {put_status}"),
        (true, Some(true)) => "the PUT of an artifact with a subject answered OCI-Subject".into(),
        (true, Some(false)) => {
            "the PUT of an artifact with a subject answered an OCI-Subject naming another digest"
                .into()
        }
        (true, None) => "the PUT of an artifact with a subject answered no OCI-Subject".into(),
    };
    let index = list.status == 200 && is_index(list);
    let get = if index {
        let listed = list.json().is_some_and(|j| {
            j["manifests"]
                .as_array()
                .is_some_and(|m| m.iter().any(|d| d["digest"] == artifact))
        });
        format!(
            "GET referrers answered an image index{}",
            if listed { " listing it" } else { "" }
        )
    } else if list.status == 200 {
        "GET referrers answered 200 but not an image index".into()
    } else {
        format!("GET referrers answered {}", list.status)
    };
    let claims = subject_header.is_some() || index;
    let tail = if claims {
        ""
    } else {
        ": no referrers API (OCI 1.1.1 makes it conditional; clients use the tag schema)"
    };
    Evidence::new(claims, format!("{put}; {get}{tail}"))
}

/// A JSON body shaped as an image index (`schemaVersion` 2 and a `manifests` array), whatever
/// its `Content-Type` (the scenarios judge that).
fn is_index(r: &ObservedResponse) -> bool {
    r.json()
        .is_some_and(|j| j["schemaVersion"] == 2 && j["manifests"].is_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> ObservedResponse {
        let mut r = ObservedResponse {
            status,
            ..Default::default()
        };
        r.body.bytes = Some(Bytes::from(body.to_string()));
        r.body.len = body.len() as u64;
        r
    }

    const EMPTY: &str = r#"{"schemaVersion":2,"manifests":[]}"#;

    #[test]
    fn a_404_without_oci_subject_is_no_api() {
        let e = decide(true, 201, None, &answer(404, ""), "sha256:a");
        assert!(!e.present, "{}", e.text);
        assert!(e.text.contains("tag schema"));
    }

    #[test]
    fn oci_subject_alone_claims_the_api_so_a_404_is_judged() {
        let e = decide(true, 201, Some(true), &answer(404, ""), "sha256:a");
        assert!(e.present, "{}", e.text);
    }

    #[test]
    fn an_index_answer_claims_the_api_without_oci_subject() {
        let e = decide(true, 201, None, &answer(200, EMPTY), "sha256:a");
        assert!(e.present, "{}", e.text);
    }

    #[test]
    fn a_200_that_is_not_an_index_is_not_evidence() {
        let e = decide(
            false,
            400,
            None,
            &answer(200, r#"{"repositories":null}"#),
            "sha256:a",
        );
        assert!(!e.present, "{}", e.text);
        assert!(e.text.contains("not an image index"));
    }
}
