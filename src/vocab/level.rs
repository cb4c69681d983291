//! Levels and profiles: how strongly a text requires something (`Level`), what breaking it
//! means (`Severity`), and the profile a target is judged by (`Target`). Shared by the
//! contract rules, scenario matchers, findings and reports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How strongly a text requires something (RFC 2119), or `Convention`: behaviour real
/// registries show that no normative text requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// MUST / REQUIRED / SHALL.
    Must,
    /// MUST NOT / SHALL NOT.
    MustNot,
    /// SHOULD / RECOMMENDED.
    Should,
    /// SHOULD NOT / NOT RECOMMENDED.
    ShouldNot,
    /// MAY / OPTIONAL: never demanded, only noted.
    May,
    /// What implementations do without a normative text (Docker v2 prose, recorded traffic).
    Convention,
}

impl Level {
    /// Upper-case keyword as shown in reports (`MUST`, `SHOULD NOT`, `convention`).
    pub fn keyword(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Should => "SHOULD",
            Level::ShouldNot => "SHOULD NOT",
            Level::May => "MAY",
            Level::Convention => "convention",
        }
    }

    /// What breaking a requirement of this level makes of a check.
    pub fn severity(self) -> Severity {
        match self {
            Level::Must | Level::MustNot => Severity::Fail,
            _ => Severity::Warn,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// What a broken check means for the target.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST / MUST NOT broken: the scenario fails and the run exits 1.
    #[default]
    Fail,
    /// A SHOULD or a convention not followed: reported, exit 0 unless `--strict`.
    Warn,
}

impl Severity {
    /// `fail` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
        }
    }
}
/// The profile a run judges its target by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// OCI distribution-spec 1.1.1 and the HTTP RFCs it points to.
    #[default]
    Oci,
    /// OCI plus what the ACR documents require.
    Acr,
}

impl Target {
    /// The bit of this profile in a set of profiles.
    pub fn bit(self) -> u8 {
        match self {
            Target::Oci => 0b01,
            Target::Acr => 0b10,
        }
    }

    /// `oci` or `acr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Oci => "oci",
            Target::Acr => "acr",
        }
    }
}
