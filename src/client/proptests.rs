//! Property tests of the client's parsers of target input: `WWW-Authenticate` challenges,
//! `Retry-After`, byte ranges, JSON depth and size budgets, and the redirect `Location`
//! resolution the runner relies on: no panic on any input, and the limits hold.

use super::challenge;
use super::limits::{self, BodyClass, Budget, Limits};
use super::throttle::throttle_wait;
use crate::exchange::ObservedResponse;
use proptest::prelude::*;
use url::Url;

fn challenge_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(Bearer|Basic|bearer|Negotiate|)[ \t]{0,2}([a-zA-Z]{0,8}[ ]?=[ ]?(\"([^\"\\\\]|\\\\.){0,20}\"?|[a-z:/.]{0,20})[ ]?,?){0,5}",
    ]
}

proptest! {
    #[test]
    fn challenges_parse_or_decline(s in challenge_like()) {
        if let Some(c) = challenge::parse(&s) {
            prop_assert!(!c.scheme.is_empty());
            prop_assert_eq!(c.scheme.clone(), c.scheme.to_ascii_lowercase());
            for k in c.params.keys() {
                prop_assert_eq!(k.clone(), k.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn retry_after_waits_are_capped(v in any::<String>(), status in prop::sample::select(vec![200u16, 429, 503])) {
        let resp = ObservedResponse {
            status,
            headers: vec![("Retry-After".into(), v)],
            body: Default::default(),
        };
        if let Some(w) = throttle_wait(&resp) {
            prop_assert!(w <= super::MAX_THROTTLE_WAIT);
        }
    }

    #[test]
    fn requested_lengths_never_overflow(v in "(bytes=)?[0-9]{0,22}-[0-9]{0,22}|[ -~]{0,30}") {
        let headers = vec![("Range".to_string(), v)];
        if let Some(n) = limits::requested_length(&headers) {
            prop_assert!(n >= 1);
        }
    }

    #[test]
    fn json_depth_is_exact_on_nested_arrays_and_bounded_on_anything(
        depth in 0usize..300,
        junk in prop::collection::vec(any::<u8>(), 0..512),
        stop in 1usize..100,
    ) {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        prop_assert_eq!(limits::json_depth(nested.as_bytes(), usize::MAX), depth);
        let d = limits::json_depth(&junk, stop);
        prop_assert!(d <= stop + 1);
        let l = Limits { max_json_depth: stop, ..Limits::default() };
        let _ = limits::check_json_depth(&l, &junk);
        if depth > stop {
            prop_assert!(limits::check_json_depth(&l, nested.as_bytes()).is_err());
        }
    }

    #[test]
    fn budgets_stop_exactly_past_their_limit(
        cl in prop::option::of(any::<u64>()),
        requested in prop::option::of(any::<u64>()),
        received in any::<u64>(),
        class in prop::sample::select(vec![BodyClass::Blob, BodyClass::Manifest, BodyClass::Json, BodyClass::NoBody]),
    ) {
        let l = Limits::default();
        let b = Budget::new(&l, class, cl, requested);
        let over = b.max.is_some_and(|m| received > m);
        prop_assert_eq!(b.check_received(received).is_err(), over);
        if let Err(breach) = b.check_declared(cl) {
            prop_assert!(breach.detail.contains("Content-Length"));
        }
    }

    #[test]
    fn locations_resolve_or_are_refused(loc in "[ -~]{0,60}|(https?://[a-z0-9.:@\\[\\]%-]{0,30})?/[ -~]{0,30}") {
        let base = Url::parse("http://127.0.0.1:5000/v2/a/blobs/sha256:00").expect("base");
        if let Ok(next) = base.join(&loc) {
            let _ = super::same_origin(&next, &base);
            let _ = super::request_label("GET", &next, &base);
            let _ = super::strip_query(&next);
        }
    }

    #[test]
    fn classes_are_total(method in "[A-Z]{0,7}", path in "[ -~]{0,60}", status in any::<u16>(), foreign in any::<bool>()) {
        if let Ok(url) = Url::parse("http://127.0.0.1:5000/").and_then(|b| b.join(&path)) {
            let _ = BodyClass::of(&method, &url, status, foreign);
        }
    }
}
