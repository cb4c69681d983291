//! Real clients against the embedded reference registry: `skopeo` (containers/image), the Python
//! `azure-containerregistry` SDK and the Python `oras` client push content, read it back and
//! compare bytes and digests; oras-py attaches artifacts with a `subject` and discovers them
//! through the OCI 1.1 referrers API; skopeo copies a multi-platform index in and out. Each test
//! starts its own registry (in-process, or a `regcheck serve` process) on an ephemeral loopback
//! port. The Python scripts live in `tests/interop/`; the interpreter is
//! `REGCHECK_PYTHON` (the CI venv built from `.ci/requirements.txt`).

use regcheck::registry::{AuthMode, Credentials, Fault, RegistryConfig, RunningRegistry};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest any single client invocation may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// An in-process embedded registry with the runtime that serves it (stopped on drop).
struct Registry {
    running: Option<RunningRegistry>,
    runtime: tokio::runtime::Runtime,
}

impl Registry {
    fn start(auth: AuthMode, redirect_blobs: bool) -> Registry {
        Registry::with_faults(auth, redirect_blobs, Vec::new())
    }

    fn with_faults(auth: AuthMode, redirect_blobs: bool, faults: Vec<Fault>) -> Registry {
        Registry::with_config(RegistryConfig {
            auth,
            redirect_blobs,
            faults,
            ..RegistryConfig::default()
        })
    }

    fn with_config(config: RegistryConfig) -> Registry {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let running = runtime
            .block_on(regcheck::registry::start(config))
            .expect("start the embedded registry");
        Registry {
            running: Some(running),
            runtime,
        }
    }

    fn running(&self) -> &RunningRegistry {
        self.running.as_ref().expect("registry running")
    }

    /// `127.0.0.1:PORT`.
    fn host(&self) -> String {
        self.running().addr().to_string()
    }

    fn url(&self) -> String {
        self.running().url()
    }

    fn credentials(&self) -> Credentials {
        self.running().config().credentials.clone()
    }

    /// GETs `path` from the registry directly (Basic credentials unless auth is off) and returns
    /// status and body: an independent check of what a client stored.
    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.url());
        let auth = self.running().config().auth;
        let creds = self.credentials();
        let ca = self
            .running()
            .ca_cert_path()
            .map(|p| std::fs::read(p).expect("CA file"));
        self.runtime.block_on(async move {
            let mut builder = reqwest::Client::builder();
            if let Some(pem) = ca {
                builder = builder
                    .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"));
            }
            let client = builder.build().expect("client");
            let mut req = client.get(&url).header(
                "Accept",
                "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
            );
            if auth != AuthMode::None {
                req = req.basic_auth(&creds.username, Some(&creds.password));
            }
            let resp = req.send().await.expect("GET the embedded registry");
            let status = resp.status().as_u16();
            let body = resp.bytes().await.expect("read body").to_vec();
            (status, body)
        })
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}

fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Output of a finished client process.
struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn describe(&self, what: &str) -> String {
        format!(
            "{what}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` with output captured to files in `scratch`, killing it after [`CLIENT_TIMEOUT`].
fn run(mut cmd: Command, scratch: &Path, what: &str) -> Finished {
    let out_path = scratch.join(format!("{what}.stdout"));
    let err_path = scratch.join(format!("{what}.stderr"));
    let out = std::fs::File::create(&out_path).expect("stdout file");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        match child.try_wait().expect("wait for client") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let finished = Finished {
        code: status.and_then(|s| s.code()),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "{}",
        finished.describe(&format!("{what} timed out after {CLIENT_TIMEOUT:?}"))
    );
    finished
}

// ---------------------------------------------------------------------------------------------
// skopeo

/// A blob of an OCI image layout: bytes and descriptor.
struct Blob {
    media_type: &'static str,
    bytes: Vec<u8>,
}

impl Blob {
    fn digest(&self) -> String {
        sha256_digest(&self.bytes)
    }

    fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest(), "size": self.bytes.len()})
    }
}

/// The image written to the source layout: config, layers and manifest.
struct Image {
    config: Blob,
    layers: Vec<Blob>,
    manifest: Blob,
}

impl Image {
    fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config)
            .chain(&self.layers)
            .chain(std::iter::once(&self.manifest))
    }
}

