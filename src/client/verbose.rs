//! `run -v` / `-vv` and `load -v`: exchanges written to stderr as they happen, in the style of
//! curl and Hurl (`>` request, `<` response), so a user can check a verdict by watching the
//! wire. Callers pass exchanges already redacted the way reports are (the runner builds them
//! from its transcripts); an exchange is written in one piece, so concurrent scenarios and
//! load workers do not interleave lines. [`Sampler`] keeps load runs readable.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How much `-v` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Nothing (the default).
    #[default]
    Quiet,
    /// Request line and headers, status and headers, a body excerpt (`-v`).
    Exchanges,
    /// The same with whole text bodies, the request's included (`-vv`).
    Bodies,
}

impl Verbosity {
    /// From the number of `-v` flags.
    pub fn from_count(n: u8) -> Self {
        match n {
            0 => Verbosity::Quiet,
            1 => Verbosity::Exchanges,
            _ => Verbosity::Bodies,
        }
    }

    /// Longest body excerpt, in bytes (`None`: the whole kept body).
    pub fn body_limit(self) -> Option<usize> {
        match self {
            Verbosity::Bodies => None,
            _ => Some(EXCERPT),
        }
    }
}

/// Body excerpt under `-v`.
const EXCERPT: usize = 256;

/// One exchange, redacted.
pub struct WireExchange<'a> {
    /// What it belongs to (`scenario ▸ step (Operation)`, `load pull`).
    pub title: &'a str,
    /// `METHOD URL`.
    pub request_line: &'a str,
    /// Request headers.
    pub request_headers: &'a [(String, String)],
    /// The request body as text, when shown.
    pub request_body: Option<&'a str>,
    /// Response status.
    pub status: u16,
    /// Response headers.
    pub response_headers: &'a [(String, String)],
    /// The response body (excerpt or summary), when shown.
    pub response_body: &'a str,
}

/// One exchange as text: `* title`, `> ` request lines, `< ` response lines, the body, a blank
/// line.
pub fn render(x: &WireExchange<'_>) -> String {
    let mut out = format!("* {}\n> {}\n", x.title, x.request_line);
    for (k, v) in x.request_headers {
        let _ = writeln!(out, "> {k}: {v}");
    }
    if let Some(body) = x.request_body.filter(|b| !b.is_empty()) {
        let _ = writeln!(out, ">\n{body}");
    }
    let _ = writeln!(out, "< {}", x.status);
    for (k, v) in x.response_headers {
        let _ = writeln!(out, "< {k}: {v}");
    }
    if !x.response_body.is_empty() {
        let _ = writeln!(out, "<\n{}", x.response_body);
    }
    out.push('\n');
    out
}

/// Which exchanges of a load run `-v` shows: the first [`Sampler::FIRST`], then at most one
/// a second (a load run makes thousands a second).
#[derive(Debug)]
pub struct Sampler {
    start: Instant,
    seen: AtomicU64,
    last_ms: AtomicU64,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler {
            start: Instant::now(),
            seen: AtomicU64::new(0),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Sampler {
    /// Exchanges always shown at the start.
    pub const FIRST: u64 = 8;

    /// Whether to show the next exchange.
    pub fn take(&self) -> bool {
        if self.seen.fetch_add(1, Ordering::Relaxed) < Self::FIRST {
            return true;
        }
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.last_ms.load(Ordering::Relaxed);
        now >= last + 1000
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Writes one rendered exchange to stderr in one piece.
pub fn emit(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_renders_like_curl() {
        let x = WireExchange {
            title: "v2-support ▸ probe (CheckV2Support)",
            request_line: "GET http://h/v2/",
            request_headers: &[("Authorization".into(), "Bearer <redacted>".into())],
            request_body: None,
            status: 200,
            response_headers: &[("Content-Length".into(), "2".into())],
            response_body: "{}",
        };
        assert_eq!(
            render(&x),
            "* v2-support ▸ probe (CheckV2Support)\n> GET http://h/v2/\n> Authorization: Bearer <redacted>\n< 200\n< Content-Length: 2\n<\n{}\n\n"
        );
        assert_eq!(Verbosity::from_count(1).body_limit(), Some(EXCERPT));
        assert_eq!(Verbosity::from_count(3), Verbosity::Bodies);
        assert_eq!(Verbosity::Bodies.body_limit(), None);
    }

    #[test]
    fn the_sampler_shows_the_first_exchanges_then_one_a_second() {
        let s = Sampler::default();
        let shown = (0..1000).filter(|_| s.take()).count() as u64;
        assert!(
            (Sampler::FIRST..=Sampler::FIRST + 1).contains(&shown),
            "{shown}"
        );
    }
}
