//! A hand-written loopback HTTP server for tests that need a target behaving in ways no real
//! registry would: it records every request and answers with a closure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What a fake server saw: request line and headers (lower-cased names) per request.
pub type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// One request as a recording server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    /// Request line.
    pub line: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body (at most 1 MiB, lossy UTF-8).
    pub body: String,
}

impl Req {
    /// A header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Status code, headers, body.
pub type Reply = (u16, Vec<(String, String)>, Vec<u8>);
/// Every request a recording server received.
pub type Log = Arc<Mutex<Vec<Req>>>;

/// A loopback server answering each request (one per connection, at most 500 connections)
/// with `handler`, recording request lines, headers and bodies.
pub fn recorder(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let log: Log = Arc::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(500) {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len.min(1 << 20)];
            let _ = reader.read_exact(&mut body);
            let req = Req {
                line: line.trim_end().to_string(),
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            let (status, resp_headers, resp_body) = handler(&req);
            log2.lock().expect("lock").push(req);
            let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
            for (k, v) in resp_headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", resp_body.len()));
            let _ = conn.write_all(out.as_bytes());
            let _ = conn.write_all(&resp_body);
        }
    });
    (url, log)
}

/// Serves `handler(request line, headers) -> (status line, headers, body)` on a loopback port,
/// one request per connection; `Seen` holds request lines and headers.
pub fn fake_server(
    handler: impl Fn(&str, &[(String, String)]) -> (String, Vec<(String, String)>, Vec<u8>)
    + Send
    + Sync
    + 'static,
) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let (url, _log) = recorder(move |req| {
        seen2
            .lock()
            .expect("lock")
            .push((req.line.clone(), req.headers.clone()));
        let (status, headers, body) = handler(&req.line, &req.headers);
        // "404 Not Found" → 404 (the reason phrase is written as "X").
        let code = status
            .split_whitespace()
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(500);
        (code, headers, body)
    });
    (url, seen)
}

pub fn errors(code: &str) -> Vec<u8> {
    format!(r#"{{"errors":[{{"code":"{code}","message":"x"}}]}}"#).into_bytes()
}

pub fn h(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}
