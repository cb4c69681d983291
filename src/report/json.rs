//! The JSON report (`--report json=PATH`): `RunResult` serialised as is, `schema_version` 1.
//! Top-level keys: `schema_version, tool, target, run_id, namespace, profile, started_at,
//! duration_ms, capabilities, summary{scenarios,passed,failed,skipped,errors,checks{total,passed,failed}},
//! operations{<Op>{steps,passed,failed}}, scenarios[{name,file,tags,repository,outcome,reason?,
//! duration_ms,steps[{name,op,outcome,status,duration_ms,checks_passed,findings[],reason?,transcript?}]}],
//! cleanup{kept,deleted,leftovers}`. Transcripts are already redacted by the runner.

use super::ReportError;
use crate::runner::RunResult;
use std::path::Path;

/// Renders the report as pretty JSON.
pub fn render(result: &RunResult) -> String {
    serde_json::to_string_pretty(result).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Writes the report to `path`.
pub fn write(result: &RunResult, path: &Path) -> Result<(), ReportError> {
    std::fs::write(path, render(result)).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}
