//! `LimitArgs`: the flags that bound what a target may send (flattened into `run` and `load`).
//! The whole-request deadline is `--timeout` (in `TargetArgs`); defaults are `Limits::default()`.

use crate::client::Limits;
use crate::client::limits::MIB;
use clap::Args;
use std::time::Duration;

/// Limits on the target's answers; a breach is a finding naming the request and the limit.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Seconds to establish a connection.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: u64,
    /// Seconds from sending a request to receiving the whole response head.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub headers_timeout: u64,
    /// Largest manifest body, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_manifest_mib: u64,
    /// Largest JSON body (listings, tokens, ACR metadata, errors), in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_json_mib: u64,
    /// Largest response head (status line and headers), in KiB.
    #[arg(long, value_name = "KIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_head_kib: u64,
    /// Longest redirect chain followed.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub max_redirects: u64,
    /// Deepest JSON nesting accepted.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub max_json_depth: u64,
}

impl LimitArgs {
    /// The client limits these flags describe.
    pub fn to_limits(&self) -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(self.connect_timeout),
            headers_timeout: Duration::from_secs(self.headers_timeout),
            max_manifest_bytes: self.max_manifest_mib * MIB,
            max_json_bytes: self.max_json_mib * MIB,
            max_head_bytes: self.max_head_kib * 1024,
            max_redirects: self.max_redirects as usize,
            max_json_depth: self.max_json_depth as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        limits: LimitArgs,
    }

    #[test]
    fn defaults_are_the_library_defaults_and_flags_override() {
        let t = T::try_parse_from(["t"]).unwrap();
        assert_eq!(t.limits.to_limits(), Limits::default());
        let t =
            T::try_parse_from(["t", "--max-manifest-mib", "1", "--max-redirects", "0"]).unwrap();
        let l = t.limits.to_limits();
        assert_eq!(l.max_manifest_bytes, MIB);
        assert_eq!(l.max_redirects, 0);
        assert!(T::try_parse_from(["t", "--max-json-depth", "0"]).is_err());
    }
}