/// A gzip'd tar of `files` made by the system `tar` and `gzip`, plus the uncompressed tar's
/// digest (the layer's diff_id).
fn tar_gz(scratch: &Path, name: &str, files: &[(&str, Vec<u8>)]) -> (Vec<u8>, String) {
    let root = scratch.join(format!("{name}-root"));
    std::fs::create_dir_all(&root).expect("layer root");
    for (file, data) in files {
        std::fs::write(root.join(file), data).expect("layer file");
    }
    let tar_path = scratch.join(format!("{name}.tar"));
    let mut tar = Command::new("tar");
    tar.arg("-cf").arg(&tar_path).arg("-C").arg(&root).arg(".");
    let done = run(tar, scratch, &format!("tar-{name}"));
    assert_eq!(done.code, Some(0), "{}", done.describe("tar"));
    let raw = std::fs::read(&tar_path).expect("read tar");
    let mut gzip = Command::new("gzip");
    gzip.arg("-n").arg("-1").arg(&tar_path);
    let done = run(gzip, scratch, &format!("gzip-{name}"));
    assert_eq!(done.code, Some(0), "{}", done.describe("gzip"));
    let compressed = std::fs::read(scratch.join(format!("{name}.tar.gz"))).expect("read tar.gz");
    (compressed, sha256_digest(&raw))
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// Writes an OCI image layout with one image tagged `tag` into `dir`.
fn write_oci_layout(dir: &Path, scratch: &Path, tag: &str) -> Image {
    let random: Vec<u8> = (0..2 * 1024 * 1024 + 17)
        .map(|_| rand::random::<u8>())
        .collect();
    let (small, small_id) = tar_gz(
        scratch,
        "small",
        &[
            // Unique per call: parallel tests must not share layer digests (skopeo's blob-info
            // cache would otherwise know them from another test's registry).
            (
                "hello.txt",
                format!("hello from regcheck interop {}\n", rand::random::<u64>()).into_bytes(),
            ),
            ("etc-motd", b"regcheck\n".repeat(100)),
        ],
    );
    let (big, big_id) = tar_gz(scratch, "big", &[("random.bin", random)]);
    let layers = vec![
        Blob {
            media_type: OCI_LAYER_GZIP,
            bytes: small,
        },
        Blob {
            media_type: OCI_LAYER_GZIP,
            bytes: big,
        },
    ];
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [small_id, big_id]},
    });
    let config = Blob {
        media_type: OCI_CONFIG,
        bytes: serde_json::to_vec(&config).expect("config JSON"),
    };
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
    });
    let manifest = Blob {
        media_type: OCI_MANIFEST,
        bytes: serde_json::to_vec(&manifest).expect("manifest JSON"),
    };
    let image = Image {
        config,
        layers,
        manifest,
    };
    let blob_dir = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blob_dir).expect("blob dir");
    for blob in image.blobs() {
        let digest = blob.digest();
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(blob_dir.join(hex), &blob.bytes).expect("write blob");
    }
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("layout");
    let mut entry = image.manifest.descriptor();
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    let index = json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), index.to_string()).expect("index.json");
    image
}

/// An image read back from an OCI layout.
struct CopiedImage {
    /// Manifest bytes.
    manifest: Vec<u8>,
    /// The index.json entry of the manifest.
    entry: Value,
    /// Config then layers: digest named by the manifest, bytes found in the layout.
    blobs: Vec<(String, Vec<u8>)>,
}

/// Reads the manifest tagged `tag` from an OCI layout and every blob it names.
fn read_oci_layout(dir: &Path, tag: &str) -> CopiedImage {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let entry = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no manifest tagged {tag} in {index}"))
        .clone();
    let read_blob = |digest: &str| -> Vec<u8> {
        let hex = digest.trim_start_matches("sha256:");
        std::fs::read(dir.join("blobs").join("sha256").join(hex))
            .unwrap_or_else(|e| panic!("blob {digest} missing from the copied layout: {e}"))
    };
    let digest = entry["digest"].as_str().expect("manifest digest");
    let manifest_bytes = read_blob(digest);
    assert_eq!(
        sha256_digest(&manifest_bytes),
        digest,
        "copied manifest digest"
    );
    let manifest: Value = serde_json::from_slice(&manifest_bytes).expect("manifest JSON");
    let mut blobs = Vec::new();
    let descriptors = std::iter::once(&manifest["config"])
        .chain(manifest["layers"].as_array().into_iter().flatten());
    for d in descriptors {
        let digest = d["digest"].as_str().expect("descriptor digest").to_owned();
        let bytes = read_blob(&digest);
        blobs.push((digest, bytes));
    }
    CopiedImage {
        manifest: manifest_bytes,
        entry,
        blobs,
    }
}

fn skopeo(scratch: &Path) -> Command {
    let mut cmd = Command::new(crate::common::require_bin(
        "skopeo",
        "apt-get install -y skopeo",
    ));
    // Isolated from the machine's auth files, policy and registries configuration.
    cmd.arg("--insecure-policy")
        .arg("--registries-conf")
        .arg(scratch.join("registries.conf"))
        .env("HOME", scratch)
        .env("XDG_RUNTIME_DIR", scratch)
        .env("REGISTRY_AUTH_FILE", scratch.join("auth.json"));
    cmd
}

