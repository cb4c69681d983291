//! The embedded reference registry over real HTTP (reqwest against 127.0.0.1:0): the /v2
//! protocol, ACR metadata, attribute enforcement, auth and tokens, redirect mode, disk
//! persistence, concurrency, and one test per injected fault.

use regcheck::registry::{self, AuthMode, Fault, RegistryConfig, RunningRegistry, Surface};
use reqwest::{Body, Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Reg {
    reg: RunningRegistry,
    c: Client,
    base: String,
}

/// Sends a request, panicking (this is a test) when the transport fails.
async fn sent(what: &str, req: reqwest::RequestBuilder) -> Response {
    req.send()
        .await
        .unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

impl Reg {
    async fn start(config: RegistryConfig) -> Reg {
        let reg = registry::start(config).await.expect("registry starts");
        let base = reg.url();
        Reg {
            reg,
            c: client(),
            base,
        }
    }

    async fn plain() -> Reg {
        Reg::start(RegistryConfig::default()).await
    }

    async fn with_fault(f: Fault) -> Reg {
        Reg::start(RegistryConfig {
            faults: vec![f],
            ..RegistryConfig::default()
        })
        .await
    }

    async fn with_auth(auth: AuthMode) -> Reg {
        Reg::start(RegistryConfig {
            auth,
            ..RegistryConfig::default()
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.c.request(method, self.url(path))
    }

    /// `method path` with no body and no extra headers.
    async fn send(&self, method: Method, path: &str) -> Response {
        let what = format!("{method} {path}");
        sent(&what, self.req(method, path)).await
    }

    async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path).await
    }

    async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON body")
    }

    /// GET with a `Range` header.
    async fn get_range(&self, path: &str, range: &str) -> Response {
        sent(
            "GET range",
            self.req(Method::GET, path).header("range", range),
        )
        .await
    }

    /// GET with an `Accept` header.
    async fn get_accepting(&self, path: &str, accept: &str) -> Response {
        sent("GET", self.req(Method::GET, path).header("accept", accept)).await
    }

    async fn head(&self, path: &str) -> Response {
        self.send(Method::HEAD, path).await
    }

    async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path).await
    }

    /// `method path` with `Authorization: Bearer <token>`.
    async fn bearer(&self, method: Method, path: &str, token: &str) -> Response {
        let what = format!("{method} {path} (bearer)");
        sent(&what, self.req(method, path).bearer_auth(token)).await
    }

    /// POST with a body.
    async fn post(&self, path: &str, body: impl Into<Body>) -> Response {
        sent("POST", self.req(Method::POST, path).body(body)).await
    }

    /// POST of an `application/x-www-form-urlencoded` form (the token endpoints).
    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        sent("POST form", self.req(Method::POST, path).form(form)).await
    }

    /// POST /v2/<repo>/blobs/uploads/: opens an upload session.
    async fn start_upload(&self, repo: &str) -> Response {
        self.send(Method::POST, &format!("/v2/{repo}/blobs/uploads/"))
            .await
    }

    /// PATCH a streamed chunk (no Content-Range) to an upload location.
    async fn patch(&self, url: &str, body: impl Into<Body>) -> Response {
        sent("PATCH", self.req(Method::PATCH, url).body(body)).await
    }

    /// PATCH a chunk with `Content-Range: <range>` to an upload location.
    async fn patch_range(&self, url: &str, range: &str, body: impl Into<Body>) -> Response {
        let req = self
            .req(Method::PATCH, url)
            .header("content-range", range)
            .body(body);
        sent("PATCH range", req).await
    }

    /// PUT with a body (closing an upload).
    async fn put(&self, url: &str, body: impl Into<Body>) -> Response {
        sent("PUT", self.req(Method::PUT, url).body(body)).await
    }

    /// POST + PUT with the whole body; returns the digest.
    async fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha(data);
        let r = self.start_upload(repo).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let loc = header(&r, "location");
        let sep = if loc.contains('?') { '&' } else { '?' };
        let r = self
            .put(&format!("{loc}{sep}digest={digest}"), data.to_vec())
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "push blob");
        digest
    }

    /// Pushes config (with architecture/os) + one layer + manifest under `tag`.
    async fn push_image(&self, repo: &str, tag: &str, salt: &str) -> (Vec<u8>, String) {
        let config = json!({"architecture": "arm64", "os": "linux", "salt": salt}).to_string();
        let cd = self.push_blob(repo, config.as_bytes()).await;
        let layer = format!("layer-{salt}");
        let ld = self.push_blob(repo, layer.as_bytes()).await;
        let manifest = image_manifest(&cd, config.len(), &ld, layer.len());
        let r = self.put_manifest(repo, tag, OCI_MANIFEST, &manifest).await;
        assert_eq!(r.status(), StatusCode::CREATED, "push manifest");
        let d = sha(&manifest);
        (manifest, d)
    }

    async fn put_manifest(&self, repo: &str, reference: &str, ct: &str, body: &[u8]) -> Response {
        let req = self
            .req(Method::PUT, &format!("/v2/{repo}/manifests/{reference}"))
            .header("content-type", ct)
            .body(body.to_vec());
        sent("PUT manifest", req).await
    }

    async fn patch_json(&self, path: &str, body: Value) -> Response {
        sent("PATCH", self.req(Method::PATCH, path).json(&body)).await
    }

    /// PATCH of ACR attributes; returns the status only.
    async fn patch_status(&self, path: &str, body: Value) -> StatusCode {
        self.patch_json(path, body).await.status()
    }
}

fn image_manifest(cd: &str, csize: usize, ld: &str, lsize: usize) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": csize},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": lsize}]
    })
    .to_string()
    .into_bytes()
}

