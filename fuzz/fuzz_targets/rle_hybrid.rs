//! Differential fuzzing of `rle::decode_hybrid` against the bit-by-bit `rle::naive` decoder.
//!
//! Byte 0 picks the bit width (0..=33, so the too-wide error is covered), bytes 1–2 the number of
//! values (little-endian u16), the rest is the stream. Both must agree on values and bytes
//! consumed, or both fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::rle;

fuzz_target!(|data: &[u8]| {
    let [width, n0, n1, stream @ ..] = data else {
        return;
    };
    let width = width % 34;
    let n = usize::from(u16::from_le_bytes([*n0, *n1]));
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    let a = rle::decode_hybrid(stream, width, n, &mut fast);
    let b = rle::naive::decode_hybrid(stream, width, n, &mut slow);
    match (a, b) {
        (Ok(used_a), Ok(used_b)) => {
            assert_eq!(used_a, used_b, "bytes consumed");
            assert_eq!(fast.len(), n);
            assert_eq!(fast, slow);
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("fast {a:?} vs naive {b:?}"),
    }
});
