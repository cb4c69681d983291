//! Known-deviation baselines (`regcheck run --baseline FILE`): a list of failures a team
//! accepts for now, so CI can gate on "no new failures" while old ones are being fixed.
//!
//! The file is either a previous JSON report (every failed `scenario ▸ rule` of it is listed)
//! or YAML: a list (or `known:` list) of entries, each `scenario ▸ rule` (also `scenario >
//! rule`), a bare rule id matching any scenario, or `{scenario, rule, reason}`:
//!
//! ```yaml
//! known:
//!   - tags-list ▸ GetTagList.sorted          # this scenario, this rule
//!   - GetChunk.content-range-matches         # this rule in any scenario
//!   - { scenario: blob-chunked-upload, rule: scenario.status, reason: "accepts out-of-order chunks" }
//! ```
//!
//! An entry matches failures and warnings alike. `apply` marks every listed finding `known`,
//! turns a failed step whose every failure is listed into outcome `known`, and a failed
//! scenario whose failed steps are all known into `known` (not counted in `failed`, so not
//! failing the exit code); a listed warning stays a warning but no longer fails `--strict`. Entries that matched nothing although their scenario (or, for a
//! bare rule, a step of the rule's operation) ran are reported as fixed; entries whose
//! scenario did not run are reported as unchecked.

use crate::runner::{BaselineReport, Outcome, RunResult};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read baseline {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Neither a JSON report nor a YAML list of entries.
    #[error(
        "baseline {path} is neither a regcheck JSON report nor a YAML list of `scenario ▸ rule` / rule-id entries: {message}"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

/// One accepted failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The scenario it is accepted in (any scenario when absent).
    pub scenario: Option<String>,
    /// The rule id (`GetTagList.sorted`, `scenario.status`).
    pub rule: String,
}

impl Entry {
    /// Parses `scenario ▸ rule`, `scenario > rule` or a bare `rule`.
    pub fn parse(text: &str) -> Option<Entry> {
        let text = text.trim();
        let (scenario, rule) = match text.split_once('▸').or_else(|| text.split_once(" > ")) {
            Some((s, r)) => (Some(s.trim().to_string()), r.trim()),
            None => (None, text),
        };
        let valid = |s: &str| !s.is_empty() && !s.chars().any(char::is_whitespace);
        (valid(rule) && scenario.as_deref().is_none_or(valid)).then(|| Entry {
            scenario,
            rule: rule.to_string(),
        })
    }

    fn matches(&self, scenario: &str, rule: &str) -> bool {
        self.rule == rule && self.scenario.as_deref().is_none_or(|s| s == scenario)
    }
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.scenario {
            Some(s) => write!(f, "{s} ▸ {}", self.rule),
            None => f.write_str(&self.rule),
        }
    }
}

