//! One operation of each workload: its requests, each judged by the contract rules its
//! operation keeps on under load (`judge`: digest and length headers, `Range`/`Content-Range`,
//! content codings, redirects), the statuses it needs, and every pulled byte verified. An operation returns the payload bytes it moved and when its first response head
//! arrived, or a `Failure` of a kind.

use super::http::{Head, Http, Verify, discard, drain, drain_judged, shown};
use super::judge;
use super::metrics::{ErrorKind, Failure};
use super::pool::{Pool, PoolBlob};
use super::spec::{LoadSpec, Workload};
use crate::blob::BlobGen;
use crate::namespace::cleanup::{Created, Kind, Tracker};
use bytes::Bytes;
use futures::StreamExt;
use rand::Rng;
use reqwest::Method;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use url::Url;

/// What every operation shares.
pub struct Ctx {
    /// Request path.
    pub http: Http,
    /// Target base URL.
    pub target: Url,
    /// The run's spec.
    pub spec: LoadSpec,
    /// Run id (generated content depends on it).
    pub run_id: String,
    /// Blobs and manifests to read.
    pub pool: Pool,
    /// Repository pushes go to.
    pub push_repo: String,
    /// Counter making pushed content and tags unique.
    pub counter: AtomicU64,
    /// What the run created, for cleanup.
    pub tracker: Tracker,
    /// The challenge a pull gets without credentials, for the token workload.
    pub token_challenge: Option<String>,
}

/// What a successful operation did.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Payload bytes moved.
    pub bytes: u64,
    /// When the first response head arrived.
    pub first_byte: Option<Instant>,
    /// The requests inside it by kind, with their latency (image workloads; empty otherwise).
    pub parts: Vec<(&'static str, Duration)>,
}

/// Media type of the manifests the load pushes and reads.
pub const MANIFEST_TYPE: &str = crate::vocab::media::OCI_MANIFEST;

/// Makes a fresh request body for each attempt.
type BodyFn = Box<dyn Fn() -> Option<reqwest::Body> + Send + Sync>;

/// Config and layer GETs of one `image-pull` in flight at most.
pub const IMAGE_FETCHES: usize = 4;

/// Seeds of image-push layers start here (apart from pushes' and the pool's).
const IMAGE_SEED_BASE: u64 = 1 << 41;

/// Seeds of pushed blobs start here (pool blobs use their index).
const PUSH_SEED_BASE: u64 = 1 << 40;

impl Ctx {
    /// A URL on the target.
    pub fn url(&self, path: &str) -> Result<Url, Failure> {
        self.target
            .join(path)
            .map_err(|e| Failure::new(ErrorKind::Connection, format!("bad URL {path}: {e}")))
    }

    /// Runs one operation of `op`.
    pub async fn run(&self, op: Workload) -> Result<Done, Failure> {
        match op {
            Workload::Pull => self.pull().await,
            Workload::PullRange => self.pull_range().await,
            Workload::Head => self.head().await,
            Workload::Push => self.push(false).await,
            Workload::PushChunked => self.push(true).await,
            Workload::ManifestGet => self.manifest_get().await,
            Workload::ManifestPut => self.manifest_put().await,
            Workload::Token => self.token().await,
            Workload::ImagePull => self.image_pull().await,
            Workload::ImagePush => self.image_push(false).await,
            Workload::ImagePushChunked => self.image_push(true).await,
        }
    }

    fn pick(&self) -> Result<&PoolBlob, Failure> {
        if self.pool.blobs.is_empty() {
            return Err(Failure::new(ErrorKind::Body, "the pool is empty"));
        }
        let i = rand::thread_rng().gen_range(0..self.pool.blobs.len());
        Ok(&self.pool.blobs[i])
    }

    async fn pull(&self) -> Result<Done, Failure> {
        self.pull_blob(self.pick()?).await
    }

