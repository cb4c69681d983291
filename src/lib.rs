//! regcheck: conformance and load-testing harness for registries that speak the ACR data-plane
//! API (Docker Registry v2 / OCI distribution, `/acr/v1`, `/oauth2`).
//!
//! Pipeline, one way: `scenario` (YAML model) → `runner` (executes steps through `client`) →
//! `contract` (verdicts on every `exchange`) → `report` (terminal, JSON, JUnit, Markdown, HTML).
//! `load` drives the same `client` and `namespace` for load runs, and `report` renders them too.
//! `vocab` is the leaf vocabulary every layer uses; `registry` is the embedded reference
//! registry used as the default target and as the test fixture. No top-level module imports
//! one that imports it back (`tests/architecture.rs`).

pub mod blob;
pub mod cli;
pub mod client;
pub mod contract;
pub mod exchange;
pub mod load;
pub mod namespace;
pub mod registry;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod vocab;
