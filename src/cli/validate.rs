//! `regcheck validate`: scenario files checked without running them.

use super::scenarios::scenario_paths;
use crate::scenario::load;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `regcheck validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (default: the bundled scenarios/).
    pub paths: Vec<PathBuf>,
}

pub fn validate(args: ValidateArgs) -> Result<i32> {
    match load::load_and_validate(&scenario_paths(&args.paths)) {
        Ok(s) => {
            println!("{} scenario(s) valid", s.len());
            Ok(0)
        }
        Err(errors) => {
            for e in &errors {
                println!("{e}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(1)
        }
    }
}
