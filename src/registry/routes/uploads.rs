//! Blob upload sessions: StartUpload / MountBlob / monolithic POST, UploadChunk (streamed or
//! with `Content-Range`), GetUploadStatus, CompleteUpload (sha256 or sha512 digest verified; a
//! final chunk with a `Content-Range` held to the order of chunks) and CancelUpload.
//! Bodies are streamed into chunk buffers (memory mode) or a temp file (disk mode) while an
//! incremental sha256 runs, so no request is buffered twice.

use super::super::digest::{DigestKind, parse_digest, valid_repo_name};
use super::super::errors::ApiError;
use super::super::faults::Fault;
use super::{Ctx, empty_response, ensure_repo_writable};
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use sha2::{Digest as _, Sha256, Sha512};
use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

#[derive(Debug)]
enum SessionData {
    Memory(Vec<Bytes>),
    File {
        path: PathBuf,
        writer: BufWriter<tokio::fs::File>,
    },
}

/// One upload session.
#[derive(Debug)]
pub(crate) struct Session {
    repo: String,
    uuid: String,
    offset: u64,
    hasher: Sha256,
    data: SessionData,
    closed: bool,
    /// Bytes of the last PATCH (the chunk that is last so far).
    last_chunk: Option<u64>,
    /// A chunk before the last was shorter than the registry's minimum chunk length.
    short_chunk: bool,
}

type Shared = Arc<tokio::sync::Mutex<Session>>;

/// All open upload sessions (memory only; disk mode keeps their bytes in temp files).
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Shared>>,
    dir: Option<PathBuf>,
}

impl Sessions {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Sessions {
            map: Mutex::new(HashMap::new()),
            dir,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn create(&self, repo: &str) -> Result<Shared, ApiError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let data = match &self.dir {
            None => SessionData::Memory(Vec::new()),
            Some(dir) => {
                let path = dir.join(&uuid);
                let file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| ApiError::internal(format!("cannot create upload file: {e}")))?;
                SessionData::File {
                    path,
                    writer: BufWriter::with_capacity(256 * 1024, file),
                }
            }
        };
        let session = Arc::new(tokio::sync::Mutex::new(Session {
            repo: repo.to_owned(),
            uuid: uuid.clone(),
            offset: 0,
            hasher: Sha256::new(),
            data,
            closed: false,
            last_chunk: None,
            short_chunk: false,
        }));
        self.map().insert(uuid, session.clone());
        Ok(session)
    }

    /// The session; its repository is checked under the session lock by `lock_open`.
    fn get(&self, uuid: &str) -> Result<Shared, ApiError> {
        self.map()
            .get(uuid)
            .cloned()
            .ok_or_else(ApiError::upload_unknown)
    }

    fn remove(&self, uuid: &str) {
        self.map().remove(uuid);
    }
}

async fn lock_open<'a>(
    shared: &'a Shared,
    repo: &str,
) -> Result<tokio::sync::MutexGuard<'a, Session>, ApiError> {
    let guard = shared.lock().await;
    if guard.closed || guard.repo != repo {
        return Err(ApiError::upload_unknown());
    }
    Ok(guard)
}

