//! The harness only touches its own run namespace and cleans up after itself: content that was
//! in the registry before the run is untouched, the run's repositories are gone afterwards, and
//! `--keep` leaves them in place.

use crate::common::{read_report, run_against};
use regcheck::registry::{self, RegistryConfig};
use sha2::{Digest, Sha256};

/// A registry on a runtime of its own, so the `regcheck` binary can run against it.
struct Served {
    runtime: tokio::runtime::Runtime,
    url: String,
    _registry: registry::RunningRegistry,
}

fn serve() -> Served {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let reg = runtime
        .block_on(registry::start(RegistryConfig::default()))
        .expect("registry starts");
    Served {
        url: reg.url(),
        _registry: reg,
        runtime,
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Pushes a blob and a manifest tagged `v1` to `repo`; returns the manifest digest.
async fn push_image(client: &reqwest::Client, url: &str, repo: &str) -> (String, String) {
    let layer = b"content that was here before the run".to_vec();
    let layer_digest = digest(&layer);
    let resp = client
        .post(format!(
            "{url}/v2/{repo}/blobs/uploads/?digest={layer_digest}"
        ))
        .header("content-type", "application/octet-stream")
        .body(layer.clone())
        .send()
        .await
        .expect("push blob");
    assert_eq!(resp.status(), 201);
    let config = b"{}".to_vec();
    let config_digest = digest(&config);
    let resp = client
        .post(format!(
            "{url}/v2/{repo}/blobs/uploads/?digest={config_digest}"
        ))
        .body(config.clone())
        .send()
        .await
        .expect("push config");
    assert_eq!(resp.status(), 201);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}]
    })
    .to_string();
    let resp = client
        .put(format!("{url}/v2/{repo}/manifests/v1"))
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest.clone())
        .send()
        .await
        .expect("push manifest");
    assert_eq!(resp.status(), 201);
    (digest(manifest.as_bytes()), layer_digest)
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client
        .head(url)
        .header("accept", "application/vnd.oci.image.manifest.v1+json, */*")
        .send()
        .await
        .expect("HEAD")
        .status()
        .as_u16()
}

