//! The prepare phase, outside the measurement: the pool of blobs that reads use (this shard's
//! share of `--pool`, sizes from the size distribution), an image config blob, and a few
//! manifests over pool blobs for the manifest workloads. Everything goes into the run's own
//! namespace and is recorded for cleanup.

use super::error::LoadError;
use super::metrics::{ErrorKind, Failure};
use super::ops::{Ctx, MANIFEST_TYPE, splitmix};
use super::spec::Workload;
use crate::blob::BlobGen;
use bytes::Bytes;
use futures::StreamExt;
use std::time::Instant;

/// A blob of the pool.
#[derive(Debug, Clone)]
pub struct PoolBlob {
    /// Its generator (content is a function of run id and pool index).
    pub blob: BlobGen,
    /// Size in bytes.
    pub size: u64,
    /// `sha256:<hex>`.
    pub digest: String,
    /// `/v2/<pool repo>/blobs/<digest>` on the target (parsed once, read many times).
    pub url: url::Url,
    /// The content, for small blobs while the cache has room: pulls compare with it instead
    /// of hashing.
    pub content: Option<Bytes>,
}

/// Largest pool blob kept in memory for comparison.
const CACHE_BLOB_MAX: u64 = 1 << 20;
/// Memory the pool may keep for comparisons, in all.
const CACHE_TOTAL_MAX: u64 = 64 << 20;

/// A manifest of the pool.
#[derive(Debug, Clone)]
pub struct PoolManifest {
    /// Tag it was pushed under.
    pub tag: String,
    /// Digest of `body`.
    pub digest: String,
    /// The manifest bytes.
    pub body: Bytes,
}

/// An image of the pool (for `image-pull`): a manifest over several pool blobs, or (with
/// `image_platforms`) an OCI index over platform images that are.
#[derive(Debug, Clone)]
pub struct PoolImage {
    /// Tag it was pushed under.
    pub tag: String,
    /// Digest of the manifest (of the index, for a multi-platform image).
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its layers, as indices into the pool's blobs (none for a multi-platform image).
    pub layers: Vec<usize>,
    /// The platform images of a multi-platform image (empty otherwise).
    pub platforms: Vec<PoolPlatform>,
}

/// One platform image of a multi-platform pool image.
#[derive(Debug, Clone)]
pub struct PoolPlatform {
    /// Digest of its manifest.
    pub digest: String,
    /// Manifest size in bytes.
    pub size: u64,
    /// Its layers, as indices into the pool's blobs.
    pub layers: Vec<usize>,
}

/// Architectures the platforms of a multi-platform image are named after, in turn (a
/// `variant` tells apart platforms past the end of the list).
const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "ppc64le", "s390x", "riscv64", "386", "arm",
];

/// The `platform` of the `j`-th platform image.
pub fn platform(j: usize) -> serde_json::Value {
    let arch = ARCHITECTURES[j % ARCHITECTURES.len()];
    match j / ARCHITECTURES.len() {
        0 => serde_json::json!({ "architecture": arch, "os": "linux" }),
        v => serde_json::json!({ "architecture": arch, "os": "linux", "variant": format!("v{v}") }),
    }
}

/// Images pushed for `image-pull` at most.
const POOL_IMAGES: usize = 16;

/// What reads use.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    /// Repository of the pool.
    pub repo: String,
    /// Blobs.
    pub blobs: Vec<PoolBlob>,
    /// Manifests.
    pub manifests: Vec<PoolManifest>,
    /// Images (multi-layer manifests).
    pub images: Vec<PoolImage>,
    /// The image config blob manifests refer to: (digest, size).
    pub config: Option<(String, u64)>,
}

/// Manifests pushed for the manifest workloads at most.
const POOL_MANIFESTS: usize = 16;

/// Uploads in flight during the prepare phase.
const PREPARE_CONCURRENCY: usize = 8;

/// What the prepare phase did.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrepareStats {
    /// Blobs pushed.
    pub blobs: u64,
    /// Bytes pushed.
    pub bytes: u64,
    /// Manifests pushed.
    pub manifests: u64,
    /// Wall time in seconds.
    pub secs: f64,
}

impl Pool {
    /// An OCI image manifest over `layer`, made unique by `annotation`.
    pub fn manifest_for(&self, layer: &PoolBlob, annotation: &str) -> Result<Bytes, Failure> {
        self.manifest_over(&[layer], annotation)
    }

