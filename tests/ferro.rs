//! The bundled suite against `ferro-oci-server` (crates.io), a second registry nobody in this
//! project wrote. It has no known deviation from a MUST of OCI 1.1.1, so no scenario may fail:
//! what it does differently (no Docker-Distribution-API-Version on most answers, blobs visible
//! in every repository, empty tag lists for unknown repositories) is at most a warning or a
//! skip, each with the text it rests on.

use crate::common::{Ferro, read_report, regcheck};

#[test]
fn ferro_fails_no_scenario_and_every_warning_names_its_text() {
    let registry = Ferro::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    let spec = format!("json={}", path.display());
    let out = regcheck(&["run", "-q", "--target", &registry.url, "--report", &spec]);
    let report = read_report(&path);
    assert_eq!(report["profile"], "oci", "ferro is no ACR");
    assert_eq!(report["capabilities"]["acr"], false);
    assert_eq!(
        (
            report["summary"]["failed"].as_u64(),
            report["summary"]["errors"].as_u64()
        ),
        (Some(0), Some(0)),
        "failures against ferro-oci-server:\n{}",
        out.stdout
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let mut warnings = 0;
    for s in report["scenarios"].as_array().into_iter().flatten() {
        for st in s["steps"].as_array().into_iter().flatten() {
            for f in st["findings"].as_array().into_iter().flatten() {
                assert_eq!(
                    f["severity"], "warn",
                    "a failing finding in a passing run: {f}"
                );
                assert!(
                    f["level"].is_string() && f["spec"].is_string(),
                    "a warning without its text: {f}"
                );
                warnings += 1;
            }
        }
    }
    // ferro leaves out the Docker API version header the /v2/ answer announces: a convention.
    assert!(
        warnings > 0,
        "the convention warnings are gone: {}",
        out.stdout
    );
    let ran = report["summary"]["passed"].as_u64().unwrap_or(0)
        + report["summary"]["warned"].as_u64().unwrap_or(0);
    assert!(ran >= 15, "too few scenarios ran: {}", out.stdout);
    // --strict turns those warnings into a failing exit code.
    let strict = regcheck(&[
        "run",
        "-q",
        "--strict",
        "--no-report",
        "--target",
        &registry.url,
    ]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
}
