//! Renders run results; never executes anything. `terminal` (comfy-table summary) and `json`
//! (the machine-readable report). Every writer reads `RunResult` only.

pub mod json;
pub mod terminal;

use std::path::PathBuf;

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing the file failed.
    #[error("cannot write report {path}: {source}")]
    Write {
        /// Destination.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Unknown format name.
    #[error("unknown report format `{0}`; use json")]
    UnknownFormat(String),
}

/// A requested report: `FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// Format name.
    pub format: String,
    /// Destination.
    pub path: PathBuf,
}

impl std::str::FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FORMAT=PATH (example: json=report.json)"))?;
        if format != "json" {
            return Err(format!("unknown report format `{format}`; supported: json"));
        }
        if path.is_empty() {
            return Err(format!("`{s}` has no path after `=`"));
        }
        Ok(ReportSpec {
            format: format.to_string(),
            path: PathBuf::from(path),
        })
    }
}

/// Writes one report.
pub fn write(spec: &ReportSpec, result: &crate::runner::RunResult) -> Result<(), ReportError> {
    match spec.format.as_str() {
        "json" => json::write(result, &spec.path),
        other => Err(ReportError::UnknownFormat(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_specs_parse_or_explain() {
        let r: ReportSpec = "json=out/r.json".parse().unwrap();
        assert_eq!(r.format, "json");
        assert_eq!(r.path, PathBuf::from("out/r.json"));
        assert!("json".parse::<ReportSpec>().is_err());
        assert!("xml=a".parse::<ReportSpec>().is_err());
        assert!("json=".parse::<ReportSpec>().is_err());
    }
}
