//! Parquet INT96 timestamps → milliseconds since the Unix epoch.
//!
//! INT96 is the deprecated timestamp type Spark, Hive and older Trino still write: 12 bytes,
//! little-endian, the nanoseconds of the day (`i64`, bytes 0–7) then the Julian day number (`i32`,
//! bytes 8–11). The Unix epoch is Julian day 2,440,588, so the milliseconds are
//! `(day - 2_440_588) × 86_400_000 + ⌊nanos / 1_000_000⌋`. The floor matters only for a
//! negative nanosecond count, which no writer produces (the parquet crate's `Int96::to_millis`
//! truncates instead; both agree on every nanosecond count in a day). No input overflows: the
//! day term is at most about 2^57 in size and the nanosecond term about 2^43.
//!
//! [`naive`] is the twin the tests and the `int96` fuzz target compare against. The engine decodes
//! PLAIN and dictionary INT96 pages with [`decode_plain`] (INT96 has no other encoding).

use crate::KernelError;

/// Julian day number of 1970-01-01.
pub const JULIAN_DAY_OF_EPOCH: i64 = 2_440_588;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Width of one INT96 value in bytes.
pub const WIDTH: usize = 12;

/// One INT96 value as milliseconds since the epoch.
#[inline]
pub fn to_millis(value: [u8; WIDTH]) -> i64 {
    let [n0, n1, n2, n3, n4, n5, n6, n7, d0, d1, d2, d3] = value;
    let nanos = i64::from_le_bytes([n0, n1, n2, n3, n4, n5, n6, n7]);
    let day = i64::from(i32::from_le_bytes([d0, d1, d2, d3]));
    (day - JULIAN_DAY_OF_EPOCH) * MILLIS_PER_DAY + nanos.div_euclid(1_000_000)
}

/// Decodes the first `num_values` PLAIN INT96 values of `data` (a data page's values or a
/// dictionary page) as milliseconds, appending them to `out`. Bytes past them are ignored.
///
/// # Errors
///
/// [`KernelError::UnexpectedEof`] if `data` holds fewer than `num_values` values; `out` is then
/// unchanged.
pub fn decode_plain(data: &[u8], num_values: usize, out: &mut Vec<i64>) -> Result<(), KernelError> {
    let needed = num_values.saturating_mul(WIDTH);
    if data.len() < needed {
        return Err(KernelError::UnexpectedEof {
            needed,
            available: data.len(),
        });
    }
    out.extend(
        data[..needed]
            .chunks_exact(WIDTH)
            .map(|c| to_millis(c.try_into().expect("chunks_exact"))),
    );
    Ok(())
}

pub mod naive {
    //! The INT96 conversion the obvious way: the whole instant in nanoseconds as an `i128`, then
    //! a floor division by hand.

    use crate::KernelError;

    /// Same as [`super::to_millis`], from a slice of exactly 12 bytes.
    pub fn to_millis(value: &[u8]) -> i64 {
        assert_eq!(value.len(), 12);
        let mut nanos: i128 = 0;
        for (i, &b) in value[..8].iter().enumerate() {
            nanos |= i128::from(b) << (8 * i);
        }
        if nanos >= 1 << 63 {
            nanos -= 1 << 64;
        }
        let mut day: i128 = 0;
        for (i, &b) in value[8..].iter().enumerate() {
            day |= i128::from(b) << (8 * i);
        }
        if day >= 1 << 31 {
            day -= 1 << 32;
        }
        let instant = (day - 2_440_588) * 86_400 * 1_000_000_000 + nanos;
        let mut millis = instant / 1_000_000;
        if instant % 1_000_000 < 0 {
            millis -= 1;
        }
        i64::try_from(millis).expect("always fits")
    }

