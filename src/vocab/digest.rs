//! Content digests (OCI distribution-spec, "Pulling manifests / digests"): the grammar
//! `algorithm ":" encoded`, with the registered algorithms' encodings checked (sha256: 64
//! lowercase hex digits, sha512: 128), and the sha256 digest of some bytes.

use sha2::{Digest as _, Sha256};

/// What a well-formed digest is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestKind {
    /// `sha256:<64 lowercase hex>`.
    Sha256(String),
    /// A well-formed digest of another algorithm (sha512 included).
    Other(String),
}

/// Parses a digest per the OCI grammar; `None` when malformed.
pub fn parse_digest(s: &str) -> Option<DigestKind> {
    let (alg, enc) = s.split_once(':')?;
    let alg_ok = !alg.is_empty()
        && alg.split(['+', '.', '_', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let enc_ok = !enc.is_empty()
        && enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    if !alg_ok || !enc_ok {
        return None;
    }
    match alg {
        "sha256" => is_lower_hex(enc, 64).then(|| DigestKind::Sha256(s.to_owned())),
        "sha512" => is_lower_hex(enc, 128).then(|| DigestKind::Other(s.to_owned())),
        _ => Some(DigestKind::Other(s.to_owned())),
    }
}

/// Whether `s` is a well-formed digest.
pub fn is_digest(s: &str) -> bool {
    parse_digest(s).is_some()
}

/// Exactly `len` lowercase hex digits (the encoding of a registered algorithm).
fn is_lower_hex(enc: &str, len: usize) -> bool {
    enc.len() == len
        && enc
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_and_the_registered_encodings() {
        let d = sha256_digest(b"hello");
        assert_eq!(
            d,
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(parse_digest(&d), Some(DigestKind::Sha256(d.clone())));
        assert!(is_digest(&format!("sha512:{}", "a".repeat(128))));
        assert!(!is_digest(&format!("sha512:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:ABC"));
        assert!(is_digest(
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"
        ));
        for bad in [
            "",
            "sha256",
            ":abc",
            "sha256:",
            "SHA256:ab",
            "a..b:c",
            "a:b c",
        ] {
            assert!(!is_digest(bad), "{bad}");
        }
    }
}
