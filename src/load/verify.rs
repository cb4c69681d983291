//! Checking a body while it streams, chunk by chunk, without keeping it: its length against
//! what was expected (reading stops as soon as it is exceeded), and its content — sha256 against
//! a digest, or byte for byte against the generated blob a range was cut from.

use super::metrics::{ErrorKind, Failure};
use crate::blob::{BLOCK, BlobGen};
use sha2::{Digest, Sha256};

/// How a body must be checked.
pub enum Verify<'a> {
    /// Count only.
    None,
    /// sha256 of the whole body must be this digest.
    Digest(&'a str),
    /// The body must equal these bytes (a pool blob kept in memory, whose sha256 is its
    /// digest): checking is a comparison, cheaper than hashing.
    Content(&'a [u8]),
    /// The body must equal the bytes of a generated blob from `start` on.
    Bytes {
        /// The blob.
        blob: BlobGen,
        /// Offset of the first byte.
        start: u64,
    },
}

/// The running check of one body.
pub struct BodyCheck<'a> {
    verify: Verify<'a>,
    expected_len: Option<u64>,
    hasher: Option<Sha256>,
    received: u64,
    mismatch_at: Option<u64>,
    /// The generated block the last chunk ended in (ranged reads).
    block: Option<(u64, Vec<u8>)>,
}

impl Failure {
    /// The same failure with the request named in front.
    pub fn at(mut self, what: &str) -> Failure {
        self.detail = format!("GET {what}: {}", self.detail);
        self
    }
}

impl<'a> BodyCheck<'a> {
    /// Starts checking a body.
    pub fn new(verify: Verify<'a>, expected_len: Option<u64>) -> Self {
        BodyCheck {
            hasher: matches!(verify, Verify::Digest(_)).then(Sha256::new),
            verify,
            expected_len,
            received: 0,
            mismatch_at: None,
            block: None,
        }
    }

    /// Bytes seen so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes the next chunk; fails as soon as the body is longer than expected.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        if let Verify::Content(want) = &self.verify
            && self.mismatch_at.is_none()
        {
            let from = self.received as usize;
            let end = from.saturating_add(chunk.len());
            let expected = want.get(from..end.min(want.len())).unwrap_or(&[]);
            if expected.len() < chunk.len() || expected != chunk {
                let diff = chunk
                    .iter()
                    .zip(expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(expected.len());
                self.mismatch_at = Some((from + diff) as u64);
            }
        }
        if let Verify::Bytes { blob, start } = &self.verify
            && self.mismatch_at.is_none()
        {
            let (blob, from) = (*blob, start + self.received);
            let mut offset = 0usize;
            while offset < chunk.len() {
                let pos = from + offset as u64;
                if pos >= blob.size {
                    self.mismatch_at = Some(pos);
                    break;
                }
                let index = pos / BLOCK;
                if self.block.as_ref().is_none_or(|(i, _)| *i != index) {
                    self.block = Some((index, blob.block(index)));
                }
                let block = self
                    .block
                    .as_ref()
                    .map(|(_, b)| b.as_slice())
                    .unwrap_or(&[]);
                let at = (pos - index * BLOCK) as usize;
                let n = (block.len() - at).min(chunk.len() - offset);
                let (got, want) = (&chunk[offset..offset + n], &block[at..at + n]);
                if got != want {
                    let diff = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                    self.mismatch_at = Some(pos + diff as u64);
                    break;
                }
                offset += n;
            }
        }
        self.received += chunk.len() as u64;
        match self.expected_len {
            Some(max) if self.received > max => Err(Failure::new(
                ErrorKind::Body,
                format!("body longer than the {max} bytes expected (stopped reading)"),
            )),
            _ => Ok(()),
        }
    }

