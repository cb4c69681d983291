//! The scenario data model: what a `scenarios/*.yaml` file may say, as serde types with
//! `deny_unknown_fields`. Nothing here knows about HTTP; the runner interprets these types.
//! The format is documented for users in `scenarios/README.md`.

use crate::vocab::{Level, Operation};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// One scenario file: a named, self-contained sequence of steps run in its own repository.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique name (lowercase, `[a-z0-9-]`); also the repository name under the run namespace.
    pub name: String,
    /// What the scenario proves, one or two sentences.
    #[serde(default)]
    pub description: String,
    /// Free tags for `--tag` / `--skip-tag` selection (e.g. `oci`, `acr`, `blobs`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Target capabilities without which the scenario is skipped.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Scenario variables (`{{name}}`), rendered once at scenario start (may use built-ins).
    #[serde(default)]
    pub vars: IndexMap<String, String>,
    /// Generated blobs: deterministic pseudo-random bytes from `seed`, unique per run.
    #[serde(default)]
    pub blobs: IndexMap<String, BlobSpec>,
    /// JSON documents (manifests, indexes, configs) rendered in order at scenario start; each may
    /// reference blobs and earlier documents (`{{documents.NAME.digest}}`).
    #[serde(default)]
    pub documents: IndexMap<String, DocumentSpec>,
    /// The ordered steps.
    pub steps: Vec<Step>,
}

/// A capability of the target, found by the capability probe (`regcheck run` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// ACR extensions under `/acr/v1/` are served.
    Acr,
    /// `DELETE /v2/<name>/blobs/<digest>` answers 2xx.
    BlobDelete,
    /// `DELETE /v2/<name>/manifests/<digest>` answers 2xx. The YAML name `delete` (before the
    /// three deletes were probed apart) means this one.
    #[serde(alias = "delete")]
    ManifestDelete,
    /// `DELETE /v2/<name>/manifests/<tag>` answers 2xx (removes the tag only).
    TagDelete,
    /// Blob GETs honour `Range` (`Accept-Ranges: bytes` advertised).
    Range,
    /// `/v2/_catalog` is served.
    Catalog,
    /// The OCI 1.1 referrers API is offered (`OCI-Subject` on a PUT with a subject, or an image
    /// index from `GET /v2/<name>/referrers/<digest>`).
    Referrers,
    /// ACR token endpoints `/oauth2/exchange` and `/oauth2/token` are served.
    #[serde(rename = "oauth2")]
    OAuth2,
    /// An anonymous `GET /v2/` is answered 401 (the target asks for authentication).
    Auth,
    /// The target challenges with `WWW-Authenticate: Bearer`.
    TokenAuth,
    /// An AAD access token was given (`--aad-token`), so `/oauth2/exchange` can be exercised.
    AadToken,
    /// An AAD refresh token was given (`--aad-refresh-token`), for the exchange's
    /// `refresh_token` and `access_token_refresh_token` grants.
    AadRefreshToken,
    /// A username and password were given (`--username`/`--password`).
    Credentials,
}

impl Capability {
    /// Every capability.
    pub const ALL: &'static [Capability] = &[
        Capability::Acr,
        Capability::BlobDelete,
        Capability::ManifestDelete,
        Capability::TagDelete,
        Capability::Range,
        Capability::Catalog,
        Capability::Referrers,
        Capability::OAuth2,
        Capability::Auth,
        Capability::TokenAuth,
        Capability::AadToken,
        Capability::AadRefreshToken,
        Capability::Credentials,
    ];

    /// The name used in YAML and reports.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Acr => "acr",
            Capability::BlobDelete => "blob-delete",
            Capability::ManifestDelete => "manifest-delete",
            Capability::TagDelete => "tag-delete",
            Capability::Auth => "auth",
            Capability::Range => "range",
            Capability::Catalog => "catalog",
            Capability::Referrers => "referrers",
            Capability::OAuth2 => "oauth2",
            Capability::TokenAuth => "token-auth",
            Capability::AadToken => "aad-token",
            Capability::AadRefreshToken => "aad-refresh-token",
            Capability::Credentials => "credentials",
        }
    }
}

