//! The `{{placeholder}}` template engine shared by validation and the runner: finding the
//! placeholders in a string, rendering strings and JSON values against layered variables
//! ([`Scope`]), and the typed values ([`TValue`]) that let `"{{blobs.layer.size}}"` become a JSON
//! number.
//!
//! Syntax: `{{ name }}` (whitespace inside the braces is ignored). Names are made of ASCII
//! letters, digits, `_`, `-` and `.`. There is no escaping: a template cannot produce a literal
//! `{{`. A `}}` without an opening `{{` is ordinary text.

use std::collections::HashMap;
use std::fmt;

/// A template variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TValue {
    /// Text.
    Str(String),
    /// An integer (sizes, indexes, offsets); becomes a JSON number when it is a whole JSON string.
    Int(i64),
}

impl TValue {
    /// The value as JSON: `Int` → number, `Str` → string.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            TValue::Str(s) => serde_json::Value::String(s.clone()),
            TValue::Int(n) => serde_json::Value::from(*n),
        }
    }
}

impl fmt::Display for TValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TValue::Str(s) => f.write_str(s),
            TValue::Int(n) => write!(f, "{n}"),
        }
    }
}

impl From<String> for TValue {
    fn from(s: String) -> Self {
        TValue::Str(s)
    }
}

impl From<&str> for TValue {
    fn from(s: &str) -> Self {
        TValue::Str(s.to_string())
    }
}

impl From<i64> for TValue {
    fn from(n: i64) -> Self {
        TValue::Int(n)
    }
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without a matching `}}`.
    #[error("unclosed `{{{{` in template `{template}`; close it with `}}}}`")]
    Unclosed {
        /// The whole template text.
        template: String,
    },
    /// `{{}}` or `{{  }}`.
    #[error("empty placeholder `{{{{}}}}` in template `{template}`; write a variable name inside")]
    Empty {
        /// The whole template text.
        template: String,
    },
    /// A name with characters outside `[A-Za-z0-9_.-]`.
    #[error(
        "invalid placeholder name `{name}`; names use letters, digits, `_`, `-` and `.` (e.g. `{{{{blobs.layer.digest}}}}`)"
    )]
    BadName {
        /// The offending name.
        name: String,
    },
    /// The variable is not defined where the template is rendered.
    #[error("undefined variable `{name}` in template `{template}`")]
    Missing {
        /// The missing variable.
        name: String,
        /// The whole template text.
        template: String,
    },
}

/// Something that resolves variable names to values.
///
/// `Send + Sync` so that scopes can be held across `.await` points in the runner.
pub trait Lookup: Send + Sync {
    /// The value of `name`, if defined.
    fn get(&self, name: &str) -> Option<TValue>;
}

impl Lookup for HashMap<String, TValue> {
    fn get(&self, name: &str) -> Option<TValue> {
        HashMap::get(self, name).cloned()
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn get(&self, name: &str) -> Option<TValue> {
        (**self).get(name)
    }
}

/// A layer of variables over an optional parent: lookups try this layer first, then the parent
/// chain. Loops push a scope per iteration so `chunk.*`/`item` shadow nothing outside.
#[derive(Default)]
pub struct Scope<'a> {
    vars: HashMap<String, TValue>,
    parent: Option<&'a dyn Lookup>,
}

impl<'a> Scope<'a> {
    /// An empty root scope.
    pub fn new() -> Self {
        Scope {
            vars: HashMap::new(),
            parent: None,
        }
    }

    /// An empty scope layered over `parent`.
    pub fn with_parent(parent: &'a dyn Lookup) -> Self {
        Scope {
            vars: HashMap::new(),
            parent: Some(parent),
        }
    }

    /// Defines (or redefines) `name` in this layer.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<TValue>) {
        self.vars.insert(name.into(), value.into());
    }

    /// The variables of this layer only (not the parents').
    pub fn local(&self) -> &HashMap<String, TValue> {
        &self.vars
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("vars", &self.vars)
            .field("has_parent", &self.parent.is_some())
            .finish()
    }
}

impl Lookup for Scope<'_> {
    fn get(&self, name: &str) -> Option<TValue> {
        match self.vars.get(name) {
            Some(v) => Some(v.clone()),
            None => self.parent.and_then(|p| p.get(name)),
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'s> {
    Text(&'s str),
    Var(&'s str),
}

fn valid_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Splits a template into text and variable pieces.
fn parse(s: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| TemplateError::Unclosed {
            template: s.to_string(),
        })?;
        let name = after[..close].trim();
        if name.is_empty() {
            return Err(TemplateError::Empty {
                template: s.to_string(),
            });
        }
        if !valid_name(name) {
            return Err(TemplateError::BadName {
                name: name.to_string(),
            });
        }
        pieces.push(Piece::Var(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The placeholder names used in `s`, in order of appearance (trimmed, repeats kept).
pub fn placeholders(s: &str) -> Result<Vec<String>, TemplateError> {
    Ok(parse(s)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(name) => Some(name.to_string()),
            Piece::Text(_) => None,
        })
        .collect())
}

/// `s` with every placeholder replaced by `replacement` (used to compile regex templates before
/// their variables are known).
pub fn replace_placeholders(s: &str, replacement: &str) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(s.len());
    for piece in parse(s)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(_) => out.push_str(replacement),
        }
    }
    Ok(out)
}

/// Renders a string template.
pub fn render_str(s: &str, vars: &dyn Lookup) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(s.len());
    for piece in parse(s)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => {
                let value = vars.get(name).ok_or_else(|| TemplateError::Missing {
                    name: name.to_string(),
                    template: s.to_string(),
                })?;
                out.push_str(&value.to_string());
            }
        }
    }
    Ok(out)
}

