//! Response header fields as the lean path hands them out: reqwest's `HeaderMap`, or the wire
//! lane's parsed head (its fields copied once into one buffer, names lowercased, each field a
//! pair of spans), both read through one borrowed view — so a load request builds no map, and
//! allocates no name or value of its own, on its way to the judge.

use reqwest::header::HeaderMap;

/// The header fields of a wire-lane response, in the order received.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    bytes: Vec<u8>,
    /// Name start, name end, value end (the value starts where the name ends).
    spans: Vec<(u32, u32, u32)>,
}

impl Fields {
    /// Room for `n` fields of `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Fields {
            bytes: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(n),
        }
    }

    /// Appends a field; its name is stored lowercased (names are case-insensitive, RFC 9110
    /// §5.1). The caller has checked that the name is a token.
    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let start = self.bytes.len() as u32;
        self.bytes.extend(name.iter().map(u8::to_ascii_lowercase));
        let name_end = self.bytes.len() as u32;
        self.bytes.extend_from_slice(value);
        self.spans.push((start, name_end, self.bytes.len() as u32));
    }
}

/// A response's header fields, whichever lane received them.
#[derive(Debug, Clone, Copy)]
pub enum HeaderView<'a> {
    /// As reqwest parsed them.
    Map(&'a HeaderMap),
    /// As the wire lane parsed them.
    Fields(&'a Fields),
}

/// The (lowercase name, value) pairs of a [`HeaderView`].
pub enum Iter<'a> {
    /// Of a map.
    Map(reqwest::header::Iter<'a, reqwest::header::HeaderValue>),
    /// Of wire fields.
    Fields(std::slice::Iter<'a, (u32, u32, u32)>, &'a [u8]),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Map(i) => i.next().map(|(k, v)| (k.as_str(), v.as_bytes())),
            Iter::Fields(i, bytes) => i.next().map(|&(s, n, e)| {
                let name = std::str::from_utf8(&bytes[s as usize..n as usize]).unwrap_or_default();
                (name, &bytes[n as usize..e as usize])
            }),
        }
    }
}

impl<'a> HeaderView<'a> {
    /// Every field, in order (a map: grouped by name).
    pub fn iter(&self) -> Iter<'a> {
        match *self {
            HeaderView::Map(m) => Iter::Map(m.iter()),
            HeaderView::Fields(f) => Iter::Fields(f.spans.iter(), &f.bytes),
        }
    }

    /// The values of every field named `name` (any case).
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first value of `name` as text, when it is visible ASCII (as `HeaderValue::to_str`).
    pub fn get_str(&self, name: &str) -> Option<&'a str> {
        let v = self.get_all(name).next()?;
        v.iter()
            .all(|b| *b == b'\t' || (0x20..0x7f).contains(b))
            .then(|| std::str::from_utf8(v).ok())
            .flatten()
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        match self {
            HeaderView::Map(m) => m.len(),
            HeaderView::Fields(f) => f.spans.len(),
        }
    }

    /// No fields at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lanes_read_alike() {
        let mut f = Fields::with_capacity(3, 64);
        f.push(b"Content-Length", b"5");
        f.push(b"X-Note", b"caf\xc3\xa9");
        f.push(b"x-note", b"two");
        let mut m = HeaderMap::new();
        m.append("content-length", "5".parse().unwrap());
        m.append(
            "x-note",
            reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        m.append("x-note", "two".parse().unwrap());
        for v in [HeaderView::Fields(&f), HeaderView::Map(&m)] {
            assert_eq!(v.len(), 3);
            assert_eq!(v.get_str("CONTENT-LENGTH"), Some("5"));
            // Not visible ASCII: no text, as HeaderValue::to_str.
            assert_eq!(v.get_str("x-note"), None);
            let all: Vec<&[u8]> = v.get_all("X-Note").collect();
            assert_eq!(all, vec![&b"caf\xc3\xa9"[..], &b"two"[..]]);
            let names: Vec<&str> = v.iter().map(|(k, _)| k).collect();
            assert_eq!(names, ["content-length", "x-note", "x-note"]);
        }
        assert!(HeaderView::Fields(&Fields::default()).is_empty());
    }
}
