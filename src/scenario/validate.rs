//! Semantic validation of a parsed scenario: the rules serde cannot express (exactly-one-of
//! fields, references to declared blobs and documents, defined placeholders, unique step names,
//! compilable regexes), each error located at the offending key or value with
//! [`YamlIndex`](super::source::YamlIndex).
//!
//! Placeholder scoping follows the runner's order: built-ins everywhere; blob fields
//! (`blobs.NAME.digest|size`) from the start; `vars` may use those and earlier vars; documents may
//! also use vars and earlier documents; a step may use everything
//! declared at the top plus every variable captured by a step written before it (anywhere,
//! including inside earlier groups and loops) and the loop variables of the `for_each` loops
//! around it.

use super::error::{ScenarioError, one_of, similar_names};
use super::load::LoadedScenario;
use super::model::{BodySpec, CaptureSpec, Expect, ForEach, PushSpec, RequestSpec, Scenario, Step};
use super::source::{Seg, SourcePos, YamlIndex};
use super::template::{placeholders, replace_placeholders};
use crate::vocab::Level;
use indexmap::IndexMap;
use std::path::Path;

/// Variables every scenario can use.
pub const BUILTINS: &[&str] = &[
    "repo",
    "namespace",
    "run_id",
    "registry",
    "target",
    "credentials.username",
    "credentials.password",
    "credentials.aad_token",
    "credentials.aad_refresh_token",
    // `Basic base64(username:password)`, set by the runner for `GetAcrAccessTokenFromLogin`.
    "basic_auth",
];

/// Variables set by `for_each: { chunks: .. }`.
pub const CHUNK_VARS: &[&str] = &[
    "chunk.index",
    "chunk.start",
    "chunk.end",
    "chunk.length",
    "chunk.count",
];

/// Variables set by `for_each: { items: .. }`.
pub const ITEM_VARS: &[&str] = &["item", "item.index"];

/// Every rule violation in `loaded`, in document order.
pub fn validate(loaded: &LoadedScenario) -> Vec<ScenarioError> {
    let mut v = Validator {
        file: &loaded.file,
        index: &loaded.index,
        errors: Vec::new(),
        defined: Vec::new(),
        loop_vars: Vec::new(),
        blobs: Vec::new(),
        documents: Vec::new(),
        captures: Vec::new(),
    };
    v.scenario(&loaded.scenario);
    let mut errors = v.errors;
    errors.sort_by(|a, b| a.pos().cmp(&b.pos()));
    errors
}

/// A path under `base`.
fn join(base: &[Seg], more: &[&str]) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(more.iter().map(|k| Seg::key(*k)));
    p
}

fn indexed(base: &[Seg], key: &str, i: usize) -> Vec<Seg> {
    let mut p = join(base, &[key]);
    p.push(Seg::Index(i));
    p
}

/// A name usable inside `{{ }}` as one dotted segment (blob and document names).
fn simple_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A variable name usable inside `{{ }}`.
fn var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `^[a-z0-9][a-z0-9-]*$`
fn scenario_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An HTTP method token (RFC 9110 `tchar`s).
fn method_token(m: &str) -> bool {
    !m.is_empty()
        && m.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// An RFC 6901 pointer: empty, or starting with `/`.
fn json_pointer(p: &str) -> bool {
    p.is_empty() || p.starts_with('/')
}

struct Validator<'a> {
    file: &'a Path,
    index: &'a YamlIndex,
    errors: Vec<ScenarioError>,
    /// Vars, blob and document fields, and captures defined so far (document order).
    defined: Vec<String>,
    /// Variables of the enclosing loops.
    loop_vars: Vec<String>,
    blobs: Vec<String>,
    documents: Vec<String>,
    /// Every capture in the scenario with the name of its step (for hints).
    captures: Vec<(String, String)>,
}