    /// A whole image: the tag resolved by a manifest HEAD, the manifest by digest (for a
    /// multi-platform image: the index by digest, then one platform's manifest by digest), then
    /// its config and layers, at most [`IMAGE_FETCHES`] at a time; every byte verified.
    async fn image_pull(&self) -> Result<Done, Failure> {
        if self.pool.images.is_empty() {
            return Err(Failure::new(ErrorKind::Body, "no image in the pool"));
        }
        let (img, platform) = {
            let mut rng = rand::thread_rng();
            let img = &self.pool.images[rng.gen_range(0..self.pool.images.len())];
            let platform = (!img.platforms.is_empty())
                .then(|| &img.platforms[rng.gen_range(0..img.platforms.len())]);
            (img, platform)
        };
        let accept = match platform {
            Some(_) => format!("{}, {MANIFEST_TYPE}", crate::vocab::media::OCI_INDEX),
            None => MANIFEST_TYPE.to_string(),
        };
        let accept = [("accept", accept)];
        let mut parts: Vec<(&'static str, Duration)> = Vec::with_capacity(img.layers.len() + 4);
        let t = Instant::now();
        let by_tag = self.url(&format!("/v2/{}/manifests/{}", self.pool.repo, img.tag))?;
        let head = self
            .ask(
                &judge::RESOLVE_TAG,
                Method::HEAD,
                &by_tag,
                &accept,
                200,
                "HEAD",
            )
            .await?;
        let first_byte = Some(head.at);
        if let Some(d) = head.header("docker-content-digest")
            && d.trim() != img.digest
        {
            return Err(Failure::new(
                ErrorKind::DigestMismatch,
                format!(
                    "HEAD {}: the tag resolves to {d}, the manifest pushed is {}",
                    shown(&by_tag),
                    img.digest
                ),
            ));
        }
        discard(head).await;
        parts.push(("resolve", t.elapsed()));
        let mut bytes = 0;
        let layers = match platform {
            Some(p) => {
                let t = Instant::now();
                bytes += self
                    .manifest_by_digest(&img.digest, img.size, &accept)
                    .await?;
                parts.push(("index", t.elapsed()));
                let t = Instant::now();
                let accept = [("accept", MANIFEST_TYPE.to_string())];
                bytes += self.manifest_by_digest(&p.digest, p.size, &accept).await?;
                parts.push(("manifest", t.elapsed()));
                &p.layers
            }
            None => {
                let t = Instant::now();
                bytes += self
                    .manifest_by_digest(&img.digest, img.size, &accept)
                    .await?;
                parts.push(("manifest", t.elapsed()));
                &img.layers
            }
        };
        let (config, config_size) = self
            .pool
            .config
            .clone()
            .ok_or_else(|| Failure::new(ErrorKind::Body, "no config blob in the pool"))?;
        let config_url = self.url(&format!("/v2/{}/blobs/{config}", self.pool.repo))?;
        let t = Instant::now();
        bytes += self
            .fetch_blob(&config_url, &config, config_size, None)
            .await?
            .bytes;
        parts.push(("config", t.elapsed()));
        let layers = layers.iter().map(|&i| async move {
            let t = Instant::now();
            let d = self.pull_blob(&self.pool.blobs[i]).await?;
            Ok::<_, Failure>((d.bytes, t.elapsed()))
        });
        let mut fetches = futures::stream::iter(layers)
            .buffer_unordered(IMAGE_FETCHES)
            .boxed();
        while let Some(r) = fetches.next().await {
            let (n, took) = r?;
            bytes += n;
            parts.push(("layer", took));
        }
        Ok(Done {
            bytes,
            first_byte,
            parts,
        })
    }

    /// A manifest (or index) of the pool by digest, judged and verified: its bytes.
    async fn manifest_by_digest(
        &self,
        digest: &str,
        size: u64,
        accept: &[(&str, String)],
    ) -> Result<u64, Failure> {
        let checks = &judge::MANIFEST_GET;
        let url = self.url(&format!("/v2/{}/manifests/{digest}", self.pool.repo))?;
        let head = self
            .ask(checks, Method::GET, &url, accept, 200, "GET")
            .await?;
        let (verify, want) = if self.spec.verify {
            (Verify::Digest(digest), Some(digest))
        } else {
            (Verify::None, None)
        };
        drain_judged(&self.http, checks, head, accept, Some(size), verify, want).await
    }

    /// Sends a request judged by `checks` and expects `want` (`what` names it in messages).
    async fn ask(
        &self,
        checks: &judge::Checks,
        method: Method,
        url: &Url,
        headers: &[(&str, String)],
        want: u16,
        what: &str,
    ) -> Result<Head, Failure> {
        let head = self
            .http
            .send(checks, method, url.clone(), headers, &|| None)
            .await?;
        self.http.judge(checks, &head, headers)?;
        expect(head, want, what, url).await
    }

    /// A whole new image: unique layers (monolithic or `chunked`, at most [`IMAGE_FETCHES`] at
    /// a time) and the config into the push repository, then the manifest under a new tag; with
    /// `image_platforms`, that many platform images (each pushed by digest) and then the index
    /// over them under the tag.
    async fn image_push(&self, chunked: bool) -> Result<Done, Failure> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let platforms = self.spec.image_platforms;
        let mut done = Done::default();
        if platforms == 0 {
            let tag = format!("image-s{}-{n}", self.spec.shard.index);
            self.push_image(n, 0, &tag, chunked, &mut done).await?;
            return Ok(done);
        }
        let mut images = Vec::with_capacity(platforms);
        for p in 0..platforms {
            images.push(self.push_image(n, p, "", chunked, &mut done).await?);
        }
        let refs: Vec<(&str, u64)> = images.iter().map(|(d, s)| (d.as_str(), *s)).collect();
        let body = Pool::index_of(&refs, &format!("{}-image-{n}", self.run_id))?;
        let tag = format!("image-s{}-{n}", self.spec.shard.index);
        done.bytes += body.len() as u64;
        let t = Instant::now();
        self.put_manifest_as(&self.push_repo, &tag, body, crate::vocab::media::OCI_INDEX)
            .await?;
        done.parts.push(("index", t.elapsed()));
        Ok(done)
    }

