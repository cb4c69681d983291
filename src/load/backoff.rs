//! A worker's back-off after failures that say the target cannot be reached (connection
//! refused, reset, timed out before an answer): the next operation waits, doubling from
//! [`FIRST`] up to [`CAP`], with jitter so workers do not return in lock step; one success
//! resets it. Without it a closed-model worker facing a down target spins, tens of thousands
//! of failed connects a second, and reports them as throughput.

use super::metrics::{ErrorKind, Failure};
use rand::Rng;
use std::time::Duration;

/// The first wait.
pub const FIRST: Duration = Duration::from_millis(10);
/// The longest wait.
pub const CAP: Duration = Duration::from_secs(1);

/// One worker's back-off state.
#[derive(Debug, Default)]
pub struct Backoff {
    /// Failures in a row that called for a wait.
    streak: u32,
}

impl Backoff {
    /// After an operation: how long to wait before the next one (`None`: go on at once).
    pub fn after(&mut self, failure: Option<&Failure>) -> Option<Duration> {
        match failure {
            Some(f) if matches!(f.kind, ErrorKind::Connection) => {
                let base = FIRST.saturating_mul(1u32 << self.streak.min(16)).min(CAP);
                self.streak = self.streak.saturating_add(1);
                // Full jitter over the upper half: between base/2 and base.
                let half = base / 2;
                let jitter = rand::thread_rng().gen_range(0..=half.as_micros() as u64);
                Some(half + Duration::from_micros(jitter))
            }
            Some(_) => None,
            None => {
                self.streak = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_back_off_doubling_to_the_cap_and_a_success_resets() {
        let refused = Failure::new(ErrorKind::Connection, "refused");
        let mut b = Backoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| b.after(Some(&refused)).unwrap()).collect();
        assert!(waits[0] >= FIRST / 2 && waits[0] <= FIRST, "{waits:?}");
        assert!(waits[3] >= FIRST * 4 && waits[3] <= FIRST * 8, "{waits:?}");
        assert!(waits.iter().all(|w| *w <= CAP), "{waits:?}");
        assert!(waits[9] >= CAP / 2, "{waits:?}");
        // Other failures (a status, wrong bytes) are answers: no wait, no reset.
        assert_eq!(b.after(Some(&Failure::status(500, "x"))), None);
        assert!(b.after(Some(&refused)).unwrap() >= CAP / 2);
        assert_eq!(b.after(None), None);
        assert!(b.after(Some(&refused)).unwrap() <= FIRST);
    }
}