/// A loaded baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Where it came from (as given).
    pub file: String,
    /// Its entries, deduplicated.
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum YamlEntry {
    Text(String),
    Full {
        scenario: Option<String>,
        rule: String,
        #[allow(dead_code)]
        reason: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum YamlFile {
    List(Vec<YamlEntry>),
    Known { known: Vec<YamlEntry> },
}

impl Baseline {
    /// Reads a baseline file (a JSON report or the YAML list).
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses a baseline's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let format_err = |message: String| BaselineError::Format {
            path: path.to_path_buf(),
            message,
        };
        let mut entries = Vec::new();
        if text.trim_start().starts_with('{') {
            let report = super::json::parse(text, path).map_err(|e| format_err(e.to_string()))?;
            for s in &report.scenarios {
                for f in s.steps.iter().flat_map(|st| &st.findings) {
                    entries.push(Entry {
                        scenario: Some(s.name.clone()),
                        rule: f.rule.clone(),
                    });
                }
            }
        } else {
            let file: YamlFile =
                serde_yaml::from_str(text).map_err(|e| format_err(e.to_string()))?;
            let (YamlFile::List(list) | YamlFile::Known { known: list }) = file;
            for (i, e) in list.into_iter().enumerate() {
                let entry = match e {
                    YamlEntry::Text(t) => Entry::parse(&t),
                    YamlEntry::Full { scenario, rule, .. } => Entry::parse(&rule)
                        .filter(|e| e.scenario.is_none())
                        .map(|e| Entry {
                            scenario,
                            rule: e.rule,
                        }),
                };
                entries.push(entry.ok_or_else(|| {
                    format_err(format!(
                        "entry {} is not `scenario ▸ rule` or a rule id",
                        i + 1
                    ))
                })?);
            }
        }
        let mut unique: Vec<Entry> = Vec::new();
        for e in entries {
            if !unique.contains(&e) {
                unique.push(e);
            }
        }
        Ok(Baseline {
            file: path.display().to_string(),
            entries: unique,
        })
    }

    /// Marks the listed findings of `result` as `known` (failures and warnings alike), a failed
    /// step whose every failure is listed and a failed scenario whose failed steps are all known
    /// as `known`, recounts, and records in `result.baseline` which entries matched, which are
    /// fixed and which were not checked.
    pub fn apply(&self, result: &mut RunResult) {
        let mut matched = vec![false; self.entries.len()];
        for sc in &mut result.scenarios {
            for st in sc
                .steps
                .iter_mut()
                .filter(|st| st.outcome != Outcome::Error)
            {
                for f in &mut st.findings {
                    for (i, e) in self.entries.iter().enumerate() {
                        if e.matches(&sc.name, &f.rule) {
                            matched[i] = true;
                            f.known = true;
                        }
                    }
                }
                let mut failures = st.findings.iter().filter(|f| !f.is_warning()).peekable();
                if st.outcome == Outcome::Fail
                    && failures.peek().is_some()
                    && failures.all(|f| f.known)
                {
                    st.outcome = Outcome::Known;
                }
            }
            if sc.outcome == Outcome::Fail
                && !sc
                    .steps
                    .iter()
                    .any(|st| matches!(st.outcome, Outcome::Fail | Outcome::Error))
                && sc.steps.iter().any(|st| st.outcome == Outcome::Known)
            {
                sc.outcome = Outcome::Known;
            }
        }
        let ran = |o: Outcome| {
            matches!(
                o,
                Outcome::Pass | Outcome::Warn | Outcome::Fail | Outcome::Known
            )
        };
        let mut report = BaselineReport {
            file: self.file.clone(),
            ..Default::default()
        };
        for (e, hit) in self.entries.iter().zip(matched) {
            let checked = match &e.scenario {
                Some(name) => result
                    .scenarios
                    .iter()
                    .any(|s| &s.name == name && ran(s.outcome)),
                // A bare rule was checked when a step of its operation ran (any step for
                // scenario-level rules).
                None => {
                    let op = e.rule.split('.').next().unwrap_or("");
                    result.scenarios.iter().flat_map(|s| &s.steps).any(|st| {
                        ran(st.outcome) && (op == "scenario" || op == "all" || st.op == op)
                    })
                }
            };
            let list = if hit {
                &mut report.matched
            } else if checked {
                &mut report.fixed
            } else {
                &mut report.unchecked
            };
            list.push(e.to_string());
        }
        result.recount();
        result.baseline = Some(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{self, finding, scenario};

    fn baseline(yaml: &str) -> Baseline {
        Baseline::parse(yaml, Path::new("known.yaml")).unwrap()
    }

    fn run() -> RunResult {
        let mut r = testdata::result();
        // Two failing scenarios: `bad` (one rule) and `two` (two rules in one step).
        r.scenarios.push(scenario(
            "two",
            Outcome::Fail,
            vec![
                finding("GetBlob.digest-matches-body", "x"),
                finding("scenario.status", "y"),
            ],
        ));
        r.recount();
        r
    }

    #[test]
    fn entries_parse_in_every_spelling() {
        let b = baseline(
            "known:\n  - bad ▸ GetBlob.x\n  - bad > GetBlob.y\n  - GetBlob.z\n  - {scenario: s, rule: scenario.status, reason: why}\n  - GetBlob.z\n",
        );
        let shown: Vec<String> = b.entries.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "bad ▸ GetBlob.x",
                "bad ▸ GetBlob.y",
                "GetBlob.z",
                "s ▸ scenario.status"
            ]
        );
        assert_eq!(baseline("- a ▸ b\n").entries.len(), 1);
        let err = Baseline::parse("- has space ▸ r\n", Path::new("k.yaml")).unwrap_err();
        assert!(err.to_string().contains("entry 1"), "{err}");
        let err = Baseline::parse("just: [1, 2]\n", Path::new("k.yaml")).unwrap_err();
        assert!(err.to_string().contains("neither"), "{err}");
    }

    #[test]
    fn listed_failures_become_known_and_stop_failing_the_exit_code() {
        let mut r = run();
        assert_eq!(r.exit_code(), 2, "down errored");
        r.scenarios.retain(|s| s.name != "down");
        r.recount();
        assert_eq!((r.summary.failed, r.exit_code()), (2, 1));
        baseline("- bad ▸ GetBlob.digest-matches-body\n- GetBlob.digest-matches-body\n- scenario.status\n").apply(&mut r);
        assert_eq!(r.summary.failed, 0);
        assert_eq!(
            r.summary.known, 3,
            "bad, two and the already-known tolerated"
        );
        assert_eq!(r.exit_code(), 0);
        let b = r.baseline.as_ref().unwrap();
        assert_eq!(b.matched.len(), 3);
        assert!(b.fixed.is_empty() && b.unchecked.is_empty());
    }

    #[test]
    fn a_partly_listed_step_still_fails() {
        let mut r = run();
        baseline("- two ▸ GetBlob.digest-matches-body\n").apply(&mut r);
        let two = r.scenarios.iter().find(|s| s.name == "two").unwrap();
        assert_eq!(two.outcome, Outcome::Fail);
        assert_eq!(two.steps[0].outcome, Outcome::Fail);
        assert_eq!(r.summary.failed, 2);
        // The entry did match a failure, so it is not "fixed".
        assert_eq!(
            r.baseline.unwrap().matched,
            ["two ▸ GetBlob.digest-matches-body"]
        );
    }

    #[test]
    fn entries_that_no_longer_fail_are_fixed_or_unchecked() {
        let mut r = run();
        baseline(
            "- ok ▸ GetBlob.digest-matches-body\n- skipped ▸ scenario.status\n- absent ▸ scenario.status\n- GetCatalog.sorted\n- GetBlob.never\n",
        )
        .apply(&mut r);
        let b = r.baseline.unwrap();
        assert_eq!(
            b.fixed,
            ["ok ▸ GetBlob.digest-matches-body", "GetBlob.never"]
        );
        assert_eq!(
            b.unchecked,
            [
                "skipped ▸ scenario.status",
                "absent ▸ scenario.status",
                "GetCatalog.sorted"
            ]
        );
        assert!(b.matched.is_empty());
        assert_eq!(r.summary.failed, 2, "nothing listed matched");
    }

    #[test]
    fn a_json_report_is_a_baseline_of_its_failures() {
        let text = crate::report::json::render(&run().into());
        let b = Baseline::parse(&text, Path::new("prev.json")).unwrap();
        let shown: Vec<String> = b.entries.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "bad ▸ GetBlob.digest-matches-body",
                "tolerated ▸ scenario.status",
                "two ▸ GetBlob.digest-matches-body",
                "two ▸ scenario.status"
            ]
        );
        let mut r = run();
        b.apply(&mut r);
        assert_eq!(r.summary.failed, 0);
        assert_eq!(r.summary.errors, 1, "errors are never known");
    }

    #[test]
    fn listed_warnings_are_known_and_stop_failing_strict() {
        use crate::report::testdata::warning;
        let mut r = run();
        r.scenarios.retain(|s| s.name != "down");
        r.scenarios.push(scenario(
            "warned",
            Outcome::Warn,
            vec![warning(
                "scenario.header.Docker-Distribution-API-Version",
                "absent",
            )],
        ));
        // A failed step with a listed failure and an unlisted warning is known.
        r.scenarios.push(scenario(
            "mixed",
            Outcome::Fail,
            vec![
                finding("GetBlob.content-length-matches", "3 vs 4"),
                warning("scenario.json.errors", "plain text"),
            ],
        ));
        r.strict = true;
        r.recount();
        baseline("- bad ▸ GetBlob.digest-matches-body\n- two ▸ GetBlob.digest-matches-body\n- two ▸ scenario.status\n- mixed ▸ GetBlob.content-length-matches\n").apply(&mut r);
        assert_eq!((r.summary.failed, r.summary.warned), (0, 1));
        let mixed = r.scenarios.iter().find(|s| s.name == "mixed").unwrap();
        assert_eq!(mixed.outcome, Outcome::Known);
        assert_eq!(r.unlisted_warnings(), 2, "both warnings are unlisted");
        assert_eq!(r.exit_code(), 1, "--strict fails on unlisted warnings");
        let b = baseline(
            "- warned ▸ scenario.header.Docker-Distribution-API-Version\n- scenario.json.errors\n- bad ▸ GetBlob.digest-matches-body\n- two ▸ GetBlob.digest-matches-body\n- two ▸ scenario.status\n- mixed ▸ GetBlob.content-length-matches\n",
        );
        b.apply(&mut r);
        assert_eq!(r.unlisted_warnings(), 0);
        assert_eq!(r.exit_code(), 0, "every warning is listed");
        let warned = r.scenarios.iter().find(|s| s.name == "warned").unwrap();
        assert_eq!(
            warned.outcome,
            Outcome::Warn,
            "a listed warning stays a warning"
        );
        let report = r.baseline.as_ref().unwrap();
        assert!(report.fixed.is_empty(), "{report:?}");
        // A JSON report lists its warnings too, so they are not reported as fixed next time.
        let again = Baseline::parse(
            &crate::report::json::render(&r.clone().into()),
            Path::new("prev.json"),
        )
        .unwrap();
        assert!(
            again
                .entries
                .iter()
                .any(|e| e.rule == "scenario.json.errors")
        );
        // Once the warning is gone from a scenario that ran, its entry is fixed.
        let mut later = run();
        later
            .scenarios
            .push(scenario("warned", Outcome::Pass, vec![]));
        later.recount();
        b.apply(&mut later);
        assert!(
            later
                .baseline
                .unwrap()
                .fixed
                .contains(&"warned ▸ scenario.header.Docker-Distribution-API-Version".to_string())
        );
    }
}