    /// The `p`-th platform image of push `n`: its unique layers, its own config, its manifest
    /// under `tag` (by digest when `tag` is empty). Adds to `done`; returns the manifest's
    /// digest and size.
    async fn push_image(
        &self,
        n: u64,
        p: usize,
        tag: &str,
        chunked: bool,
        done: &mut Done,
    ) -> Result<(String, u64), Failure> {
        let per = self.spec.image_layers.max(1) as u64;
        let shard = u64::from(self.spec.shard.index);
        let first = (n * (self.spec.image_platforms.max(1) as u64) + p as u64) * per;
        let layers: Vec<BlobGen> = (0..per)
            .map(|j| {
                let k = first + j;
                let seed = IMAGE_SEED_BASE + shard * (1 << 32) + k;
                BlobGen::new(&self.run_id, seed, self.pick_size(k))
            })
            .collect();
        let repo = self.push_repo.clone();
        let digests: Vec<String> = layers.iter().map(BlobGen::digest).collect();
        {
            let uploads = layers.iter().zip(&digests).map(|(b, d)| async {
                let t = Instant::now();
                let at = self.push_blob(&repo, b, d, chunked).await?;
                Ok::<_, Failure>((at, t.elapsed()))
            });
            let mut uploads = futures::stream::iter(uploads)
                .buffer_unordered(IMAGE_FETCHES)
                .boxed();
            while let Some(r) = uploads.next().await {
                let (at, took) = r?;
                done.first_byte = Some(done.first_byte.map_or(at, |f| f.min(at)));
                done.parts.push(("layer", took));
            }
        }
        // Each image its own config (as real images have): no two pushes write the same blob
        // at once (Distribution 2.8 then briefly loses the blob a concurrent manifest names).
        let platform = super::pool::platform(p);
        let config_bytes = Bytes::from(format!(
            "{{\"architecture\":{},\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"regcheck\":\"{}-image-{n}-p{p}\"}}",
            platform["architecture"], self.run_id
        ));
        let config = crate::blob::sha256_digest(&config_bytes);
        let config_size = config_bytes.len() as u64;
        let t = Instant::now();
        self.push_small(&repo, config_bytes, &config).await?;
        done.parts.push(("config", t.elapsed()));
        let refs: Vec<(&str, u64)> = digests
            .iter()
            .zip(&layers)
            .map(|(d, b)| (d.as_str(), b.size))
            .collect();
        let body = Pool::manifest_of(
            (&config, config_size),
            &refs,
            &format!("{}-image-{n}-p{p}", self.run_id),
        )?;
        let digest = crate::blob::sha256_digest(&body);
        let size = body.len() as u64;
        let reference = if tag.is_empty() { digest.as_str() } else { tag };
        let t = Instant::now();
        self.put_manifest(&repo, reference, body).await?;
        done.parts.push(("manifest", t.elapsed()));
        done.bytes += layers.iter().map(|b| b.size).sum::<u64>() + config_size + size;
        Ok((digest, size))
    }

