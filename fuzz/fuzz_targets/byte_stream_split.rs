//! Differential fuzzing of `split::decode` against the index-by-index `split::naive`, for 8-byte
//! (DOUBLE, INT64) and 4-byte values.
//!
//! Byte 0 picks the number of values, its top bit the 4-byte width; the rest is the stream.
//! Both must agree on the values (bit for bit), or both fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::split;

fuzz_target!(|data: &[u8]| {
    let [head, stream @ ..] = data else {
        return;
    };
    let n = usize::from(head & 0x7f);
    if head & 0x80 == 0 {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let a = split::decode::<8, u64>(stream, n, &mut fast, u64::from_le_bytes);
        let b = split::naive::decode::<8, u64>(stream, n, &mut slow, u64::from_le_bytes);
        assert_eq!(a, b);
        assert_eq!(fast, slow);
        let mut doubles = Vec::new();
        if split::decode_f64(stream, n, &mut doubles).is_ok() {
            let bits: Vec<u64> = doubles.iter().map(|d| d.to_bits()).collect();
            assert_eq!(bits, fast);
        }
    } else {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let a = split::decode::<4, u32>(stream, n, &mut fast, u32::from_le_bytes);
        let b = split::naive::decode::<4, u32>(stream, n, &mut slow, u32::from_le_bytes);
        assert_eq!(a, b);
        assert_eq!(fast, slow);
    }
});