async fn repositories(client: &reqwest::Client, url: &str) -> Vec<String> {
    let body: serde_json::Value = client
        .get(format!("{url}/v2/_catalog"))
        .send()
        .await
        .expect("catalog")
        .json()
        .await
        .expect("catalog JSON");
    body["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect()
}

#[test]
fn run_leaves_other_repositories_alone_and_removes_its_own() {
    let s = serve();
    let client = reqwest::Client::new();
    let (manifest, layer) = s
        .runtime
        .block_on(push_image(&client, &s.url, "library/precious"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.json");
    let spec = format!("json={}", path.display());
    let out = run_against(&s.url, &["--report", &spec]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&path);
    let namespace = report["namespace"].as_str().expect("namespace").to_string();
    s.runtime.block_on(async {
        assert_eq!(
            status(
                &client,
                format!("{}/v2/library/precious/manifests/v1", s.url)
            )
            .await,
            200
        );
        assert_eq!(
            status(
                &client,
                format!("{}/v2/library/precious/manifests/{manifest}", s.url)
            )
            .await,
            200
        );
        assert_eq!(
            status(
                &client,
                format!("{}/v2/library/precious/blobs/{layer}", s.url)
            )
            .await,
            200
        );
        let repos = repositories(&client, &s.url).await;
        assert!(repos.contains(&"library/precious".to_string()), "{repos:?}");
        // Only the slot's claim marker stays (so the next run reuses this namespace).
        let lock = format!("{namespace}/lock");
        let leftovers: Vec<&String> = repos
            .iter()
            .filter(|r| r.starts_with(&format!("{namespace}/")) && **r != lock)
            .collect();
        assert!(
            leftovers.is_empty(),
            "run repositories left behind: {leftovers:?}"
        );
        assert_eq!(marker_state(&client, &s.url, &namespace).await, "clean");
    });
}

/// The state the claim marker of a namespace slot records.
async fn marker_state(client: &reqwest::Client, url: &str, namespace: &str) -> String {
    let body: serde_json::Value = client
        .get(format!("{url}/v2/{namespace}/lock/manifests/slot"))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .basic_auth("regcheck", Some("regcheck-password"))
        .send()
        .await
        .expect("marker")
        .json()
        .await
        .expect("marker JSON");
    body["annotations"]["org.regcheck.state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn keep_leaves_the_run_content_in_place() {
    let s = serve();
    let client = reqwest::Client::new();
    let out = run_against(
        &s.url,
        &[
            "--keep",
            "--namespace",
            "kept-run",
            "--filter",
            "^manifest-oci-image$",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("cleanup: skipped (--keep)"),
        "{}",
        out.stdout
    );
    let repos = s.runtime.block_on(repositories(&client, &s.url));
    assert!(
        repos.contains(&"kept-run/manifest-oci-image".to_string()),
        "{repos:?}"
    );
    // What the kept run left: the manifest behind tag v1 and its (run-independent) config blob.
    let repo_url = format!("{}/v2/kept-run/manifest-oci-image", s.url);
    let (first_manifest, config) = s.runtime.block_on(async {
        let resp = client
            .get(format!("{repo_url}/manifests/v1"))
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .await
            .expect("GET manifest");
        let digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .expect("digest header")
            .to_string();
        let body: serde_json::Value = resp.json().await.expect("manifest JSON");
        let config = body["config"]["digest"]
            .as_str()
            .expect("config")
            .to_string();
        (digest, config)
    });
    // The same scenario again in the same (given) namespace, without --keep: it re-pushes the
    // identical config blob, but must delete only what is unique to its own run.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.json");
    let spec = format!("json={}", path.display());
    let out = run_against(
        &s.url,
        &[
            "--namespace",
            "kept-run",
            "--filter",
            "^manifest-oci-image$",
            "--report",
            &spec,
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    s.runtime.block_on(async {
        assert_eq!(
            status(&client, format!("{repo_url}/manifests/{first_manifest}")).await,
            200,
            "the kept run's manifest was deleted"
        );
        assert_eq!(
            status(&client, format!("{repo_url}/blobs/{config}")).await,
            200,
            "the shared config blob was deleted"
        );
    });
    let report = read_report(&path);
    let leftovers = report["cleanup"]["leftovers"].to_string();
    assert!(leftovers.contains(&config), "{leftovers}");
    assert!(
        report["cleanup"]["deleted"].as_u64().unwrap_or(0) >= 2,
        "{}",
        report["cleanup"]
    );
}

/// The repositories Distribution's catalog lists (blocking).
fn distribution_catalog(url: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(repositories(&reqwest::Client::new(), url))
}

/// A run of a few scenarios against `url`: (exit code, JSON report).
fn small_run(url: &str, dir: &std::path::Path, name: &str) -> (i32, serde_json::Value) {
    let path = dir.join(format!("{name}.json"));
    let spec = format!("json={}", path.display());
    let out = run_against(
        url,
        &[
            "--filter",
            "^(blob-upload-monolithic|manifest-oci-image|manifest-overwrite-tag|blob-mount)$",
            "--report",
            &spec,
        ],
    );
    (out.code, read_report(&path))
}

#[test]
fn repeated_runs_do_not_pile_up_repositories_on_distribution() {
    let reg = crate::common::Distribution::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, first) = small_run(&reg.url, dir.path(), "run0");
    assert_eq!(code, 0, "{first:#}");
    assert_eq!(first["namespace"], "regcheck-s0");
    let after_one = distribution_catalog(&reg.url);
    // Distribution has no repository delete: the emptied repositories stay listed, and the
    // report says so.
    let empty = first["cleanup"]["empty_repositories"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(empty >= 3, "{:#}", first["cleanup"]);
    assert_eq!(
        after_one.len(),
        empty + 1,
        "plus the claim marker: {after_one:?}"
    );
    for i in 1..10 {
        let (code, r) = small_run(&reg.url, dir.path(), &format!("run{i}"));
        assert_eq!(code, 0);
        assert_eq!(r["namespace"], "regcheck-s0", "run {i} reuses the slot");
    }
    assert_eq!(
        distribution_catalog(&reg.url),
        after_one,
        "ten runs, one run's catalog"
    );
}

#[test]
fn concurrent_runs_take_different_slots_and_a_dirty_slot_is_not_reused() {
    let reg = crate::common::Distribution::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let runs: Vec<(i32, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (url, dir) = (&reg.url, dir.path());
                s.spawn(move || small_run(url, dir, &format!("c{i}")))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("run"))
            .collect()
    });
    let mut namespaces: Vec<&str> = runs
        .iter()
        .map(|(code, r)| {
            assert_eq!(*code, 0, "{r:#}");
            r["namespace"].as_str().expect("namespace")
        })
        .collect();
    namespaces.sort();
    assert_eq!(namespaces, ["regcheck-s0", "regcheck-s1"]);
    // --keep leaves content behind: that slot is dirty and the next run takes another.
    let path = dir.path().join("kept.json");
    let spec = format!("json={}", path.display());
    let out = run_against(
        &reg.url,
        &[
            "--filter",
            "^manifest-oci-image$",
            "--keep",
            "--report",
            &spec,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let kept = read_report(&path);
    assert_eq!(kept["namespace"], "regcheck-s0");
    let (_, next) = small_run(&reg.url, dir.path(), "next");
    assert_eq!(
        next["namespace"], "regcheck-s1",
        "the kept slot is not reused"
    );
}
