//! What the probe found: each capability present or not with the evidence that decided it,
//! and the facts the checks and the cleanup need (API version header, advertised ranges,
//! what the probe left in its repository).

use crate::namespace::cleanup::Kind;
use crate::scenario::Capability;
use std::collections::BTreeMap;

/// What one probe found about one capability.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Evidence {
    /// Whether the target offers it.
    pub present: bool,
    /// What the probe saw that decided it (one line).
    pub text: String,
}

impl Evidence {
    pub(super) fn new(present: bool, text: impl Into<String>) -> Self {
        Evidence {
            present,
            text: text.into(),
        }
    }
}

/// What the probe found.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// Capability → present.
    pub present: BTreeMap<Capability, bool>,
    /// Capability → what the probe saw that decided it (one line).
    pub evidence: BTreeMap<Capability, String>,
    /// `/v2/` carried `Docker-Distribution-Api-Version: registry/2.0`.
    pub api_version_header: bool,
    /// Blob responses advertise `Accept-Ranges: bytes`.
    pub ranges_advertised: bool,
    /// The probe's repository, if it pushed anything (cleaned up at the end).
    pub probe_repository: Option<String>,
    /// What the probe pushed and could not delete: (kind, digest) in its repository.
    pub probe_objects: Vec<(Kind, String)>,
}

impl Capabilities {
    /// Records a capability and the evidence that decided it.
    pub(super) fn set(&mut self, c: Capability, e: Evidence) {
        self.present.insert(c, e.present);
        self.evidence.insert(c, e.text);
    }

    /// The evidence recorded for a capability (empty when it was not probed).
    pub fn evidence_of(&self, c: Capability) -> &str {
        self.evidence.get(&c).map(String::as_str).unwrap_or("")
    }

    /// Whether the capability is present.
    pub fn has(&self, c: Capability) -> bool {
        self.present.get(&c).copied().unwrap_or(false)
    }

    /// The profile the target is judged by: ACR texts bind only a target that proved to be ACR.
    pub fn target(&self) -> crate::contract::Target {
        if self.has(Capability::Acr) {
            crate::contract::Target::Acr
        } else {
            crate::contract::Target::Oci
        }
    }

    /// The first of `required` that is missing.
    pub fn missing<'a>(&self, required: &'a [Capability]) -> Option<&'a Capability> {
        required.iter().find(|c| !self.has(**c))
    }
}
