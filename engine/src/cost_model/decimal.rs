//! Exact decimals for the cost model's rates, as Trino and Python compute them.
//!
//! Koku's cost-model SQL mixes three arithmetics: Python `Decimal` (the amortised monthly rate,
//! `Decimal(rate) / days_in_month`, 28 significant digits, half-even), Trino `DECIMAL(p, s)`
//! (casts and divisions round half-up to the result scale; a decimal quotient keeps the larger
//! scale of its operands) and `double` (any product with a double column). A [`Dec`] is the exact
//! value `units × 10^-scale`; the double steps convert once with [`Dec::to_f64`].

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

/// `units × 10^-scale`, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dec {
    pub units: BigInt,
    pub scale: u32,
}

fn pow10(n: u32) -> BigInt {
    BigInt::from(10u32).pow(n)
}

/// `n / d` rounded half away from zero (Trino's and PostgreSQL's HALF_UP), `d > 0`.
fn div_half_up(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = (n / d, n % d);
    let twice = r.abs() * 2u32;
    if twice >= *d {
        if n.is_negative() {
            q - 1u32
        } else {
            q + 1u32
        }
    } else {
        q
    }
}

/// `n / d` rounded half to even, `d > 0` (Python's default decimal context).
fn div_half_even(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = (n / d, n % d);
    let twice = r.abs() * 2u32;
    let away = match twice.cmp(d) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => (&q % 2u32) != BigInt::zero(),
    };
    match (away, n.is_negative()) {
        (false, _) => q,
        (true, true) => q - 1u32,
        (true, false) => q + 1u32,
    }
}

impl Dec {
    pub fn int(v: i64) -> Dec {
        Dec {
            units: BigInt::from(v),
            scale: 0,
        }
    }

