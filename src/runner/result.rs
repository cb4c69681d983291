//! What a conformance run produces: `RunResult` → `ScenarioResult` → `StepResult`, with
//! outcomes and findings. Serialisable; the only input of the report writers.

use crate::exchange::Finding;
pub use crate::namespace::CleanupReport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Outcome of a step or scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// Every MUST held, but a SHOULD or a convention did not: reported, not failing the exit
    /// code unless `--strict`.
    Warn,
    /// At least one check failed.
    Fail,
    /// Not run: the target lacks a capability or answered a spec-legal variant.
    Skip,
    /// Could not run: connection refused, timeout, broken scenario.
    Error,
    /// Failed, but every failure is listed in the `--baseline` of known deviations: reported,
    /// not failing the exit code.
    Known,
}

impl Outcome {
    /// Failed checks, known or not.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Known)
    }

    /// Lower-case name as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Known => "known",
        }
    }
}

/// A redacted HTTP transcript of one exchange (kept for failed steps).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Transcript {
    /// `METHOD URL`.
    pub request_line: String,
    /// Request headers (credentials redacted).
    pub request_headers: Vec<(String, String)>,
    /// Response status.
    pub status: u16,
    /// Response headers (tokens redacted).
    pub response_headers: Vec<(String, String)>,
    /// Start of the response body (text, at most 2 KiB, redacted), or a summary for binary.
    pub response_body: String,
}

/// Result of one executed request (a looped step yields one per iteration).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// Step name (with `[i]` for loop iterations).
    pub name: String,
    /// Operation exercised.
    pub op: String,
    /// The OCI endpoint the request exercised (`end-4b`; `vocab::document`), absent for
    /// requests outside the OCI table (`_catalog`, the ACR API) and steps that sent nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// HTTP status received (0 when no response).
    pub status: u16,
    /// Wall time of the request including body transfer.
    pub duration_ms: f64,
    /// Contract rules evaluated and held.
    pub checks_passed: u32,
    /// Ids of the contract rules that held (feeds `RunResult::rules`; not serialised).
    #[serde(skip)]
    pub contract_passed: Vec<String>,
    /// Failed checks.
    pub findings: Vec<Finding>,
    /// Why the step was skipped or errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Transcript(s), for failed or errored steps.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub transcript: Vec<Transcript>,
}

/// Result of one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// File it came from.
    pub file: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Repository it ran in.
    pub repository: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Why skipped / errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Wall time.
    pub duration_ms: f64,
    /// Steps in execution order.
    pub steps: Vec<StepResult>,
}

/// Totals over the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Scenarios selected.
    pub scenarios: u32,
    /// Scenarios passed.
    pub passed: u32,
    /// Scenarios that passed every MUST but broke a SHOULD or a convention.
    #[serde(default)]
    pub warned: u32,
    /// Scenarios failed.
    pub failed: u32,
    /// Scenarios skipped.
    pub skipped: u32,
    /// Scenarios that could not run.
    pub errors: u32,
    /// Scenarios that failed only in ways listed in the `--baseline` (not counted in `failed`).
    #[serde(default)]
    pub known: u32,
    /// Checks evaluated (contract rules + expectations), passed and failed.
    pub checks: CheckCounts,
}

/// Check counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckCounts {
    /// Evaluated.
    pub total: u32,
    /// Held.
    pub passed: u32,
    /// Violated (a MUST broken, or a scenario expectation).
    pub failed: u32,
    /// Violated at SHOULD or convention level: warnings.
    #[serde(default)]
    pub warned: u32,
}

/// Per-operation coverage.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OperationStats {
    /// Steps that exercised the operation.
    pub steps: u32,
    /// Of those, passed.
    pub passed: u32,
    /// Of those, failed.
    pub failed: u32,
}

/// How many of a document's units (endpoints, operations) the run exercised.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Covered {
    /// Units with at least one step.
    pub exercised: u32,
    /// Units the document defines.
    pub total: u32,
}

impl std::fmt::Display for Covered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.exercised, self.total)
    }
}