    /// An OCI image manifest over `layers`, made unique by `annotation`.
    pub fn manifest_over(&self, layers: &[&PoolBlob], annotation: &str) -> Result<Bytes, Failure> {
        let (config, config_size) = self
            .config
            .as_ref()
            .ok_or_else(|| Failure::new(ErrorKind::Body, "no config blob in the pool"))?;
        let layers: Vec<(&str, u64)> = layers.iter().map(|l| (l.digest.as_str(), l.size)).collect();
        Self::manifest_of((config, *config_size), &layers, annotation)
    }

    /// An OCI image manifest over `config` and `layers`, each (digest, size), made unique by
    /// `annotation`.
    pub fn manifest_of(
        config: (&str, u64),
        layers: &[(&str, u64)],
        annotation: &str,
    ) -> Result<Bytes, Failure> {
        let (config, config_size) = config;
        let doc = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": crate::vocab::media::OCI_CONFIG,
                "digest": config,
                "size": config_size,
            },
            "layers": layers.iter().map(|(digest, size)| serde_json::json!({
                "mediaType": crate::vocab::media::OCI_LAYER_TAR,
                "digest": digest,
                "size": size,
            })).collect::<Vec<_>>(),
            "annotations": { "io.regcheck.load": annotation },
        });
        serde_json::to_vec(&doc)
            .map(Bytes::from)
            .map_err(|e| Failure::new(ErrorKind::Body, e.to_string()))
    }
}

impl Pool {
    /// An OCI image index over `images` (digest, size), the `j`-th with platform `j`, made unique
    /// by `annotation`.
    pub fn index_of(images: &[(&str, u64)], annotation: &str) -> Result<Bytes, Failure> {
        let doc = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::vocab::media::OCI_INDEX,
            "manifests": images.iter().enumerate().map(|(j, (digest, size))| serde_json::json!({
                "mediaType": MANIFEST_TYPE,
                "digest": digest,
                "size": size,
                "platform": platform(j),
            })).collect::<Vec<_>>(),
            "annotations": { "io.regcheck.load": annotation },
        });
        serde_json::to_vec(&doc)
            .map(Bytes::from)
            .map_err(|e| Failure::new(ErrorKind::Body, e.to_string()))
    }
}

