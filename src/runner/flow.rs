//! What happens after a step: the scenario goes on, stops, skips the rest, or errors.

/// What happens after a step.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Flow {
    Continue,
    /// An expectation failed: later steps depend on it.
    Stop,
    /// A spec-legal variant: the rest is skipped.
    Skip(String),
    /// The step could not run.
    Error(String),
}

impl Flow {
    /// Why the rest is skipped or the step could not run.
    pub(super) fn reason(&self) -> Option<String> {
        match self {
            Flow::Skip(r) | Flow::Error(r) => Some(r.clone()),
            _ => None,
        }
    }
}
