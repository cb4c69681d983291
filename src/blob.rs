//! Deterministic generated content: blobs of any size whose bytes are a pure function of
//! (run id, seed, offset), produced block by block so nothing the size of the blob is ever held
//! in memory. Used for request bodies, ranges and chunks; digests are computed by streaming.

use bytes::Bytes;
use sha2::{Digest, Sha256, Sha512};

/// Bytes produced per block.
pub const BLOCK: u64 = 64 * 1024;

/// A generated blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobGen {
    key: u64,
    /// Total size in bytes.
    pub size: u64,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl BlobGen {
    /// A blob of `size` bytes for `seed` within run `run_id`.
    pub fn new(run_id: &str, seed: u64, size: u64) -> Self {
        let mut key = splitmix(seed);
        for b in run_id.bytes() {
            key = splitmix(key ^ u64::from(b));
        }
        BlobGen { key, size }
    }

    /// The bytes of block `index` (the last block may be short).
    pub fn block(&self, index: u64) -> Vec<u8> {
        let start = index * BLOCK;
        let len = BLOCK.min(self.size.saturating_sub(start)) as usize;
        let mut out = vec![0u8; len];
        let mut state = splitmix(self.key ^ index.wrapping_mul(0xA24B_AED4_963E_E407));
        for piece in out.chunks_mut(8) {
            state = splitmix(state);
            piece.copy_from_slice(&state.to_le_bytes()[..piece.len()]);
        }
        out
    }

    /// Iterator over the bytes `start..=end` (inclusive), in pieces of at most `BLOCK` bytes.
    /// An empty iterator when the blob is empty or the range is empty.
    pub fn range(
        &self,
        start: u64,
        end_inclusive: u64,
    ) -> impl Iterator<Item = Bytes> + Send + 'static {
        let this = *self;
        let end_excl = end_inclusive.saturating_add(1).min(self.size);
        let mut pos = start;
        std::iter::from_fn(move || {
            if pos >= end_excl {
                return None;
            }
            let index = pos / BLOCK;
            let block = Bytes::from(this.block(index));
            let from = (pos - index * BLOCK) as usize;
            let to = ((end_excl - index * BLOCK) as usize).min(block.len());
            pos = index * BLOCK + to as u64;
            Some(block.slice(from..to))
        })
    }

    /// Iterator over the whole blob.
    pub fn all(&self) -> impl Iterator<Item = Bytes> + Send + 'static {
        self.range(0, self.size.saturating_sub(1))
    }

    /// `sha256:<hex>` of the whole blob, computed by streaming.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for piece in self.all() {
            h.update(&piece);
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    }

    /// `sha512:<hex>` of the whole blob, computed by streaming.
    pub fn sha512_digest(&self) -> String {
        let mut h = Sha512::new();
        for piece in self.all() {
            h.update(&piece);
        }
        format!("sha512:{}", hex::encode(h.finalize()))
    }
}

pub use crate::vocab::digest::sha256_digest;

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(it: impl Iterator<Item = Bytes>) -> Vec<u8> {
        it.flat_map(|b| b.to_vec()).collect()
    }

    #[test]
    fn ranges_are_slices_of_the_whole() {
        let g = BlobGen::new("run1", 7, 3 * BLOCK + 123);
        let all = collect(g.all());
        assert_eq!(all.len() as u64, g.size);
        for (a, b) in [
            (0, 0),
            (5, BLOCK + 9),
            (BLOCK - 1, BLOCK),
            (3 * BLOCK, 3 * BLOCK + 122),
        ] {
            assert_eq!(
                collect(g.range(a, b)),
                all[a as usize..=b as usize].to_vec()
            );
        }
        assert_eq!(sha256_digest(&all), g.digest());
    }

    #[test]
    fn content_depends_on_run_and_seed() {
        let a = BlobGen::new("run1", 1, 100).digest();
        assert_ne!(a, BlobGen::new("run2", 1, 100).digest());
        assert_ne!(a, BlobGen::new("run1", 2, 100).digest());
        assert_eq!(a, BlobGen::new("run1", 1, 100).digest());
    }

    #[test]
    fn sha512_is_of_the_same_bytes() {
        let g = BlobGen::new("r", 3, 2 * BLOCK + 5);
        let all = collect(g.all());
        assert_eq!(
            g.sha512_digest(),
            format!("sha512:{}", hex::encode(Sha512::digest(&all)))
        );
        assert_eq!(g.sha512_digest().len(), "sha512:".len() + 128);
    }

    #[test]
    fn empty_blob_has_the_empty_digest() {
        let g = BlobGen::new("r", 0, 0);
        assert_eq!(collect(g.all()).len(), 0);
        assert_eq!(
            g.digest(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
