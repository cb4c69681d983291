//! The normative vocabulary of a verdict: the documents a rule may rest on (`Doc`), the
//! RFC 2119 level of a requirement (`Level`), one quoted sentence (`Norm`), and a `Binding` that
//! says for which target profiles a sentence binds a rule. A broken MUST fails; a broken SHOULD
//! or a convention is a warning; a rule with no binding for the run's profile is not evaluated.
//! Data only, no I/O; the sentences themselves live in `norms`.

use crate::exchange::Finding;
pub use crate::vocab::{Level, Severity, Target};

/// A document a rule may cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doc {
    /// OCI distribution-spec v1.1.1 (binds every target).
    OciDist,
    /// RFC 9110, HTTP Semantics (binds every target, through OCI).
    Rfc9110,
    /// RFC 9112, HTTP/1.1 message syntax (binds every target).
    Rfc9112,
    /// RFC 8288, Web Linking.
    Rfc8288,
    /// RFC 6749, OAuth 2.0 (named by the Docker token spec).
    Rfc6749,
    /// Docker Registry HTTP API v2 (no RFC 2119 keywords: conventions at most).
    DockerV2,
    /// Docker registry token authentication specification.
    DockerToken,
    /// ACR data-plane swagger 2021-07-01 and the seed documents (ACR targets only).
    Acr,
    /// This tool's own limits (timeouts, sizes): a target that breaks them gave no usable answer.
    Harness,
}

impl Doc {
    /// Title as shown in reports.
    pub fn title(self) -> &'static str {
        match self {
            Doc::OciDist => "OCI distribution-spec v1.1.1",
            Doc::Rfc9110 => "RFC 9110",
            Doc::Rfc9112 => "RFC 9112",
            Doc::Rfc8288 => "RFC 8288",
            Doc::Rfc6749 => "RFC 6749",
            Doc::DockerV2 => "Docker Registry HTTP API v2",
            Doc::DockerToken => "Docker token authentication spec",
            Doc::Acr => "ACR data-plane API 2021-07-01",
            Doc::Harness => "regcheck limits",
        }
    }

    /// Where the document is published.
    pub fn url(self) -> &'static str {
        match self {
            Doc::OciDist => {
                "https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md"
            }
            Doc::Rfc9110 => "https://www.rfc-editor.org/rfc/rfc9110",
            Doc::Rfc9112 => "https://www.rfc-editor.org/rfc/rfc9112",
            Doc::Rfc8288 => "https://www.rfc-editor.org/rfc/rfc8288",
            Doc::Rfc6749 => "https://www.rfc-editor.org/rfc/rfc6749",
            Doc::DockerV2 => {
                "https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/api.md"
            }
            Doc::DockerToken => {
                "https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/auth/token.md"
            }
            Doc::Acr => {
                "https://github.com/Azure/azure-rest-api-specs/tree/main/specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01"
            }
            Doc::Harness => "https://github.com/regcheck/regcheck#limits",
        }
    }
}

/// One requirement as written: the document, the section and, where the text has one, the
/// sentence quoted verbatim.
#[derive(Debug)]
pub struct Norm {
    /// Stable anchor, e.g. `oci/push-blob/location`.
    pub id: &'static str,
    /// The document.
    pub doc: Doc,
    /// Section (or operation id for the swagger).
    pub section: &'static str,
    /// The sentence, verbatim; empty when the document has none to quote (a swagger field).
    pub quote: &'static str,
}

impl Norm {
    /// `title §section`, the short citation.
    pub fn cite(&self) -> String {
        format!("{} §{}", self.doc.title(), self.section)
    }
}

/// Target profiles a binding applies to (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profiles(u8);

impl Profiles {
    /// Every target that speaks OCI distribution (ACR included).
    pub const ALL: Profiles = Profiles(0b11);
    /// Plain OCI targets only.
    pub const OCI: Profiles = Profiles(0b01);
    /// ACR targets only.
    pub const ACR: Profiles = Profiles(0b10);

    /// Whether `p` is in the set.
    pub fn contains(self, p: Target) -> bool {
        self.0 & p.bit() != 0
    }
}

/// "For these profiles, this sentence binds the rule at this level."
#[derive(Debug)]
pub struct Binding {
    /// Profiles it applies to.
    pub profiles: Profiles,
    /// Level of the sentence.
    pub level: Level,
    /// The sentence.
    pub norm: &'static Norm,
}

/// A MUST (or MUST NOT, by the quote) binding.
pub const fn must(profiles: Profiles, norm: &'static Norm) -> Binding {
    Binding {
        profiles,
        level: Level::Must,
        norm,
    }
}

/// A MUST NOT binding.
pub const fn must_not(profiles: Profiles, norm: &'static Norm) -> Binding {
    Binding {
        profiles,
        level: Level::MustNot,
        norm,
    }
}

/// A SHOULD binding.
pub const fn should(profiles: Profiles, norm: &'static Norm) -> Binding {
    Binding {
        profiles,
        level: Level::Should,
        norm,
    }
}

/// A convention: what registries do with no normative text behind it.
pub const fn convention(profiles: Profiles, norm: &'static Norm) -> Binding {
    Binding {
        profiles,
        level: Level::Convention,
        norm,
    }
}

/// The binding that decides for `target`: the strictest one whose profiles contain it.
impl Binding {
    /// Stamps this basis on `finding`: citation, level, severity and quote.
    pub fn stamp(&self, finding: &mut Finding) {
        finding.spec = Some(self.norm.cite());
        finding.level = Some(self.level);
        finding.severity = self.level.severity();
        finding.quote = (!self.norm.quote.is_empty()).then(|| self.norm.quote.to_string());
    }
}

pub fn binding_for(bindings: &'static [Binding], target: Target) -> Option<&'static Binding> {
    bindings
        .iter()
        .filter(|b| b.profiles.contains(target))
        .min_by_key(|b| b.level)
}

#[cfg(test)]
mod tests {
    use super::*;

    static N: Norm = Norm {
        id: "t",
        doc: Doc::OciDist,
        section: "s",
        quote: "q MUST",
    };
    static BS: [Binding; 2] = [should(Profiles::ALL, &N), must(Profiles::ACR, &N)];

    #[test]
    fn the_strictest_binding_of_the_profile_decides() {
        assert_eq!(binding_for(&BS, Target::Oci).unwrap().level, Level::Should);
        assert_eq!(binding_for(&BS, Target::Acr).unwrap().level, Level::Must);
        static ACR_ONLY: [Binding; 1] = [must(Profiles::ACR, &N)];
        assert!(binding_for(&ACR_ONLY, Target::Oci).is_none());
    }

    #[test]
    fn only_must_levels_fail() {
        assert_eq!(Level::Must.severity(), Severity::Fail);
        assert_eq!(Level::MustNot.severity(), Severity::Fail);
        for l in [
            Level::Should,
            Level::ShouldNot,
            Level::May,
            Level::Convention,
        ] {
            assert_eq!(l.severity(), Severity::Warn);
        }
    }
}
