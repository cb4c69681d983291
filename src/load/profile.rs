//! Load settings as flags and YAML load profiles (`scenarios/load/*.yaml`) write them, and their
//! conversion into a validated `LoadSpec`. A profile gives defaults; flags given on the command
//! line override them field by field.

use super::error::LoadError;
use super::spec::{self, LoadSpec, Model, Shard};
use super::threshold::Threshold;
use super::units::{parse_duration, parse_rate, parse_size};
use serde::{Deserialize, Deserializer};
use std::path::Path;

/// Every setting, unparsed; `None` means "not given here".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Profile name (informational).
    #[serde(default)]
    pub name: Option<String>,
    /// What the profile is for (informational).
    #[serde(default)]
    pub description: Option<String>,
    /// `pull=70,push=20,head=10`.
    #[serde(default, deserialize_with = "text")]
    pub workload: Option<String>,
    /// `1MiB` or `4KiB:50,1MiB:50`.
    #[serde(default, deserialize_with = "text")]
    pub blob_size: Option<String>,
    /// Bytes per ranged GET.
    #[serde(default, deserialize_with = "text")]
    pub range_size: Option<String>,
    /// Bytes per PATCH.
    #[serde(default, deserialize_with = "text")]
    pub chunk_size: Option<String>,
    /// Pool blobs.
    #[serde(default)]
    pub pool: Option<usize>,
    /// Layers per image (image workloads).
    #[serde(default)]
    pub image_layers: Option<usize>,
    /// Platforms per image: 0 for plain images, N for an index over N platform images.
    #[serde(default)]
    pub image_platforms: Option<usize>,
    /// Closed model workers.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Open model rate (`200` or `200/s`).
    #[serde(default, deserialize_with = "text")]
    pub rate: Option<String>,
    /// Open model in-flight bound.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    /// `10s:5,60s:50,10s:0`.
    #[serde(default, deserialize_with = "text")]
    pub stages: Option<String>,
    /// Measured duration.
    #[serde(default, deserialize_with = "text")]
    pub duration: Option<String>,
    /// Measured requests.
    #[serde(default)]
    pub requests: Option<u64>,
    /// Warm-up.
    #[serde(default, deserialize_with = "text")]
    pub warmup: Option<String>,
    /// Verify pulled bytes.
    #[serde(default)]
    pub verify: Option<bool>,
    /// `i/N`.
    #[serde(default, deserialize_with = "text")]
    pub shard: Option<String>,
    /// Thresholds.
    #[serde(default)]
    pub thresholds: Vec<String>,
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_yaml::Value>::deserialize(d)? {
        None | Some(serde_yaml::Value::Null) => Ok(None),
        Some(serde_yaml::Value::String(s)) => Ok(Some(s)),
        Some(serde_yaml::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_yaml::Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(serde::de::Error::custom(
            "expected a string or a number (example: 1MiB, 10s, pull=70,push=30)",
        )),
    }
}

