//! Injectable faults: each one is a narrow, single contract violation; everything else about
//! the registry stays correct.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $(#[$doc:meta])* $variant:ident => ($name:literal, $desc:literal) ),+ $(,)?) => {
        /// One injectable contract violation of the embedded registry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $( $(#[$doc])* $variant, )+
        }

        impl Fault {
            /// Every fault, in declaration order.
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )+ ];

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            /// One sentence describing the violation.
            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $desc, )+ }
            }
        }
    };
}

faults! {
    /// Blob GET/HEAD `Docker-Content-Digest` names a different digest.
    WrongDigestHeader => ("wrong-digest-header", "blob GET/HEAD Docker-Content-Digest is a different valid-looking digest"),
    /// Blob GET body has one byte flipped.
    CorruptBlobBody => ("corrupt-blob-body", "blob GET body has one byte flipped (same length)"),
    /// `Range` is ignored although `Accept-Ranges: bytes` is advertised.
    RangeIgnored => ("range-ignored", "blob Range requests answer 200 with the full body although Accept-Ranges: bytes is advertised"),
    /// 206 `Content-Range` is off by one.
    WrongContentRange => ("wrong-content-range", "206 Content-Range start/end are off by one versus the bytes served"),
    /// CompleteUpload 201 lacks `Location`.
    MissingUploadLocation => ("missing-upload-location", "CompleteUpload 201 has no Location header"),
    /// StartUpload 202 lacks `Location`.
    MissingStartLocation => ("missing-start-location", "StartUpload 202 has no Location header"),
    /// StartUpload/UploadChunk 202 lack `Docker-Upload-UUID`.
    MissingUploadUuid => ("missing-upload-uuid", "StartUpload/UploadChunk 202 have no Docker-Upload-UUID header"),
    /// StartUpload 202 announces its minimum chunk size in another unit.
    BadChunkMinLength => ("bad-chunk-min-length", "StartUpload 202 carries OCI-Chunk-Min-Length: 1MiB instead of a byte count"),
    /// PATCH 202 `Range` end is off by one.
    WrongUploadRange => ("wrong-upload-range", "UploadChunk 202 Range end is off by one"),
    /// Upload `Range` header is written `bytes 0-N`.
    BadRangeFormat => ("bad-range-format", "upload progress Range header is written `bytes 0-N` instead of `0-N`"),
    /// The closing PUT's `Content-Range` is ignored (its chunk is appended wherever it starts).
    FinalChunkOrderIgnored => ("final-chunk-order-ignored", "the closing PUT appends its chunk without checking that its Content-Range starts at the upload offset"),
    /// CompleteUpload with a wrong digest is accepted.
    BadDigestAccepted => ("bad-digest-accepted", "CompleteUpload with a digest that does not match the content answers 201"),
    /// GET manifest `Docker-Content-Digest` is wrong.
    ManifestDigestMismatch => ("manifest-digest-mismatch", "GET/HEAD manifest Docker-Content-Digest is not the digest of the body"),
    /// GET manifest `Content-Type` is not the stored media type.
    ManifestWrongContentType => ("manifest-wrong-content-type", "GET/HEAD manifest Content-Type is application/json instead of the stored media type"),
    /// A manifest PUT by digest whose bytes have another digest is accepted.
    ManifestDigestUnchecked => ("manifest-digest-unchecked", "a manifest PUT by digest whose body has another digest answers 201 and is stored under the given digest"),
    /// Manifests are stored re-serialised (compact JSON), not in the bytes pushed.
    ManifestBytesRewritten => ("manifest-bytes-rewritten", "manifests are stored re-serialised as compact JSON instead of the exact bytes pushed (same fields, other bytes)"),
    /// ACR PATCH answers with new values but does not store them.
    AttributesNotStored => ("attributes-not-stored", "ACR PATCH answers 200 with the new attribute values but does not store them"),
    /// `orderby` is ignored by `_tags` / `_manifests`.
    OrderbyIgnored => ("orderby-ignored", "_tags/_manifests ignore orderby (always name/digest order)"),
    /// Pagination never sends `Link`.
    MissingLink => ("missing-link", "paginated listings never send a Link header"),
    /// Error responses are `text/plain` `error`.
    ErrorBodyNotJson => ("error-body-not-json", "error responses are text/plain `error` instead of the JSON errors body"),
    /// 401 without `WWW-Authenticate`.
    NoAuthChallenge => ("no-auth-challenge", "401 responses carry no WWW-Authenticate challenge"),
    /// Any valid token works for any repository and action.
    TokenScopeNotEnforced => ("token-scope-not-enforced", "any valid access token is accepted for any repository and action"),
    /// `Docker-Distribution-Api-Version` missing (except on `/v2/`).
    MissingApiVersionHeader => ("missing-api-version-header", "Docker-Distribution-Api-Version is missing on every response except GET /v2/"),
    /// `GET /v2/` omits `Docker-Distribution-Api-Version`.
    V2NoApiVersion => ("v2-no-api-version", "GET /v2/ answers 200 without Docker-Distribution-Api-Version: registry/2.0"),
    /// 404 error codes are `NOT_FOUND`.
    UnknownErrorCode => ("unknown-error-code", "404 error bodies use the undocumented code NOT_FOUND"),
    /// GetProperties body lacks `imageName`.
    AcrSchemaViolation => ("acr-schema-violation", "GET /acr/v1/{name} body lacks the required imageName"),
    /// Manifest DELETE answers 202 but keeps the manifest.
    DeleteIgnored => ("delete-ignored", "manifest DELETE answers 202 but the manifest stays retrievable"),
    /// Blob DELETE answers 202 but keeps the blob.
    BlobDeleteIgnored => ("blob-delete-ignored", "blob DELETE answers 202 but the blob stays retrievable"),
    /// `writeEnabled=false` is not enforced.
    WriteEnabledNotEnforced => ("write-enabled-not-enforced", "writeEnabled=false does not prevent pushes or overwrites"),
    /// `tags/list` ignores `n`.
    TagsPageSizeIgnored => ("tags-page-size-ignored", "tags/list ignores n (n=0 included): a page holds every tag after last, with no Link"),
    /// `tags/list` and `_catalog` are not sorted.
    TagsUnsorted => ("tags-unsorted", "tags/list and _catalog return names in reverse lexical order"),
    // Hostile faults (src/registry/hostile/): raw bytes on the wire, each bounded server-side.
    /// Manifest GETs answer a malformed status line.
    GarbageStatusLine => ("garbage-status-line", "hostile: manifest GETs answer the status line `HTTP/1.1 2x0 Fine`"),
    /// Every connection gets non-HTTP bytes.
    NonHttpBytes => ("non-http-bytes", "hostile: every request is answered with 1 KiB of non-HTTP bytes, then the connection closes"),
    /// Manifest GETs announce and stream a 10 GiB body.
    HugeManifest => ("huge-manifest", "hostile: manifest GETs announce Content-Length 10737418240 and stream JSON-looking bytes (until the client leaves)"),
    /// Tag lists stream an endless chunked JSON list.
    HugeJsonList => ("huge-json-list", "hostile: tags/list streams a chunked JSON list of up to 1 GiB without Content-Length"),
    /// Manifest GETs carry a 1 MiB header.
    OversizedHeader => ("oversized-header", "hostile: manifest GETs carry a 1 MiB response header"),
    /// Blob GETs trickle their body at one byte a second.
    SlowBlobBody => ("slow-blob-body", "hostile: blob GETs send correct headers, then the body at one byte a second (at most 120 s)"),
    /// Manifest GETs are never answered.
    NeverAnswer => ("never-answer", "hostile: manifest GETs are read but never answered; the connection closes after 90 s"),
    /// Blob GET bodies stop at half their Content-Length.
    BodyCutShort => ("body-cut-short", "hostile: blob GETs send half the body announced by Content-Length, then close"),
    /// Blob GETs announce half their length and send it all.
    ContentLengthShort => ("content-length-short", "hostile: blob GETs announce a Content-Length shorter than the body they send (desynchronising keep-alive)"),
    /// Tag lists are cut-off JSON.
    TruncatedJson => ("truncated-json", "hostile: tags/list answers 200 with truncated JSON (correct Content-Length)"),
    /// Tag lists are JSON nested 100,000 deep.
    DeepJson => ("deep-json", "hostile: tags/list answers 200 with JSON arrays nested 100,000 deep"),
    /// Blob GETs redirect to themselves.
    RedirectLoop => ("redirect-loop", "hostile: blob GETs answer 307 with a Location pointing to the same URL"),
    /// Blob GETs reset the connection mid-body.
    ResetMidBody => ("reset-mid-body", "hostile: blob GETs send half the body, then reset the connection (RST)"),
    /// Blob GETs are a gzip bomb.
    GzipBomb => ("gzip-bomb", "hostile: blob GETs answer Content-Encoding: gzip with 13 MiB that inflate to 2 GiB of zeros"),
    /// Unknown `grant_type` values are accepted by the token endpoints.
    OAuth2BadGrantAccepted => ("oauth2-bad-grant-accepted", "/oauth2/exchange and /oauth2/token answer an unknown grant_type with a token instead of 400"),
    /// Token endpoints issue tokens for any `service`.
    OAuth2AnyService => ("oauth2-any-service", "/oauth2/exchange and /oauth2/token issue tokens for a service that is not this registry"),
    /// Bearer tokens are trusted without checking signature or expiry.
    TokenNotVerified => ("token-not-verified", "bearer tokens are accepted without checking their signature or expiry"),
    /// Bearer challenges carry no `scope`.
    ChallengeScopeMissing => ("challenge-scope-missing", "Bearer challenges omit the scope parameter"),
    /// The referrers API answers 404 for a subject that has no referrers.
    Referrers404 => ("referrers-404", "GET /v2/<name>/referrers/<digest> answers 404 MANIFEST_UNKNOWN when the subject has no referrers"),
    /// The referrers API answers with `Content-Type: application/json`.
    ReferrersWrongContentType => ("referrers-wrong-content-type", "the referrers API answers 200 with Content-Type application/json instead of the OCI image index type"),
    /// A manifest PUT with a `subject` gets no `OCI-Subject` header (the API is still served).
    OciSubjectMissing => ("oci-subject-missing", "a manifest PUT with a subject is answered without the OCI-Subject header"),
    /// `?artifactType=` is announced in `OCI-Filters-Applied` but every referrer is returned.
    ReferrersFilterIgnored => ("referrers-filter-ignored", "the referrers API sends OCI-Filters-Applied: artifactType but returns every referrer"),
    /// Referrers descriptors carry no `artifactType`.
    ReferrersArtifactTypeMissing => ("referrers-artifact-type-missing", "referrers descriptors carry no artifactType"),
    /// Referrers descriptors carry no `annotations`.
    ReferrersAnnotationsDropped => ("referrers-annotations-dropped", "referrers descriptors carry no annotations"),
    /// A referrers request with a malformed digest answers 404 instead of 400.
    ReferrersInvalidDigest404 => ("referrers-invalid-digest-404", "GET /v2/<name>/referrers/<malformed digest> answers 404 instead of 400"),
    /// The referrers answer lists its descriptors under `referrers`, not `manifests`.
    ReferrersNotAnIndex => ("referrers-not-an-index", "the referrers API answers 200 with its descriptors under `referrers` instead of an image index's `manifests`"),
}

impl Fault {
    /// Whether the fault is served by the raw-socket layer (`registry::hostile`): it breaks
    /// HTTP itself (framing, sizes, time) rather than one contract rule.
    pub fn is_hostile(self) -> bool {
        super::hostile::trigger(self).is_some()
    }
}

/// An unknown fault name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}` (`regcheck list --faults` lists the valid names)")]
pub struct ParseFaultError(pub String);

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseFaultError(wanted.to_owned()))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of active faults, cheap to query.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSet(Vec<Fault>);

impl FaultSet {
    pub fn new(faults: &[Fault]) -> Self {
        FaultSet(faults.to_vec())
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert!(!f.description().is_empty());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        assert!("no-such-fault".parse::<Fault>().is_err());
    }
}