/// Renders a template that may be exactly one placeholder: then the variable's value is returned
/// with its type; otherwise the rendered text.
pub fn render_value(s: &str, vars: &dyn Lookup) -> Result<TValue, TemplateError> {
    let pieces = parse(s)?;
    if let [Piece::Var(name)] = pieces.as_slice() {
        return vars.get(name).ok_or_else(|| TemplateError::Missing {
            name: name.to_string(),
            template: s.to_string(),
        });
    }
    render_str(s, vars).map(TValue::Str)
}

/// Renders every string (and object key) of a JSON value. A string that is exactly one
/// placeholder keeps the variable's type (`Int` → JSON number).
pub fn render_json(
    v: &serde_json::Value,
    vars: &dyn Lookup,
) -> Result<serde_json::Value, TemplateError> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => render_value(s, vars)?.to_json(),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_json(item, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, value) in map {
                out.insert(render_str(key, vars)?, render_json(value, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Every placeholder used in the strings and keys of a JSON value, in document order.
pub fn json_placeholders(v: &serde_json::Value) -> Result<Vec<String>, TemplateError> {
    use serde_json::Value;
    let mut out = Vec::new();
    match v {
        Value::String(s) => out.extend(placeholders(s)?),
        Value::Array(items) => {
            for item in items {
                out.extend(json_placeholders(item)?);
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                out.extend(placeholders(key)?);
                out.extend(json_placeholders(value)?);
            }
        }
        _ => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> HashMap<String, TValue> {
        let mut m = HashMap::new();
        m.insert("repo".to_string(), TValue::from("ns/demo"));
        m.insert("blobs.layer.size".to_string(), TValue::Int(3145728));
        m.insert("tag".to_string(), TValue::from("v1"));
        m
    }

    #[test]
    fn placeholders_are_found_trimmed_and_in_order() {
        assert_eq!(
            placeholders("/v2/{{ repo }}/manifests/{{tag}}{{repo}}").unwrap(),
            vec!["repo", "tag", "repo"]
        );
        assert!(placeholders("no templates } here }}").unwrap().is_empty());
    }

    #[test]
    fn placeholder_syntax_errors_are_reported() {
        assert!(matches!(
            placeholders("/v2/{{repo"),
            Err(TemplateError::Unclosed { .. })
        ));
        assert!(matches!(
            placeholders("a{{  }}b"),
            Err(TemplateError::Empty { .. })
        ));
        assert_eq!(
            placeholders("{{bad name}}"),
            Err(TemplateError::BadName {
                name: "bad name".into()
            })
        );
    }

    #[test]
    fn render_str_substitutes_and_names_missing_variables() {
        let v = vars();
        assert_eq!(
            render_str("/v2/{{repo}}/manifests/{{ tag }}", &v).unwrap(),
            "/v2/ns/demo/manifests/v1"
        );
        assert_eq!(
            render_str("size={{blobs.layer.size}}", &v).unwrap(),
            "size=3145728"
        );
        let err = render_str("/v2/{{repo}}/{{upload}}", &v).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Missing {
                name: "upload".into(),
                template: "/v2/{{repo}}/{{upload}}".into()
            }
        );
        assert!(err.to_string().contains("`upload`"));
    }

    #[test]
    fn render_json_keeps_types_of_lone_placeholders_and_renders_keys() {
        let v = vars();
        let doc = json!({
            "size": "{{blobs.layer.size}}",
            "sizeText": "n={{blobs.layer.size}}",
            "{{tag}}": ["{{repo}}", 5, true, null],
            "nested": { "spaced": "{{ blobs.layer.size }}" }
        });
        let out = render_json(&doc, &v).unwrap();
        assert_eq!(
            out,
            json!({
                "size": 3145728,
                "sizeText": "n=3145728",
                "v1": ["ns/demo", 5, true, null],
                "nested": { "spaced": 3145728 }
            })
        );
        assert!(matches!(
            render_json(&json!({"a": ["{{nope}}"]}), &v),
            Err(TemplateError::Missing { name, .. }) if name == "nope"
        ));
        assert!(matches!(
            render_json(&json!({"{{nokey}}": 1}), &v),
            Err(TemplateError::Missing { name, .. }) if name == "nokey"
        ));
    }

    #[test]
    fn scopes_layer_over_parents_and_shadow() {
        let root = vars();
        let mut outer = Scope::with_parent(&root);
        outer.set("upload", "/v2/x/uploads/1");
        let mut inner = Scope::with_parent(&outer);
        inner.set("chunk.index", 2);
        inner.set("tag", "v2");
        assert_eq!(
            render_str("{{repo}} {{upload}} {{chunk.index}} {{tag}}", &inner).unwrap(),
            "ns/demo /v2/x/uploads/1 2 v2"
        );
        assert_eq!(outer.get("tag"), Some(TValue::from("v1")));
        assert_eq!(outer.get("chunk.index"), None);
        assert_eq!(inner.local().len(), 2);
    }

    #[test]
    fn replace_placeholders_substitutes_every_variable() {
        assert_eq!(
            replace_placeholders("^{{a}}-[0-9]+{{ b }}$", "x").unwrap(),
            "^x-[0-9]+x$"
        );
    }

    #[test]
    fn json_placeholders_walks_keys_and_values() {
        let doc = json!({"{{k}}": [{"a": "{{x}}-{{y}}"}], "n": 1});
        assert_eq!(json_placeholders(&doc).unwrap(), vec!["k", "x", "y"]);
    }
}
