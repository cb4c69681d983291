//! The validated scenario model and the conversion into it. The raw serde types of
//! [`model`](super::model) can say things the format forbids (a step with neither `op` nor
//! `steps`, a request with both `path` and `url`, a body with two kinds); once
//! [`validate`](super::validate::validate) found nothing wrong, [`convert`] turns a raw scenario
//! into these types, where such states cannot be written, so the runner needs no branch for
//! them: references to blobs and documents are resolved to their declarations ([`BlobRef`],
//! [`DocumentRef`]). Each step carries the [`SourcePos`] of the place it is written.

use super::error::ScenarioError;
use super::load::LoadedScenario;
use super::model::{self, BlobSpec, Capability, DocumentSpec, Expect, SkipOn, StepAuth};
use super::source::{Seg, SourcePos, YamlIndex};
use crate::vocab::Operation;
use indexmap::IndexMap;
use std::num::NonZeroU64;
use std::path::PathBuf;

/// A scenario that passed validation.
#[derive(Debug, Clone)]
pub struct ValidScenario {
    /// Unique name; also the repository name under the run namespace.
    pub name: String,
    /// What the scenario proves.
    pub description: String,
    /// Tags for `--tag` / `--skip-tag`.
    pub tags: Vec<String>,
    /// Capabilities without which the scenario is skipped.
    pub requires: Vec<Capability>,
    /// Scenario variables (templates), in order.
    pub vars: IndexMap<String, String>,
    /// Generated blobs.
    pub blobs: IndexMap<String, BlobSpec>,
    /// Documents, rendered in order.
    pub documents: IndexMap<String, DocumentSpec>,
    /// The ordered steps.
    pub steps: Vec<Step>,
    /// The file it came from, as given.
    pub file: PathBuf,
}

/// One step: what it does, optionally repeated by a loop.
#[derive(Debug, Clone)]
pub struct Step {
    /// Name, unique within its list.
    pub name: String,
    /// Where the step is written (its sequence item).
    pub pos: SourcePos,
    /// Repeats the step for each chunk or item.
    pub for_each: Option<Loop>,
    /// What the step does.
    pub kind: StepKind,
}

impl Step {
    /// The operation a request step exercises (`None` for groups and pushes).
    pub fn op(&self) -> Option<Operation> {
        match &self.kind {
            StepKind::Request(r) => Some(r.op),
            StepKind::Push(_) | StepKind::Group(_) => None,
        }
    }
}

/// The three kinds of step.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Sends one request exercising one operation (boxed: the other kinds are small).
    Request(Box<RequestStep>),
    /// Uploads documents and blobs (the `push` shorthand).
    Push(Push),
    /// Runs sub-steps (never empty).
    Group(Vec<Step>),
}

/// A step that sends a request.
#[derive(Debug, Clone)]
pub struct RequestStep {
    /// The contract operation exercised.
    pub op: Operation,
    /// The request.
    pub request: Request,
    /// Explicit expectations.
    pub expect: Expect,
    /// Values captured for later steps, in order.
    pub capture: IndexMap<String, Capture>,
    /// Spec-legal variants that skip the rest of the scenario.
    pub skip_on: Vec<SkipOn>,
    /// How the client authenticates.
    pub auth: StepAuth,
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method template; `None`: the operation's method.
    pub method: Option<String>,
    /// Where it goes.
    pub target: Target,
    /// Query parameters (templates), in order.
    pub query: IndexMap<String, String>,
    /// Headers (value templates), in order.
    pub headers: IndexMap<String, String>,
    /// The body, if any.
    pub body: Option<Body>,
    /// Whether redirects are followed.
    pub follow_redirects: bool,
}

/// Where a request goes: exactly one of `path` and `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path template under the target root.
    Path(String),
    /// A URL template (relative or absolute).
    Url(String),
}

impl Target {
    /// The template, whichever it is.
    pub fn template(&self) -> &str {
        match self {
            Target::Path(t) | Target::Url(t) => t,
        }
    }
}

/// A declared blob: its name and its place among the scenario's `blobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// The name it is declared under.
    pub name: String,
    /// Its index in [`ValidScenario::blobs`].
    pub index: usize,
}

/// A declared document: its name and its place among the scenario's `documents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// The name it is declared under.
    pub name: String,
    /// Its index in [`ValidScenario::documents`].
    pub index: usize,
}

