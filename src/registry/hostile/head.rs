//! Reading one request head off a raw connection, bounded (64 KiB, 10 s), without consuming
//! more than the peer sent: the bytes are kept for replay to the HTTP server.

use std::time::Duration;
use tokio::net::TcpStream;

/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;
/// Longest wait for a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The parts of a request the hostile layer looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Path without query, as sent (percent-encoding kept).
    pub path: String,
    /// Path and query, as sent.
    pub target: String,
}

/// Reads until the end of the request head. `Ok(None)`: the peer closed, took too long or sent
/// a head this layer cannot parse — axum is not given such a connection either.
pub(crate) async fn read(stream: &TcpStream) -> std::io::Result<Option<(Vec<u8>, RequestHead)>> {
    let mut buf = Vec::with_capacity(1024);
    let deadline = tokio::time::Instant::now() + HEAD_TIMEOUT;
    loop {
        if let Some(head) = parse(&buf) {
            return Ok(Some((buf, head)));
        }
        if buf.len() >= MAX_HEAD {
            // Too long to inspect: let the HTTP server judge it.
            return Ok(parse_line(&buf).map(|h| (buf, h)));
        }
        if tokio::time::timeout_at(deadline, stream.readable())
            .await
            .is_err()
        {
            return Ok(None);
        }
        let mut chunk = [0u8; 4096];
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The head, once `buf` holds all of it (`\r\n\r\n` seen).
pub(crate) fn parse(buf: &[u8]) -> Option<RequestHead> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    parse_line(buf)
}

/// The request line of `buf`.
fn parse_line(buf: &[u8]) -> Option<RequestHead> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&buf[..end]).ok()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    Some(RequestHead {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or_default().to_string(),
        target: target.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_only_when_complete() {
        assert_eq!(parse(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n"), None);
        let h = parse(b"GET /v2/a/tags/list?n=1 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/v2/a/tags/list");
        assert_eq!(h.target, "/v2/a/tags/list?n=1");
        assert_eq!(parse(b"\xff\xfe\r\n\r\n"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_decline(buf in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            if let Some(h) = parse(&buf) {
                proptest::prop_assert!(!h.path.contains('?'));
                proptest::prop_assert!(h.target.starts_with(&h.path));
            }
        }
    }
}