    /// Decimal text (`12`, `-0.25`, `1e-3`) exactly; `None` if it is not a number.
    pub fn parse(text: &str) -> Option<Dec> {
        let t = text.trim();
        let (mantissa, exp) = match t.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (t, 0),
        };
        let (neg, digits) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut units: BigInt = format!("{whole}{frac}").parse().ok()?;
        if neg {
            units = -units;
        }
        let scale = frac.len() as i64 - i64::from(exp);
        Some(if scale >= 0 {
            Dec {
                units,
                scale: u32::try_from(scale).ok()?,
            }
        } else {
            Dec {
                units: units * pow10(u32::try_from(-scale).ok()?),
                scale: 0,
            }
        })
    }

    /// A double's shortest round-trip decimal: Java's `BigDecimal.valueOf(double)`, which Trino's
    /// `CAST(double AS DECIMAL)` starts from, and Python's `repr`.
    pub fn shortest(v: f64) -> Option<Dec> {
        if !v.is_finite() {
            return None;
        }
        Dec::parse(ryu::Buffer::new().format_finite(v))
    }

    /// A double's exact binary value: Python's `Decimal(float)`.
    pub fn exact(v: f64) -> Option<Dec> {
        if !v.is_finite() {
            return None;
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        let (mantissa, e2) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        };
        let mut units = BigInt::from(mantissa);
        let scale = if e2 >= 0 {
            units <<= e2 as usize;
            0
        } else {
            // m / 2^k = m × 5^k / 10^k
            let k = (-e2) as u32;
            units *= BigInt::from(5u32).pow(k);
            k
        };
        let mut d = Dec {
            units: if neg { -units } else { units },
            scale,
        };
        // Python prints the shortest exact form; the value is the same either way.
        while d.scale > 0 && (&d.units % 10u32).is_zero() {
            d.units /= 10u32;
            d.scale -= 1;
        }
        Some(d)
    }

    /// Rounded half-up to `scale` digits: `CAST(x AS DECIMAL(p, scale))`, and PostgreSQL storing
    /// into numeric(p, scale).
    pub fn rescale(&self, scale: u32) -> Dec {
        let units = if scale >= self.scale {
            &self.units * pow10(scale - self.scale)
        } else {
            div_half_up(&self.units, &pow10(self.scale - scale))
        };
        Dec { units, scale }
    }

    pub fn mul(&self, other: &Dec) -> Dec {
        Dec {
            units: &self.units * &other.units,
            scale: self.scale + other.scale,
        }
    }

    /// Trino's decimal division: the quotient at the larger operand scale, rounded half-up.
    /// `None` when dividing by zero.
    pub fn div_trino(&self, other: &Dec) -> Option<Dec> {
        if other.units.is_zero() {
            return None;
        }
        let scale = self.scale.max(other.scale);
        // self/other × 10^scale = (a × 10^(scale + s2)) / (b × 10^s1)
        let n = &self.units * pow10(scale + other.scale);
        let d = &other.units * pow10(self.scale);
        let (n, d) = if d.is_negative() { (-n, -d) } else { (n, d) };
        Some(Dec {
            units: div_half_up(&n, &d),
            scale,
        })
    }

    /// Python's `Decimal / int` in the default context: 28 significant digits, half-even. Only
    /// the value matters here (it is rounded again to 15 places), not Python's exponent.
    pub fn div_python(&self, d: u32) -> Dec {
        const PRECISION: i64 = 28;
        if self.units.is_zero() {
            return Dec::int(0);
        }
        let num = self.units.abs();
        let den = BigInt::from(d) * pow10(self.scale);
        // floor(log10(num / den)).
        let digits = |x: &BigInt| x.to_string().len() as i64;
        let mut k = digits(&num) - digits(&den);
        let scaled_ge = |k: i64| {
            if k >= 0 {
                num >= &den * pow10(k as u32)
            } else {
                &num * pow10((-k) as u32) >= den
            }
        };
        if !scaled_ge(k) {
            k -= 1;
        }
        let t = PRECISION - 1 - k; // decimal places that leave 28 significant digits
        let (n, dd) = if t >= 0 {
            (&self.units * pow10(t as u32), den)
        } else {
            (self.units.clone(), den * pow10((-t) as u32))
        };
        let units = div_half_even(&n, &dd);
        if t >= 0 {
            Dec {
                units,
                scale: t as u32,
            }
        } else {
            Dec {
                units: units * pow10((-t) as u32),
                scale: 0,
            }
        }
    }

    /// The nearest double (Trino's decimal → double coercion).
    pub fn to_f64(&self) -> f64 {
        self.text().parse().unwrap_or(f64::NAN)
    }

    pub fn is_zero(&self) -> bool {
        self.units.is_zero()
    }

    /// Plain decimal text with `scale` fractional digits (`-1.500`).
    pub fn text(&self) -> String {
        let neg = self.units.is_negative();
        let digits = self.units.abs().to_string();
        let scale = self.scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
        } else {
            digits
        };
        let (whole, frac) = padded.split_at(padded.len() - scale);
        let sign = if neg { "-" } else { "" };
        if scale == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{frac}")
        }
    }

    /// The value as an `i128` at its scale, if it fits (for tests and small integers).
    pub fn units_i128(&self) -> Option<i128> {
        self.units.to_i128()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn rescale_rounds_half_up_away_from_zero() {
        assert_eq!(
            d("0.0000000000000005").rescale(15).text(),
            "0.000000000000001"
        );
        assert_eq!(d("-2.5").rescale(0).text(), "-3");
        assert_eq!(d("2.4999").rescale(0).text(), "2");
        assert_eq!(d("1.5").rescale(3).text(), "1.500");
    }

    #[test]
    fn trino_division_keeps_the_larger_scale() {
        let q = d("100.000000000").div_trino(&d("30.000000000")).unwrap();
        assert_eq!(q.text(), "3.333333333");
        let q = d("2.000000000").div_trino(&d("3.000000000")).unwrap();
        assert_eq!(q.text(), "0.666666667");
        assert_eq!(d("1").div_trino(&d("0")), None);
    }

    #[test]
    fn python_division_has_28_significant_digits_half_even() {
        // Decimal('1') / 3 == Decimal('0.3333333333333333333333333333')
        assert_eq!(
            d("1").div_python(3).text(),
            "0.3333333333333333333333333333"
        );
        // Decimal('2') / 3 == Decimal('0.6666666666666666666666666667')
        assert_eq!(
            d("2").div_python(3).text(),
            "0.6666666666666666666666666667"
        );
        // Decimal('100') / 30 == Decimal('3.333333333333333333333333333')
        assert_eq!(
            d("100").div_python(30).text(),
            "3.333333333333333333333333333"
        );
        // Decimal('62') / 31 == Decimal('2')
        assert_eq!(
            d("62").div_python(31).rescale(15).text(),
            "2.000000000000000"
        );
    }

    #[test]
    fn exact_is_the_binary_expansion() {
        assert_eq!(
            Dec::exact(0.1).unwrap().text(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Dec::exact(3.0).unwrap().text(), "3");
        assert_eq!(Dec::shortest(0.1).unwrap().text(), "0.1");
    }

    #[test]
    fn parse_accepts_exponents_and_signs() {
        assert_eq!(d("1e-3").text(), "0.001");
        assert_eq!(d("-1.5E2").text(), "-150");
        assert_eq!(Dec::parse("abc"), None);
        assert_eq!(Dec::parse(""), None);
    }
}
