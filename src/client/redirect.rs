//! The one redirect policy, stepped through by every loop that follows redirects (the runner's
//! full path and load's lean path): which answers are redirects, where they lead, how many are
//! followed, and what may travel along. Credentials and writes stay on the target's origin (a
//! hop to another host goes without `Authorization`, and only a GET or HEAD goes there); a 303
//! turns the request into a body-less GET (a HEAD stays a HEAD); a chain longer than `--max-redirects` stops.

use super::origin::{same_origin, strip_query};
use reqwest::Method;
use url::Url;

/// Whether a status is a redirect the client follows.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The next request of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Where it goes.
    pub url: Url,
    /// With which method (a 303 makes it a GET).
    pub method: Method,
    /// The request body is dropped (after a 303).
    pub drop_body: bool,
    /// Credentials may go along: the hop is on the target's origin and the chain never left
    /// it. When false, send none and remove any credential header the request carried.
    pub credentials: bool,
}

/// Why a chain is not followed further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectError {
    /// More than `max` redirects (a loop, say); `status` and `location` are the last one's.
    TooMany {
        /// The limit.
        max: usize,
        /// Status of the redirect that went over it.
        status: u16,
        /// Its `Location`, without a query.
        location: String,
    },
    /// A write would go to another host.
    ForeignWrite(String),
}

/// A write (anything but GET and HEAD) never goes to another host: the message to refuse it
/// with, when `url` is off the target's origin.
pub fn refuse_foreign_write(target: &Url, method: &Method, url: &Url) -> Result<(), String> {
    if *method == Method::GET || *method == Method::HEAD || same_origin(url, target) {
        return Ok(());
    }
    Err(format!(
        "refusing to follow a redirect of {method} to another host ({})",
        strip_query(url)
    ))
}

/// The state of one redirect chain.
#[derive(Debug, Clone)]
pub struct Redirects<'a> {
    target: &'a Url,
    max: usize,
    followed: usize,
    /// A hop went to another origin: no credentials for the rest of the chain.
    left_origin: bool,
}

impl<'a> Redirects<'a> {
    /// A chain of requests to `target`'s registry, following at most `max` redirects.
    pub fn new(target: &'a Url, max: usize) -> Self {
        Redirects {
            target,
            max,
            followed: 0,
            left_origin: false,
        }
    }

    /// Redirects followed so far.
    pub fn followed(&self) -> usize {
        self.followed
    }

    /// After an answer `status` (with its `Location`, if any) to `method url`: the next hop, or
    /// `None` when this answer is the last (not a redirect, or a redirect without a usable
    /// `Location` — the contract rules judge that one).
    pub fn next(
        &mut self,
        method: &Method,
        url: &Url,
        status: u16,
        location: Option<&str>,
    ) -> Result<Option<Hop>, RedirectError> {
        let (true, Some(location)) = (is_redirect(status), location) else {
            return Ok(None);
        };
        if self.followed >= self.max {
            return Err(RedirectError::TooMany {
                max: self.max,
                status,
                location: location.split('?').next().unwrap_or_default().to_string(),
            });
        }
        let Ok(next) = url.join(location) else {
            return Ok(None);
        };
        let see_other = status == 303;
        // RFC 9110 §15.4.4: after a 303 the client retrieves (GET, or HEAD for a HEAD).
        let method = if see_other && *method != Method::HEAD {
            Method::GET
        } else {
            method.clone()
        };
        refuse_foreign_write(self.target, &method, &next).map_err(RedirectError::ForeignWrite)?;
        self.followed += 1;
        self.left_origin |= !same_origin(&next, self.target);
        Ok(Some(Hop {
            credentials: !self.left_origin,
            url: next,
            method,
            drop_body: see_other,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn hops_keep_credentials_on_the_origin_only() {
        let target = u("http://reg.test/");
        let mut r = Redirects::new(&target, 10);
        let here = u("http://reg.test/v2/r/blobs/sha256:a");
        let hop = r
            .next(&Method::GET, &here, 307, Some("/v2/r/blobs/sha256:b"))
            .unwrap()
            .unwrap();
        assert!(hop.credentials);
        assert_eq!(hop.url.as_str(), "http://reg.test/v2/r/blobs/sha256:b");
        let hop = r
            .next(
                &Method::GET,
                &here,
                302,
                Some("http://storage.test/x?sig=s"),
            )
            .unwrap()
            .unwrap();
        assert!(!hop.credentials);
        assert_eq!(r.followed(), 2);
        // Once the chain has left the origin, coming back does not bring credentials back.
        let hop = r
            .next(&Method::GET, &here, 307, Some("/v2/r/blobs/sha256:c"))
            .unwrap()
            .unwrap();
        assert!(!hop.credentials);
        // Another port is another origin.
        let mut r = Redirects::new(&target, 10);
        let hop = r
            .next(&Method::HEAD, &here, 307, Some("http://reg.test:81/x"))
            .unwrap()
            .unwrap();
        assert!(!hop.credentials);
    }

    #[test]
    fn final_answers_and_unusable_locations_end_the_chain() {
        let target = u("http://reg.test/");
        let mut r = Redirects::new(&target, 10);
        let here = u("http://reg.test/v2/");
        assert_eq!(r.next(&Method::GET, &here, 200, Some("/x")), Ok(None));
        assert_eq!(r.next(&Method::GET, &here, 307, None), Ok(None));
        assert_eq!(
            r.next(&Method::GET, &here, 307, Some("http://[::1")),
            Ok(None)
        );
        assert_eq!(r.followed(), 0);
    }

    #[test]
    fn writes_stay_home_and_303_becomes_get() {
        let target = u("http://reg.test/");
        let here = u("http://reg.test/v2/r/blobs/uploads/u");
        let mut r = Redirects::new(&target, 10);
        let e = r
            .next(&Method::PUT, &here, 307, Some("http://other.test/u"))
            .unwrap_err();
        assert!(
            matches!(e, RedirectError::ForeignWrite(m) if m.contains("PUT") && m.contains("other.test"))
        );
        let hop = r
            .next(&Method::PUT, &here, 307, Some("/v2/r/blobs/uploads/v"))
            .unwrap()
            .unwrap();
        assert_eq!((hop.method, hop.drop_body), (Method::PUT, false));
        let hop = r
            .next(&Method::POST, &here, 303, Some("http://other.test/done"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (hop.method, hop.drop_body, hop.credentials),
            (Method::GET, true, false)
        );
    }

    #[test]
    fn a_chain_stops_after_max_redirects() {
        let target = u("http://reg.test/");
        let here = u("http://reg.test/loop");
        let mut r = Redirects::new(&target, 2);
        assert!(
            r.next(&Method::GET, &here, 302, Some("/loop"))
                .unwrap()
                .is_some()
        );
        assert!(
            r.next(&Method::GET, &here, 302, Some("/loop"))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            r.next(&Method::GET, &here, 302, Some("/loop?sig=x")),
            Err(RedirectError::TooMany {
                max: 2,
                status: 302,
                location: "/loop".into()
            })
        );
    }
}
