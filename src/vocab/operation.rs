//! The names of the documented operations: the vocabulary shared by scenarios (`op:`), contract
//! rules, the runner and the reports. One variant per operation of the ACR 2021-07-01 stable
//! contract plus the OCI endpoints it lacks (`GetTagList`, `GetCatalog`, `GetReferrers`); the
//! documents each comes from and the OCI endpoint rows it exercises are in `vocab::document`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which API family an operation belongs to; decides which capability a step needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Surface {
    /// Docker Registry HTTP API v2 / OCI distribution (`/v2/...`).
    Oci,
    /// ACR metadata extensions (`/acr/v1/...`).
    Acr,
    /// ACR token endpoints (`/oauth2/...`).
    OAuth2,
}

macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident => ($method:literal, $path:literal, $surface:ident) ),+ $(,)?) => {
        /// A documented operation of the target's API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Operation {
            $( $(#[$doc])* $name, )+
        }

        impl Operation {
            /// Every operation, in catalogue order.
            pub const ALL: &'static [Operation] = &[ $( Operation::$name, )+ ];

            /// The operation's name as written in scenarios and reports (e.g. `UploadChunk`).
            pub fn name(self) -> &'static str {
                match self { $( Operation::$name => stringify!($name), )+ }
            }

            /// The HTTP method the operation uses.
            pub fn method(self) -> &'static str {
                match self { $( Operation::$name => $method, )+ }
            }

            /// The documented path template (`{name}`, `{digest}`, `{reference}`, `{tag}`,
            /// `{nextBlobUuidLink}` are placeholders).
            pub fn path_template(self) -> &'static str {
                match self { $( Operation::$name => $path, )+ }
            }

            /// The API family of the operation.
            pub fn surface(self) -> Surface {
                match self { $( Operation::$name => Surface::$surface, )+ }
            }
        }
    };
}

operations! {
    /// `GET /v2/`: API version check.
    CheckDockerV2Support => ("GET", "/v2/", Oci),
    /// `GET /v2/{name}/manifests/{reference}`.
    GetManifest => ("GET", "/v2/{name}/manifests/{reference}", Oci),
    /// `PUT /v2/{name}/manifests/{reference}`.
    CreateManifest => ("PUT", "/v2/{name}/manifests/{reference}", Oci),
    /// `DELETE /v2/{name}/manifests/{digest}`.
    DeleteManifest => ("DELETE", "/v2/{name}/manifests/{reference}", Oci),
    /// `GET /v2/{name}/blobs/{digest}` (200, or 307 to storage).
    GetBlob => ("GET", "/v2/{name}/blobs/{digest}", Oci),
    /// `HEAD /v2/{name}/blobs/{digest}`.
    CheckBlobExists => ("HEAD", "/v2/{name}/blobs/{digest}", Oci),
    /// `DELETE /v2/{name}/blobs/{digest}`.
    DeleteBlob => ("DELETE", "/v2/{name}/blobs/{digest}", Oci),
    /// `POST /v2/{name}/blobs/uploads/?mount={digest}&from={repo}`.
    MountBlob => ("POST", "/v2/{name}/blobs/uploads/", Oci),
    /// `POST /v2/{name}/blobs/uploads/` (also monolithic with `?digest=`).
    StartUpload => ("POST", "/v2/{name}/blobs/uploads/", Oci),
    /// `GET {upload location}`.
    GetUploadStatus => ("GET", "/{nextBlobUuidLink}", Oci),
    /// `PATCH {upload location}`.
    UploadChunk => ("PATCH", "/{nextBlobUuidLink}", Oci),
    /// `PUT {upload location}?digest=`.
    CompleteUpload => ("PUT", "/{nextBlobUuidLink}", Oci),
    /// `DELETE {upload location}`.
    CancelUpload => ("DELETE", "/{nextBlobUuidLink}", Oci),
    /// `GET /v2/{name}/blobs/{digest}` with `Range`.
    GetChunk => ("GET", "/v2/{name}/blobs/{digest}", Oci),
    /// `HEAD /v2/{name}/blobs/{digest}` with `Range`.
    CheckChunkExists => ("HEAD", "/v2/{name}/blobs/{digest}", Oci),
    /// `GET /acr/v1/_catalog`.
    GetRepositories => ("GET", "/acr/v1/_catalog", Acr),
    /// `GET /acr/v1/{name}`.
    GetProperties => ("GET", "/acr/v1/{name}", Acr),
    /// `DELETE /acr/v1/{name}`.
    DeleteRepository => ("DELETE", "/acr/v1/{name}", Acr),
    /// `PATCH /acr/v1/{name}`.
    UpdateProperties => ("PATCH", "/acr/v1/{name}", Acr),
    /// `GET /acr/v1/{name}/_tags`.
    GetTags => ("GET", "/acr/v1/{name}/_tags", Acr),
    /// `GET /acr/v1/{name}/_tags/{reference}`.
    GetTagProperties => ("GET", "/acr/v1/{name}/_tags/{reference}", Acr),
    /// `PATCH /acr/v1/{name}/_tags/{reference}`.
    UpdateTagAttributes => ("PATCH", "/acr/v1/{name}/_tags/{reference}", Acr),
    /// `DELETE /acr/v1/{name}/_tags/{reference}`.
    DeleteTag => ("DELETE", "/acr/v1/{name}/_tags/{reference}", Acr),
    /// `GET /acr/v1/{name}/_manifests`.
    GetManifests => ("GET", "/acr/v1/{name}/_manifests", Acr),
    /// `GET /acr/v1/{name}/_manifests/{digest}`.
    GetManifestProperties => ("GET", "/acr/v1/{name}/_manifests/{digest}", Acr),
    /// `PATCH /acr/v1/{name}/_manifests/{digest}`.
    UpdateManifestProperties => ("PATCH", "/acr/v1/{name}/_manifests/{digest}", Acr),
    /// `POST /oauth2/exchange`.
    ExchangeAadAccessTokenForAcrRefreshToken => ("POST", "/oauth2/exchange", OAuth2),
    /// `POST /oauth2/token`.
    ExchangeAcrRefreshTokenForAcrAccessToken => ("POST", "/oauth2/token", OAuth2),
    /// `GET /oauth2/token` with Basic credentials.
    GetAcrAccessTokenFromLogin => ("GET", "/oauth2/token", OAuth2),
    /// `GET /v2/{name}/tags/list` (OCI).
    GetTagList => ("GET", "/v2/{name}/tags/list", Oci),
    /// `GET /v2/_catalog` (OCI).
    GetCatalog => ("GET", "/v2/_catalog", Oci),
    /// `GET /v2/{name}/referrers/{digest}` (OCI 1.1 referrers API, end-12a/12b).
    GetReferrers => ("GET", "/v2/{name}/referrers/{digest}", Oci),
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an operation name that is not in the catalogue.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown operation `{0}`; run `regcheck list --operations` to see the catalogue")]
pub struct UnknownOperation(pub String);

impl FromStr for Operation {
    type Err = UnknownOperation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.name() == s)
            .ok_or_else(|| UnknownOperation(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_32_operations_with_unique_names() {
        assert_eq!(Operation::ALL.len(), 32);
        let mut names: Vec<_> = Operation::ALL.iter().map(|o| o.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 32);
    }

    #[test]
    fn parses_names_and_rejects_unknown() {
        assert_eq!(
            "UploadChunk".parse::<Operation>().unwrap(),
            Operation::UploadChunk
        );
        assert!("UploadChunks".parse::<Operation>().is_err());
    }
}
