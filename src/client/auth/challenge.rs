//! Parsing `WWW-Authenticate` challenges (RFC 7235 / RFC 6750 syntax as registries send it):
//! several challenges in one header value, quoted values holding commas and escapes, unknown
//! parameters kept, `token68` forms skipped. Never panics, whatever the input.

use std::collections::BTreeMap;

/// One parsed challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme, lower-cased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters with lower-cased names (`realm`, `service`, `scope`, `error`, ...).
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lower-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A challenge with no parameters.
    pub fn bare(scheme: &str) -> Self {
        Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        }
    }
}

/// Parses a header value and returns the challenge a registry client should answer: the first
/// `Bearer` one, else the first `Basic` one, else the first of any scheme. `None` for an
/// empty or scheme-less value.
pub fn parse(value: &str) -> Option<Challenge> {
    pick(parse_all(value))
}

/// The preferred challenge among several (Bearer, then Basic, then the first).
pub fn pick(all: Vec<Challenge>) -> Option<Challenge> {
    let pos = all
        .iter()
        .position(|c| c.scheme == "bearer")
        .or_else(|| all.iter().position(|c| c.scheme == "basic"))
        .or(if all.is_empty() { None } else { Some(0) })?;
    all.into_iter().nth(pos)
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token68_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/".contains(c)
}

/// A cursor over the header value.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
    }
    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | ',')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> &'a str {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }
    /// A token68 (`abc+/==`) followed by the end or a comma; consumed when it is one.
    fn token68(&mut self) -> bool {
        let rest = &self.s[self.i..];
        let body = rest
            .find(|c: char| !is_token68_char(c))
            .unwrap_or(rest.len());
        if body == 0 {
            return false;
        }
        let after_body = &rest[body..];
        let pad = after_body
            .find(|c: char| c != '=')
            .unwrap_or(after_body.len());
        let tail = after_body[pad..].trim_start_matches([' ', '\t']);
        if tail.is_empty() || tail.starts_with(',') {
            self.i += body + pad;
            return true;
        }
        false
    }
    /// A quoted string (after the opening quote) with `\` escapes; an unterminated one runs
    /// to the end.
    fn quoted(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    if let Some(n) = self.bump() {
                        out.push(n);
                    }
                }
                '"' => break,
                c => out.push(c),
            }
        }
        out
    }
    /// An unquoted value: up to a comma or whitespace.
    fn bare_value(&mut self) -> &'a str {
        let start = self.i;
        while self.peek().is_some_and(|c| !matches!(c, ',' | ' ' | '\t')) {
            self.bump();
        }
        &self.s[start..self.i]
    }
    /// Skips anything up to the next comma (garbage between parameters).
    fn skip_to_comma(&mut self) {
        while let Some(c) = self.peek() {
            if c == ',' {
                break;
            }
            if c == '"' {
                self.bump();
                let _ = self.quoted();
            } else {
                self.bump();
            }
        }
    }
}

