//! The README's coverage section is what `regcheck list --endpoints --markdown` prints (the
//! endpoint table of `vocab::document`, the bundled scenarios, the contract rules), and every
//! row of the endpoint table a bundled scenario reaches is reached by a real run too.

use crate::common::{read_report, regcheck};
use std::path::Path;

const BEGIN: &str = "<!-- coverage:begin (regcheck list --endpoints --markdown) -->\n";
const END: &str = "<!-- coverage:end -->";

#[test]
fn readme_coverage_section_matches_the_data() {
    let out = regcheck(&["list", "--endpoints", "--markdown"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find(BEGIN)
        .expect("README has the coverage:begin marker")
        + BEGIN.len();
    let end = readme[start..].find(END).expect("coverage:end marker") + start;
    assert!(
        readme[start..end] == out.stdout,
        "README coverage section is stale: replace it with the output of \
         `regcheck list --endpoints --markdown`"
    );
}

#[test]
fn a_run_reaches_the_endpoints_the_listing_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run.json");
    let spec = format!("json={}", path.display());
    let out = regcheck(&["run", "-q", "--report", &spec]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = read_report(&path);
    let listing = regcheck(&["list", "--endpoints"]).stdout;
    for line in listing.lines().filter(|l| l.starts_with("end-")) {
        let id = line.split_whitespace().next().unwrap_or_default();
        let block: Vec<&str> = listing
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{id} ")))
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .collect();
        let listed = block.iter().any(|l| {
            (l.starts_with("    scenarios (") && !l.ends_with(": none"))
                || l.starts_with("    only through push (")
        });
        let steps = report["endpoints"][id]["steps"].as_u64().unwrap_or(0);
        assert_eq!(
            listed,
            steps > 0,
            "{id}: listing {block:?}, run steps {steps}"
        );
    }
    let c = &report["coverage"]["oci_endpoints"];
    assert_eq!(c["total"], 17);
}