/// Pushes an OCI layout with skopeo, lists tags, copies it back and compares every byte.
fn skopeo_roundtrip(registry: &Registry, creds: bool) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let scratch = scratch.path();
    std::fs::write(scratch.join("registries.conf"), "").expect("registries.conf");
    std::fs::write(scratch.join("auth.json"), "{}").expect("auth.json");
    let src = scratch.join("src");
    let back = scratch.join("back");
    let image = write_oci_layout(&src, scratch, "v1");
    let reference = format!("docker://{}/interop/skopeo:v1", registry.host());
    let c = registry.credentials();
    let userpass = format!("{}:{}", c.username, c.password);

    let mut push = skopeo(scratch);
    push.args(["copy", "--retry-times", "0", "--dest-tls-verify=false"]);
    if creds {
        push.args(["--dest-creds", &userpass]);
    }
    push.arg(format!("oci:{}:v1", src.display()))
        .arg(&reference);
    let done = run(push, scratch, "skopeo-push");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy oci: → docker://")
    );

    // Independent check: the registry serves what skopeo pushed, byte for byte.
    let (status, body) = registry.get("/v2/interop/skopeo/manifests/v1");
    assert_eq!(
        status,
        200,
        "GET manifest after push: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        body, image.manifest.bytes,
        "registry manifest differs from the pushed one"
    );
    for layer in &image.layers {
        let (status, body) = registry.get(&format!("/v2/interop/skopeo/blobs/{}", layer.digest()));
        // Redirect mode answers 307 to the storage listener; reqwest follows it.
        assert_eq!(status, 200, "GET blob {} after push", layer.digest());
        assert_eq!(
            body,
            layer.bytes,
            "registry blob {} differs",
            layer.digest()
        );
    }

    let mut tags = skopeo(scratch);
    tags.args(["list-tags", "--tls-verify=false"]);
    if creds {
        tags.args(["--creds", &userpass]);
    }
    tags.arg(reference.trim_end_matches(":v1"));
    let done = run(tags, scratch, "skopeo-list-tags");
    assert_eq!(done.code, Some(0), "{}", done.describe("skopeo list-tags"));
    let listed: Value = serde_json::from_str(&done.stdout).expect("list-tags prints JSON");
    assert_eq!(listed["Tags"], json!(["v1"]), "skopeo list-tags: {listed}");

    let mut pull = skopeo(scratch);
    pull.args(["copy", "--retry-times", "0", "--src-tls-verify=false"]);
    if creds {
        pull.args(["--src-creds", &userpass]);
    }
    pull.arg(&reference)
        .arg(format!("oci:{}:v1", back.display()));
    let done = run(pull, scratch, "skopeo-pull");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy docker:// → oci:")
    );

    let CopiedImage {
        manifest,
        entry,
        blobs,
    } = read_oci_layout(&back, "v1");
    assert_eq!(
        manifest, image.manifest.bytes,
        "manifest bytes changed in the round trip"
    );
    assert_eq!(
        entry["digest"],
        image.manifest.digest(),
        "manifest digest changed"
    );
    assert_eq!(
        entry["mediaType"], OCI_MANIFEST,
        "manifest media type changed: {entry}"
    );
    let expected: Vec<(String, &[u8])> = std::iter::once(&image.config)
        .chain(&image.layers)
        .map(|b| (b.digest(), b.bytes.as_slice()))
        .collect();
    assert_eq!(
        blobs.len(),
        expected.len(),
        "blob count after the round trip"
    );
    for ((got_digest, got), (want_digest, want)) in blobs.iter().zip(&expected) {
        assert_eq!(got_digest, want_digest, "blob order/digest changed");
        assert_eq!(
            sha256_digest(got),
            *want_digest,
            "copied blob {got_digest} corrupt"
        );
        assert!(
            got.as_slice() == *want,
            "blob {want_digest} bytes differ after the round trip"
        );
    }

    // Registry to registry within the same host: skopeo mounts the blobs from the source
    // repository (POST /v2/<dest>/blobs/uploads/?mount=<digest>&from=<source>). It knows where
    // the blobs live from its blob-info cache (filled by the push above) and logs each mount
    // attempt and success at debug level (layers only: the config is uploaded again).
    let mounted = format!("docker://{}/interop/mounted:v1", registry.host());
    let mut copy = skopeo(scratch);
    copy.arg("--debug").args([
        "copy",
        "--retry-times",
        "0",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
    ]);
    if creds {
        copy.args(["--src-creds", &userpass, "--dest-creds", &userpass]);
    }
    copy.arg(&reference).arg(&mounted);
    let done = run(copy, scratch, "skopeo-copy-mount");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy docker:// → docker://")
    );
    let tried = done.stderr.matches("Trying to mount").count();
    let mounted_ok = done.stderr.matches("mount OK").count();
    assert!(
        tried == image.layers.len() && mounted_ok == tried,
        "expected {} successful cross-repository mounts, saw {tried} tries and {mounted_ok} successes\n{}",
        image.layers.len(),
        done.stderr
    );
    let (status, body) = registry.get("/v2/interop/mounted/manifests/v1");
    assert_eq!(status, 200, "mounted copy manifest");
    assert_eq!(body, image.manifest.bytes, "mounted copy manifest differs");
    for blob in std::iter::once(&image.config).chain(&image.layers) {
        let (status, body) = registry.get(&format!("/v2/interop/mounted/blobs/{}", blob.digest()));
        assert_eq!(
            status,
            200,
            "blob {} not in the mounted repository",
            blob.digest()
        );
        assert!(body == blob.bytes, "mounted blob {} differs", blob.digest());
    }

    // skopeo delete resolves the tag and DELETEs the manifest by digest.
    let mut delete = skopeo(scratch);
    delete.args(["delete", "--retry-times", "0", "--tls-verify=false"]);
    if creds {
        delete.args(["--creds", &userpass]);
    }
    delete.arg(&reference);
    let done = run(delete, scratch, "skopeo-delete");
    assert_eq!(done.code, Some(0), "{}", done.describe("skopeo delete"));
    let digest = image.manifest.digest();
    let (status, _) = registry.get(&format!("/v2/interop/skopeo/manifests/{digest}"));
    assert_eq!(status, 404, "manifest still served after skopeo delete");
    let (status, _) = registry.get("/v2/interop/skopeo/manifests/v1");
    assert_eq!(status, 404, "tag still resolves after skopeo delete");
    let (status, _) = registry.get("/v2/interop/mounted/manifests/v1");
    assert_eq!(status, 200, "deleting in one repository affected another");
}

