//! What a load run does, as data: the workload mix, blob sizes, load model, stages, bounds and
//! sharding. Built from flags, from a YAML load profile (`scenarios/load/*.yaml`), or both
//! (flags override the profile). Every spec is bounded: by stages, `duration`, `requests`, or
//! the default duration.

use super::error::LoadError;
use super::units::{parse_duration, parse_rate, parse_size};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One kind of operation a load run can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// `GET /v2/<repo>/blobs/<digest>`, the whole blob, verified.
    Pull,
    /// `GET` of one range of `range_size` bytes at a random offset, verified.
    PullRange,
    /// `HEAD /v2/<repo>/blobs/<digest>`.
    Head,
    /// Monolithic push: `POST` uploads, then `PUT ?digest=` with the whole body.
    Push,
    /// Chunked push: `POST`, `PATCH` per `chunk_size`, `PUT ?digest=`.
    PushChunked,
    /// `GET /v2/<repo>/manifests/<tag>`, verified.
    ManifestGet,
    /// `PUT /v2/<repo>/manifests/<tag>` of a new small image manifest.
    ManifestPut,
    /// A fresh token for a pull scope (token-auth targets only).
    Token,
    /// A whole image as a client pulls it: the tag resolved (`HEAD` manifest), the manifest by
    /// digest (through the index and one platform's manifest when `image_platforms` > 0), then
    /// its config and layers (concurrently, bounded), every byte verified.
    ImagePull,
    /// A whole new image pushed: `image_layers` unique layers (monolithic, concurrently,
    /// bounded) and the config, then the manifest under a new tag (with `image_platforms` > 0:
    /// that many platform images by digest, then the index over them under the tag).
    ImagePush,
    /// `ImagePush` with each layer uploaded in `chunk_size` PATCHes.
    ImagePushChunked,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 11] = [
        Workload::Pull,
        Workload::PullRange,
        Workload::Head,
        Workload::Push,
        Workload::PushChunked,
        Workload::ManifestGet,
        Workload::ManifestPut,
        Workload::Token,
        Workload::ImagePull,
        Workload::ImagePush,
        Workload::ImagePushChunked,
    ];

    /// The name used in flags, thresholds and reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Pull => "pull",
            Workload::PullRange => "pull-range",
            Workload::Head => "head",
            Workload::Push => "push",
            Workload::PushChunked => "push-chunked",
            Workload::ManifestGet => "manifest-get",
            Workload::ManifestPut => "manifest-put",
            Workload::Token => "token",
            Workload::ImagePull => "image-pull",
            Workload::ImagePush => "image-push",
            Workload::ImagePushChunked => "image-push-chunked",
        }
    }

    /// Parses a workload name.
    pub fn parse(name: &str) -> Result<Workload, LoadError> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
                LoadError::Config(format!(
                    "unknown workload `{}` (known: {})",
                    name.trim(),
                    names.join(", ")
                ))
            })
    }

    /// Whether it reads the pool of pushed blobs.
    pub fn reads_pool(self) -> bool {
        matches!(
            self,
            Workload::Pull
                | Workload::PullRange
                | Workload::Head
                | Workload::ManifestGet
                | Workload::ImagePull
        )
    }
}

/// Parses `pull=70,push=20,head=10` (a single name means weight 1).
pub fn parse_mix(text: &str) -> Result<Vec<(Workload, u32)>, LoadError> {
    let mut mix: Vec<(Workload, u32)> = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, weight) = match part.split_once('=') {
            Some((n, w)) => (
                n,
                w.trim().parse::<u32>().map_err(|_| {
                    LoadError::Config(format!(
                        "weight `{}` in `{part}` is not a whole number (example: pull=70,push=30)",
                        w.trim()
                    ))
                })?,
            ),
            None => (part, 1),
        };
        let w = Workload::parse(name)?;
        if mix.iter().any(|(x, _)| *x == w) {
            return Err(LoadError::Config(format!(
                "workload `{}` appears twice in `{text}`",
                w.name()
            )));
        }
        mix.push((w, weight));
    }
    if mix.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
        return Err(LoadError::Config(format!(
            "workload mix `{text}` has no positive weight (example: pull=70,push=20,head=10)"
        )));
    }
    Ok(mix)
}

