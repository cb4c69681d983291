//! Storage of the embedded registry: a content-addressed blob store (memory, or files under
//! `blobs/sha256/<hex>`, `blobs/sha512/<hex>`) and the repository metadata (links, manifests, tags, attributes),
//! optionally persisted as `metadata.json` with atomic writes (temp file, fsync, rename).

use super::RegistryError;
use super::errors::ApiError;
use super::timefmt::now_nanos;
use axum::body::Body;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// ACR changeable attributes (repository, tag and manifest level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attributes {
    pub delete_enabled: bool,
    pub write_enabled: bool,
    pub read_enabled: bool,
    pub list_enabled: bool,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes {
            delete_enabled: true,
            write_enabled: true,
            read_enabled: true,
            list_enabled: true,
        }
    }
}

/// A platform entry of a manifest list / index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlatformRef {
    pub digest: String,
    pub architecture: Option<String>,
    pub os: Option<String>,
}

/// One manifest of a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ManifestRecord {
    pub media_type: String,
    pub size: u64,
    pub created: i64,
    pub updated: i64,
    pub attrs: Attributes,
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub config_media_type: Option<String>,
    #[serde(default)]
    pub references: Vec<PlatformRef>,
    #[serde(default)]
    pub quarantine_state: Option<String>,
    #[serde(default)]
    pub quarantine_details: Option<String>,
    /// `subject.digest` of the manifest (OCI 1.1: it is listed in that digest's referrers).
    #[serde(default)]
    pub subject: Option<String>,
    /// Non-empty top-level `artifactType` of the manifest.
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// Top-level `annotations` object of the manifest, verbatim.
    #[serde(default)]
    pub annotations: Option<serde_json::Value>,
}

/// One tag of a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TagRecord {
    pub digest: String,
    pub created: i64,
    pub updated: i64,
    pub attrs: Attributes,
}

/// One repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Repo {
    pub created: i64,
    pub updated: i64,
    pub attrs: Attributes,
    /// Blob digests linked into this repository.
    pub blobs: BTreeSet<String>,
    pub manifests: BTreeMap<String, ManifestRecord>,
    pub tags: BTreeMap<String, TagRecord>,
}

impl Repo {
    fn new(now: i64) -> Self {
        Repo {
            created: now,
            updated: now,
            attrs: Attributes::default(),
            blobs: BTreeSet::new(),
            manifests: BTreeMap::new(),
            tags: BTreeMap::new(),
        }
    }

    /// Tags pointing at `digest`, sorted.
    pub fn tags_of(&self, digest: &str) -> Vec<String> {
        self.tags
            .iter()
            .filter(|(_, t)| t.digest == digest)
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// All repository metadata.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub repos: BTreeMap<String, Repo>,
    /// Last timestamp handed out (timestamps are strictly increasing).
    #[serde(default)]
    pub last_time: i64,
    #[serde(skip)]
    generation: u64,
}

impl Meta {
    /// A strictly increasing "now" so that time ordering is total.
    pub fn tick(&mut self) -> i64 {
        let now = i64::try_from(now_nanos()).unwrap_or(i64::MAX);
        let t = if now > self.last_time {
            now
        } else {
            self.last_time.saturating_add(100)
        };
        self.last_time = t;
        t
    }

    /// An existing repository, else `NAME_UNKNOWN`.
    pub fn known_repo(&self, name: &str) -> Result<&Repo, ApiError> {
        self.repos
            .get(name)
            .ok_or_else(|| ApiError::name_unknown(name))
    }

    /// An existing repository for a change, else `NAME_UNKNOWN`.
    pub fn known_repo_mut(&mut self, name: &str) -> Result<&mut Repo, ApiError> {
        self.repos
            .get_mut(name)
            .ok_or_else(|| ApiError::name_unknown(name))
    }

    /// The repository, created if missing.
    pub fn repo_mut(&mut self, name: &str) -> &mut Repo {
        let now = self.tick();
        self.repos
            .entry(name.to_owned())
            .or_insert_with(|| Repo::new(now))
    }
}

/// Readable blob content.
#[derive(Debug, Clone)]
pub(crate) enum BlobData {
    Memory(Bytes),
    File { path: PathBuf, len: u64 },
}

impl BlobData {
    pub fn len(&self) -> u64 {
        match self {
            BlobData::Memory(b) => b.len() as u64,
            BlobData::File { len, .. } => *len,
        }
    }

