//! The sentences the contract rules rest on, each quoted once, and the binding sets the rule
//! rows use (`B_*`: which profiles a sentence binds, at which level). OCI distribution-spec
//! v1.1.1 and the HTTP RFCs bind every target; the ACR swagger binds ACR targets only; the
//! Docker Registry HTTP API v2 has no RFC 2119 keywords, so it gives conventions at most.

use super::norm::{Binding, Doc, Norm, Profiles, convention, must, must_not, should};

const ALL: Profiles = Profiles::ALL;
const ACR: Profiles = Profiles::ACR;
const OCI: Profiles = Profiles::OCI;

macro_rules! norm {
    ($name:ident, $id:literal, $doc:ident, $section:literal, $quote:literal) => {
        #[doc = concat!("`", $id, "`")]
        pub static $name: Norm = Norm {
            id: $id,
            doc: Doc::$doc,
            section: $section,
            quote: $quote,
        };
    };
}

norm!(
    OCI_BLOB_PULL,
    "oci/pull-blob/digest",
    OciDist,
    "Pulling blobs",
    "A GET request to an existing blob URL MUST provide the expected blob, with a response code that MUST be `200 OK`. A successful response SHOULD contain the digest of the uploaded blob in the header `Docker-Content-Digest`. If present, the value of this header MUST be a digest matching that of the response body."
);
norm!(
    OCI_MANIFEST_PULL,
    "oci/pull-manifest",
    OciDist,
    "Pulling manifests",
    "A GET request to an existing manifest URL MUST provide the expected manifest, with a response code that MUST be `200 OK`."
);
norm!(
    OCI_MANIFEST_CONTENT_TYPE,
    "oci/pull-manifest/content-type",
    OciDist,
    "Pulling manifests",
    "The client SHOULD include an `Accept` header indicating which manifest content types it supports. In a successful response, the `Content-Type` header will indicate the type of the returned manifest."
);
norm!(
    OCI_EXISTS,
    "oci/exists",
    OciDist,
    "Checking if content exists in the registry",
    "A `HEAD` request to an existing blob or manifest URL MUST return `200 OK`. A successful response SHOULD contain the digest of the uploaded blob in the header `Docker-Content-Digest`."
);
norm!(
    OCI_PUSH_LOCATION,
    "oci/push-blob/location",
    OciDist,
    "Pushing blobs",
    "Upon successful completion of the request, the response MUST have code `201 Created` and MUST have the following header: `Location: <blob-location>`"
);
norm!(
    OCI_PUSH_DIGEST,
    "oci/push/digest-header",
    OciDist,
    "Pushing manifests",
    "The Docker-Content-Digest header returns the canonical digest of the uploaded blob, and MUST be equal to the client provided digest."
);
norm!(
    OCI_MANIFEST_PUSH,
    "oci/push-manifest/location",
    OciDist,
    "Pushing manifests",
    "Upon a successful upload, the registry MUST return response code `201 Created`, and MUST have the following header: `Location: <location>`"
);
norm!(
    OCI_CHUNK,
    "oci/push-chunk",
    OciDist,
    "Pushing a blob in chunks",
    "The response for each successful chunk upload MUST be `202 Accepted`, and MUST have the following headers: `Location: <location>`, `Range: 0-<end-of-range>`"
);
norm!(
    OCI_CHUNK_ORDER,
    "oci/push-chunk/order",
    OciDist,
    "Pushing a blob in chunks",
    "Chunks MUST be uploaded in order, with the first byte of a chunk being the last chunk's `<end-of-range>` plus one. If a chunk is uploaded out of order, the registry MUST respond with a `416 Requested Range Not Satisfiable` code."
);
norm!(
    OCI_UPLOAD_STATUS,
    "oci/push-chunk/status",
    OciDist,
    "Pushing a blob in chunks",
    "The response to an active upload `<location>` MUST be a `204 No Content` response code, and MUST have the following headers: `Location: <location>`, `Range: 0-<end-of-range>`"
);
norm!(
    OCI_MOUNT,
    "oci/mount",
    OciDist,
    "Mounting a blob from another repository",
    "If a registry does not support cross-repository mounting or is unable to mount the requested blob, it SHOULD return a `202`. This indicates that the upload session has begun and that the client MAY proceed with the upload."
);
norm!(
    OCI_ERRORS,
    "oci/errors",
    OciDist,
    "Error Codes",
    "A `4XX` response code from the registry MAY return a body in any format. If the response body is in JSON format, it MUST have the following format: {\"errors\": [{\"code\": \"<error identifier, see below>\", \"message\": \"<message describing condition>\", \"detail\": \"<unstructured>\"}, ...]} ... The `code` field MUST be one of the following:"
);
norm!(
    OCI_TAGS,
    "oci/tags",
    OciDist,
    "Listing Tags",
    "Assuming a repository is found, this request MUST return a `200 OK` response code. The list of tags MAY be empty if there are no tags on the repository. If the list is not empty, the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order)."
);
norm!(
    OCI_TAGS_N,
    "oci/tags/n",
    OciDist,
    "Listing Tags",
    "the registry MAY return fewer than `<int>` results, but only when the total number of tags attached to the repository is less than `<int>` or a `Link` header is provided. Otherwise, the response MUST include `<int>` results."
);
norm!(
    OCI_TAGS_LAST,
    "oci/tags/last",
    OciDist,
    "Listing Tags",
    "`<int>` is the number of results and `<tagname>` is the value of `last`; up to `<int>` tags *after* `<tagname>` will be returned. ... Otherwise, the response MUST include `<int>` results."
);
norm!(
    OCI_RANGE,
    "oci/range",
    OciDist,
    "Pulling blobs",
    "A registry SHOULD support the `Range` request header in accordance with RFC 9110."
);
norm!(
    RFC_206,
    "rfc9110/206",
    Rfc9110,
    "15.3.7 206 Partial Content",
    "A server generating a 206 response MUST generate the following header fields, in addition to those required in the subsections below, if the field would have been sent in a 200 (OK) response to the same request: Content-Range ..."
);
norm!(
    RFC_416,
    "rfc9110/416",
    Rfc9110,
    "15.5.17 416 Range Not Satisfiable",
    "A server generating a 416 (Range Not Satisfiable) response to a byte-range request SHOULD generate a Content-Range header field specifying the current length of the selected representation"
);
norm!(
    RFC_HEAD,
    "rfc9110/head",
    Rfc9110,
    "9.3.2 HEAD",
    "The HEAD method is identical to GET except that the server MUST NOT send content in the response."
);
norm!(
    RFC_HEAD_RANGE,
    "rfc9110/range-methods",
    Rfc9110,
    "14.2 Range",
    "A server MUST ignore a Range header field received with a request method that is unrecognized or for which range handling is not defined. For this specification, GET is the only method for which range handling is defined."
);
norm!(
    RFC_REDIRECT,
    "rfc9110/307",
    Rfc9110,
    "15.4.8 307 Temporary Redirect",
    "The server SHOULD generate a Location header field in the response containing a URI reference for the different URI."
);
norm!(
    RFC_401,
    "rfc9110/401",
    Rfc9110,
    "15.5.2 401 Unauthorized",
    "The server generating a 401 response MUST send a WWW-Authenticate header field (Section 11.6.1) containing at least one challenge applicable to the target resource."
);
norm!(
    RFC_ACCEPT,
    "rfc9110/accept",
    Rfc9110,
    "12.5.1 Accept",
    "If the header field is present in a request and none of the available representations for the response have a media type that is listed as acceptable, the origin server can either honor the header field by sending a 406 (Not Acceptable) response or disregard the header field"
);
norm!(
    RFC_ENCODING,
    "rfc9110/accept-encoding",
    Rfc9110,
    "12.5.3 Accept-Encoding",
    "If a non-empty Accept-Encoding header field is present in a request and none of the available representations for the response have a content coding that is listed as acceptable, the origin server SHOULD send a response without any content coding"
);
norm!(
    RFC_BODY_LENGTH,
    "rfc9112/length",
    Rfc9112,
    "6.3 Message Body Length",
    "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets. If the sender closes the connection or the recipient times out before the indicated number of octets are received, the recipient MUST consider the message to be incomplete and close the connection."
);
norm!(
    RFC_LINK,
    "rfc8288/syntax",
    Rfc8288,
    "3 Link Serialisation in HTTP Headers",
    "Link = #link-value; link-value = \"<\" URI-Reference \">\" *( OWS \";\" OWS link-param )"
);
norm!(
    DOCKER_API_VERSION,
    "docker-v2/api-version",
    DockerV2,
    "API Version Check",
    "When a `200 OK` or `401 Unauthorized` response is returned, the \"Docker-Distribution-API-Version\" header should be set to \"registry/2.0\"."
);
norm!(
    OCI_DOCKER_HEADERS,
    "oci/docker-headers",
    OciDist,
    "Legacy Docker support HTTP headers",
    "the client MAY encounter Docker-specific headers, such as `Docker-Content-Digest`, or `Docker-Distribution-API-Version`. These headers are OPTIONAL and clients SHOULD NOT depend on them."
);
norm!(
    DOCKER_CATALOG,
    "docker-v2/catalog",
    DockerV2,
    "Catalog",
    "The entries in the response start _after_ the term specified by `last`, up to `n` entries."
);
norm!(
    DOCKER_TOKEN,
    "docker-token/response",
    DockerToken,
    "Token Response Fields",
    "token: An opaque Bearer token that clients should supply to subsequent requests in the Authorization header."
);
norm!(
    OCI_ENDPOINTS,
    "oci/endpoints",
    OciDist,
    "Endpoints (success codes of end-1 … end-13)",
    ""
);
norm!(
    OCI_TAGS_LINK,
    "oci/tags/link",
    OciDist,
    "Listing Tags",
    "A `Link` header MAY be included in the response when additional tags are available. If included, the `Link` header MUST be set according to RFC5988 with the Rel-Type of `next`."
);
norm!(
    ACR_HEADERS,
    "acr/response-headers",
    Acr,
    "response headers of each operation",
    ""
);
norm!(
    ACR_STATUSES,
    "acr/responses",
    Acr,
    "responses of each operation (default: AcrErrors)",
    ""
);
norm!(
    ACR_ERRORS,
    "acr/errors",
    Acr,
    "AcrErrors (default response of every operation)",
    ""
);
norm!(
    ACR_BODIES,
    "acr/bodies",
    Acr,
    "response schemas of each operation",
    ""
);
norm!(
    ACR_LISTS,
    "acr/lists",
    Acr,
    "GetRepositories, GetTags, GetManifests (`n`, `last`)",
    ""
);
norm!(
    ACR_TOKENS,
    "acr/tokens",
    Acr,
    "ExchangeAadAccessTokenForAcrRefreshToken, ExchangeAcrRefreshTokenForAcrAccessToken, GetAcrAccessTokenFromLogin",
    ""
);