/// Streams `body` into the session. With `expected`, the body must be exactly that long;
/// on any failure the session is rolled back to where it was.
async fn append(session: &mut Session, body: Body, expected: Option<u64>) -> Result<u64, ApiError> {
    let start = session.offset;
    let saved_hasher = session.hasher.clone();
    let saved_pieces = match &session.data {
        SessionData::Memory(v) => v.len(),
        SessionData::File { .. } => 0,
    };
    let mut received = 0u64;
    let outcome: Result<(), ApiError> = async {
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::upload_invalid(format!("cannot read request body: {e}")))?;
            if chunk.is_empty() {
                continue;
            }
            received += chunk.len() as u64;
            if let Some(exp) = expected
                && received > exp
            {
                return Err(ApiError::upload_invalid(format!(
                    "body is longer than the {exp} bytes announced by Content-Range"
                )));
            }
            session.hasher.update(&chunk);
            match &mut session.data {
                SessionData::Memory(v) => v.push(chunk),
                SessionData::File { writer, .. } => writer
                    .write_all(&chunk)
                    .await
                    .map_err(|e| ApiError::internal(format!("cannot write upload: {e}")))?,
            }
        }
        if let Some(exp) = expected
            && received != exp
        {
            return Err(ApiError::upload_invalid(format!(
                "body has {received} bytes but Content-Range announced {exp}"
            )));
        }
        if let SessionData::File { writer, .. } = &mut session.data {
            writer
                .flush()
                .await
                .map_err(|e| ApiError::internal(format!("cannot write upload: {e}")))?;
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            session.offset = start + received;
            Ok(received)
        }
        Err(e) => {
            session.hasher = saved_hasher;
            match &mut session.data {
                SessionData::Memory(v) => v.truncate(saved_pieces),
                SessionData::File { writer, .. } => {
                    let _ = writer.flush().await;
                    let _ = writer.get_ref().set_len(start).await;
                    let _ = writer.seek(SeekFrom::Start(start)).await;
                }
            }
            Err(e)
        }
    }
}

fn range_value(ctx: &Ctx, offset: u64, off_by_one: bool) -> String {
    let mut end = offset.saturating_sub(1);
    if off_by_one {
        end += 1;
    }
    if ctx.app.has(Fault::BadRangeFormat) {
        format!("bytes 0-{end}")
    } else {
        format!("0-{end}")
    }
}

fn location(ctx: &Ctx, name: &str, uuid: &str, offset: u64) -> String {
    let state = ctx
        .app
        .signer
        .mac_hex(format!("{uuid}:{offset}").as_bytes());
    format!(
        "/v2/{name}/blobs/uploads/{uuid}?_nouploadcache=false&_state={}",
        &state[..32]
    )
}

/// `202` describing a session; which headers are present depends on the step and faults.
fn session_response(
    ctx: &Ctx,
    status: StatusCode,
    name: &str,
    session: &Session,
    is_start: bool,
    is_patch: bool,
) -> Response<Body> {
    let mut headers = Vec::new();
    if !(is_start && ctx.app.has(Fault::MissingStartLocation)) {
        headers.push((
            "location",
            location(ctx, name, &session.uuid, session.offset),
        ));
    }
    let off = is_patch && ctx.app.has(Fault::WrongUploadRange);
    headers.push(("range", range_value(ctx, session.offset, off)));
    if is_start && ctx.app.has(Fault::BadChunkMinLength) {
        headers.push(("oci-chunk-min-length", "1MiB".to_owned()));
    } else if let Some(min) = ctx.app.config.chunk_min_length.filter(|_| is_start) {
        headers.push(("oci-chunk-min-length", min.to_string()));
    }
    if !((is_start || is_patch) && ctx.app.has(Fault::MissingUploadUuid)) {
        headers.push(("docker-upload-uuid", session.uuid.clone()));
    }
    empty_response(status, &headers)
}

/// `POST /v2/<name>/blobs/uploads/`: mount, monolithic upload, or a new session.
pub(crate) async fn post(ctx: &Ctx, name: &str, body: Body) -> Result<Response<Body>, ApiError> {
    ensure_repo_writable(ctx, name)?;
    if let Some(mount) = ctx.q("mount")
        && let Some(resp) = try_mount(ctx, name, mount).await?
    {
        return Ok(resp);
    }
    let shared = ctx.app.sessions.create(name).await?;
    let mut session = shared.lock().await;
    if let Some(digest) = ctx.q("digest").map(str::to_owned) {
        let result = async {
            append(&mut session, body, None).await?;
            finish(ctx, name, &mut session, &digest).await
        }
        .await;
        if result.is_err() {
            discard(ctx, &mut session).await;
        }
        return result;
    }
    Ok(session_response(
        ctx,
        StatusCode::ACCEPTED,
        name,
        &session,
        true,
        false,
    ))
}