/// Parses `1MiB` or `4KiB:50,1MiB:40,64MiB:10`.
pub fn parse_sizes(text: &str) -> Result<Vec<(u64, u32)>, LoadError> {
    let mut sizes = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (size, weight) = match part.rsplit_once(':') {
            Some((s, w)) => (
                parse_size(s)?,
                w.trim().parse::<u32>().map_err(|_| {
                    LoadError::Config(format!(
                        "weight `{}` in `{part}` is not a whole number (example: 4KiB:50,1MiB:50)",
                        w.trim()
                    ))
                })?,
            ),
            None => (parse_size(part)?, 1),
        };
        sizes.push((size, weight));
    }
    if sizes.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
        return Err(LoadError::Config(format!(
            "blob sizes `{text}` have no positive weight (example: 4KiB:50,1MiB:50)"
        )));
    }
    Ok(sizes)
}

/// One stage: move linearly to `target` (concurrency or rate) over `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Length of the stage.
    #[serde(with = "secs")]
    pub duration: Duration,
    /// Concurrency (closed model) or requests per second (open model) at its end.
    pub target: f64,
}

/// Parses `10s:5,60s:50,10s:0`.
pub fn parse_stages(text: &str) -> Result<Vec<Stage>, LoadError> {
    let mut stages = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (d, t) = part.split_once(':').ok_or_else(|| {
            LoadError::Config(format!(
                "stage `{part}` is not DURATION:TARGET (example: 10s:5,60s:50,10s:0)"
            ))
        })?;
        let target = parse_rate(t)?;
        stages.push(Stage {
            duration: parse_duration(d)?,
            target,
        });
    }
    if stages.is_empty() {
        return Err(LoadError::Config("--stages is empty".into()));
    }
    Ok(stages)
}

/// How requests are issued.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Model {
    /// `concurrency` workers each send the next request when the previous one ends.
    Closed {
        /// Workers.
        concurrency: usize,
    },
    /// Requests start on a schedule of `rate` per second whatever the target does; latency is
    /// measured from the intended start, so stalls are not hidden (no coordinated omission).
    Open {
        /// Requests per second.
        rate: f64,
        /// Requests in flight at most; beyond it, requests wait (and their wait counts).
        max_in_flight: usize,
    },
}

