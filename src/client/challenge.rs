//! Parsing `WWW-Authenticate` challenges (RFC 7235 / RFC 6750 syntax as registries send it).

use std::collections::BTreeMap;

/// One parsed challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme, lower-cased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters with lower-cased names (`realm`, `service`, `scope`, `error`).
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lower-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Parses a header value holding one challenge: `Bearer realm="x",service="y",scope="a b"`.
/// Returns `None` for an empty or scheme-less value.
pub fn parse(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = match value.find(char::is_whitespace) {
        Some(i) => (&value[..i], value[i..].trim_start()),
        None => (value, ""),
    };
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.char_indices().peekable();
    let bytes = rest;
    while let Some(&(start, _)) = chars.peek() {
        // name
        let mut name_end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' {
                break;
            }
            name_end = i + c.len_utf8();
            chars.next();
        }
        let name = bytes[start..name_end]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        if chars.next().is_none() {
            break; // no '=': token68 or garbage, ignore
        }
        // value
        let mut val = String::new();
        if let Some(&(_, '"')) = chars.peek() {
            chars.next();
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => break,
                    c => val.push(c),
                }
            }
            // skip to the comma
            while let Some(&(_, c)) = chars.peek() {
                chars.next();
                if c == ',' {
                    break;
                }
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                chars.next();
                if c == ',' {
                    break;
                }
                val.push(c);
            }
            val = val.trim().to_string();
        }
        if !name.is_empty() {
            params.insert(name, val);
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acr_bearer_challenge() {
        let c = parse(r#"Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io",scope="repository:a/b:push,pull""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://r.azurecr.io/oauth2/token"));
        assert_eq!(c.param("service"), Some("r.azurecr.io"));
        assert_eq!(c.param("scope"), Some("repository:a/b:push,pull"));
    }

    #[test]
    fn parses_basic_and_error_params() {
        let c = parse(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.param("realm"), Some("Registry Realm"));
        let c = parse(r#"Bearer realm="x", error="insufficient_scope""#).unwrap();
        assert_eq!(c.param("error"), Some("insufficient_scope"));
        assert!(parse("").is_none());
        assert!(parse("\"oops\"").is_none());
    }
}
