//! Scenario files on disk: the golden error messages of `tests/data/invalid/` and the bundled
//! scenarios of `scenarios/`.

use regcheck::scenario::{ScenarioError, builtin_dir, load_and_validate};
use std::path::{Path, PathBuf};

const INVALID: &str = "tests/data/invalid";

/// The `*.yaml` files of `dir` (relative to the crate root, as the test's working directory is),
/// sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// What `regcheck validate FILE` reports for one file: every parse and validation error, one
/// per line.
fn error_text(file: &Path) -> String {
    match load_and_validate(&[file.to_path_buf()]) {
        Err(errors) => errors
            .iter()
            .map(ScenarioError::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(_) => String::new(),
    }
}

#[test]
fn invalid_scenarios_report_the_golden_errors() {
    let files = yaml_files(Path::new(INVALID));
    assert!(files.len() >= 10, "expected the golden cases in {INVALID}");
    let mut mismatches = Vec::new();
    for file in &files {
        let golden = file.with_extension("err");
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: missing golden file: {e}", golden.display()));
        let actual = error_text(file);
        assert!(!actual.is_empty(), "{} produced no error", file.display());
        if actual != expected.trim_end_matches('\n') {
            mismatches.push(format!(
                "{}:\n--- expected\n{}\n--- actual\n{actual}\n",
                file.display(),
                expected.trim_end()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_golden_file_has_its_scenario() {
    for entry in std::fs::read_dir(INVALID).expect("read tests/data/invalid") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "err") {
            assert!(
                path.with_extension("yaml").is_file(),
                "{} has no .yaml",
                path.display()
            );
        }
    }
}

#[test]
fn loading_a_directory_collects_the_errors_of_every_file() {
    let expected: usize = yaml_files(Path::new(INVALID))
        .iter()
        .map(|f| error_text(f).matches(".yaml:").count())
        .sum();
    let errors = load_and_validate(&[PathBuf::from(INVALID)])
        .expect_err("the invalid scenarios must not validate");
    assert_eq!(errors.len(), expected, "{errors:#?}");
    let first = errors[0].to_string();
    assert!(
        first.starts_with("tests/data/invalid/bad_indentation.yaml:5:4: "),
        "{first}"
    );
}

#[test]
fn bundled_scenarios_validate_cleanly() {
    let dir = builtin_dir();
    let files = yaml_files(&dir);
    assert!(
        !files.is_empty(),
        "no scenarios in {}; at least one is expected",
        dir.display()
    );
    match load_and_validate(&[dir]) {
        Ok(loaded) => assert_eq!(loaded.len(), files.len()),
        Err(errors) => panic!(
            "bundled scenarios have errors:\n{}",
            errors
                .iter()
                .map(ScenarioError::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

#[test]
fn validate_reports_every_error_of_every_file_then_the_count() {
    let golden: usize = yaml_files(Path::new(INVALID))
        .iter()
        .map(|f| {
            std::fs::read_to_string(f.with_extension("err"))
                .expect("golden")
                .lines()
                .filter(|l| l.starts_with(INVALID))
                .count()
        })
        .sum();
    let out = crate::common::regcheck(&["validate", INVALID]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    let located = all.lines().filter(|l| l.starts_with(INVALID)).count();
    assert_eq!(located, golden, "{all}");
    assert!(all.contains(&format!("{golden} error(s)")), "{all}");
    // The file with three errors of three kinds yields three located messages.
    let out = crate::common::regcheck(&["validate", "tests/data/invalid/three_kinds.yaml"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .chain(out.stderr.lines())
        .filter(|l| l.starts_with("tests/data/invalid/three_kinds.yaml:"))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    for want in [
        "unknown operation",
        "status must be",
        "unknown field `requst`",
    ] {
        assert!(lines.iter().any(|l| l.contains(want)), "{want}: {lines:#?}");
    }
}