async fn try_mount(ctx: &Ctx, name: &str, mount: &str) -> Result<Option<Response<Body>>, ApiError> {
    let Some(DigestKind::Sha256(digest)) = parse_digest(mount) else {
        return Ok(None);
    };
    let Some(from) = ctx.q("from").filter(|f| valid_repo_name(f)) else {
        return Ok(None);
    };
    if !ctx.grant.allows("repository", from, "pull") {
        return Ok(None);
    }
    let available = ctx.app.store.read(|m| {
        m.repos
            .get(from)
            .is_some_and(|r| r.attrs.read_enabled && r.blobs.contains(&digest))
    });
    if !available || ctx.app.store.content(&digest).is_none() {
        return Ok(None);
    }
    link_blob(ctx, name, &digest).await?;
    Ok(Some(empty_response(
        StatusCode::CREATED,
        &[
            ("location", format!("/v2/{name}/blobs/{digest}")),
            ("docker-content-digest", digest.clone()),
        ],
    )))
}

/// Links stored content `digest` into repository `name` (created if missing): what a mount and
/// a finished upload both end with.
async fn link_blob(ctx: &Ctx, name: &str, digest: &str) -> Result<(), ApiError> {
    ctx.app
        .store
        .mutate(|m| {
            let now = m.tick();
            let repo = m.repo_mut(name);
            repo.blobs.insert(digest.to_owned());
            repo.updated = now;
            Ok(())
        })
        .await
}

/// Verifies the digest, stores the content, links it into `name` and answers 201.
async fn finish(
    ctx: &Ctx,
    name: &str,
    session: &mut Session,
    requested: &str,
) -> Result<Response<Body>, ApiError> {
    let digest = match parse_digest(requested) {
        Some(DigestKind::Sha256(d)) => d,
        Some(DigestKind::Other(d)) if d.starts_with("sha512:") => d,
        Some(DigestKind::Other(_)) => {
            return Err(ApiError::digest_invalid(
                "only sha256 and sha512 digests are supported by this registry",
            ));
        }
        None => {
            return Err(ApiError::digest_invalid(format!(
                "`{requested}` is not a valid digest"
            )));
        }
    };
    let actual = if digest.starts_with("sha512:") {
        sha512_of(session).await?
    } else {
        format!("sha256:{}", hex::encode(session.hasher.clone().finalize()))
    };
    if actual != digest && !ctx.app.has(Fault::BadDigestAccepted) {
        return Err(ApiError::digest_invalid(format!(
            "provided digest {digest} did not match uploaded content ({actual})"
        ))
        .with_detail(serde_json::json!({ "digest": digest })));
    }
    let store = &ctx.app.store;
    let exists = store.content(&digest).is_some();
    match &mut session.data {
        SessionData::Memory(pieces) => {
            if !exists {
                let data = match pieces.len() {
                    0 => Bytes::new(),
                    1 => pieces[0].clone(),
                    _ => {
                        let mut all =
                            BytesMut::with_capacity(usize::try_from(session.offset).unwrap_or(0));
                        for p in pieces.iter() {
                            all.extend_from_slice(p);
                        }
                        all.freeze()
                    }
                };
                store
                    .put_bytes(&digest, data)
                    .await
                    .map_err(|e| ApiError::internal(format!("cannot store blob: {e}")))?;
            }
            pieces.clear();
        }
        SessionData::File { path, writer } => {
            writer
                .flush()
                .await
                .map_err(|e| ApiError::internal(format!("cannot write upload: {e}")))?;
            if !exists {
                writer
                    .get_ref()
                    .sync_all()
                    .await
                    .map_err(|e| ApiError::internal(format!("cannot sync upload: {e}")))?;
                store
                    .put_file(&digest, path)
                    .await
                    .map_err(|e| ApiError::internal(format!("cannot store blob: {e}")))?;
            } else {
                let _ = tokio::fs::remove_file(&path).await;
            }
        }
    }
    session.closed = true;
    ctx.app.sessions.remove(&session.uuid);
    link_blob(ctx, name, &digest).await?;
    let mut headers = vec![("docker-content-digest", digest.clone())];
    if !ctx.app.has(Fault::MissingUploadLocation) {
        headers.push(("location", format!("/v2/{name}/blobs/{digest}")));
    }
    Ok(empty_response(StatusCode::CREATED, &headers))
}

