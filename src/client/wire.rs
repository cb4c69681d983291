//! The lean path's wire lane for body-less reads (GET, HEAD) on plain-http targets: HTTP/1.1
//! written and parsed here (heads by `httparse`) over a pool of kept-alive connections, one
//! request at a time on each (no pipelining). It exists for the load engine's cost: no task,
//! channel or copy between the caller and the socket, and bodies read straight into the
//! connection's buffer and lent out as slices (a large body costs one copy out of the kernel,
//! then the hash). Framing follows RFC 9112 §6.3: bodiless answers to HEAD and 1xx/204/304,
//! then chunked, then `Content-Length`, else to the close. A pooled connection that the server
//! closed while idle is retried once on a new one when nothing came back (GET and HEAD are
//! idempotent, RFC 9112 §9.3.1). Heads are bounded by the run's head limit and 100 fields.

use super::fields::Fields;
use super::lean::LeanError;
use reqwest::Method;
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use url::{Host, Url};

/// Header fields of one response head, at most (as hyper's default).
const MAX_HEADERS: usize = 100;
/// Idle connections kept, at most.
const MAX_IDLE: usize = 1024;
/// A connection's buffer until it reads a large body.
const SMALL_BUF: usize = 16 * 1024;
/// A connection's buffer grows to the next power of two of the longest body it carried, up to
/// this — or [`HUGE_BUF`] on at most [`HUGE_CONNS`] connections at once, so the pool's memory
/// stays bounded however many connections a run opens. Large reads cut the kernel's work per
/// byte (fewer receive calls and window updates): verified 64 MiB pulls measured 1.1 GB per
/// CPU-second at 256 KiB, 1.38 at 1 MiB, 1.46 at 4 MiB (`benches/cost-goals.sh`).
const LARGE_BUF: usize = 1024 * 1024;
/// See [`LARGE_BUF`].
const HUGE_BUF: usize = 4 * 1024 * 1024;
/// See [`LARGE_BUF`].
const HUGE_CONNS: usize = 16;
/// Longest chunk-size line or trailer line of a chunked body.
const MAX_LINE: usize = 4096;

/// Kept-alive connections to the origins asked, shared by the run.
pub struct WirePool {
    idle: Mutex<Vec<Conn>>,
    connect_timeout: Duration,
    max_head: usize,
    /// Connections holding a [`HUGE_BUF`] buffer.
    huge: Arc<AtomicUsize>,
}

/// One connection and what it has read but not yet handed out (`buf[start..end]`).
struct Conn {
    host: String,
    port: u16,
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The request being written (reused).
    out: Vec<u8>,
    /// Its buffer is huge: one of the pool's [`HUGE_CONNS`] slots, given back on drop.
    huge: Option<Arc<AtomicUsize>>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(slots) = self.huge.take() {
            slots.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Conn {
    /// Nothing (no byte, no end of stream) has arrived since the last answer was read. Costs no
    /// system call unless the reactor saw the socket become readable; then a peek tells.
    fn quiet(&self) -> bool {
        let mut byte = [0u8; 1];
        let mut probe = tokio::io::ReadBuf::new(&mut byte);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        self.stream.poll_peek(&mut cx, &mut probe).is_pending()
    }

    /// Grows the buffer for a body of `len` bytes (see [`LARGE_BUF`]).
    fn grow_for(&mut self, len: u64, pool: &WirePool) {
        if len <= self.buf.len() as u64 || self.buf.len() >= HUGE_BUF {
            return;
        }
        let want = usize::try_from(len)
            .unwrap_or(HUGE_BUF)
            .min(HUGE_BUF)
            .next_power_of_two();
        let size = if want <= LARGE_BUF {
            want
        } else if self.huge.is_some()
            || pool
                .huge
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < HUGE_CONNS).then_some(n + 1)
                })
                .is_ok()
        {
            self.huge = Some(Arc::clone(&pool.huge));
            HUGE_BUF
        } else {
            LARGE_BUF
        };
        if size > self.buf.len() {
            self.buf.resize(size, 0);
        }
    }
}

