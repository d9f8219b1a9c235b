//! Civil-date arithmetic (proleptic Gregorian, UTC, no external crate) and month segmentation.

use anyhow::{bail, Context};

pub const MS_PER_HOUR: i64 = 3_600_000;
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date `(year, month, day)` for days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DD` into days since the epoch.
pub fn parse_date(s: &str) -> anyhow::Result<i64> {
    let parts: Vec<&str> = s.trim().split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        bail!("expected a date like 2026-03-01, got {s:?}");
    }
    let y: i64 = parts[0]
        .parse()
        .with_context(|| format!("bad year in {s:?}"))?;
    let m: u32 = parts[1]
        .parse()
        .with_context(|| format!("bad month in {s:?}"))?;
    let d: u32 = parts[2]
        .parse()
        .with_context(|| format!("bad day in {s:?}"))?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        bail!("invalid date {s:?}");
    }
    Ok(days_from_civil(y, m, d))
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// A run of consecutive hours of the generated range that lie in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub year: i64,
    pub month: u32,
    /// First hour (index from the run start, inclusive).
    pub first_hour: u32,
    /// End hour (exclusive).
    pub end_hour: u32,
    /// `report_period_start` (first of the month, ms since epoch).
    pub period_start_ms: i64,
    /// `report_period_end` (first of the next month).
    pub period_end_ms: i64,
}

/// Splits `days` days starting at `start_day` into per-month segments.
pub fn month_segments(start_day: i64, days: u32) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for i in 0..days {
        let (y, m, _) = civil_from_days(start_day + i as i64);
        match out.last_mut() {
            Some(seg) if seg.year == y && seg.month == m => seg.end_hour = (i + 1) * 24,
            _ => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                out.push(Segment {
                    year: y,
                    month: m,
                    first_hour: i * 24,
                    end_hour: (i + 1) * 24,
                    period_start_ms: days_from_civil(y, m, 1) * MS_PER_DAY,
                    period_end_ms: days_from_civil(ny, nm, 1) * MS_PER_DAY,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 3, 1), 20_513);
        for z in -1000..40_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2026, 2), 28);
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(parse_date("2026-03-01").unwrap(), 20_513);
    }

    #[test]
    fn segments_cross_month() {
        let s = month_segments(parse_date("2026-03-30").unwrap(), 4);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].month, s[0].first_hour, s[0].end_hour), (3, 0, 48));
        assert_eq!((s[1].month, s[1].first_hour, s[1].end_hour), (4, 48, 96));
        assert_eq!(s[0].period_end_ms, s[1].period_start_ms);
        let s = month_segments(parse_date("2025-12-31").unwrap(), 2);
        assert_eq!((s[1].year, s[1].month), (2026, 1));
    }
}
