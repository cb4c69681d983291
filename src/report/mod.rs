//! Renders run results; never executes anything. `terminal` (comfy-table summary), `json` (the
//! machine-readable report), `junit` (for CI test views), `markdown` (pull-request comments),
//! `html` (one self-contained page for people), `benchmark` (github-action-benchmark JSON),
//! `diff` (two JSON reports compared) and `baseline` (known deviations turned into outcome
//! `known`). Every writer reads a `Document` (a run and/or a load run) only; transcripts in it are already redacted by the runner, and `write` scrubs the run's
//! secrets from the rendered text once more before anything reaches a file.

pub mod baseline;
pub mod benchmark;
pub mod diff;
pub mod document;
pub mod html;
pub mod json;
pub mod junit;
pub mod load;
pub mod load_summary;
pub mod markdown;
pub mod terminal;
mod text;

pub use document::Document;
pub use text::{Coverage, FailureRow, coverage, failure_rows};

use std::fmt;
use std::path::{Path, PathBuf};

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
    #[error("unknown report format `{0}`; use json, junit, md or html")]
    UnknownFormat(String),
}

/// A report format of `--report FORMAT=PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The JSON report (`report.json`).
    Json,
    /// JUnit XML (`junit.xml`).
    Junit,
    /// Markdown (`report.md`).
    Markdown,
    /// Self-contained HTML (`report.html`).
    Html,
    /// github-action-benchmark `customSmallerIsBetter` (latencies, error rates).
    BenchSmaller,
    /// github-action-benchmark `customBiggerIsBetter` (throughput).
    BenchBigger,
}

impl Format {
    /// Every format, in the order a default run writes them.
    pub const ALL: [Format; 4] = [Format::Json, Format::Junit, Format::Markdown, Format::Html];

    /// The name used in `--report NAME=PATH`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::BenchSmaller => "bench-smaller",
            Format::BenchBigger => "bench-bigger",
        }
    }

    /// The file name used in the default report directory.
    pub fn default_file(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::BenchSmaller => "bench-smaller.json",
            Format::BenchBigger => "bench-bigger.json",
        }
    }

    /// Renders `result` in this format.
    pub fn render(self, result: &Document) -> String {
        match self {
            Format::Json => json::render(result),
            Format::Junit => junit::render(result),
            Format::Markdown => markdown::render(result),
            Format::Html => html::render(result),
            Format::BenchSmaller => benchmark::render(result, benchmark::Direction::Smaller),
            Format::BenchBigger => benchmark::render(result, benchmark::Direction::Bigger),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "bench-smaller" => Ok(Format::BenchSmaller),
            "bench-bigger" => Ok(Format::BenchBigger),
            other => Err(ReportError::UnknownFormat(other.to_string())),
        }
    }
}

/// A requested report: `FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// Format.
    pub format: Format,
    /// Destination.
    pub path: PathBuf,
}

impl std::str::FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FORMAT=PATH (example: json=report.json)"))?;
        let format: Format = format.parse().map_err(|_| {
            format!("unknown report format `{format}`; supported: json, junit, md, html, bench-smaller, bench-bigger")
        })?;
        if path.is_empty() {
            return Err(format!("`{s}` has no path after `=`"));
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// The reports a run writes when no `--report` is given: every format in `dir`.
pub fn default_specs(dir: &Path) -> Vec<ReportSpec> {
    Format::ALL
        .iter()
        .map(|f| ReportSpec {
            format: *f,
            path: dir.join(f.default_file()),
        })
        .collect()
}

/// Writes one report, creating missing parent directories. `secrets` (the run's credentials)
/// are replaced by `<redacted>` in the rendered text as a last line of defence.
pub fn write(spec: &ReportSpec, result: &Document, secrets: &[String]) -> Result<(), ReportError> {
    let text = scrub(&spec.format.render(result), secrets);
    write_text(&spec.path, &text)
}

/// `text` with every (non-trivial) secret, as written or XML/HTML-escaped, replaced by
/// `[redacted]` (a marker that needs no escaping in any format).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        for form in [s.clone(), text::escape_html(s)] {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), "[redacted]");
            }
        }
    }
    out
}

/// Writes one report of a load run: `json` is the load run's own document (`kind: "load"`),
/// the other formats render it through `load::from_load_run` (so `regcheck load` can offer
/// `--report md=|html=|junit=` with one call per spec).
pub fn write_load(
    spec: &ReportSpec,
    run: &crate::load::LoadRunReport,
    secrets: &[String],
) -> Result<(), ReportError> {
    let text = match spec.format {
        Format::Json => {
            serde_json::to_string_pretty(run).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        }
        other => other.render(&load::from_load_run(run)),
    };
    write_text(&spec.path, &scrub(&text, secrets))
}

/// Writes `text` to `path`, creating missing parent directories.
pub fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)
}

#[cfg(test)]
mod snapshots;
#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_specs_parse_or_explain() {
        let r: ReportSpec = "json=out/r.json".parse().unwrap();
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.path, PathBuf::from("out/r.json"));
        assert!("json".parse::<ReportSpec>().is_err());
        assert_eq!(
            "junit=r.xml".parse::<ReportSpec>().unwrap().format,
            Format::Junit
        );
        assert_eq!(
            "md=r.md".parse::<ReportSpec>().unwrap().format,
            Format::Markdown
        );
        assert_eq!(
            "html=r.html".parse::<ReportSpec>().unwrap().format,
            Format::Html
        );
        assert!("xml=a".parse::<ReportSpec>().is_err());
        let err = "pdf=a".parse::<ReportSpec>().unwrap_err();
        assert!(err.contains("json, junit, md, html"), "{err}");
        assert!("json=".parse::<ReportSpec>().is_err());
    }

    #[test]
    fn default_specs_cover_every_format_in_the_directory() {
        let specs = default_specs(Path::new("reports/abcd1234"));
        assert_eq!(specs.len(), 4);
        assert!(
            specs
                .iter()
                .any(|s| s.path == Path::new("reports/abcd1234/report.html"))
        );
        assert!(
            specs
                .iter()
                .any(|s| s.path == Path::new("reports/abcd1234/junit.xml"))
        );
    }

    #[test]
    fn load_runs_write_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let run = testdata::load_run(load::tests::load_report());
        for f in Format::ALL {
            let spec = ReportSpec {
                format: f,
                path: dir.path().join(f.default_file()),
            };
            write_load(&spec, &run, &[]).unwrap();
        }
        let back = json::read(&dir.path().join("report.json")).unwrap();
        assert_eq!(back.load.as_ref(), Some(&run.load));
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("id=\"latency-chart\""));
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("#### Load: latency percentiles (ms)"));
    }

    #[test]
    fn write_scrubs_secrets_and_creates_directories() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = testdata::document();
        r.scenarios[1].steps[0].findings[0].actual = Some("hunter2-secret".into());
        for f in Format::ALL {
            let spec = ReportSpec {
                format: f,
                path: dir.path().join("a/b").join(f.default_file()),
            };
            write(&spec, &r, &["hunter2-secret".into()]).unwrap();
            let text = std::fs::read_to_string(&spec.path).unwrap();
            assert!(!text.contains("hunter2-secret"), "{f}: {text}");
            assert!(text.contains("redacted"), "{f}");
        }
    }
}