impl std::str::FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim();
        if want == "delete" {
            return Ok(Capability::ManifestDelete);
        }
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.name() == want)
            .ok_or_else(|| {
                let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                format!("unknown capability `{want}` (known: {})", names.join(", "))
            })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A generated blob.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BlobSpec {
    /// Size: an integer number of bytes or a string such as `3MiB`, `512KiB`, `10B`.
    pub size: ByteSize,
    /// Seed mixed with the run id; two blobs with the same seed in one run are identical.
    #[serde(default)]
    pub seed: u64,
    /// Also compute `blobs.NAME.sha512` (`sha512:<128 hex>`), for uploads by a sha512 digest.
    #[serde(default)]
    pub sha512: bool,
}

/// A JSON document built at scenario start (typically a manifest).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    /// Media type; sent as `Content-Type` when the document is a request body.
    pub media_type: String,
    /// The JSON value. Strings are templates; a string that is exactly one `{{placeholder}}`
    /// takes the placeholder's type (so `"{{blobs.layer.size}}"` becomes a JSON number).
    pub json: serde_json::Value,
}

/// One step: a request exercising one contract operation, or a group of steps (`steps:`),
/// optionally repeated by `for_each`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Human-readable name, unique within the scenario.
    pub name: String,
    /// The contract operation this request exercises; required unless the step is a group.
    #[serde(default)]
    pub op: Option<Operation>,
    /// The request to send (not allowed on groups).
    #[serde(default)]
    pub request: Option<RequestSpec>,
    /// Explicit expectations, checked in addition to the contract rules of `op`.
    #[serde(default)]
    pub expect: Expect,
    /// Values captured from the response into variables for later steps.
    #[serde(default)]
    pub capture: IndexMap<String, CaptureSpec>,
    /// Spec-legal variants: when the status is one of these, the rest of the scenario is skipped
    /// with the reason (e.g. 405 when delete is disabled, 202 when mount falls back to upload).
    #[serde(default)]
    pub skip_on: Vec<SkipOn>,
    /// Repeat the step (or group) for each chunk of a blob or each item of a list.
    #[serde(default)]
    pub for_each: Option<ForEach>,
    /// Sub-steps: makes this step a group.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Pushes generated blobs and documents as blobs (setup shorthand): for each, a
    /// `StartUpload` (202 + `Location`) then a `CompleteUpload` with the bytes (201), both
    /// checked like any other step.
    #[serde(default)]
    pub push: Option<PushSpec>,
    /// How the client authenticates this request (default `auto`).
    #[serde(default)]
    pub auth: StepAuth,
}

/// What a `push` step uploads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PushSpec {
    /// Documents to upload as blobs (image configs), in order, before `blobs`.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Generated blobs to upload, in order.
    #[serde(default)]
    pub blobs: Vec<String>,
    /// Repository (template); default `{{repo}}`.
    #[serde(default)]
    pub repository: Option<String>,
}

/// How the runner's client authenticates a step's request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepAuth {
    /// Answer challenges with the run's credentials (basic, or token exchange) and retry.
    #[default]
    Auto,
    /// Send the request exactly as written; never add credentials, never retry a 401.
    None,
}

/// The request part of a step. Exactly one of `path` and `url` is given.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// HTTP method; defaults to the operation's documented method.
    #[serde(default)]
    pub method: Option<String>,
    /// Path template relative to the target root, e.g. `/v2/{{repo}}/blobs/uploads/`.
    #[serde(default)]
    pub path: Option<String>,
    /// URL template, e.g. a captured `Location` (relative or absolute; resolved against the
    /// target, or against the URL of the response it was captured from).
    #[serde(default)]
    pub url: Option<String>,
    /// Query parameters appended in order (values are templates).
    #[serde(default)]
    pub query: IndexMap<String, String>,
    /// Request headers (values are templates).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// The body, if any.
    #[serde(default)]
    pub body: Option<BodySpec>,
    /// Follow redirects (3xx with `Location`) after checking the redirect itself (default true).
    #[serde(default = "default_true")]
    pub follow_redirects: bool,
}