/// `i/N`: this generator is shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = LoadError;
    fn from_str(s: &str) -> Result<Self, LoadError> {
        let bad = || {
            LoadError::Config(format!(
                "--shard `{s}` is not INDEX/COUNT with 0 <= INDEX < COUNT (example: 0/4)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count || count > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A complete, validated load specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSpec {
    /// Workloads with weights.
    pub mix: Vec<(Workload, u32)>,
    /// Blob sizes with weights.
    pub sizes: Vec<(u64, u32)>,
    /// Bytes per ranged GET.
    pub range_size: u64,
    /// Bytes per PATCH in chunked pushes.
    pub chunk_size: u64,
    /// Blobs pushed in the prepare phase for reads (across all shards).
    pub pool: usize,
    /// Layers of each image the image workloads pull (pool blobs, so sizes follow `sizes`).
    #[serde(default = "default_image_layers")]
    pub image_layers: usize,
    /// Platforms of each image of the image workloads: 0 (default) for a plain image manifest,
    /// N for a multi-platform image, an OCI image index over N platform manifests (each with
    /// `image_layers` layers and its own config when pushed).
    #[serde(default)]
    pub image_platforms: usize,
    /// Load model.
    pub model: Model,
    /// Stages (empty: constant load).
    pub stages: Vec<Stage>,
    /// Measured time bound (after warm-up).
    #[serde(with = "opt_secs")]
    pub duration: Option<Duration>,
    /// Request bound (measured requests).
    pub requests: Option<u64>,
    /// Time at the start whose requests are not recorded.
    #[serde(with = "secs")]
    pub warmup: Duration,
    /// Verify every pulled byte against its digest.
    pub verify: bool,
    /// Shard of a distributed run.
    pub shard: Shard,
}

/// Platforms of a multi-platform image at most.
pub const MAX_IMAGE_PLATFORMS: usize = 64;

/// Layers per image unless set.
pub const DEFAULT_IMAGE_LAYERS: usize = 3;

fn default_image_layers() -> usize {
    DEFAULT_IMAGE_LAYERS
}

/// Duration used when nothing else bounds a run.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

impl LoadSpec {
    /// Checks the spec is coherent and bounded.
    pub fn validate(&self) -> Result<(), LoadError> {
        if self.mix.is_empty() {
            return Err(LoadError::Config("no workload given".into()));
        }
        if self.mix.iter().any(|(w, _)| w.reads_pool()) && self.pool == 0 {
            return Err(LoadError::Config(
                "--pool must be at least 1 for pull, head and manifest workloads".into(),
            ));
        }
        if self.pool > 100_000 {
            return Err(LoadError::Config(
                "--pool is limited to 100,000 blobs".into(),
            ));
        }
        let shard_pool = self.pool_indices().len();
        if self.mix.iter().any(|(w, _)| w.reads_pool()) && shard_pool == 0 {
            return Err(LoadError::Config(format!(
                "--pool {} leaves shard {}/{} without blobs; use a pool of at least {} blobs",
                self.pool, self.shard.index, self.shard.count, self.shard.count
            )));
        }
        if self.range_size == 0 {
            return Err(LoadError::Config("--range-size must be positive".into()));
        }
        if self.image_platforms > MAX_IMAGE_PLATFORMS {
            return Err(LoadError::Config(format!(
                "--image-platforms is limited to {MAX_IMAGE_PLATFORMS} (an index over that many images)"
            )));
        }
        if self.chunk_size == 0 {
            return Err(LoadError::Config("--chunk-size must be positive".into()));
        }
        match self.model {
            Model::Closed { concurrency } if concurrency == 0 || concurrency > 10_000 => {
                return Err(LoadError::Config(
                    "--concurrency must be between 1 and 10,000".into(),
                ));
            }
            Model::Open {
                rate,
                max_in_flight,
            } if (rate <= 0.0 && self.stages.is_empty())
                || max_in_flight == 0
                || max_in_flight > 100_000 =>
            {
                return Err(LoadError::Config(
                    "--rate must be positive and --max-in-flight between 1 and 100,000".into(),
                ));
            }
            _ => {}
        }
        if self.stages.iter().any(|s| s.target > 10_000_000.0) {
            return Err(LoadError::Config("a stage target is too large".into()));
        }
        if let Model::Closed { .. } = self.model
            && self.stages.iter().any(|s| s.target > 10_000.0)
        {
            return Err(LoadError::Config(
                "in the closed model a stage target is a concurrency (at most 10,000)".into(),
            ));
        }
        Ok(())
    }

    /// How long the measured part lasts at most (stages, else `duration`, else the default
    /// unless a request count bounds the run).
    pub fn measured_limit(&self) -> Option<Duration> {
        if !self.stages.is_empty() {
            let total: Duration = self.stages.iter().map(|s| s.duration).sum();
            let total = total.saturating_sub(self.warmup);
            return Some(self.duration.map_or(total, |d| d.min(total)));
        }
        match (self.duration, self.requests) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_DURATION),
        }
    }

    /// The pool indices this shard owns (`index`, `index + count`, ...).
    pub fn pool_indices(&self) -> Vec<usize> {
        (0..self.pool)
            .filter(|i| *i % self.shard.count as usize == self.shard.index as usize)
            .collect()
    }

    /// The load level (concurrency or rate) at `elapsed` since the start, warm-up included.
    pub fn level_at(&self, elapsed: Duration) -> f64 {
        let base = match self.model {
            Model::Closed { concurrency } => concurrency as f64,
            Model::Open { rate, .. } => rate,
        };
        if self.stages.is_empty() {
            return base;
        }
        let mut from = 0.0;
        let mut start = Duration::ZERO;
        for s in &self.stages {
            let end = start + s.duration;
            if elapsed < end {
                let frac = if s.duration.is_zero() {
                    1.0
                } else {
                    (elapsed - start).as_secs_f64() / s.duration.as_secs_f64()
                };
                return from + (s.target - from) * frac;
            }
            from = s.target;
            start = end;
        }
        from
    }
}

/// Serde for `Duration` as fractional seconds.
mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}

