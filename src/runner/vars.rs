//! Variables of a running scenario: built-ins, `vars`, generated blobs and documents, captures
//! (scenario-wide) and loop variables (layered per iteration), plus the secrets to redact.

use crate::blob::{BlobGen, sha256_digest};
use crate::scenario::template::{self, Lookup, TValue, TemplateError};
use crate::scenario::valid::{BlobRef, DocumentRef};
use crate::scenario::{DocumentSpec, ValidScenario};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Media type.
    pub media_type: String,
    /// Exact bytes.
    pub bytes: Bytes,
    /// Digest of the bytes.
    pub digest: String,
}

/// The variable store of one scenario run.
#[derive(Debug, Default)]
pub struct Vars {
    /// Scenario-wide variables (built-ins, vars, blobs, documents, captures).
    globals: HashMap<String, TValue>,
    /// Loop layers, innermost last.
    layers: Vec<HashMap<String, TValue>>,
    /// Generated blobs, in the scenario's order (a [`BlobRef`]'s index).
    blobs: Vec<BlobGen>,
    /// Rendered documents, in the scenario's order (a [`DocumentRef`]'s index).
    documents: Vec<Document>,
    /// Values to redact from transcripts.
    pub secrets: Vec<String>,
    /// Digests of content that exists only because of this run: generated blobs (seeded with
    /// the run id) and documents that reference one of them. Cleanup in a namespace the user
    /// chose deletes only these.
    pub run_unique: HashSet<String>,
}

impl Lookup for Vars {
    fn get(&self, name: &str) -> Option<TValue> {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.get(name).cloned())
            .or_else(|| self.globals.get(name).cloned())
    }
}

/// Built-in values of a run.
#[derive(Debug, Clone)]
pub struct Builtins {
    /// Scenario repository.
    pub repo: String,
    /// Run namespace.
    pub namespace: String,
    /// Run id.
    pub run_id: String,
    /// Target host[:port].
    pub registry: String,
    /// Target base URL.
    pub target: String,
    /// Username (may be empty).
    pub username: String,
    /// Password (secret, may be empty).
    pub password: String,
    /// AAD token (secret, may be empty).
    pub aad_token: String,
    /// AAD refresh token (secret, may be empty).
    pub aad_refresh_token: String,
}

impl Vars {
    /// Builds the store for `scenario`: built-ins, blobs (digests computed by streaming), `vars`,
    /// then documents in order.
    pub fn new(scenario: &ValidScenario, b: &Builtins) -> Result<Self, TemplateError> {
        let mut v = Vars::default();
        for (k, val) in [
            ("repo", &b.repo),
            ("namespace", &b.namespace),
            ("run_id", &b.run_id),
            ("registry", &b.registry),
            ("target", &b.target),
            ("credentials.username", &b.username),
            ("credentials.password", &b.password),
            ("credentials.aad_token", &b.aad_token),
            ("credentials.aad_refresh_token", &b.aad_refresh_token),
        ] {
            v.set(k, TValue::Str(val.clone()));
        }
        let basic = crate::client::basic_authorization(&b.username, &b.password);
        if !b.username.is_empty() || !b.password.is_empty() {
            // The base64 part reveals the password: redact it like the password itself.
            if let Some(encoded) = basic.strip_prefix("Basic ") {
                v.secrets.push(encoded.to_string());
            }
        }
        v.set("basic_auth", TValue::Str(basic));
        v.secrets.extend(
            [&b.password, &b.aad_token, &b.aad_refresh_token]
                .into_iter()
                .filter(|s| !s.is_empty())
                .cloned(),
        );
        for (name, spec) in &scenario.blobs {
            let g = BlobGen::new(&b.run_id, spec.seed, spec.size.0);
            v.set(&format!("blobs.{name}.digest"), TValue::Str(g.digest()));
            v.set(&format!("blobs.{name}.size"), TValue::Int(g.size as i64));
            v.set(
                &format!("blobs.{name}.encoded"),
                TValue::Str(encoded(&g.digest())),
            );
            if g.size > 0 {
                v.run_unique.insert(g.digest());
            }
            if spec.sha512 {
                let d = g.sha512_digest();
                v.set(&format!("blobs.{name}.sha512"), TValue::Str(d.clone()));
                if g.size > 0 {
                    v.run_unique.insert(d);
                }
            }
            if mentions_base64(scenario, name) {
                v.set(&format!("blobs.{name}.base64"), TValue::Str(base64_of(&g)));
            }
            v.blobs.push(g);
        }
        for (name, tpl) in &scenario.vars {
            let value = template::render_value(tpl, &v)?;
            v.set(name, value);
        }
        for (name, spec) in &scenario.documents {
            let doc = render_document(spec, &v)?;
            let text = String::from_utf8_lossy(&doc.bytes);
            if v.run_unique.iter().any(|d| text.contains(d.as_str())) {
                v.run_unique.insert(doc.digest.clone());
            }
            v.set(
                &format!("documents.{name}.digest"),
                TValue::Str(doc.digest.clone()),
            );
            v.set(
                &format!("documents.{name}.encoded"),
                TValue::Str(encoded(&doc.digest)),
            );
            v.set(
                &format!("documents.{name}.sha512"),
                TValue::Str(sha512_digest(&doc.bytes)),
            );
            v.set(
                &format!("documents.{name}.size"),
                TValue::Int(doc.bytes.len() as i64),
            );
            v.set(
                &format!("documents.{name}.media_type"),
                TValue::Str(doc.media_type.clone()),
            );
            v.documents.push(doc);
        }
        Ok(v)
    }