fn default_true() -> bool {
    true
}

/// A request body; exactly one field is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    /// A generated blob by name (streamed).
    #[serde(default)]
    pub blob: Option<String>,
    /// With `blob`: only these bytes, an inclusive range template `START-END`
    /// (e.g. `"{{chunk.start}}-{{chunk.end}}"`).
    #[serde(default)]
    pub bytes: Option<String>,
    /// A document by name (its exact rendered bytes; `Content-Type` defaults to its media type).
    #[serde(default)]
    pub document: Option<String>,
    /// Inline JSON (templated like documents); `Content-Type: application/json` by default.
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// Inline text (template).
    #[serde(default)]
    pub text: Option<String>,
    /// URL-encoded form fields (templates); `application/x-www-form-urlencoded`.
    #[serde(default)]
    pub form: Option<IndexMap<String, String>>,
}

/// Explicit expectations of a step.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Allowed statuses.
    #[serde(default)]
    pub status: Option<StatusSet>,
    /// Of the allowed statuses, the one(s) a weaker text prefers (a SHOULD, or the wording of
    /// an unreleased spec version): any other status is a warning at that text's level.
    #[serde(default)]
    pub preferred_status: Option<PreferredStatus>,
    /// Header matchers by (case-insensitive) header name.
    #[serde(default)]
    pub headers: IndexMap<String, HeaderMatch>,
    /// JSON body matchers.
    #[serde(default)]
    pub json: Vec<JsonMatch>,
    /// The body's digest (`sha256:<hex>`, template).
    #[serde(default)]
    pub body_digest: Option<String>,
    /// The body's length in bytes (template or integer).
    #[serde(default)]
    pub body_length: Option<String>,
    /// Name of a contract JSON schema the body must satisfy (e.g. `TagList`).
    #[serde(default)]
    pub schema: Option<String>,
}

/// One status or a list of statuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusSet(pub Vec<u16>);

impl StatusSet {
    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        self.0.contains(&status)
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(u16),
            Many(Vec<u16>),
        }
        let set = match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("status must be an HTTP status code or a list of them")
        })? {
            Raw::One(s) => vec![s],
            Raw::Many(v) => v,
        };
        if set.is_empty() {
            return Err(serde::de::Error::custom("status list is empty"));
        }
        if let Some(bad) = set.iter().find(|s| !(100..=599).contains(*s)) {
            return Err(serde::de::Error::custom(format!(
                "{bad} is not an HTTP status code (100-599)"
            )));
        }
        Ok(StatusSet(set))
    }
}

/// Statuses a text below MUST prefers; another status is a warning at `level`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreferredStatus {
    /// The preferred statuses.
    pub status: StatusSet,
    /// The level of the text that prefers them (`should`, `convention`, …).
    pub level: Level,
    /// The text that prefers them, as reports show it (e.g. `OCI distribution-spec main (after
    /// v1.1.1) §Pushing a blob in chunks`).
    pub spec: String,
}

/// A header matcher; at least one field is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderMatch {
    /// Exact value (template).
    #[serde(default)]
    pub equals: Option<String>,
    /// Regular expression the value must match (template, then compiled).
    #[serde(default)]
    pub regex: Option<String>,
    /// `true`: the header must be present; `false`: it must be absent.
    #[serde(default)]
    pub present: Option<bool>,
    /// The cited text makes the header OPTIONAL ("if present, …"): an absent header passes,
    /// a present one must match `equals` / `regex`.
    #[serde(default)]
    pub optional: bool,
    /// The level of the text behind this matcher when it is not a MUST: a mismatch is then a
    /// warning carrying that level (`should`, `should-not`, `may`, `convention`).
    #[serde(default)]
    pub level: Option<Level>,
}