/// A response head, its body still on the connection.
pub struct WireResponse {
    /// Status code.
    pub status: u16,
    /// Header fields.
    pub headers: Fields,
    /// The body.
    pub body: WireBody,
}

/// The body of a [`WireResponse`]: read with [`WireBody::chunk`]; its connection goes back to
/// the pool once the body was read to its end (dropped earlier, the connection is closed).
pub struct WireBody {
    conn: Option<Conn>,
    pool: Arc<WirePool>,
    framing: Framing,
    reusable: bool,
    deadline: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// The body has ended.
    Done,
    /// This many bytes are left.
    Length(u64),
    /// Until the server closes.
    Close,
    /// Chunked: the next chunk-size line.
    ChunkSize,
    /// Chunked: this many bytes of the chunk are left (then its CRLF).
    ChunkData(u64),
    /// Chunked: the CRLF after a chunk's data.
    ChunkEnd,
    /// Chunked: trailer lines, this many bytes of them so far, until an empty one.
    Trailers(usize),
}

impl WirePool {
    /// An empty pool: connections open within `connect_timeout`, heads at most `max_head` bytes.
    pub fn new(connect_timeout: Duration, max_head: u64) -> Arc<Self> {
        Arc::new(WirePool {
            idle: Mutex::new(Vec::new()),
            connect_timeout,
            max_head: usize::try_from(max_head).unwrap_or(usize::MAX).max(1024),
            huge: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// An idle connection to `host:port` that is still quiet: one the server closed or wrote
    /// to while it sat idle (a 408, say) is dropped, not handed its next answer.
    fn take(&self, host: &str, port: u16) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(i) = idle.iter().rposition(|c| c.port == port && c.host == host) {
            let conn = idle.swap_remove(i);
            if conn.quiet() {
                return Some(conn);
            }
        }
        None
    }

    fn give_back(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    async fn connect(&self, url: &Url, host: &str, port: u16) -> Result<Conn, LeanError> {
        let addr = match url.host() {
            Some(Host::Ipv4(ip)) => Some(SocketAddr::new(IpAddr::V4(ip), port)),
            Some(Host::Ipv6(ip)) => Some(SocketAddr::new(IpAddr::V6(ip), port)),
            _ => None,
        };
        let connecting = async {
            match addr {
                Some(a) => TcpStream::connect(a).await,
                None => TcpStream::connect((host, port)).await,
            }
        };
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Err(_) => {
                return Err(LeanError::timeout(format!(
                    "no connection to {host}:{port} within {}s",
                    self.connect_timeout.as_secs_f64()
                )));
            }
            Ok(Err(e)) => {
                return Err(LeanError::connection(format!(
                    "cannot connect to {host}:{port}: {e}"
                )));
            }
            Ok(Ok(s)) => s,
        };
        stream
            .set_nodelay(true)
            .map_err(|e| LeanError::connection(format!("cannot set TCP_NODELAY: {e}")))?;
        Ok(Conn {
            host: host.to_string(),
            port,
            stream,
            buf: vec![0; SMALL_BUF],
            start: 0,
            end: 0,
            out: Vec::new(),
            huge: None,
        })
    }
}

/// Sends a body-less request (`headers` besides `Host`); the response's body is still unread.
pub async fn send(
    pool: &Arc<WirePool>,
    method: &Method,
    url: &Url,
    headers: &[(&str, &str)],
    deadline: Instant,
    timeout: Duration,
) -> Result<WireResponse, LeanError> {
    let host = url
        .host_str()
        .ok_or_else(|| LeanError::connection("the URL has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| LeanError::connection("the URL has no port"))?;
    let mut pooled = pool.take(host, port);
    let reused = pooled.is_some();
    // Written before connecting: a request that cannot be written opens nothing.
    let mut out = pooled
        .as_mut()
        .map(|c| std::mem::take(&mut c.out))
        .unwrap_or_else(|| Vec::with_capacity(512));
    write_request(&mut out, method, url, headers)?;
    let mut conn = match pooled {
        Some(c) => c,
        None => pool.connect(url, host, port).await?,
    };
    conn.out = out;
    let head = match exchange(pool, &mut conn, method, deadline, timeout).await {
        // A kept-alive connection the server closed in the meantime: once more, on a new one.
        Err(Stale::Unanswered(_)) if reused => {
            let mut fresh = pool.connect(url, host, port).await?;
            std::mem::swap(&mut fresh.out, &mut conn.out);
            conn = fresh;
            exchange(pool, &mut conn, method, deadline, timeout).await
        }
        other => other,
    }
    .map_err(Stale::into_error)?;
    let mut body = WireBody {
        conn: Some(conn),
        pool: Arc::clone(pool),
        framing: head.framing,
        reusable: head.reusable,
        deadline,
    };
    if let (Framing::Length(n), Some(c)) = (body.framing, body.conn.as_mut()) {
        c.grow_for(n, pool);
    }
    body.release_if_done();
    Ok(WireResponse {
        status: head.status,
        headers: head.headers,
        body,
    })
}

/// A parsed head and what it says of the body.
struct Head {
    status: u16,
    headers: Fields,
    framing: Framing,
    reusable: bool,
}

/// Why an exchange produced no head.
enum Stale {
    /// The connection failed before any byte of an answer came back.
    Unanswered(LeanError),
    /// Anything else.
    Failed(LeanError),
}

impl Stale {
    fn into_error(self) -> LeanError {
        match self {
            Stale::Unanswered(e) | Stale::Failed(e) => e,
        }
    }
}

/// Writes the request in `conn.out` and reads the final response head.
async fn exchange(
    pool: &WirePool,
    conn: &mut Conn,
    method: &Method,
    deadline: Instant,
    timeout: Duration,
) -> Result<Head, Stale> {
    let late = || LeanError::timeout(format!("no response within {}s", timeout.as_secs()));
    match tokio::time::timeout_at(deadline, conn.stream.write_all(&conn.out)).await {
        Err(_) => return Err(Stale::Failed(late())),
        Ok(Err(e)) => {
            return Err(Stale::Unanswered(LeanError::connection(format!(
                "cannot send the request: {e}"
            ))));
        }
        Ok(Ok(())) => {}
    }
    conn.start = 0;
    conn.end = 0;
    let mut answered = false;
    loop {
        if conn.end > conn.start {
            answered = true;
            let parsed = parse_head(&conn.buf[conn.start..conn.end], method)
                .map_err(|e| Stale::Failed(LeanError::connection(e)))?;
            let complete = parsed.is_some();
            if let Some((used, head)) = parsed
                && used <= pool.max_head
            {
                conn.start += used;
                match head {
                    Some(h) => return Ok(h),
                    None => continue, // an interim (1xx) answer: the final one follows
                }
            }
            if complete || conn.end - conn.start > pool.max_head {
                return Err(Stale::Failed(LeanError::connection(format!(
                    "response head longer than {} KiB (--max-head-kib)",
                    pool.max_head / 1024
                ))));
            }
        }
        let n = match tokio::time::timeout_at(deadline, fill(conn, pool.max_head + 1)).await {
            Err(_) => return Err(Stale::Failed(late())),
            Ok(Err(e)) if answered => {
                return Err(Stale::Failed(LeanError::connection(format!(
                    "the response head broke off: {e}"
                ))));
            }
            Ok(Err(e)) => {
                return Err(Stale::Unanswered(LeanError::connection(format!(
                    "no response: {e}"
                ))));
            }
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            let e = LeanError::connection("the connection closed before a response head");
            return Err(if answered {
                Stale::Failed(e)
            } else {
                Stale::Unanswered(e)
            });
        }
    }
}

/// Reads more into `conn.buf` after what it holds, making room first (growing it up to `cap`
/// bytes); returns the bytes read, 0 at the end of the stream.
async fn fill(conn: &mut Conn, cap: usize) -> std::io::Result<usize> {
    if conn.start == conn.end {
        conn.start = 0;
        conn.end = 0;
    } else if conn.end == conn.buf.len() && conn.start > 0 {
        conn.buf.copy_within(conn.start..conn.end, 0);
        conn.end -= conn.start;
        conn.start = 0;
    }
    if conn.end == conn.buf.len() {
        let grown = (conn.buf.len() * 2).min(cap.max(conn.buf.len() + 1));
        conn.buf.resize(grown, 0);
    }
    let n = conn.stream.read(&mut conn.buf[conn.end..]).await?;
    conn.end += n;
    Ok(n)
}

/// Parses one response head at the start of `bytes`: `None` when it is incomplete; else the
/// bytes it took and the head (`None` for an interim 1xx answer).
fn parse_head(bytes: &[u8], method: &Method) -> Result<Option<(usize, Option<Head>)>, String> {
    let mut fields: [MaybeUninit<httparse::Header<'_>>; MAX_HEADERS] =
        [const { MaybeUninit::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        bytes,
        &mut fields,
    );
    let used = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(format!(
                "response head with more than {MAX_HEADERS} header fields"
            ));
        }
        Err(httparse::Error::Version) => {
            return Err(
                "invalid HTTP version in the response; the server may speak TLS: try https://"
                    .into(),
            );
        }
        Err(e) => return Err(format!("invalid response head: {e}")),
    };
    let status = response.code.unwrap_or(0);
    if (100..200).contains(&status) && status != 101 {
        return Ok(Some((used, None)));
    }
    let mut headers = Fields::with_capacity(response.headers.len(), used);
    let (mut close, mut chunked, mut coded, mut length) = (false, false, false, None::<u64>);
    for h in response.headers.iter() {
        // httparse has checked that names are tokens and values free of control characters.
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"connection") {
            close |= tokens(h.value).any(|t| t.eq_ignore_ascii_case(b"close"));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            coded = true;
            chunked = tokens(h.value)
                .last()
                .is_some_and(|t| t.eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"content-length") {
            for t in tokens(h.value) {
                let n = std::str::from_utf8(t)
                    .ok()
                    .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| "invalid Content-Length in the response".to_string())?;
                if length.is_some_and(|l| l != n) {
                    return Err("conflicting Content-Length values in the response".into());
                }
                length = Some(n);
            }
        }
        headers.push(name, h.value);
    }
    let bodiless = *method == Method::HEAD || status == 204 || status == 304;
    let framing = if bodiless {
        Framing::Done
    } else if coded {
        // Transfer-Encoding overrides Content-Length; without chunked last, to the close.
        if chunked {
            Framing::ChunkSize
        } else {
            Framing::Close
        }
    } else {
        match length {
            Some(n) => Framing::Length(n),
            None => Framing::Close,
        }
    };
    let reusable = response.version == Some(1)
        && !close
        && framing != Framing::Close
        && !(coded && length.is_some());
    Ok(Some((
        used,
        Some(Head {
            status,
            headers,
            framing,
            reusable,
        }),
    )))
}

/// The comma-separated tokens of a header value, trimmed.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// Writes `METHOD path HTTP/1.1`, `Host` and `headers` into `out`; a field with a CR, LF or
/// NUL in it is refused (it would end the field early and smuggle another).
fn write_request(
    out: &mut Vec<u8>,
    method: &Method,
    url: &Url,
    headers: &[(&str, &str)],
) -> Result<(), LeanError> {
    out.clear();
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.path().as_bytes());
    if let Some(q) = url.query() {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(url.host_str().unwrap_or_default().as_bytes());
    if let Some(p) = url.port() {
        out.push(b':');
        out.extend_from_slice(p.to_string().as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    for (k, v) in headers {
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if k.is_empty() || bad(k) || k.contains([':', ' ']) || bad(v) {
            return Err(LeanError::connection(format!(
                "cannot build the request: the {k:?} header is not a valid field"
            )));
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

impl WireBody {
    /// The next piece of the body before the deadline; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<&[u8]>, LeanError> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(None);
        };
        loop {
            match self.framing {
                // The connection goes back to the pool when the body is dropped.
                Framing::Done => return Ok(None),
                Framing::Length(0) => self.framing = Framing::Done,
                Framing::ChunkData(0) => self.framing = Framing::ChunkEnd,
                Framing::Length(left) | Framing::ChunkData(left) => {
                    if conn.start == conn.end
                        && read(conn, self.deadline, conn.buf.len()).await? == 0
                    {
                        return Err(LeanError::body(
                            "the connection closed before the end of the body",
                        ));
                    }
                    let n =
                        (conn.end - conn.start).min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.framing = match self.framing {
                        Framing::Length(_) => Framing::Length(left - n as u64),
                        _ => Framing::ChunkData(left - n as u64),
                    };
                    let from = conn.start;
                    conn.start += n;
                    return Ok(Some(&conn.buf[from..from + n]));
                }
                Framing::Close => {
                    if conn.start == conn.end
                        && read(conn, self.deadline, conn.buf.len()).await? == 0
                    {
                        self.reusable = false;
                        self.framing = Framing::Done;
                        continue;
                    }
                    let from = conn.start;
                    conn.start = conn.end;
                    return Ok(Some(&conn.buf[from..conn.end]));
                }
                Framing::ChunkSize => {
                    let (from, to) = line(conn, self.deadline).await?;
                    let text = &conn.buf[from..to];
                    let size = text.split(|b| *b == b';').next().unwrap_or_default();
                    let size = std::str::from_utf8(size.trim_ascii())
                        .ok()
                        .filter(|s| !s.is_empty())
                        .and_then(|s| u64::from_str_radix(s, 16).ok())
                        .ok_or_else(|| LeanError::body("invalid chunk size in the body"))?;
                    self.framing = if size == 0 {
                        Framing::Trailers(0)
                    } else {
                        Framing::ChunkData(size)
                    };
                }
                Framing::ChunkEnd => {
                    let (from, to) = line(conn, self.deadline).await?;
                    if from != to {
                        return Err(LeanError::body("a chunk is longer than its size says"));
                    }
                    self.framing = Framing::ChunkSize;
                }
                Framing::Trailers(seen) => {
                    let (from, to) = line(conn, self.deadline).await?;
                    let seen = seen + (to - from) + 2;
                    if seen > MAX_LINE * 16 {
                        return Err(LeanError::body("the body's trailer is too long"));
                    }
                    self.framing = if from == to {
                        Framing::Done
                    } else {
                        Framing::Trailers(seen)
                    };
                }
            }
        }
    }

    /// Gives the connection back once the body has ended, if it can carry another request.
    fn release_if_done(&mut self) {
        if !matches!(self.framing, Framing::Done | Framing::Length(0)) {
            return;
        }
        if let Some(conn) = self.conn.take()
            && self.reusable
            && conn.start == conn.end
        {
            self.pool.give_back(conn);
        }
    }
}

impl Drop for WireBody {
    fn drop(&mut self) {
        self.release_if_done();
    }
}

/// Reads more body bytes before `deadline`, the buffer grown up to `cap` bytes if it is full.
async fn read(conn: &mut Conn, deadline: Instant, cap: usize) -> Result<usize, LeanError> {
    match tokio::time::timeout_at(deadline, fill(conn, cap)).await {
        Err(_) => Err(LeanError::timeout("operation timed out")),
        Ok(Err(e)) => Err(LeanError::body(e.to_string())),
        Ok(Ok(n)) => Ok(n),
    }
}

/// The next line of a chunked body (CRLF or a bare LF ends it, RFC 9112 §2.2): its bounds in
/// `conn.buf`, without the line end, which is consumed.
async fn line(conn: &mut Conn, deadline: Instant) -> Result<(usize, usize), LeanError> {
    loop {
        let held = &conn.buf[conn.start..conn.end];
        if let Some(i) = held.iter().position(|b| *b == b'\n') {
            let from = conn.start;
            let to = if i > 0 && held[i - 1] == b'\r' {
                from + i - 1
            } else {
                from + i
            };
            conn.start += i + 1;
            return Ok((from, to));
        }
        if held.len() > MAX_LINE {
            return Err(LeanError::body("a line of the chunked body is too long"));
        }
        let cap = conn.buf.len().max(MAX_LINE * 2);
        if read(conn, deadline, cap).await? == 0 {
            return Err(LeanError::body(
                "the connection closed before the end of the body",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers each connection's requests with `answers` in turn (one per
    /// request read, up to its blank line), then closes; returns its URL.
    async fn serve(
        answers: Vec<Vec<u8>>,
        per_conn: usize,
    ) -> (Url, tokio::task::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/v2/", listener.local_addr().unwrap())).unwrap();
        let task = tokio::spawn(async move {
            let mut answers = answers.into_iter().peekable();
            let mut conns = 0;
            while answers.peek().is_some() {
                let Ok((mut s, _)) = listener.accept().await else {
                    break;
                };
                conns += 1;
                for _ in 0..per_conn {
                    let mut got = Vec::new();
                    let mut b = [0u8; 1024];
                    // A request cut off by the client's close takes no answer.
                    let mut ended = false;
                    while !ended && !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut b).await {
                            Ok(0) | Err(_) => ended = true,
                            Ok(n) => got.extend_from_slice(&b[..n]),
                        }
                    }
                    if ended {
                        break;
                    }
                    let Some(answer) = answers.next() else {
                        break;
                    };
                    if s.write_all(&answer).await.is_err() || answers.peek().is_none() {
                        break;
                    }
                }
            }
            conns
        });
        (url, task)
    }

    async fn get(
        pool: &Arc<WirePool>,
        url: &Url,
        method: Method,
    ) -> Result<(u16, Vec<u8>), LeanError> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut r = send(
            pool,
            &method,
            url,
            &[("accept", "*/*")],
            deadline,
            Duration::from_secs(5),
        )
        .await?;
        let mut body = Vec::new();
        while let Some(c) = r.body.chunk().await? {
            body.extend_from_slice(c);
        }
        Ok((r.status, body))
    }

    #[tokio::test]
    async fn framings_are_read_and_connections_reused() {
        let answers = vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_vec(),
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nt: 1\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n".to_vec(),
            b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
        ];
        let (url, server) = serve(answers, 4).await;
        let pool = WirePool::new(Duration::from_secs(2), 64 * 1024);
        assert_eq!(
            get(&pool, &url, Method::GET).await.unwrap(),
            (200, b"hello".to_vec())
        );
        assert_eq!(
            get(&pool, &url, Method::GET).await.unwrap(),
            (200, b"abcde".to_vec())
        );
        // A HEAD's Content-Length announces, it does not frame.
        assert_eq!(
            get(&pool, &url, Method::HEAD).await.unwrap(),
            (200, Vec::new())
        );
        assert_eq!(
            get(&pool, &url, Method::GET).await.unwrap(),
            (204, Vec::new())
        );
        drop(pool);
        assert_eq!(
            server.await.unwrap(),
            1,
            "all four went over one connection"
        );
    }

    #[tokio::test]
    async fn a_body_to_the_close_and_a_closed_idle_connection() {
        // Each connection answers once and closes: the second request finds its pooled
        // connection closed and goes again on a new one.
        let answers = vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec(),
            b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end".to_vec(),
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec(),
        ];
        let (url, server) = serve(answers, 1).await;
        let pool = WirePool::new(Duration::from_secs(2), 64 * 1024);
        assert_eq!(
            get(&pool, &url, Method::GET).await.unwrap(),
            (200, b"ok".to_vec())
        );
        assert_eq!(
            get(&pool, &url, Method::GET).await.unwrap(),
            (200, b"until the end".to_vec())
        );
        assert_eq!(get(&pool, &url, Method::GET).await.unwrap().0, 404);
        drop(pool);
        assert_eq!(server.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn an_idle_connection_the_server_wrote_to_is_not_reused() {
        // The first connection answers; once that answer was read (the connection is idle in
        // the pool), it sends an unasked 408 and closes. The next request must get the second
        // connection's answer, not that 408.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/v2/", listener.local_addr().unwrap())).unwrap();
        let (read, was_read) = tokio::sync::oneshot::channel::<()>();
        let (wrote, written) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\none")
                .await
                .unwrap();
            was_read.await.unwrap();
            s.write_all(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            drop(s);
            wrote.send(()).unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\ntwo")
                .await
                .unwrap();
        });
        let pool = WirePool::new(Duration::from_secs(2), 64 * 1024);
        let first = get(&pool, &url, Method::GET).await.unwrap();
        assert_eq!(first, (200, b"one".to_vec()));
        assert_eq!(
            pool.idle.lock().unwrap().len(),
            1,
            "the first connection is pooled"
        );
        read.send(()).unwrap();
        written.await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = get(&pool, &url, Method::GET).await.unwrap();
        assert_eq!(second, (200, b"two".to_vec()));
        server.await.unwrap();
    }

    #[tokio::test]
    async fn buffers_grow_with_bodies_within_the_pool_bound() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let pool = WirePool::new(Duration::from_secs(2), 64 * 1024);
        let mut conns = Vec::new();
        for _ in 0..=HUGE_CONNS {
            conns.push(
                pool.connect(&url, "127.0.0.1", url.port().unwrap())
                    .await
                    .unwrap(),
            );
        }
        conns[0].grow_for(100, &pool);
        assert_eq!(
            conns[0].buf.len(),
            SMALL_BUF,
            "a small body keeps the small buffer"
        );
        conns[0].grow_for(100_000, &pool);
        assert_eq!(conns[0].buf.len(), 128 * 1024);
        for c in conns.iter_mut() {
            c.grow_for(64 << 20, &pool);
        }
        let sizes: Vec<usize> = conns.iter().map(|c| c.buf.len()).collect();
        assert_eq!(sizes.iter().filter(|s| **s == HUGE_BUF).count(), HUGE_CONNS);
        assert_eq!(
            *sizes.last().unwrap(),
            LARGE_BUF,
            "over the bound: {sizes:?}"
        );
        // A closed connection gives its slot back.
        drop(conns.remove(0));
        let mut late = pool
            .connect(&url, "127.0.0.1", url.port().unwrap())
            .await
            .unwrap();
        late.grow_for(64 << 20, &pool);
        assert_eq!(late.buf.len(), HUGE_BUF);
    }

    #[tokio::test]
    async fn broken_answers_are_errors_not_panics() {
        let cases: Vec<(&[u8], &str)> = vec![
            (b"\x15\x03\x01\x00\x02\x02\x50", "try https"),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n",
                "conflicting",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort",
                "before the end",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                "chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
                "longer than",
            ),
            (b"HTTP/1.1 200 OK\r\n", "before a response head"),
        ];
        for (answer, want) in cases {
            let (url, _server) = serve(vec![answer.to_vec()], 1).await;
            let pool = WirePool::new(Duration::from_secs(2), 64 * 1024);
            let err = get(&pool, &url, Method::GET).await.unwrap_err();
            assert!(err.detail.contains(want), "{want}: {}", err.detail);
        }
        // A head over the limit stops reading.
        let big = format!("HTTP/1.1 200 OK\r\nx: {}\r\n\r\n", "a".repeat(5000));
        let (url, _server) = serve(vec![big.into_bytes()], 1).await;
        let pool = WirePool::new(Duration::from_secs(2), 1024);
        let err = get(&pool, &url, Method::GET).await.unwrap_err();
        assert!(err.detail.contains("--max-head-kib"), "{}", err.detail);
        // A header value with a line break is never written.
        let pool = WirePool::new(Duration::from_secs(2), 1024);
        let deadline = Instant::now() + Duration::from_secs(1);
        let err = send(
            &pool,
            &Method::GET,
            &url,
            &[("authorization", "x\r\nx-evil: 1")],
            deadline,
            Duration::from_secs(1),
        )
        .await
        .err()
        .unwrap();
        assert!(err.detail.contains("not a valid field"), "{}", err.detail);
    }
}
