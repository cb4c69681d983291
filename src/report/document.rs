//! `Document`: what every renderer reads. A conformance run (`RunResult`), with the
//! measurements of a load run when the document came from `regcheck load`; serialised flat, so
//! a conformance report is `RunResult` as is and a load document adds one `load` member.

use crate::load::LoadReport;
use crate::runner::RunResult;
use serde::{Deserialize, Serialize};
use std::ops::{Deref, DerefMut};

/// One report's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// The conformance part (scenarios, findings, capabilities, cleanup); a load run has no
    /// scenarios.
    #[serde(flatten)]
    pub run: RunResult,
    /// Load measurements, when the report is of a load run (`regcheck load`): the renderers
    /// add percentile tables, charts and load diffs when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
}

impl From<RunResult> for Document {
    fn from(run: RunResult) -> Self {
        Document { run, load: None }
    }
}

impl Deref for Document {
    type Target = RunResult;
    fn deref(&self) -> &RunResult {
        &self.run
    }
}

impl DerefMut for Document {
    fn deref_mut(&mut self) -> &mut RunResult {
        &mut self.run
    }
}