/// An OCI index of linux image manifests, one per `(digest, architecture)`.
fn image_index(children: &[(&str, &str)]) -> Vec<u8> {
    let manifests: Vec<Value> = children
        .iter()
        .map(|(digest, arch)| {
            json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": 1, "platform": {"architecture": arch, "os": "linux"}})
        })
        .collect();
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
        .to_string()
        .into_bytes()
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn error_codes(r: Response) -> Vec<String> {
    let v: Value = r.json().await.expect("JSON error body");
    v["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The tag names of an ACR tag list, in answer order.
fn tag_names(v: &Value) -> Vec<String> {
    v["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

// ---------------------------------------------------------------- /v2 protocol

#[tokio::test]
async fn v2_root_and_api_version_header_everywhere() {
    let r = Reg::plain().await;
    let resp = r.get("/v2/").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, "docker-distribution-api-version"),
        "registry/2.0"
    );
    assert_eq!(resp.text().await.expect("body"), "{}");
    let miss = r.get("/v2/Upper/tags/list").await;
    assert_eq!(miss.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        header(&miss, "docker-distribution-api-version"),
        "registry/2.0"
    );
    assert!(header(&miss, "content-type").starts_with("text/plain"));
    assert!(r.reg.url().starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn chunked_upload_state_machine() {
    let r = Reg::plain().await;
    let data: Vec<u8> = (0..100u8).collect();
    let start = r.start_upload("ns/chunks").await;
    assert_eq!(start.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&start, "range"), "0-0");
    let uuid = header(&start, "docker-upload-uuid");
    assert!(!uuid.is_empty());
    let loc0 = header(&start, "location");
    assert!(
        loc0.starts_with("/v2/ns/chunks/blobs/uploads/"),
        "relative location: {loc0}"
    );

    // Out of order: starts at 40 while the session is at 0.
    let ooo = r.patch_range(&loc0, "40-99", data[40..].to_vec()).await;
    assert_eq!(ooo.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&ooo, "range"), "0-0");

    let first = r.patch_range(&loc0, "0-39", data[..40].to_vec()).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&first, "range"), "0-39");
    assert_eq!(header(&first, "docker-upload-uuid"), uuid);
    // Retrying the first chunk at the old location is out of order now.
    let retry = r.patch_range(&loc0, "0-39", data[..40].to_vec()).await;
    assert_eq!(retry.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&retry, "range"), "0-39");
    // Content-Length must match the range.
    let short = r.patch_range(&loc0, "40-99", data[40..50].to_vec()).await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);

    let status = r.get(&loc0).await;
    assert_eq!(status.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&status, "range"), "0-39");
    let loc = header(&status, "location");

    // Streamed (no Content-Range) second chunk.
    let second = r.patch(&loc, data[40..].to_vec()).await;
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&second, "range"), "0-99");
    let loc = header(&second, "location");
    let digest = sha(&data);
    let done = r.send(Method::PUT, &format!("{loc}&digest={digest}")).await;
    assert_eq!(done.status(), StatusCode::CREATED);
    assert_eq!(
        header(&done, "location"),
        format!("/v2/ns/chunks/blobs/{digest}")
    );
    assert_eq!(header(&done, "docker-content-digest"), digest);
    assert_eq!(header(&done, "content-length"), "0");

    let got = r.get(&format!("/v2/ns/chunks/blobs/{digest}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(header(&got, "docker-content-digest"), digest);
    assert_eq!(header(&got, "content-length"), "100");
    assert_eq!(header(&got, "accept-ranges"), "bytes");
    assert_eq!(header(&got, "content-type"), "application/octet-stream");
    assert_eq!(got.bytes().await.expect("body").to_vec(), data);
    // The finished session is gone.
    assert_eq!(r.get(&loc).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancel_upload_then_session_is_unknown() {
    let r = Reg::plain().await;
    let loc = header(&r.start_upload("c").await, "location");
    let del = r.delete(&loc).await;
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    let after = r.get(&loc).await;
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_codes(after).await, vec!["BLOB_UPLOAD_UNKNOWN"]);
}

#[tokio::test]
async fn digest_mismatch_and_malformed_digests_are_400() {
    let r = Reg::plain().await;
    let loc = header(&r.start_upload("d").await, "location");
    let wrong = sha(b"something else");
    let put = r.put(&format!("{loc}&digest={wrong}"), "actual").await;
    assert_eq!(put.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(put).await, vec!["DIGEST_INVALID"]);
    assert_eq!(
        r.get(&format!("/v2/d/blobs/{wrong}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let bad = r.get("/v2/d/blobs/sha256:totallywrong").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(bad).await, vec!["DIGEST_INVALID"]);
    // Monolithic POST ?digest= works and verifies too.
    let ok = r
        .post(
            &format!("/v2/d/blobs/uploads/?digest={}", sha(b"mono")),
            "mono",
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let bad = r
        .post(&format!("/v2/d/blobs/uploads/?digest={wrong}"), "mono")
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn range_requests() {
    let r = Reg::plain().await;
    let data: Vec<u8> = (0..2048u32).map(|i| (i % 251) as u8).collect();
    let d = r.push_blob("rng", &data).await;
    let path = format!("/v2/rng/blobs/{d}");
    for (range, start, end) in [
        ("bytes=500-1499", 500, 1499),
        ("bytes=500-", 500, 2047),
        ("bytes=-500", 1548, 2047),
        ("bytes=2000-5000", 2000, 2047),
    ] {
        let resp = r.get_range(&path, range).await;
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&resp, "content-range"),
            format!("bytes {start}-{end}/2048")
        );
        assert_eq!(
            header(&resp, "content-length"),
            (end - start + 1).to_string()
        );
        assert_eq!(
            resp.bytes().await.expect("body").to_vec(),
            data[start..=end].to_vec()
        );
    }
    for range in ["bytes=500-0", "bytes=5000-10000"] {
        let resp = r.get_range(&path, range).await;
        assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(&resp, "content-range"), "bytes */2048");
    }
    let head = sent(
        "HEAD range",
        r.req(Method::HEAD, &path).header("range", "bytes=0-9"),
    )
    .await;
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&head, "content-length"), "10");
    let head = r.head(&path).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-length"), "2048");
    assert_eq!(header(&head, "docker-content-digest"), d);
    assert!(head.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn blobs_are_per_repository_and_mountable() {
    let r = Reg::plain().await;
    let d = r.push_blob("src/repo", b"shared bytes").await;
    assert_eq!(
        r.get(&format!("/v2/dst/repo/blobs/{d}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let mount = r
        .send(
            Method::POST,
            &format!("/v2/dst%2Frepo/blobs/uploads/?mount={d}&from=src/repo"),
        )
        .await;
    assert_eq!(mount.status(), StatusCode::CREATED);
    assert_eq!(
        header(&mount, "location"),
        format!("/v2/dst/repo/blobs/{d}")
    );
    assert_eq!(header(&mount, "docker-content-digest"), d);
    assert_eq!(
        r.get(&format!("/v2/dst/repo/blobs/{d}")).await.status(),
        StatusCode::OK
    );
    let missing = sha(b"never pushed");
    let fallback = r
        .send(
            Method::POST,
            &format!("/v2/dst/repo/blobs/uploads/?mount={missing}&from=src/repo"),
        )
        .await;
    assert_eq!(fallback.status(), StatusCode::ACCEPTED);
    assert!(header(&fallback, "location").starts_with("/v2/dst/repo/blobs/uploads/"));
    // Delete: 202, then 404.
    let del = r.delete(&format!("/v2/dst/repo/blobs/{d}")).await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&del, "content-length"), "0");
    let again = r.delete(&format!("/v2/dst/repo/blobs/{d}")).await;
    assert_eq!(error_codes(again).await, vec!["BLOB_UNKNOWN"]);
    assert_eq!(
        r.get(&format!("/v2/src/repo/blobs/{d}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn manifest_put_get_delete() {
    let r = Reg::plain().await;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let cd = sha(config);
    let ld = sha(b"layer");
    let manifest = image_manifest(&cd, config.len(), &ld, 5);
    // Both references missing → two MANIFEST_BLOB_UNKNOWN errors.
    let missing = r.put_manifest("m/x", "v1", OCI_MANIFEST, &manifest).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(missing).await, vec!["MANIFEST_BLOB_UNKNOWN"; 2]);
    r.push_blob("m/x", config).await;
    let one = r.put_manifest("m/x", "v1", OCI_MANIFEST, &manifest).await;
    assert_eq!(error_codes(one).await, vec!["MANIFEST_BLOB_UNKNOWN"]);
    r.push_blob("m/x", b"layer").await;

    let bad_json = r.put_manifest("m/x", "v1", OCI_MANIFEST, b"{nope").await;
    assert_eq!(error_codes(bad_json).await, vec!["MANIFEST_INVALID"]);
    let wrong_digest = r
        .put_manifest("m/x", &sha(b"other"), OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(error_codes(wrong_digest).await, vec!["DIGEST_INVALID"]);

    let put = r.put_manifest("m/x", "v1", OCI_MANIFEST, &manifest).await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let d = sha(&manifest);
    assert_eq!(header(&put, "location"), format!("/v2/m/x/manifests/{d}"));
    assert_eq!(header(&put, "docker-content-digest"), d);
    assert_eq!(header(&put, "content-length"), "0");

    for reference in ["v1", d.as_str()] {
        let got = r
            .get_accepting(
                &format!("/v2/m/x/manifests/{reference}"),
                &format!("{DOCKER_V2}, {OCI_MANIFEST}"),
            )
            .await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(header(&got, "content-type"), OCI_MANIFEST);
        assert_eq!(header(&got, "docker-content-digest"), d);
        assert_eq!(header(&got, "etag"), format!("\"{d}\""));
        assert_eq!(header(&got, "content-length"), manifest.len().to_string());
        assert_eq!(got.bytes().await.expect("body").to_vec(), manifest);
    }
    let head = r.head("/v2/m/x/manifests/v1").await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-length"), manifest.len().to_string());
    let refused = r.get_accepting("/v2/m/x/manifests/v1", DOCKER_V2).await;
    assert_eq!(error_codes(refused).await, vec!["MANIFEST_UNKNOWN"]);
    let unknown_repo = r.get("/v2/no/such/manifests/v1").await;
    assert_eq!(error_codes(unknown_repo).await, vec!["NAME_UNKNOWN"]);
    assert_eq!(
        error_codes(r.get("/v2/m/x/manifests/v9").await).await,
        vec!["MANIFEST_UNKNOWN"]
    );

    // Index referencing an unknown child, then a valid one.
    let unknown_child = sha(b"nope");
    let bad_index = r
        .put_manifest(
            "m/x",
            "multi",
            OCI_INDEX,
            &image_index(&[(&unknown_child, "arm64")]),
        )
        .await;
    assert_eq!(error_codes(bad_index).await, vec!["MANIFEST_BLOB_UNKNOWN"]);
    let good_index = r
        .put_manifest("m/x", "multi", OCI_INDEX, &image_index(&[(&d, "arm64")]))
        .await;
    assert_eq!(good_index.status(), StatusCode::CREATED);

    // Delete by tag removes only the tag; delete by digest removes the manifest.
    let del_tag = r.delete("/v2/m/x/manifests/multi").await;
    assert_eq!(del_tag.status(), StatusCode::ACCEPTED);
    let del = r.delete(&format!("/v2/m/x/manifests/{d}")).await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.get(&format!("/v2/m/x/manifests/{d}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        r.get("/v2/m/x/manifests/v1").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn tags_list_and_catalog_pagination() {
    let r = Reg::plain().await;
    let (manifest, _) = r.push_image("p/q", "b", "1").await;
    for tag in ["d", "a", "c", "e"] {
        assert_eq!(
            r.put_manifest("p/q", tag, OCI_MANIFEST, &manifest)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let all = r.get_json("/v2/p/q/tags/list").await;
    assert_eq!(
        all,
        json!({"name": "p/q", "tags": ["a", "b", "c", "d", "e"]})
    );
    let page = r.get("/v2/p/q/tags/list?n=2").await;
    assert_eq!(
        header(&page, "link"),
        "</v2/p/q/tags/list?last=b&n=2>; rel=\"next\""
    );
    let body: Value = page.json().await.expect("json");
    assert_eq!(body["tags"], json!(["a", "b"]));
    let page = r.get("/v2/p/q/tags/list?n=2&last=d").await;
    assert_eq!(header(&page, "link"), "");
    let body: Value = page.json().await.expect("json");
    assert_eq!(body["tags"], json!(["e"]));
    for bad in ["-1", "x"] {
        let resp = r.get(&format!("/v2/p/q/tags/list?n={bad}")).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_codes(resp).await, vec!["PAGINATION_NUMBER_INVALID"]);
    }
    assert_eq!(
        error_codes(r.get("/v2/un/known/tags/list").await).await,
        vec!["NAME_UNKNOWN"]
    );

    r.push_image("a/z", "t", "2").await;
    r.push_image("m", "t", "3").await;
    let cat = r.get("/v2/_catalog?n=2").await;
    assert_eq!(
        header(&cat, "link"),
        "</v2/_catalog?last=m&n=2>; rel=\"next\""
    );
    let body: Value = cat.json().await.expect("json");
    assert_eq!(body, json!({"repositories": ["a/z", "m"]}));
    let cat = r.get("/acr/v1/_catalog?n=1&last=a/z").await;
    assert_eq!(
        header(&cat, "link"),
        "</acr/v1/_catalog?last=m&n=1&orderby=>; rel=\"next\""
    );
    let body: Value = cat.json().await.expect("json");
    assert_eq!(body, json!({"repositories": ["m"]}));
}

// ---------------------------------------------------------------- ACR metadata

#[tokio::test]
async fn acr_properties_tags_and_manifests() {
    let r = Reg::plain().await;
    let (manifest, d) = r.push_image("acr/img", "c", "x").await;
    for tag in ["a", "b"] {
        assert_eq!(
            r.put_manifest("acr/img", tag, OCI_MANIFEST, &manifest)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let host = r.reg.addr().to_string();
    let props = r.get_json("/acr/v1/acr%2Fimg?api-version=2021-07-01").await;
    assert_eq!(props["registry"], json!(host));
    assert_eq!(props["imageName"], json!("acr/img"));
    assert_eq!(props["manifestCount"], json!(1));
    assert_eq!(props["tagCount"], json!(3));
    assert_eq!(
        props["changeableAttributes"],
        json!({"deleteEnabled": true, "writeEnabled": true, "readEnabled": true, "listEnabled": true})
    );
    let created = props["createdTime"].as_str().expect("time");
    assert!(
        created.ends_with('Z') && created.contains('.') && created.len() == 28,
        "{created}"
    );

    let by_name = r.get_json("/acr/v1/acr/img/_tags").await;
    assert_eq!(tag_names(&by_name), vec!["a", "b", "c"]);
    assert_eq!(by_name["tags"][0]["digest"], json!(d));
    assert_eq!(by_name["tags"][0]["signed"], json!(false));
    let desc = r.get_json("/acr/v1/acr/img/_tags?orderby=timedesc").await;
    assert_eq!(tag_names(&desc), vec!["b", "a", "c"]);
    let asc = r.get_json("/acr/v1/acr/img/_tags?orderby=timeasc").await;
    assert_eq!(tag_names(&asc), vec!["c", "a", "b"]);
    let paged = r.get("/acr/v1/acr/img/_tags?n=1&orderby=timedesc").await;
    assert_eq!(
        header(&paged, "link"),
        "</acr/v1/acr%2Fimg/_tags?last=b&n=1&orderby=timedesc>; rel=\"next\""
    );
    let next = r
        .get_json("/acr/v1/acr%2Fimg/_tags?last=b&n=1&orderby=timedesc")
        .await;
    assert_eq!(tag_names(&next), vec!["a"]);
    let filtered = r
        .get_json(&format!("/acr/v1/acr/img/_tags?digest={d}"))
        .await;
    assert_eq!(tag_names(&filtered).len(), 3);
    let none = r
        .get_json(&format!("/acr/v1/acr/img/_tags?digest={}", sha(b"z")))
        .await;
    assert_eq!(none["tags"], Value::Null);

    let tag = r.get_json("/acr/v1/acr/img/_tags/a").await;
    assert_eq!(tag["tag"]["name"], json!("a"));
    assert_eq!(tag["imageName"], json!("acr/img"));
    assert_eq!(
        error_codes(r.get("/acr/v1/acr/img/_tags/zz").await).await,
        vec!["TAG_UNKNOWN"]
    );
    let body = r.get_json("/acr/v1/not/real").await;
    assert_eq!(body["errors"][0]["code"], json!("NAME_UNKNOWN"));
    assert_eq!(body["errors"][0]["detail"], json!({"name": "not/real"}));

    let mf = r.get_json(&format!("/acr/v1/acr/img/_manifests/{d}")).await;
    assert_eq!(mf["manifest"]["architecture"], json!("arm64"));
    assert_eq!(mf["manifest"]["os"], json!("linux"));
    assert_eq!(mf["manifest"]["mediaType"], json!(OCI_MANIFEST));
    assert_eq!(mf["manifest"]["tags"], json!(["a", "b", "c"]));
    let patched: Value = r
        .patch_json(
            &format!("/acr/v1/acr/img/_manifests/{d}"),
            json!({"quarantineState": "Passed", "readEnabled": true}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        patched["manifest"]["changeableAttributes"]["quarantineState"],
        json!("Passed")
    );
    let list = r.get_json("/acr/v1/acr/img/_manifests").await;
    assert_eq!(
        list["manifests"][0]["changeableAttributes"]["quarantineState"],
        json!("Passed")
    );
    assert_eq!(
        error_codes(
            r.get(&format!("/acr/v1/acr/img/_manifests/{}", sha(b"q")))
                .await
        )
        .await,
        vec!["MANIFEST_UNKNOWN"]
    );

    let del = r.delete("/acr/v1/acr/img/_tags/a").await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    assert_eq!(
        error_codes(r.get("/acr/v1/acr/img/_tags/a").await).await,
        vec!["TAG_UNKNOWN"]
    );
    let del = r.delete("/acr/v1/acr/img").await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    let body: Value = del.json().await.expect("json");
    assert_eq!(
        body,
        json!({"manifestsDeleted": [d], "tagsDeleted": ["b", "c"]})
    );
    assert_eq!(
        error_codes(r.get("/acr/v1/acr/img").await).await,
        vec!["NAME_UNKNOWN"]
    );
}

#[tokio::test]
async fn acr_manifest_orderby_and_index_references() {
    let r = Reg::plain().await;
    let (_, d1) = r.push_image("o", "one", "1").await;
    let (_, d2) = r.push_image("o", "two", "2").await;
    let index = image_index(&[(&d1, "amd64"), (&d2, "arm64")]);
    assert_eq!(
        r.put_manifest("o", "multi", OCI_INDEX, &index)
            .await
            .status(),
        StatusCode::CREATED
    );
    let di = sha(&index);
    let desc = r.get_json("/acr/v1/o/_manifests?orderby=timedesc").await;
    let order: Vec<&str> = desc["manifests"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["digest"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(order, vec![di.as_str(), d2.as_str(), d1.as_str()]);
    let mf = r.get_json(&format!("/acr/v1/o/_manifests/{di}")).await;
    assert_eq!(
        mf["manifest"]["references"][1],
        json!({"digest": d2, "architecture": "arm64", "os": "linux"})
    );
}

// ---------------------------------------------------------------- attributes

#[tokio::test]
async fn write_enabled_is_enforced() {
    let r = Reg::plain().await;
    let (manifest, _) = r.push_image("w", "v1", "1").await;
    let locked = r
        .patch_status("/acr/v1/w/_tags/v1", json!({"writeEnabled": false}))
        .await;
    assert_eq!(locked, StatusCode::OK);
    let (other, _) = r.push_image("w", "v2", "2").await;
    let moved = r.put_manifest("w", "v1", OCI_MANIFEST, &other).await;
    assert_eq!(moved.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_codes(moved).await, vec!["DENIED"]);
    // Repository-level lock refuses pushes and chunk uploads.
    let loc = header(&r.start_upload("w").await, "location");
    assert_eq!(
        r.patch_status("/acr/v1/w", json!({"writeEnabled": false}))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        r.put_manifest("w", "v3", OCI_MANIFEST, &manifest)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let patch = r.patch(&loc, "x").await;
    assert_eq!(patch.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.patch_status("/acr/v1/w", json!({"writeEnabled": true}))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        r.put_manifest("w", "v3", OCI_MANIFEST, &manifest)
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn delete_enabled_is_enforced() {
    let r = Reg::plain().await;
    let (_, d) = r.push_image("del", "v1", "1").await;
    assert_eq!(
        r.patch_status("/acr/v1/del/_tags/v1", json!({"deleteEnabled": false}))
            .await,
        StatusCode::OK
    );
    let tag_del = r.delete("/acr/v1/del/_tags/v1").await;
    assert_eq!(error_codes(tag_del).await, vec!["DENIED"]);
    let m_del = r.delete(&format!("/v2/del/manifests/{d}")).await;
    assert_eq!(m_del.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.delete("/acr/v1/del").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        r.patch_status("/acr/v1/del/_tags/v1", json!({"deleteEnabled": true}))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        r.patch_status(
            &format!("/acr/v1/del/_manifests/{d}"),
            json!({"deleteEnabled": false})
        )
        .await,
        StatusCode::OK
    );
    let m_del = r.delete(&format!("/v2/del/manifests/{d}")).await;
    assert_eq!(m_del.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.get(&format!("/v2/del/manifests/{d}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn read_enabled_is_enforced() {
    let r = Reg::plain().await;
    let (_, d) = r.push_image("rd", "v1", "1").await;
    let blob = r.push_blob("rd", b"readable").await;
    assert_eq!(
        r.patch_status(
            &format!("/acr/v1/rd/_manifests/{d}"),
            json!({"readEnabled": false})
        )
        .await,
        StatusCode::OK
    );
    let got = r.get("/v2/rd/manifests/v1").await;
    assert_eq!(got.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_codes(got).await, vec!["DENIED"]);
    assert_eq!(
        r.get(&format!("/v2/rd/blobs/{blob}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        r.patch_status("/acr/v1/rd", json!({"readEnabled": false}))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        r.get(&format!("/v2/rd/blobs/{blob}")).await.status(),
        StatusCode::FORBIDDEN
    );
    // Metadata stays readable.
    assert_eq!(r.get("/acr/v1/rd").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn list_enabled_is_enforced() {
    let r = Reg::plain().await;
    let (manifest, d) = r.push_image("ls/a", "v1", "1").await;
    assert_eq!(
        r.put_manifest("ls/a", "v2", OCI_MANIFEST, &manifest)
            .await
            .status(),
        StatusCode::CREATED
    );
    r.push_image("ls/b", "v1", "2").await;
    assert_eq!(
        r.patch_status("/acr/v1/ls/a/_tags/v1", json!({"listEnabled": false}))
            .await,
        StatusCode::OK
    );
    let tags = r.get_json("/v2/ls/a/tags/list").await;
    assert_eq!(tags["tags"], json!(["v2"]));
    let acr_tags = r.get_json("/acr/v1/ls/a/_tags").await;
    assert_eq!(acr_tags["tags"].as_array().map(Vec::len), Some(1));
    // Still directly readable.
    assert_eq!(
        r.get("/acr/v1/ls/a/_tags/v1").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        r.patch_status(
            &format!("/acr/v1/ls/a/_manifests/{d}"),
            json!({"listEnabled": false})
        )
        .await,
        StatusCode::OK
    );
    let mfs = r.get_json("/acr/v1/ls/a/_manifests").await;
    assert_eq!(mfs["manifests"], json!([]));
    assert_eq!(
        r.patch_status("/acr/v1/ls/a", json!({"listEnabled": false}))
            .await,
        StatusCode::OK
    );
    for path in ["/v2/_catalog", "/acr/v1/_catalog"] {
        let cat = r.get_json(path).await;
        assert_eq!(cat["repositories"], json!(["ls/b"]), "{path}");
    }
}

// ---------------------------------------------------------------- auth

#[tokio::test]
async fn basic_auth_mode() {
    let r = Reg::with_auth(AuthMode::Basic).await;
    let resp = r.get("/v2/").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&resp, "www-authenticate"),
        "Basic realm=\"regcheck\""
    );
    assert_eq!(error_codes(resp).await, vec!["UNAUTHORIZED"]);
    let creds = &r.reg.config().credentials;
    let ok = sent(
        "GET",
        r.req(Method::GET, "/v2/_catalog")
            .basic_auth(&creds.username, Some(&creds.password)),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let bad = sent(
        "GET",
        r.req(Method::GET, "/acr/v1/_catalog")
            .basic_auth(&creds.username, Some("wrong")),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(!format!("{creds:?}").contains(&creds.password));
    // Bearer tokens from the token endpoint are accepted too, within their scope.
    let refresh = exchange_refresh(&r).await;
    let token = access_token(&r, &refresh, "registry:catalog:*").await;
    let cat = r.bearer(Method::GET, "/v2/_catalog", &token).await;
    assert_eq!(cat.status(), StatusCode::OK);
    let other = r.bearer(Method::GET, "/v2/x/tags/list", &token).await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&other, "www-authenticate"),
        "Basic realm=\"regcheck\""
    );
}

async fn exchange_refresh(r: &Reg) -> String {
    let service = r.reg.addr().to_string();
    let aad = r.reg.config().credentials.aad_token.clone();
    let resp = r
        .post_form(
            "/oauth2/exchange?api-version=2021-07-01",
            &[
                ("grant_type", "access_token"),
                ("service", service.as_str()),
                ("access_token", aad.as_str()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        header(&resp, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(header(&resp, "docker-distribution-api-version"), "");
    let v: Value = resp.json().await.expect("json");
    v["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned()
}

async fn access_token(r: &Reg, refresh: &str, scope: &str) -> String {
    let service = r.reg.addr().to_string();
    let resp = r
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("service", service.as_str()),
                ("scope", scope),
                ("refresh_token", refresh),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.expect("json");
    v["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test]
async fn token_mode_challenges_and_scopes() {
    let r = Reg::with_auth(AuthMode::Token).await;
    let host = r.reg.addr().to_string();
    let resp = r.get("/v2/a/manifests/latest").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&resp, "www-authenticate"),
        format!(
            "Bearer realm=\"http://{host}/oauth2/token\",service=\"{host}\",scope=\"repository:a:pull\""
        )
    );
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["detail"],
        json!([{"Type": "repository", "Name": "a", "Action": "pull"}])
    );
    let upload = r.start_upload("a").await;
    assert!(header(&upload, "www-authenticate").ends_with("scope=\"repository:a:push,pull\""));
    let cat = r.get("/acr/v1/_catalog").await;
    assert!(header(&cat, "www-authenticate").ends_with("scope=\"registry:catalog:*\""));

    let refresh = exchange_refresh(&r).await;
    let bad = r
        .post_form(
            "/oauth2/exchange",
            &[
                ("grant_type", "access_token"),
                ("service", host.as_str()),
                ("access_token", "nope"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    let push_a = access_token(&r, &refresh, "repository:a:push,pull").await;
    let up = r
        .bearer(Method::POST, "/v2/a/blobs/uploads/", &push_a)
        .await;
    assert_eq!(up.status(), StatusCode::ACCEPTED);
    // A token for repository a is refused on repository b.
    let other = r
        .bearer(Method::POST, "/v2/b/blobs/uploads/", &push_a)
        .await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&other, "www-authenticate").ends_with(",error=\"insufficient_scope\""));
    // Same repository, action not granted.
    let del = r
        .bearer(
            Method::DELETE,
            &format!("/v2/a/blobs/{}", sha(b"x")),
            &push_a,
        )
        .await;
    assert_eq!(del.status(), StatusCode::UNAUTHORIZED);
    let mut tampered = push_a.clone();
    tampered.pop();
    let inv = r.bearer(Method::GET, "/v2/a/tags/list", &tampered).await;
    assert!(header(&inv, "www-authenticate").ends_with(",error=\"invalid_token\""));
    // A refresh token is not an access token.
    let rt = r.bearer(Method::GET, "/v2/", &refresh).await;
    assert_eq!(rt.status(), StatusCode::UNAUTHORIZED);
    let root = r.bearer(Method::GET, "/v2/", &push_a).await;
    assert_eq!(root.status(), StatusCode::OK);
    // A cross-repository mount also needs pull on the source repository.
    let mount_path = format!("/v2/a/blobs/uploads/?mount={}&from=src", sha(b"m"));
    let mount = r.bearer(Method::POST, &mount_path, &push_a).await;
    assert_eq!(mount.status(), StatusCode::UNAUTHORIZED);
    assert!(
        header(&mount, "www-authenticate")
            .contains("scope=\"repository:a:push,pull repository:src:pull\"")
    );
    let both = access_token(&r, &refresh, "repository:a:push,pull repository:src:pull").await;
    let mount = r.bearer(Method::POST, &mount_path, &both).await;
    assert_eq!(mount.status(), StatusCode::ACCEPTED);

    // GET /oauth2/token with Basic credentials; anonymous password grant grants nothing.
    let creds = r.reg.config().credentials.clone();
    let resp = sent(
        "GET token",
        r.req(
            Method::GET,
            &format!("/oauth2/token?service={host}&scope=registry:catalog:*"),
        )
        .basic_auth(&creds.username, Some(&creds.password)),
    )
    .await;
    let tok: Value = resp.json().await.expect("json");
    let cat_token = tok["access_token"].as_str().expect("token");
    assert_eq!(
        r.bearer(Method::GET, "/acr/v1/_catalog", cat_token)
            .await
            .status(),
        StatusCode::OK
    );
    let anon = r
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "password"),
                ("service", host.as_str()),
                ("scope", "registry:catalog:*"),
            ],
        )
        .await;
    let anon: Value = anon.json().await.expect("json");
    let anon = anon["access_token"].as_str().expect("token");
    let refused = r.bearer(Method::GET, "/acr/v1/_catalog", anon).await;
    assert!(header(&refused, "www-authenticate").ends_with(",error=\"insufficient_scope\""));
}

#[tokio::test]
async fn token_endpoints_work_without_auth_mode() {
    let r = Reg::plain().await;
    let refresh = exchange_refresh(&r).await;
    let token = access_token(&r, &refresh, "repository:x:pull").await;
    assert_eq!(token.split('.').count(), 3);
}

// ---------------------------------------------------------------- redirect, disk, load

#[tokio::test]
async fn redirect_mode_serves_from_storage_listener() {
    let r = Reg::start(RegistryConfig {
        redirect_blobs: true,
        ..RegistryConfig::default()
    })
    .await;
    let data: Vec<u8> = (0..1044u32).map(|i| (i % 7) as u8).collect();
    let d = r.push_blob("redir", &data).await;
    let resp = r.get(&format!("/v2/redir/blobs/{d}")).await;
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header(&resp, "docker-content-digest"), d);
    let loc = header(&resp, "location");
    let storage = format!("http://{}", r.reg.storage_addr().expect("storage listener"));
    assert!(
        loc.starts_with(&format!("{storage}/blobs/{d}?se=")),
        "{loc}"
    );
    // The storage listener is addressed by absolute URLs, so these go through the bare client.
    let part = sent("storage", r.c.get(&loc).header("range", "bytes=512-767")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&part, "content-range"), "bytes 512-767/1044");
    assert_eq!(header(&part, "accept-ranges"), "bytes");
    assert_eq!(header(&part, "docker-content-digest"), "");
    assert_eq!(header(&part, "docker-distribution-api-version"), "");
    assert_eq!(
        part.bytes().await.expect("body").to_vec(),
        data[512..768].to_vec()
    );
    let full = sent("storage", r.c.get(&loc)).await;
    assert_eq!(sha(&full.bytes().await.expect("body")), d);
    let forged = loc.replace("sig=", "sig=00");
    assert_eq!(
        sent("storage", r.c.get(&forged)).await.status(),
        StatusCode::FORBIDDEN
    );
    let expired = sent(
        "storage",
        r.c.get(format!("{storage}/blobs/{d}?se=1&sig=00")),
    )
    .await;
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    let head = r.head(&format!("/v2/redir/blobs/{d}")).await;
    assert_eq!(head.status(), StatusCode::TEMPORARY_REDIRECT);
}

#[tokio::test]
async fn disk_storage_survives_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = RegistryConfig {
        storage: Some(dir.path().to_owned()),
        ..RegistryConfig::default()
    };
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let (manifest, d, bd) = {
        let r = Reg::start(config.clone()).await;
        let (manifest, d) = r.push_image("disk/img", "v1", "1").await;
        let bd = r.push_blob("disk/img", &big).await;
        assert_eq!(
            r.patch_status("/acr/v1/disk/img/_tags/v1", json!({"deleteEnabled": false}))
                .await,
            StatusCode::OK
        );
        r.reg.shutdown().await;
        (manifest, d, bd)
    };
    let r = Reg::start(config).await;
    let got = r.get("/v2/disk/img/manifests/v1").await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(header(&got, "docker-content-digest"), d);
    assert_eq!(got.bytes().await.expect("body").to_vec(), manifest);
    let blob = r
        .get(&format!("/v2/disk/img/blobs/{bd}"))
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(sha(&blob), bd);
    let part = r
        .get_range(&format!("/v2/disk/img/blobs/{bd}"), "bytes=100000-100009")
        .await;
    assert_eq!(
        part.bytes().await.expect("body").to_vec(),
        big[100_000..100_010].to_vec()
    );
    let tag = r.get_json("/acr/v1/disk/img/_tags/v1").await;
    assert_eq!(
        tag["tag"]["changeableAttributes"]["deleteEnabled"],
        json!(false)
    );
}

#[tokio::test]
async fn concurrent_pushers_and_pullers() {
    let r = std::sync::Arc::new(Reg::plain().await);
    let mut pushers = Vec::new();
    for i in 0..32u32 {
        let r = r.clone();
        pushers.push(tokio::spawn(async move {
            let data: Vec<u8> = (0..50_000u32).map(|j| ((j * 31 + i) % 256) as u8).collect();
            let d = r.push_blob("load/push", &data).await;
            (d, data.len())
        }));
    }
    let shared: Vec<u8> = (0..200_000u32).map(|j| (j % 249) as u8).collect();
    let sd = r.push_blob("load/pull", &shared).await;
    let mut pullers = Vec::new();
    for _ in 0..16 {
        let r = r.clone();
        let path = format!("/v2/load/pull/blobs/{sd}");
        pullers.push(tokio::spawn(async move {
            sha(&r.get(&path).await.bytes().await.expect("body"))
        }));
    }
    let mut pushed = Vec::new();
    for p in pushers {
        pushed.push(p.await.expect("pusher"));
    }
    for p in pullers {
        assert_eq!(p.await.expect("puller"), sd);
    }
    for (d, len) in pushed {
        let resp = r.get(&format!("/v2/load/push/blobs/{d}")).await;
        assert_eq!(header(&resp, "content-length"), len.to_string());
        assert_eq!(sha(&resp.bytes().await.expect("body")), d);
    }
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn fault_wrong_digest_header() {
    let r = Reg::with_fault(Fault::WrongDigestHeader).await;
    let d = r.push_blob("f", b"data").await;
    let resp = r.get(&format!("/v2/f/blobs/{d}")).await;
    let dcd = header(&resp, "docker-content-digest");
    assert_ne!(dcd, d);
    assert!(dcd.starts_with("sha256:") && dcd.len() == d.len());
    assert_eq!(sha(&resp.bytes().await.expect("body")), d);
}

#[tokio::test]
async fn fault_corrupt_blob_body() {
    let r = Reg::with_fault(Fault::CorruptBlobBody).await;
    let d = r.push_blob("f", b"data bytes").await;
    let resp = r.get(&format!("/v2/f/blobs/{d}")).await;
    assert_eq!(header(&resp, "docker-content-digest"), d);
    let body = resp.bytes().await.expect("body");
    assert_eq!(body.len(), 10);
    assert_ne!(sha(&body), d);
    assert_eq!(&body[1..], b"ata bytes");
}

#[tokio::test]
async fn fault_range_ignored() {
    let r = Reg::with_fault(Fault::RangeIgnored).await;
    let d = r.push_blob("f", b"0123456789").await;
    let resp = r.get_range(&format!("/v2/f/blobs/{d}"), "bytes=2-4").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "accept-ranges"), "bytes");
    assert_eq!(resp.bytes().await.expect("body").len(), 10);
}

#[tokio::test]
async fn fault_wrong_content_range() {
    let r = Reg::with_fault(Fault::WrongContentRange).await;
    let d = r.push_blob("f", b"0123456789").await;
    let resp = r.get_range(&format!("/v2/f/blobs/{d}"), "bytes=2-4").await;
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&resp, "content-range"), "bytes 3-5/10");
    assert_eq!(resp.bytes().await.expect("body").to_vec(), b"234".to_vec());
}

#[tokio::test]
async fn fault_missing_upload_location() {
    let r = Reg::with_fault(Fault::MissingUploadLocation).await;
    let loc = header(&r.start_upload("f").await, "location");
    assert!(!loc.is_empty());
    let done = r.put(&format!("{loc}&digest={}", sha(b"x")), "x").await;
    assert_eq!(done.status(), StatusCode::CREATED);
    assert_eq!(header(&done, "location"), "");
    assert_eq!(header(&done, "docker-content-digest"), sha(b"x"));
}

#[tokio::test]
async fn fault_missing_start_location() {
    let r = Reg::with_fault(Fault::MissingStartLocation).await;
    let start = r.start_upload("f").await;
    assert_eq!(start.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&start, "location"), "");
    assert_eq!(header(&start, "range"), "0-0");
    let uuid = header(&start, "docker-upload-uuid");
    // The session exists and its later steps still carry Location.
    let patch = r.patch(&format!("/v2/f/blobs/uploads/{uuid}"), "ab").await;
    assert_eq!(patch.status(), StatusCode::ACCEPTED);
    assert!(!header(&patch, "location").is_empty());
}

#[tokio::test]
async fn fault_missing_upload_uuid() {
    let r = Reg::with_fault(Fault::MissingUploadUuid).await;
    let start = r.start_upload("f").await;
    assert_eq!(header(&start, "docker-upload-uuid"), "");
    let patch = r.patch(&header(&start, "location"), "ab").await;
    assert_eq!(header(&patch, "docker-upload-uuid"), "");
    assert_eq!(header(&patch, "range"), "0-1");
    let status = r.get(&header(&patch, "location")).await;
    assert!(!header(&status, "docker-upload-uuid").is_empty());
}

#[tokio::test]
async fn fault_wrong_upload_range() {
    let r = Reg::with_fault(Fault::WrongUploadRange).await;
    let start = r.start_upload("f").await;
    assert_eq!(header(&start, "range"), "0-0");
    let patch = r.patch(&header(&start, "location"), "abcd").await;
    assert_eq!(header(&patch, "range"), "0-4");
    let loc = header(&patch, "location");
    assert_eq!(header(&r.get(&loc).await, "range"), "0-3");
}

#[tokio::test]
async fn fault_bad_range_format() {
    let r = Reg::with_fault(Fault::BadRangeFormat).await;
    let start = r.start_upload("f").await;
    assert_eq!(header(&start, "range"), "bytes 0-0");
    let patch = r.patch(&header(&start, "location"), "abcd").await;
    assert_eq!(header(&patch, "range"), "bytes 0-3");
}

#[tokio::test]
async fn fault_bad_digest_accepted() {
    let r = Reg::with_fault(Fault::BadDigestAccepted).await;
    let loc = header(&r.start_upload("f").await, "location");
    let wrong = sha(b"claimed");
    let done = r.put(&format!("{loc}&digest={wrong}"), "actual").await;
    assert_eq!(done.status(), StatusCode::CREATED);
    assert_eq!(header(&done, "docker-content-digest"), wrong);
    // Malformed digests are still refused.
    let loc = header(&r.start_upload("f").await, "location");
    let bad = r
        .send(Method::PUT, &format!("{loc}&digest=sha256:zz"))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn closing_put_content_range_keeps_the_chunk_order() {
    let r = Reg::plain().await;
    let data: Vec<u8> = (0..100u8).collect();
    let digest = sha(&data);
    let loc = header(&r.start_upload("ns/final").await, "location");
    let first = r.patch_range(&loc, "0-39", data[..40].to_vec()).await;
    let loc = header(&first, "location");
    let put_range = |range: &'static str, body: Vec<u8>| {
        r.req(Method::PUT, &format!("{loc}&digest={digest}"))
            .header("content-range", range)
            .body(body)
    };
    // A final chunk that skips bytes is refused with 416 and the session stays open.
    let skipped = sent("PUT skipped", put_range("60-99", data[60..].to_vec())).await;
    assert_eq!(skipped.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&skipped, "range"), "0-39");
    let done = sent("PUT in order", put_range("40-99", data[40..].to_vec())).await;
    assert_eq!(done.status(), StatusCode::CREATED);
    let got = r.get(&format!("/v2/ns/final/blobs/{digest}")).await;
    assert_eq!(got.bytes().await.expect("body").to_vec(), data);
}

#[tokio::test]
async fn sha512_blobs_are_verified_stored_and_served() {
    use sha2::{Digest as _, Sha512};
    let r = Reg::plain().await;
    let data = b"sha512 content".to_vec();
    let d512 = format!("sha512:{}", hex::encode(Sha512::digest(&data)));
    let loc = header(&r.start_upload("ns/s5").await, "location");
    let done = r.put(&format!("{loc}&digest={d512}"), data.clone()).await;
    assert_eq!(done.status(), StatusCode::CREATED);
    assert_eq!(header(&done, "docker-content-digest"), d512);
    assert_eq!(header(&done, "location"), format!("/v2/ns/s5/blobs/{d512}"));
    let got = r.get(&format!("/v2/ns/s5/blobs/{d512}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(header(&got, "docker-content-digest"), d512);
    assert_eq!(got.bytes().await.expect("body").to_vec(), data);
    // A sha512 that does not match is DIGEST_INVALID, like a wrong sha256.
    let wrong = format!("sha512:{}", hex::encode(Sha512::digest(b"other")));
    let loc = header(&r.start_upload("ns/s5").await, "location");
    let bad = r.put(&format!("{loc}&digest={wrong}"), data).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(bad).await, ["DIGEST_INVALID"]);
}

#[tokio::test]
async fn fault_final_chunk_order_ignored() {
    let r = Reg::with_fault(Fault::FinalChunkOrderIgnored).await;
    let data: Vec<u8> = (0..100u8).collect();
    let loc = header(&r.start_upload("f").await, "location");
    let loc = header(
        &r.patch_range(&loc, "0-39", data[..40].to_vec()).await,
        "location",
    );
    // The chunk is appended where it does not belong: the digest of the whole no longer matches.
    let req = r
        .req(Method::PUT, &format!("{loc}&digest={}", sha(&data)))
        .header("content-range", "60-99")
        .body(data[60..].to_vec());
    let put = sent("PUT", req).await;
    assert_eq!(put.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn fault_blob_delete_ignored() {
    let r = Reg::with_fault(Fault::BlobDeleteIgnored).await;
    let d = r.push_blob("f", b"kept").await;
    let del = r.delete(&format!("/v2/f/blobs/{d}")).await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.head(&format!("/v2/f/blobs/{d}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fault_tags_page_size_ignored() {
    let r = Reg::with_fault(Fault::TagsPageSizeIgnored).await;
    let (manifest, _) = r.push_image("f", "a", "1").await;
    r.put_manifest("f", "b", OCI_MANIFEST, &manifest).await;
    for q in ["n=0", "n=1"] {
        let page = r.get(&format!("/v2/f/tags/list?{q}")).await;
        assert!(page.headers().get("link").is_none(), "{q}");
        let tags: Value = page.json().await.expect("json");
        assert_eq!(tags["tags"], json!(["a", "b"]), "{q}");
    }
    let after = r.get_json("/v2/f/tags/list?n=1&last=a").await;
    assert_eq!(after["tags"], json!(["b"]));
}

#[tokio::test]
async fn fault_bad_chunk_min_length() {
    let r = Reg::with_fault(Fault::BadChunkMinLength).await;
    let start = r.start_upload("f").await;
    assert_eq!(header(&start, "oci-chunk-min-length"), "1MiB");
    let clean = Reg::plain().await.start_upload("f").await;
    assert!(clean.headers().get("oci-chunk-min-length").is_none());
}

#[tokio::test]
async fn fault_manifest_digest_mismatch() {
    let r = Reg::with_fault(Fault::ManifestDigestMismatch).await;
    let (manifest, d) = r.push_image("f", "v1", "1").await;
    let got = r.get("/v2/f/manifests/v1").await;
    assert_ne!(header(&got, "docker-content-digest"), d);
    assert_eq!(header(&got, "content-type"), OCI_MANIFEST);
    assert_eq!(got.bytes().await.expect("body").to_vec(), manifest);
}

#[tokio::test]
async fn fault_manifest_digest_unchecked() {
    let r = Reg::with_fault(Fault::ManifestDigestUnchecked).await;
    let (manifest, _) = r.push_image("f", "v1", "1").await;
    let claimed = sha(b"another manifest");
    let put = r.put_manifest("f", &claimed, OCI_MANIFEST, &manifest).await;
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(header(&put, "docker-content-digest"), claimed);
    let got = r.get(&format!("/v2/f/manifests/{claimed}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("body").to_vec(), manifest);
}

#[tokio::test]
async fn fault_manifest_bytes_rewritten() {
    let r = Reg::with_fault(Fault::ManifestBytesRewritten).await;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let cd = r.push_blob("f", config).await;
    let compact = image_manifest(&cd, config.len(), &cd, config.len());
    let value: Value = serde_json::from_slice(&compact).expect("json");
    let pretty = serde_json::to_vec_pretty(&value).expect("pretty");
    let d = sha(&pretty);
    let put = r.put_manifest("f", "v1", OCI_MANIFEST, &pretty).await;
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(header(&put, "docker-content-digest"), d);
    let got = r.get(&format!("/v2/f/manifests/{d}")).await;
    assert_eq!(header(&got, "docker-content-digest"), d);
    assert_eq!(got.bytes().await.expect("body").to_vec(), compact);
}

#[tokio::test]
async fn manifest_limits_sha512_and_tag_query() {
    let r = Reg::plain().await;
    let (manifest, d) = r.push_image("m/y", "v1", "1").await;
    // Over 4 MiB: 413 (OCI: "SHOULD respond ... with a response code `413 Payload Too Large`").
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    let over = r.put_manifest("m/y", "big", OCI_MANIFEST, &huge).await;
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // sha512 references: stored and served under the sha512 digest.
    let d512 = format!("sha512:{}", hex::encode(sha2::Sha512::digest(&manifest)));
    let put = r.put_manifest("m/y", &d512, OCI_MANIFEST, &manifest).await;
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(header(&put, "docker-content-digest"), d512);
    let got = r.get(&format!("/v2/m/y/manifests/{d512}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("body").to_vec(), manifest);
    let wrong512 = format!("sha512:{}", "0".repeat(128));
    let bad = r
        .put_manifest("m/y", &wrong512, OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(error_codes(bad).await, vec!["DIGEST_INVALID"]);
    // `?tag=` on a PUT by digest (post-1.1.1) tags every value; a bad one refuses the PUT.
    let tagged = r
        .put_manifest("m/y", &format!("{d}?tag=a&tag=b"), OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(tagged.status(), StatusCode::CREATED);
    for tag in ["a", "b"] {
        let got = r.get(&format!("/v2/m/y/manifests/{tag}")).await;
        assert_eq!(got.status(), StatusCode::OK, "tag {tag}");
    }
    let bad_tag = r
        .put_manifest("m/y", &format!("{d}?tag=-x"), OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(bad_tag.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn minimal_manifests_have_no_sha512_and_no_tag_query() {
    let r = Reg::start(RegistryConfig {
        surface: registry::Surface::Minimal,
        auth: AuthMode::None,
        ..RegistryConfig::default()
    })
    .await;
    let (manifest, d) = r.push_image("m/z", "v1", "1").await;
    let d512 = format!("sha512:{}", hex::encode(sha2::Sha512::digest(&manifest)));
    let put = r.put_manifest("m/z", &d512, OCI_MANIFEST, &manifest).await;
    assert_eq!(put.status(), StatusCode::BAD_REQUEST);
    let tagged = r
        .put_manifest("m/z", &format!("{d}?tag=a"), OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(tagged.status(), StatusCode::CREATED);
    let got = r.get("/v2/m/z/manifests/a").await;
    assert_eq!(got.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fault_manifest_wrong_content_type() {
    let r = Reg::with_fault(Fault::ManifestWrongContentType).await;
    let (_, d) = r.push_image("f", "v1", "1").await;
    let got = r.get("/v2/f/manifests/v1").await;
    assert_eq!(header(&got, "content-type"), "application/json");
    assert_eq!(header(&got, "docker-content-digest"), d);
}

#[tokio::test]
async fn fault_attributes_not_stored() {
    let r = Reg::with_fault(Fault::AttributesNotStored).await;
    r.push_image("f", "v1", "1").await;
    let patched: Value = r
        .patch_json("/acr/v1/f", json!({"writeEnabled": false}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        patched["changeableAttributes"]["writeEnabled"],
        json!(false)
    );
    let props = r.get_json("/acr/v1/f").await;
    assert_eq!(props["changeableAttributes"]["writeEnabled"], json!(true));
}

#[tokio::test]
async fn fault_orderby_ignored() {
    let r = Reg::with_fault(Fault::OrderbyIgnored).await;
    let (manifest, _) = r.push_image("f", "c", "1").await;
    for tag in ["a", "b"] {
        r.put_manifest("f", tag, OCI_MANIFEST, &manifest).await;
    }
    let desc = r.get_json("/acr/v1/f/_tags?orderby=timedesc").await;
    assert_eq!(tag_names(&desc), vec!["a", "b", "c"]);
}

#[tokio::test]
async fn fault_missing_link() {
    let r = Reg::with_fault(Fault::MissingLink).await;
    let (manifest, _) = r.push_image("f", "a", "1").await;
    r.put_manifest("f", "b", OCI_MANIFEST, &manifest).await;
    let page = r.get("/v2/f/tags/list?n=1").await;
    assert_eq!(header(&page, "link"), "");
    let body: Value = page.json().await.expect("json");
    assert_eq!(body["tags"], json!(["a"]));
    assert_eq!(header(&r.get("/acr/v1/f/_tags?n=1").await, "link"), "");
}

#[tokio::test]
async fn fault_error_body_not_json() {
    let r = Reg::with_fault(Fault::ErrorBodyNotJson).await;
    let resp = r.get("/v2/f/manifests/nope").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(header(&resp, "content-type").starts_with("text/plain"));
    assert_eq!(resp.text().await.expect("body"), "error");
    assert_eq!(r.get("/v2/").await.text().await.expect("body"), "{}");
}

#[tokio::test]
async fn fault_no_auth_challenge() {
    let r = Reg::start(RegistryConfig {
        auth: AuthMode::Token,
        faults: vec![Fault::NoAuthChallenge],
        ..RegistryConfig::default()
    })
    .await;
    let resp = r.get("/v2/f/tags/list").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&resp, "www-authenticate"), "");
    assert_eq!(error_codes(resp).await, vec!["UNAUTHORIZED"]);
}

#[tokio::test]
async fn fault_token_scope_not_enforced() {
    let r = Reg::start(RegistryConfig {
        auth: AuthMode::Token,
        faults: vec![Fault::TokenScopeNotEnforced],
        ..RegistryConfig::default()
    })
    .await;
    let refresh = exchange_refresh(&r).await;
    let token = access_token(&r, &refresh, "repository:a:pull").await;
    let other = r.bearer(Method::POST, "/v2/b/blobs/uploads/", &token).await;
    assert_eq!(other.status(), StatusCode::ACCEPTED);
    // Invalid tokens are still refused.
    assert_eq!(
        r.bearer(Method::GET, "/v2/", "x.y.z").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn fault_missing_api_version_header() {
    let r = Reg::with_fault(Fault::MissingApiVersionHeader).await;
    assert_eq!(
        header(&r.get("/v2/").await, "docker-distribution-api-version"),
        "registry/2.0"
    );
    assert_eq!(
        header(
            &r.get("/v2/_catalog").await,
            "docker-distribution-api-version"
        ),
        ""
    );
}

#[tokio::test]
async fn fault_v2_no_api_version() {
    let r = Reg::with_fault(Fault::V2NoApiVersion).await;
    let v2 = r.get("/v2/").await;
    assert_eq!(v2.status(), 200);
    assert_eq!(header(&v2, "docker-distribution-api-version"), "");
    assert_eq!(
        header(
            &r.get("/v2/_catalog").await,
            "docker-distribution-api-version"
        ),
        "registry/2.0"
    );
}

#[tokio::test]
async fn fault_unknown_error_code() {
    let r = Reg::with_fault(Fault::UnknownErrorCode).await;
    assert_eq!(
        error_codes(r.get("/v2/f/manifests/nope").await).await,
        vec!["NOT_FOUND"]
    );
    assert_eq!(
        error_codes(r.get("/v2/f/tags/list?n=-1").await).await,
        vec!["PAGINATION_NUMBER_INVALID"]
    );
}

#[tokio::test]
async fn fault_acr_schema_violation() {
    let r = Reg::with_fault(Fault::AcrSchemaViolation).await;
    r.push_image("f", "v1", "1").await;
    let props = r.get_json("/acr/v1/f").await;
    assert!(props.get("imageName").is_none());
    assert_eq!(props["tagCount"], json!(1));
}

#[tokio::test]
async fn fault_delete_ignored() {
    let r = Reg::with_fault(Fault::DeleteIgnored).await;
    let (_, d) = r.push_image("f", "v1", "1").await;
    let del = r.delete(&format!("/v2/f/manifests/{d}")).await;
    assert_eq!(del.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.get(&format!("/v2/f/manifests/{d}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fault_write_enabled_not_enforced() {
    let r = Reg::with_fault(Fault::WriteEnabledNotEnforced).await;
    let (manifest, _) = r.push_image("f", "v1", "1").await;
    assert_eq!(
        r.patch_status(
            "/acr/v1/f",
            json!({"writeEnabled": false, "readEnabled": false})
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        r.put_manifest("f", "v2", OCI_MANIFEST, &manifest)
            .await
            .status(),
        StatusCode::CREATED
    );
    // Other attributes are still enforced.
    assert_eq!(
        r.get("/v2/f/manifests/v1").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn fault_tags_unsorted() {
    let r = Reg::with_fault(Fault::TagsUnsorted).await;
    let (manifest, _) = r.push_image("f", "a", "1").await;
    r.put_manifest("f", "b", OCI_MANIFEST, &manifest).await;
    r.push_image("g", "a", "2").await;
    let tags = r.get_json("/v2/f/tags/list").await;
    assert_eq!(tags["tags"], json!(["b", "a"]));
    let cat = r.get_json("/v2/_catalog").await;
    assert_eq!(cat["repositories"], json!(["g", "f"]));
}

async fn token_reg(faults: Vec<Fault>) -> Reg {
    Reg::start(RegistryConfig {
        auth: AuthMode::Token,
        faults,
        ..RegistryConfig::default()
    })
    .await
}

#[tokio::test]
async fn token_endpoints_refuse_other_services() {
    let r = token_reg(Vec::new()).await;
    let aad = r.reg.config().credentials.aad_token.clone();
    let resp = r
        .post_form(
            "/oauth2/exchange",
            &[
                ("grant_type", "access_token"),
                ("service", "other.example"),
                ("access_token", aad.as_str()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_codes(resp).await, vec!["UNAUTHORIZED"]);
    let refresh = exchange_refresh(&r).await;
    let resp = r
        .post_form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("service", "other.example"),
                ("scope", "repository:a:pull"),
                ("refresh_token", refresh.as_str()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn exchange_refresh_grants_take_the_aad_refresh_token() {
    let r = token_reg(Vec::new()).await;
    let service = r.reg.addr().to_string();
    let creds = r.reg.config().credentials.clone();
    let acr_refresh = exchange_refresh(&r).await;
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Form, StatusCode); 5] = [
        (
            "refresh_token with the AAD refresh token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &creds.aad_refresh_token),
            ],
            StatusCode::OK,
        ),
        (
            "refresh_token with an ACR refresh token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &acr_refresh),
            ],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "access_token_refresh_token with both",
            &[
                ("grant_type", "access_token_refresh_token"),
                ("access_token", &creds.aad_token),
                ("refresh_token", &creds.aad_refresh_token),
            ],
            StatusCode::OK,
        ),
        (
            "access_token_refresh_token without the refresh token",
            &[
                ("grant_type", "access_token_refresh_token"),
                ("access_token", &creds.aad_token),
            ],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "access_token with the AAD refresh token only",
            &[
                ("grant_type", "access_token"),
                ("access_token", &creds.aad_refresh_token),
            ],
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (what, fields, want) in cases {
        let mut form = vec![("service", service.as_str())];
        form.extend_from_slice(fields);
        let resp = r.post_form("/oauth2/exchange", &form).await;
        assert_eq!(resp.status(), want, "{what}");
    }
}

#[tokio::test]
async fn fault_oauth2_bad_grant_accepted() {
    let r = token_reg(vec![Fault::OAuth2BadGrantAccepted]).await;
    let service = r.reg.addr().to_string();
    for path in ["/oauth2/exchange", "/oauth2/token"] {
        let resp = r
            .post_form(
                path,
                &[
                    ("grant_type", "bogus"),
                    ("service", service.as_str()),
                    ("scope", "repository:a:pull"),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    // Without the fault: 400.
    let clean = token_reg(Vec::new()).await;
    let service = clean.reg.addr().to_string();
    let resp = clean
        .post_form(
            "/oauth2/token",
            &[("grant_type", "bogus"), ("service", service.as_str())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn fault_oauth2_any_service() {
    let r = token_reg(vec![Fault::OAuth2AnyService]).await;
    let aad = r.reg.config().credentials.aad_token.clone();
    let resp = r
        .post_form(
            "/oauth2/exchange",
            &[
                ("grant_type", "access_token"),
                ("service", "other.example"),
                ("access_token", aad.as_str()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn fault_token_not_verified() {
    use base64::Engine;
    let enc = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let claims = json!({"jti": "j", "sub": "s", "iss": "i", "aud": "a", "iat": 1, "nbf": 1,
        "exp": 2, "grant_type": "access_token",
        "access": [{"Type": "repository", "Name": "*", "Actions": ["*"]}]});
    let forged = format!("{}.{}.bm9wZQ", enc(&json!({"alg": "HS256"})), enc(&claims));
    let r = token_reg(vec![Fault::TokenNotVerified]).await;
    let resp = r.bearer(Method::GET, "/v2/a/tags/list", &forged).await;
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "the forged token got in"
    );
    let clean = token_reg(Vec::new()).await;
    let resp = clean.bearer(Method::GET, "/v2/a/tags/list", &forged).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&resp, "www-authenticate").contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn fault_challenge_scope_missing() {
    let r = token_reg(vec![Fault::ChallengeScopeMissing]).await;
    let resp = r.get("/v2/a/tags/list").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&resp, "www-authenticate");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");
    assert!(!challenge.contains("scope="), "{challenge}");
}

#[test]
fn every_fault_has_a_test_here() {
    let source = include_str!("registry.rs");
    // Hostile faults break HTTP itself; tests/hostile.rs proves each of them.
    for f in Fault::ALL.iter().filter(|f| !f.is_hostile()) {
        let test_name = format!("async fn fault_{}()", f.name().replace('-', "_"));
        assert!(
            source.contains(&test_name),
            "no test for fault {}",
            f.name()
        );
    }
}

// ---------------------------------------------------------------- OCI 1.1 referrers

const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
const SBOM: &str = "application/vnd.example.sbom.v1";

/// An image manifest with a `subject`: config `{}` of `config_type`, no layers.
fn referrer_image(
    subject: &str,
    config_type: &str,
    artifact_type: Option<&str>,
    annotations: Option<Value>,
) -> Vec<u8> {
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": config_type, "digest": sha(b"{}"), "size": 2},
        "layers": [],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 100},
    });
    if let Some(t) = artifact_type {
        m["artifactType"] = json!(t);
    }
    if let Some(a) = annotations {
        m["annotations"] = a;
    }
    m.to_string().into_bytes()
}

/// An image index with a `subject` and no children.
fn referrer_index(
    subject: &str,
    artifact_type: Option<&str>,
    annotations: Option<Value>,
) -> Vec<u8> {
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 100},
    });
    if let Some(t) = artifact_type {
        m["artifactType"] = json!(t);
    }
    if let Some(a) = annotations {
        m["annotations"] = a;
    }
    m.to_string().into_bytes()
}

impl Reg {
    /// PUTs a manifest by digest (linking the `{}` config first); returns the digest and the
    /// PUT's `OCI-Subject` header.
    async fn push_referrer(&self, repo: &str, ct: &str, body: &[u8]) -> (String, String) {
        self.push_blob(repo, b"{}").await;
        let d = sha(body);
        let r = self.put_manifest(repo, &d, ct, body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "push referrer");
        (d, header(&r, "oci-subject"))
    }

    /// GET of the referrers list: status, Content-Type, OCI-Filters-Applied and the body.
    async fn referrers(
        &self,
        repo: &str,
        subject: &str,
        query: &str,
    ) -> (StatusCode, String, String, Value) {
        let r = self
            .get(&format!("/v2/{repo}/referrers/{subject}{query}"))
            .await;
        let status = r.status();
        let ct = header(&r, "content-type");
        let filters = header(&r, "oci-filters-applied");
        let body = r.json().await.unwrap_or(Value::Null);
        (status, ct, filters, body)
    }
}

/// The descriptors of a referrers answer, by digest.
fn by_digest(index: &Value) -> std::collections::BTreeMap<String, Value> {
    index["manifests"]
        .as_array()
        .expect("manifests array")
        .iter()
        .map(|d| (d["digest"].as_str().unwrap_or("").to_owned(), d.clone()))
        .collect()
}

#[tokio::test]
async fn referrers_list_images_and_indexes_with_artifact_type_and_annotations() {
    let r = Reg::plain().await;
    let (_, subject) = r.push_image("ref/a", "v1", "1").await;
    let sbom_body = referrer_image(&subject, EMPTY_TYPE, Some(SBOM), Some(json!({"k": "v"})));
    let (sbom, s1) = r.push_referrer("ref/a", OCI_MANIFEST, &sbom_body).await;
    let sig_body = referrer_image(&subject, "application/vnd.example.sig.config", None, None);
    let (sig, s2) = r.push_referrer("ref/a", OCI_MANIFEST, &sig_body).await;
    let plain_index = referrer_index(&subject, None, Some(json!({"i": "1"})));
    let (idx, s3) = r.push_referrer("ref/a", OCI_INDEX, &plain_index).await;
    let typed_index = referrer_index(&subject, Some("application/vnd.example.bundle"), None);
    let (tidx, s4) = r.push_referrer("ref/a", OCI_INDEX, &typed_index).await;
    // OCI-Subject answers the PUT of an image manifest and of an index alike.
    for s in [s1, s2, s3, s4] {
        assert_eq!(s, subject);
    }
    // Neither a manifest without a subject nor one with another subject is listed.
    r.push_image("ref/a", "v2", "2").await;
    let other = referrer_image(&sha(b"other"), EMPTY_TYPE, Some(SBOM), None);
    let (elsewhere, _) = r.push_referrer("ref/a", OCI_MANIFEST, &other).await;

    let (status, ct, filters, body) = r.referrers("ref/a", &subject, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, OCI_INDEX);
    assert_eq!(filters, "");
    assert_eq!(body["schemaVersion"], 2);
    assert_eq!(body["mediaType"], OCI_INDEX);
    let got = by_digest(&body);
    assert_eq!(got.len(), 4, "{body}");
    let want = [
        (
            &sbom,
            OCI_MANIFEST,
            sbom_body.len(),
            Some(SBOM),
            Some(json!({"k": "v"})),
        ),
        (
            &sig,
            OCI_MANIFEST,
            sig_body.len(),
            Some("application/vnd.example.sig.config"),
            None,
        ),
        (
            &idx,
            OCI_INDEX,
            plain_index.len(),
            None,
            Some(json!({"i": "1"})),
        ),
        (
            &tidx,
            OCI_INDEX,
            typed_index.len(),
            Some("application/vnd.example.bundle"),
            None,
        ),
    ];
    for (digest, media_type, size, artifact_type, annotations) in want {
        let d = &got[digest.as_str()];
        assert_eq!(d["mediaType"], media_type, "{d}");
        assert_eq!(d["size"], size, "{d}");
        assert_eq!(
            d.get("artifactType").and_then(Value::as_str),
            artifact_type,
            "{d}"
        );
        assert_eq!(d.get("annotations").cloned(), annotations, "{d}");
    }
    let (_, _, _, other_list) = r.referrers("ref/a", &sha(b"other"), "").await;
    assert_eq!(
        by_digest(&other_list).keys().collect::<Vec<_>>(),
        vec![&elsewhere]
    );
}

#[tokio::test]
async fn referrers_filter_by_artifact_type() {
    let r = Reg::plain().await;
    let subject = sha(b"a subject that was never pushed");
    let (sbom, _) = r
        .push_referrer(
            "ref/f",
            OCI_MANIFEST,
            &referrer_image(&subject, EMPTY_TYPE, Some(SBOM), None),
        )
        .await;
    let cfg = "application/vnd.example.sig.config";
    let (sig, _) = r
        .push_referrer(
            "ref/f",
            OCI_MANIFEST,
            &referrer_image(&subject, cfg, None, None),
        )
        .await;
    let (idx, _) = r
        .push_referrer("ref/f", OCI_INDEX, &referrer_index(&subject, None, None))
        .await;
    let (_, _, filters, all) = r.referrers("ref/f", &subject, "").await;
    assert_eq!(filters, "");
    assert_eq!(
        by_digest(&all).len(),
        3,
        "the subject need not exist: {all}"
    );
    for (wanted, expect) in [
        (SBOM, vec![&sbom]),
        (cfg, vec![&sig]),
        ("application/x.none", vec![]),
    ] {
        let q = format!("?artifactType={}", wanted.replace('+', "%2B"));
        let (status, ct, filters, body) = r.referrers("ref/f", &subject, &q).await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, OCI_INDEX));
        assert_eq!(filters, "artifactType");
        assert_eq!(
            by_digest(&body).keys().collect::<Vec<_>>(),
            expect,
            "{wanted}: {body}"
        );
    }
    // An empty filter value is no filter.
    let (_, _, filters, body) = r.referrers("ref/f", &subject, "?artifactType=").await;
    assert_eq!(filters, "");
    assert!(by_digest(&body).contains_key(&idx));
}

#[tokio::test]
async fn referrers_of_unknown_subject_or_repo_are_empty_and_bad_digests_400() {
    let r = Reg::plain().await;
    let (_, subject) = r.push_image("ref/e", "v1", "1").await;
    let sha512 = format!("sha512:{}", "a".repeat(128));
    for (repo, digest) in [
        ("ref/e", subject.as_str()),
        ("ref/e", sha512.as_str()),
        ("no/such/repo", subject.as_str()),
    ] {
        let (status, ct, _, body) = r.referrers(repo, digest, "").await;
        assert_eq!(status, StatusCode::OK, "{repo} {digest}");
        assert_eq!(ct, OCI_INDEX);
        assert_eq!(
            body,
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
        );
    }
    for bad in ["sha256:abc", "sha256:ZZ", "nodigest", "sha256:"] {
        let resp = r.get(&format!("/v2/ref/e/referrers/{bad}")).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_codes(resp).await, vec!["DIGEST_INVALID"], "{bad}");
    }
    // Only GET is offered.
    let put = r.put(&format!("/v2/ref/e/referrers/{subject}"), "x").await;
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn deleting_a_referrer_removes_it_from_the_list() {
    let r = Reg::plain().await;
    let (_, subject) = r.push_image("ref/d", "v1", "1").await;
    let (keep, _) = r
        .push_referrer(
            "ref/d",
            OCI_MANIFEST,
            &referrer_image(&subject, EMPTY_TYPE, Some(SBOM), None),
        )
        .await;
    let (gone, _) = r
        .push_referrer("ref/d", OCI_INDEX, &referrer_index(&subject, None, None))
        .await;
    let tagged = r
        .put_manifest(
            "ref/d",
            "sig",
            OCI_MANIFEST,
            &referrer_image(&subject, EMPTY_TYPE, Some("a/b"), None),
        )
        .await;
    assert_eq!(header(&tagged, "oci-subject"), subject);
    let (_, _, _, before) = r.referrers("ref/d", &subject, "").await;
    assert_eq!(by_digest(&before).len(), 3);
    // Deleting a tag keeps the manifest, so it stays a referrer.
    assert_eq!(
        r.delete("/v2/ref/d/manifests/sig").await.status(),
        StatusCode::ACCEPTED
    );
    let (_, _, _, after_tag) = r.referrers("ref/d", &subject, "").await;
    assert_eq!(by_digest(&after_tag).len(), 3);
    assert_eq!(
        r.delete(&format!("/v2/ref/d/manifests/{gone}"))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let (_, _, _, after) = r.referrers("ref/d", &subject, "").await;
    let left = by_digest(&after);
    assert_eq!(left.len(), 2);
    assert!(left.contains_key(&keep) && !left.contains_key(&gone));
}

#[tokio::test]
async fn referrers_need_pull_rights_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = RegistryConfig {
        storage: Some(dir.path().to_owned()),
        auth: AuthMode::Basic,
        ..RegistryConfig::default()
    };
    let (subject, referrer) = {
        let r = Reg::start(config.clone()).await;
        let creds = r.reg.config().credentials.clone();
        let path = "/v2/ref/p/referrers/".to_owned();
        let subject = sha(b"subject");
        let anon = r.get(&format!("{path}{subject}")).await;
        assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
        let body = referrer_index(&subject, Some(SBOM), Some(json!({"x": "y"})));
        let d = sha(&body);
        let put = sent(
            "PUT",
            r.req(Method::PUT, &format!("/v2/ref/p/manifests/{d}"))
                .basic_auth(&creds.username, Some(&creds.password))
                .header("content-type", OCI_INDEX)
                .body(body),
        )
        .await;
        assert_eq!(put.status(), StatusCode::CREATED);
        assert_eq!(header(&put, "oci-subject"), subject);
        r.reg.shutdown().await;
        (subject, d)
    };
    let r = Reg::start(config).await;
    let creds = r.reg.config().credentials.clone();
    let got = sent(
        "GET",
        r.req(Method::GET, &format!("/v2/ref/p/referrers/{subject}"))
            .basic_auth(&creds.username, Some(&creds.password)),
    )
    .await;
    assert_eq!(got.status(), StatusCode::OK);
    let body: Value = got.json().await.expect("JSON");
    let d = &by_digest(&body)[&referrer];
    assert_eq!(d["artifactType"], SBOM);
    assert_eq!(d["annotations"], json!({"x": "y"}));
}

#[tokio::test]
async fn minimal_surface_has_no_referrers_api_and_the_tag_schema_works() {
    let r = Reg::start(RegistryConfig {
        surface: Surface::Minimal,
        ..RegistryConfig::default()
    })
    .await;
    let (_, subject) = r.push_image("ref/m", "v1", "1").await;
    let body = referrer_image(&subject, EMPTY_TYPE, Some(SBOM), None);
    let (d, oci_subject) = r.push_referrer("ref/m", OCI_MANIFEST, &body).await;
    assert_eq!(
        oci_subject, "",
        "the minimal registry does not process subjects"
    );
    let (status, _, _, _) = r.referrers("ref/m", &subject, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The client's fallback: the referrers list as an index tagged `<alg>-<hex>`.
    let list = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": body.len(), "artifactType": SBOM}],
    })
    .to_string()
    .into_bytes();
    let tag = subject.replace(':', "-");
    let put = r.put_manifest("ref/m", &tag, OCI_INDEX, &list).await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let got = r
        .get_accepting(&format!("/v2/ref/m/manifests/{tag}"), OCI_INDEX)
        .await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("body").to_vec(), list);
}

/// A registry with `fault`, a pushed subject and one SBOM referrer with annotations.
async fn referrers_fixture(fault: Fault) -> (Reg, String, String, String) {
    let r = Reg::with_fault(fault).await;
    let (_, subject) = r.push_image("ref/x", "v1", "1").await;
    let body = referrer_image(&subject, EMPTY_TYPE, Some(SBOM), Some(json!({"k": "v"})));
    let (d, oci_subject) = r.push_referrer("ref/x", OCI_MANIFEST, &body).await;
    (r, subject, d, oci_subject)
}

#[tokio::test]
async fn fault_referrers_404() {
    let (r, subject, d, oci_subject) = referrers_fixture(Fault::Referrers404).await;
    assert_eq!(oci_subject, subject);
    let (status, _, _, body) = r.referrers("ref/x", &subject, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_digest(&body).contains_key(&d));
    let resp = r
        .get(&format!("/v2/ref/x/referrers/{}", sha(b"lonely")))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fault_referrers_invalid_digest_404() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersInvalidDigest404).await;
    let resp = r.get("/v2/ref/x/referrers/sha256:not-hex").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Well-formed digests are answered as before.
    let (status, _, _, body) = r.referrers("ref/x", &subject, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_digest(&body).contains_key(&d));
}

#[tokio::test]
async fn fault_referrers_not_an_index() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersNotAnIndex).await;
    let (status, ct, _, body) = r.referrers("ref/x", &subject, "").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, OCI_INDEX));
    assert!(body.get("manifests").is_none(), "{body}");
    let listed = body["referrers"].as_array().expect("referrers array");
    assert!(listed.iter().any(|e| e["digest"] == d.as_str()), "{body}");
}

#[tokio::test]
async fn fault_referrers_wrong_content_type() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersWrongContentType).await;
    let (status, ct, _, body) = r.referrers("ref/x", &subject, "").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
    assert!(by_digest(&body).contains_key(&d));
}

#[tokio::test]
async fn fault_oci_subject_missing() {
    let (r, subject, d, oci_subject) = referrers_fixture(Fault::OciSubjectMissing).await;
    assert_eq!(oci_subject, "");
    let index = referrer_index(&subject, None, None);
    let (_, on_index) = r.push_referrer("ref/x", OCI_INDEX, &index).await;
    assert_eq!(on_index, "");
    let (status, ct, _, body) = r.referrers("ref/x", &subject, "").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, OCI_INDEX));
    assert!(by_digest(&body).contains_key(&d));
}

#[tokio::test]
async fn fault_referrers_filter_ignored() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersFilterIgnored).await;
    let other = referrer_image(&subject, EMPTY_TYPE, Some("application/x.other"), None);
    let (o, _) = r.push_referrer("ref/x", OCI_MANIFEST, &other).await;
    let (_, _, filters, body) = r
        .referrers("ref/x", &subject, &format!("?artifactType={SBOM}"))
        .await;
    assert_eq!(filters, "artifactType");
    let got = by_digest(&body);
    assert!(got.contains_key(&d) && got.contains_key(&o), "{body}");
}

#[tokio::test]
async fn fault_referrers_artifact_type_missing() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersArtifactTypeMissing).await;
    let (_, _, _, body) = r.referrers("ref/x", &subject, "").await;
    let desc = &by_digest(&body)[&d];
    assert!(desc.get("artifactType").is_none(), "{desc}");
    assert_eq!(desc["annotations"], json!({"k": "v"}));
}

#[tokio::test]
async fn fault_referrers_annotations_dropped() {
    let (r, subject, d, _) = referrers_fixture(Fault::ReferrersAnnotationsDropped).await;
    let (_, _, _, body) = r.referrers("ref/x", &subject, "").await;
    let desc = &by_digest(&body)[&d];
    assert!(desc.get("annotations").is_none(), "{desc}");
    assert_eq!(desc["artifactType"], SBOM);
}
