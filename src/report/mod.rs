//! Renders run results; never executes anything. `terminal` (comfy-table summary), `json` (the
//! machine-readable report) and `junit` (for CI test views). Every writer reads `RunResult`
//! only; transcripts in it are already redacted by the runner.

pub mod json;
pub mod junit;
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
    #[error("unknown report format `{0}`; use json or junit")]
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
        if !matches!(format, "json" | "junit") {
            return Err(format!(
                "unknown report format `{format}`; supported: json, junit"
            ));
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
        "junit" => junit::write(result, &spec.path),
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
        assert_eq!("junit=r.xml".parse::<ReportSpec>().unwrap().format, "junit");
        assert!("xml=a".parse::<ReportSpec>().is_err());
        assert!("json=".parse::<ReportSpec>().is_err());
    }
}
