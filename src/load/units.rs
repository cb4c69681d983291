//! Parsing of the quantities load flags are written in: sizes (`4KiB`, `1MiB`, `1.5GB`),
//! durations (`500ms`, `10s`, `2m`), rates (`200`, `200/s`) and percentages (`0.1%`).

use super::error::LoadError;
use std::time::Duration;

/// `12.5MiB` → (12.5, "MiB"); `None` when it does not start with a number.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    num.parse().ok().map(|v| (v, unit))
}

/// Parses a byte size: a number with an optional unit (B, KiB, MiB, GiB, KB, MB, GB, k, m, g).
pub fn parse_size(text: &str) -> Result<u64, LoadError> {
    let (value, unit) =
        number_and_unit(text).ok_or_else(|| bad("size", text, "4KiB, 1MiB, 64MiB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        _ => return Err(bad("size", text, "4KiB, 1MiB, 64MiB")),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || !(0.0..=1e13).contains(&bytes) {
        return Err(bad("size", text, "a size between 0 and 10 TB"));
    }
    Ok(bytes.round() as u64)
}

/// Parses a duration: a number with a unit (ms, s, m, h); a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, LoadError> {
    let (value, unit) =
        number_and_unit(text).ok_or_else(|| bad("duration", text, "500ms, 10s, 2m"))?;
    let secs = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "us" | "µs" => value / 1e6,
        _ => return Err(bad("duration", text, "500ms, 10s, 2m")),
    };
    if !secs.is_finite() || !(0.0..=7.0 * 86400.0).contains(&secs) {
        return Err(bad("duration", text, "a duration up to 7 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a rate in requests per second (`200`, `200/s`, `12000/m`).
pub fn parse_rate(text: &str) -> Result<f64, LoadError> {
    let t = text.trim();
    let (num, per) = match t.split_once('/') {
        Some((n, p)) => (n, p.trim()),
        None => (t, "s"),
    };
    let value: f64 = num.trim().parse().map_err(|_| bad("rate", text, "200/s"))?;
    let per_sec = match per {
        "s" => value,
        "m" | "min" => value / 60.0,
        "h" => value / 3600.0,
        _ => return Err(bad("rate", text, "200/s")),
    };
    if !per_sec.is_finite() || !(0.0..=10_000_000.0).contains(&per_sec) {
        return Err(bad("rate", text, "a rate up to 10,000,000/s"));
    }
    Ok(per_sec)
}

/// Parses a fraction given as a percentage (`0.1%`) or a plain ratio (`0.001`).
pub fn parse_fraction(text: &str) -> Result<f64, LoadError> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| bad("percentage", text, "0.1%"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(bad("percentage", text, "0.1%"));
    }
    Ok(value)
}

/// A size as people write it (`1 MiB`, `4 KiB`, `512 B`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (mult, unit) in UNITS {
        if bytes >= mult && bytes.is_multiple_of(mult) {
            return format!("{} {unit}", bytes / mult);
        }
        if bytes >= mult {
            return format!("{:.1} {unit}", bytes as f64 / mult as f64);
        }
    }
    format!("{bytes} B")
}

fn bad(what: &str, text: &str, example: &str) -> LoadError {
    LoadError::Config(format!(
        "`{text}` is not a valid {what} (examples: {example})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4KiB").unwrap(), 4096);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("1.5k").unwrap(), 1536);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("0").unwrap(), 0);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("4XB").is_err());
        assert_eq!(format_size(1 << 20), "1 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(12), "12 B");
    }

    #[test]
    fn durations_rates_fractions() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("3 fortnights").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_rate("200/s").unwrap(), 200.0);
        assert_eq!(parse_rate("120/m").unwrap(), 2.0);
        assert!(parse_rate("fast").is_err());
        assert!((parse_fraction("0.1%").unwrap() - 0.001).abs() < 1e-12);
        assert!((parse_fraction("0.25").unwrap() - 0.25).abs() < 1e-12);
        assert!(parse_fraction("-1%").is_err());
    }
}
