//! Proof of detection: the embedded registry is started with each injected fault (one narrow
//! contract violation) and the bundled suite must fail exactly the rules written to catch it —
//! no more (no collateral noise) and no less. The clean registry passing everything is proven in
//! `embedded.rs`.

use crate::common::{read_report, regcheck};
use std::collections::BTreeSet;

/// Fault → (embedded auth mode, rule ids that must fail, and nothing else).
pub(crate) const EXPECTED: &[(&str, &str, &[&str])] = &[
    (
        "wrong-digest-header",
        "none",
        &[
            "CheckBlobExists.headers",
            "GetBlob.digest-header-matches",
            "GetChunk.digest-header-matches",
            "scenario.header.Docker-Content-Digest",
        ],
    ),
    (
        "corrupt-blob-body",
        "none",
        &["GetBlob.digest-matches-body", "scenario.body-digest"],
    ),
    (
        "range-ignored",
        "none",
        &[
            "GetChunk.range-honoured",
            "all.status-documented",
            "scenario.body-length",
            "scenario.header.Content-Range",
            "scenario.status",
        ],
    ),
    (
        "wrong-content-range",
        "none",
        &[
            "CheckChunkExists.content-range-matches",
            "GetChunk.content-range-matches",
            "all.header-format",
            "scenario.header.Content-Range",
        ],
    ),
    (
        "missing-upload-location",
        "none",
        &[
            "CompleteUpload.location-present",
            "StartUpload.location-present",
            "scenario.header.Location",
        ],
    ),
    (
        "missing-start-location",
        "none",
        &[
            "StartUpload.location-present",
            "scenario.capture.push.location",
            "scenario.capture.upload",
            "scenario.header.Location",
        ],
    ),
    (
        "missing-upload-uuid",
        "none",
        &[
            "StartUpload.upload-uuid-present",
            "UploadChunk.upload-uuid-present",
        ],
    ),
    // A SHOULD: a warning (blob-upload-chunked).
    (
        "bad-chunk-min-length",
        "none",
        &["scenario.header.OCI-Chunk-Min-Length"],
    ),
    (
        "wrong-upload-range",
        "none",
        &[
            "UploadChunk.range-matches-content-range",
            "scenario.header.Range",
        ],
    ),
    (
        "bad-range-format",
        "none",
        &[
            "GetUploadStatus.range-format",
            "StartUpload.range-format",
            "UploadChunk.range-format",
            "UploadChunk.range-matches-content-range",
            "all.header-format",
            "scenario.header.Range",
        ],
    ),
    // The 201 has no JSON body, so the error-code matcher (`if_json`) has nothing to judge.
    ("bad-digest-accepted", "none", &["scenario.status"]),
    // The appended chunk does not match the digest: 400, which OCI 1.1.1 allows; 416 for a
    // final chunk out of order is post-1.1.1 text, a warning (blob-upload-out-of-order-final).
    ("final-chunk-order-ignored", "none", &["scenario.status"]),
    (
        "manifest-digest-mismatch",
        "none",
        &[
            "GetManifest.digest-matches-body",
            "scenario.header.Docker-Content-Digest",
        ],
    ),
    // The 201 goes on to the GET by the claimed digest, whose body has another digest.
    (
        "manifest-digest-unchecked",
        "none",
        &[
            "CreateManifest.digest-header",
            "GetManifest.digest-matches-body",
            "scenario.status",
        ],
    ),
    (
        "manifest-bytes-rewritten",
        "none",
        &[
            "GetManifest.digest-matches-body",
            "scenario.body-digest",
            "scenario.body-length",
            "scenario.header.Content-Length",
            // The referrers list gives the sizes of the rewritten bytes, not of those pushed.
            "scenario.json./manifests",
        ],
    ),
    (
        "manifest-wrong-content-type",
        "none",
        &[
            "GetManifest.accept-honoured",
            "GetManifest.content-type-matches-media-type",
            "scenario.header.Content-Type",
        ],
    ),
    (
        "orderby-ignored",
        "none",
        &[
            "GetManifests.orderby",
            "GetTags.orderby",
            "scenario.json./manifests/0/digest",
            "scenario.json./manifests/1/digest",
            "scenario.json./tags",
        ],
    ),
    (
        "attributes-not-stored",
        "none",
        &[
            "scenario.body-digest",
            "scenario.json./changeableAttributes/deleteEnabled",
            "scenario.json./changeableAttributes/listEnabled",
            "scenario.json./manifest/changeableAttributes/deleteEnabled",
            "scenario.json./manifest/changeableAttributes/quarantineDetails",
            "scenario.json./manifest/changeableAttributes/quarantineState",
            "scenario.json./manifest/changeableAttributes/writeEnabled",
            "scenario.json./tag/changeableAttributes/deleteEnabled",
            "scenario.json./tag/changeableAttributes/writeEnabled",
            "scenario.json./tag/digest",
            "scenario.json./tags",
            "scenario.json./tags/0/name",
            "scenario.status",
        ],
    ),
    ("missing-link", "none", &["scenario.header.Link"]),
    (
        "error-body-not-json",
        "none",
        // OCI lets a 4xx have any body: the OCI scenarios' error codes are `if_json`; the ACR
        // scenarios (ACR documents JSON errors) and the token bodies see it.
        &[
            "all.error-body",
            "scenario.json./access_token",
            "scenario.json./errors/0/code",
            "scenario.json./refresh_token",
        ],
    ),
    (
        "no-auth-challenge",
        "token",
        &["all.auth-challenge", "scenario.header.WWW-Authenticate"],
    ),
    (
        "token-scope-not-enforced",
        "token",
        &[
            "scenario.header.WWW-Authenticate",
            "scenario.json./errors/0/code",
            "scenario.status",
        ],
    ),
    (
        "v2-no-api-version",
        "none",
        &["scenario.header.Docker-Distribution-Api-Version"],
    ),
    (
        "missing-api-version-header",
        "none",
        &["all.api-version-header"],
    ),
    (
        "unknown-error-code",
        "none",
        &["all.error-code-documented", "scenario.json./errors/0/code"],
    ),
    (
        "acr-schema-violation",
        "none",
        &[
            "GetProperties.schema",
            "UpdateProperties.schema",
            "scenario.json./imageName",
        ],
    ),
    (
        "delete-ignored",
        "none",
        &["scenario.json./errors/0/code", "scenario.status"],
    ),
    ("blob-delete-ignored", "none", &["scenario.status"]),
    (
        "write-enabled-not-enforced",
        "none",
        &["scenario.json./tag/digest", "scenario.status"],
    ),
    (
        "tags-unsorted",
        "none",
        &[
            "GetCatalog.last-respected",
            "GetRepositories.last-respected",
            "GetTagList.last-respected",
            "GetTagList.sorted",
            "scenario.header.Link",
            "scenario.json./repositories",
            "scenario.json./tags",
        ],
    ),
    (
        "tags-page-size-ignored",
        "none",
        &["GetTagList.n-respected", "scenario.json./tags"],
    ),
    (
        "oauth2-bad-grant-accepted",
        "token",
        &[
            "scenario.json./access_token",
            "scenario.json./errors/0/code",
            "scenario.json./refresh_token",
            "scenario.status",
        ],
    ),
    (
        "oauth2-any-service",
        "token",
        &[
            "scenario.json./access_token",
            "scenario.json./refresh_token",
            "scenario.status",
        ],
    ),
    (
        "challenge-scope-missing",
        "token",
        &["scenario.header.WWW-Authenticate"],
    ),
    (
        "token-not-verified",
        "token",
        &[
            "scenario.header.WWW-Authenticate",
            "scenario.json./errors/0/code",
            "scenario.status",
        ],
    ),
    // The referrers API (OCI 1.1.1 §Listing Referrers, §Pushing Manifests with Subject).
    (
        "referrers-404",
        "none",
        &[
            "GetReferrers.not-404",
            "scenario.header.Content-Type",
            "scenario.json./manifests",
            "scenario.json./schemaVersion",
            "scenario.status",
        ],
    ),
    (
        "referrers-wrong-content-type",
        "none",
        &["GetReferrers.content-type", "scenario.header.Content-Type"],
    ),
    (
        "oci-subject-missing",
        "none",
        &["CreateManifest.oci-subject", "scenario.header.OCI-Subject"],
    ),
    (
        "referrers-filter-ignored",
        "none",
        &["GetReferrers.filter-applied"],
    ),
    (
        "referrers-artifact-type-missing",
        "none",
        &["GetReferrers.artifact-type", "scenario.json./manifests"],
    ),
    // No rule knows what was pushed: the scenario compares the annotations.
    (
        "referrers-annotations-dropped",
        "none",
        &["scenario.json./manifests"],
    ),
    (
        "referrers-invalid-digest-404",
        "none",
        &["GetReferrers.invalid-digest-400", "scenario.status"],
    ),
    (
        "referrers-not-an-index",
        "none",
        &["GetReferrers.schema", "scenario.json./manifests"],
    ),
];

