//! CI thresholds over a load report: `[WORKLOAD.]METRIC OP VALUE`, e.g. `pull.p99<250ms`,
//! `error_rate<0.1%`, `pull.mbps>500`, `ttfb.p99<=50ms`, `errors.digest_mismatch<1`. Without a
//! workload the metric is of all workloads together. A violated threshold makes the run exit 1.

use super::error::LoadError;
use super::report::{LoadReport, OpReport};
use super::spec::Workload;
use super::units::{parse_duration, parse_fraction};
use serde::{Deserialize, Serialize};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// What is measured.
#[derive(Debug, Clone, PartialEq)]
enum Metric {
    /// Latency quantile (0..=1), of total latency or of time to first byte.
    Quantile {
        q: f64,
        ttfb: bool,
    },
    Max {
        ttfb: bool,
    },
    Mean {
        ttfb: bool,
    },
    Rps,
    Mbps,
    ErrorRate,
    Errors(Option<String>),
    Requests,
}

/// A parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As written.
    pub expr: String,
    op: String,
    metric: Metric,
    cmp: Cmp,
    /// Limit (µs for latencies, a fraction for rates of errors).
    limit: f64,
}

impl Threshold {
    /// Whether it bounds errors (`error_rate`, `errors`): then it, not the mere presence of
    /// errors, decides the exit code.
    pub fn bounds_errors(&self) -> bool {
        matches!(self.metric, Metric::ErrorRate | Metric::Errors(_))
    }
}

/// A threshold checked against a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// As written.
    pub expr: String,
    /// Held.
    pub ok: bool,
    /// The measured value, as people read it.
    pub actual: String,
}

const EXAMPLES: &str = "pull.p99<250ms, error_rate<0.1%, pull.mbps>500";

impl std::str::FromStr for Threshold {
    type Err = LoadError;

    fn from_str(s: &str) -> Result<Self, LoadError> {
        let bad =
            |why: &str| LoadError::Config(format!("threshold `{s}`: {why} (examples: {EXAMPLES})"));
        let (pos, cmp, len) = ["<=", ">=", "<", ">"]
            .iter()
            .filter_map(|c| s.find(c).map(|p| (p, *c)))
            .min_by_key(|(p, c)| (*p, usize::MAX - c.len()))
            .map(|(p, c)| {
                let cmp = match c {
                    "<=" => Cmp::Le,
                    ">=" => Cmp::Ge,
                    "<" => Cmp::Lt,
                    _ => Cmp::Gt,
                };
                (p, cmp, c.len())
            })
            .ok_or_else(|| bad("no comparison (<, <=, >, >=)"))?;
        let left = s[..pos].trim();
        let right = s[pos + len..].trim();
        let (op, metric_text) = Workload::ALL
            .iter()
            .map(|w| w.name())
            .chain(["total"])
            .find_map(|n| {
                left.strip_prefix(n)
                    .and_then(|r| r.strip_prefix('.'))
                    .map(|r| (n, r))
            })
            .unwrap_or(("total", left));
        let (ttfb, m) = match metric_text.strip_prefix("ttfb.") {
            Some(r) => (true, r),
            None => (false, metric_text),
        };
        let metric = match m {
            "max" => Metric::Max { ttfb },
            "mean" | "avg" => Metric::Mean { ttfb },
            "rps" if !ttfb => Metric::Rps,
            "mbps" if !ttfb => Metric::Mbps,
            "error_rate" if !ttfb => Metric::ErrorRate,
            "errors" if !ttfb => Metric::Errors(None),
            "requests" if !ttfb => Metric::Requests,
            _ if !ttfb && m.starts_with("errors.") => {
                let kind = &m["errors.".len()..];
                if !super::metrics::ErrorKind::ALL
                    .iter()
                    .any(|k| k.name() == kind)
                {
                    return Err(bad("unknown error kind"));
                }
                Metric::Errors(Some(kind.to_string()))
            }
            _ => match m.strip_prefix('p').and_then(|p| p.parse::<f64>().ok()) {
                Some(p) if p > 0.0 && p <= 100.0 => Metric::Quantile { q: p / 100.0, ttfb },
                _ => {
                    return Err(bad(
                        "unknown metric (p50, p99, p99.9, max, mean, ttfb.p99, rps, mbps, error_rate, errors, requests)",
                    ));
                }
            },
        };
        let limit = match metric {
            Metric::Quantile { .. } | Metric::Max { .. } | Metric::Mean { .. } => {
                Some(right)
                    .filter(|r| r.ends_with(|c: char| c.is_alphabetic()))
                    .ok_or(())
                    .and_then(|r| parse_duration(r).map_err(|_| ()))
                    .map_err(|_| bad("a latency limit needs a unit, e.g. 250ms"))?
                    .as_secs_f64()
                    * 1e6
            }
            Metric::ErrorRate => parse_fraction(right)
                .map_err(|_| bad("an error rate limit is a percentage, e.g. 0.1%"))?,
            _ => right
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad("the limit is not a number"))?,
        };
        Ok(Threshold {
            expr: s.trim().to_string(),
            op: op.to_string(),
            metric,
            cmp,
            limit,
        })
    }
}