    /// The body ended: checks its length and content; returns its length.
    pub fn finish(self) -> Result<u64, Failure> {
        let received = self.received;
        if let Some(max) = self.expected_len
            && received < max
        {
            return Err(Failure::new(
                ErrorKind::Body,
                format!("body ended after {received} of {max} bytes"),
            ));
        }
        if let (Some(h), Verify::Digest(want)) = (self.hasher, &self.verify) {
            let got = h.finalize();
            let mut expected = [0u8; 32];
            let same = want
                .strip_prefix("sha256:")
                .is_some_and(|hex| hex::decode_to_slice(hex, &mut expected).is_ok())
                && expected[..] == got[..];
            if !same {
                let got = format!("sha256:{}", hex::encode(got));
                return Err(Failure::new(
                    ErrorKind::DigestMismatch,
                    format!("body hashes to {got}, expected {want}"),
                ));
            }
        }
        if let Some(at) = self.mismatch_at {
            return Err(Failure::new(
                ErrorKind::DigestMismatch,
                format!("byte {at} differs from the blob pushed"),
            ));
        }
        Ok(received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(blob: &BlobGen, start: u64, end: u64) -> Vec<u8> {
        blob.range(start, end).flat_map(|b| b.to_vec()).collect()
    }

    #[test]
    fn digests_ranges_and_lengths_are_checked_across_chunk_boundaries() {
        let blob = BlobGen::new("r", 7, 300_000);
        let digest = blob.digest();
        let all = bytes(&blob, 0, 299_999);
        let mut c = BodyCheck::new(Verify::Digest(&digest), Some(300_000));
        for piece in all.chunks(7_777) {
            c.update(piece).unwrap();
        }
        assert_eq!(c.finish().unwrap(), 300_000);

        let mut bad = all.clone();
        bad[123_456] ^= 1;
        let mut c = BodyCheck::new(Verify::Digest(&digest), Some(300_000));
        for piece in bad.chunks(10_000) {
            c.update(piece).unwrap();
        }
        assert_eq!(c.finish().unwrap_err().kind, ErrorKind::DigestMismatch);

        // A range compared byte for byte names the first differing byte.
        let (start, end) = (70_000, 200_000);
        let mut range = bytes(&blob, start, end);
        let mut c = BodyCheck::new(Verify::Bytes { blob, start }, Some(end - start + 1));
        for piece in range.chunks(65_000) {
            c.update(piece).unwrap();
        }
        assert!(c.finish().is_ok());
        range[100_000] ^= 0x80;
        let mut c = BodyCheck::new(Verify::Bytes { blob, start }, Some(end - start + 1));
        for piece in range.chunks(4_096) {
            c.update(piece).unwrap();
        }
        let f = c.finish().unwrap_err();
        assert_eq!(f.kind, ErrorKind::DigestMismatch);
        assert!(f.detail.contains("byte 170000"), "{}", f.detail);

        // Too long stops at once; too short fails at the end.
        let mut c = BodyCheck::new(Verify::None, Some(10));
        assert_eq!(c.update(&[0; 11]).unwrap_err().kind, ErrorKind::Body);
        let mut c = BodyCheck::new(Verify::None, Some(10));
        c.update(&[0; 4]).unwrap();
        c.update(&[]).unwrap();
        assert_eq!(c.finish().unwrap_err().kind, ErrorKind::Body);
        // Content kept in memory: compared piece by piece.
        let mut bad = all.clone();
        let mut c = BodyCheck::new(Verify::Content(&all), Some(300_000));
        for piece in bad.chunks(9_999) {
            c.update(piece).unwrap();
        }
        assert_eq!(c.finish().unwrap(), 300_000);
        bad[250_001] ^= 4;
        let mut c = BodyCheck::new(Verify::Content(&all), Some(300_000));
        for piece in bad.chunks(9_999) {
            c.update(piece).unwrap();
        }
        assert!(c.finish().unwrap_err().detail.contains("byte 250001"));
        let mut c = BodyCheck::new(Verify::Content(&all[..10]), None);
        c.update(&all[..11]).unwrap();
        assert!(c.finish().unwrap_err().detail.contains("byte 10"));
        // Bytes past the end of the blob are a mismatch.
        let small = BlobGen::new("r", 8, 10);
        let mut c = BodyCheck::new(
            Verify::Bytes {
                blob: small,
                start: 5,
            },
            None,
        );
        let mut body = bytes(&small, 5, 9);
        body.push(0);
        c.update(&body).unwrap();
        assert!(c.finish().unwrap_err().detail.contains("byte 10"));
    }
}
