//! The raw answers of the hostile faults, one function each. Bodies are generated lazily and
//! written in chunks; a write error (the client left) ends the answer; the caller bounds the
//! whole answer by `MAX_ANSWER_TIME`.

use super::gzip::Bomb;
use super::head::RequestHead;
use crate::registry::faults::Fault;
use crate::registry::routes::{App, Route, parse_route};
use percent_encoding::percent_decode_str;
use std::io;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// 13-byte patterns of the served gzip bomb: 13 MiB that inflate to 2.16 GB.
pub(crate) const BOMB_BLOCKS: u64 = 1 << 20;
/// How long a never-answered request is held before the connection closes.
const NEVER_ANSWER_HOLD: Duration = Duration::from_secs(90);
/// Announced length of the huge manifest: 10 GiB.
const HUGE_MANIFEST_LEN: u64 = 10 * 1024 * 1024 * 1024;
/// Most bytes of the chunked JSON list.
const HUGE_LIST_MAX: u64 = 1024 * 1024 * 1024;
/// Size of the oversized header's value.
const HUGE_HEADER: usize = 1024 * 1024;
/// JSON nesting of the deep body.
const DEEP: usize = 100_000;
/// Largest blob the layer loads to misbehave with; larger or unknown blobs get 1 MiB of filler.
const BLOB_READ_LIMIT: u64 = 64 * 1024 * 1024;

const API: &str = "Docker-Distribution-Api-Version: registry/2.0\r\n";

