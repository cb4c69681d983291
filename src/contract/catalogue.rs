//! The operation catalogue: for each of the 32 operations, the statuses the contract documents,
//! the other statuses real registries legally send, the headers each status carries (with their
//! format) and the body kind. Pure data; the rules in `contract::rules` read it.
//!
//! Every operation also has `default → AcrErrors` in the ACR swagger, so any 4xx/5xx is an
//! allowed (error) answer; this catalogue lists only the non-error statuses.

use crate::contract::Operation;

/// The format a header value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFormat {
    /// A non-negative decimal integer (`Content-Length`).
    Integer,
    /// A content digest `algorithm:encoded` (`sha256` with 64 lowercase hex digits).
    Digest,
    /// A URL, absolute (`https://…`) or relative (`/v2/…`).
    Url,
    /// A non-empty opaque token without whitespace (upload session id).
    Token,
    /// Upload progress `0-<last>` (ACR style, also `bytes=0-<last>`).
    UploadRange,
    /// `bytes <first>-<last>/<total>` (total may be `*`).
    ContentRange,
    /// A media type `type/subtype` with optional parameters.
    MediaType,
    /// A `Link` header `<url>; rel="next"`.
    Link,
}

impl HeaderFormat {
    /// A short human description, used in findings and listings.
    pub fn describe(self) -> &'static str {
        match self {
            HeaderFormat::Integer => "a non-negative integer",
            HeaderFormat::Digest => "a digest like sha256:<64 hex>",
            HeaderFormat::Url => "an absolute or relative URL",
            HeaderFormat::Token => "a non-empty token without spaces",
            HeaderFormat::UploadRange => "0-<last byte> (optionally bytes=0-<last byte>)",
            HeaderFormat::ContentRange => "bytes <first>-<last>/<total>",
            HeaderFormat::MediaType => "a media type type/subtype",
            HeaderFormat::Link => "<url>; rel=\"next\"",
        }
    }
}

/// A header a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSpec {
    /// Header name (canonical spelling).
    pub name: &'static str,
    /// Value format.
    pub format: HeaderFormat,
    /// Whether the harness requires it (documented and sent by real ACR); optional headers are
    /// only checked for format when present.
    pub required: bool,
}

const fn req(name: &'static str, format: HeaderFormat) -> HeaderSpec {
    HeaderSpec {
        name,
        format,
        required: true,
    }
}

const fn opt(name: &'static str, format: HeaderFormat) -> HeaderSpec {
    HeaderSpec {
        name,
        format,
        required: false,
    }
}

/// What the body of a response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body (or an empty/irrelevant one, e.g. `Content-Length: 0`).
    None,
    /// Opaque bytes (blob content).
    Binary,
    /// JSON validating against the named schema (`contract::schema_names`).
    Json(&'static str),
    /// A manifest: JSON validating against the schema of its media type.
    Manifest,
}

/// When a non-documented status is nevertheless legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Always.
    Always,
    /// Only when the request carried a `Range` header.
    RangeRequested,
    /// Only when the target did not advertise `Accept-Ranges: bytes`.
    RangesNotAdvertised,
    /// Only when the request was conditional (`If-None-Match` / `If-Modified-Since`).
    ConditionalRequest,
    /// Only when the request carried a `digest` query parameter (monolithic upload).
    DigestQuery,
}

/// Whether a status is the documented one or a legal variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Listed in the ACR 2021-07-01 swagger (or the OCI spec for the two OCI listing ops).
    Documented,
    /// Not in the swagger but legal: the reason says where it comes from.
    Allowed {
        /// Why it is legal.
        reason: &'static str,
        /// When it is legal.
        when: Condition,
    },
}

/// One non-error response of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSpec {
    /// HTTP status.
    pub status: u16,
    /// Documented or allowed variant.
    pub origin: Origin,
    /// Headers of this response.
    pub headers: &'static [HeaderSpec],
    /// Body kind.
    pub body: BodyKind,
}

