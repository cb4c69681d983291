//! regcheck: conformance and load-testing harness for registries that speak the ACR data-plane
//! API (Docker Registry v2 / OCI distribution, `/acr/v1`, `/oauth2`).
//!
//! Pipeline: `scenario` (YAML model) → `runner` (executes steps through `client`) → `check` +
//! `contract` (verdicts on every exchange) → `report` (terminal, JSON). `registry` is the
//! embedded reference registry used as the default target and as the test fixture.

pub mod blob;
pub mod cli;
pub mod client;
pub mod contract;
pub mod exchange;
pub mod load;
pub mod registry;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod vocab;
