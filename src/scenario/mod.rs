//! The YAML scenario model: what a scenario file may say, how files are loaded, and how errors
//! are located (`file:line:col`), and the validated model the runner uses. Knows nothing about
//! HTTP.

pub mod model;

pub use model::*;
pub mod error;
pub mod load;
pub mod source;
pub mod template;
pub mod valid;
pub mod validate;

pub use error::ScenarioError;
pub use load::{LoadedScenario, builtin, builtin_dir, load_and_validate, load_file, load_paths};
pub use source::SourcePos;
pub use valid::ValidScenario;
