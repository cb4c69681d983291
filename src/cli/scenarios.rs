//! Scenario files named on the command line (default: the bundled `scenarios/`), loaded and
//! validated with every error printed.

use crate::scenario::ValidScenario;
use crate::scenario::load;
use std::path::PathBuf;

pub fn scenario_paths(given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![load::builtin_dir()]
    } else {
        given.to_vec()
    }
}

/// Loads and validates scenarios, printing every error; `None` when any failed.
pub fn load_scenarios(paths: &[PathBuf]) -> Option<Vec<ValidScenario>> {
    match load::load_and_validate(&scenario_paths(paths)) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} error(s) in scenario files", errors.len());
            None
        }
    }
}
