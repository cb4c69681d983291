//! Loading scenario files: reading, parsing with serde_yaml (errors mapped to `file:line:col`
//! with cleaned-up messages), directory expansion, cross-file checks (duplicate names) and the
//! one-call [`load_and_validate`], which hands back the validated model.

use super::error::{ScenarioError, one_of, similar_names};
use super::model::Scenario;
use super::source::{Seg, SourcePos, YamlIndex, parse_path};
use super::valid::{ValidScenario, convert};
use super::validate::validate;
use crate::vocab::Operation;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A parsed scenario with the file it came from, its raw text and the positions in that text
/// (for locating errors; indexed once per file).
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The parsed scenario.
    pub scenario: Scenario,
    /// The file, as given (or as found in a given directory).
    pub file: PathBuf,
    /// The raw YAML text.
    pub source: String,
    /// Where each part of `source` is written.
    pub index: YamlIndex,
}

impl LoadedScenario {
    /// `scenario`, parsed from `source` read from `file`; indexes `source`.
    pub fn new(scenario: Scenario, file: PathBuf, source: String) -> Self {
        let index = YamlIndex::new(&source);
        LoadedScenario {
            scenario,
            file,
            source,
            index,
        }
    }
}

/// The directory of the scenarios bundled with regcheck (`<crate>/scenarios`).
pub fn builtin_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

/// Loads and validates the bundled scenarios from [`builtin_dir`].
///
/// The directory is the one of the source tree regcheck was built from, so an installed binary
/// whose source tree has moved must be given `--scenarios DIR` instead.
pub fn builtin() -> Result<Vec<ValidScenario>, Vec<ScenarioError>> {
    load_and_validate(&[builtin_dir()])
}

