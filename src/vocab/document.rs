//! The documents the catalogue's operations come from, and the OCI distribution-spec endpoint
//! table (`end-1` … `end-13` of 1.1.1, `end-14` of the post-1.1.1 text): which operation each
//! documents, and which endpoint one request exercises. Pure data; the runner tags each step
//! with its endpoint, the reports count coverage per document from it, `regcheck list` shows it.

use crate::vocab::{Level, Operation, Surface};

/// A document that defines operations regcheck checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Document {
    /// The ACR data-plane swagger, stable 2021-07-01 (29 operations).
    AcrSwagger,
    /// OCI distribution-spec v1.1.1, §Endpoints (the end-N table).
    Oci111,
    /// The OCI distribution-spec text after 1.1.1 ("dev"): end-14. At most a warning.
    OciDev,
    /// Docker Registry HTTP API v2 (the text OCI grew from; `_catalog`, upload cancel).
    DockerV2,
}

impl Document {
    /// Every document, in report order.
    pub const ALL: &'static [Document] = &[
        Document::Oci111,
        Document::OciDev,
        Document::AcrSwagger,
        Document::DockerV2,
    ];

    /// Short name, as in listings (`oci-1.1.1`).
    pub fn name(self) -> &'static str {
        match self {
            Document::AcrSwagger => "acr-2021-07-01",
            Document::Oci111 => "oci-1.1.1",
            Document::OciDev => "oci-dev",
            Document::DockerV2 => "docker-v2",
        }
    }

    /// The document's title.
    pub fn title(self) -> &'static str {
        match self {
            Document::AcrSwagger => "ACR data-plane swagger 2021-07-01",
            Document::Oci111 => "OCI distribution-spec v1.1.1",
            Document::OciDev => "OCI distribution-spec after v1.1.1 (dev)",
            Document::DockerV2 => "Docker Registry HTTP API v2",
        }
    }
}

/// The documents an operation comes from, the defining one first.
pub fn documents_of(op: Operation) -> &'static [Document] {
    use Document as D;
    use Operation as O;
    match op {
        O::GetTagList => &[D::Oci111, D::DockerV2],
        O::GetCatalog => &[D::DockerV2],
        O::GetReferrers => &[D::Oci111],
        O::CancelUpload => &[D::AcrSwagger, D::OciDev, D::DockerV2],
        op if op.surface() == Surface::Oci => &[D::AcrSwagger, D::Oci111],
        _ => &[D::AcrSwagger],
    }
}

/// The operations of the catalogue that come from the ACR 2021-07-01 swagger.
pub fn acr_operations() -> impl Iterator<Item = Operation> {
    Operation::ALL
        .iter()
        .copied()
        .filter(|op| documents_of(*op).contains(&Document::AcrSwagger))
}

/// The OCI workflow category an endpoint belongs to (spec §Workflow Categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// "All registries conforming to this specification MUST support, at a minimum, all APIs
    /// in the **Pull** category." (`GET /v2/` is the support check every client starts with.)
    Pull,
    /// "Registries SHOULD also support the **Push**, **Content Discovery**, and **Content
    /// Management** categories."
    Push,
    /// Listing tags and referrers.
    ContentDiscovery,
    /// Deleting manifests and blobs.
    ContentManagement,
}

impl Category {
    /// The category's name as in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Category::Pull => "Pull",
            Category::Push => "Push",
            Category::ContentDiscovery => "Content Discovery",
            Category::ContentManagement => "Content Management",
        }
    }
}

/// What the request's query must carry for it to exercise an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryShape {
    /// Nothing in particular (the endpoint without the keys of its siblings).
    Plain,
    /// At least one of these keys.
    AnyOf(&'static [&'static str]),
}

/// One row of the OCI endpoint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `end-4b`.
    pub id: &'static str,
    /// Methods (`GET`, `HEAD`).
    pub methods: &'static [&'static str],
    /// Path template as in the spec (`<name>`, `<digest>`, `<reference>`).
    pub path: &'static str,
    /// Success statuses of the table.
    pub success: &'static [u16],
    /// Failure statuses of the table.
    pub failure: &'static [u16],
    /// The workflow category.
    pub category: Category,
    /// How strongly a registry must offer it: MUST for Pull, SHOULD for the other categories
    /// (a registry claiming one MUST implement all of it), SHOULD for `end-14`.
    pub level: Level,
    /// The text that lists it (`Oci111`, or `OciDev` for end-14).
    pub document: Document,
    /// The catalogue operations whose requests can exercise it.
    pub ops: &'static [Operation],
    /// The query that tells it apart from its siblings.
    pub query: QueryShape,
}

