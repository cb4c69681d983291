//! `regcheck list`: bundled scenarios, contract operations (with the documents they come from),
//! the OCI endpoints (with what checks each), contract rules or registry faults.

use super::scenarios::load_scenarios;
use crate::contract::Target;
use crate::registry::Fault;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// `regcheck list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List the contract operations (and the documents they come from) instead of scenarios.
    #[arg(long, conflicts_with_all = ["rules", "endpoints"])]
    pub operations: bool,
    /// List the OCI distribution-spec endpoints (end-1 … end-14) with the operations,
    /// scenarios and rules that check each.
    #[arg(long, conflicts_with_all = ["rules", "faults"])]
    pub endpoints: bool,
    /// With --endpoints: print the README's coverage section (Markdown).
    #[arg(long, requires = "endpoints")]
    pub markdown: bool,
    /// List the contract rules instead of scenarios.
    #[arg(long, conflicts_with = "faults")]
    pub rules: bool,
    /// List the faults the embedded registry can inject (`serve --fault`, `run --embedded-fault`).
    #[arg(long, conflicts_with = "operations")]
    pub faults: bool,
    /// Scenario files or directories (default: the bundled scenarios/).
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
}

pub fn list(args: ListArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    if args.operations {
        write!(out, "{}", super::coverage::operations())?;
        return Ok(0);
    }
    if args.endpoints {
        let Some(scenarios) = load_scenarios(&args.scenarios) else {
            return Ok(2);
        };
        let text = if args.markdown {
            super::coverage::markdown(&scenarios)
        } else {
            super::coverage::listing(&scenarios)
        };
        write!(out, "{text}")?;
        return Ok(0);
    }
    if args.faults {
        for f in Fault::ALL {
            writeln!(out, "{:<28} {}", f.name(), f.description())?;
        }
        return Ok(0);
    }
    if args.rules {
        for r in crate::contract::rules() {
            let ops: Vec<&str> = r.ops.iter().map(|o| o.name()).collect();
            let ops = if ops.is_empty() {
                "all".to_string()
            } else {
                ops.join(",")
            };
            writeln!(out, "{:<48} [{ops}] {}", r.id, r.explanation)?;
            // What binds it, per profile: the level decides fail (MUST) or warning.
            for target in [Target::Oci, Target::Acr] {
                match r.binding(target) {
                    Some(b) => {
                        let quote = if b.norm.quote.is_empty() {
                            String::new()
                        } else {
                            format!(": \"{}\"", b.norm.quote)
                        };
                        writeln!(
                            out,
                            "    {}: {} ({}), {}{quote}",
                            target.as_str(),
                            b.level,
                            b.level.severity().as_str(),
                            b.norm.cite()
                        )?;
                    }
                    None => writeln!(out, "    {}: not bound (not evaluated)", target.as_str())?,
                }
            }
        }
        return Ok(0);
    }
    let Some(scenarios) = load_scenarios(&args.scenarios) else {
        return Ok(2);
    };
    for sc in &scenarios {
        let requires: Vec<&str> = sc.requires.iter().map(|c| c.name()).collect();
        writeln!(
            out,
            "{:<40} tags: {:<30} requires: {:<20} {}",
            sc.name,
            sc.tags.join(","),
            requires.join(","),
            sc.description
        )?;
    }
    Ok(0)
}