norm!(
    OCI_REFERRERS_NO_404,
    "oci/referrers/no-404",
    OciDist,
    "Listing Referrers",
    "Assuming a repository is found, this request MUST return a `200 OK` response code. If the registry supports the referrers API, the registry MUST NOT return a `404 Not Found` to a referrers API requests."
);
norm!(
    OCI_REFERRERS_INVALID,
    "oci/referrers/invalid",
    OciDist,
    "Listing Referrers",
    "If the request is invalid, such as a `<digest>` with an invalid syntax, a `400 Bad Request` MUST be returned."
);
norm!(
    OCI_REFERRERS_INDEX,
    "oci/referrers/index",
    OciDist,
    "Listing Referrers",
    "Upon success, the response MUST be a JSON body with an image index containing a list of descriptors. The `Content-Type` header MUST be set to `application/vnd.oci.image.index.v1+json`."
);
norm!(
    OCI_REFERRERS_ARTIFACT_TYPE,
    "oci/referrers/artifact-type",
    OciDist,
    "Listing Referrers",
    "The descriptors MUST include an `artifactType` field that is set to the value of the `artifactType` in the image manifest or index, if present. If the `artifactType` is empty or missing in the image manifest, the value of `artifactType` MUST be set to the config descriptor `mediaType` value."
);
norm!(
    OCI_REFERRERS_FILTER,
    "oci/referrers/filter",
    OciDist,
    "Listing Referrers",
    "If filtering is requested and applied, the response MUST include a header `OCI-Filters-Applied: artifactType` denoting that an `artifactType` filter was applied."
);
norm!(
    OCI_SUBJECT,
    "oci/push-manifest/subject",
    OciDist,
    "Pushing Manifests with Subject",
    "When processing a request for an image manifest with the `subject` field, a registry implementation that supports the referrers API MUST respond with the response header `OCI-Subject: <subject digest>` to indicate to the client that the registry processed the request's `subject`."
);

