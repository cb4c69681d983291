//! What the client sends and what it observed: request bodies (bytes, or ranges of generated
//! blobs streamed), requests, whether credentials may be added, and completed exchanges.

use crate::blob::BlobGen;
use crate::exchange::{ObservedRequest, ObservedResponse};
use bytes::Bytes;
use url::Url;

/// A request body.
#[derive(Debug, Clone)]
pub enum OutgoingBody {
    /// No body.
    Empty,
    /// In-memory bytes.
    Bytes(Bytes),
    /// Bytes `start..=end` of a generated blob, streamed (`end < start` means empty).
    Blob {
        /// The blob.
        blob: BlobGen,
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
}

impl OutgoingBody {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            OutgoingBody::Empty => 0,
            OutgoingBody::Bytes(b) => b.len() as u64,
            OutgoingBody::Blob { start, end, blob } => {
                // Inclusive range clamped to the blob; empty when it starts past either end.
                let end_excl = end.saturating_add(1).min(blob.size);
                end_excl.saturating_sub(*start)
            }
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn to_reqwest(&self) -> Option<reqwest::Body> {
        match self {
            OutgoingBody::Empty => None,
            OutgoingBody::Bytes(b) => Some(reqwest::Body::from(b.clone())),
            OutgoingBody::Blob { blob, start, end } => {
                let it = blob.range(*start, *end).map(Ok::<Bytes, std::io::Error>);
                Some(reqwest::Body::wrap_stream(futures::stream::iter(it)))
            }
        }
    }

    /// Small bodies (≤ 64 KiB) as bytes, for rules that compare request and response.
    pub(crate) fn small_bytes(&self) -> Option<Bytes> {
        match self {
            OutgoingBody::Bytes(b) if b.len() <= 64 * 1024 => Some(b.clone()),
            _ => None,
        }
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Method.
    pub method: reqwest::Method,
    /// Absolute URL.
    pub url: Url,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: OutgoingBody,
}

/// Whether the client may add credentials and answer challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Add cached credentials and answer a 401 challenge once (same origin only).
    Auto,
    /// Send exactly the given headers.
    Never,
}

/// A completed exchange as observed on the wire.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The request as sent (credentials redacted).
    pub request: ObservedRequest,
    /// The response.
    pub response: ObservedResponse,
    /// Whether credentials were attached to the final attempt.
    pub authenticated: bool,
    /// Earlier answers to the same request that were retried — a 401 answered with
    /// credentials, a 429/503 waited out — oldest first. They are checked too.
    pub retried: Vec<Observed>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_body_length_is_inclusive_and_clamped() {
        let blob = BlobGen::new("r", 1, 10);
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 0,
                end: 9
            }
            .len(),
            10
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 2,
                end: 4
            }
            .len(),
            3
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 5,
                end: 100
            }
            .len(),
            5
        );
        assert_eq!(
            OutgoingBody::Blob {
                blob,
                start: 5,
                end: 4
            }
            .len(),
            0
        );
        let len = |start, end| OutgoingBody::Blob { blob, start, end }.len();
        assert_eq!(
            len(20, 30),
            0,
            "a range past the end is empty, not an underflow"
        );
        assert_eq!(len(0, u64::MAX), 10);
    }
}
