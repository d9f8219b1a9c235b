//! CSV field text in PostgreSQL's `COPY ... (FORMAT csv, NULL '\N')` dialect: strings, NULL,
//! floats, integers, dates and uuids.
//!
//! NULL is an unquoted `\N`; strings that could be mistaken for it, empty strings, and anything
//! with a comma, quote or line break are quoted. Floats use the shortest text that round-trips
//! ([`crate::value::shortest`]), so no precision is lost before PostgreSQL rounds to numeric(33,15).

use crate::value::shortest::{push_prefix, push_shortest, shortest, MAX_LEN};
use crate::value::Day;

pub fn sep(out: &mut Vec<u8>) {
    out.push(b',');
}

pub fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

/// `s` as a CSV field, quoted when it must be. Label JSON is always quoted (it holds quotes and
/// commas), so the quoted path copies the runs between quotes whole instead of byte by byte.
pub fn text(out: &mut Vec<u8>, s: &[u8]) {
    if is_plain(s) {
        out.extend_from_slice(s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for q in memchr::memchr_iter(b'"', s) {
        // Up to and including the quote, then the quote again.
        out.extend_from_slice(&s[start..=q]);
        out.push(b'"');
        start = q + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// Whether `s` is a CSV field as it stands, without quotes.
pub fn is_plain(s: &[u8]) -> bool {
    let special =
        memchr::memchr3(b',', b'"', b'\n', s).is_some() || memchr::memchr(b'\r', s).is_some();
    !special && !s.is_empty() && s != b"\\N"
}

/// One column's last float and its text, so a column that repeats its value from row to row
/// (the cluster capacities on every row of a day, a node's capacities on its rows) formats it
/// once: shortest-round-trip formatting was the largest single cost of CSV rendering.
#[derive(Clone, Copy, Default)]
pub struct LastFloat {
    bits: u64,
    /// 0 until a finite value was formatted.
    len: u8,
    text: [u8; MAX_LEN],
}

impl LastFloat {
    /// As [`float`], reusing the text of the previous value when it is bit for bit the same.
    pub fn render(&mut self, out: &mut Vec<u8>, v: Option<f64>) {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            return float(out, v);
        };
        if self.len == 0 || self.bits != v.to_bits() {
            self.len = shortest(v, &mut self.text) as u8;
            self.bits = v.to_bits();
        }
        push_prefix(out, &self.text, usize::from(self.len));
    }
}

/// A text field, or `\N` for `None`.
pub fn opt_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => text(out, s.as_bytes()),
        None => null(out),
    }
}

/// The shortest text that reads back as `v`; PostgreSQL's spellings for NaN and infinities.
pub fn float(out: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) if v.is_finite() => push_shortest(out, v),
        Some(v) => out.extend_from_slice(if v.is_nan() {
            b"NaN"
        } else if v > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        }),
        None => null(out),
    }
}

pub fn int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        None => null(out),
    }
}

/// `YYYY-MM-DD`.
pub fn date(out: &mut Vec<u8>, day: Day) {
    day.write_iso(out);
}

/// The 8-4-4-4-12 lower-case hex form of a uuid.
pub fn uuid(out: &mut Vec<u8>, b: [u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 15) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_float_renders_as_float_does() {
        let values = [
            Some(1.5),
            Some(1.5),
            Some(-0.0),
            Some(0.0),
            None,
            Some(0.0),
            Some(f64::NAN),
            Some(f64::NAN),
            Some(-1.2345678901234567e-308),
            Some(-1.2345678901234567e-308),
            Some(f64::INFINITY),
            Some(1e21),
            None,
            None,
            Some(0.1 + 0.2),
        ];
        let mut last = LastFloat::default();
        for (i, &v) in values.iter().enumerate() {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            float(&mut want, v);
            last.render(&mut got, v);
            assert_eq!(got, want, "value {i}: {v:?}");
        }
    }

    #[test]
    fn quoting_follows_postgres_csv() {
        let mut out = Vec::new();
        text(&mut out, b"a,b");
        sep(&mut out);
        text(&mut out, b"");
        sep(&mut out);
        text(&mut out, b"\\N");
        sep(&mut out);
        text(&mut out, br#"{"a":"b"}"#);
        sep(&mut out);
        null(&mut out);
        assert_eq!(out, br#""a,b","","\N","{""a"":""b""}",\N"#);
    }

    /// The quoting against a byte-at-a-time reference, on texts built from the bytes that matter.
    #[test]
    fn quoting_matches_the_reference() {
        fn reference(s: &[u8]) -> Vec<u8> {
            let plain = !s.is_empty()
                && s != b"\\N"
                && !s.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
            if plain {
                return s.to_vec();
            }
            let mut out = vec![b'"'];
            for &c in s {
                if c == b'"' {
                    out.push(b'"');
                }
                out.push(c);
            }
            out.push(b'"');
            out
        }
        let alphabet: [&[u8]; 8] = [b"a", b",", b"\"", b"\n", b"\r", b"\\", b"N", "é".as_bytes()];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let s: Vec<u8> = (0..len)
                .flat_map(|i| alphabet[((seed >> (4 * i)) % 8) as usize].iter().copied())
                .collect();
            let mut out = b"x".to_vec();
            text(&mut out, &s);
            assert_eq!(
                &out[1..],
                reference(&s).as_slice(),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
        }
    }

    #[test]
    fn floats_round_trip() {
        for v in [0.1, 1e300, -2.5e-300, 123456.789] {
            let mut out = Vec::new();
            float(&mut out, Some(v));
            assert_eq!(
                std::str::from_utf8(&out).unwrap().parse::<f64>().unwrap(),
                v
            );
        }
        let mut out = Vec::new();
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            float(&mut out, Some(v));
            sep(&mut out);
        }
        float(&mut out, None);
        assert_eq!(out, b"NaN,Infinity,-Infinity,\\N");
    }

    #[test]
    fn dates_and_uuids() {
        let mut out = Vec::new();
        date(&mut out, Day::from_ymd(2026, 3, 9).unwrap());
        sep(&mut out);
        uuid(&mut out, [0xab; 16]);
        assert_eq!(out, b"2026-03-09,abababab-abab-abab-abab-abababababab");
    }
}
