//! numeric(33,15), Koku's column type for every quantity, as Trino's DOUBLE→DECIMAL cast makes it
//! (spec §11): the double's shortest round-trip decimal, rounded half-up to 15 fractional digits.
//! The binary COPY encoder (`sink::pgcopy`) and the SQL writers share this rounding.

use super::shortest;

/// Fractional digits of numeric(33,15).
pub const SCALE: i16 = 15;
/// 10^33: the first magnitude numeric(33,15) cannot hold, in units of 1e-15.
const LIMIT: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;

/// `v` in units of 1e-15, rounded half-up from its shortest round-trip decimal: (negative,
/// magnitude); `None` for what numeric(33,15) cannot hold.
pub fn scaled(v: f64) -> Option<(bool, u128)> {
    if !v.is_finite() {
        return None;
    }
    let mut buf = [0u8; shortest::MAX_LEN];
    let len = shortest::shortest(v, &mut buf);
    let text = &buf[..len];
    let (neg, text) = match text.strip_prefix(b"-") {
        Some(t) => (true, t),
        None => (false, text),
    };
    // Bytes, not `str`: validating UTF-8 for every value of the binary COPY would be new work on
    // its hot path; only the rare exponent goes through `str::parse`.
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e') {
        Some(e) => (&text[..e], exponent(&text[e + 1..])),
        None => (text, 0),
    };
    // value = digits × 10^(exp - fraction digits); the shortest text has at most 17 significant
    // digits.
    let mut digits: u128 = 0;
    let mut frac = 0i32;
    let mut after_point = false;
    for &c in mantissa {
        match c {
            b'.' => after_point = true,
            b'0'..=b'9' => {
                digits = digits * 10 + u128::from(c - b'0');
                frac += i32::from(after_point);
            }
            _ => unreachable!("shortest's output {:?}", String::from_utf8_lossy(text)),
        }
    }
    let shift = exp - frac + i32::from(SCALE);
    let n = if shift >= 0 {
        10u128
            .checked_pow(shift as u32)
            .and_then(|p| digits.checked_mul(p))
            .filter(|&n| n < LIMIT)?
    } else if -shift > 20 {
        0 // digits < 10^18, so the value is below half a unit
    } else {
        let p = 10u128.pow((-shift) as u32);
        let (q, r) = (digits / p, digits % p);
        q + u128::from(2 * r >= p)
    };
    if n >= LIMIT {
        return None;
    }
    Some((neg && n != 0, n))
}

/// The exponent [`shortest::shortest`] writes after its `e`: an optional `-`, then digits.
fn exponent(text: &[u8]) -> i32 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|e| e.parse().ok())
        .expect("shortest's exponent")
}

/// `v` as numeric(33,15) text (`-12.500000000000000`), rounded as [`scaled`] rounds; `None` for
/// what numeric(33,15) cannot hold.
pub fn numeric_text(v: f64) -> Option<String> {
    let (neg, n) = scaled(v)?;
    let unit = 10u128.pow(SCALE as u32);
    let sign = if neg { "-" } else { "" };
    Some(format!("{sign}{}.{:015}", n / unit, n % unit))
}

/// The double PostgreSQL hands back for `v` stored in numeric(33,15) (what Koku's Trino reads).
pub fn as_stored(v: f64) -> f64 {
    numeric_text(v).and_then(|t| t.parse().ok()).unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text_rounds_half_up_from_the_shortest_decimal() {
        assert_eq!(
            numeric_text(16.106127360000002).as_deref(),
            Some("16.106127360000002")
        );
        assert_eq!(numeric_text(-0.5).as_deref(), Some("-0.500000000000000"));
        assert_eq!(numeric_text(1e-16).as_deref(), Some("0.000000000000000"));
        assert_eq!(
            numeric_text(0.0000000000000005).as_deref(),
            Some("0.000000000000001")
        );
        assert_eq!(numeric_text(f64::NAN), None);
        assert_eq!(numeric_text(1e18), None);
        assert_eq!(as_stored(0.8607838888888889), 0.860783888888889);
    }
}