    /// A streaming body of `len` bytes starting at `start` (no copy of in-memory data).
    pub async fn body(&self, start: u64, len: u64) -> io::Result<Body> {
        match self {
            BlobData::Memory(b) => {
                let s = usize::try_from(start).unwrap_or(usize::MAX).min(b.len());
                let e = usize::try_from(start.saturating_add(len))
                    .unwrap_or(usize::MAX)
                    .min(b.len());
                Ok(Body::from(b.slice(s..e)))
            }
            BlobData::File { path, .. } => {
                let mut file = tokio::fs::File::open(path).await?;
                file.seek(io::SeekFrom::Start(start)).await?;
                let stream = tokio_util::io::ReaderStream::new(file.take(len));
                Ok(Body::from_stream(stream))
            }
        }
    }

    /// The whole content, refusing more than `limit` bytes.
    pub async fn read_all(&self, limit: u64) -> io::Result<Bytes> {
        if self.len() > limit {
            return Err(io::Error::other("blob larger than the read limit"));
        }
        match self {
            BlobData::Memory(b) => Ok(b.clone()),
            BlobData::File { path, .. } => Ok(Bytes::from(tokio::fs::read(path).await?)),
        }
    }
}

/// Content store + metadata.
#[derive(Debug)]
pub(crate) struct Store {
    root: Option<PathBuf>,
    memory: RwLock<HashMap<String, Bytes>>,
    meta: Mutex<Meta>,
    /// Generation of the last metadata snapshot written to disk.
    persisted: tokio::sync::Mutex<u64>,
}

fn storage_err(path: &Path, source: io::Error) -> RegistryError {
    RegistryError::Storage {
        path: path.to_owned(),
        source,
    }
}

impl Store {
    /// Opens the store; with a directory, loads `metadata.json` and clears leftover temp files.
    pub fn open(root: Option<PathBuf>) -> Result<Store, RegistryError> {
        let mut meta = Meta::default();
        if let Some(dir) = &root {
            for sub in ["blobs/sha256", "blobs/sha512", "tmp", "uploads"] {
                let p = dir.join(sub);
                std::fs::create_dir_all(&p).map_err(|e| storage_err(&p, e))?;
            }
            for sub in ["tmp", "uploads"] {
                let p = dir.join(sub);
                let entries = std::fs::read_dir(&p).map_err(|e| storage_err(&p, e))?;
                for entry in entries.flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            let path = dir.join("metadata.json");
            match std::fs::read(&path) {
                Ok(raw) => {
                    meta = serde_json::from_slice(&raw).map_err(|source| {
                        RegistryError::CorruptMetadata {
                            path: path.clone(),
                            source,
                        }
                    })?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(storage_err(&path, e)),
            }
        }
        Ok(Store {
            root,
            memory: RwLock::new(HashMap::new()),
            meta: Mutex::new(meta),
            persisted: tokio::sync::Mutex::new(0),
        })
    }

    /// Directory for upload-session temp files (disk mode only).
    pub fn upload_dir(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join("uploads"))
    }

    fn blob_path(root: &Path, digest: &str) -> PathBuf {
        match digest.split_once(':') {
            Some(("sha512", hex)) => root.join("blobs/sha512").join(hex),
            Some((_, hex)) => root.join("blobs/sha256").join(hex),
            None => root.join("blobs/sha256").join(digest),
        }
    }

    /// Content by digest (regardless of repository links).
    pub fn content(&self, digest: &str) -> Option<BlobData> {
        match &self.root {
            None => self
                .memory
                .read()
                .ok()
                .and_then(|m| m.get(digest).cloned())
                .map(BlobData::Memory),
            Some(root) => {
                if !(digest.starts_with("sha256:") || digest.starts_with("sha512:")) {
                    return None;
                }
                let path = Self::blob_path(root, digest);
                let len = std::fs::metadata(&path).ok()?.len();
                Some(BlobData::File { path, len })
            }
        }
    }

    /// Stores `data` under `digest` (durably in disk mode).
    pub async fn put_bytes(&self, digest: &str, data: Bytes) -> io::Result<()> {
        match &self.root {
            None => {
                self.memory
                    .write()
                    .map_err(|_| io::Error::other("blob store lock poisoned"))?
                    .insert(digest.to_owned(), data);
                Ok(())
            }
            Some(root) => {
                let target = Self::blob_path(root, digest);
                let tmp = root.join("tmp").join(uuid::Uuid::new_v4().to_string());
                tokio::task::spawn_blocking(move || atomic_write(&tmp, &target, &data))
                    .await
                    .map_err(io::Error::other)?
            }
        }
    }

    /// Moves a finished upload file (already fsynced) to its content address.
    pub async fn put_file(&self, digest: &str, file: &Path) -> io::Result<()> {
        let Some(root) = &self.root else {
            return Err(io::Error::other(
                "put_file used without a storage directory",
            ));
        };
        let target = Self::blob_path(root, digest);
        let file = file.to_owned();
        tokio::task::spawn_blocking(move || {
            std::fs::rename(&file, &target)?;
            sync_dir(target.parent())
        })
        .await
        .map_err(io::Error::other)?
    }

    fn lock(&self) -> MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads metadata.
    pub fn read<T>(&self, f: impl FnOnce(&Meta) -> T) -> T {
        f(&self.lock())
    }

    /// Mutates metadata; on success the change is persisted (disk mode) before returning.
    pub async fn mutate<T>(
        &self,
        f: impl FnOnce(&mut Meta) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (value, snapshot) = {
            let mut meta = self.lock();
            let value = f(&mut meta)?;
            meta.generation += 1;
            let snapshot = match &self.root {
                Some(_) => Some((
                    meta.generation,
                    serde_json::to_vec(&*meta)
                        .map_err(|e| ApiError::internal(format!("cannot encode metadata: {e}")))?,
                )),
                None => None,
            };
            (value, snapshot)
        };
        if let (Some(root), Some((generation, bytes))) = (&self.root, snapshot) {
            let mut persisted = self.persisted.lock().await;
            if *persisted < generation {
                let tmp = root.join("tmp").join(uuid::Uuid::new_v4().to_string());
                let target = root.join("metadata.json");
                tokio::task::spawn_blocking(move || atomic_write(&tmp, &target, &bytes))
                    .await
                    .map_err(|e| ApiError::internal(format!("metadata writer failed: {e}")))?
                    .map_err(|e| ApiError::internal(format!("cannot persist metadata: {e}")))?;
                *persisted = generation;
            }
        }
        Ok(value)
    }
}

/// Writes `data` to `tmp`, fsyncs, renames over `target` and fsyncs the directory.
fn atomic_write(tmp: &Path, target: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = std::fs::File::create(tmp)?;
    file.write_all(data)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, target)?;
    sync_dir(target.parent())
}

fn sync_dir(dir: Option<&Path>) -> io::Result<()> {
    if let Some(dir) = dir {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn disk_store_survives_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let digest = super::super::digest::sha256_digest(b"hello");
        {
            let store = Store::open(Some(dir.path().to_owned())).expect("open");
            store
                .put_bytes(&digest, Bytes::from_static(b"hello"))
                .await
                .expect("put");
            store
                .mutate(|m| {
                    m.repo_mut("a/b").blobs.insert(digest.clone());
                    Ok(())
                })
                .await
                .expect("mutate");
        }
        let store = Store::open(Some(dir.path().to_owned())).expect("reopen");
        assert!(store.read(|m| m.repos["a/b"].blobs.contains(&digest)));
        let data = store.content(&digest).expect("content");
        assert_eq!(&data.read_all(100).await.expect("read")[..], b"hello");
    }

    #[test]
    fn ticks_are_strictly_increasing() {
        let mut meta = Meta::default();
        let mut last = 0;
        for _ in 0..1000 {
            let t = meta.tick();
            assert!(t > last);
            last = t;
        }
    }
}