async fn head(stream: &mut TcpStream, status: &str, headers: &[String]) -> io::Result<()> {
    let mut h = format!("HTTP/1.1 {status}\r\n{API}");
    for line in headers {
        h.push_str(line);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    stream.write_all(h.as_bytes()).await
}

/// The digest a blob GET names.
fn requested_digest(req: &RequestHead) -> Option<String> {
    let last = req.path.rsplit("/blobs/").next()?;
    Some(percent_decode_str(last).decode_utf8().ok()?.into_owned())
}

/// Whether the blob a GET asks for is linked into its repository (else the registry's own
/// 404 stands).
pub(crate) fn holds_blob(req: &RequestHead, app: &App) -> bool {
    let decoded = percent_decode_str(&req.path).decode_utf8_lossy();
    let Some(Route::Blob { name, digest }) = parse_route(&decoded) else {
        return false;
    };
    app.store.content(&digest).is_some()
        && app
            .store
            .read(|m| m.known_repo(&name).is_ok_and(|r| r.blobs.contains(&digest)))
}

/// The blob a GET asks for (digest and bytes), when the registry holds it.
async fn blob(req: &RequestHead, app: &App) -> Option<(String, bytes::Bytes)> {
    let digest = requested_digest(req)?;
    let data = app.store.content(&digest)?;
    let bytes = data.read_all(BLOB_READ_LIMIT).await.ok()?;
    Some((digest, bytes))
}

/// The blob's bytes, or 1 MiB of filler for a blob the registry does not hold.
async fn blob_or_filler(req: &RequestHead, app: &App) -> (String, bytes::Bytes) {
    match blob(req, app).await {
        Some(b) if b.1.len() >= 2 => b,
        _ => {
            let filler = vec![0u8; 1 << 20];
            (
                crate::blob::sha256_digest(&filler),
                bytes::Bytes::from(filler),
            )
        }
    }
}

fn blob_headers(digest: &str, len: u64) -> Vec<String> {
    vec![
        "Content-Type: application/octet-stream".into(),
        format!("Docker-Content-Digest: {digest}"),
        format!("Content-Length: {len}"),
    ]
}

/// Writes `total` bytes made by `fill` in chunks of up to 64 KiB; stops when the client leaves.
async fn stream_lazily(
    stream: &mut TcpStream,
    total: u64,
    mut fill: impl FnMut(u64, &mut Vec<u8>),
) -> io::Result<()> {
    let mut sent = 0u64;
    let mut buf = Vec::with_capacity(64 * 1024);
    while sent < total {
        buf.clear();
        fill(sent, &mut buf);
        let n = (buf.len() as u64).min(total - sent) as usize;
        stream.write_all(&buf[..n]).await?;
        sent += n as u64;
    }
    Ok(())
}

/// Answers `req` the way `fault` misbehaves.
pub(crate) async fn answer(
    fault: Fault,
    stream: &mut TcpStream,
    req: &RequestHead,
    app: &App,
) -> io::Result<()> {
    match fault {
        Fault::GarbageStatusLine => {
            stream
                .write_all(b"HTTP/1.1 2x0 Fine\r\nContent-Length: 0\r\n\r\n")
                .await?;
        }
        Fault::NonHttpBytes => {
            let mut junk = b"SSH-2.0-regcheck-hostile\r\n".to_vec();
            junk.extend((0..1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
            stream.write_all(&junk).await?;
        }
        Fault::HugeManifest => {
            let ct = "Content-Type: application/vnd.oci.image.manifest.v1+json";
            head(
                stream,
                "200 OK",
                &[ct.into(), format!("Content-Length: {HUGE_MANIFEST_LEN}")],
            )
            .await?;
            let prefix = br#"{"schemaVersion":2,"annotations":{"x":""#;
            stream_lazily(stream, HUGE_MANIFEST_LEN, |sent, buf| {
                if sent == 0 {
                    buf.extend_from_slice(prefix);
                }
                buf.resize(64 * 1024, b'a');
            })
            .await?;
        }
        Fault::HugeJsonList => {
            head(
                stream,
                "200 OK",
                &[
                    "Content-Type: application/json".into(),
                    "Transfer-Encoding: chunked".into(),
                ],
            )
            .await?;
            let mut i = 0u64;
            let mut sent = 0u64;
            let mut piece = br#"{"name":"hostile","tags":["#.to_vec();
            while sent < HUGE_LIST_MAX {
                while piece.len() < 60 * 1024 {
                    piece.extend_from_slice(format!("\"tag-{i:012}\",").as_bytes());
                    i += 1;
                }
                let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                chunk.extend_from_slice(&piece);
                chunk.extend_from_slice(b"\r\n");
                stream.write_all(&chunk).await?;
                sent += piece.len() as u64;
                piece.clear();
            }
            stream
                .write_all(b"d\r\n\"tag-last\"]}\r\n0\r\n\r\n")
                .await?;
        }
        Fault::OversizedHeader => {
            let pad = format!("X-Hostile-Padding: {}", "a".repeat(HUGE_HEADER));
            let ct = "Content-Type: application/vnd.oci.image.manifest.v1+json";
            head(
                stream,
                "200 OK",
                &[ct.into(), pad, "Content-Length: 2".into()],
            )
            .await?;
            stream.write_all(b"{}").await?;
        }
        Fault::SlowBlobBody => {
            let (digest, bytes) = blob_or_filler(req, app).await;
            head(stream, "200 OK", &blob_headers(&digest, bytes.len() as u64)).await?;
            for b in bytes.iter() {
                stream.write_all(&[*b]).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Fault::NeverAnswer => {
            tokio::time::sleep(NEVER_ANSWER_HOLD).await;
        }
        Fault::BodyCutShort => {
            let (digest, bytes) = blob_or_filler(req, app).await;
            head(stream, "200 OK", &blob_headers(&digest, bytes.len() as u64)).await?;
            stream.write_all(&bytes[..bytes.len() / 2]).await?;
            stream.shutdown().await?;
        }
        Fault::ContentLengthShort => {
            let (digest, bytes) = blob_or_filler(req, app).await;
            let short = (bytes.len() / 2) as u64;
            head(stream, "200 OK", &blob_headers(&digest, short)).await?;
            stream.write_all(&bytes).await?;
            // Keep the connection open a moment: a client that reuses it reads the excess.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Fault::TruncatedJson => {
            let body = br#"{"name":"hostile","tags":["v1","v2""#;
            head(
                stream,
                "200 OK",
                &[
                    "Content-Type: application/json".into(),
                    format!("Content-Length: {}", body.len()),
                ],
            )
            .await?;
            stream.write_all(body).await?;
        }
        Fault::DeepJson => {
            head(
                stream,
                "200 OK",
                &[
                    "Content-Type: application/json".into(),
                    format!("Content-Length: {}", 2 * DEEP),
                ],
            )
            .await?;
            stream_lazily(stream, 2 * DEEP as u64, |sent, buf| {
                let open = (DEEP as u64).saturating_sub(sent) as usize;
                buf.resize(open.min(64 * 1024), b'[');
                buf.resize(64 * 1024, b']');
            })
            .await?;
        }
        Fault::RedirectLoop => {
            head(
                stream,
                "307 Temporary Redirect",
                &[
                    format!("Location: {}", req.target),
                    "Content-Length: 0".into(),
                ],
            )
            .await?;
        }
        Fault::ResetMidBody => {
            let (digest, bytes) = blob_or_filler(req, app).await;
            head(stream, "200 OK", &blob_headers(&digest, bytes.len() as u64)).await?;
            stream.write_all(&bytes[..bytes.len() / 2]).await?;
            stream.flush().await?;
            // Give the bytes a moment to leave, then close with RST instead of FIN.
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.set_zero_linger()?;
        }
        Fault::GzipBomb => {
            let bomb = Bomb::new(BOMB_BLOCKS);
            let (digest, _) = blob_or_filler(req, app).await;
            let mut headers = blob_headers(&digest, bomb.len());
            headers.push("Content-Encoding: gzip".into());
            head(stream, "200 OK", &headers).await?;
            for chunk in bomb.chunks(64 * 1024) {
                stream.write_all(&chunk).await?;
            }
        }
        // Narrow faults are answered by the routes, never here.
        _ => {}
    }
    stream.flush().await
}