    /// A small blob from memory, monolithic (POST, then PUT with the bytes); recorded.
    pub(super) async fn push_small(
        &self,
        repo: &str,
        bytes: Bytes,
        digest: &str,
    ) -> Result<(), Failure> {
        let url = self.url(&format!("/v2/{repo}/blobs/uploads/"))?;
        let head = self
            .ask(&judge::START_UPLOAD, Method::POST, &url, &[], 202, "POST")
            .await?;
        let mut put = location(&head, &url)?;
        discard(head).await;
        put.query_pairs_mut().append_pair("digest", digest);
        let checks = &judge::COMPLETE_UPLOAD;
        let (head, headers) = self
            .put_bytes(checks, &put, "application/octet-stream", bytes)
            .await?;
        self.tracker.record(Created {
            kind: Kind::Blob,
            repo: repo.to_string(),
            digest: digest.to_string(),
            // Configs name the run id: no other run pushes these bytes.
            run_unique: true,
        });
        self.http.judge(checks, &head, &headers)?;
        discard(head).await;
        Ok(())
    }

    /// `PUT url` with `bytes` as `content_type`; the 201 head (unjudged: the caller records
    /// what was created first) and the headers sent.
    async fn put_bytes(
        &self,
        checks: &judge::Checks,
        url: &Url,
        content_type: &str,
        bytes: Bytes,
    ) -> Result<(Head, [(&'static str, String); 2]), Failure> {
        let headers = [
            ("content-type", content_type.to_string()),
            ("content-length", bytes.len().to_string()),
        ];
        let make = move || Some(reqwest::Body::from(bytes.clone()));
        let head = self
            .http
            .send(checks, Method::PUT, url.clone(), &headers, &make)
            .await?;
        let head = expect(head, 201, "PUT", url).await?;
        Ok((head, headers))
    }

    /// PUTs an image manifest under `tag` in `repo`; recorded for cleanup. Returns when its
    /// answer arrived.
    pub(super) async fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        body: Bytes,
    ) -> Result<Instant, Failure> {
        self.put_manifest_as(repo, tag, body, MANIFEST_TYPE).await
    }

    /// PUTs a manifest of `media_type` under `reference` (a tag or its digest) in `repo`;
    /// recorded for cleanup. Returns when its answer arrived.
    pub(super) async fn put_manifest_as(
        &self,
        repo: &str,
        reference: &str,
        body: Bytes,
        media_type: &str,
    ) -> Result<Instant, Failure> {
        let digest = crate::blob::sha256_digest(&body);
        let url = self.url(&format!("/v2/{repo}/manifests/{reference}"))?;
        let checks = &judge::MANIFEST_PUT;
        let (head, headers) = self.put_bytes(checks, &url, media_type, body).await?;
        let at = head.at;
        self.tracker.record(Created {
            kind: Kind::Manifest,
            repo: repo.to_string(),
            digest,
            run_unique: true,
        });
        self.http.judge(checks, &head, &headers)?;
        discard(head).await;
        Ok(at)
    }

    async fn pull_blob(&self, b: &PoolBlob) -> Result<Done, Failure> {
        self.fetch_blob(&b.url, &b.digest, b.size, b.content.as_deref())
            .await
    }

    /// A blob GET by URL, judged as a pull, verified by `digest` (or `content`).
    async fn fetch_blob(
        &self,
        url: &Url,
        digest: &str,
        size: u64,
        content: Option<&[u8]>,
    ) -> Result<Done, Failure> {
        let head = self
            .ask(&judge::PULL, Method::GET, url, &[], 200, "GET")
            .await?;
        let first_byte = Some(head.at);
        let verify = match (content, self.spec.verify) {
            (_, false) => Verify::None,
            (Some(c), true) => Verify::Content(c),
            (None, true) => Verify::Digest(digest),
        };
        let bytes = drain(head, Some(size), verify).await?;
        Ok(Done {
            bytes,
            first_byte,
            ..Done::default()
        })
    }

    async fn pull_range(&self) -> Result<Done, Failure> {
        let b = self.pick()?;
        if b.size == 0 {
            return Err(Failure::new(
                ErrorKind::Body,
                "a range of an empty blob was asked for",
            ));
        }
        let len = self.spec.range_size.min(b.size);
        let start = rand::thread_rng().gen_range(0..=b.size - len);
        let end = start + len - 1;
        let url = b.url.clone();
        let range = [("range", format!("bytes={start}-{end}"))];
        let checks = &judge::PULL_RANGE;
        let head = self
            .ask(checks, Method::GET, &url, &range, 206, "GET (Range)")
            .await?;
        let first_byte = Some(head.at);
        let verify = if self.spec.verify {
            Verify::Bytes {
                blob: b.blob,
                start,
            }
        } else {
            Verify::None
        };
        let bytes = drain_judged(&self.http, checks, head, &range, Some(len), verify, None).await?;
        Ok(Done {
            bytes,
            first_byte,
            ..Done::default()
        })
    }

    async fn head(&self) -> Result<Done, Failure> {
        let b = self.pick()?;
        let url = b.url.clone();
        let head = self
            .ask(&judge::HEAD, Method::HEAD, &url, &[], 200, "HEAD")
            .await?;
        // The blob's size is known here: a HEAD's Content-Length, when sent, MUST be what a
        // GET would send (RFC 9110 §8.6); without one the answer is allowed (MAY).
        if let Some(cl) = head.header("content-length")
            && cl.trim().parse::<u64>().ok() != Some(b.size)
        {
            return Err(Failure::new(
                ErrorKind::Body,
                format!(
                    "HEAD {}: Content-Length {cl}, but the blob has {} bytes (RFC 9110 §8.6)",
                    shown(&url),
                    b.size
                ),
            ));
        }
        Ok(Done {
            bytes: 0,
            first_byte: Some(head.at),
            ..Done::default()
        })
    }

    /// Pushes a new unique blob, monolithic or chunked; records it for cleanup.
    async fn push(&self, chunked: bool) -> Result<Done, Failure> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let size = self.pick_size(n);
        let seed = PUSH_SEED_BASE + u64::from(self.spec.shard.index) * (1 << 32) + n;
        let blob = BlobGen::new(&self.run_id, seed, size);
        let digest = blob.digest();
        let repo = self.push_repo.clone();
        let first_byte = self.push_blob(&repo, &blob, &digest, chunked).await?;
        Ok(Done {
            bytes: size,
            first_byte: Some(first_byte),
            ..Done::default()
        })
    }