/// Reads a YAML load profile; errors carry `file:line:column`.
pub fn load_profile(path: &Path) -> Result<Settings, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Profile {
        path: shown.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let settings: Settings = serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("{}:{}: ", l.line(), l.column()))
            .unwrap_or_default();
        LoadError::Profile {
            path: format!("{shown}:{}", at.trim_end_matches(": ")),
            message: e.to_string(),
        }
    })?;
    // Thresholds are checked now, so a typo fails before any load is sent.
    for t in &settings.thresholds {
        t.parse::<Threshold>().map_err(|e| LoadError::Profile {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(settings)
}

macro_rules! overlay {
    ($base:ident, $over:ident, $($f:ident),*) => {
        $( if $over.$f.is_some() { $base.$f = $over.$f; } )*
    };
}

impl Settings {
    /// These settings with every field `over` gives replacing ours (thresholds add up).
    pub fn overlay(mut self, over: Settings) -> Settings {
        overlay!(
            self,
            over,
            name,
            description,
            workload,
            blob_size,
            range_size,
            chunk_size,
            pool,
            image_layers,
            image_platforms,
            concurrency,
            rate,
            max_in_flight,
            stages,
            duration,
            requests,
            warmup,
            verify,
            shard
        );
        self.thresholds.extend(over.thresholds);
        self
    }

    /// The thresholds, parsed.
    pub fn thresholds(&self) -> Result<Vec<Threshold>, LoadError> {
        self.thresholds.iter().map(|t| t.parse()).collect()
    }

    /// The validated spec these settings describe (defaults: `pull`, 1 MiB blobs, a pool of
    /// 16, 8 workers, 10 s).
    pub fn to_spec(&self) -> Result<LoadSpec, LoadError> {
        let mix = spec::parse_mix(self.workload.as_deref().unwrap_or("pull"))?;
        let sizes = spec::parse_sizes(self.blob_size.as_deref().unwrap_or("1MiB"))?;
        let stages = match &self.stages {
            Some(s) => spec::parse_stages(s)?,
            None => Vec::new(),
        };
        let model = match (&self.rate, self.concurrency) {
            (Some(_), Some(_)) => {
                return Err(LoadError::Config(
                    "give --rate (open model) or --concurrency (closed model), not both".into(),
                ));
            }
            (Some(r), None) => Model::Open {
                rate: parse_rate(r)?,
                max_in_flight: self.max_in_flight.unwrap_or(1000),
            },
            (None, c) => {
                if self.max_in_flight.is_some() {
                    return Err(LoadError::Config(
                        "--max-in-flight applies to the open model only (with --rate)".into(),
                    ));
                }
                Model::Closed {
                    concurrency: c.unwrap_or(8),
                }
            }
        };
        let spec = LoadSpec {
            mix,
            sizes,
            range_size: parse_size(self.range_size.as_deref().unwrap_or("64KiB"))?,
            chunk_size: parse_size(self.chunk_size.as_deref().unwrap_or("1MiB"))?,
            pool: self.pool.unwrap_or(16),
            image_layers: self
                .image_layers
                .unwrap_or(spec::DEFAULT_IMAGE_LAYERS)
                .max(1),
            image_platforms: self.image_platforms.unwrap_or(0),
            model,
            stages,
            duration: self.duration.as_deref().map(parse_duration).transpose()?,
            requests: self.requests,
            warmup: parse_duration(self.warmup.as_deref().unwrap_or("0s"))?,
            verify: self.verify.unwrap_or(true),
            shard: match &self.shard {
                Some(s) => s.parse::<Shard>()?,
                None => Shard::default(),
            },
        };
        spec.validate()?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn flags_override_profiles_and_errors_point_at_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.yaml");
        std::fs::File::create(&p)
            .unwrap()
            .write_all(b"name: mixed\nworkload: pull=70,push=30\nblob_size: 4KiB\npool: 4\nduration: 5\nthresholds: [\"pull.p99<1s\"]\n")
            .unwrap();
        let prof = load_profile(&p).unwrap();
        let over = Settings {
            blob_size: Some("1MiB".into()),
            thresholds: vec!["error_rate<1%".into()],
            ..Settings::default()
        };
        let merged = prof.overlay(over);
        let spec = merged.to_spec().unwrap();
        assert_eq!(spec.sizes, vec![(1 << 20, 1)]);
        assert_eq!(spec.pool, 4);
        assert_eq!(spec.duration, Some(std::time::Duration::from_secs(5)));
        assert_eq!(merged.thresholds().unwrap().len(), 2);

        std::fs::write(&p, "workload: pull\npools: 3\n").unwrap();
        let e = load_profile(&p).unwrap_err().to_string();
        assert!(e.contains("p.yaml:2:"), "{e}");
        assert!(e.contains("pools"), "{e}");
        std::fs::write(&p, "thresholds: [\"pull.p99<fast\"]\n").unwrap();
        assert!(
            load_profile(&p)
                .unwrap_err()
                .to_string()
                .contains("threshold")
        );
    }

    #[test]
    fn conflicting_models_are_refused() {
        let s = Settings {
            rate: Some("10".into()),
            concurrency: Some(2),
            ..Settings::default()
        };
        assert!(s.to_spec().is_err());
        let s = Settings {
            max_in_flight: Some(2),
            ..Settings::default()
        };
        assert!(s.to_spec().is_err());
    }
}
