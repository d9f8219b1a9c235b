//! The shortest decimal text that reads back as a double, the one float spelling every writer
//! uses (CSV fields, numeric(33,15) rounding).
//!
//! zmij (Schubfach with faster digit generation) replaced ryu here: 1.8× faster on summary-like
//! values (`cargo bench --bench render`), and float text was the largest single cost of rendering
//! CSV. The digits are the same; only positive exponents differ in spelling (`1e+300` against ryu's
//! `1e300`), and the sign is dropped so the output stays byte for byte what ryu wrote.

/// Longest text [`shortest`] writes: `-2.2250738585072014e-308`.
pub const MAX_LEN: usize = 24;

/// Writes the shortest decimal that reads back as the finite `v` into `text`; returns its length.
pub fn shortest(v: f64, text: &mut [u8; MAX_LEN]) -> usize {
    let mut buf = zmij::Buffer::new();
    let s = buf.format_finite(v).as_bytes();
    // An exponent has at most three digits, so its sign is among the last four bytes; looking
    // only there keeps a scan of the whole text (1% of a run's CPU with memchr) off every float.
    let tail = s.len().saturating_sub(4);
    match s[tail..].iter().position(|&b| b == b'+').map(|i| tail + i) {
        None => {
            text[..s.len()].copy_from_slice(s);
            s.len()
        }
        Some(plus) => {
            text[..plus].copy_from_slice(&s[..plus]);
            text[plus..s.len() - 1].copy_from_slice(&s[plus + 1..]);
            s.len() - 1
        }
    }
}

/// Appends [`shortest`]'s text for the finite `v`.
pub fn push_shortest(out: &mut Vec<u8>, v: f64) {
    let mut text = [0u8; MAX_LEN];
    let n = shortest(v, &mut text);
    push_prefix(out, &text, n);
}

/// Appends `text[..len]` by appending the whole array and cutting it back: a copy of a size
/// known at compile time becomes a few vector moves, where `extend_from_slice` of a short slice
/// of run-time length calls `memcpy` (the float fields' copies were 2.5% of the CPU at L).
#[inline]
pub fn push_prefix(out: &mut Vec<u8>, text: &[u8; MAX_LEN], len: usize) {
    debug_assert!(len <= MAX_LEN);
    let at = out.len();
    out.extend_from_slice(text);
    out.truncate(at + len);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: f64) {
        let mut text = [0u8; MAX_LEN];
        let n = shortest(v, &mut text);
        let want = ryu::Buffer::new().format_finite(v).to_string();
        assert_eq!(std::str::from_utf8(&text[..n]).unwrap(), want, "{v:e}");
    }

    /// Byte for byte ryu's text, on every exponent (random bit patterns), on values with few
    /// digits like usage figures, and on the edges of the plain and exponent forms.
    #[test]
    fn spells_every_double_as_ryu_did() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..400_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match i % 3 {
                0 => f64::from_bits(x),
                1 => (x % 10_000_000) as f64 / 1000.0,
                _ => (x % 100_000) as f64 / 3.0,
            };
            if v.is_finite() {
                check(v);
            }
        }
        for e in -330..=310 {
            for m in [1.0, 9.999_999_999_999_999, 1.5, -7.0] {
                check(m * 10f64.powi(e));
            }
        }
        for v in [
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            1e16,
            1e-7,
        ] {
            check(v);
        }
    }
}