/// Rules that may fail in addition, depending on the run's random content: with `orderby`
/// ignored, manifests come back in digest order, which by chance can agree with one of the
/// checks of the manifest listing scenario.
const MAY_ALSO_FAIL: &[(&str, &[&str])] = &[(
    "orderby-ignored",
    &[
        "scenario.json./manifests",
        "scenario.json./manifests/0/tags",
    ],
)];

/// Runs the suite against the embedded registry with one fault; returns the failed rule ids.
fn failed_rule_ids(fault: &str, auth: &str) -> (BTreeSet<String>, serde_json::Value) {
    failed_rule_ids_with(fault, auth, &[])
}

/// [`failed_rule_ids`] with extra `run` arguments (`--embedded-minimal`); `fault` `""` runs
/// the clean registry. The ids include warnings; the exit code must be 1 exactly when a
/// finding is a failure.
pub(crate) fn failed_rule_ids_with(
    fault: &str,
    auth: &str,
    extra: &[&str],
) -> (BTreeSet<String>, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    let spec = format!("json={}", path.display());
    let mut args = vec!["run", "-q", "--embedded-auth", auth, "--report", &spec];
    if !fault.is_empty() {
        args.extend_from_slice(&["--embedded-fault", fault]);
    }
    args.extend_from_slice(extra);
    let out = regcheck(&args);
    let report = read_report(&path);
    let mut ids = BTreeSet::new();
    let mut failing = false;
    for s in report["scenarios"].as_array().into_iter().flatten() {
        for st in s["steps"].as_array().into_iter().flatten() {
            for f in st["findings"].as_array().into_iter().flatten() {
                ids.insert(f["rule"].as_str().unwrap_or("?").to_string());
                // Contract findings carry the level of the text that binds them.
                if f["source"] == "contract" && !f["rule"].as_str().unwrap_or("").contains('.') {
                    panic!("fault {fault}: finding without a rule id: {f}");
                }
                if f["source"] == "contract"
                    && f["rule"]
                        .as_str()
                        .is_some_and(|r| !r.starts_with("transport.") && !r.starts_with("limits."))
                {
                    assert!(
                        f["level"].is_string(),
                        "fault {fault}: contract finding without a level: {f}"
                    );
                }
                failing |= f["severity"] != "warn";
            }
        }
    }
    // A fault that only breaks a SHOULD or a convention is reported as a warning: exit 0.
    assert_eq!(
        out.code,
        if failing { 1 } else { 0 },
        "fault {fault}: exit code vs findings\n{}",
        out.stderr
    );
    (ids, report)
}

