//! Errors from loading and validating scenario files. Every error that concerns a place in a
//! file displays as `file:line:col: message`, optionally followed by `\n  hint: ...`.

use super::source::SourcePos;
use std::fmt;
use std::path::PathBuf;

/// A problem with a scenario file or a set of scenario files.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file or directory could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed, has an unknown key, or a value of the wrong type.
    #[error("{pos}: {msg}")]
    Parse {
        /// Where serde_yaml stopped.
        pos: SourcePos,
        /// What is wrong.
        msg: String,
    },
    /// The file parsed but breaks a rule of the format (see `scenarios/README.md`).
    #[error("{pos}: {msg}{}", Hint(hint))]
    Invalid {
        /// The offending key or value.
        pos: SourcePos,
        /// What is wrong.
        msg: String,
        /// How to fix it, when there is something useful to say.
        hint: Option<String>,
    },
    /// A directory holds no `*.yaml`/`*.yml` files.
    #[error(
        "{}: no scenario files found (expected *.yaml or *.yml files in the directory)",
        path.display()
    )]
    NoScenarios {
        /// The directory.
        path: PathBuf,
    },
    /// Two files declare the same scenario name.
    #[error(
        "{second}: duplicate scenario name `{name}` (first defined at {first})\n  hint: scenario names must be unique; rename one of them"
    )]
    Duplicate {
        /// The name.
        name: String,
        /// The first declaration.
        first: SourcePos,
        /// The second declaration.
        second: SourcePos,
    },
}

impl ScenarioError {
    /// A semantic error at `pos`.
    pub fn invalid(pos: SourcePos, msg: impl Into<String>, hint: Option<String>) -> Self {
        ScenarioError::Invalid {
            pos,
            msg: msg.into(),
            hint,
        }
    }

    /// The position the error points at, when it concerns a place in a file.
    pub fn pos(&self) -> Option<&SourcePos> {
        match self {
            ScenarioError::Parse { pos, .. } | ScenarioError::Invalid { pos, .. } => Some(pos),
            ScenarioError::Duplicate { second, .. } => Some(second),
            ScenarioError::Read { .. } | ScenarioError::NoScenarios { .. } => None,
        }
    }
}

/// Displays an optional hint as `\n  hint: ...`.
struct Hint<'a>(&'a Option<String>);

impl fmt::Display for Hint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(h) => write!(f, "\n  hint: {h}"),
            None => Ok(()),
        }
    }
}

/// Edit distance between two strings in characters, counting an adjacent transposition as one
/// edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Up to three `candidates` that look like a misspelling of `name` (small edit distance,
/// case-insensitive equality, or one a prefix of the other), closest first.
pub fn similar_names<'a, I>(name: &str, candidates: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| {
            let cl = c.to_ascii_lowercase();
            let d = edit_distance(&lower, &cl);
            let prefix = lower.len() >= 3 && (cl.starts_with(&lower) || lower.starts_with(&cl));
            (d <= limit || prefix).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Formats names as `` `a`, `b` or `c` ``.
pub fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names_finds_typos_and_prefixes() {
        let names = ["upload", "upload_url", "repo", "registry", "tag"];
        assert_eq!(similar_names("uplaod", names), vec!["upload"]);
        assert_eq!(
            similar_names("upload_ur", names),
            vec!["upload_url", "upload"]
        );
        assert_eq!(similar_names("REPO", names), vec!["repo"]);
        assert_eq!(similar_names("tga", names), vec!["tag"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert!(similar_names("zzzzzz", names).is_empty());
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(&["a"]), "`a`");
    }

    #[test]
    fn errors_display_file_line_col_and_hint() {
        let pos = SourcePos::new("s/a.yaml", 3, 5);
        let e = ScenarioError::invalid(pos.clone(), "bad thing", Some("do this".into()));
        assert_eq!(e.to_string(), "s/a.yaml:3:5: bad thing\n  hint: do this");
        let e = ScenarioError::invalid(pos.clone(), "bad thing", None);
        assert_eq!(e.to_string(), "s/a.yaml:3:5: bad thing");
        assert_eq!(e.pos(), Some(&pos));
        let e = ScenarioError::Parse {
            pos,
            msg: "oops".into(),
        };
        assert_eq!(e.to_string(), "s/a.yaml:3:5: oops");
        let e = ScenarioError::Duplicate {
            name: "x".into(),
            first: SourcePos::new("a.yaml", 1, 7),
            second: SourcePos::new("b.yaml", 1, 7),
        };
        assert!(
            e.to_string().starts_with(
                "b.yaml:1:7: duplicate scenario name `x` (first defined at a.yaml:1:7)"
            )
        );
    }
}