/// `sha512:<hex>` of what the session holds. Uploads hash sha256 as they stream; the rare
/// sha512 upload (image-spec: "Implementations MAY implement SHA-512 digest verification")
/// is hashed again from the stored bytes when it closes.
async fn sha512_of(session: &mut Session) -> Result<String, ApiError> {
    let mut h = Sha512::new();
    match &mut session.data {
        SessionData::Memory(pieces) => pieces.iter().for_each(|p| h.update(p)),
        SessionData::File { path, writer } => {
            writer
                .flush()
                .await
                .map_err(|e| ApiError::internal(format!("cannot write upload: {e}")))?;
            let path = path.clone();
            h = tokio::task::spawn_blocking(move || -> std::io::Result<Sha512> {
                let mut file = std::fs::File::open(path)?;
                std::io::copy(&mut file, &mut h)?;
                Ok(h)
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(|e| ApiError::internal(format!("cannot read upload: {e}")))?;
        }
    }
    Ok(format!("sha512:{}", hex::encode(h.finalize())))
}

async fn discard(ctx: &Ctx, session: &mut Session) {
    session.closed = true;
    ctx.app.sessions.remove(&session.uuid);
    match &mut session.data {
        SessionData::Memory(v) => v.clear(),
        SessionData::File { path, .. } => {
            let _ = tokio::fs::remove_file(&path).await;
        }
    }
}

/// Parses `Content-Range: a-b` (also tolerates `bytes a-b`, `bytes=a-b` and a `/total` tail).
fn parse_content_range(raw: &str) -> Option<(u64, u64)> {
    let s = raw.trim();
    let s = s
        .strip_prefix("bytes=")
        .or_else(|| s.strip_prefix("bytes "))
        .unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    let (a, b) = s.trim().split_once('-')?;
    let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
    (b >= a).then_some((a, b))
}

/// The length a request's `Content-Range` declares for its chunk (`None` without one): the
/// chunk must start at the session's offset ("Chunks MUST be uploaded in order", else 416)
/// and agree with `Content-Length`.
fn declared_chunk(
    ctx: &Ctx,
    name: &str,
    uuid: &str,
    session: &Session,
) -> Result<Option<u64>, ApiError> {
    let Some(raw) = ctx.header(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let Some((a, b)) = parse_content_range(raw) else {
        return Err(ApiError::upload_invalid(format!(
            "invalid Content-Range `{raw}` (expected `<start>-<end>`)"
        )));
    };
    if a != session.offset {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UPLOAD_INVALID",
            format!(
                "chunk starts at {a} but the upload is at offset {}",
                session.offset
            ),
        )
        .with_header(header::RANGE, &range_value(ctx, session.offset, false))
        .with_header(header::LOCATION, &location(ctx, name, uuid, session.offset))
        .with_header(header::HeaderName::from_static("docker-upload-uuid"), uuid));
    }
    let len = b - a + 1;
    if let Some(cl) = ctx.header(header::CONTENT_LENGTH)
        && cl.trim().parse::<u64>().ok() != Some(len)
    {
        return Err(ApiError::upload_invalid(format!(
            "Content-Length {cl} does not match Content-Range {raw}"
        )));
    }
    Ok(Some(len))
}

/// `PATCH <upload location>`.
pub(crate) async fn patch(
    ctx: &Ctx,
    name: &str,
    uuid: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let shared = ctx.app.sessions.get(uuid)?;
    ensure_repo_writable(ctx, name)?;
    let mut session = lock_open(&shared, name).await?;
    let expected = declared_chunk(ctx, name, uuid, &session)?;
    let before = session.offset;
    append(&mut session, body, expected).await?;
    note_chunk(ctx, &mut session, before);
    Ok(session_response(
        ctx,
        StatusCode::ACCEPTED,
        name,
        &session,
        false,
        true,
    ))
}

/// `GET <upload location>` → 204 with the current progress.
pub(crate) async fn status(ctx: &Ctx, name: &str, uuid: &str) -> Result<Response<Body>, ApiError> {
    let shared = ctx.app.sessions.get(uuid)?;
    let session = lock_open(&shared, name).await?;
    Ok(session_response(
        ctx,
        StatusCode::NO_CONTENT,
        name,
        &session,
        false,
        false,
    ))
}

/// `PUT <upload location>?digest=` (optional final chunk, with an optional `Content-Range`).
pub(crate) async fn put(
    ctx: &Ctx,
    name: &str,
    uuid: &str,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let shared = ctx.app.sessions.get(uuid)?;
    let Some(digest) = ctx.q("digest").map(str::to_owned) else {
        return Err(ApiError::digest_invalid(
            "the digest query parameter is required to complete an upload",
        ));
    };
    ensure_repo_writable(ctx, name)?;
    let mut session = lock_open(&shared, name).await?;
    // A final chunk with a Content-Range is held to the order of chunks like a PATCH (the
    // post-1.1.1 text: "If the final chunk is uploaded out of order, the registry MUST respond
    // with a `416`"); the session stays open for the right chunk.
    let expected = if ctx.app.has(Fault::FinalChunkOrderIgnored) {
        None
    } else {
        declared_chunk(ctx, name, uuid, &session)?
    };
    let before = session.offset;
    append(&mut session, body, expected).await?;
    note_chunk(ctx, &mut session, before);
    let result = if session.short_chunk {
        Err(ApiError::upload_invalid(format!(
            "every chunk but the last must be at least {} bytes (OCI-Chunk-Min-Length)",
            ctx.app.config.chunk_min_length.unwrap_or(0)
        )))
    } else {
        finish(ctx, name, &mut session, &digest).await
    };
    if result.is_err() {
        discard(ctx, &mut session).await;
    }
    result
}

/// Records a chunk that took the session from `before` to its offset: the previous chunk was
/// not the last, so it is held to the registry's minimum chunk length, if any.
fn note_chunk(ctx: &Ctx, session: &mut Session, before: u64) {
    let len = session.offset - before;
    if len == 0 {
        return;
    }
    if let (Some(min), Some(prev)) = (ctx.app.config.chunk_min_length, session.last_chunk)
        && prev < min
    {
        session.short_chunk = true;
    }
    session.last_chunk = Some(len);
}

/// `DELETE <upload location>` → 204; the session is gone afterwards.
pub(crate) async fn cancel(ctx: &Ctx, name: &str, uuid: &str) -> Result<Response<Body>, ApiError> {
    let shared = ctx.app.sessions.get(uuid)?;
    let mut session = lock_open(&shared, name).await?;
    discard(ctx, &mut session).await;
    Ok(empty_response(StatusCode::NO_CONTENT, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(parse_content_range("0-9"), Some((0, 9)));
        assert_eq!(parse_content_range("bytes 5-9/20"), Some((5, 9)));
        assert_eq!(parse_content_range("bytes=5-9"), Some((5, 9)));
        assert_eq!(parse_content_range("9-5"), None);
        assert_eq!(parse_content_range("x"), None);
    }
}