/// A request body: exactly one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A generated blob, optionally only the inclusive range template `bytes`.
    Blob {
        /// The blob.
        blob: BlobRef,
        /// `START-END` template.
        bytes: Option<String>,
    },
    /// A document's exact rendered bytes.
    Document(DocumentRef),
    /// Inline JSON (templated).
    Json(serde_json::Value),
    /// Inline text (template).
    Text(String),
    /// URL-encoded form fields (templates).
    Form(IndexMap<String, String>),
}

/// A `for_each` loop: exactly one of `chunks` and `items`.
#[derive(Debug, Clone, PartialEq)]
pub enum Loop {
    /// The chunks of a declared blob.
    Chunks {
        /// The blob.
        blob: BlobRef,
        /// Bytes per chunk.
        chunk_size: NonZeroU64,
        /// Template of a lower bound on the chunk size (bytes), rendered when the loop starts.
        min_chunk_size: Option<String>,
    },
    /// Item templates (never empty).
    Items(Vec<String>),
}

/// A captured value: its source, an optional narrowing regex, and whether it is a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// Where the value comes from.
    pub source: CaptureSource,
    /// Regex applied to the captured text; group 1 (or the whole match) is kept.
    pub regex: Option<String>,
    /// Redacted in transcripts and reports.
    pub secret: bool,
    /// The value when the source is absent from the response.
    pub default: Option<String>,
}

/// Where a captured value comes from: exactly one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureSource {
    /// A response header.
    Header(String),
    /// An RFC 6901 pointer into the JSON body.
    Json(String),
    /// The body's sha256 digest.
    BodyDigest,
}

/// What a `push` step uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Documents uploaded as blobs, in order, before `blobs`.
    pub documents: Vec<DocumentRef>,
    /// Generated blobs, in order.
    pub blobs: Vec<BlobRef>,
    /// Repository template (`{{repo}}` unless given).
    pub repository: String,
}

/// Turns a scenario [`validate`](super::validate::validate) accepted into the validated model.
/// An error here is a gap in the validator (a state it should have rejected), located at the
/// step concerned.
pub fn convert(loaded: LoadedScenario) -> Result<ValidScenario, ScenarioError> {
    let s = loaded.scenario;
    let conv = Converter {
        file: &loaded.file,
        index: &loaded.index,
        blobs: &s.blobs,
        documents: &s.documents,
    };
    let steps = conv.steps(s.steps, &[Seg::key("steps")])?;
    Ok(ValidScenario {
        name: s.name,
        description: s.description,
        tags: s.tags,
        requires: s.requires,
        vars: s.vars,
        blobs: s.blobs,
        documents: s.documents,
        steps,
        file: loaded.file,
    })
}

struct Converter<'a> {
    file: &'a std::path::Path,
    index: &'a YamlIndex,
    blobs: &'a IndexMap<String, BlobSpec>,
    documents: &'a IndexMap<String, DocumentSpec>,
}

