//! `regcheck list --endpoints`: the OCI endpoint table (`vocab::document`) with what checks each
//! row: the catalogue operations that exercise it, the scenarios whose requests reach it (read
//! from the scenario files: operation, method and query keys of every request step, `push`
//! steps expanded) and the contract rules bound under the `oci` profile on its operations.
//! `--markdown` prints the same as the README's coverage section (tests/coverage_doc.rs keeps
//! them equal).

use crate::contract::{Rule, Target, rules};
use crate::runner::push;
use crate::scenario::ValidScenario;
use crate::scenario::valid::{Step, StepKind};
use crate::vocab::Operation;
use crate::vocab::document::{Document, ENDPOINTS, Endpoint, documents_of, endpoint_for};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The endpoints the request steps of `steps` exercise (loops once): those of steps written
/// as requests in `own`, those of `push` steps (expanded) in `pushed`.
fn step_endpoints(
    steps: &[Step],
    pushed_here: bool,
    own: &mut BTreeSet<&'static str>,
    pushed: &mut BTreeSet<&'static str>,
) {
    for step in steps {
        match &step.kind {
            StepKind::Request(r) => {
                let method = r.request.method.as_deref().unwrap_or(r.op.method());
                let template = r.request.target.template();
                let in_template = template
                    .split_once('?')
                    .map(|(_, q)| q)
                    .unwrap_or_default()
                    .split('&')
                    .map(|kv| kv.split_once('=').map(|(k, _)| k).unwrap_or(kv));
                let keys: Vec<&str> = r
                    .request
                    .query
                    .keys()
                    .map(String::as_str)
                    .chain(in_template)
                    .collect();
                if let Some(e) = endpoint_for(r.op, method, &keys) {
                    if pushed_here { &mut *pushed } else { &mut *own }.insert(e.id);
                }
            }
            StepKind::Push(p) => step_endpoints(&push::expand(p, &step.pos), true, own, pushed),
            StepKind::Group(g) => step_endpoints(g, pushed_here, own, pushed),
        }
    }
}

/// Which scenarios reach one endpoint: in steps of their own, or only through `push`.
#[derive(Default)]
struct Reached<'a> {
    own: Vec<&'a str>,
    pushed: Vec<&'a str>,
}

/// Per endpoint id, the scenarios that exercise it (sorted by name).
fn scenarios_by_endpoint(scenarios: &[ValidScenario]) -> BTreeMap<&'static str, Reached<'_>> {
    let mut by: BTreeMap<&'static str, Reached<'_>> = BTreeMap::new();
    let mut sorted: Vec<&ValidScenario> = scenarios.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for sc in sorted {
        let (mut own, mut pushed) = (BTreeSet::new(), BTreeSet::new());
        step_endpoints(&sc.steps, false, &mut own, &mut pushed);
        for id in &own {
            by.entry(id).or_default().own.push(&sc.name);
        }
        for id in pushed.difference(&own) {
            by.entry(id).or_default().pushed.push(&sc.name);
        }
    }
    by
}

/// `a, b` or `none`.
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// The rules written for the endpoint's operations that the `oci` profile evaluates.
fn endpoint_rules(e: &Endpoint) -> Vec<&'static Rule> {
    rules()
        .iter()
        .filter(|r| !r.ops.is_empty() && e.ops.iter().any(|op| r.ops.contains(op)))
        .filter(|r| r.binding(Target::Oci).is_some())
        .collect()
}

/// Rules on every response that the `oci` profile evaluates.
fn common_rules() -> Vec<&'static Rule> {
    rules()
        .iter()
        .filter(|r| r.ops.is_empty() && r.binding(Target::Oci).is_some())
        .collect()
}

fn level_of(r: &Rule) -> String {
    r.binding(Target::Oci)
        .map(|b| b.level.to_string())
        .unwrap_or_default()
}

fn level_note(e: &Endpoint) -> String {
    match e.document {
        Document::OciDev => format!("{} (text after 1.1.1)", e.level),
        _ => e.level.to_string(),
    }
}