/// The rule ids a fault must fail, and those of `got` that neither it nor `MAY_ALSO_FAIL`
/// names.
pub(crate) fn judged<'a>(
    fault: &str,
    expected: &[&str],
    got: &'a BTreeSet<String>,
) -> (BTreeSet<String>, Vec<&'a String>) {
    let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    let may: BTreeSet<String> = MAY_ALSO_FAIL
        .iter()
        .filter(|(f, _)| *f == fault)
        .flat_map(|(_, ids)| ids.iter().map(|s| s.to_string()))
        .collect();
    let unexpected = got
        .iter()
        .filter(|id| !want.contains(*id) && !may.contains(*id))
        .collect();
    (want, unexpected)
}

#[test]
fn every_fault_is_caught_by_exactly_its_rules() {
    let mut mismatches = Vec::new();
    for (fault, auth, expected) in EXPECTED {
        let (got, report) = failed_rule_ids(fault, auth);
        assert_eq!(
            report["summary"]["errors"], 0,
            "fault {fault}: the run had errors"
        );
        let (want, unexpected) = judged(fault, expected, &got);
        if !want.is_subset(&got) || !unexpected.is_empty() {
            mismatches.push(format!(
                "{fault}: missing {:?}, unexpected {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                unexpected
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_registry_fault_has_an_expectation() {
    let listed: BTreeSet<&str> = EXPECTED.iter().map(|(f, _, _)| *f).collect();
    // Hostile faults break HTTP itself; tests/hostile.rs proves each of them.
    for fault in regcheck::registry::Fault::ALL
        .iter()
        .filter(|f| !f.is_hostile())
    {
        assert!(
            listed.contains(fault.name()),
            "fault {} has no detection expectation",
            fault.name()
        );
    }
}

#[test]
fn every_contract_rule_is_proven_by_a_fault_or_a_unit_case() {
    // Contract rules are each unit-tested against a violating exchange (src/contract/rules);
    // here: the faults cover at least 15 distinct contract rules end to end.
    let contract: BTreeSet<&str> = EXPECTED
        .iter()
        .flat_map(|(_, _, ids)| ids.iter().copied())
        .filter(|id| !id.starts_with("scenario."))
        .collect();
    assert!(contract.len() >= 15, "{contract:?}");
    for id in contract {
        assert!(
            regcheck::contract::rule(id).is_some(),
            "{id} is not a contract rule"
        );
    }
}