impl Endpoint {
    /// `GET / HEAD /v2/<name>/blobs/<digest>`.
    pub fn request_line(&self) -> String {
        format!("{} {}", self.methods.join(" / "), self.path)
    }

    /// `201/202` (success) and `404/400` (failure) as written in the table.
    pub fn statuses(codes: &[u16]) -> String {
        codes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("/")
    }
}

use Category as C;
use Operation as O;
use QueryShape as Q;

#[allow(clippy::too_many_arguments)] // one row of the table, in its column order
const fn ep(
    id: &'static str,
    methods: &'static [&'static str],
    path: &'static str,
    success: &'static [u16],
    failure: &'static [u16],
    category: Category,
    ops: &'static [Operation],
    query: QueryShape,
) -> Endpoint {
    let level = match category {
        C::Pull => Level::Must,
        _ => Level::Should,
    };
    Endpoint {
        id,
        methods,
        path,
        success,
        failure,
        category,
        level,
        document: Document::Oci111,
        ops,
        query,
    }
}

const BLOB_READS: &[Operation] = &[
    O::GetBlob,
    O::CheckBlobExists,
    O::GetChunk,
    O::CheckChunkExists,
];

/// The OCI endpoint table: the 16 rows of distribution-spec 1.1.1 §Endpoints, then end-14.
#[rustfmt::skip]
pub const ENDPOINTS: &[Endpoint] = &[
    ep("end-1", &["GET"], "/v2/", &[200], &[404, 401], C::Pull, &[O::CheckDockerV2Support], Q::Plain),
    ep("end-2", &["GET", "HEAD"], "/v2/<name>/blobs/<digest>", &[200], &[404], C::Pull, BLOB_READS, Q::Plain),
    ep("end-3", &["GET", "HEAD"], "/v2/<name>/manifests/<reference>", &[200], &[404], C::Pull, &[O::GetManifest], Q::Plain),
    ep("end-4a", &["POST"], "/v2/<name>/blobs/uploads/", &[202], &[404], C::Push, &[O::StartUpload], Q::Plain),
    ep("end-4b", &["POST"], "/v2/<name>/blobs/uploads/?digest=<digest>", &[201, 202], &[404, 400], C::Push, &[O::StartUpload], Q::AnyOf(&["digest"])),
    ep("end-5", &["PATCH"], "/v2/<name>/blobs/uploads/<reference>", &[202], &[404, 416], C::Push, &[O::UploadChunk], Q::Plain),
    ep("end-6", &["PUT"], "/v2/<name>/blobs/uploads/<reference>?digest=<digest>", &[201], &[404, 400], C::Push, &[O::CompleteUpload], Q::Plain),
    ep("end-7", &["PUT"], "/v2/<name>/manifests/<reference>", &[201], &[404, 413], C::Push, &[O::CreateManifest], Q::Plain),
    ep("end-8a", &["GET"], "/v2/<name>/tags/list", &[200], &[404], C::ContentDiscovery, &[O::GetTagList], Q::Plain),
    ep("end-8b", &["GET"], "/v2/<name>/tags/list?n=<integer>&last=<tagname>", &[200], &[404], C::ContentDiscovery, &[O::GetTagList], Q::AnyOf(&["n", "last"])),
    ep("end-9", &["DELETE"], "/v2/<name>/manifests/<reference>", &[202], &[404, 400, 405], C::ContentManagement, &[O::DeleteManifest], Q::Plain),
    ep("end-10", &["DELETE"], "/v2/<name>/blobs/<digest>", &[202], &[404, 400, 405], C::ContentManagement, &[O::DeleteBlob], Q::Plain),
    ep("end-11", &["POST"], "/v2/<name>/blobs/uploads/?mount=<digest>&from=<other_name>", &[201, 202], &[404], C::Push, &[O::MountBlob, O::StartUpload], Q::AnyOf(&["mount"])),
    ep("end-12a", &["GET"], "/v2/<name>/referrers/<digest>", &[200], &[404, 400], C::ContentDiscovery, &[O::GetReferrers], Q::Plain),
    ep("end-12b", &["GET"], "/v2/<name>/referrers/<digest>?artifactType=<artifactType>", &[200], &[404, 400], C::ContentDiscovery, &[O::GetReferrers], Q::AnyOf(&["artifactType"])),
    ep("end-13", &["GET"], "/v2/<name>/blobs/uploads/<reference>", &[204], &[404], C::Push, &[O::GetUploadStatus], Q::Plain),
    Endpoint {
        id: "end-14",
        methods: &["DELETE"],
        path: "/v2/<name>/blobs/uploads/<reference>",
        success: &[204],
        failure: &[404, 400],
        category: C::Push,
        level: Level::Should,
        document: Document::OciDev,
        ops: &[O::CancelUpload],
        query: Q::Plain,
    },
];