impl Converter<'_> {
    fn steps(&self, steps: Vec<model::Step>, base: &[Seg]) -> Result<Vec<Step>, ScenarioError> {
        steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| {
                let mut path = base.to_vec();
                path.push(Seg::Index(i));
                self.step(step, &path)
            })
            .collect()
    }

    fn step(&self, step: model::Step, path: &[Seg]) -> Result<Step, ScenarioError> {
        let (line, col) = self.index.key_pos(path);
        let pos = SourcePos::new(self.file, line, col);
        let gap = |what: &str| {
            ScenarioError::invalid(
                pos.clone(),
                format!(
                    "step `{}` {what} (the validator should have rejected it)",
                    step.name
                ),
                None,
            )
        };
        let for_each = match step.for_each {
            None => None,
            Some(fe) => Some(
                self.loop_of(fe)
                    .ok_or_else(|| gap("has an invalid `for_each`"))?,
            ),
        };
        let kind = if let Some(push) = step.push {
            let documents = push.documents.into_iter().map(|d| self.document(d));
            let blobs = push.blobs.into_iter().map(|b| self.blob(b));
            StepKind::Push(Push {
                documents: documents
                    .collect::<Option<_>>()
                    .ok_or_else(|| gap("pushes an undeclared document"))?,
                blobs: blobs
                    .collect::<Option<_>>()
                    .ok_or_else(|| gap("pushes an undeclared blob"))?,
                repository: push.repository.unwrap_or_else(|| "{{repo}}".to_string()),
            })
        } else if !step.steps.is_empty() {
            let mut sub = path.to_vec();
            sub.push(Seg::key("steps"));
            StepKind::Group(self.steps(step.steps, &sub)?)
        } else {
            let (Some(op), Some(raw)) = (step.op, step.request) else {
                return Err(gap("has neither `op` + `request` nor `steps`"));
            };
            let request = self
                .request_of(raw)
                .ok_or_else(|| gap("has an invalid `request`"))?;
            let capture = step
                .capture
                .into_iter()
                .map(|(name, c)| capture_of(c).map(|c| (name, c)))
                .collect::<Option<IndexMap<_, _>>>()
                .ok_or_else(|| gap("has a capture without exactly one source"))?;
            StepKind::Request(Box::new(RequestStep {
                op,
                request,
                expect: step.expect,
                capture,
                skip_on: step.skip_on,
                auth: step.auth,
            }))
        };
        Ok(Step {
            name: step.name,
            pos,
            for_each,
            kind,
        })
    }

    /// A declared blob by name.
    fn blob(&self, name: String) -> Option<BlobRef> {
        let index = self.blobs.get_index_of(&name)?;
        Some(BlobRef { name, index })
    }

    /// A declared document by name.
    fn document(&self, name: String) -> Option<DocumentRef> {
        let index = self.documents.get_index_of(&name)?;
        Some(DocumentRef { name, index })
    }

    fn loop_of(&self, fe: model::ForEach) -> Option<Loop> {
        match (fe.chunks, fe.items) {
            (Some(blob), None) => Some(Loop::Chunks {
                blob: self.blob(blob)?,
                chunk_size: NonZeroU64::new(fe.chunk_size?.0)?,
                min_chunk_size: fe.min_chunk_size,
            }),
            (None, Some(items)) if !items.is_empty() => Some(Loop::Items(items)),
            _ => None,
        }
    }

    fn request_of(&self, r: model::RequestSpec) -> Option<Request> {
        let target = match (r.path, r.url) {
            (Some(p), None) => Target::Path(p),
            (None, Some(u)) => Target::Url(u),
            _ => return None,
        };
        let body = match r.body {
            None => None,
            Some(b) => Some(self.body_of(b)?),
        };
        Some(Request {
            method: r.method,
            target,
            query: r.query,
            headers: r.headers,
            body,
            follow_redirects: r.follow_redirects,
        })
    }

    fn body_of(&self, b: model::BodySpec) -> Option<Body> {
        let body = match (b.blob, b.document, b.json, b.text, b.form) {
            (Some(name), None, None, None, None) => {
                return Some(Body::Blob {
                    blob: self.blob(name)?,
                    bytes: b.bytes,
                });
            }
            (None, Some(d), None, None, None) => Body::Document(self.document(d)?),
            (None, None, Some(j), None, None) => Body::Json(j),
            (None, None, None, Some(t), None) => Body::Text(t),
            (None, None, None, None, Some(f)) => Body::Form(f),
            _ => return None,
        };
        // `bytes` only narrows a blob.
        b.bytes.is_none().then_some(body)
    }
}

