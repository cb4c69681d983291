//! The contract rules: small pure checks applied automatically to every observed exchange of an
//! operation. Each rule has a stable id (`<Operation>.<kebab-name>`, or `all.<kebab-name>` for
//! cross-cutting rules), a one-line explanation and a spec reference; a violation becomes a
//! `Finding` with `source = Contract`.
//!
//! Rules accept what real ACR and the OCI spec allow (307 redirects, 202 mount fallback,
//! `Range: 0-N` without `bytes=`, `tags: null`, …) and fail what they forbid. The areas live in
//! one file each: `common` (status, headers, error bodies), `auth`, `blobs`, `uploads`,
//! `manifests`, `listing` (OCI tag list and catalog, paging) and `acr` (ACR metadata bodies).

mod acr;
mod auth;
mod blobs;
mod common;
mod encoding;
mod listing;
mod manifests;
mod support;
mod uploads;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testkit;

use crate::check::{Exchange, FindingSource, Verdict};
use crate::contract::Operation;
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
    /// Where the requirement comes from.
    pub spec: &'static str,
    /// The check. Findings it returns are completed (id, source, spec) by [`Rule::run`].
    pub check: fn(&Exchange) -> Verdict,
}

impl Rule {
    /// Whether the rule applies to `op`.
    pub fn applies_to(&self, op: Operation) -> bool {
        self.ops.is_empty() || self.ops.contains(&op)
    }

    /// Runs the check and stamps a failure with this rule's id, source and spec reference.
    pub fn run(&self, ex: &Exchange) -> Verdict {
        match (self.check)(ex) {
            Verdict::Fail(mut f) => {
                f.rule = self.id.to_string();
                f.source = FindingSource::Contract;
                f.spec = Some(self.spec.to_string());
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
    use super::testkit::{Case, ex};
    use super::*;
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
            assert!(!r.spec.is_empty());
        }
    }

    #[test]
    fn every_rule_fails_its_violating_case_and_passes_its_conforming_case() {
        let mut problems = Vec::new();
        for c in all_cases() {
            let Some(r) = rule(c.id) else {
                problems.push(format!("{}: no such rule", c.id));
                continue;
            };
            match r.run(&c.fail) {
                Verdict::Fail(f) => {
                    let stamped = f.rule == c.id
                        && f.source == FindingSource::Contract
                        && f.spec.as_deref() == Some(r.spec)
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
                    b.build()
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
