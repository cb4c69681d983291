//! The JSON report (`--report json=PATH`): `RunResult` serialised as is, `schema_version` 1,
//! described by `reports/schema/report.v1.json` and `reports/README.md`. Top-level keys:
//! `schema_version, tool, target, run_id, namespace, profile, started_at, finished_at,
//! duration_ms, capabilities, summary{scenarios,passed,failed,skipped,errors,known,checks{…}},
//! operations{<Op>{steps,passed,failed}}, rules{<id>{passed,failed}}, scenarios[{name,file,tags,
//! repository,outcome,reason?,duration_ms,steps[{name,op,outcome,status,duration_ms,
//! checks_passed,findings[],reason?,transcript?}]}], cleanup{kept,deleted,leftovers},
//! baseline?{file,matched,fixed,unchecked}`. New members are only ever added (optional), so
//! readers of older reports keep working; `read` accepts reports written before them, and the
//! JSON report of a load run (`kind: "load"`), which it turns into a `RunResult` with `load` set.

use super::Document;
use std::path::{Path, PathBuf};

/// A JSON report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read report {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Not a regcheck JSON report.
    #[error("{path} is not a regcheck JSON report (write one with --report json=PATH): {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// A report of a newer format.
    #[error("{path} has schema_version {found}; this regcheck reads version 1: upgrade regcheck")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u64,
    },
}

/// Renders the report as pretty JSON.
pub fn render(result: &Document) -> String {
    serde_json::to_string_pretty(result).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Parses a JSON report.
pub fn parse(text: &str, path: &Path) -> Result<Document, ReadError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| ReadError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
    if let Some(v) = value.get("schema_version").and_then(|v| v.as_u64())
        && v != 1
    {
        return Err(ReadError::Version {
            path: path.to_path_buf(),
            found: v,
        });
    }
    let parse_err = |source| ReadError::Parse {
        path: path.to_path_buf(),
        source,
    };
    if value.get("kind").and_then(|k| k.as_str()) == Some("load") {
        let load: crate::load::LoadRunReport = serde_json::from_value(value).map_err(parse_err)?;
        return Ok(super::load::from_load_run(&load));
    }
    serde_json::from_value(value).map_err(parse_err)
}

/// Reads a JSON report from `path`.
pub fn read(path: &Path) -> Result<Document, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn round_trip_keeps_everything_serialised() {
        let r = testdata::document();
        let text = render(&r);
        let back = parse(&text, Path::new("r.json")).unwrap();
        assert_eq!(render(&back), text);
        assert_eq!(back.summary, r.summary);
        assert_eq!(back.summary.known, 1);
        assert_eq!(back.scenarios[4].outcome, crate::runner::Outcome::Known);
    }

    #[test]
    fn reports_without_the_newer_members_still_parse() {
        let mut v: serde_json::Value =
            serde_json::from_str(&render(&testdata::document())).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("finished_at");
        o.remove("rules");
        o["summary"].as_object_mut().unwrap().remove("known");
        let r = parse(&v.to_string(), Path::new("old.json")).unwrap();
        assert_eq!(r.finished_at, None);
        assert_eq!(r.summary.known, 0);
    }

    #[test]
    fn a_load_report_reads_as_a_run_result_with_load() {
        let load = crate::report::load::tests::load_report();
        let text = serde_json::json!({
            "schema_version": 1, "kind": "load", "tool": "regcheck 0.1.0",
            "target": "http://127.0.0.1:1/", "run_id": "0000abcd", "namespace": "ns",
            "started_at": "2026-11-26T00:00:00Z", "ended_at": "2026-11-26T00:00:03Z",
            "cleanup": {"kept": false, "deleted": 3, "leftovers": []},
            "load": load,
        })
        .to_string();
        let r = parse(&text, Path::new("load.json")).unwrap();
        assert!(r.scenarios.is_empty());
        assert_eq!(r.profile, "load");
        assert_eq!(r.load.as_ref().unwrap().operations.len(), 2);
        assert_eq!(r.cleanup.deleted, 3);
    }

    #[test]
    fn wrong_input_is_explained() {
        let e = parse("{\"schema_version\": 7}", Path::new("x.json")).unwrap_err();
        assert!(e.to_string().contains("schema_version 7"), "{e}");
        let e = parse("<html>", Path::new("x.json")).unwrap_err();
        assert!(e.to_string().contains("not a regcheck JSON report"), "{e}");
        let e = parse("{\"schema_version\": 1}", Path::new("x.json")).unwrap_err();
        assert!(e.to_string().contains("missing field"), "{e}");
    }
}