    /// The blob size for the `n`th push (weighted by the size distribution).
    pub fn pick_size(&self, n: u64) -> u64 {
        pick_weighted(&self.spec.sizes, splitmix(n ^ 0x5EED))
    }

    /// Uploads `blob` into `repo`; returns when the first response head arrived.
    pub async fn push_blob(
        &self,
        repo: &str,
        blob: &BlobGen,
        digest: &str,
        chunked: bool,
    ) -> Result<Instant, Failure> {
        let url = self.url(&format!("/v2/{repo}/blobs/uploads/"))?;
        let head = self
            .ask(&judge::START_UPLOAD, Method::POST, &url, &[], 202, "POST")
            .await?;
        let first_byte = head.at;
        let mut location = location(&head, &url)?;
        discard(head).await;
        if chunked && blob.size > 0 {
            let mut start = 0;
            while start < blob.size {
                let end = (start + self.spec.chunk_size).min(blob.size) - 1;
                let b = *blob;
                let headers = [
                    ("content-type", "application/octet-stream".to_string()),
                    ("content-range", format!("{start}-{end}")),
                    ("content-length", (end - start + 1).to_string()),
                ];
                let body = move || Some(stream_body(b, start, end));
                let head = self
                    .http
                    .send(
                        &judge::UPLOAD_CHUNK,
                        Method::PATCH,
                        location.clone(),
                        &headers,
                        &body,
                    )
                    .await?;
                self.http.judge(&judge::UPLOAD_CHUNK, &head, &headers)?;
                let head = expect(head, 202, "PATCH", &location).await?;
                location = self::location(&head, &location)?;
                discard(head).await;
                start = end + 1;
            }
        }
        let mut put = location.clone();
        put.query_pairs_mut().append_pair("digest", digest);
        let b = *blob;
        let (headers, body): (Vec<(&str, String)>, BodyFn) = if chunked {
            (vec![("content-length", "0".to_string())], Box::new(|| None))
        } else {
            (
                vec![
                    ("content-type", "application/octet-stream".to_string()),
                    ("content-length", b.size.to_string()),
                ],
                Box::new(move || Some(stream_body(b, 0, b.size.saturating_sub(1)))),
            )
        };
        let head = self
            .http
            .send(
                &judge::COMPLETE_UPLOAD,
                Method::PUT,
                put.clone(),
                &headers,
                &*body,
            )
            .await?;
        let head = expect(head, 201, "PUT", &put).await?;
        self.tracker.record(Created {
            kind: Kind::Blob,
            repo: repo.to_string(),
            digest: digest.to_string(),
            run_unique: true,
        });
        self.http.judge(&judge::COMPLETE_UPLOAD, &head, &headers)?;
        discard(head).await;
        Ok(first_byte)
    }