/// Loads `paths` (files, or directories searched for `*.yaml`/`*.yml`) and validates every
/// scenario. All errors of all files are returned together; without any, the scenarios in the
/// validated model.
pub fn load_and_validate(paths: &[PathBuf]) -> Result<Vec<ValidScenario>, Vec<ScenarioError>> {
    let (loaded, mut errors) = load_all(paths);
    for scenario in &loaded {
        errors.extend(validate(scenario));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut valid = Vec::with_capacity(loaded.len());
    for scenario in loaded {
        match convert(scenario) {
            Ok(v) => valid.push(v),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}

/// Loads `paths` without semantic validation: files are parsed, directories are searched
/// (not recursively) for `*.yaml`/`*.yml` files in name order, and scenario names must be unique.
/// All errors of all files are returned together.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedScenario>, Vec<ScenarioError>> {
    let (loaded, errors) = load_all(paths);
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// Loads what can be loaded and collects every error.
fn load_all(paths: &[PathBuf]) -> (Vec<LoadedScenario>, Vec<ScenarioError>) {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match scenario_files(path) {
                Ok(found) if found.is_empty() => {
                    errors.push(ScenarioError::NoScenarios { path: path.clone() })
                }
                Ok(found) => files.extend(found),
                Err(source) => errors.push(ScenarioError::Read {
                    path: path.clone(),
                    source,
                }),
            }
        } else {
            files.push(path.clone());
        }
    }
    // The same file given twice (e.g. a directory and a file in it) is loaded once.
    let mut seen = HashSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));

    let mut loaded: Vec<LoadedScenario> = Vec::new();
    let mut names: HashMap<String, SourcePos> = HashMap::new();
    for file in files {
        match load_file_all(&file) {
            Ok(scenario) => {
                let (line, col) = scenario.index.value_pos(&[Seg::key("name")]);
                let pos = SourcePos::new(&scenario.file, line, col);
                let name = scenario.scenario.name.clone();
                if let Some(first) = names.get(&name) {
                    errors.push(ScenarioError::Duplicate {
                        name,
                        first: first.clone(),
                        second: pos,
                    });
                } else {
                    names.insert(name, pos);
                    loaded.push(scenario);
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    (loaded, errors)
}

/// The `*.yaml`/`*.yml` files directly in `dir`, sorted by name.
fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and parses one scenario file (no semantic validation; see
/// [`validate`](super::validate::validate)). Only the first parse error is returned; the
/// loaders report all of them.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    load_file_all(path).map_err(|mut errors| errors.remove(0))
}

/// [`load_file`] reporting every error of the file: each parse error (the offending node is
/// left out and the rest parsed again), then the format checks of what remains, except those
/// inside a mapping that lost a node (they may only repeat the parse error: a step whose `op`
/// was left out "has no `op`").
fn load_file_all(path: &Path) -> Result<LoadedScenario, Vec<ScenarioError>> {
    let source = std::fs::read_to_string(path).map_err(|source| {
        vec![ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        }]
    })?;
    let parsed = parse_all(path, &source);
    if parsed.errors.is_empty()
        && let Some(scenario) = parsed.scenario
    {
        return Ok(LoadedScenario::new(scenario, path.to_path_buf(), source));
    }
    let mut errors = parsed.errors;
    if let Some(scenario) = parsed.scenario {
        let repaired = LoadedScenario::new(scenario, path.to_path_buf(), source);
        errors.extend(validate(&repaired).into_iter().filter(|e| {
            e.pos().is_none_or(|p| {
                let at = (p.line, p.col);
                !parsed
                    .lost_in
                    .iter()
                    .any(|(from, to)| *from <= at && at <= *to)
            })
        }));
        errors.sort_by(|a, b| a.pos().cmp(&b.pos()));
    }
    Err(errors)
}

/// Most parse errors reported for one file.
const MAX_PARSE_ERRORS: usize = 25;

/// What [`parse_all`] found.
struct Parsed {
    /// The scenario, with the offending nodes left out when there were errors (`None` when the
    /// YAML itself is broken or a node could not be left out).
    scenario: Option<Scenario>,
    /// Every parse error, in the order found.
    errors: Vec<ScenarioError>,
    /// First and last positions of the mappings that lost a node.
    lost_in: Vec<((usize, usize), (usize, usize))>,
}

/// Parses scenario text and reports every type error, not only the first: after each one the
/// offending node (an unknown key, a value of the wrong type) is left out and the document is
/// deserialized again, up to [`MAX_PARSE_ERRORS`].
fn parse_all(path: &Path, text: &str) -> Parsed {
    let first = match parse_str(path, text) {
        Ok(scenario) => {
            return Parsed {
                scenario: Some(scenario),
                errors: Vec::new(),
                lost_in: Vec::new(),
            };
        }
        Err(e) => e,
    };
    let mut out = Parsed {
        scenario: None,
        errors: Vec::new(),
        lost_in: Vec::new(),
    };
    let first_msg = match &first {
        ScenarioError::Parse { msg, .. } => msg.clone(),
        _ => String::new(),
    };
    out.errors.push(first);
    // A syntax error (or several documents) ends it: there is no tree to go on with.
    let Ok(mut value) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return out;
    };
    let index = YamlIndex::new(text);
    let (mut segs, mut msg) = split_path(&first_msg);
    let mut removed: Vec<Vec<Seg>> = Vec::new();
    while out.errors.len() < MAX_PARSE_ERRORS {
        let Some(target) = offending_node(&segs, &msg) else {
            return out;
        };
        if removed.contains(&target) || !remove_node(&mut value, &target) {
            return out;
        }
        // From the parent's key (errors about a mapping point there) to its value's end.
        let parent = &target[..target.len() - 1];
        if let Some((start, end)) = index.value_span(parent) {
            out.lost_in.push((index.key_pos(parent).min(start), end));
        }
        removed.push(target);
        match serde_path_to_error::deserialize::<_, Scenario>(value.clone()) {
            Ok(scenario) => {
                out.scenario = Some(scenario);
                return out;
            }
            Err(e) => {
                let Some(path_segs) = segments(e.path()) else {
                    return out;
                };
                let inner = e.inner().to_string();
                let shown = match display_path(&path_segs) {
                    Some(p) => format!("{p}: {inner}"),
                    None => inner.clone(),
                };
                let at = match unknown_field(&inner) {
                    Some(key) => {
                        let mut k = path_segs.clone();
                        k.push(Seg::key(key));
                        index.key_pos(&k)
                    }
                    None => index.value_pos(&path_segs),
                };
                let (m, (line, col)) = explain(&shown, Some(at), text);
                out.errors.push(ScenarioError::Parse {
                    pos: SourcePos::new(path, line, col),
                    msg: m,
                });
                segs = path_segs;
                msg = inner;
            }
        }
    }
    out
}

/// `steps[0].op: unknown variant ...` → (path, rest); a message without a path → ([], msg).
fn split_path(msg: &str) -> (Vec<Seg>, String) {
    match msg.split_once(": ") {
        Some((p, r)) if !p.contains(char::is_whitespace) => match parse_path(p) {
            Some(segs) => (segs, r.to_string()),
            None => (Vec::new(), msg.to_string()),
        },
        _ => (Vec::new(), msg.to_string()),
    }
}

/// The key named by serde's "unknown field `k`" message.
fn unknown_field(msg: &str) -> Option<String> {
    msg.strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_string)
}