/// Pushes this shard's pool (and, when `manifests`, a config blob and manifests) into
/// `ctx.pool.repo`.
pub async fn prepare(ctx: &mut Ctx, manifests: bool) -> Result<PrepareStats, LoadError> {
    let started = Instant::now();
    let indices = ctx.spec.pool_indices();
    let repo = ctx.pool.repo.clone();
    let mut cached: u64 = 0;
    let blobs: Vec<PoolBlob> = indices
        .iter()
        .map(|&i| {
            let size = super::ops::pick_weighted(&ctx.spec.sizes, splitmix(i as u64));
            let blob = BlobGen::new(&ctx.run_id, i as u64, size);
            let digest = blob.digest();
            let url = ctx.url(&format!("/v2/{repo}/blobs/{digest}"))?;
            let content = (size <= CACHE_BLOB_MAX && cached + size <= CACHE_TOTAL_MAX).then(|| {
                cached += size;
                Bytes::from(blob.all().flat_map(|b| b.to_vec()).collect::<Vec<u8>>())
            });
            Ok(PoolBlob {
                blob,
                size,
                digest,
                url,
                content,
            })
        })
        .collect::<Result<_, Failure>>()
        .map_err(|f| LoadError::Prepare(f.detail))?;
    {
        let shared: &Ctx = ctx;
        let mut uploads = futures::stream::iter(blobs.iter())
            .map(|b| shared.push_blob(&repo, &b.blob, &b.digest, false))
            .buffer_unordered(PREPARE_CONCURRENCY);
        while let Some(r) = uploads.next().await {
            r.map_err(|f| {
                LoadError::Prepare(format!("pushing the pool into {repo}: {}", f.detail))
            })?;
        }
    }
    let mut stats = PrepareStats {
        blobs: blobs.len() as u64,
        bytes: blobs.iter().map(|b| b.size).sum(),
        ..PrepareStats::default()
    };
    ctx.pool.blobs = blobs;
    if manifests {
        let config_bytes = Bytes::from(format!(
            "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"regcheck\":\"{}\"}}",
            ctx.run_id
        ));
        let config_digest = crate::blob::sha256_digest(&config_bytes);
        push_bytes(ctx, &repo, &config_bytes, &config_digest).await?;
        ctx.pool.config = Some((config_digest, config_bytes.len() as u64));
        let count = ctx.pool.blobs.len().min(POOL_MANIFESTS);
        for i in 0..count {
            let layer = ctx.pool.blobs[i].clone();
            let body = ctx
                .pool
                .manifest_for(&layer, &format!("{}-pool-{i}", ctx.run_id))
                .map_err(|f| LoadError::Prepare(f.detail))?;
            let digest = crate::blob::sha256_digest(&body);
            let tag = format!("pool-s{}-{i}", ctx.spec.shard.index);
            put_manifest(ctx, &repo, &tag, &body, MANIFEST_TYPE).await?;
            ctx.pool.manifests.push(PoolManifest { tag, digest, body });
            stats.manifests += 1;
        }
        if ctx.spec.mix.iter().any(|(w, _)| *w == Workload::ImagePull) {
            push_images(ctx, &repo, &mut stats).await?;
        }
    }
    stats.secs = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Pushes the images `image-pull` reads: each a manifest over `image_layers` pool blobs, or an
/// index over `image_platforms` platform images (each by digest, then the index by tag).
async fn push_images(ctx: &mut Ctx, repo: &str, stats: &mut PrepareStats) -> Result<(), LoadError> {
    let n = ctx.pool.blobs.len();
    let per = ctx.spec.image_layers.max(1);
    let platforms = ctx.spec.image_platforms;
    let count = (n / (per * platforms.max(1))).clamp(1, POOL_IMAGES);
    for i in 0..count {
        let tag = format!("image-s{}-{i}", ctx.spec.shard.index);
        let annotation = format!("{}-image-{i}", ctx.run_id);
        let image = if platforms == 0 {
            let layers: Vec<usize> = (0..per).map(|j| (i * per + j) % n).collect();
            let body = manifest_over(ctx, &layers, &annotation)?;
            put_manifest(ctx, repo, &tag, &body, MANIFEST_TYPE).await?;
            stats.manifests += 1;
            PoolImage {
                tag,
                digest: crate::blob::sha256_digest(&body),
                size: body.len() as u64,
                layers,
                platforms: vec![],
            }
        } else {
            let mut images = Vec::with_capacity(platforms);
            for p in 0..platforms {
                let first = (i * platforms + p) * per;
                let layers: Vec<usize> = (0..per).map(|k| (first + k) % n).collect();
                let body = manifest_over(ctx, &layers, &format!("{annotation}-p{p}"))?;
                let digest = crate::blob::sha256_digest(&body);
                put_manifest(ctx, repo, &digest, &body, MANIFEST_TYPE).await?;
                stats.manifests += 1;
                images.push(PoolPlatform {
                    digest,
                    size: body.len() as u64,
                    layers,
                });
            }
            let refs: Vec<(&str, u64)> =
                images.iter().map(|m| (m.digest.as_str(), m.size)).collect();
            let body =
                Pool::index_of(&refs, &annotation).map_err(|f| LoadError::Prepare(f.detail))?;
            put_manifest(ctx, repo, &tag, &body, crate::vocab::media::OCI_INDEX).await?;
            stats.manifests += 1;
            PoolImage {
                tag,
                digest: crate::blob::sha256_digest(&body),
                size: body.len() as u64,
                layers: vec![],
                platforms: images,
            }
        };
        ctx.pool.images.push(image);
    }
    Ok(())
}

/// An image manifest over the pool blobs `layers`.
fn manifest_over(ctx: &Ctx, layers: &[usize], annotation: &str) -> Result<Bytes, LoadError> {
    let blobs: Vec<&PoolBlob> = layers.iter().map(|&k| &ctx.pool.blobs[k]).collect();
    ctx.pool
        .manifest_over(&blobs, annotation)
        .map_err(|f| LoadError::Prepare(f.detail))
}

async fn push_bytes(ctx: &Ctx, repo: &str, bytes: &Bytes, digest: &str) -> Result<(), LoadError> {
    ctx.push_small(repo, bytes.clone(), digest)
        .await
        .map_err(|f| LoadError::Prepare(f.detail))
}

async fn put_manifest(
    ctx: &Ctx,
    repo: &str,
    reference: &str,
    body: &Bytes,
    media_type: &str,
) -> Result<(), LoadError> {
    ctx.put_manifest_as(repo, reference, body.clone(), media_type)
        .await
        .map(|_| ())
        .map_err(|f| LoadError::Prepare(f.detail))
}