/// The endpoint with this id.
pub fn endpoint(id: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.id == id)
}

/// The OCI endpoints an operation's requests can exercise.
pub fn endpoints_of(op: Operation) -> impl Iterator<Item = &'static Endpoint> {
    ENDPOINTS.iter().filter(move |e| e.ops.contains(&op))
}

/// The endpoint a request exercises: by its operation, its method and the keys of its query
/// (`digest`, `mount`, `n`/`last`, `artifactType` pick the sibling rows). An endpoint whose
/// query keys are present wins over the plain one; `None` when the request is none of them
/// (`_catalog`, the ACR API, a method the table does not list for the operation).
pub fn endpoint_for(op: Operation, method: &str, query_keys: &[&str]) -> Option<&'static Endpoint> {
    let candidates = || {
        endpoints_of(op).filter(move |e| e.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
    };
    candidates()
        .find(|e| match e.query {
            Q::AnyOf(keys) => keys.iter().any(|k| query_keys.contains(k)),
            Q::Plain => false,
        })
        .or_else(|| candidates().find(|e| e.query == Q::Plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_16_rows_of_1_1_1_and_end_14() {
        assert_eq!(ENDPOINTS.len(), 17);
        let in_111 = ENDPOINTS
            .iter()
            .filter(|e| e.document == Document::Oci111)
            .count();
        assert_eq!(in_111, 16);
        let mut ids: Vec<_> = ENDPOINTS.iter().map(|e| e.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 17);
        assert_eq!(endpoint("end-14").unwrap().level, Level::Should);
        assert_eq!(endpoint("end-3").unwrap().level, Level::Must);
    }

    #[test]
    fn requests_map_by_operation_method_and_query() {
        let id = |op, m, q: &[&str]| endpoint_for(op, m, q).map(|e| e.id);
        assert_eq!(id(O::GetBlob, "GET", &[]), Some("end-2"));
        assert_eq!(id(O::CheckChunkExists, "HEAD", &[]), Some("end-2"));
        assert_eq!(id(O::GetManifest, "HEAD", &[]), Some("end-3"));
        assert_eq!(id(O::GetManifest, "DELETE", &[]), None);
        assert_eq!(id(O::StartUpload, "POST", &[]), Some("end-4a"));
        assert_eq!(id(O::StartUpload, "POST", &["digest"]), Some("end-4b"));
        assert_eq!(
            id(O::StartUpload, "POST", &["mount", "from"]),
            Some("end-11")
        );
        assert_eq!(id(O::MountBlob, "POST", &["mount", "from"]), Some("end-11"));
        assert_eq!(id(O::GetTagList, "GET", &[]), Some("end-8a"));
        assert_eq!(id(O::GetTagList, "GET", &["last"]), Some("end-8b"));
        assert_eq!(
            id(O::GetReferrers, "GET", &["artifactType"]),
            Some("end-12b")
        );
        assert_eq!(id(O::GetReferrers, "GET", &[]), Some("end-12a"));
        assert_eq!(id(O::CancelUpload, "DELETE", &[]), Some("end-14"));
        assert_eq!(id(O::GetCatalog, "GET", &[]), None);
        assert_eq!(id(O::GetTags, "GET", &[]), None);
    }

    #[test]
    fn every_oci_operation_but_the_catalog_has_an_endpoint() {
        for op in Operation::ALL {
            let has = endpoints_of(*op).next().is_some();
            let oci = documents_of(*op)
                .iter()
                .any(|d| matches!(d, Document::Oci111 | Document::OciDev));
            assert_eq!(has, oci, "{op}");
        }
        assert_eq!(acr_operations().count(), 29);
    }
}