/// The node to leave out for an error at `segs`: the unknown key itself, or the value of the
/// wrong type. `None` when nothing can be left out (a missing field, the whole document, an
/// item of a list: leaving it out would shift every later position).
fn offending_node(segs: &[Seg], msg: &str) -> Option<Vec<Seg>> {
    if msg.starts_with("missing field") {
        return None;
    }
    let mut target = segs.to_vec();
    if let Some(key) = unknown_field(msg)
        && target.last() != Some(&Seg::key(key.as_str()))
    {
        target.push(Seg::key(key));
    }
    matches!(target.last(), Some(Seg::Key(_))).then_some(target)
}

/// Removes the mapping entry at `path` (which ends with a key); false when it is not there.
fn remove_node(value: &mut serde_yaml::Value, path: &[Seg]) -> bool {
    let Some((Seg::Key(last), parents)) = path.split_last() else {
        return false;
    };
    let mut node = value;
    for seg in parents {
        let next = match seg {
            Seg::Key(k) => node.get_mut(k.as_str()),
            Seg::Index(i) => node.get_mut(*i),
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    node.as_mapping_mut()
        .is_some_and(|m| m.remove(last.as_str()).is_some())
}

/// serde_path_to_error's path as segments (`None` for a part it could not name).
fn segments(path: &serde_path_to_error::Path) -> Option<Vec<Seg>> {
    use serde_path_to_error::Segment;
    let mut out = Vec::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => out.push(Seg::Index(*index)),
            Segment::Map { key } => out.push(Seg::key(key.as_str())),
            Segment::Enum { .. } => {}
            Segment::Unknown => return None,
        }
    }
    Some(out)
}

