//! numeric(33,15) in PostgreSQL's binary `send` form, from an `f64`.
//!
//! Numbers become numeric(33,15) as Trino's DOUBLE→DECIMAL cast does (spec §11): the double's
//! shortest round-trip decimal, rounded half-up to 15 fractional digits. [`scaled`] is that
//! rounding, kept apart from the digit layout of [`write_numeric`] so the fuzz targets can check
//! each on its own.

use super::EncodeError;

/// Fractional digits of numeric(33,15).
pub const SCALE: i16 = 15;
/// 10^33: the first magnitude numeric(33,15) cannot hold, in units of 1e-15.
const LIMIT: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;

/// `v` in units of 1e-15, rounded half-up from its shortest round-trip decimal: (negative, magnitude).
pub fn scaled(v: f64) -> Result<(bool, u128), EncodeError> {
    if !v.is_finite() {
        return Err(EncodeError::Numeric(v));
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponent")),
        None => (text, 0),
    };
    // value = digits × 10^(exp - fraction digits); ryu gives at most 17 significant digits.
    let mut digits: u128 = 0;
    let mut frac = 0i32;
    let mut after_point = false;
    for c in mantissa.bytes() {
        match c {
            b'.' => after_point = true,
            b'0'..=b'9' => {
                digits = digits * 10 + u128::from(c - b'0');
                frac += i32::from(after_point);
            }
            _ => unreachable!("ryu output {text:?}"),
        }
    }
    let shift = exp - frac + i32::from(SCALE);
    let n = if shift >= 0 {
        10u128
            .checked_pow(shift as u32)
            .and_then(|p| digits.checked_mul(p))
            .filter(|&n| n < LIMIT)
            .ok_or(EncodeError::Numeric(v))?
    } else if -shift > 20 {
        0 // digits < 10^18, so the value is below half a unit
    } else {
        let p = 10u128.pow((-shift) as u32);
        let (q, r) = (digits / p, digits % p);
        q + u128::from(2 * r >= p)
    };
    if n >= LIMIT {
        return Err(EncodeError::Numeric(v));
    }
    Ok((neg && n != 0, n))
}

/// Appends the numeric(33,15) field (length word included) for `v`.
pub fn write_numeric(v: f64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (neg, n) = scaled(v)?;
    // 16 fractional decimal digits = four base-10000 groups; group i has weight i - 4.
    let mut groups = [0u16; 10];
    let mut rest = n * 10;
    let mut len = 0;
    while rest > 0 {
        groups[len] = (rest % 10_000) as u16;
        rest /= 10_000;
        len += 1;
    }
    let low = groups[..len].iter().position(|&g| g != 0).unwrap_or(len);
    let ndigits = len - low;
    let weight = if ndigits == 0 { 0 } else { len as i16 - 5 };
    out.extend_from_slice(&(8 + 2 * ndigits as i32).to_be_bytes());
    out.extend_from_slice(&(ndigits as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&(if neg { 0x4000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&SCALE.to_be_bytes());
    for g in groups[low..len].iter().rev() {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}
