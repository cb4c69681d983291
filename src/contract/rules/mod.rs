//! The contract rules: small pure checks applied automatically to every observed exchange of an
//! operation. Each rule has a stable id (`<Operation>.<kebab-name>`, or `all.<kebab-name>` for
//! cross-cutting rules), a one-line explanation and a spec reference; a violation becomes a
//! `Finding` with `source = Contract`.
//!
//! Rules accept what real ACR and the OCI spec allow (307 redirects, 202 mount fallback,
//! `Range: 0-N` without `bytes=`, `tags: null`, …) and fail what they forbid. The areas live in
//! one file each: `common` (status, headers, error bodies), `auth`, `blobs`, `uploads`,
//! `manifests`, `listing` (OCI tag list and catalog, paging), `referrers` (OCI 1.1 referrers API,
//! `OCI-Subject`) and `acr` (ACR metadata bodies).

mod acr;
mod auth;
mod blobs;
mod common;
mod encoding;
mod listing;
mod manifests;
mod referrers;
mod support;
mod uploads;

pub use blobs::{
    CHECK_BLOB_EXISTS_HEADERS, CHECK_BLOB_EXISTS_REDIRECT_LOCATION, GET_BLOB_DIGEST_HEADER_MATCHES,
    GET_BLOB_DIGEST_MATCHES_BODY, GET_BLOB_REDIRECT_LOCATION, GET_CHUNK_CONTENT_RANGE_MATCHES,
    GET_CHUNK_REDIRECT_LOCATION,
};
pub use encoding::{
    GET_BLOB_CONTENT_ENCODING_REQUESTED, GET_CHUNK_CONTENT_ENCODING_REQUESTED,
    GET_MANIFEST_CONTENT_ENCODING_REQUESTED,
};
pub use manifests::{CREATE_MANIFEST_DIGEST_HEADER, GET_MANIFEST_DIGEST_MATCHES_BODY};
pub use uploads::{
    COMPLETE_UPLOAD_DIGEST_HEADER_MATCHES, START_UPLOAD_LOCATION_PRESENT,
    UPLOAD_CHUNK_LOCATION_PRESENT, UPLOAD_CHUNK_RANGE_MATCHES_CONTENT_RANGE,
};

#[cfg(test)]
pub(crate) mod proptests;
#[cfg(test)]
mod testkit;

use crate::contract::Operation;
use crate::contract::norm::{self, Binding, Target};
use crate::exchange::{Exchange, FindingSource, Verdict};
use std::sync::OnceLock;

/// One contract rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, e.g. `GetBlob.digest-matches-body` or `all.error-body`.
    pub id: &'static str,
    /// Operations the rule applies to; empty means every operation.
    pub ops: &'static [Operation],
    /// One line saying what the rule checks.
    pub explanation: &'static str,
    /// The texts that require it, per target profile, with their level.
    pub bindings: &'static [Binding],
    /// The check. Findings it returns are completed (id, source, spec) by [`Rule::run`].
    pub check: fn(&Exchange) -> Verdict,
}

impl Rule {
    /// Whether the rule applies to `op`.
    pub fn applies_to(&self, op: Operation) -> bool {
        self.ops.is_empty() || self.ops.contains(&op)
    }

    /// The binding that decides for `target`, if any text binds the rule there.
    pub fn binding(&self, target: Target) -> Option<&'static Binding> {
        norm::binding_for(self.bindings, target)
    }

    /// Runs the check for the exchange's target profile and stamps a failure with this rule's
    /// id, source, level and quoted text. A rule no text binds for the profile is not evaluated.
    pub fn run(&self, ex: &Exchange) -> Verdict {
        let Some(binding) = self.binding(ex.context.target) else {
            return Verdict::NotApplicable;
        };
        match (self.check)(ex) {
            Verdict::Fail(mut f) => {
                f.rule = self.id.to_string();
                f.source = FindingSource::Contract;
                binding.stamp(&mut f);
                Verdict::Fail(f)
            }
            other => other,
        }
    }
}

