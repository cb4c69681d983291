//! Snapshot tests of every renderer, with `insta`: this module owns `src/report/snapshots/*.snap`,
//! one file per (input, renderer), holding the exact text that renderer produces for a fixed
//! input of `report::testdata`. A change to any report's output fails one of these tests with
//! a diff, and is accepted by updating the `.snap` files in the same commit, where a reviewer
//! reads the change as text.
//!
//! Inputs: `full_*` (a conformance run with every outcome, warnings, cited and known findings,
//! a baseline and cleanup leftovers), `aborted_*` (a run that could not start), `with_load_*` (the
//! conformance run with a load report) and `load_only_*` (a load run's report as `regcheck load`
//! writes it, through `report::write_load`), plus the load summary that `regcheck load` prints.
//!
//! Review and update (see the README, "Testing"):
//!
//! ```text
//! cargo insta test --lib --review -- report::snapshots    # cargo install cargo-insta
//! INSTA_UPDATE=always cargo test --lib report::snapshots  # no extra tool: rewrites the .snap
//! git diff src/report/snapshots/                          # files; read the change, commit it
//! ```
//!
//! Without `INSTA_UPDATE`, insta's default `auto` fails the test on a mismatch (or a missing
//! snapshot) and, outside CI, writes the new text next to the old as `NAME.snap.new`
//! (gitignored; `cargo insta review` accepts or rejects them); with `CI` set it writes nothing
//! and only fails, so CI (a plain `cargo test`, no cargo-insta) catches any difference. insta
//! compares the text after trimming whitespace at its very end and turning CRLF into LF;
//! everything else byte for byte. A renamed or removed test leaves its `.snap` file behind:
//! delete it with the test.
//!
//! Determinism: no redactions or filters are needed, the fixtures fix every variable value
//! (timestamps, run ids, durations, the tool name `regcheck test` instead of the crate
//! version, relative scenario paths, a recorded load report with its histograms). The one
//! environment dependency of a renderer, the terminal table's width (comfy-table fits it to
//! the terminal when stdout is one), is fixed with `terminal::render_with_width`. No renderer
//! emits colour: the terminal summary is plain text whether or not stdout is a terminal.

use super::load::tests::load_report;
use super::terminal::render_with_width as terminal;
use super::{Format, ReportSpec, testdata};
use testdata::{aborted_document, document_with_load, full_document, load_with_failures};

/// Asserts `text` against `src/report/snapshots/NAME.snap`, whose header says `about`.
fn check(name: &str, about: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(about);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// One test per snapshot, named like its file: `NAME.snap` holds `text`, described by `about`.
macro_rules! snapshot {
    ($($name:ident: $about:expr => $text:expr;)*) => {$(
        #[test]
        fn $name() {
            check(stringify!($name), $about, &$text);
        }
    )*};
}

/// A report of a load run as `regcheck load --report FORMAT=PATH` writes it (`write_load`):
/// its JSON is the load run's own document (`kind: "load"`), the other formats render
/// `load::from_load_run`.
fn load_only(format: Format) -> String {
    let run = testdata::load_run(testdata::load_with_failures());
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = ReportSpec {
        format,
        path: dir.path().join(format.default_file()),
    };
    super::write_load(&spec, &run, &[]).expect("write");
    std::fs::read_to_string(&spec.path).expect("read back")
}

const FULL: &str = "testdata::full_document(): a conformance run with every outcome, warnings, cited and known findings, a baseline, cleanup leftovers";
const ABORTED: &str = "testdata::aborted_document(): a run that could not start";
const WITH_LOAD: &str = "testdata::document_with_load(): full_document() with the fixture load report (testdata_load.json)";
const LOAD_ONLY: &str = "report::write_load of testdata::load_run(load_with_failures()): a load run's report, with thresholds (one violated), errors, late starts, interrupted";

snapshot! {
    // The terminal summary, wider than its table (as on a pipe or a wide terminal), then at
    // 60 columns, where the table wraps its cells.
    full_terminal: FULL => terminal(&full_document(), Some(200));
    full_terminal_narrow: FULL => terminal(&full_document(), Some(60));
    full_json: FULL => Format::Json.render(&full_document());
    full_junit: FULL => Format::Junit.render(&full_document());
    full_md: FULL => Format::Markdown.render(&full_document());
    full_html: FULL => Format::Html.render(&full_document());

    aborted_terminal: ABORTED => terminal(&aborted_document(), Some(200));
    aborted_json: ABORTED => Format::Json.render(&aborted_document());
    aborted_junit: ABORTED => Format::Junit.render(&aborted_document());
    aborted_md: ABORTED => Format::Markdown.render(&aborted_document());
    aborted_html: ABORTED => Format::Html.render(&aborted_document());

    with_load_json: WITH_LOAD => Format::Json.render(&document_with_load());
    with_load_junit: WITH_LOAD => Format::Junit.render(&document_with_load());
    with_load_md: WITH_LOAD => Format::Markdown.render(&document_with_load());
    with_load_html: WITH_LOAD => Format::Html.render(&document_with_load());

    load_only_json: LOAD_ONLY => load_only(Format::Json);
    load_only_junit: LOAD_ONLY => load_only(Format::Junit);
    load_only_md: LOAD_ONLY => load_only(Format::Markdown);
    load_only_html: LOAD_ONLY => load_only(Format::Html);

    // What `regcheck load` prints: the fixture as recorded, then with failures.
    load_summary: "report::load_summary of the fixture load report (testdata_load.json)" =>
        super::load_summary::render(&load_report());
    load_summary_failures: "report::load_summary of testdata::load_with_failures()" =>
        super::load_summary::render(&load_with_failures());
}
