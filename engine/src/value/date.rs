//! Calendar days as `i32` days since 1970-01-01, and the few conversions the summary needs.
//!
//! Koku's timestamps are naive UTC wall-clock milliseconds, so a day is `ms.div_euclid(86_400_000)`.
//! The civil-date conversions are Howard Hinnant's algorithms (public domain), valid far beyond any
//! date a cost report carries.

pub const MS_PER_DAY: i64 = 86_400_000;

/// Days since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Day> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        let y = if m <= 2 { y - 1 } else { y } as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m as i64 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day((era * 146_097 + doe - 719_468) as i32))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
        (y, m, d)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let mut it = s.trim().splitn(3, '-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        Day::from_ymd(y, m, d)
    }

    pub fn of_millis(ms: i64) -> Day {
        Day(ms.div_euclid(MS_PER_DAY) as i32)
    }

    pub fn start_millis(self) -> i64 {
        self.0 as i64 * MS_PER_DAY
    }

    /// Writes `YYYY-MM-DD`.
    pub fn write_iso(self, out: &mut Vec<u8>) {
        let (y, m, d) = self.ymd();
        let mut b = itoa::Buffer::new();
        let ys = b.format(y);
        for _ in ys.len()..4 {
            out.push(b'0');
        }
        out.extend_from_slice(ys.as_bytes());
        out.extend_from_slice(&[b'-', b'0' + (m / 10) as u8, b'0' + (m % 10) as u8]);
        out.extend_from_slice(&[b'-', b'0' + (d / 10) as u8, b'0' + (d % 10) as u8]);
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut v = Vec::with_capacity(10);
        self.write_iso(&mut v);
        f.write_str(std::str::from_utf8(&v).expect("ascii"))
    }
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for n in -200_000..200_000 {
            let (y, m, d) = Day(n).ymd();
            assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)));
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Day::parse("2023-02-29"), None);
        assert_eq!(Day::of_millis(-1), Day(-1));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
    }
}