/// Parses every challenge of a header value, in order. Garbage between parameters is skipped;
/// a value starting with something that is not a scheme yields no challenge.
pub fn parse_all(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut cur = Cursor { s: value, i: 0 };
    // Every iteration consumes at least one character or stops: bounded by the input length.
    loop {
        cur.skip_ws_and_commas();
        if cur.peek().is_none() {
            break;
        }
        let before = cur.i;
        let name = cur.token();
        if name.is_empty() {
            // Not a token: skip this element (or stop if it is the first thing).
            if out.is_empty() {
                break;
            }
            cur.bump();
            cur.skip_to_comma();
            continue;
        }
        let after_name = cur.i;
        cur.skip_ws();
        if cur.peek() == Some('=') && !out.is_empty() {
            // `name = value`: a parameter of the current challenge.
            cur.bump();
            cur.skip_ws();
            let value = if cur.peek() == Some('"') {
                cur.bump();
                cur.quoted()
            } else {
                cur.bare_value().to_string()
            };
            cur.skip_ws();
            if cur.peek().is_some_and(|c| c != ',') {
                cur.skip_to_comma();
            }
            if let Some(last) = out.last_mut() {
                last.params
                    .entry(name.to_ascii_lowercase())
                    .or_insert(value);
            }
            continue;
        }
        if cur.peek() == Some('=') {
            // A parameter before any scheme: not a challenge header at all.
            break;
        }
        // A new scheme; it may be followed by a token68 instead of parameters.
        out.push(Challenge::bare(name));
        if cur.i > after_name || cur.peek().is_none() {
            let save = cur.i;
            if !cur.token68() {
                cur.i = save;
            }
        }
        debug_assert!(cur.i > before);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn real_world_headers() {
        // Each: header as sent by the registry, expected scheme and parameters.
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (
                // Docker Hub
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
                "bearer",
                &[
                    ("realm", "https://auth.docker.io/token"),
                    ("scope", "repository:library/alpine:pull"),
                    ("service", "registry.docker.io"),
                ],
            ),
            (
                // ACR (a scope with a comma inside the quotes, and an error)
                r#"Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io",scope="repository:a/b:pull,push",error="insufficient_scope""#,
                "bearer",
                &[
                    ("error", "insufficient_scope"),
                    ("realm", "https://myreg.azurecr.io/oauth2/token"),
                    ("scope", "repository:a/b:pull,push"),
                    ("service", "myreg.azurecr.io"),
                ],
            ),
            (
                // GHCR
                r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:octo/app:pull""#,
                "bearer",
                &[
                    ("realm", "https://ghcr.io/token"),
                    ("scope", "repository:octo/app:pull"),
                    ("service", "ghcr.io"),
                ],
            ),
            (
                // Harbor (service is not a host name)
                r#"Bearer realm="https://harbor.example.com/service/token",service="harbor-registry",scope="repository:library/nginx:pull,push""#,
                "bearer",
                &[
                    ("realm", "https://harbor.example.com/service/token"),
                    ("scope", "repository:library/nginx:pull,push"),
                    ("service", "harbor-registry"),
                ],
            ),
            (
                // CNCF Distribution with htpasswd
                r#"Basic realm="Registry Realm""#,
                "basic",
                &[("realm", "Registry Realm")],
            ),
            (
                // ECR: Basic with extra parameters
                r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#,
                "basic",
                &[
                    (
                        "realm",
                        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",
                    ),
                    ("service", "ecr.amazonaws.com"),
                ],
            ),
            (
                // Odd spacing, lower-case scheme, bare values, unknown parameters, escapes
                r#"  bearer  Realm = "https://r/t" ,  service=svc , charset="UTF-8", note="a \"b\", c""#,
                "bearer",
                &[
                    ("charset", "UTF-8"),
                    ("note", r#"a "b", c"#),
                    ("realm", "https://r/t"),
                    ("service", "svc"),
                ],
            ),
        ];
        for (header, scheme, want) in cases {
            let c = parse(header).unwrap_or_else(|| panic!("no challenge in {header}"));
            assert_eq!(c.scheme, *scheme, "{header}");
            assert_eq!(params(&c), want.to_vec(), "{header}");
        }
    }

    #[test]
    fn several_challenges_in_one_header() {
        let all = parse_all(
            r#"Basic realm="basic, realm", Bearer realm="https://r/token",service="s",scope="repository:x:pull,push", Negotiate abc+/==, Digest realm="d", nonce="n""#,
        );
        let schemes: Vec<&str> = all.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["basic", "bearer", "negotiate", "digest"]);
        assert_eq!(all[0].param("realm"), Some("basic, realm"));
        assert_eq!(all[1].param("scope"), Some("repository:x:pull,push"));
        assert!(all[2].params.is_empty());
        assert_eq!(all[3].param("nonce"), Some("n"));
        // The Bearer one is preferred regardless of order.
        assert_eq!(
            parse(r#"Basic realm="x", Bearer realm="y""#).map(|c| c.scheme),
            Some("bearer".into())
        );
        assert_eq!(
            parse("Negotiate, Basic realm=\"x\"").map(|c| c.scheme),
            Some("basic".into())
        );
    }

    #[test]
    fn garbage_gives_nothing_or_what_is_parseable() {
        assert!(parse("").is_none());
        assert!(parse("   ,, ").is_none());
        assert!(parse("\"oops\"").is_none());
        assert!(parse("realm=\"x\"").is_none());
        let c = parse(r#"Bearer realm="unterminated"#).expect("scheme");
        assert_eq!(c.param("realm"), Some("unterminated"));
        let c = parse(r#"Bearer realm="x" junk junk, service="s""#).expect("scheme");
        assert_eq!(c.param("realm"), Some("x"));
        assert_eq!(c.param("service"), Some("s"));
        // Duplicate parameters: the first wins.
        let c = parse(r#"Bearer realm="a", realm="b""#).expect("scheme");
        assert_eq!(c.param("realm"), Some("a"));
        // Random input over the characters that matter never panics, and every parsed
        // scheme is a non-empty token (bounded: 20,000 inputs of at most 40 characters).
        use rand::{Rng, SeedableRng};
        let alphabet: Vec<char> = "Bb r=\",\\ \té,;a-Z0~+/".chars().collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..40);
            let s: String = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            for c in parse_all(&s) {
                assert!(
                    !c.scheme.is_empty() && c.scheme.chars().all(is_tchar),
                    "{s:?}"
                );
            }
        }
        // Non-ASCII never panics.
        let _ = parse_all("Bearer réalm=\"é\", ü=ß, \"\\");
        let _ = parse_all("\\");
        let _ = parse_all("Bearer =");
    }
}
