//! Random v4 uuids for the `uuid` column, shared by the CSV and binary COPY sinks.

/// Random v4 uuids from a splitmix64 stream seeded by the OS clock and pid (Trino's `uuid()`).
pub struct UuidGen(u64);

impl UuidGen {
    pub fn new() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        UuidGen(t ^ ((std::process::id() as u64) << 32) ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A stream from an explicit seed (e.g. one per parallel chunk).
    pub fn from_seed(seed: u64) -> Self {
        UuidGen(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 16 random bytes with the version (4) and variant (10xx) bits set.
    pub fn next_bytes(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

impl Default for UuidGen {
    fn default() -> Self {
        Self::new()
    }
}