fn value(metric: &Metric, o: &OpReport) -> f64 {
    let lat = |ttfb: bool| if ttfb { &o.ttfb } else { &o.latency };
    match metric {
        Metric::Quantile { q, ttfb } => lat(*ttfb).quantile(*q) as f64,
        Metric::Max { ttfb } => lat(*ttfb).max_us as f64,
        Metric::Mean { ttfb } => lat(*ttfb).mean_us,
        Metric::Rps => o.rps,
        Metric::Mbps => o.mbps,
        Metric::ErrorRate => o.error_rate,
        Metric::Errors(None) => o.errors as f64,
        Metric::Errors(Some(kind)) => o.errors_by_kind.get(kind).copied().unwrap_or(0) as f64,
        Metric::Requests => o.requests as f64,
    }
}

fn shown(metric: &Metric, v: f64) -> String {
    match metric {
        Metric::Quantile { .. } | Metric::Max { .. } | Metric::Mean { .. } => {
            format!("{:.2} ms", v / 1000.0)
        }
        Metric::ErrorRate => format!("{:.4}%", v * 100.0),
        Metric::Rps | Metric::Mbps => format!("{v:.1}"),
        _ => format!("{v:.0}"),
    }
}

impl Threshold {
    /// Checks the threshold. A workload the run did not drive fails the threshold (its
    /// measurement is missing), so a typo cannot pass silently.
    pub fn check(&self, report: &LoadReport) -> ThresholdResult {
        let Some(o) = report.op(&self.op) else {
            return ThresholdResult {
                expr: self.expr.clone(),
                ok: false,
                actual: format!("no `{}` operations in this run", self.op),
            };
        };
        let v = value(&self.metric, o);
        let ok = match self.cmp {
            Cmp::Lt => v < self.limit,
            Cmp::Le => v <= self.limit,
            Cmp::Gt => v > self.limit,
            Cmp::Ge => v >= self.limit,
        };
        ThresholdResult {
            expr: self.expr.clone(),
            ok,
            actual: shown(&self.metric, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse() {
        let t: Threshold = "pull.p99<250ms".parse().unwrap();
        assert_eq!(t.op, "pull");
        assert_eq!(
            t.metric,
            Metric::Quantile {
                q: 0.99,
                ttfb: false
            }
        );
        assert_eq!(t.limit, 250_000.0);
        let t: Threshold = "pull-range.ttfb.p99.9 <= 1s".parse().unwrap();
        assert_eq!(t.op, "pull-range");
        assert!(
            matches!(t.metric, Metric::Quantile { q, ttfb: true } if (q - 0.999).abs() < 1e-9),
            "{:?}",
            t.metric
        );
        assert_eq!(t.cmp, Cmp::Le);
        let t: Threshold = "error_rate<0.1%".parse().unwrap();
        assert_eq!(t.op, "total");
        assert!((t.limit - 0.001).abs() < 1e-12);
        let t: Threshold = "errors.digest_mismatch<1".parse().unwrap();
        assert_eq!(t.metric, Metric::Errors(Some("digest_mismatch".into())));
        assert!("pull.p99<250".parse::<Threshold>().is_err());
        assert!("pull.speed>3".parse::<Threshold>().is_err());
        assert!("pull.p99".parse::<Threshold>().is_err());
        assert!("errors.oops<1".parse::<Threshold>().is_err());
        assert!("p0<1ms".parse::<Threshold>().is_err());
    }
}
