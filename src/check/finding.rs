//! The result of evaluating one rule or expectation: a `Verdict`, and for failures a `Finding`
//! naming the rule, what was expected and what was seen. Findings are data, never errors.

use serde::{Deserialize, Serialize};

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSource {
    /// The built-in contract catalogue (applied to every step automatically).
    Contract,
    /// The scenario's explicit expectations.
    Scenario,
}

/// A failed check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `GetBlob.digest-matches-body` or `scenario.status`.
    pub rule: String,
    /// Contract or scenario.
    pub source: FindingSource,
    /// One line saying what is wrong.
    pub message: String,
    /// What the rule expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the target did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The document and section the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// The verdict of one rule on one exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The rule applied and held.
    Pass,
    /// The rule applied and was violated.
    Fail(Finding),
    /// The rule did not apply (reason says why, e.g. "no Range requested").
    NotApplicable,
}
