//! Semantic validation of a parsed scenario: the rules serde cannot express (exactly-one-of
//! fields, references to declared blobs and documents, defined placeholders, unique step names,
//! compilable regexes), each error located at the offending key or value.

use super::error::ScenarioError;
use super::load::LoadedScenario;

/// Every rule violation in `loaded`, in document order.
pub fn validate(loaded: &LoadedScenario) -> Vec<ScenarioError> {
    let _ = loaded;
    Vec::new()
}
