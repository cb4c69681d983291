//! HTTP `Range` request parsing for blob downloads (RFC 9110 single byte ranges).

/// Outcome of interpreting a `Range` header against a blob of `total` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeOutcome {
    /// Serve the whole blob (no header, multi-range or unparsable header).
    Full,
    /// Serve bytes `start..=end` with 206.
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */total`.
    Unsatisfiable,
}

/// Interprets `bytes=a-b`, `bytes=a-`, `bytes=-n`. `a > b`, a start beyond the end, a zero
/// suffix and any range of an empty blob are unsatisfiable.
pub(crate) fn interpret(header: Option<&str>, total: u64) -> RangeOutcome {
    let Some(raw) = header else {
        return RangeOutcome::Full;
    };
    let Some(spec) = raw.trim().strip_prefix("bytes=") else {
        return RangeOutcome::Full;
    };
    if spec.contains(',') {
        return RangeOutcome::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeOutcome::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return RangeOutcome::Full;
        };
        if n == 0 || total == 0 {
            return RangeOutcome::Unsatisfiable;
        }
        let n = n.min(total);
        return RangeOutcome::Partial {
            start: total - n,
            end: total - 1,
        };
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeOutcome::Full;
    };
    let end = if b.is_empty() {
        None
    } else {
        match b.parse::<u64>() {
            Ok(e) => Some(e),
            Err(_) => return RangeOutcome::Full,
        }
    };
    if let Some(e) = end
        && e < start
    {
        return RangeOutcome::Unsatisfiable;
    }
    if start >= total {
        return RangeOutcome::Unsatisfiable;
    }
    let end = end.map_or(total - 1, |e| e.min(total - 1));
    RangeOutcome::Partial { start, end }
}

#[cfg(test)]
mod tests {
    use super::RangeOutcome::*;
    use super::*;

    #[test]
    fn range_math() {
        assert_eq!(interpret(None, 10), Full);
        assert_eq!(
            interpret(Some("bytes=0-4"), 10),
            Partial { start: 0, end: 4 }
        );
        assert_eq!(
            interpret(Some("bytes=500-1499"), 2048),
            Partial {
                start: 500,
                end: 1499
            }
        );
        assert_eq!(
            interpret(Some("bytes=500-"), 2048),
            Partial {
                start: 500,
                end: 2047
            }
        );
        assert_eq!(
            interpret(Some("bytes=-500"), 2048),
            Partial {
                start: 1548,
                end: 2047
            }
        );
        assert_eq!(
            interpret(Some("bytes=-5000"), 2048),
            Partial {
                start: 0,
                end: 2047
            }
        );
        assert_eq!(
            interpret(Some("bytes=2000-5000"), 2048),
            Partial {
                start: 2000,
                end: 2047
            }
        );
        assert_eq!(interpret(Some("bytes=500-0"), 2048), Unsatisfiable);
        assert_eq!(interpret(Some("bytes=5000-10000"), 2048), Unsatisfiable);
        assert_eq!(interpret(Some("bytes=2048-"), 2048), Unsatisfiable);
        assert_eq!(interpret(Some("bytes=-0"), 2048), Unsatisfiable);
        assert_eq!(interpret(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(interpret(Some("bytes=0-1,4-5"), 10), Full);
        assert_eq!(interpret(Some("items=0-1"), 10), Full);
        assert_eq!(interpret(Some("bytes=x-1"), 10), Full);
    }
}