/// Coverage per document (`vocab::document`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocumentCoverage {
    /// Rows of the OCI endpoint table (the 16 of distribution-spec 1.1.1 and end-14).
    pub oci_endpoints: Covered,
    /// Operations of the ACR 2021-07-01 swagger.
    pub acr_operations: Covered,
    /// Operations of regcheck's whole catalogue.
    pub operations: Covered,
}

impl DocumentCoverage {
    /// `OCI endpoints 15/17, ACR 2021-07-01 operations 29/29, catalogue operations 31/32`.
    pub fn line(&self) -> String {
        format!(
            "OCI endpoints {}, ACR 2021-07-01 operations {}, catalogue operations {}",
            self.oci_endpoints, self.acr_operations, self.operations
        )
    }
}

/// How often one contract rule held and failed over the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RuleStats {
    /// Evaluations that held.
    pub passed: u32,
    /// Evaluations that failed.
    pub failed: u32,
    /// Evaluations that broke it at SHOULD or convention level.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warned: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The whole run: serialised as the JSON report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// Report format version.
    pub schema_version: u32,
    /// `regcheck <version>`.
    pub tool: String,
    /// Target base URL (`embedded` targets show their loopback URL).
    pub target: String,
    /// Run id.
    pub run_id: String,
    /// Namespace all repositories were created under.
    pub namespace: String,
    /// Profile used (`oci` or `acr`).
    pub profile: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time (reports written before it existed lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Wall time.
    pub duration_ms: f64,
    /// Capabilities found by the probe (name → present).
    pub capabilities: BTreeMap<String, bool>,
    /// What the probe saw that decided each capability (name → one line).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capability_evidence: BTreeMap<String, String>,
    /// Totals.
    pub summary: Summary,
    /// Steps per operation.
    pub operations: BTreeMap<String, OperationStats>,
    /// Steps per OCI endpoint (`end-1` … `end-14`; reports written before it existed lack it).
    #[serde(default)]
    pub endpoints: BTreeMap<String, OperationStats>,
    /// Coverage per document: what `endpoints` and `operations` cover of each (renderers
    /// recompute it with [`RunResult::document_coverage`], so older reports render too).
    #[serde(default)]
    pub coverage: DocumentCoverage,
    /// Contract rules that applied at least once, with how often they held and failed.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleStats>,
    /// Scenarios.
    pub scenarios: Vec<ScenarioResult>,
    /// Cleanup.
    pub cleanup: CleanupReport,
    /// How the run compared with `--baseline` (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineReport>,
    /// `--strict`: warnings fail the exit code too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// Why the run could not run at all (no HTTP answer to the probe, bad configuration): the
    /// report is still written, with no scenarios (exit code 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
}

impl RunResult {
    /// Coverage per document, from `endpoints` and `operations` (steps that sent a request).
    pub fn document_coverage(&self) -> DocumentCoverage {
        use crate::vocab::Operation;
        use crate::vocab::document::{ENDPOINTS, acr_operations};
        let hit = |stats: Option<&OperationStats>| stats.is_some_and(|s| s.steps > 0);
        let count = |n: usize| n as u32;
        DocumentCoverage {
            oci_endpoints: Covered {
                exercised: count(
                    ENDPOINTS
                        .iter()
                        .filter(|e| hit(self.endpoints.get(e.id)))
                        .count(),
                ),
                total: count(ENDPOINTS.len()),
            },
            acr_operations: Covered {
                exercised: count(
                    acr_operations()
                        .filter(|o| hit(self.operations.get(o.name())))
                        .count(),
                ),
                total: count(acr_operations().count()),
            },
            operations: Covered {
                exercised: count(
                    Operation::ALL
                        .iter()
                        .filter(|o| hit(self.operations.get(o.name())))
                        .count(),
                ),
                total: count(Operation::ALL.len()),
            },
        }
    }
}

/// The known-deviation baseline applied to a run (`regcheck run --baseline FILE`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BaselineReport {
    /// The baseline file as given.
    pub file: String,
    /// Entries (`scenario ▸ rule` or a bare rule id) that matched failures of this run: those
    /// failures are outcome `known`.
    pub matched: Vec<String>,
    /// Entries whose failure did not happen although their scenario ran: fixed, remove them.
    pub fixed: Vec<String>,
    /// Entries whose scenario did not run (not selected, skipped, or errored): not checked.
    pub unchecked: Vec<String>,
}