/// `steps[1].request` for segments; `None` for the document itself.
fn display_path(segs: &[Seg]) -> Option<String> {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Parses scenario text; `path` is only used in error positions.
pub fn parse_str(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    serde_yaml::from_str::<Scenario>(text).map_err(|e| {
        let at = e.location().map(|l| (l.line(), l.column()));
        let (msg, (line, col)) = explain(&e.to_string(), at, text);
        ScenarioError::Parse {
            pos: SourcePos::new(path, line, col),
            msg,
        }
    })
}

/// Turns a serde_yaml message into a helpful one and, where serde_yaml only knows the enclosing
/// mapping, a more precise position.
fn explain(raw: &str, at: Option<(usize, usize)>, text: &str) -> (String, (usize, usize)) {
    let index = YamlIndex::new(text);
    let mut pos = at.unwrap_or((1, 1));
    let mut msg = strip_location(raw);

    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    }) {
        return (
            "the file is empty; a scenario needs at least `name:` and `steps:`".to_string(),
            (1, 1),
        );
    }
    if msg.contains("more than one document") {
        let pos = index.second_document().unwrap_or(pos);
        return (
            "a scenario file holds exactly one YAML document; move the scenario after this `---` into its own file".to_string(),
            pos,
        );
    }

    // `steps[0].op: unknown variant ...` → path + rest.
    let (path, rest) = match msg.split_once(": ") {
        Some((p, r)) if !p.contains(char::is_whitespace) && parse_path(p).is_some() => {
            (Some(p.to_string()), r.to_string())
        }
        _ => (None, msg.clone()),
    };
    let segs = path.as_deref().and_then(parse_path).unwrap_or_default();
    let mut rest = rest;

    if let Some(bad) = backticked(&rest).first().cloned() {
        if rest.starts_with("unknown variant") && segs.last() == Some(&Seg::key("op")) {
            rest = format!("unknown operation `{bad}`");
            let names = similar_names(&bad, Operation::ALL.iter().map(|o| o.name()));
            if !names.is_empty() {
                rest.push_str(&format!("; did you mean {}?", one_of(&names)));
            }
            rest.push_str(" (run `regcheck list --operations` to see the catalogue)");
        } else if rest.starts_with("unknown field") || rest.starts_with("unknown variant") {
            let allowed = backticked(&rest);
            let names = similar_names(&bad, allowed.iter().skip(1).map(String::as_str));
            if !names.is_empty() {
                rest.push_str(&format!("; did you mean {}?", one_of(&names)));
            }
        }
    }
    if rest.contains("invalid type: map, expected")
        && line_at(text, pos).is_some_and(|s| s.trim_start().starts_with("{{"))
    {
        rest.push_str("; a value that starts with `{{` must be quoted, e.g. `url: \"{{upload}}\"`");
    }
    if path.is_none() && is_syntax_error(&rest) {
        rest = format!("invalid YAML: {rest}");
        if rest.contains("mapping values are not allowed") {
            rest.push_str(
                "; quote values that contain `: ` (e.g. `description: \"a: b\"`) or fix the indentation",
            );
        } else {
            rest.push_str("; check the indentation: keys of one mapping and `- ` items of one list must line up");
        }
    }

    // serde_yaml places custom errors (bad size, bad status) at the start of the enclosing
    // mapping: point at the offending value instead when it can be found.
    if !rest.starts_with("unknown field") && !rest.starts_with("missing field") {
        let mut candidates = backticked(&rest);
        if let Some(num) = rest.split_whitespace().next()
            && num.parse::<i64>().is_ok()
        {
            candidates.insert(0, num.to_string());
        }
        if let Some(found) = candidates.iter().find_map(|c| index.find_scalar(&segs, c)) {
            pos = found;
        }
    }
    msg = match path {
        Some(p) => format!("{p}: {rest}"),
        None => rest,
    };
    (msg, pos)
}

/// The message without serde_yaml's first ` at line N column M` (the position is printed in
/// front already).
fn strip_location(raw: &str) -> String {
    let Some(at) = raw.find(" at line ") else {
        return raw.to_string();
    };
    let tail = &raw[at + " at line ".len()..];
    let mut words = tail.splitn(3, ' ');
    let line_ok = words.next().is_some_and(|w| w.parse::<usize>().is_ok());
    let column_ok = words.next() == Some("column");
    if !(line_ok && column_ok) {
        return raw.to_string();
    }
    let after = words.next().unwrap_or("");
    let digits = after.chars().take_while(char::is_ascii_digit).count();
    format!("{}{}", &raw[..at], &after[digits..])
}

/// The text between backticks, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, t)| t.to_string())
        .collect()
}

/// The text of line `line` from column `col` on.
fn line_at(text: &str, (line, col): (usize, usize)) -> Option<&str> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let start = l
        .char_indices()
        .nth(col.saturating_sub(1))
        .map(|(i, _)| i)?;
    l.get(start..)
}