#[test]
fn skopeo_roundtrip_without_auth() {
    let registry = Registry::start(AuthMode::None, false);
    skopeo_roundtrip(&registry, false);
}

#[test]
fn skopeo_roundtrip_with_basic_auth() {
    let registry = Registry::start(AuthMode::Basic, false);
    skopeo_roundtrip(&registry, true);
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Wraps the layout's image in an OCI image index (one linux/amd64 entry) tagged `tag`.
fn wrap_in_index(dir: &Path, image: &Image, tag: &str) -> Blob {
    let mut child = image.manifest.descriptor();
    child["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [child]});
    let index = Blob {
        media_type: OCI_INDEX,
        bytes: serde_json::to_vec(&index).expect("index JSON"),
    };
    let digest = index.digest();
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(dir.join("blobs").join("sha256").join(hex), &index.bytes).expect("index blob");
    let mut entry = index.descriptor();
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    let layout_index = json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), layout_index.to_string()).expect("index.json");
    index
}

#[test]
fn skopeo_copies_an_image_index_with_all() {
    // `--all` pushes the child manifest by digest, then the index that names it; the registry
    // must accept the index (its child exists) and serve it back unchanged.
    let registry = Registry::start(AuthMode::None, false);
    let scratch = tempfile::tempdir().expect("tempdir");
    let scratch = scratch.path();
    std::fs::write(scratch.join("registries.conf"), "").expect("registries.conf");
    let src = scratch.join("src");
    let back = scratch.join("back");
    let image = write_oci_layout(&src, scratch, "v1");
    let index = wrap_in_index(&src, &image, "v1");
    let reference = format!("docker://{}/interop/multi:v1", registry.host());
    let mut push = skopeo(scratch);
    push.args([
        "copy",
        "--all",
        "--retry-times",
        "0",
        "--dest-tls-verify=false",
    ])
    .arg(format!("oci:{}:v1", src.display()))
    .arg(&reference);
    let done = run(push, scratch, "skopeo-push-index");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy --all (push)")
    );
    let (status, body) = registry.get("/v2/interop/multi/manifests/v1");
    assert_eq!(status, 200, "GET index: {}", String::from_utf8_lossy(&body));
    assert_eq!(
        body, index.bytes,
        "registry index differs from the pushed one"
    );
    let child = format!("/v2/interop/multi/manifests/{}", image.manifest.digest());
    let (status, body) = registry.get(&child);
    assert_eq!(status, 200, "GET child manifest by digest");
    assert_eq!(body, image.manifest.bytes, "child manifest differs");

    copy_index_back(
        scratch,
        &reference,
        &back,
        "skopeo-pull-index",
        &index.digest(),
    );
    for blob in image.blobs().chain(std::iter::once(&index)) {
        let digest = blob.digest();
        let path = back
            .join("blobs")
            .join("sha256")
            .join(digest.trim_start_matches("sha256:"));
        let got = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{digest} missing after the round trip: {e}"));
        assert!(
            got == blob.bytes,
            "{digest} bytes differ after the round trip"
        );
    }
}

