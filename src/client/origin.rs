//! URL helpers about where a request goes: origins (credentials are scoped to one), loopback
//! hosts (plain http is accepted for them only), and URLs safe to print (no query).

use url::{Host, Url};

/// `scheme://host:port` of a URL.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether two URLs share scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The URL without its query (queries may carry signatures).
pub fn strip_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// `host[:port]` of a URL (the `service` of token requests).
pub fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// Whether the URL's host is this machine: `127.0.0.0/8`, `::1`, `localhost` (and
/// `*.localhost`, which resolvers map to loopback).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_port() {
        let a = Url::parse("http://127.0.0.1:5000/v2/").unwrap();
        let b = Url::parse("http://127.0.0.1:5000/x?y").unwrap();
        let c = Url::parse("http://127.0.0.1:5001/v2/").unwrap();
        let d = Url::parse("https://127.0.0.1:5000/v2/").unwrap();
        assert!(same_origin(&a, &b));
        assert!(!same_origin(&a, &c));
        assert!(!same_origin(&a, &d));
        assert_eq!(host_port(&c), "127.0.0.1:5001");
        assert_eq!(strip_query(&b), "http://127.0.0.1:5000/x");
    }

    #[test]
    fn loopback_hosts() {
        for (url, want) in [
            ("http://127.0.0.1:5000", true),
            ("http://127.9.9.9", true),
            ("http://[::1]:80", true),
            ("http://localhost:5000", true),
            ("http://reg.localhost", true),
            ("http://LOCALHOST.", true),
            ("http://10.0.0.1", false),
            ("http://localhost.example.com", false),
            ("https://myreg.azurecr.io", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), want, "{url}");
        }
    }
}