/// A JSON body matcher addressing one value by RFC 6901 pointer; at least one test is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMatch {
    /// RFC 6901 pointer (`""` is the whole document).
    pub pointer: String,
    /// Exact JSON value (strings are templates; a lone placeholder keeps its type).
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// `true`: the value must exist (`null` counts as existing); `false`: it must not.
    #[serde(default)]
    pub present: Option<bool>,
    /// The value exists and differs from this one (templated like `equals`).
    #[serde(default)]
    pub not_equals: Option<serde_json::Value>,
    /// The value is an array (or string) of this length.
    #[serde(default)]
    pub length: Option<usize>,
    /// The value is an array containing this element (templated).
    #[serde(default)]
    pub contains: Option<serde_json::Value>,
    /// The value is an array not containing this element (templated).
    #[serde(default)]
    pub not_contains: Option<serde_json::Value>,
    /// The value is an array with an element that includes this one: an object has at least
    /// these members (each included in turn), anything else is equal (templated). For answers
    /// whose elements may carry more than the scenario knows (descriptors, in any order).
    #[serde(default)]
    pub includes: Option<serde_json::Value>,
    /// The value is an array with no element that includes this one (templated).
    #[serde(default)]
    pub not_includes: Option<serde_json::Value>,
    /// The value is an array sorted as given.
    #[serde(default)]
    pub sorted: Option<SortSpec>,
    /// Only a JSON body is held to this matcher; any other body passes (OCI: "A `4XX` response
    /// code from the registry MAY return a body in any format. If the response body is in
    /// JSON format, it MUST have the following format").
    #[serde(default)]
    pub if_json: bool,
    /// As for headers: a mismatch is a warning at this level instead of a failure.
    #[serde(default)]
    pub level: Option<Level>,
}

/// Expected order of an array.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SortSpec {
    /// Pointer inside each element to the sort key (omit for arrays of scalars).
    #[serde(default)]
    pub key: Option<String>,
    /// `asc` or `desc`.
    pub order: SortOrder,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending (lexical for strings).
    Asc,
    /// Descending.
    Desc,
}

/// Where a captured value comes from; exactly one source is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// A response header.
    #[serde(default)]
    pub header: Option<String>,
    /// An RFC 6901 pointer into the JSON body.
    #[serde(default)]
    pub json: Option<String>,
    /// The sha256 digest of the body (`true`).
    #[serde(default)]
    pub body_digest: Option<bool>,
    /// Optional regex applied to the captured text; group 1 (or the whole match) is kept.
    #[serde(default)]
    pub regex: Option<String>,
    /// The value is a secret (a token): redacted in every transcript and report.
    #[serde(default)]
    pub secret: bool,
    /// The value when the source is absent from the response (an OPTIONAL header, such as
    /// `OCI-Chunk-Min-Length`): the capture then succeeds with it instead of failing.
    #[serde(default)]
    pub default: Option<String>,
}

/// A spec-legal variant that skips the rest of the scenario.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SkipOn {
    /// Statuses that trigger the skip.
    pub status: StatusSet,
    /// With one of those statuses, skip only when the JSON body lacks this pointer (a feature
    /// the answer shows when offered, e.g. an optional attribute the registry may ignore).
    #[serde(default)]
    pub absent: Option<String>,
    /// Why this is legal, shown in reports (e.g. "registry does not allow deletes").
    pub reason: String,
    /// The level of the text the variant falls short of, when it is legal only because that
    /// text is not a MUST (a SHOULD-level limit refused, a convention): the skip then records a
    /// warning at that level (`scenario.skip_on`) besides skipping the rest.
    #[serde(default)]
    pub level: Option<Level>,
}

impl SkipOn {
    /// Whether `status` and `body` (parsed JSON, when it is) are this spec-legal variant.
    pub fn applies(&self, status: u16, body: Option<&serde_json::Value>) -> bool {
        self.status.contains(status)
            && self
                .absent
                .as_deref()
                .is_none_or(|p| body.and_then(|v| v.pointer(p)).is_none())
    }
}