/// Serde for `Option<Duration>` as fractional seconds.
mod opt_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<f64>::deserialize(d)? {
            Some(v) => Duration::try_from_secs_f64(v)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LoadSpec {
        LoadSpec {
            mix: vec![(Workload::Pull, 1)],
            sizes: vec![(1024, 1)],
            range_size: 512,
            chunk_size: 512,
            pool: 4,
            image_layers: 1,
            image_platforms: 0,
            model: Model::Closed { concurrency: 2 },
            stages: vec![],
            duration: None,
            requests: None,
            warmup: Duration::ZERO,
            verify: true,
            shard: Shard::default(),
        }
    }

    #[test]
    fn mixes_sizes_and_stages_parse() {
        let mix = parse_mix("pull=70,push=20,head=10").unwrap();
        assert_eq!(
            mix,
            vec![
                (Workload::Pull, 70),
                (Workload::Push, 20),
                (Workload::Head, 10)
            ]
        );
        assert!(parse_mix("pull=70,pull=1").is_err());
        assert!(
            parse_mix("pul=1")
                .unwrap_err()
                .to_string()
                .contains("known: pull")
        );
        assert!(parse_mix("pull=0").is_err());
        assert!(parse_mix("pull=x").is_err());
        let sizes = parse_sizes("4KiB:50,1MiB:40,64MiB:10").unwrap();
        assert_eq!(sizes[2], (64 << 20, 10));
        assert_eq!(parse_sizes("1MiB").unwrap(), vec![(1 << 20, 1)]);
        let stages = parse_stages("10s:5,60s:50,10s:0").unwrap();
        assert_eq!(stages.len(), 3);
        assert_eq!(stages[1].target, 50.0);
        assert!(parse_stages("10s").is_err());
    }

    #[test]
    fn stages_ramp_linearly_and_bound_the_run() {
        let mut s = spec();
        s.stages = parse_stages("10s:10,10s:10,10s:0").unwrap();
        assert_eq!(s.level_at(Duration::from_secs(5)), 5.0);
        assert_eq!(s.level_at(Duration::from_secs(15)), 10.0);
        assert_eq!(s.level_at(Duration::from_secs(25)), 5.0);
        assert_eq!(s.level_at(Duration::from_secs(99)), 0.0);
        assert_eq!(s.measured_limit(), Some(Duration::from_secs(30)));
        s.warmup = Duration::from_secs(5);
        assert_eq!(s.measured_limit(), Some(Duration::from_secs(25)));
    }

    #[test]
    fn runs_are_always_bounded() {
        let mut s = spec();
        assert_eq!(s.measured_limit(), Some(DEFAULT_DURATION));
        s.requests = Some(10);
        assert_eq!(s.measured_limit(), None);
        s.duration = Some(Duration::from_secs(3));
        assert_eq!(s.measured_limit(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn shards_split_the_pool_and_are_validated() {
        let mut s = spec();
        s.pool = 10;
        s.shard = "1/3".parse().unwrap();
        assert_eq!(s.pool_indices(), vec![1, 4, 7]);
        assert!("3/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        s.pool = 1;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("without blobs")
        );
        s.pool = 0;
        assert!(s.validate().is_err());
    }
}
