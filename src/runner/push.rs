//! The `push` step shorthand, expanded into ordinary steps: for each document and blob, a
//! `StartUpload` (expecting 202 and capturing `Location`) and a `CompleteUpload` that PUTs the
//! bytes with their digest (expecting 201). The expanded steps are run and checked like any
//! other, so the contract rules of both operations apply.

use crate::contract::Operation;
use crate::scenario::valid::{
    Body, Capture, CaptureSource, Push, Request, RequestStep, Step, StepKind, Target,
};
use crate::scenario::{Expect, HeaderMatch, SourcePos, StatusSet, StepAuth};
use indexmap::IndexMap;

/// Variable holding the upload URL between the two steps of one item.
const LOCATION_VAR: &str = "push.location";

/// A request step at `pos` (the `push` step's own position).
fn step(name: String, pos: &SourcePos, op: Operation, request: Request, expect: Expect) -> Step {
    Step {
        name,
        pos: pos.clone(),
        for_each: None,
        kind: StepKind::Request(Box::new(RequestStep {
            op,
            request,
            expect,
            capture: IndexMap::new(),
            skip_on: Vec::new(),
            auth: StepAuth::Auto,
        })),
    }
}

/// A request to `target` with nothing else set.
fn request(target: Target) -> Request {
    Request {
        method: None,
        target,
        query: IndexMap::new(),
        headers: IndexMap::new(),
        body: None,
        follow_redirects: true,
    }
}

/// The steps a `push` written at `pos` stands for.
pub fn expand(push: &Push, pos: &SourcePos) -> Vec<Step> {
    let repository = &push.repository;
    let items = push
        .documents
        .iter()
        .map(|d| ("documents", &d.name, Body::Document(d.clone())))
        .chain(push.blobs.iter().map(|b| {
            let body = Body::Blob {
                blob: b.clone(),
                bytes: None,
            };
            ("blobs", &b.name, body)
        }));
    let mut steps = Vec::new();
    for (kind, name, body) in items {
        let digest = format!("{{{{{kind}.{name}.digest}}}}");
        let mut start = step(
            format!("start upload of {name}"),
            pos,
            Operation::StartUpload,
            request(Target::Path(format!("/v2/{repository}/blobs/uploads/"))),
            Expect {
                status: Some(StatusSet(vec![202])),
                ..Default::default()
            },
        );
        if let StepKind::Request(r) = &mut start.kind {
            r.capture.insert(
                LOCATION_VAR.to_string(),
                Capture {
                    source: CaptureSource::Header("Location".into()),
                    regex: None,
                    secret: false,
                    default: None,
                },
            );
        }
        let mut put = request(Target::Url(format!("{{{{{LOCATION_VAR}}}}}")));
        put.method = Some("PUT".into());
        put.headers.insert(
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        );
        put.query.insert("digest".to_string(), digest.clone());
        put.body = Some(body);
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
            pos,
            Operation::CompleteUpload,
            put,
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
    use crate::scenario::valid::{BlobRef, DocumentRef};

    fn request_step(s: &Step) -> &RequestStep {
        match &s.kind {
            StepKind::Request(r) => r,
            other => panic!("not a request step: {other:?}"),
        }
    }

    #[test]
    fn documents_then_blobs_each_in_two_checked_steps() {
        let pos = SourcePos::new("t.yaml", 3, 5);
        let config = DocumentRef {
            name: "config".into(),
            index: 0,
        };
        let layer = BlobRef {
            name: "layer".into(),
            index: 1,
        };
        let steps = expand(
            &Push {
                documents: vec![config.clone()],
                blobs: vec![layer.clone()],
                repository: "{{repo}}-src".into(),
            },
            &pos,
        );
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
        assert!(steps.iter().all(|s| s.pos == pos));
        let start = request_step(&steps[2]);
        assert_eq!(
            start.request.target,
            Target::Path("/v2/{{repo}}-src/blobs/uploads/".into())
        );
        assert!(start.capture.contains_key(LOCATION_VAR));
        let put = &request_step(&steps[3]).request;
        assert_eq!(put.target, Target::Url("{{push.location}}".into()));
        assert_eq!(put.query["digest"], "{{blobs.layer.digest}}");
        assert_eq!(
            put.body,
            Some(Body::Blob {
                blob: layer,
                bytes: None
            })
        );
        assert_eq!(
            request_step(&steps[1]).request.body,
            Some(Body::Document(config))
        );
        assert_eq!(
            request_step(&steps[3]).expect.status,
            Some(StatusSet(vec![201]))
        );
    }
}