/// The contract of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// The operation.
    pub op: Operation,
    /// One-line summary.
    pub summary: &'static str,
    /// Non-error responses (documented first).
    pub responses: &'static [StatusSpec],
    /// Where the contract comes from.
    pub spec: &'static str,
}

impl OperationSpec {
    /// The response spec for a status, if the status is a documented or allowed non-error one.
    pub fn response(&self, status: u16) -> Option<&'static StatusSpec> {
        self.responses.iter().find(|r| r.status == status)
    }

    /// The documented success statuses.
    pub fn documented_statuses(&self) -> Vec<u16> {
        self.responses
            .iter()
            .filter(|r| r.origin == Origin::Documented)
            .map(|r| r.status)
            .collect()
    }
}

use BodyKind as B;
use HeaderFormat as F;

const fn doc(status: u16, headers: &'static [HeaderSpec], body: BodyKind) -> StatusSpec {
    StatusSpec {
        status,
        origin: Origin::Documented,
        headers,
        body,
    }
}

const fn alt(
    status: u16,
    when: Condition,
    reason: &'static str,
    headers: &'static [HeaderSpec],
    body: BodyKind,
) -> StatusSpec {
    StatusSpec {
        status,
        origin: Origin::Allowed { reason, when },
        headers,
        body,
    }
}

const REDIRECT: &[HeaderSpec] = &[
    req("Location", F::Url),
    opt("Docker-Content-Digest", F::Digest),
];
const LINK: &[HeaderSpec] = &[opt("Link", F::Link)];
const BLOB_200: &[HeaderSpec] = &[
    req("Content-Length", F::Integer),
    req("Docker-Content-Digest", F::Digest),
];
const CHUNK_206: &[HeaderSpec] = &[
    req("Content-Length", F::Integer),
    req("Content-Range", F::ContentRange),
];
const NOT_MODIFIED: &str = "RFC 9110 §15.4.5: a conditional GET may answer 304 Not Modified";
const ACR_REDIRECT: &str =
    "ACR answers blob reads with 307 to Azure Storage (acr-contract.md §7.3)";

const fn entry(
    op: Operation,
    summary: &'static str,
    responses: &'static [StatusSpec],
    spec: &'static str,
) -> OperationSpec {
    OperationSpec {
        op,
        summary,
        responses,
        spec,
    }
}

use Operation as O;

