//! Repository-name and tag grammar (OCI distribution spec); digests come from `vocab::digest`.

pub(crate) use crate::vocab::digest::{DigestKind, parse_digest, sha256_digest};

/// A different, valid-looking digest (last hex digit changed) — used by faults.
pub(crate) fn fake_digest(digest: &str) -> String {
    let mut s = digest.to_owned();
    let replacement = if s.ends_with('0') { '1' } else { '0' };
    s.pop();
    s.push(replacement);
    s
}

/// Repository name grammar: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
pub(crate) fn valid_repo_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    name.split('/').all(valid_component)
}

fn valid_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub(crate) fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_grammar() {
        let good = sha256_digest(b"abc");
        assert_eq!(parse_digest(&good), Some(DigestKind::Sha256(good.clone())));
        assert_eq!(parse_digest("sha256:totallywrong"), None);
        assert_eq!(parse_digest("sha256:ABC"), None);
        assert_eq!(parse_digest("nocolon"), None);
        assert!(matches!(
            parse_digest("blake3:abcd"),
            Some(DigestKind::Other(_))
        ));
        assert_ne!(fake_digest(&good), good);
        assert_eq!(fake_digest(&good).len(), good.len());
    }

    #[test]
    fn name_and_tag_grammar() {
        assert!(valid_repo_name("ns/scenario"));
        assert!(valid_repo_name("a/b/c"));
        assert!(valid_repo_name("my-repo__x.y"));
        assert!(!valid_repo_name("Upper"));
        assert!(!valid_repo_name("a//b"));
        assert!(!valid_repo_name("-a"));
        assert!(!valid_repo_name("a_-b"));
        assert!(valid_tag("v1.0_rc-1"));
        assert!(!valid_tag(".hidden"));
        assert!(!valid_tag(&"a".repeat(129)));
    }
}