fn capture_of(c: model::CaptureSpec) -> Option<Capture> {
    let source = match (c.header, c.json, c.body_digest == Some(true)) {
        (Some(h), None, false) => CaptureSource::Header(h),
        (None, Some(p), false) => CaptureSource::Json(p),
        (None, None, true) => CaptureSource::BodyDigest,
        _ => return None,
    };
    Some(Capture {
        source,
        regex: c.regex,
        secret: c.secret,
        default: c.default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::{load_paths, parse_str};
    use crate::scenario::validate::validate;

    fn valid(text: &str) -> ValidScenario {
        let path = PathBuf::from("t.yaml");
        let loaded = LoadedScenario::new(
            parse_str(&path, text).expect("parses"),
            path,
            text.to_string(),
        );
        let errors = validate(&loaded);
        assert!(errors.is_empty(), "{errors:?}");
        convert(loaded).expect("converts")
    }

    #[test]
    fn every_bundled_scenario_converts() {
        let loaded = load_paths(&[crate::scenario::builtin_dir()]).expect("bundled load");
        assert!(!loaded.is_empty());
        for l in loaded {
            assert!(validate(&l).is_empty(), "{}", l.file.display());
            let file = l.file.clone();
            if let Err(e) = convert(l) {
                panic!("{}: {e}", file.display());
            }
        }
    }

    #[test]
    fn steps_become_kinds_with_their_positions() {
        let s = valid(
            r#"name: t
blobs: { layer: { size: 10 } }
documents: { cfg: { media_type: a/b, json: {} } }
steps:
  - name: up
    push: { documents: [cfg], blobs: [layer] }
  - name: loop
    for_each: { chunks: layer, chunk_size: 4 }
    steps:
      - name: send
        op: UploadChunk
        request:
          url: "{{repo}}"
          body: { blob: layer, bytes: "{{chunk.start}}-{{chunk.end}}" }
        capture:
          d: { body_digest: true }
  - name: get
    op: GetTagList
    request: { path: /v2/x, body: { text: hi } }
"#,
        );
        assert_eq!(s.steps.len(), 3);
        let StepKind::Push(push) = &s.steps[0].kind else {
            panic!("push")
        };
        assert_eq!(push.repository, "{{repo}}");
        assert_eq!((s.steps[0].pos.line, s.steps[0].pos.col), (5, 5));
        let layer = BlobRef {
            name: "layer".into(),
            index: 0,
        };
        assert_eq!(
            push.documents,
            [DocumentRef {
                name: "cfg".into(),
                index: 0
            }]
        );
        assert_eq!(push.blobs, std::slice::from_ref(&layer));
        assert_eq!(
            s.steps[1].for_each,
            Some(Loop::Chunks {
                blob: layer.clone(),
                chunk_size: NonZeroU64::new(4).unwrap(),
                min_chunk_size: None,
            })
        );
        let StepKind::Group(sub) = &s.steps[1].kind else {
            panic!("group")
        };
        assert_eq!((sub[0].pos.line, sub[0].pos.col), (10, 9));
        let StepKind::Request(send) = &sub[0].kind else {
            panic!("request")
        };
        assert_eq!(send.request.target, Target::Url("{{repo}}".into()));
        assert_eq!(
            send.request.body,
            Some(Body::Blob {
                blob: layer,
                bytes: Some("{{chunk.start}}-{{chunk.end}}".into())
            })
        );
        assert_eq!(send.capture["d"].source, CaptureSource::BodyDigest);
        let StepKind::Request(get) = &s.steps[2].kind else {
            panic!("request")
        };
        assert_eq!(get.request.target, Target::Path("/v2/x".into()));
        assert_eq!(get.request.body, Some(Body::Text("hi".into())));
        assert_eq!(s.steps[2].op(), Some(Operation::GetTagList));
    }

    #[test]
    fn a_state_the_validator_missed_is_a_located_error() {
        let text = "name: t\nsteps:\n  - name: nothing\n";
        let path = PathBuf::from("t.yaml");
        let loaded = LoadedScenario::new(parse_str(&path, text).unwrap(), path, text.to_string());
        let e = convert(loaded).expect_err("a step that does nothing");
        assert_eq!(
            e.to_string(),
            "t.yaml:3:5: step `nothing` has neither `op` + `request` nor `steps` (the validator should have rejected it)"
        );
    }

    #[test]
    fn states_the_validator_rejects_do_not_convert() {
        let (index, blobs, documents) = (YamlIndex::new(""), IndexMap::new(), IndexMap::new());
        let conv = Converter {
            file: std::path::Path::new("t.yaml"),
            index: &index,
            blobs: &blobs,
            documents: &documents,
        };
        let bad = model::RequestSpec {
            path: Some("/a".into()),
            url: Some("/b".into()),
            ..Default::default()
        };
        assert!(conv.request_of(bad).is_none());
        let only_bytes = model::BodySpec {
            bytes: Some("0-1".into()),
            ..Default::default()
        };
        assert!(conv.body_of(only_bytes).is_none());
        let undeclared = model::BodySpec {
            blob: Some("layer".into()),
            ..Default::default()
        };
        assert!(conv.body_of(undeclared).is_none());
        assert!(capture_of(model::CaptureSpec::default()).is_none());
    }
}