static CATALOGUE: [OperationSpec; 32] = [
    entry(
        O::CheckDockerV2Support,
        "API version check",
        &[doc(
            200,
            &[opt("Docker-Distribution-Api-Version", F::Token)],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistry_CheckDockerV2Support; OCI distribution-spec end-1",
    ),
    entry(
        O::GetManifest,
        "Get a manifest by tag or digest",
        &[
            doc(
                200,
                &[
                    req("Content-Type", F::MediaType),
                    opt("Docker-Content-Digest", F::Digest),
                    opt("Content-Length", F::Integer),
                ],
                B::Manifest,
            ),
            alt(
                304,
                Condition::ConditionalRequest,
                NOT_MODIFIED,
                &[],
                B::None,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistry_GetManifest; OCI distribution-spec §Pulling manifests",
    ),
    entry(
        O::CreateManifest,
        "Put a manifest by tag or digest",
        &[doc(
            201,
            &[
                req("Location", F::Url),
                req("Docker-Content-Digest", F::Digest),
                opt("Content-Length", F::Integer),
            ],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistry_CreateManifest; OCI distribution-spec §Pushing Manifests",
    ),
    entry(
        O::DeleteManifest,
        "Delete a manifest by digest",
        &[doc(202, &[], B::None)],
        "ACR 2021-07-01 ContainerRegistry_DeleteManifest; OCI distribution-spec §Deleting Manifests",
    ),
    entry(
        O::GetBlob,
        "Get a blob",
        &[
            doc(200, BLOB_200, B::Binary),
            doc(307, REDIRECT, B::None),
            alt(
                206,
                Condition::RangeRequested,
                "RFC 9110 §14: a GET with Range may be answered 206",
                CHUNK_206,
                B::Binary,
            ),
            alt(
                304,
                Condition::ConditionalRequest,
                NOT_MODIFIED,
                &[],
                B::None,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistryBlob_GetBlob; OCI distribution-spec §Pulling blobs",
    ),
    entry(
        O::CheckBlobExists,
        "HEAD a blob",
        &[doc(200, BLOB_200, B::None), doc(307, REDIRECT, B::None)],
        "ACR 2021-07-01 ContainerRegistryBlob_CheckBlobExists; OCI distribution-spec §Checking if content exists",
    ),
    entry(
        O::DeleteBlob,
        "Delete a blob",
        &[doc(
            202,
            &[opt("Docker-Content-Digest", F::Digest)],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistryBlob_DeleteBlob; OCI distribution-spec §Deleting Blobs",
    ),
    entry(
        O::MountBlob,
        "Mount a blob from another repository",
        &[
            doc(
                201,
                &[
                    req("Location", F::Url),
                    req("Docker-Content-Digest", F::Digest),
                    opt("Docker-Upload-UUID", F::Token),
                ],
                B::None,
            ),
            alt(
                202,
                Condition::Always,
                "OCI distribution-spec §Mounting a blob: a registry that cannot mount starts an upload session (202)",
                &[
                    req("Location", F::Url),
                    opt("Docker-Upload-UUID", F::Token),
                    opt("Range", F::UploadRange),
                ],
                B::None,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistryBlob_MountBlob; OCI distribution-spec §Mounting a blob from another repository",
    ),
    entry(
        O::StartUpload,
        "Start a blob upload session",
        &[
            doc(
                202,
                &[
                    req("Location", F::Url),
                    req("Docker-Upload-UUID", F::Token),
                    opt("Range", F::UploadRange),
                ],
                B::None,
            ),
            alt(
                201,
                Condition::DigestQuery,
                "OCI distribution-spec §Single POST: POST with ?digest= and the blob completes in one request",
                &[
                    req("Location", F::Url),
                    req("Docker-Content-Digest", F::Digest),
                ],
                B::None,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistryBlob_StartUpload; OCI distribution-spec §Pushing blobs",
    ),
    entry(
        O::GetUploadStatus,
        "Get upload progress",
        &[doc(
            204,
            &[
                req("Range", F::UploadRange),
                req("Docker-Upload-UUID", F::Token),
                opt("Location", F::Url),
            ],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistryBlob_GetUploadStatus; OCI distribution-spec §Pushing a blob in chunks",
    ),
    entry(
        O::UploadChunk,
        "Upload a chunk",
        &[doc(
            202,
            &[
                req("Location", F::Url),
                req("Range", F::UploadRange),
                req("Docker-Upload-UUID", F::Token),
            ],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistryBlob_UploadChunk; OCI distribution-spec §Pushing a blob in chunks",
    ),
    entry(
        O::CompleteUpload,
        "Complete an upload",
        &[doc(
            201,
            &[
                req("Location", F::Url),
                req("Docker-Content-Digest", F::Digest),
                opt("Range", F::UploadRange),
            ],
            B::None,
        )],
        "ACR 2021-07-01 ContainerRegistryBlob_CompleteUpload; OCI distribution-spec §Pushing a blob in chunks",
    ),
    entry(
        O::CancelUpload,
        "Cancel an upload",
        &[doc(204, &[], B::None)],
        "ACR 2021-07-01 ContainerRegistryBlob_CancelUpload; distribution API §Canceling an Upload",
    ),
    entry(
        O::GetChunk,
        "Get a byte range of a blob",
        &[
            doc(206, CHUNK_206, B::Binary),
            doc(307, REDIRECT, B::None),
            alt(
                200,
                Condition::RangesNotAdvertised,
                "RFC 9110 §14.2: a server without range support answers 200 with the whole blob",
                BLOB_200,
                B::Binary,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistryBlob_GetChunk; RFC 9110 §14 (Range requests)",
    ),
    entry(
        O::CheckChunkExists,
        "HEAD a byte range of a blob",
        &[
            doc(
                200,
                &[
                    req("Content-Length", F::Integer),
                    opt("Content-Range", F::ContentRange),
                ],
                B::None,
            ),
            alt(307, Condition::Always, ACR_REDIRECT, REDIRECT, B::None),
            alt(
                206,
                Condition::RangeRequested,
                "RFC 9110 §9.3.2: HEAD answers with the headers GET would send, so a ranged HEAD may be 206",
                CHUNK_206,
                B::None,
            ),
        ],
        "ACR 2021-07-01 ContainerRegistryBlob_CheckChunkExists; RFC 9110 §14",
    ),
    entry(
        O::GetRepositories,
        "List repositories (ACR)",
        &[doc(200, LINK, B::Json("Repositories"))],
        "ACR 2021-07-01 ContainerRegistry_GetRepositories",
    ),
    entry(
        O::GetProperties,
        "Get repository attributes",
        &[doc(200, &[], B::Json("RepositoryAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_GetProperties",
    ),
    entry(
        O::DeleteRepository,
        "Delete a repository",
        &[doc(202, &[], B::Json("DeletedRepository"))],
        "ACR 2021-07-01 ContainerRegistry_DeleteRepository",
    ),
    entry(
        O::UpdateProperties,
        "Update repository attributes",
        &[doc(200, &[], B::Json("RepositoryAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_UpdateProperties",
    ),
    entry(
        O::GetTags,
        "List tags with attributes (ACR)",
        &[doc(200, LINK, B::Json("TagList"))],
        "ACR 2021-07-01 ContainerRegistry_GetTags",
    ),
    entry(
        O::GetTagProperties,
        "Get tag attributes",
        &[doc(200, &[], B::Json("TagAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_GetTagProperties",
    ),
    entry(
        O::UpdateTagAttributes,
        "Update tag attributes",
        &[doc(200, &[], B::Json("TagAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_UpdateTagAttributes",
    ),
    entry(
        O::DeleteTag,
        "Delete a tag",
        &[doc(202, &[], B::None)],
        "ACR 2021-07-01 ContainerRegistry_DeleteTag",
    ),
    entry(
        O::GetManifests,
        "List manifests with attributes (ACR)",
        &[doc(200, LINK, B::Json("AcrManifests"))],
        "ACR 2021-07-01 ContainerRegistry_GetManifests",
    ),
    entry(
        O::GetManifestProperties,
        "Get manifest attributes",
        &[doc(200, &[], B::Json("ManifestAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_GetManifestProperties",
    ),
    entry(
        O::UpdateManifestProperties,
        "Update manifest attributes",
        &[doc(200, &[], B::Json("ManifestAttributes"))],
        "ACR 2021-07-01 ContainerRegistry_UpdateManifestProperties",
    ),
    entry(
        O::ExchangeAadAccessTokenForAcrRefreshToken,
        "Exchange an AAD token for an ACR refresh token",
        &[doc(
            200,
            &[req("Content-Type", F::MediaType)],
            B::Json("RefreshToken"),
        )],
        "ACR 2021-07-01 Authentication_ExchangeAadAccessTokenForAcrRefreshToken",
    ),
    entry(
        O::ExchangeAcrRefreshTokenForAcrAccessToken,
        "Exchange an ACR refresh token for an access token",
        &[doc(
            200,
            &[req("Content-Type", F::MediaType)],
            B::Json("AccessToken"),
        )],
        "ACR 2021-07-01 Authentication_ExchangeAcrRefreshTokenForAcrAccessToken",
    ),
    entry(
        O::GetAcrAccessTokenFromLogin,
        "Get an access token with Basic credentials",
        &[doc(
            200,
            &[req("Content-Type", F::MediaType)],
            B::Json("AccessToken"),
        )],
        "ACR 2021-07-01 Authentication_GetAcrAccessTokenFromLogin",
    ),
    entry(
        O::GetTagList,
        "List tags (OCI)",
        &[doc(200, LINK, B::Json("TagListOci"))],
        "OCI distribution-spec §Listing Tags (end-8a/8b)",
    ),
    entry(
        O::GetCatalog,
        "List repositories (Docker catalog)",
        &[doc(200, LINK, B::Json("Catalog"))],
        "Docker Registry HTTP API v2 §Catalog; ACR AAD-OAuth.md",
    ),
    entry(
        O::GetReferrers,
        "List the manifests whose subject is a digest (OCI 1.1 referrers API)",
        &[doc(
            200,
            &[
                req("Content-Type", F::MediaType),
                opt("OCI-Filters-Applied", F::Token),
                opt("Link", F::Link),
            ],
            B::Json("OciIndex"),
        )],
        "OCI distribution-spec 1.1.1 §Listing Referrers (end-12a/12b)",
    ),
];

/// The contract of `op`.
pub fn spec(op: Operation) -> &'static OperationSpec {
    // CATALOGUE is in `Operation::ALL` order (checked by a unit test); fall back to a search so a
    // reordering can never return the wrong entry.
    let idx = Operation::ALL.iter().position(|o| *o == op).unwrap_or(0);
    match CATALOGUE.get(idx) {
        Some(s) if s.op == op => s,
        _ => CATALOGUE
            .iter()
            .find(|s| s.op == op)
            .unwrap_or(&CATALOGUE[0]),
    }
}

/// The whole catalogue, in `Operation::ALL` order.
pub fn catalogue() -> &'static [OperationSpec] {
    &CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::schema_names;

    #[test]
    fn one_spec_per_operation_in_catalogue_order() {
        assert_eq!(CATALOGUE.len(), Operation::ALL.len());
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(CATALOGUE[i].op, *op, "entry {i}");
            assert_eq!(spec(*op).op, *op);
        }
    }

    #[test]
    fn every_operation_documents_a_success_and_no_error_status() {
        for s in catalogue() {
            assert!(
                !s.documented_statuses().is_empty(),
                "{} documents no success",
                s.op
            );
            for r in s.responses {
                assert!(
                    (200..400).contains(&r.status),
                    "{} lists {}",
                    s.op,
                    r.status
                );
            }
            let mut statuses: Vec<_> = s.responses.iter().map(|r| r.status).collect();
            statuses.sort();
            statuses.dedup();
            assert_eq!(
                statuses.len(),
                s.responses.len(),
                "{} repeats a status",
                s.op
            );
        }
    }

    #[test]
    fn json_bodies_name_existing_schemas() {
        for s in catalogue() {
            for r in s.responses {
                if let BodyKind::Json(name) = r.body {
                    assert!(schema_names().contains(&name), "{}: {name}", s.op);
                }
            }
        }
    }

    #[test]
    fn documented_facts_from_the_swagger() {
        let get_blob = spec(Operation::GetBlob);
        assert_eq!(get_blob.documented_statuses(), vec![200, 307]);
        let ok = get_blob.response(200).unwrap();
        assert!(
            ok.headers
                .contains(&req("Docker-Content-Digest", F::Digest))
        );
        assert!(ok.headers.contains(&req("Content-Length", F::Integer)));
        assert_eq!(
            get_blob.response(307).unwrap().headers[0],
            req("Location", F::Url)
        );
        assert_eq!(
            spec(Operation::DeleteRepository).documented_statuses(),
            vec![202]
        );
        assert!(matches!(
            spec(Operation::MountBlob).response(202).unwrap().origin,
            Origin::Allowed { .. }
        ));
        assert!(spec(Operation::CreateManifest).response(200).is_none());
    }
}
