//! [`OptF64`]: SQL's nullable double, in the 8 bytes of an `f64`.

/// A nullable f64 in 8 bytes: NULL is one NaN bit pattern that arithmetic never produces
/// (hardware NaNs are the canonical quiet NaN or carry an input's payload). Output rows hold
/// eighteen numbers, so this halves the biggest structure of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptF64(u64);

const NULL_BITS: u64 = 0x7ff4_0d11_0d11_0d11;

impl OptF64 {
    pub const NULL: OptF64 = OptF64(NULL_BITS);

    #[inline]
    pub fn get(self) -> Option<f64> {
        (self.0 != NULL_BITS).then(|| f64::from_bits(self.0))
    }
}

impl From<Option<f64>> for OptF64 {
    #[inline]
    fn from(v: Option<f64>) -> Self {
        match v {
            // A stray signalling NaN with our payload still reads back as a NaN, not NULL.
            Some(x) if x.to_bits() == NULL_BITS => OptF64(f64::NAN.to_bits()),
            Some(x) => OptF64(x.to_bits()),
            None => OptF64::NULL,
        }
    }
}
