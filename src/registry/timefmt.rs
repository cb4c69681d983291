//! Timestamps of the metadata store: unix nanoseconds, rendered as RFC 3339 with seven
//! fractional digits and `Z` (the shape ACR returns, e.g. `2022-07-08T21:52:31.3066134Z`).

use time::OffsetDateTime;
use time::macros::format_description;

/// Current time in unix nanoseconds.
pub(crate) fn now_nanos() -> i128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos()
}

/// Renders unix nanoseconds as `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
pub(crate) fn rfc3339(nanos: i128) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.0000000Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_seven_fraction_digits_and_z() {
        assert_eq!(
            rfc3339(1_657_317_151_306_613_400),
            "2022-07-08T21:52:31.3066134Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.0000000Z");
    }
}