    /// The generated blob `r` refers to. `r` comes from the scenario this store was built for
    /// (every declared blob is generated), so it is always there.
    pub fn blob(&self, r: &BlobRef) -> BlobGen {
        self.blobs[r.index]
    }

    /// The rendered document `r` refers to. `r` comes from the scenario this store was built
    /// for, whose documents are all rendered before [`Vars::new`] returns.
    pub fn document(&self, r: &DocumentRef) -> &Document {
        &self.documents[r.index]
    }

    /// Sets a scenario-wide variable (captures land here).
    pub fn set(&mut self, name: &str, value: TValue) {
        self.globals.insert(name.to_string(), value);
    }

    /// Pushes a loop layer.
    pub fn push_layer(&mut self, layer: HashMap<String, TValue>) {
        self.layers.push(layer);
    }

    /// Pops the innermost loop layer.
    pub fn pop_layer(&mut self) {
        self.layers.pop();
    }
}

/// Whether a document or var of `scenario` names `blobs.NAME.base64`: only then is the blob
/// held in memory to encode it (the `data` field of a descriptor, a manifest near a size limit).
fn mentions_base64(scenario: &ValidScenario, name: &str) -> bool {
    let wanted = format!("blobs.{name}.base64");
    scenario.vars.values().any(|v| v.contains(&wanted))
        || scenario
            .documents
            .values()
            .any(|d| d.json.to_string().contains(&wanted))
}

/// The standard base64 (with padding) of the whole blob.
fn base64_of(g: &BlobGen) -> String {
    use base64::Engine as _;
    let mut raw = Vec::with_capacity(g.size as usize);
    for piece in g.all() {
        raw.extend_from_slice(&piece);
    }
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// `sha512:<hex>` of `bytes`.
fn sha512_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha512};
    format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
}

fn render_document(spec: &DocumentSpec, vars: &Vars) -> Result<Document, TemplateError> {
    let value = template::render_json(&spec.json, vars)?;
    let bytes = Bytes::from(serde_json::to_vec_pretty(&value).unwrap_or_default());
    Ok(Document {
        media_type: spec.media_type.clone(),
        digest: sha256_digest(&bytes),
        bytes,
    })
}

/// The encoded part of a digest (`<hex>` of `sha256:<hex>`), as the referrers tag schema
/// `<alg>-<ref>` and other digest-derived names need it.
fn encoded(digest: &str) -> String {
    digest
        .split_once(':')
        .map(|(_, e)| e)
        .unwrap_or(digest)
        .to_string()
}