    /// Same contract as [`super::decode_plain`].
    ///
    /// # Errors
    ///
    /// The same cases as [`super::decode_plain`].
    pub fn decode_plain(
        data: &[u8],
        num_values: usize,
        out: &mut Vec<i64>,
    ) -> Result<(), KernelError> {
        let mut values = Vec::new();
        for i in 0..num_values {
            let Some(value) = data.get(i * 12..i * 12 + 12) else {
                return Err(KernelError::UnexpectedEof {
                    needed: num_values * 12,
                    available: data.len(),
                });
            };
            values.push(to_millis(value));
        }
        out.extend(values);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int96(day: i32, nanos: i64) -> [u8; 12] {
        let mut v = [0u8; 12];
        v[..8].copy_from_slice(&nanos.to_le_bytes());
        v[8..].copy_from_slice(&day.to_le_bytes());
        v
    }

    const DAY_NANOS: i64 = 86_400_000_000_000;

    #[test]
    fn known_instants() {
        let cases = [
            // The epoch, and its last nanosecond of the day.
            (2_440_588, 0, 0),
            (2_440_588, DAY_NANOS - 1, 86_399_999),
            // 2023-11-14 22:13:20.123456789 UTC = 1_700_000_000_123 ms.
            (2_460_263, 80_000_123_456_789, 1_700_000_000_123),
            // Sub-millisecond nanos round down: 999_999 ns is 0 ms, 1_000_000 is 1.
            (2_440_588, 999_999, 0),
            (2_440_588, 1_000_000, 1),
            // The day before the epoch: 1969-12-31 00:00:00.0005 is -86_400_000 ms (floor of
            // -86_399_999.5), not -86_399_999.
            (2_440_587, 500_000, -86_400_000),
            (2_440_587, DAY_NANOS - 1, -1),
            // 1900-01-01 (Julian day 2_415_021), and Julian day 0 (4713 BC).
            (2_415_021, 0, -2_208_988_800_000),
            (0, 0, -2_440_588 * 86_400_000),
            // Negative nanos (no writer's, but any bytes decode): floored, 1 ns before the epoch.
            (2_440_588, -1, -1),
            (2_440_588, -1_000_001, -2),
        ];
        for (day, nanos, want) in cases {
            let v = int96(day, nanos);
            assert_eq!(to_millis(v), want, "day {day} nanos {nanos}");
            assert_eq!(naive::to_millis(&v), want, "naive: day {day} nanos {nanos}");
        }
        // The extremes do not overflow.
        for (day, nanos) in [
            (i32::MIN, i64::MIN),
            (i32::MAX, i64::MAX),
            (i32::MIN, i64::MAX),
        ] {
            let v = int96(day, nanos);
            assert_eq!(to_millis(v), naive::to_millis(&v));
        }
    }

    #[test]
    fn plain_pages() {
        let values = [int96(2_440_588, 5_000_000), int96(2_440_587, 0)];
        let data: Vec<u8> = values.iter().flatten().copied().chain([1, 2, 3]).collect();
        let mut out = vec![7];
        decode_plain(&data, 2, &mut out).unwrap();
        assert_eq!(out, [7, 5, -86_400_000]);
        let mut naive_out = vec![7];
        naive::decode_plain(&data, 2, &mut naive_out).unwrap();
        assert_eq!(naive_out, out);
        // One byte short of a third value; a count whose byte size overflows.
        for n in [3, usize::MAX] {
            let mut out = Vec::new();
            assert!(matches!(
                decode_plain(&data, n, &mut out),
                Err(KernelError::UnexpectedEof { .. })
            ));
            assert!(out.is_empty());
        }
        assert!(naive::decode_plain(&data, 3, &mut Vec::new()).is_err());
    }

    /// The parquet crate's own conversion agrees on every nanosecond count within a day.
    #[test]
    fn matches_the_parquet_crate_within_a_day() {
        let mut rng = 0x1234_5678_9abc_def1u64;
        for _ in 0..10_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let day = 2_000_000 + (rng % 1_000_000) as i32;
            let nanos = ((rng >> 20) % DAY_NANOS as u64) as i64;
            let v = int96(day, nanos);
            let mut p = parquet::data_type::Int96::new();
            let word = |k: usize| u32::from_le_bytes(v[4 * k..4 * k + 4].try_into().unwrap());
            p.set_data(word(0), word(1), word(2));
            assert_eq!(to_millis(v), p.to_millis(), "day {day} nanos {nanos}");
        }
    }

    proptest! {
        #[test]
        fn matches_naive(bytes in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..20) {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let a = decode_plain(&bytes, n, &mut fast);
            let b = naive::decode_plain(&bytes, n, &mut slow);
            prop_assert_eq!(a, b);
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn day_and_nanos_match_naive(day in any::<i32>(), nanos in any::<i64>()) {
            let v = int96(day, nanos);
            prop_assert_eq!(to_millis(v), naive::to_millis(&v));
        }

        #[test]
        fn within_a_day_is_day_millis_plus_truncated_nanos(
            day in 2_400_000i32..2_500_000,
            nanos in 0..DAY_NANOS,
        ) {
            let want = (i64::from(day) - JULIAN_DAY_OF_EPOCH) * MILLIS_PER_DAY + nanos / 1_000_000;
            prop_assert_eq!(to_millis(int96(day, nanos)), want);
        }
    }
}
