//! The `push` step shorthand, expanded into ordinary steps: for each document and blob, a
//! `StartUpload` (expecting 202 and capturing `Location`) and a `CompleteUpload` that PUTs the
//! bytes with their digest (expecting 201). The expanded steps are run and checked like any
//! other, so the contract rules of both operations apply.

use crate::contract::Operation;
use crate::scenario::{
    BodySpec, CaptureSpec, Expect, HeaderMatch, PushSpec, RequestSpec, StatusSet, Step, StepAuth,
};
use indexmap::IndexMap;

/// Variable holding the upload URL between the two steps of one item.
const LOCATION_VAR: &str = "push.location";

fn step(name: String, op: Operation, request: RequestSpec, expect: Expect) -> Step {
    Step {
        name,
        op: Some(op),
        request: Some(request),
        expect,
        capture: IndexMap::new(),
        skip_on: Vec::new(),
        for_each: None,
        steps: Vec::new(),
        push: None,
        auth: StepAuth::Auto,
    }
}

/// The steps a `push` stands for.
pub fn expand(push: &PushSpec) -> Vec<Step> {
    let repository = push.repository.as_deref().unwrap_or("{{repo}}");
    let items = push
        .documents
        .iter()
        .map(|d| ("documents", d))
        .chain(push.blobs.iter().map(|b| ("blobs", b)));
    let mut steps = Vec::new();
    for (kind, name) in items {
        let digest = format!("{{{{{kind}.{name}.digest}}}}");
        let mut start = step(
            format!("start upload of {name}"),
            Operation::StartUpload,
            RequestSpec {
                path: Some(format!("/v2/{repository}/blobs/uploads/")),
                follow_redirects: true,
                ..Default::default()
            },
            Expect {
                status: Some(StatusSet(vec![202])),
                ..Default::default()
            },
        );
        start.capture.insert(
            LOCATION_VAR.to_string(),
            CaptureSpec {
                header: Some("Location".into()),
                ..Default::default()
            },
        );
        let body = if kind == "documents" {
            BodySpec {
                document: Some(name.clone()),
                ..Default::default()
            }
        } else {
            BodySpec {
                blob: Some(name.clone()),
                ..Default::default()
            }
        };
        let mut headers = IndexMap::new();
        headers.insert(
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        );
        let mut query = IndexMap::new();
        query.insert("digest".to_string(), digest.clone());
        let mut expect_headers = IndexMap::new();
        expect_headers.insert(
            "Docker-Content-Digest".to_string(),
            // OPTIONAL in OCI ("Docker-specific headers … are OPTIONAL"); when sent, it MUST
            // be the client's digest.
            HeaderMatch {
                equals: Some(digest),
                optional: true,
                ..Default::default()
            },
        );
        let complete = step(
            format!("upload {name}"),
            Operation::CompleteUpload,
            RequestSpec {
                method: Some("PUT".into()),
                url: Some(format!("{{{{{LOCATION_VAR}}}}}")),
                query,
                headers,
                body: Some(body),
                follow_redirects: true,
                ..Default::default()
            },
            Expect {
                status: Some(StatusSet(vec![201])),
                headers: expect_headers,
                ..Default::default()
            },
        );
        steps.push(start);
        steps.push(complete);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_then_blobs_each_in_two_checked_steps() {
        let steps = expand(&PushSpec {
            documents: vec!["config".into()],
            blobs: vec!["layer".into()],
            repository: Some("{{repo}}-src".into()),
        });
        let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "start upload of config",
                "upload config",
                "start upload of layer",
                "upload layer"
            ]
        );
        let start = steps[2].request.as_ref().unwrap();
        assert_eq!(
            start.path.as_deref(),
            Some("/v2/{{repo}}-src/blobs/uploads/")
        );
        assert!(steps[2].capture.contains_key(LOCATION_VAR));
        let put = steps[3].request.as_ref().unwrap();
        assert_eq!(put.url.as_deref(), Some("{{push.location}}"));
        assert_eq!(put.query["digest"], "{{blobs.layer.digest}}");
        assert_eq!(put.body.as_ref().unwrap().blob.as_deref(), Some("layer"));
        assert_eq!(
            steps[1]
                .request
                .as_ref()
                .unwrap()
                .body
                .as_ref()
                .unwrap()
                .document
                .as_deref(),
            Some("config")
        );
        assert_eq!(steps[3].expect.status, Some(StatusSet(vec![201])));
    }
}