macro_rules! bindings {
    ($name:ident = [$($b:expr),* $(,)?]) => {
        #[doc = concat!("Bindings `", stringify!($name), "`.")]
        pub static $name: &[Binding] = &[$($b),*];
    };
}

bindings!(B_BLOB_BODY = [must(ALL, &OCI_BLOB_PULL)]);
bindings!(B_BLOB_DIGEST_HEADER = [must(ALL, &OCI_BLOB_PULL), must(ACR, &ACR_HEADERS)]);
bindings!(B_EXISTS = [must(ALL, &OCI_EXISTS), must(ACR, &ACR_HEADERS)]);
bindings!(B_REDIRECT = [should(ALL, &RFC_REDIRECT)]);
bindings!(B_HEAD_NO_BODY = [must_not(ALL, &RFC_HEAD)]);
bindings!(B_ACR_HEADERS = [must(ACR, &ACR_HEADERS)]);
bindings!(B_ACR_BODIES = [must(ACR, &ACR_BODIES)]);
bindings!(B_ACR_LISTS = [must(ACR, &ACR_LISTS)]);
bindings!(B_ACR_TOKENS = [must(ACR, &ACR_TOKENS), convention(OCI, &DOCKER_TOKEN)]);
bindings!(B_RANGE_SUPPORT = [should(ALL, &OCI_RANGE)]);
bindings!(B_206 = [must(ALL, &RFC_206)]);
bindings!(B_416 = [should(ALL, &RFC_416)]);
bindings!(B_HEAD_RANGE = [must(ALL, &RFC_HEAD_RANGE)]);
bindings!(B_STATUS = [must(ACR, &ACR_STATUSES), convention(OCI, &OCI_ENDPOINTS)]);
bindings!(B_API_VERSION = [convention(ALL, &DOCKER_API_VERSION)]);
bindings!(B_ERROR_BODY = [must(ALL, &OCI_ERRORS), must(ACR, &ACR_ERRORS)]);
bindings!(B_ERROR_CODE = [must(ALL, &OCI_ERRORS)]);
bindings!(B_BODY_LENGTH = [must(ALL, &RFC_BODY_LENGTH)]);
bindings!(B_LINK = [must(ALL, &OCI_TAGS_LINK), convention(ALL, &RFC_LINK)]);
bindings!(B_CATALOGUE_HEADERS = [must(ACR, &ACR_HEADERS), should(OCI, &OCI_DOCKER_HEADERS)]);
bindings!(B_ENCODING = [should(ALL, &RFC_ENCODING)]);
bindings!(B_AUTH_CHALLENGE = [must(ALL, &RFC_401)]);
bindings!(B_TAGS = [must(ALL, &OCI_TAGS)]);
bindings!(B_TAGS_N = [must(ALL, &OCI_TAGS_N)]);
bindings!(B_TAGS_LAST = [must(ALL, &OCI_TAGS_LAST)]);
bindings!(B_CATALOG = [convention(ALL, &DOCKER_CATALOG), must(ACR, &ACR_BODIES)]);
bindings!(B_CATALOG_PAGING = [convention(ALL, &DOCKER_CATALOG)]);
bindings!(B_MANIFEST_PUSH = [must(ALL, &OCI_MANIFEST_PUSH)]);
bindings!(B_PUSH_DIGEST = [must(ALL, &OCI_PUSH_DIGEST), must(ACR, &ACR_HEADERS)]);
bindings!(B_MANIFEST_PULL = [must(ALL, &OCI_MANIFEST_PULL)]);
bindings!(
    B_MANIFEST_CONTENT_TYPE = [
        should(ALL, &OCI_MANIFEST_CONTENT_TYPE),
        must(ACR, &ACR_HEADERS)
    ]
);
bindings!(B_ACCEPT = [convention(ALL, &RFC_ACCEPT)]);
bindings!(B_PUSH_LOCATION = [must(ALL, &OCI_PUSH_LOCATION)]);
bindings!(B_MOUNT = [must(ALL, &OCI_PUSH_LOCATION)]);
bindings!(B_MOUNT_TARGET = [convention(OCI, &OCI_MOUNT), must(ACR, &ACR_HEADERS)]);
bindings!(B_CHUNK = [must(ALL, &OCI_CHUNK)]);
bindings!(B_CHUNK_ORDER = [must(ALL, &OCI_CHUNK_ORDER)]);
bindings!(B_UPLOAD_STATUS = [must(ALL, &OCI_UPLOAD_STATUS)]);
bindings!(B_REFERRERS_NO_404 = [must_not(ALL, &OCI_REFERRERS_NO_404)]);
bindings!(B_REFERRERS_INVALID = [must(ALL, &OCI_REFERRERS_INVALID)]);
bindings!(B_REFERRERS_INDEX = [must(ALL, &OCI_REFERRERS_INDEX)]);
bindings!(B_REFERRERS_ARTIFACT_TYPE = [must(ALL, &OCI_REFERRERS_ARTIFACT_TYPE)]);
bindings!(B_REFERRERS_FILTER = [must(ALL, &OCI_REFERRERS_FILTER)]);
bindings!(B_OCI_SUBJECT = [must(ALL, &OCI_SUBJECT)]);
