//! numeric(33,15) binary encoding (the PGCOPY encoder's only arithmetic), decoded by a reader
//! written here from PostgreSQL's format: the value must round-trip to within half a unit of the
//! 15th decimal (plus the double's own rounding), the digits must be well formed, and only values
//! numeric(33,15) cannot hold may be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_engine::sink::pgcopy::write_numeric;

/// Reads one length-prefixed numeric field back into an f64 (exact enough for the check).
fn decode(field: &[u8]) -> f64 {
    let len = i32::from_be_bytes(field[..4].try_into().unwrap()) as usize;
    let b = &field[4..];
    assert_eq!(b.len(), len, "length word");
    let at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let (ndigits, weight, sign, dscale) = (at(0) as usize, at(2) as i16, at(4), at(6));
    assert_eq!(dscale, 15, "dscale");
    assert!(sign == 0 || sign == 0x4000, "sign {sign:#x}");
    assert_eq!(b.len(), 8 + 2 * ndigits, "digit count");
    let mut v = 0f64;
    for i in 0..ndigits {
        let g = at(8 + 2 * i);
        assert!(g < 10_000, "base-10000 digit {g}");
        v += f64::from(g) * 10f64.powi(4 * (i32::from(weight) - i as i32));
    }
    if ndigits > 0 {
        assert_ne!(at(8), 0, "leading zero group");
        assert_ne!(at(8 + 2 * (ndigits - 1)), 0, "trailing zero group");
    }
    if sign == 0x4000 {
        assert!(ndigits > 0, "negative zero");
        -v
    } else {
        v
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let v = f64::from_le_bytes(data[..8].try_into().unwrap());
    let mut out = Vec::new();
    match write_numeric(v, &mut out) {
        Err(_) => assert!(!v.is_finite() || v.abs() >= 9.99e17, "refused {v:e}"),
        Ok(()) => {
            assert!(v.is_finite() && v.abs() < 1e18, "accepted {v:e}");
            let back = decode(&out);
            let tolerance = 0.5e-15 + v.abs() * 4.0 * f64::EPSILON;
            assert!((back - v).abs() <= tolerance, "{v:e} came back as {back:e}");
        }
    }
});