impl Validator<'_> {
    fn pos(&self, (line, col): (usize, usize)) -> SourcePos {
        SourcePos::new(self.file, line, col)
    }

    /// An error at the key (or item) `path` ends with.
    fn key_err(&mut self, path: &[Seg], msg: impl Into<String>, hint: Option<String>) {
        let pos = self.pos(self.index.key_pos(path));
        self.errors.push(ScenarioError::invalid(pos, msg, hint));
    }

    /// An error at the value at `path`.
    fn val_err(&mut self, path: &[Seg], msg: impl Into<String>, hint: Option<String>) {
        let pos = self.pos(self.index.value_pos(path));
        self.errors.push(ScenarioError::invalid(pos, msg, hint));
    }

    fn is_defined(&self, name: &str) -> bool {
        BUILTINS.contains(&name)
            || self.defined.iter().any(|d| d == name)
            || self.loop_vars.iter().any(|d| d == name)
    }

    fn scenario(&mut self, s: &Scenario) {
        let mut all = Vec::new();
        collect_captures(&s.steps, &mut all);
        self.captures = all;

        if !scenario_name(&s.name) {
            self.val_err(
                &[Seg::key("name")],
                format!("scenario name `{}` is not allowed", s.name),
                Some(
                    "use lowercase letters, digits and `-`, starting with a letter or digit (it is also the repository name)"
                        .to_string(),
                ),
            );
        }
        for (name, spec) in &s.blobs {
            let path = join(&[], &["blobs", name]);
            self.check_item_name(&path, name, "blob");
            self.blobs.push(name.clone());
            for field in ["digest", "encoded", "size", "base64"] {
                self.defined.push(format!("blobs.{name}.{field}"));
            }
            if spec.sha512 {
                self.defined.push(format!("blobs.{name}.sha512"));
            }
        }
        for (key, value) in &s.vars {
            let path = join(&[], &["vars", key]);
            self.check_new_var(&path, key, "variable");
            self.template(&path, value);
            self.defined.push(key.clone());
        }
        for (name, doc) in &s.documents {
            let path = join(&[], &["documents", name]);
            self.check_item_name(&path, name, "document");
            self.template(&join(&path, &["media_type"]), &doc.media_type);
            self.json(&join(&path, &["json"]), &doc.json);
            self.documents.push(name.clone());
            for field in ["digest", "encoded", "sha512", "size", "media_type"] {
                self.defined.push(format!("documents.{name}.{field}"));
            }
        }
        if s.steps.is_empty() {
            self.val_err(
                &[Seg::key("steps")],
                "the scenario has no steps",
                Some("add at least one step with `name`, `op` and `request`".to_string()),
            );
        }
        self.steps(&s.steps, &[Seg::key("steps")]);
    }

    fn check_new_var(&mut self, path: &[Seg], name: &str, what: &str) {
        if !var_name(name) {
            self.key_err(
                path,
                format!("{what} name `{name}` cannot be used in a placeholder"),
                Some("use letters, digits, `_`, `-` and `.`".to_string()),
            );
        } else if BUILTINS.contains(&name) {
            self.key_err(
                path,
                format!("{what} `{name}` would hide the built-in variable of the same name"),
                Some("choose another name".to_string()),
            );
        }
    }

    fn check_item_name(&mut self, path: &[Seg], name: &str, what: &str) {
        if !simple_name(name) {
            self.key_err(
                path,
                format!("{what} name `{name}` cannot be used in a placeholder"),
                Some("use letters, digits, `_` and `-` (no dots or spaces)".to_string()),
            );
        }
    }

    /// Checks a string template: syntax, and that every placeholder is defined here.
    fn template(&mut self, path: &[Seg], s: &str) {
        self.template_at(path, s, false);
    }

    fn template_at(&mut self, path: &[Seg], s: &str, is_key: bool) {
        let names = match placeholders(s) {
            Ok(names) => names,
            Err(e) => {
                self.val_err(
                    path,
                    e.to_string(),
                    Some("placeholders are written `{{name}}`".to_string()),
                );
                return;
            }
        };
        let mut reported: Vec<&str> = Vec::new();
        for name in &names {
            if self.is_defined(name) || reported.contains(&name.as_str()) {
                continue;
            }
            reported.push(name);
            let at = if is_key {
                self.index.key_pos(path)
            } else {
                let tight = format!("{{{{{name}");
                let spaced = format!("{{{{ {name}");
                self.index.find_in_value(path, &[&tight, &spaced])
            };
            let pos = self.pos(at);
            let hint = self.undefined_hint(name);
            self.errors.push(ScenarioError::invalid(
                pos,
                format!("undefined variable `{{{{{name}}}}}`"),
                Some(hint),
            ));
        }
    }

    /// Why `name` is not defined here, and what might have been meant.
    fn undefined_hint(&self, name: &str) -> String {
        if let Some((_, step)) = self.captures.iter().find(|(c, _)| c == name) {
            return format!(
                "`{name}` is captured by step `{step}`, which comes later; a variable can only be used after the step that captures it"
            );
        }
        if CHUNK_VARS.contains(&name) || ITEM_VARS.contains(&name) {
            return format!(
                "`{name}` is only defined inside a `for_each` loop (`chunks:` sets chunk.index/start/end/length/count, `items:` sets item and item.index)"
            );
        }
        for (prefix, declared, fields) in [
            ("blobs.", &self.blobs, "`.digest`, `.size` and `.base64`"),
            (
                "documents.",
                &self.documents,
                "`.digest`, `.sha512`, `.size` and `.media_type`",
            ),
        ] {
            if let Some(rest) = name.strip_prefix(prefix) {
                let (item, field) = rest.split_once('.').unwrap_or((rest, ""));
                let section = prefix.trim_end_matches('.');
                if !declared.iter().any(|d| d == item) {
                    let similar = similar_names(item, declared.iter().map(String::as_str));
                    let mut hint = format!("no {section} entry `{item}` is declared");
                    if section == "documents" {
                        hint.push_str(" before this point");
                    }
                    if !similar.is_empty() {
                        hint.push_str(&format!("; did you mean {}?", one_of(&similar)));
                    } else if declared.is_empty() {
                        hint.push_str(&format!("; declare it under `{section}:`"));
                    } else {
                        let all: Vec<&str> = declared.iter().map(String::as_str).collect();
                        hint.push_str(&format!("; declared: {}", one_of(&all)));
                    }
                    return hint;
                }
                return format!("`{section}.{item}` has {fields}, not `.{field}`");
            }
        }
        let candidates = BUILTINS
            .iter()
            .copied()
            .chain(self.defined.iter().map(String::as_str))
            .chain(self.loop_vars.iter().map(String::as_str));
        let similar = similar_names(name, candidates);
        if !similar.is_empty() {
            return format!("did you mean {}?", one_of(&similar));
        }
        if let Some((family, _)) = name.rsplit_once('.') {
            let prefix = format!("{family}.");
            let mut members: Vec<&str> = BUILTINS
                .iter()
                .copied()
                .chain(self.defined.iter().map(String::as_str))
                .chain(self.loop_vars.iter().map(String::as_str))
                .filter(|d| d.starts_with(&prefix))
                .collect();
            members.dedup();
            if !members.is_empty() {
                return format!("defined here: {}", one_of(&members));
            }
        }
        format!(
            "define it under `vars:`, capture it in an earlier step, or use a built-in: {}",
            BUILTINS.join(", ")
        )
    }

    /// Checks every string (and object key) of a JSON value as a template.
    fn json(&mut self, path: &[Seg], v: &serde_json::Value) {
        match v {
            serde_json::Value::String(s) => self.template(path, s),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut p = path.to_vec();
                    p.push(Seg::Index(i));
                    self.json(&p, item);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let p = join(path, &[key]);
                    self.template_at(&p, key, true);
                    self.json(&p, value);
                }
            }
            _ => {}
        }
    }

    /// Checks a regex template: placeholders defined, and the regex compiles with every
    /// placeholder replaced by `x`.
    fn regex(&mut self, path: &[Seg], r: &str) {
        self.template(path, r);
        let Ok(plain) = replace_placeholders(r, "x") else {
            return; // syntax error already reported
        };
        if let Err(e) = regex::Regex::new(&plain) {
            let text = e.to_string();
            let reason = text
                .lines()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or(text.as_str())
                .to_string();
            self.val_err(path, format!("invalid regex `{r}`: {reason}"), None);
        }
    }

    fn steps(&mut self, steps: &[Step], base: &[Seg]) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let mut sp = base.to_vec();
            sp.push(Seg::Index(i));
            let name_path = join(&sp, &["name"]);
            if step.name.trim().is_empty() {
                self.val_err(
                    &name_path,
                    "step name is empty",
                    Some("name every step; the name appears in reports".to_string()),
                );
            } else if let Some((_, first)) = seen.iter().find(|(n, _)| *n == step.name) {
                let mut first_path = base.to_vec();
                first_path.push(Seg::Index(*first));
                let (line, _) = self.index.value_pos(&join(&first_path, &["name"]));
                self.val_err(
                    &name_path,
                    format!(
                        "duplicate step name `{}` (also used at line {line})",
                        step.name
                    ),
                    Some("step names must be unique within their list; rename one".to_string()),
                );
            } else {
                seen.push((&step.name, i));
            }
            self.step(step, &sp);
        }
    }

    fn step(&mut self, step: &Step, sp: &[Seg]) {
        let loop_mark = self.loop_vars.len();
        if let Some(fe) = &step.for_each {
            self.for_each(fe, &join(sp, &["for_each"]));
        }
        let name = &step.name;
        if let Some(push) = &step.push {
            self.push_step(step, push, sp);
            self.loop_vars.truncate(loop_mark);
            return;
        }
        if !step.steps.is_empty() {
            let hint = Some(
                "a step either sends a request (`op` + `request`) or groups sub-steps (`steps`); move this into a sub-step"
                    .to_string(),
            );
            if step.op.is_some() {
                self.key_err(
                    &join(sp, &["op"]),
                    format!("step `{name}` is a group (it has `steps`) and cannot also have `op`"),
                    hint.clone(),
                );
            }
            if step.request.is_some() {
                self.key_err(
                    &join(sp, &["request"]),
                    format!(
                        "step `{name}` is a group (it has `steps`) and cannot also have `request`"
                    ),
                    hint.clone(),
                );
            }
            let own = [
                ("expect", !expect_is_empty(&step.expect)),
                ("capture", !step.capture.is_empty()),
                ("skip_on", !step.skip_on.is_empty()),
            ];
            for (key, present) in own {
                if present {
                    self.key_err(
                        &join(sp, &[key]),
                        format!(
                            "step `{name}` is a group and has no response of its own for `{key}`"
                        ),
                        hint.clone(),
                    );
                }
            }
            self.steps(&step.steps, &join(sp, &["steps"]));
        } else {
            match (&step.op, &step.request) {
                (Some(_), Some(req)) => self.request(req, &join(sp, &["request"])),
                (Some(_), None) => self.key_err(
                    &join(sp, &["op"]),
                    format!("step `{name}` has `op` but no `request`"),
                    Some("add `request:` with a `path:` or a `url:`".to_string()),
                ),
                (None, Some(req)) => {
                    self.key_err(
                        &join(sp, &["request"]),
                        format!("step `{name}` has a `request` but no `op`"),
                        Some(
                            "name the contract operation it exercises, e.g. `op: GetManifest` (`regcheck list --operations` shows them all)"
                                .to_string(),
                        ),
                    );
                    self.request(req, &join(sp, &["request"]));
                }
                (None, None) => self.key_err(
                    sp,
                    format!("step `{name}` has neither `op` + `request` nor `steps`"),
                    Some(
                        "a step either sends a request (`op` + `request`) or groups sub-steps (`steps`)"
                            .to_string(),
                    ),
                ),
            }
            self.expect(&step.expect, &join(sp, &["expect"]));
            for (i, skip) in step.skip_on.iter().enumerate() {
                if let Some(p) = &skip.absent
                    && !(p.is_empty() || p.starts_with('/'))
                {
                    self.val_err(
                        &join(&indexed(sp, "skip_on", i), &["absent"]),
                        format!("`absent` must be a JSON pointer, got `{p}`"),
                        Some("a JSON pointer starts with `/`, e.g. /manifest/changeableAttributes/quarantineState".to_string()),
                    );
                }
                if let Some(level @ (Level::Must | Level::MustNot)) = skip.level {
                    self.val_err(
                        &join(&indexed(sp, "skip_on", i), &["level"]),
                        format!("`skip_on` cannot be at level `{level}`"),
                        Some(
                            "a skip is a spec-legal variant; give the level of the text it falls short of (should, should-not, may, convention), or judge the status with `expect`"
                                .to_string(),
                        ),
                    );
                }
                if skip.reason.trim().is_empty() {
                    self.val_err(
                        &join(&indexed(sp, "skip_on", i), &["reason"]),
                        "`skip_on` needs a reason",
                        Some(
                            "say why the status is a spec-legal variant, e.g. \"registry does not allow deletes\""
                                .to_string(),
                        ),
                    );
                }
            }
            self.captures(&step.capture, &join(sp, &["capture"]));
        }
        self.loop_vars.truncate(loop_mark);
    }

    fn for_each(&mut self, fe: &ForEach, fp: &[Seg]) {
        match (&fe.chunks, &fe.items) {
            (Some(_), Some(_)) => self.key_err(
                &join(fp, &["items"]),
                "`for_each` has both `chunks` and `items`",
                Some(
                    "a loop goes over the chunks of one blob or over a list of items, not both"
                        .to_string(),
                ),
            ),
            (None, None) => self.key_err(
                fp,
                "`for_each` needs `chunks: BLOB` (with `chunk_size`) or `items: [...]`",
                None,
            ),
            _ => {}
        }
        if let Some(blob) = &fe.chunks {
            self.blob_ref(&join(fp, &["chunks"]), blob);
            match fe.chunk_size {
                None => self.key_err(
                    &join(fp, &["chunks"]),
                    "`chunks` needs `chunk_size`",
                    Some("e.g. `for_each: { chunks: layer, chunk_size: 1MiB }`".to_string()),
                ),
                Some(size) if size.0 == 0 => self.val_err(
                    &join(fp, &["chunk_size"]),
                    "`chunk_size` must be greater than 0",
                    None,
                ),
                Some(_) => {}
            }
        } else if fe.chunk_size.is_some() {
            self.key_err(
                &join(fp, &["chunk_size"]),
                "`chunk_size` only applies to `chunks`",
                Some("remove it, or add `chunks: BLOB`".to_string()),
            );
        }
        if let Some(min) = &fe.min_chunk_size {
            if fe.chunks.is_some() {
                self.template(&join(fp, &["min_chunk_size"]), min);
            } else {
                self.key_err(
                    &join(fp, &["min_chunk_size"]),
                    "`min_chunk_size` only applies to `chunks`",
                    Some("remove it, or add `chunks: BLOB`".to_string()),
                );
            }
        }
        if let Some(items) = &fe.items {
            if items.is_empty() {
                self.key_err(
                    &join(fp, &["items"]),
                    "`items` is empty, so the loop would never run",
                    None,
                );
            }
            for (i, item) in items.iter().enumerate() {
                self.template(&indexed(fp, "items", i), item);
            }
        }
        // Defined even after an error, to avoid follow-up errors.
        if fe.chunks.is_some() {
            self.loop_vars
                .extend(CHUNK_VARS.iter().map(|s| s.to_string()));
        }
        if fe.items.is_some() {
            self.loop_vars
                .extend(ITEM_VARS.iter().map(|s| s.to_string()));
        }
    }

    fn blob_ref(&mut self, path: &[Seg], blob: &str) {
        if !self.blobs.iter().any(|b| b == blob) {
            let hint = self.declared_hint(blob, &self.blobs, "blobs");
            self.val_err(
                path,
                format!("blob `{blob}` is not declared under `blobs:`"),
                Some(hint),
            );
        }
    }

    fn document_ref(&mut self, path: &[Seg], doc: &str) {
        if !self.documents.iter().any(|d| d == doc) {
            let hint = self.declared_hint(doc, &self.documents, "documents");
            self.val_err(
                path,
                format!("document `{doc}` is not declared under `documents:`"),
                Some(hint),
            );
        }
    }

    /// A `push` step: names declared, nothing else that only request steps or groups have.
    fn push_step(&mut self, step: &Step, push: &PushSpec, sp: &[Seg]) {
        let name = &step.name;
        let hint = Some(
            "`push` uploads blobs and documents by itself; put other requests in steps of their own"
                .to_string(),
        );
        let others = [
            ("op", step.op.is_some()),
            ("request", step.request.is_some()),
            ("steps", !step.steps.is_empty()),
            ("expect", !expect_is_empty(&step.expect)),
            ("capture", !step.capture.is_empty()),
            ("skip_on", !step.skip_on.is_empty()),
        ];
        for (key, present) in others {
            if present {
                self.key_err(
                    &join(sp, &[key]),
                    format!("step `{name}` is a `push` step and cannot also have `{key}`"),
                    hint.clone(),
                );
            }
        }
        let pp = join(sp, &["push"]);
        if push.documents.is_empty() && push.blobs.is_empty() {
            self.key_err(
                &pp,
                format!("step `{name}` pushes nothing"),
                Some("e.g. `push: { documents: [config], blobs: [layer] }`".to_string()),
            );
        }
        for (i, doc) in push.documents.iter().enumerate() {
            self.document_ref(&indexed(&pp, "documents", i), doc);
        }
        for (i, blob) in push.blobs.iter().enumerate() {
            self.blob_ref(&indexed(&pp, "blobs", i), blob);
        }
        if let Some(repo) = &push.repository {
            self.template(&join(&pp, &["repository"]), repo);
        }
    }

    fn declared_hint(&self, name: &str, declared: &[String], section: &str) -> String {
        let similar = similar_names(name, declared.iter().map(String::as_str));
        if !similar.is_empty() {
            format!("did you mean {}?", one_of(&similar))
        } else if declared.is_empty() {
            format!("declare it under `{section}:` at the top of the scenario")
        } else {
            let all: Vec<&str> = declared.iter().map(String::as_str).collect();
            format!("declared {section}: {}", one_of(&all))
        }
    }

    fn request(&mut self, req: &RequestSpec, rp: &[Seg]) {
        if let Some(m) = &req.method
            && !method_token(m)
        {
            self.val_err(
                &join(rp, &["method"]),
                format!("`{m}` is not an HTTP method"),
                Some("use a method such as GET, HEAD, PUT, PATCH, POST or DELETE".to_string()),
            );
        }
        let hint = Some(
            "`path` is a path under the target root; `url` is a full or captured URL (e.g. a `Location`)"
                .to_string(),
        );
        match (&req.path, &req.url) {
            (Some(_), Some(_)) => self.key_err(
                &join(rp, &["url"]),
                "request has both `path` and `url`; give exactly one",
                hint,
            ),
            (None, None) => self.key_err(rp, "request needs a `path` or a `url`", hint),
            _ => {}
        }
        if let Some(path) = &req.path {
            self.template(&join(rp, &["path"]), path);
            if !path.starts_with('/') && !path.starts_with("{{") {
                self.val_err(
                    &join(rp, &["path"]),
                    format!("request path `{path}` must start with `/`"),
                    Some("use `url:` for a full URL".to_string()),
                );
            }
        }
        if let Some(url) = &req.url {
            self.template(&join(rp, &["url"]), url);
        }
        for (key, map) in [("query", &req.query), ("headers", &req.headers)] {
            for (name, value) in map {
                self.template(&join(rp, &[key, name]), value);
            }
        }
        if let Some(body) = &req.body {
            self.body(body, &join(rp, &["body"]));
        }
    }

    fn body(&mut self, b: &BodySpec, bp: &[Seg]) {
        let kinds: Vec<&str> = [
            ("blob", b.blob.is_some()),
            ("document", b.document.is_some()),
            ("json", b.json.is_some()),
            ("text", b.text.is_some()),
            ("form", b.form.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        let hint = Some(
            "a body is exactly one of `blob` (+ `bytes`), `document`, `json`, `text` or `form`"
                .to_string(),
        );
        match kinds.as_slice() {
            [] if b.bytes.is_some() => {}
            [] => self.key_err(bp, "the body is empty", hint),
            [_] => {}
            [first, second, ..] => self.key_err(
                &join(bp, &[second]),
                format!("the body has both `{first}` and `{second}`"),
                hint,
            ),
        }
        if let Some(bytes) = &b.bytes {
            let path = join(bp, &["bytes"]);
            if b.blob.is_none() {
                self.key_err(
                    &path,
                    "`bytes` selects a range of a blob and needs `blob:`",
                    Some("e.g. `body: { blob: layer, bytes: \"0-1023\" }`".to_string()),
                );
            }
            self.template(&path, bytes);
            if !bytes.contains("{{") && !static_range(bytes) {
                self.val_err(
                    &path,
                    format!("`bytes: {bytes}` is not an inclusive range `START-END`"),
                    Some("e.g. `0-1023` or `\"{{chunk.start}}-{{chunk.end}}\"`".to_string()),
                );
            }
        }
        if let Some(blob) = &b.blob {
            self.blob_ref(&join(bp, &["blob"]), blob);
        }
        if let Some(doc) = &b.document {
            self.document_ref(&join(bp, &["document"]), doc);
        }
        if let Some(json) = &b.json {
            self.json(&join(bp, &["json"]), json);
        }
        if let Some(text) = &b.text {
            self.template(&join(bp, &["text"]), text);
        }
        if let Some(form) = &b.form {
            for (name, value) in form {
                self.template(&join(bp, &["form", name]), value);
            }
        }
    }

    fn expect(&mut self, e: &Expect, ep: &[Seg]) {
        for (name, m) in &e.headers {
            let hp = join(ep, &["headers", name]);
            if m.equals.is_none() && m.regex.is_none() && m.present.is_none() {
                self.key_err(
                    &hp,
                    format!("the matcher for header `{name}` tests nothing"),
                    Some("give `equals`, `regex` or `present`".to_string()),
                );
            }
            if m.optional && m.equals.is_none() && m.regex.is_none() {
                self.key_err(
                    &join(&hp, &["optional"]),
                    format!("`optional` header `{name}` needs `equals` or `regex` to test"),
                    Some("an optional header is held to its value only when present".to_string()),
                );
            }
            if m.optional && m.present.is_some() {
                self.key_err(
                    &join(&hp, &["optional"]),
                    format!("header `{name}` cannot be both `optional` and `present`"),
                    None,
                );
            }
            if m.present == Some(false) && (m.equals.is_some() || m.regex.is_some()) {
                self.key_err(
                    &join(&hp, &["present"]),
                    format!(
                        "header `{name}` cannot be absent (`present: false`) and also match a value"
                    ),
                    None,
                );
            }
            if let Some(eq) = &m.equals {
                self.template(&join(&hp, &["equals"]), eq);
            }
            if let Some(r) = &m.regex {
                self.regex(&join(&hp, &["regex"]), r);
            }
        }
        for (i, m) in e.json.iter().enumerate() {
            let jp = indexed(ep, "json", i);
            self.pointer(&join(&jp, &["pointer"]), &m.pointer);
            let tests = m.equals.is_some()
                || m.not_equals.is_some()
                || m.present.is_some()
                || m.length.is_some()
                || m.contains.is_some()
                || m.not_contains.is_some()
                || m.includes.is_some()
                || m.not_includes.is_some()
                || m.sorted.is_some();
            if !tests {
                self.key_err(
                    &jp,
                    format!("the JSON matcher for `{}` tests nothing", m.pointer),
                    Some(
                        "give `equals`, `not_equals`, `present`, `length`, `contains`, `not_contains`, `includes`, `not_includes` or `sorted`"
                            .to_string(),
                    ),
                );
            }
            for (key, value) in [
                ("equals", &m.equals),
                ("not_equals", &m.not_equals),
                ("contains", &m.contains),
                ("not_contains", &m.not_contains),
                ("includes", &m.includes),
                ("not_includes", &m.not_includes),
            ] {
                if let Some(v) = value {
                    self.json(&join(&jp, &[key]), v);
                }
            }
            if let Some(key) = m.sorted.as_ref().and_then(|s| s.key.as_ref()) {
                self.pointer(&join(&jp, &["sorted", "key"]), key);
            }
        }
        if let Some(d) = &e.body_digest {
            self.template(&join(ep, &["body_digest"]), d);
        }
        if let Some(len) = &e.body_length {
            let path = join(ep, &["body_length"]);
            self.template(&path, len);
            if !len.contains("{{") && len.trim().parse::<u64>().is_err() {
                self.val_err(
                    &path,
                    format!("`body_length: {len}` is not a number of bytes"),
                    None,
                );
            }
        }
    }

    fn pointer(&mut self, path: &[Seg], p: &str) {
        if !json_pointer(p) {
            self.val_err(
                path,
                format!("JSON pointer `{p}` must be empty or start with `/`"),
                Some("e.g. `/tags/0/name` (RFC 6901); `\"\"` is the whole document".to_string()),
            );
        }
    }

    fn captures(&mut self, caps: &IndexMap<String, CaptureSpec>, cp: &[Seg]) {
        for (name, c) in caps {
            let path = join(cp, &[name]);
            self.check_new_var(&path, name, "capture");
            let sources: Vec<&str> = [
                ("header", c.header.is_some()),
                ("json", c.json.is_some()),
                ("body_digest", c.body_digest == Some(true)),
            ]
            .into_iter()
            .filter_map(|(k, set)| set.then_some(k))
            .collect();
            let hint = Some(
                "give exactly one of `header: NAME`, `json: /pointer` or `body_digest: true`"
                    .to_string(),
            );
            match sources.as_slice() {
                [] => self.key_err(&path, format!("capture `{name}` has no source"), hint),
                [_] => {}
                [first, second, ..] => self.key_err(
                    &join(&path, &[second]),
                    format!("capture `{name}` has more than one source (`{first}` and `{second}`)"),
                    hint,
                ),
            }
            if let Some(p) = &c.json {
                self.pointer(&join(&path, &["json"]), p);
            }
            if let Some(r) = &c.regex {
                self.regex(&join(&path, &["regex"]), r);
            }
        }
        self.defined.extend(caps.keys().cloned());
    }
}

/// `START-END` with integers and START <= END.
fn static_range(s: &str) -> bool {
    let Some((a, b)) = s.trim().split_once('-') else {
        return false;
    };
    match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
        (Ok(a), Ok(b)) => a <= b,
        _ => false,
    }
}

