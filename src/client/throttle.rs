//! Throttling: which answers ask to be retried (429, or 503 with `Retry-After`) and how long
//! to wait, bounded in count and duration.

use crate::exchange::ObservedResponse;
use std::time::Duration;

/// How many times a throttled request is retried.
pub const MAX_THROTTLE_RETRIES: usize = 3;
/// The longest wait for one `Retry-After`.
pub const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(10);

/// How long to wait before retrying, when the response asks to be retried: 429, or 503 with
/// `Retry-After` (delta-seconds; an HTTP date or garbage counts as 1 s), capped.
pub(crate) fn throttle_wait(resp: &ObservedResponse) -> Option<Duration> {
    let after = resp.header("retry-after");
    match (resp.status, after) {
        (429, _) | (503, Some(_)) => {
            let secs = after
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1);
            Some(Duration::from_secs(secs).min(MAX_THROTTLE_WAIT))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_waits_are_bounded() {
        let resp = |status, after: Option<&str>| ObservedResponse {
            status,
            headers: after
                .map(|a| vec![("Retry-After".to_string(), a.to_string())])
                .unwrap_or_default(),
            body: Default::default(),
        };
        assert_eq!(
            throttle_wait(&resp(429, Some("2"))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            throttle_wait(&resp(429, None)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            throttle_wait(&resp(429, Some("3600"))),
            Some(MAX_THROTTLE_WAIT)
        );
        assert_eq!(
            throttle_wait(&resp(503, Some("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(throttle_wait(&resp(503, None)), None);
        assert_eq!(throttle_wait(&resp(200, Some("5"))), None);
    }
}
