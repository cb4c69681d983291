//! The bundled suite against CNCF Distribution 2.8 (Debian `docker-registry`), started on a free
//! loopback port with delete enabled. No errors; the failures are exactly the known deviations
//! of Distribution from the spec, pinned here so a new failure — or a known one disappearing —
//! fails this test.

use crate::common::{Distribution, failed_rules, read_report, regcheck_env, run_against_env};

/// `scenario ▸ rule` failures Distribution 2.8.2 is known to produce, each a real deviation.
const KNOWN_DEVIATIONS: &[&str] = &[
    // 416 answers announce a Content-Length the body never delivers (the connection ends early).
    "blob-range-unsatisfiable ▸ all.body-complete",
    // An out-of-order PATCH is accepted (202, Range 0-<end of that chunk>) instead of 416.
    "blob-upload-out-of-order ▸ UploadChunk.range-matches-content-range",
    "blob-upload-out-of-order ▸ scenario.status",
    // ... and applied: the in-order first chunk sent afterwards does not end the range at 65535.
    "blob-upload-out-of-order ▸ scenario.header.Range",
    // D6: the Location of the POST (its `_state` token) is refused once a chunk went through:
    // status GET 404 instead of 204 with the Range ("any preceding POST or PATCH").
    "blob-upload-stale-location ▸ scenario.header.Range",
    "blob-upload-stale-location ▸ scenario.status",
    // Not a deviation, a warning: the out-of-order final chunk of a closing PUT is appended, so
    // the digest does not match (400, which OCI 1.1.1 allows); 416 is post-1.1.1 text.
    "blob-upload-out-of-order-final ▸ scenario.status",
    // GET manifests/sha256:<not hex> answers 500 instead of 400/404.
    "manifest-malformed-digest ▸ scenario.status",
    // Warnings, not failures (listed because every finding is pinned). §4 "Debatable": a
    // manifest with a non-distributable layer is answered 500 although its errors carry
    // MANIFEST_BLOB_UNKNOWN (rejection is a MAY; nothing constrains a 5xx).
    "manifest-nondistributable-layer ▸ scenario.skip_on",
    // The PUT side of D1: PUT manifests/sha256:totallywrong answers 500. For a PUT the text
    // names no answer to a malformed reference (no N6 404 as for the GET): a convention warning.
    "manifest-put-malformed-reference ▸ scenario.skip_on",
    // tags/list is not in lexical order, ignores `n` and ignores `last` (D3, D4, D5). A missing
    // Link is no finding: OCI 1.1.1 says a Link MAY be included.
    "tags-list ▸ GetTagList.sorted",
    "tags-list-pagination ▸ GetTagList.n-respected",
    "tags-list-pagination ▸ GetTagList.sorted",
    "tags-list-pagination ▸ GetTagList.last-respected",
    "tags-list-pagination ▸ scenario.json./tags",
    "tags-list-sorted ▸ GetTagList.sorted",
    "tags-list-sorted ▸ scenario.json./tags",
    // tags-list-bounds: D3 (every page unsorted), D4 (n=0 and n=2 both list all five tags: "When
    // `n` is zero, this endpoint MUST return an empty list"), D5 (last=<the last tag> lists
    // them all again).
    "tags-list-bounds ▸ GetTagList.sorted",
    "tags-list-bounds ▸ GetTagList.n-respected",
    "tags-list-bounds ▸ GetTagList.last-respected",
    "tags-list-bounds ▸ scenario.json./tags",
];

/// Runs the bundled suite against `registry` and checks the outcome against the pinned
/// deviations; returns the report.
fn run_and_compare(
    registry: &Distribution,
    extra: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("report.json");
    let spec = format!("json={}", report_path.display());
    let mut args = vec!["run", "-q", "--target", &registry.url, "--report", &spec];
    args.extend_from_slice(extra);
    let out = regcheck_env(&args, env);
    let report = read_report(&report_path);
    assert_eq!(
        report["summary"]["errors"], 0,
        "errors against Distribution:\n{}",
        out.stdout
    );
    let failed = failed_rules(&report);
    let known: Vec<String> = KNOWN_DEVIATIONS.iter().map(|s| s.to_string()).collect();
    let new: Vec<&String> = failed.iter().filter(|f| !known.contains(f)).collect();
    let gone: Vec<&String> = known.iter().filter(|k| !failed.contains(k)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "new failures: {new:#?}\nknown deviations no longer seen: {gone:#?}\n{}",
        out.stdout
    );
    assert_eq!(out.code, if known.is_empty() { 0 } else { 1 });
    // The OCI surface was exercised and the ACR one skipped (Distribution has no /acr/v1).
    assert_eq!(report["capabilities"]["acr"], false);
    assert!(
        report["operations"]["CompleteUpload"]["steps"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
    assert!(
        report["operations"]["GetChunk"]["steps"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
    // Cleanup removed what the run created.
    assert_eq!(report["cleanup"]["leftovers"], serde_json::json!([]));
    assert!(report["cleanup"]["deleted"].as_u64().unwrap_or(0) > 10);
    report
}

#[test]
fn distribution_fails_exactly_the_known_deviations() {
    let registry = Distribution::start();
    run_and_compare(&registry, &[], &[]);
}

#[test]
fn distribution_with_basic_auth_behaves_the_same() {
    let registry = Distribution::start_with_basic_auth("ci", "htpasswd-secret");
    let report = run_and_compare(
        &registry,
        &["--username", "ci"],
        &[("REGCHECK_PASSWORD", "htpasswd-secret")],
    );
    assert!(!report.to_string().contains("htpasswd-secret"));
    // A wrong password is a configuration error, not a list of failures.
    let out = run_against_env(
        &registry.url,
        &["--username", "ci"],
        &[("REGCHECK_PASSWORD", "nope")],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("refused the credentials"),
        "{}",
        out.stderr
    );
}
