//! `regcheck report merge`: adds the JSON reports of load shards (`regcheck load --shard i/N`)
//! into one — histograms added exactly, counters summed, timelines aligned — prints its
//! summary, writes it, and checks thresholds on the merged numbers.

use crate::load::{LoadReport, LoadRunReport, Threshold};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

/// `regcheck report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports of `regcheck load` (one per shard).
    #[arg(required = true, num_args = 1..)]
    pub reports: Vec<PathBuf>,
    /// Where to write the merged JSON report.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Fail (exit 1) unless this holds on the merged numbers (repeatable).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
}

/// Runs `regcheck report merge`.
pub fn merge(args: MergeArgs) -> Result<i32> {
    let thresholds: Vec<Threshold> = match args.thresholds.iter().map(|t| t.parse()).collect() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let mut parts: Vec<LoadRunReport> = Vec::new();
    for p in &args.reports {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return Ok(2);
            }
        };
        match serde_json::from_str::<LoadRunReport>(&text) {
            Ok(r) if r.kind == "load" => parts.push(r),
            Ok(_) => {
                eprintln!("error: {} is not a load report", p.display());
                return Ok(2);
            }
            Err(e) => {
                eprintln!("error: {} is not a regcheck load report: {e}", p.display());
                return Ok(2);
            }
        }
    }
    let loads: Vec<LoadReport> = parts.iter().map(|p| p.load.clone()).collect();
    let merged_load = match LoadReport::merge(&loads) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: cannot merge: {e}");
            return Ok(2);
        }
    };
    let first = &parts[0];
    let mut merged = LoadRunReport {
        schema_version: first.schema_version,
        kind: "load".into(),
        tool: first.tool.clone(),
        target: first.target.clone(),
        run_id: parts
            .iter()
            .map(|p| p.run_id.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        namespace: parts
            .iter()
            .map(|p| p.namespace.as_str())
            .collect::<Vec<_>>()
            .join(","),
        started_at: parts
            .iter()
            .map(|p| p.started_at.clone())
            .min()
            .unwrap_or_default(),
        ended_at: parts
            .iter()
            .map(|p| p.ended_at.clone())
            .max()
            .unwrap_or_default(),
        cleanup: crate::namespace::CleanupReport {
            kept: parts.iter().any(|p| p.cleanup.kept),
            deleted: parts.iter().map(|p| p.cleanup.deleted).sum(),
            leftovers: parts
                .iter()
                .flat_map(|p| p.cleanup.leftovers.iter().cloned())
                .collect(),
            ..Default::default()
        },
        load: merged_load,
        errors_bounded: false,
    };
    merged.apply_thresholds(&thresholds);
    print!("{}", crate::report::load_summary::render(&merged.load));
    if let Some(out) = &args.output {
        let json = serde_json::to_vec_pretty(&merged).context("serializing the merged report")?;
        std::fs::write(out, json).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(merged.exit_code())
}
