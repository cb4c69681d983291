//! Judging a step: the contract rules of its operation on every answer the target gave
//! (retries and redirect hops included), its `skip_on` variants and explicit expectations on
//! the response it sees, a transport failure as a finding, and the step's outcome.

use super::flow::Flow;
use super::probe::Capabilities;
use super::request;
use super::result::Outcome;
use super::transcript::redact_text;
use super::vars::Vars;
use crate::client::{self, Observed};
use crate::contract::Operation;
use crate::exchange::{
    Exchange, ExchangeContext, Finding, FindingSource, ObservedResponse, Verdict,
};
use crate::scenario::{Expect, SkipOn};
use url::Url;

/// What the checks of a step found.
#[derive(Debug, Default)]
pub(super) struct Judgement {
    /// Checks that held: contract rules and expectations.
    pub passed: u32,
    /// Ids of the contract rules that held.
    pub contract_passed: Vec<String>,
    /// What did not hold.
    pub findings: Vec<Finding>,
}

/// The contract rules of `op` on every answer the target gave: the ones that were retried
/// (401 challenges, throttling), then each redirect hop. `target` tells a redirect to
/// another origin.
pub(super) fn contract(
    op: Operation,
    hops: &[Observed],
    caps: &Capabilities,
    target: &Url,
) -> Judgement {
    let mut judged = Judgement::default();
    let checked: Vec<(usize, &Observed)> = hops
        .iter()
        .enumerate()
        .flat_map(|(i, o)| o.retried.iter().chain([o]).map(move |x| (i, x)))
        .collect();
    for (i, observed) in checked {
        let via_redirect = i > 0
            && Url::parse(&observed.request.url)
                .map(|u| !client::same_origin(&u, target))
                .unwrap_or(true);
        let ex = Exchange {
            op,
            request: observed.request.clone(),
            response: observed.response.clone(),
            context: ExchangeContext {
                expects_api_version_header: caps.api_version_header,
                via_redirect,
                ranges_advertised: caps.ranges_advertised,
                authenticated: observed.authenticated,
                referrers_api: caps.has(crate::scenario::Capability::Referrers),
                target: caps.target(),
            },
        };
        for (rule, verdict) in super::checks::contract(&ex) {
            match verdict {
                Verdict::Pass => {
                    judged.passed += 1;
                    judged.contract_passed.push(rule.to_string());
                }
                Verdict::Fail(f) => judged.findings.push(f),
                Verdict::NotApplicable => {}
            }
        }
    }
    judged
}

/// The response a step's expectations and captures see: the last hop, plus the registry's
/// `Docker-*` headers from earlier hops when the last hop lacks them — ACR puts
/// `Docker-Content-Digest` on its 307 to storage, and storage knows nothing of Docker headers.
pub(super) fn step_response(hops: &[Observed]) -> ObservedResponse {
    let Some((last, earlier)) = hops.split_last() else {
        return Default::default();
    };
    let mut resp = last.response.clone();
    for hop in earlier.iter().rev() {
        for (k, v) in &hop.response.headers {
            let registry_header = k.to_ascii_lowercase().starts_with("docker-");
            if registry_header && resp.header(k).is_none() {
                resp.headers.push((k.clone(), v.clone()));
            }
        }
    }
    resp
}

/// The spec-legal variant `last` is, when one of the step's `skip_on` applies: why the rest
/// of the scenario is skipped, and the variant (its `level` asks for a warning).
pub(super) fn skip_reason<'a>(
    skip_on: &'a [SkipOn],
    name: &str,
    last: &ObservedResponse,
) -> Option<(String, &'a SkipOn)> {
    let body = (!skip_on.is_empty()).then(|| last.json()).flatten();
    let skip = skip_on
        .iter()
        .find(|s| s.applies(last.status, body.as_ref()))?;
    let without = skip
        .absent
        .as_deref()
        .map(|p| format!(" without {p}"))
        .unwrap_or_default();
    let reason = format!(
        "{} answered {}{without}: {}",
        name, last.status, skip.reason
    );
    Some((reason, skip))
}

/// The step's expectations, rendered with `vars`, on `last`, added to `judged`: whether one
/// failed, or why they could not be rendered.
pub(super) fn expectations(
    expect: &Expect,
    vars: &Vars,
    last: &ObservedResponse,
    judged: &mut Judgement,
) -> Result<bool, String> {
    let expect = request::render_expect(expect, vars)
        .map_err(|e| format!("cannot render expectations: {e}"))?;
    let mut failed = false;
    for v in super::checks::expectations(&expect, last) {
        match v {
            Verdict::Pass => judged.passed += 1,
            Verdict::Fail(f) => {
                failed = true;
                judged.findings.push(f);
            }
            Verdict::NotApplicable => {}
        }
    }
    Ok(failed)
}

/// The outcome of a step from its findings and what happens after it.
pub(super) fn outcome(findings: &[Finding], flow: &Flow) -> Outcome {
    if findings.iter().any(|f| !f.is_warning()) {
        Outcome::Fail
    } else if !findings.is_empty() && !matches!(flow, Flow::Error(_) | Flow::Skip(_)) {
        Outcome::Warn
    } else if matches!(flow, Flow::Error(_)) {
        Outcome::Error
    } else if matches!(flow, Flow::Skip(_)) {
        Outcome::Skip
    } else {
        Outcome::Pass
    }
}

/// A request that got no usable answer, as one finding naming the request, the limit or
/// failure and what arrived (redacted); `Err` (redacted) when the failure is not the
/// target's fault and the step could not run.
pub(super) fn transport_finding(
    error: &client::ClientError,
    secrets: &[String],
) -> Result<Finding, String> {
    let red = |t: &str| redact_text(t, secrets);
    if !error.is_target_fault() {
        return Err(red(&error.to_string()));
    }
    let kind = error.kind();
    let rule = if kind.starts_with("limits.") {
        kind
    } else {
        format!("transport.{kind}")
    };
    Ok(Finding {
        rule,
        source: FindingSource::Contract,
        message: red(&error.to_string()),
        expected: Some("a complete HTTP answer within the client's limits".into()),
        actual: Some(red(&error.to_string())),
        spec: Some(
            "RFC 9112 (message framing); regcheck limits (--timeout, --headers-timeout, --max-*)"
                .into(),
        ),
        level: Some(crate::contract::Level::Must),
        severity: Default::default(),
        quote: None,
        known: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(status: u16, headers: &[(&str, &str)]) -> Observed {
        Observed {
            request: Default::default(),
            response: crate::exchange::ObservedResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: Default::default(),
            },
            authenticated: false,
            retried: Vec::new(),
        }
    }

    #[test]
    fn redirected_steps_keep_the_registry_docker_headers() {
        let hops = [
            observed(
                307,
                &[
                    ("Location", "http://storage/x"),
                    ("Docker-Content-Digest", "sha256:aa"),
                    ("Content-Length", "412"),
                ],
            ),
            observed(
                200,
                &[
                    ("Content-Length", "5"),
                    ("Docker-Content-Digest", "sha256:bb"),
                ],
            ),
        ];
        let r = step_response(&hops);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some("5"));
        // The final answer's own header wins; missing Docker headers come from the registry hop.
        assert_eq!(r.header("docker-content-digest"), Some("sha256:bb"));
        let r = step_response(
            &hops[..1]
                .iter()
                .cloned()
                .chain([observed(200, &[])])
                .collect::<Vec<_>>(),
        );
        assert_eq!(r.header("docker-content-digest"), Some("sha256:aa"));
        assert_eq!(r.header("location"), None);
    }
}