fn expect_is_empty(e: &Expect) -> bool {
    e.status.is_none()
        && e.preferred_status.is_none()
        && e.headers.is_empty()
        && e.json.is_empty()
        && e.body_digest.is_none()
        && e.body_length.is_none()
        && e.schema.is_none()
}

fn collect_captures(steps: &[Step], out: &mut Vec<(String, String)>) {
    for step in steps {
        out.extend(step.capture.keys().map(|k| (k.clone(), step.name.clone())));
        collect_captures(&step.steps, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::parse_str;
    use std::path::PathBuf;

    #[test]
    fn a_skip_cannot_be_at_must_level() {
        let text = r#"name: t
steps:
  - name: one
    op: GetBlob
    request: { path: /v2/x }
    skip_on:
      - { status: 413, level: must, reason: "too big" }
      - { status: 400, level: should, reason: "refused" }
"#;
        let got = errors(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("t.yaml:7:31: `skip_on` cannot be at level `MUST`"),
            "{got:?}"
        );
    }

    fn errors(text: &str) -> Vec<String> {
        let path = PathBuf::from("t.yaml");
        let scenario = match parse_str(&path, text) {
            Ok(s) => s,
            Err(e) => panic!("parse failed: {e}"),
        };
        let loaded = LoadedScenario::new(scenario, path, text.to_string());
        validate(&loaded).iter().map(|e| e.to_string()).collect()
    }

    const GOOD: &str = r#"name: blob-chunked-upload
vars: { tag: v1, ref: "{{repo}}:{{tag}}" }
blobs:
  layer: { size: 3MiB, seed: 1 }
documents:
  config:
    media_type: application/vnd.oci.image.config.v1+json
    json: { architecture: amd64 }
  image:
    media_type: application/vnd.oci.image.manifest.v1+json
    json:
      config: { digest: "{{documents.config.digest}}", size: "{{documents.config.size}}" }
      layers: [ { digest: "{{blobs.layer.digest}}" } ]
steps:
  - name: start upload
    op: StartUpload
    request:
      path: /v2/{{repo}}/blobs/uploads/
    expect:
      status: 202
      headers:
        Location: { present: true, regex: "^/v2/{{repo}}/.*" }
    capture:
      upload: { header: Location }
  - name: chunks
    for_each: { chunks: layer, chunk_size: 1MiB }
    steps:
      - name: send chunk
        op: UploadChunk
        request:
          url: "{{upload}}"
          headers: { Content-Range: "{{chunk.start}}-{{chunk.end}}" }
          body: { blob: layer, bytes: "{{chunk.start}}-{{chunk.end}}" }
        expect: { status: 202, headers: { Range: { equals: "0-{{chunk.end}}" } } }
        capture:
          upload: { header: Location }
  - name: complete
    op: CompleteUpload
    request:
      method: PUT
      url: "{{upload}}"
      query: { digest: "{{blobs.layer.digest}}" }
  - name: push
    op: CreateManifest
    request:
      path: /v2/{{repo}}/manifests/{{tag}}
      body: { document: image }
    expect:
      json: [ { pointer: /tags, contains: "{{tag}}" } ]
    skip_on: [ { status: 405, reason: "deletes are disabled" } ]
  - name: tags
    for_each: { items: [a, "{{tag}}"] }
    op: GetTagList
    request: { path: "/v2/{{repo}}/tags/{{item}}/{{item.index}}" }
"#;

    #[test]
    fn a_well_formed_scenario_has_no_errors() {
        assert_eq!(errors(GOOD), Vec::<String>::new());
    }

    #[test]
    fn undefined_placeholders_are_located_with_hints() {
        let text = GOOD.replace(
            "/v2/{{repo}}/manifests/{{tag}}",
            "/v2/{{repo}}/manifests/{{tga}}",
        );
        assert_eq!(
            errors(&text),
            vec!["t.yaml:46:36: undefined variable `{{tga}}`\n  hint: did you mean `tag`?"]
        );
        let text = GOOD.replace(
            "path: /v2/{{repo}}/blobs/uploads/",
            "path: /v2/{{upload}}/x",
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("t.yaml:18:17: undefined variable `{{upload}}`\n  hint: `upload` is captured by step `start upload`, which comes later"), "{e:?}");
    }

    #[test]
    fn push_steps_name_declared_content_and_nothing_else() {
        let ok = r#"name: p
blobs: { layer: { size: 1 } }
documents: { config: { media_type: x, json: {} } }
steps:
  - { name: push, push: { documents: [config], blobs: [layer], repository: "{{repo}}-src" } }
"#;
        assert_eq!(errors(ok), Vec::<String>::new());
        let bad = r#"name: p
blobs: { layer: { size: 1 } }
steps:
  - name: push
    op: StartUpload
    push: { documents: [confg], blobs: [layr], repository: "{{rep}}" }
  - { name: empty, push: {} }
"#;
        let e = errors(bad);
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(
            e[0].contains("is a `push` step and cannot also have `op`"),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("document `confg` is not declared")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("blob `layr` is not declared")
                    && m.contains("did you mean `layer`")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.contains("undefined variable `{{rep}}`")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.contains("step `empty` pushes nothing")),
            "{e:?}"
        );
    }

    #[test]
    fn loop_variables_exist_only_inside_their_loop() {
        let text = GOOD.replace(
            "query: { digest: \"{{blobs.layer.digest}}\" }",
            "query: { n: \"{{chunk.index}}\" }",
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("t.yaml:42:20: undefined variable `{{chunk.index}}`\n  hint: `chunk.index` is only defined inside a `for_each` loop"), "{e:?}");
    }

    #[test]
    fn documents_may_only_use_earlier_documents_and_declared_blobs() {
        let text = r#"name: docs
blobs: { layer: { size: 1 } }
documents:
  a: { media_type: x, json: { d: "{{documents.b.digest}}", s: "{{blobs.layr.size}}", m: "{{blobs.layer.length}}" } }
  b: { media_type: x, json: {} }
steps:
  - { name: s, op: CheckDockerV2Support, request: { path: /v2/ } }
"#;
        assert_eq!(
            errors(text),
            vec![
                "t.yaml:4:35: undefined variable `{{documents.b.digest}}`\n  hint: no documents entry `b` is declared before this point; declare it under `documents:`",
                "t.yaml:4:64: undefined variable `{{blobs.layr.size}}`\n  hint: no blobs entry `layr` is declared; did you mean `layer`?",
                "t.yaml:4:90: undefined variable `{{blobs.layer.length}}`\n  hint: `blobs.layer` has `.digest`, `.size` and `.base64`, not `.length`",
            ]
        );
    }

    #[test]
    fn step_shape_rules() {
        let text = r#"name: Bad_Name
steps:
  - name: group
    op: GetBlob
    expect: { status: 200 }
    steps:
      - { name: a, op: GetBlob }
      - { name: b, request: { path: /v2/, url: "http://x/" } }
      - { name: a }
  - name: req
    op: GetBlob
    request: { method: "GE T", path: v2/x, body: { text: hi, json: {} } }
"#;
        assert_eq!(
            errors(text),
            vec![
                "t.yaml:1:7: scenario name `Bad_Name` is not allowed\n  hint: use lowercase letters, digits and `-`, starting with a letter or digit (it is also the repository name)",
                "t.yaml:4:5: step `group` is a group (it has `steps`) and cannot also have `op`\n  hint: a step either sends a request (`op` + `request`) or groups sub-steps (`steps`); move this into a sub-step",
                "t.yaml:5:5: step `group` is a group and has no response of its own for `expect`\n  hint: a step either sends a request (`op` + `request`) or groups sub-steps (`steps`); move this into a sub-step",
                "t.yaml:7:20: step `a` has `op` but no `request`\n  hint: add `request:` with a `path:` or a `url:`",
                "t.yaml:8:20: step `b` has a `request` but no `op`\n  hint: name the contract operation it exercises, e.g. `op: GetManifest` (`regcheck list --operations` shows them all)",
                "t.yaml:8:43: request has both `path` and `url`; give exactly one\n  hint: `path` is a path under the target root; `url` is a full or captured URL (e.g. a `Location`)",
                "t.yaml:9:9: step `a` has neither `op` + `request` nor `steps`\n  hint: a step either sends a request (`op` + `request`) or groups sub-steps (`steps`)",
                "t.yaml:9:17: duplicate step name `a` (also used at line 7)\n  hint: step names must be unique within their list; rename one",
                "t.yaml:12:24: `GE T` is not an HTTP method\n  hint: use a method such as GET, HEAD, PUT, PATCH, POST or DELETE",
                "t.yaml:12:38: request path `v2/x` must start with `/`\n  hint: use `url:` for a full URL",
                "t.yaml:12:52: the body has both `json` and `text`\n  hint: a body is exactly one of `blob` (+ `bytes`), `document`, `json`, `text` or `form`",
            ]
        );
    }

    #[test]
    fn matcher_capture_loop_and_reference_rules() {
        let text = r#"name: rules
blobs: { layer: { size: 10 } }
steps:
  - name: one
    for_each: { chunks: layer, items: [a] }
    op: GetBlob
    request:
      path: /v2/x
      body: { blob: layr, bytes: "5-1" }
    expect:
      headers:
        X-A: {}
        X-B: { regex: "([a-{{item}}" }
      json:
        - { pointer: tags }
      body_length: ten
    capture:
      repo: { header: X }
      both: { header: X, json: /a }
      none: { regex: "(.*)" }
    skip_on: [ { status: 405, reason: " " } ]
  - name: two
    for_each: { chunk_size: 0 }
    op: GetBlob
    request: { path: /v2/x, body: { document: manifest } }
"#;
        assert_eq!(
            errors(text),
            vec![
                "t.yaml:5:17: `chunks` needs `chunk_size`\n  hint: e.g. `for_each: { chunks: layer, chunk_size: 1MiB }`",
                "t.yaml:5:32: `for_each` has both `chunks` and `items`\n  hint: a loop goes over the chunks of one blob or over a list of items, not both",
                "t.yaml:9:21: blob `layr` is not declared under `blobs:`\n  hint: did you mean `layer`?",
                "t.yaml:9:34: `bytes: 5-1` is not an inclusive range `START-END`\n  hint: e.g. `0-1023` or `\"{{chunk.start}}-{{chunk.end}}\"`",
                "t.yaml:12:9: the matcher for header `X-A` tests nothing\n  hint: give `equals`, `regex` or `present`",
                "t.yaml:13:23: invalid regex `([a-{{item}}`: unclosed character class",
                "t.yaml:15:11: the JSON matcher for `tags` tests nothing\n  hint: give `equals`, `not_equals`, `present`, `length`, `contains`, `not_contains`, `includes`, `not_includes` or `sorted`",
                "t.yaml:15:22: JSON pointer `tags` must be empty or start with `/`\n  hint: e.g. `/tags/0/name` (RFC 6901); `\"\"` is the whole document",
                "t.yaml:16:20: `body_length: ten` is not a number of bytes",
                "t.yaml:18:7: capture `repo` would hide the built-in variable of the same name\n  hint: choose another name",
                "t.yaml:19:26: capture `both` has more than one source (`header` and `json`)\n  hint: give exactly one of `header: NAME`, `json: /pointer` or `body_digest: true`",
                "t.yaml:20:7: capture `none` has no source\n  hint: give exactly one of `header: NAME`, `json: /pointer` or `body_digest: true`",
                "t.yaml:21:39: `skip_on` needs a reason\n  hint: say why the status is a spec-legal variant, e.g. \"registry does not allow deletes\"",
                "t.yaml:23:5: `for_each` needs `chunks: BLOB` (with `chunk_size`) or `items: [...]`",
                "t.yaml:23:17: `chunk_size` only applies to `chunks`\n  hint: remove it, or add `chunks: BLOB`",
                "t.yaml:25:47: document `manifest` is not declared under `documents:`\n  hint: declare it under `documents:` at the top of the scenario",
            ]
        );
    }
}