    async fn manifest_get(&self) -> Result<Done, Failure> {
        if self.pool.manifests.is_empty() {
            return Err(Failure::new(ErrorKind::Body, "no manifest in the pool"));
        }
        let i = rand::thread_rng().gen_range(0..self.pool.manifests.len());
        let m = &self.pool.manifests[i];
        let url = self.url(&format!("/v2/{}/manifests/{}", self.pool.repo, m.tag))?;
        let accept = [("accept", MANIFEST_TYPE.to_string())];
        let checks = &judge::MANIFEST_GET;
        let head = self
            .ask(checks, Method::GET, &url, &accept, 200, "GET")
            .await?;
        let first_byte = Some(head.at);
        // A verified body hashes to the digest pushed: the body rules see that digest.
        let (verify, digest) = if self.spec.verify {
            (Verify::Digest(&m.digest), Some(m.digest.as_str()))
        } else {
            (Verify::None, None)
        };
        let len = Some(m.body.len() as u64);
        let bytes = drain_judged(&self.http, checks, head, &accept, len, verify, digest).await?;
        Ok(Done {
            bytes,
            first_byte,
            ..Done::default()
        })
    }

    async fn manifest_put(&self) -> Result<Done, Failure> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let b = self.pick()?;
        let body = self.pool.manifest_for(b, &format!("{}-{n}", self.run_id))?;
        let tag = format!("put-s{}-{n}", self.spec.shard.index);
        let len = body.len() as u64;
        let first_byte = self.put_manifest(&self.pool.repo, &tag, body).await?;
        Ok(Done {
            bytes: len,
            first_byte: Some(first_byte),
            ..Done::default()
        })
    }

    async fn token(&self) -> Result<Done, Failure> {
        let b = self.pick()?;
        let url = b.url.clone();
        let answer = self
            .http
            .client()
            .authorize_fresh(&Method::GET, &url, self.token_challenge.as_deref())
            .await
            .map_err(|e| Failure::new(ErrorKind::Auth, e.to_string()))?;
        if answer.is_none() {
            return Err(Failure::new(
                ErrorKind::Auth,
                "the target's challenge could not be answered with the credentials given",
            ));
        }
        self.http
            .challenges_answered
            .fetch_add(1, Ordering::Relaxed);
        Ok(Done {
            bytes: 0,
            first_byte: None,
            ..Done::default()
        })
    }
}

/// A streamed request body of bytes `start..=end` of `blob`.
pub fn stream_body(blob: BlobGen, start: u64, end: u64) -> reqwest::Body {
    let it = blob.range(start, end).map(Ok::<Bytes, std::io::Error>);
    reqwest::Body::wrap_stream(futures::stream::iter(it))
}

/// Fails (discarding the body) unless the status is `want`.
async fn expect(head: Head, want: u16, what: &str, url: &Url) -> Result<Head, Failure> {
    if head.status == want {
        return Ok(head);
    }
    let status = head.status;
    discard(head).await;
    Err(Failure::status(
        status,
        format!("{what} {}: {status}, expected {want}", shown(url)),
    ))
}

/// Where an upload goes on: without a usable `Location` it cannot (the contract rules of the
/// request have judged the answer already).
fn location(head: &Head, base: &Url) -> Result<Url, Failure> {
    head.header("location")
        .and_then(|l| base.join(l).ok())
        .ok_or_else(|| {
            Failure::new(
                ErrorKind::Status,
                format!("{}: {} without a usable Location", shown(base), head.status),
            )
        })
}

/// A mix of 64-bit values (deterministic choices from a counter).
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Picks from weighted items with `roll` (any u64).
pub fn pick_weighted<T: Copy>(items: &[(T, u32)], roll: u64) -> T {
    let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut r = roll % total.max(1);
    for (item, w) in items {
        let w = u64::from(*w);
        if r < w {
            return *item;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_picks_follow_weights() {
        let items = [("a", 70), ("b", 20), ("c", 10)];
        let mut counts = std::collections::HashMap::new();
        for i in 0..10_000u64 {
            *counts
                .entry(pick_weighted(&items, splitmix(i)))
                .or_insert(0) += 1;
        }
        let a = counts["a"];
        assert!((6500..7500).contains(&a), "{a}");
        assert!((1500..2500).contains(&counts["b"]));
        assert!((500..1500).contains(&counts["c"]));
        assert_eq!(pick_weighted(&[(1, 0), (2, 5)], 3), 2);
    }
}