fn is_syntax_error(msg: &str) -> bool {
    [
        "did not find expected",
        "mapping values are not allowed",
        "while parsing",
        "while scanning",
        "found character that cannot start",
        "found unexpected",
        "could not find expected",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        match parse_str(Path::new("f.yaml"), text) {
            Ok(_) => panic!("expected a parse error for {text:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unknown_keys_are_located_and_get_suggestions() {
        let e = parse_err("name: a\nsteps:\n  - name: x\n    opp: GetBlob\n");
        assert!(
            e.starts_with(
                "f.yaml:4:5: steps[0]: unknown field `opp`, expected one of `name`, `op`"
            ),
            "{e}"
        );
        assert!(e.ends_with("; did you mean `op`?"), "{e}");
    }

    #[test]
    fn unknown_operations_get_a_short_message() {
        let e = parse_err("name: a\nsteps:\n  - name: x\n    op: GetBlobz\n");
        assert_eq!(
            e,
            "f.yaml:4:9: steps[0].op: unknown operation `GetBlobz`; did you mean `GetBlob`? (run `regcheck list --operations` to see the catalogue)"
        );
    }

    #[test]
    fn custom_value_errors_point_at_the_value() {
        let e = parse_err(
            "name: a\nsteps:\n  - name: x\n    expect: { body_length: \"1\", status: 42 }\n",
        );
        assert_eq!(
            e,
            "f.yaml:4:41: steps[0].expect: 42 is not an HTTP status code (100-599)"
        );
        let e = parse_err("name: a\nblobs:\n  l:\n    seed: 1\n    size: 3 parsecs\nsteps: []\n");
        assert!(
            e.starts_with("f.yaml:5:11: blobs.l: unknown size unit `parsecs`"),
            "{e}"
        );
    }

    #[test]
    fn syntax_errors_mention_indentation() {
        let e = parse_err("name: a\nsteps:\n  - name: x\n   op: GetBlob\n");
        assert!(e.starts_with("f.yaml:4:4: invalid YAML: did not find expected '-' indicator, while parsing a block collection at line 3 column 3"), "{e}");
        assert!(e.contains("check the indentation"), "{e}");
    }

    #[test]
    fn unquoted_placeholders_are_explained() {
        let e = parse_err("name: a\nsteps:\n  - name: x\n    request:\n      url: {{upload}}\n");
        assert!(e.contains("must be quoted"), "{e}");
    }

    #[test]
    fn empty_and_multi_document_files_are_explained() {
        assert_eq!(
            parse_err("# nothing\n"),
            "f.yaml:1:1: the file is empty; a scenario needs at least `name:` and `steps:`"
        );
        let e = parse_err("name: a\nsteps: []\n---\nname: b\nsteps: []\n");
        assert!(
            e.starts_with("f.yaml:3:1: a scenario file holds exactly one YAML document"),
            "{e}"
        );
    }

    #[test]
    fn strip_location_removes_only_the_first_position() {
        assert_eq!(strip_location("bad at line 3 column 4"), "bad");
        assert_eq!(
            strip_location("bad at line 3 column 4, while parsing x at line 1 column 1"),
            "bad, while parsing x at line 1 column 1"
        );
        assert_eq!(strip_location("no position"), "no position");
    }

    #[test]
    fn directories_are_expanded_sorted_and_duplicates_reported() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("b.yaml", "name: beta\nsteps: []\n");
        write("a.yml", "name: alpha\nsteps: []\n");
        write("notes.txt", "not a scenario");
        let loaded = load_paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = loaded.iter().map(|l| l.scenario.name.as_str()).collect();
        assert_eq!(names, vec!["alpha", "beta"]);

        write("c.yaml", "name:   alpha\nsteps: []\n");
        write("d.yaml", "name: [oops\n");
        let errors = load_paths(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let dup = errors[0].to_string();
        assert!(
            dup.contains("c.yaml:1:9: duplicate scenario name `alpha` (first defined at"),
            "{dup}"
        );
        assert!(matches!(errors[1], ScenarioError::Parse { .. }));
    }

    #[test]
    fn missing_paths_and_empty_directories_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let errors =
            load_paths(&[dir.path().to_path_buf(), dir.path().join("nope.yaml")]).unwrap_err();
        assert!(matches!(errors[0], ScenarioError::NoScenarios { .. }));
        assert!(matches!(errors[1], ScenarioError::Read { .. }));
        assert!(errors[1].to_string().contains("nope.yaml: cannot read"));
    }
}