/// The verdict of one rule on one exchange.
#[derive(Debug, Clone)]
pub struct RuleResult {
    /// The rule.
    pub rule: &'static Rule,
    /// Its verdict.
    pub verdict: Verdict,
}

/// Every rule, grouped by area.
pub fn rules() -> &'static [Rule] {
    static ALL: OnceLock<Vec<Rule>> = OnceLock::new();
    ALL.get_or_init(|| {
        [
            common::RULES,
            encoding::RULES,
            auth::RULES,
            blobs::RULES,
            uploads::RULES,
            manifests::RULES,
            listing::RULES,
            referrers::RULES,
            acr::RULES,
        ]
        .concat()
    })
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().iter().find(|r| r.id == id)
}

/// Applies every rule of `ex.op` to the exchange; rules that do not apply are left out.
pub fn evaluate(ex: &Exchange) -> Vec<RuleResult> {
    rules()
        .iter()
        .filter(|r| r.applies_to(ex.op))
        .filter_map(|r| match r.run(ex) {
            Verdict::NotApplicable => None,
            verdict => Some(RuleResult { rule: r, verdict }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::testkit::{self, Case, ex};
    use super::*;
    use crate::contract::Operation as O;
    use std::collections::BTreeSet;

    fn all_cases() -> Vec<Case> {
        [
            common::cases(),
            encoding::cases(),
            auth::cases(),
            blobs::cases(),
            uploads::cases(),
            manifests::cases(),
            listing::cases(),
            referrers::cases(),
            acr::cases(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for r in rules() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            let (prefix, name) = r.id.split_once('.').expect("id has a dot");
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !name.starts_with('-')
                    && !name.ends_with('-'),
                "{}: name must be kebab-case",
                r.id
            );
            if prefix == "all" {
                assert!(r.ops.is_empty(), "{}: all.* rules apply to every op", r.id);
            } else {
                let op: Operation = prefix.parse().expect("prefix is an operation name");
                assert_eq!(r.ops, &[op], "{}: rule applies to its own op only", r.id);
            }
            assert!(!r.explanation.is_empty() && !r.explanation.contains('\n'));
            assert!(!r.bindings.is_empty(), "{}: no text binds it", r.id);
            for b in r.bindings {
                let keyword = match b.level {
                    norm::Level::Must | norm::Level::MustNot => Some("MUST"),
                    norm::Level::Should | norm::Level::ShouldNot => Some("SHOULD"),
                    _ => None,
                };
                if let Some(k) = keyword
                    && !b.norm.quote.is_empty()
                {
                    assert!(
                        b.norm.quote.contains(k),
                        "{}: a {k} binding quotes a sentence without {k}: {}",
                        r.id,
                        b.norm.id
                    );
                }
            }
        }
    }

    /// The verdicts of `normative-basis.md` §3: what a plain OCI target may legitimately do.
    #[test]
    fn oci_targets_are_judged_by_oci_texts_only() {
        use norm::Severity;
        let oci = |b: testkit::ExBuilder| b.ctx(|c| c.target = Target::Oci).build();
        let acr = |b: testkit::ExBuilder| b.ctx(|c| c.target = Target::Acr).build();
        let verdicts = |e: &Exchange| -> Vec<(&'static str, Severity)> {
            evaluate(e)
                .into_iter()
                .filter_map(|r| match r.verdict {
                    Verdict::Fail(f) => Some((r.rule.id, f.severity)),
                    _ => None,
                })
                .collect()
        };
        // A 202 upload session without Docker-Upload-UUID: ACR documents it, OCI never names it.
        let start = || {
            ex(O::StartUpload, "POST", "/v2/r/blobs/uploads/")
                .status(202)
                .header("Location", "/v2/r/blobs/uploads/u")
                .header("Range", "0-0")
        };
        assert!(
            verdicts(&oci(start())).is_empty(),
            "{:?}",
            verdicts(&oci(start()))
        );
        assert!(
            verdicts(&acr(start())).contains(&("StartUpload.upload-uuid-present", Severity::Fail))
        );
        // A 404 with a plain-text body: a 4xx MAY have any body under OCI.
        let plain = || {
            ex(O::GetManifest, "GET", "/v2/r/manifests/latest")
                .status(404)
                .header("Content-Type", "text/plain")
                .body("not found")
        };
        assert!(
            verdicts(&oci(plain())).is_empty(),
            "{:?}",
            verdicts(&oci(plain()))
        );
        assert!(verdicts(&acr(plain())).contains(&("all.error-body", Severity::Fail)));
        // UNKNOWN on a 4xx is outside OCI's MUST list; on a 5xx nothing constrains the body.
        let coded = |status| {
            ex(O::GetManifest, "GET", "/v2/r/manifests/latest")
                .status(status)
                .header("Content-Type", "application/json")
                .body(r#"{"errors":[{"code":"UNKNOWN","message":"x"}]}"#)
        };
        assert!(
            verdicts(&oci(coded(404))).contains(&("all.error-code-documented", Severity::Fail))
        );
        assert!(verdicts(&oci(coded(500))).is_empty());
        // No Docker-Distribution-API-Version although /v2/ announced it: a convention, a warning.
        let unversioned = ex(O::GetManifest, "GET", "/v2/r/manifests/latest")
            .status(404)
            .header("Content-Type", "application/json")
            .body(r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]}"#)
            .ctx(|c| {
                c.expects_api_version_header = true;
                c.target = Target::Oci;
            })
            .build();
        assert_eq!(
            verdicts(&unversioned),
            [("all.api-version-header", Severity::Warn)]
        );
        // A blob GET without Docker-Content-Digest: OPTIONAL under OCI, a wrong one still fails.
        let d = support::sha256_digest(b"x");
        let blob = |digest: Option<&str>| {
            let b = ex(O::GetBlob, "GET", &format!("/v2/r/blobs/{d}"))
                .status(200)
                .body("x");
            match digest {
                Some(v) => b.header("Docker-Content-Digest", v),
                None => b,
            }
        };
        assert!(
            !verdicts(&oci(blob(None)))
                .iter()
                .any(|(_, s)| *s == Severity::Fail),
            "{:?}",
            verdicts(&oci(blob(None)))
        );
        assert!(
            verdicts(&acr(blob(None))).contains(&("GetBlob.digest-header-matches", Severity::Fail))
        );
        let other = support::sha256_digest(b"y");
        assert!(
            verdicts(&oci(blob(Some(&other))))
                .contains(&("GetBlob.digest-header-matches", Severity::Fail))
        );
    }

    #[test]
    fn every_rule_fails_its_violating_case_and_passes_its_conforming_case() {
        let mut problems = Vec::new();
        // ACR binds everything OCI does and more: the cases are judged as for an ACR target.
        for mut c in all_cases() {
            c.fail.context.target = Target::Acr;
            c.pass.context.target = Target::Acr;
            let Some(r) = rule(c.id) else {
                problems.push(format!("{}: no such rule", c.id));
                continue;
            };
            match r.run(&c.fail) {
                Verdict::Fail(f) => {
                    let stamped = f.rule == c.id
                        && f.source == FindingSource::Contract
                        && f.spec == r.binding(Target::Acr).map(|b| b.norm.cite())
                        && f.level.is_some()
                        && !f.message.is_empty()
                        && f.expected.is_some()
                        && f.actual.is_some();
                    if !stamped {
                        problems.push(format!("{}: incomplete finding {f:?}", c.id));
                    }
                }
                other => problems.push(format!("{}: violating case gave {other:?}", c.id)),
            }
            let pass = r.run(&c.pass);
            if pass != Verdict::Pass {
                problems.push(format!("{}: conforming case gave {pass:?}", c.id));
            }
            // evaluate() must pick the rule for the case's operation.
            let reported = evaluate(&c.fail)
                .iter()
                .any(|res| res.rule.id == c.id && matches!(res.verdict, Verdict::Fail(_)));
            if !reported {
                problems.push(format!("{}: evaluate() did not report it", c.id));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_rule_has_a_test_case() {
        let tested: BTreeSet<&str> = all_cases().iter().map(|c| c.id).collect();
        let missing: Vec<&str> = rules()
            .iter()
            .map(|r| r.id)
            .filter(|id| !tested.contains(id))
            .collect();
        assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    }

    /// Every header the catalogue marks required is enforced by some rule: removing it from an
    /// otherwise complete response makes a new rule fail with a message naming the header.
    #[test]
    fn every_required_catalogue_header_is_enforced() {
        use crate::contract::catalogue::{HeaderFormat as F, catalogue};
        let d = super::support::sha256_digest(b"");
        let mut missing = Vec::new();
        for s in catalogue() {
            let path = match s.op.surface() {
                crate::contract::Surface::OAuth2 => s.op.path_template().to_string(),
                _ => {
                    s.op.path_template()
                        .replace("{name}", "r")
                        .replace("{digest}", &d)
                        .replace("{reference}", &d)
                        .replace("{nextBlobUuidLink}", "v2/r/blobs/uploads/u")
                }
            };
            let url = format!("{path}?digest={d}&mount={d}&from=src");
            for r in s.responses {
                let full = |skip: Option<&str>| {
                    let mut b = ex(s.op, s.op.method(), &url)
                        .status(r.status)
                        .req_header("Range", "bytes=0-0")
                        .req_header("If-None-Match", "x")
                        .body("x");
                    for h in r.headers {
                        if Some(h.name) == skip {
                            continue;
                        }
                        let v = match h.format {
                            F::Integer => "1".to_string(),
                            F::Digest => d.clone(),
                            F::Url => format!("/v2/r/blobs/uploads/u/blobs/{d}"),
                            F::Token => "u".to_string(),
                            F::UploadRange => "0-0".to_string(),
                            F::ContentRange => "bytes 0-0/1".to_string(),
                            F::MediaType => "application/json".to_string(),
                            F::Link => "</x?n=1&last=a>; rel=\"next\"".to_string(),
                        };
                        b = b.header(h.name, &v);
                    }
                    // The catalogue's required headers are the ACR documents' requirement.
                    b.ctx(|c| c.target = Target::Acr).build()
                };
                let fails = |e: &Exchange| -> Vec<(String, String)> {
                    evaluate(e)
                        .into_iter()
                        .filter_map(|res| match res.verdict {
                            Verdict::Fail(f) => Some((f.rule, f.message)),
                            _ => None,
                        })
                        .collect()
                };
                let baseline = fails(&full(None));
                for h in r.headers.iter().filter(|h| h.required) {
                    let name = h.name.to_ascii_lowercase();
                    let caught = fails(&full(Some(h.name))).into_iter().any(|(id, msg)| {
                        msg.to_ascii_lowercase().contains(&name)
                            && !baseline.iter().any(|(b, _)| *b == id)
                    });
                    if !caught {
                        missing.push(format!("{} {} {}", s.op, r.status, h.name));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "required headers no rule enforces: {missing:?}"
        );
    }

    #[test]
    fn evaluate_only_runs_rules_of_the_op_and_drops_not_applicable() {
        let e = ex(Operation::DeleteTag, "DELETE", "/acr/v1/r/_tags/t")
            .status(202)
            .build();
        let results = evaluate(&e);
        assert!(!results.is_empty());
        for r in &results {
            assert!(r.rule.applies_to(Operation::DeleteTag), "{}", r.rule.id);
            assert_ne!(r.verdict, Verdict::NotApplicable);
        }
        assert!(
            results.iter().all(|r| r.verdict == Verdict::Pass),
            "{results:?}"
        );
        assert!(rule("GetBlob.digest-matches-body").is_some());
        assert!(rule("nope").is_none());
    }
}
