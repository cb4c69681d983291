//! The generator's own CPU time: what the regcheck process (all its threads) spent in user and
//! system mode, read with `getrusage(RUSAGE_SELF)`, so a report can say what its measured phase
//! cost the generator, and whether the generator — not the target — may have been the limit.

use serde::{Deserialize, Serialize};

/// CPU seconds, user and system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTime {
    /// In user mode.
    pub user_secs: f64,
    /// In the kernel on the process's behalf (system calls, the network stack).
    pub system_secs: f64,
    /// The target ran in the same process (the embedded registry): its work is included.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub includes_target: bool,
}

impl CpuTime {
    /// The process's CPU time so far; `None` where it cannot be read.
    pub fn now() -> Option<CpuTime> {
        #[cfg(unix)]
        {
            let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
            // SAFETY: getrusage writes a whole `rusage` into the pointer it is given and
            // returns 0 when it did; nothing is read before that.
            let usage = unsafe {
                if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
                    return None;
                }
                usage.assume_init()
            };
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            Some(CpuTime {
                user_secs: secs(usage.ru_utime),
                system_secs: secs(usage.ru_stime),
                includes_target: false,
            })
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// The time spent since `earlier`.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user_secs: (self.user_secs - earlier.user_secs).max(0.0),
            system_secs: (self.system_secs - earlier.system_secs).max(0.0),
            includes_target: self.includes_target || earlier.includes_target,
        }
    }

    /// User and system together.
    pub fn total(&self) -> f64 {
        self.user_secs + self.system_secs
    }

    /// Both sums of `parts` (shards of one load, each its own process).
    pub fn sum(parts: impl IntoIterator<Item = CpuTime>) -> CpuTime {
        parts.into_iter().fold(CpuTime::default(), |a, b| CpuTime {
            user_secs: a.user_secs + b.user_secs,
            system_secs: a.system_secs + b.system_secs,
            includes_target: a.includes_target || b.includes_target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_shows_as_user_time() {
        let before = CpuTime::now().expect("getrusage works here");
        let mut x = 0u64;
        let spin = std::time::Instant::now();
        while spin.elapsed() < std::time::Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let spent = CpuTime::now().unwrap().since(before);
        assert!(spent.total() >= 0.1, "{spent:?}");
        assert!(spent.total() < 5.0, "{spent:?}");
    }
}