/// `regcheck list --endpoints`: one block per endpoint.
pub fn listing(scenarios: &[ValidScenario]) -> String {
    let by = scenarios_by_endpoint(scenarios);
    let mut out = String::new();
    for e in ENDPOINTS {
        let _ = writeln!(
            out,
            "{:<8} {:<70} {} {} / {}; {}, {}",
            e.id,
            e.request_line(),
            e.document.name(),
            Endpoint::statuses(e.success),
            Endpoint::statuses(e.failure),
            e.category.name(),
            level_note(e)
        );
        let ops: Vec<&str> = e.ops.iter().map(|o| o.name()).collect();
        let _ = writeln!(out, "    operations: {}", ops.join(", "));
        let reached = by.get(e.id);
        let names = |pick: &dyn Fn(&Reached<'_>) -> Vec<String>| -> Vec<String> {
            reached.map(pick).unwrap_or_default()
        };
        let own = names(&|r| r.own.iter().map(|n| n.to_string()).collect());
        let pushed = names(&|r| r.pushed.iter().map(|n| n.to_string()).collect());
        let _ = writeln!(out, "    scenarios ({}): {}", own.len(), list_or_none(&own));
        if !pushed.is_empty() {
            let _ = writeln!(
                out,
                "    only through push ({}): {}",
                pushed.len(),
                pushed.join(", ")
            );
        }
        let rule_ids: Vec<String> = endpoint_rules(e).iter().map(|r| r.id.to_string()).collect();
        let _ = writeln!(
            out,
            "    rules ({}): {}",
            rule_ids.len(),
            list_or_none(&rule_ids)
        );
    }
    let common: Vec<&str> = common_rules().iter().map(|r| r.id).collect();
    let _ = writeln!(out, "every response: {}", common.join(", "));
    out
}

/// `regcheck list --operations`: name, method, path and the documents it comes from.
pub fn operations() -> String {
    let mut out = String::new();
    for op in Operation::ALL {
        let docs: Vec<&str> = documents_of(*op).iter().map(|d| d.name()).collect();
        let _ = writeln!(
            out,
            "{:<44} {:<7} {:<40} {}",
            op.name(),
            op.method(),
            op.path_template(),
            docs.join(", ")
        );
    }
    out
}

/// The README's coverage section (between its `coverage:begin` / `coverage:end` markers).
pub fn markdown(scenarios: &[ValidScenario]) -> String {
    let by = scenarios_by_endpoint(scenarios);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Generated by `regcheck list --endpoints --markdown` from the endpoint table \
         (`src/vocab/document.rs`), the bundled scenarios and the contract rules; \
         `tests/coverage_doc.rs` fails when it is stale. Level: what the spec asks of a \
         registry for the endpoint's workflow category (Pull MUST; Push, Content Discovery and \
         Content Management SHOULD, and MUST all of a category a registry claims); end-14 is \
         only in the text after 1.1.1. Rules: those written for the endpoint's operations that \
         the `oci` profile evaluates, with their level (a MUST fails, anything else warns); \
         `regcheck list --rules` quotes each one's text.\n"
    );
    let _ = writeln!(
        out,
        "| id | request | success / failure | category, level | operations |\n|---|---|---|---|---|"
    );
    for e in ENDPOINTS {
        let ops: Vec<&str> = e.ops.iter().map(|o| o.name()).collect();
        let _ = writeln!(
            out,
            "| {} | `{}` | {} / {} | {}, {} | {} |",
            e.id,
            e.request_line(),
            Endpoint::statuses(e.success),
            Endpoint::statuses(e.failure),
            e.category.name(),
            level_note(e),
            ops.join(", ")
        );
    }
    for e in ENDPOINTS {
        let _ = writeln!(out, "\n**{}** `{}`", e.id, e.request_line());
        let (own, pushed) = by
            .get(e.id)
            .map(|r| (r.own.as_slice(), r.pushed.len()))
            .unwrap_or_default();
        let own: Vec<String> = own.iter().map(|n| format!("`{n}`")).collect();
        let through_push = if pushed > 0 {
            format!("; {pushed} more only through `push` steps")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "- scenarios ({}): {}{through_push}",
            own.len(),
            list_or_none(&own)
        );
        let rules: Vec<String> = endpoint_rules(e)
            .iter()
            .map(|r| format!("`{}` ({})", r.id, level_of(r)))
            .collect();
        let _ = writeln!(out, "- rules ({}): {}", rules.len(), list_or_none(&rules));
    }
    let common: Vec<String> = common_rules()
        .iter()
        .map(|r| format!("`{}` ({})", r.id, level_of(r)))
        .collect();
    let _ = writeln!(
        out,
        "\nOn every response, whatever the endpoint: {}.",
        common.join(", ")
    );
    out
}