#[test]
fn skopeo_content_survives_a_restart_with_disk_storage() {
    // `regcheck serve --storage DIR`: what skopeo pushed is served again by a new registry
    // process on the same directory.
    let scratch = tempfile::tempdir().expect("tempdir");
    let scratch = scratch.path();
    std::fs::write(scratch.join("registries.conf"), "").expect("registries.conf");
    let storage = scratch.join("storage");
    std::fs::create_dir_all(&storage).expect("storage dir");
    let config = RegistryConfig {
        storage: Some(storage),
        ..RegistryConfig::default()
    };
    let src = scratch.join("src");
    let image = write_oci_layout(&src, scratch, "v1");
    {
        let first = Registry::with_config(config.clone());
        let mut push = skopeo(scratch);
        push.args(["copy", "--retry-times", "0", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:v1", src.display()))
            .arg(format!("docker://{}/interop/disk:v1", first.host()));
        let done = run(push, scratch, "skopeo-push-disk");
        assert_eq!(
            done.code,
            Some(0),
            "{}",
            done.describe("skopeo push (disk)")
        );
    }
    let second = Registry::with_config(config);
    let back = scratch.join("back");
    let mut pull = skopeo(scratch);
    pull.args(["copy", "--retry-times", "0", "--src-tls-verify=false"])
        .arg(format!("docker://{}/interop/disk:v1", second.host()))
        .arg(format!("oci:{}:v1", back.display()));
    let done = run(pull, scratch, "skopeo-pull-disk");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo pull after restart")
    );
    let copied = read_oci_layout(&back, "v1");
    assert_eq!(
        copied.manifest, image.manifest.bytes,
        "manifest after restart"
    );
    let want: Vec<String> = std::iter::once(&image.config)
        .chain(&image.layers)
        .map(Blob::digest)
        .collect();
    let got: Vec<String> = copied.blobs.iter().map(|(d, _)| d.clone()).collect();
    assert_eq!(got, want, "blobs after restart");
    for ((digest, bytes), blob) in copied
        .blobs
        .iter()
        .zip(std::iter::once(&image.config).chain(&image.layers))
    {
        assert!(*bytes == blob.bytes, "{digest} differs after restart");
    }
}

#[test]
fn skopeo_refuses_a_corrupt_blob() {
    // skopeo verifies blob digests on pull: a registry that flips a byte must make it fail.
    let registry = Registry::with_faults(AuthMode::None, false, vec![Fault::CorruptBlobBody]);
    let scratch = tempfile::tempdir().expect("tempdir");
    let scratch = scratch.path();
    std::fs::write(scratch.join("registries.conf"), "").expect("registries.conf");
    let src = scratch.join("src");
    write_oci_layout(&src, scratch, "v1");
    let reference = format!("docker://{}/interop/corrupt:v1", registry.host());
    let mut push = skopeo(scratch);
    push.args(["copy", "--retry-times", "0", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", src.display()))
        .arg(&reference);
    let done = run(push, scratch, "skopeo-push");
    assert_eq!(done.code, Some(0), "{}", done.describe("skopeo push"));
    let mut pull = skopeo(scratch);
    pull.args(["copy", "--retry-times", "0", "--src-tls-verify=false"])
        .arg(&reference)
        .arg(format!("oci:{}:v1", scratch.join("back").display()));
    let done = run(pull, scratch, "skopeo-pull");
    assert_ne!(
        done.code,
        Some(0),
        "{}",
        done.describe("pull of corrupt blobs")
    );
    assert!(
        done.stderr.to_lowercase().contains("digest did not match"),
        "{}",
        done.describe("pull of corrupt blobs (expected a digest error)")
    );
}

#[test]
fn skopeo_roundtrip_with_token_auth_and_blob_redirects() {
    // skopeo trades the Basic credentials for bearer tokens at the challenge's realm and follows
    // blob 307s to the storage listener.
    let registry = Registry::start(AuthMode::Token, true);
    skopeo_roundtrip(&registry, true);
}

// ---------------------------------------------------------------------------------------------
// Python clients

/// The interpreter for the Python clients: `REGCHECK_PYTHON`, else `python3` if it can import
/// `module`. `None` (the test then skips loudly) only when neither is available.
fn python_with(module: &str) -> PathBuf {
    crate::common::python(module)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
        .join(name)
}

/// Runs a Python interop script; returns how it ended and its JSON summary.
fn run_script_raw(python: &Path, name: &str, args: &[String], scratch: &Path) -> (Finished, Value) {
    run_script_env(python, name, args, scratch, &[])
}

/// `run_script_raw` with extra environment variables (e.g. the CA bundle for https).
fn run_script_env(
    python: &Path,
    name: &str,
    args: &[String],
    scratch: &Path,
    env: &[(&str, &Path)],
) -> (Finished, Value) {
    let mut cmd = Command::new(python);
    cmd.arg(script(name))
        .args(args)
        .envs(env.iter().copied())
        .env("HOME", scratch)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(scratch);
    let done = run(cmd, scratch, name);
    let summary: Value = serde_json::from_str(&done.stdout)
        .unwrap_or_else(|e| panic!("{}\n(no JSON summary: {e})", done.describe(name)));
    (done, summary)
}

/// Runs a Python interop script, asserts it succeeded and returns its JSON summary.
fn run_script(python: &Path, name: &str, args: &[String], scratch: &Path) -> Value {
    let (done, summary) = run_script_raw(python, name, args, scratch);
    assert_eq!(
        summary["ok"],
        true,
        "{name} found mismatches:\n{}\n--- stderr\n{}",
        serde_json::to_string_pretty(&summary["failures"]).unwrap_or_default(),
        done.stderr
    );
    assert_eq!(done.code, Some(0), "{}", done.describe(name));
    summary
}

/// The SDK against the embedded registry; in token mode over TLS (the SDK refuses bearer
/// tokens over plain http), trusting the registry's throwaway CA through `requests`.
fn acr_sdk(auth: AuthMode, redirect_blobs: bool) {
    let python = python_with("azure.containerregistry");
    let tls = auth == AuthMode::Token;
    let registry = Registry::with_config(RegistryConfig {
        auth,
        redirect_blobs,
        tls: tls.then_some(regcheck::registry::TlsSetup::Generate),
        ..RegistryConfig::default()
    });
    let ca = registry.running().ca_cert_path().map(Path::to_owned);
    let env: Vec<(&str, &Path)> = ca
        .as_deref()
        .map(|ca| vec![("REQUESTS_CA_BUNDLE", ca), ("SSL_CERT_FILE", ca)])
        .unwrap_or_default();
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["--url".to_owned(), registry.url()];
    if auth == AuthMode::Token {
        args.extend(["--aad-token".to_owned(), registry.credentials().aad_token]);
    }
    let (done, summary) = run_script_env(&python, "acr_sdk.py", &args, scratch.path(), &env);
    assert_eq!(
        summary["ok"],
        true,
        "acr_sdk.py found mismatches:\n{}\n--- stderr\n{}",
        serde_json::to_string_pretty(&summary["failures"]).unwrap_or_default(),
        done.stderr
    );
    assert_eq!(done.code, Some(0), "{}", done.describe("acr_sdk.py"));
    assert_eq!(summary["facts"]["https"], tls, "{summary}");
    let steps = summary["steps"].as_array().map_or(0, Vec::len);
    assert!(steps >= 21, "only {steps} SDK steps ran: {summary}");
    assert_eq!(
        summary["facts"]["locked_tag_delete_status"], 403,
        "{summary}"
    );
    if auth == AuthMode::Token {
        let n = summary["facts"]["aad_token_requests"].as_u64().unwrap_or(0);
        assert!(
            n >= 1,
            "the SDK never went through the token exchange: {summary}"
        );
        // Without a credential the SDK gets an anonymous token, which grants nothing here.
        let args = vec![
            "--url".to_owned(),
            registry.url(),
            "--anonymous-denied".to_owned(),
        ];
        let (_, denied) = run_script_env(&python, "acr_sdk.py", &args, scratch.path(), &env);
        let steps = denied["steps"].as_array().map_or(0, Vec::len);
        assert_eq!(steps, 4, "anonymous checks: {denied}");
    }
    // Independent check: the layer the SDK uploaded is served by the registry unchanged.
    let layer = summary["facts"]["layer_digest"]
        .as_str()
        .expect("layer digest");
    let (status, body) = registry.get(&format!("/v2/interop/sdk/blobs/{layer}"));
    assert_eq!(
        status,
        200,
        "GET the SDK's layer: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        sha256_digest(&body),
        layer,
        "layer bytes served differ from the SDK's"
    );
    // The SDK deleted the manifest and the second repository.
    let manifest = summary["facts"]["manifest_digest"]
        .as_str()
        .expect("digest");
    let (status, _) = registry.get(&format!("/v2/interop/sdk/manifests/{manifest}"));
    assert_eq!(status, 404, "manifest deleted by the SDK is still served");
}

#[test]
fn azure_sdk_anonymous_without_auth() {
    acr_sdk(AuthMode::None, false);
}

#[test]
fn azure_sdk_token_exchange_with_blob_redirects() {
    acr_sdk(AuthMode::Token, true);
}

#[test]
fn azure_sdk_run_notices_injected_faults() {
    // The SDK script is only worth something if a misbehaving registry makes it fail: each
    // fault must fail exactly the steps that depend on the broken behaviour.
    let python = python_with("azure.containerregistry");
    let cases: [(Fault, &[&str]); 6] = [
        (
            Fault::AttributesNotStored,
            &[
                "update_repository_properties",
                "update_tag_properties",
                "update_manifest_properties",
            ],
        ),
        (
            // Every paged listing stops after its first page.
            Fault::MissingLink,
            &[
                "set_manifest / get_manifest Docker v2",
                "list_repository_names",
                "get_tag_properties",
            ],
        ),
        (
            Fault::CorruptBlobBody,
            &["download_blob config", "download_blob layer"],
        ),
        (
            Fault::RangeIgnored,
            &["download_blob config", "download_blob layer"],
        ),
        (Fault::DeleteIgnored, &["delete_manifest"]),
        (
            Fault::OrderbyIgnored,
            &[
                "set_manifest / get_manifest Docker v2",
                "get_tag_properties",
            ],
        ),
    ];
    for (fault, expected) in cases {
        let registry = Registry::with_faults(AuthMode::None, false, vec![fault]);
        let scratch = tempfile::tempdir().expect("tempdir");
        let args = vec!["--url".to_owned(), registry.url()];
        let (done, summary) = run_script_raw(&python, "acr_sdk.py", &args, scratch.path());
        assert_eq!(
            done.code,
            Some(1),
            "fault {fault}: {}",
            done.describe("acr_sdk.py")
        );
        let failed: Vec<&str> = summary["failures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["step"].as_str())
            .collect();
        assert_eq!(
            failed.len(),
            expected.len(),
            "fault {fault}: failed steps {failed:?}"
        );
        for (got, want) in failed.iter().zip(expected) {
            assert!(
                got.starts_with(want),
                "fault {fault}: failed steps {failed:?}"
            );
        }
    }
}

/// Pushes and pulls a two-file artifact with oras-py; returns the script's summary.
fn oras(registry: &Registry, extra: &[&str]) -> Value {
    let python = python_with("oras");
    let scratch = tempfile::tempdir().expect("tempdir");
    let work = scratch.path().join("work");
    let mut args = vec![
        "--registry".to_owned(),
        registry.host(),
        "--work".to_owned(),
        work.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    if registry.running().config().auth != AuthMode::None {
        let c = registry.credentials();
        args.extend([
            "--user".to_owned(),
            c.username,
            "--password".to_owned(),
            c.password,
        ]);
    }
    let summary = run_script(&python, "oras_roundtrip.py", &args, scratch.path());
    assert_eq!(summary["facts"]["push_status"], 201, "{summary}");
    assert_eq!(
        summary["facts"]["pulled"],
        json!(["notes.txt", "payload.bin"]),
        "{summary}"
    );
    summary
}

#[test]
fn oras_push_pull_without_auth() {
    let registry = Registry::start(AuthMode::None, false);
    oras(&registry, &[]);
    // A chunked push of a second tag into the same repository.
    oras(
        &registry,
        &["--chunked", "--target", "interop/oras:chunked"],
    );
    let (status, body) = registry.get("/v2/interop/oras/tags/list");
    assert_eq!(status, 200);
    let tags: Value = serde_json::from_slice(&body).expect("tag list JSON");
    assert_eq!(tags["tags"], json!(["chunked", "v1"]), "{tags}");
}

#[test]
fn oras_push_pull_with_basic_auth() {
    let registry = Registry::start(AuthMode::Basic, false);
    oras(
        &registry,
        &["--push-backend", "basic", "--pull-backend", "basic"],
    );
}

#[test]
fn oras_with_token_auth() {
    // Push with Basic (token mode accepts it directly, like ACR); pull through the Docker token
    // flow (GET /oauth2/token with Basic → bearer token with the challenge's pull scope).
    let registry = Registry::start(AuthMode::Token, true);
    oras(
        &registry,
        &[
            "--chunked",
            "--push-backend",
            "basic",
            "--pull-backend",
            "token",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// OCI 1.1 referrers with oras-py

/// A `regcheck serve` process on a free loopback port; killed on drop.
struct Serve {
    child: std::process::Child,
    host: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let port = crate::common::free_port();
        let host = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .args(["serve", "--addr", &host])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn regcheck serve");
        crate::common::wait_ready(&host);
        Serve { child, host }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `oras_referrers.py` against `host` (`user` = Basic credentials); how it ended and its
/// summary.
fn oras_referrers(host: &str, user: Option<&Credentials>, extra: &[&str]) -> (Finished, Value) {
    let python = python_with("oras");
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut args = vec![
        "--registry".to_owned(),
        host.to_owned(),
        "--work".to_owned(),
        scratch.path().join("work").display().to_string(),
    ];
    if let Some(c) = user {
        args.extend([
            "--user".to_owned(),
            c.username.clone(),
            "--password".to_owned(),
            c.password.clone(),
        ]);
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run_script_raw(&python, "oras_referrers.py", &args, scratch.path())
}

/// The script succeeded and discovered both artifacts.
fn assert_discovered(done: &Finished, summary: &Value) {
    assert_eq!(
        summary["ok"],
        true,
        "oras_referrers.py found mismatches:\n{}\n--- stderr\n{}",
        serde_json::to_string_pretty(summary).unwrap_or_default(),
        done.stderr
    );
    assert_eq!(done.code, Some(0), "{}", done.describe("oras_referrers.py"));
    let facts = &summary["facts"];
    assert_eq!(facts["sbom_oci_subject"], facts["subject"], "{summary}");
    assert_eq!(facts["discover_status"], 200, "{summary}");
    assert_eq!(facts["discover_content_type"], OCI_INDEX, "{summary}");
    assert_eq!(
        facts["discovered"],
        json!([
            "application/vnd.example.sbom.v1",
            "application/vnd.example.signature.v1"
        ]),
        "{summary}"
    );
    assert_eq!(facts["filters_applied"], "artifactType", "{summary}");
    assert_eq!(facts["pulled"], json!(["sbom.json"]), "{summary}");
}

#[test]
fn oras_attaches_and_discovers_referrers_on_regcheck_serve() {
    let serve = Serve::start(&[]);
    let (done, summary) = oras_referrers(&serve.host, None, &[]);
    assert_discovered(&done, &summary);
}

#[test]
fn oras_discovers_referrers_with_token_auth() {
    // Push with Basic (token mode accepts it, like ACR); discover and pull through the Docker
    // token flow: the referrers route challenges for the repository's pull scope.
    let registry = Registry::start(AuthMode::Token, false);
    let creds = registry.credentials();
    let (done, summary) = oras_referrers(
        &registry.host(),
        Some(&creds),
        &["--push-backend", "basic", "--discover-backend", "token"],
    );
    assert_discovered(&done, &summary);
}

#[test]
fn oras_referrers_script_notices_broken_referrers() {
    // The script is a real check: each referrers fault makes it fail, and says why.
    for (fault, says) in [
        (Fault::OciSubjectMissing, "OCI-Subject None"),
        (Fault::ReferrersAnnotationsDropped, "annotations"),
        (Fault::ReferrersFilterIgnored, "filtered referrers"),
        (Fault::ReferrersWrongContentType, "referrers Content-Type"),
    ] {
        let registry = Registry::with_faults(AuthMode::None, false, vec![fault]);
        let (done, summary) = oras_referrers(&registry.host(), None, &[]);
        assert_eq!(summary["ok"], false, "{fault}: {summary}");
        assert_eq!(done.code, Some(1), "{}", done.describe(fault.name()));
        let failures = summary["failures"].to_string();
        assert!(failures.contains(says), "{fault}: {failures}");
    }
}

// ---------------------------------------------------------------------------------------------
// skopeo: a multi-platform OCI image index

/// Writes a small linux image for `arch` (one gzip'd layer) into the blobs of layout `dir`.
fn write_platform_image(dir: &Path, scratch: &Path, arch: &str) -> Image {
    let (layer, diff_id) = tar_gz(
        scratch,
        &format!("layer-{arch}"),
        &[(
            "arch.txt",
            format!("{arch} {}\n", rand::random::<u64>()).into_bytes(),
        )],
    );
    let config = json!({
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let config = Blob {
        media_type: OCI_CONFIG,
        bytes: serde_json::to_vec(&config).expect("config JSON"),
    };
    let layers = vec![Blob {
        media_type: OCI_LAYER_GZIP,
        bytes: layer,
    }];
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
    });
    let manifest = Blob {
        media_type: OCI_MANIFEST,
        bytes: serde_json::to_vec(&manifest).expect("manifest JSON"),
    };
    let image = Image {
        config,
        layers,
        manifest,
    };
    let blob_dir = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blob_dir).expect("blob dir");
    for blob in image.blobs() {
        let hex = blob.digest().trim_start_matches("sha256:").to_owned();
        std::fs::write(blob_dir.join(hex), &blob.bytes).expect("write blob");
    }
    image
}

/// An OCI layout in `dir` whose `tag` is an index of linux/amd64 and linux/arm64 images.
fn write_multi_platform_layout(dir: &Path, scratch: &Path, tag: &str) -> (Vec<Image>, Blob) {
    let images: Vec<Image> = ["amd64", "arm64"]
        .iter()
        .map(|arch| write_platform_image(dir, scratch, arch))
        .collect();
    let children: Vec<Value> = images
        .iter()
        .zip(["amd64", "arm64"])
        .map(|(image, arch)| {
            let mut d = image.manifest.descriptor();
            d["platform"] = json!({"architecture": arch, "os": "linux"});
            d
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children});
    let index = Blob {
        media_type: OCI_INDEX,
        bytes: serde_json::to_vec(&index).expect("index JSON"),
    };
    let hex = index.digest().trim_start_matches("sha256:").to_owned();
    std::fs::write(dir.join("blobs").join("sha256").join(hex), &index.bytes).expect("index blob");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("layout");
    let mut entry = index.descriptor();
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    let layout_index = json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), layout_index.to_string()).expect("index.json");
    (images, index)
}

#[test]
fn skopeo_copies_a_multi_platform_index_in_and_out_of_regcheck_serve() {
    let serve = Serve::start(&[]);
    let scratch = tempfile::tempdir().expect("tempdir");
    let scratch = scratch.path();
    std::fs::write(scratch.join("registries.conf"), "").expect("registries.conf");
    let src = scratch.join("src");
    let back = scratch.join("back");
    let (images, index) = write_multi_platform_layout(&src, scratch, "v1");
    let reference = format!("docker://{}/interop/platforms:v1", serve.host);

    let mut push = skopeo(scratch);
    push.args([
        "copy",
        "--all",
        "--retry-times",
        "0",
        "--dest-tls-verify=false",
    ])
    .arg(format!("oci:{}:v1", src.display()))
    .arg(&reference);
    let done = run(push, scratch, "skopeo-push-platforms");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy --all (push)")
    );

    // `inspect --raw` prints the index exactly as pushed.
    let mut raw = skopeo(scratch);
    raw.args(["inspect", "--raw", "--tls-verify=false"])
        .arg(&reference);
    let done = run(raw, scratch, "skopeo-inspect-raw");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo inspect --raw")
    );
    assert_eq!(
        done.stdout.trim_end().as_bytes(),
        index.bytes.as_slice(),
        "inspect --raw differs from the pushed index"
    );
    // Platform selection resolves the index to the arm64 child (GET of the child by digest).
    let mut arm = skopeo(scratch);
    arm.args([
        "--override-arch",
        "arm64",
        "--override-os",
        "linux",
        "inspect",
        "--tls-verify=false",
    ])
    .arg(&reference);
    let done = run(arm, scratch, "skopeo-inspect-arm64");
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo inspect (arm64)")
    );
    let inspected: Value = serde_json::from_str(&done.stdout).expect("inspect prints JSON");
    // skopeo 1.9 names the digest of what the tag points at (the index), and describes the
    // child it chose.
    assert_eq!(inspected["Digest"], index.digest(), "{inspected}");
    assert_eq!(inspected["Architecture"], "arm64", "{inspected}");
    assert_eq!(
        inspected["Layers"],
        json!([images[1].layers[0].digest()]),
        "{inspected}"
    );

    copy_index_back(
        scratch,
        &reference,
        &back,
        "skopeo-pull-platforms",
        &index.digest(),
    );
    // Every digest made the round trip unchanged: index, both manifests, configs and layers.
    for blob in images
        .iter()
        .flat_map(Image::blobs)
        .chain(std::iter::once(&index))
    {
        let digest = blob.digest();
        let path = back
            .join("blobs")
            .join("sha256")
            .join(digest.trim_start_matches("sha256:"));
        let got = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{digest} missing after the round trip: {e}"));
        assert_eq!(
            sha256_digest(&got),
            digest,
            "{digest} differs after the round trip"
        );
    }
}

/// `skopeo copy --all` of the index at `reference` into the OCI layout `back` (tag `v1`): the
/// layout's index names the pushed index digest, as an image index.
fn copy_index_back(scratch: &Path, reference: &str, back: &Path, label: &str, digest: &str) {
    let mut pull = skopeo(scratch);
    pull.args([
        "copy",
        "--all",
        "--retry-times",
        "0",
        "--src-tls-verify=false",
    ])
    .arg(reference)
    .arg(format!("oci:{}:v1", back.display()));
    let done = run(pull, scratch, label);
    assert_eq!(
        done.code,
        Some(0),
        "{}",
        done.describe("skopeo copy --all (pull)")
    );
    let layout: Value =
        serde_json::from_slice(&std::fs::read(back.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    assert_eq!(layout["manifests"][0]["digest"], digest, "{layout}");
    assert_eq!(layout["manifests"][0]["mediaType"], OCI_INDEX, "{layout}");
}