/// Loop specification; exactly one of `chunks` and `items`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// Blob to split; each iteration sets `chunk.index`, `chunk.start`, `chunk.end` (inclusive),
    /// `chunk.length` and `chunk.count`.
    #[serde(default)]
    pub chunks: Option<String>,
    /// Chunk size for `chunks`.
    #[serde(default)]
    pub chunk_size: Option<ByteSize>,
    /// A lower bound on the chunk size, rendered when the loop starts (a template giving a
    /// number of bytes, e.g. a captured `OCI-Chunk-Min-Length`): chunks are then the larger
    /// of the two (the last one may be shorter).
    #[serde(default)]
    pub min_chunk_size: Option<String>,
    /// Items to iterate over (templates); each iteration sets `item` and `item.index`.
    #[serde(default)]
    pub items: Option<Vec<String>>,
}

/// A size in bytes, written as an integer or with a unit (`B`, `KB`, `MB`, `GB`, `KiB`, `MiB`,
/// `GiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `3MiB`, `512 KiB`, `10`, `1.5MB`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let unit = unit.trim();
        let mult: u64 = match unit {
            "" | "B" => 1,
            "KB" | "kB" => 1000,
            "MB" => 1000 * 1000,
            "GB" => 1000 * 1000 * 1000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            other => {
                return Err(format!(
                    "unknown size unit `{other}` in `{s}`; use B, KB, MB, GB, KiB, MiB or GiB"
                ));
            }
        };
        let value: f64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not a size (examples: 1024, 512KiB, 3MiB)"))?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!("`{s}` is not a valid size"));
        }
        Ok(ByteSize((value * mult as f64).round() as u64))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("size must be an integer or a string like 3MiB")
        })? {
            Raw::Int(n) => Ok(ByteSize(n)),
            Raw::Text(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn skip_on_absent_skips_only_answers_without_the_pointer() {
        let skip: SkipOn =
            serde_yaml::from_str("{ status: 200, absent: /a/b, reason: not offered }").unwrap();
        let with = serde_json::json!({ "a": { "b": "x" } });
        let without = serde_json::json!({ "a": {} });
        assert!(!skip.applies(200, Some(&with)), "offered: judged");
        assert!(skip.applies(200, Some(&without)));
        assert!(
            skip.applies(200, None),
            "not JSON: the feature is not shown"
        );
        assert!(
            !skip.applies(201, Some(&without)),
            "other statuses are judged"
        );
        let plain: SkipOn = serde_yaml::from_str("{ status: [400, 405], reason: r }").unwrap();
        assert_eq!(plain.level, None);
        let warned: SkipOn =
            serde_yaml::from_str("{ status: 413, level: should, reason: r }").unwrap();
        assert_eq!(warned.level, Some(Level::Should));
        assert!(plain.applies(405, Some(&with)) && !plain.applies(200, None));
    }

    use super::*;

    #[test]
    fn byte_sizes_parse_with_units() {
        assert_eq!(ByteSize::parse("3MiB").unwrap().0, 3 * 1024 * 1024);
        assert_eq!(ByteSize::parse("512 KiB").unwrap().0, 512 * 1024);
        assert_eq!(ByteSize::parse("10").unwrap().0, 10);
        assert_eq!(ByteSize::parse("1.5MB").unwrap().0, 1_500_000);
        assert!(ByteSize::parse("3 parsecs").is_err());
        assert!(ByteSize::parse("MiB").is_err());
    }

    #[test]
    fn status_set_accepts_one_or_many_and_rejects_nonsense() {
        let one: StatusSet = serde_yaml::from_str("201").unwrap();
        assert_eq!(one.0, vec![201]);
        let many: StatusSet = serde_yaml::from_str("[201, 202]").unwrap();
        assert!(many.contains(202));
        assert!(serde_yaml::from_str::<StatusSet>("[]").is_err());
        assert!(serde_yaml::from_str::<StatusSet>("42").is_err());
    }
}
