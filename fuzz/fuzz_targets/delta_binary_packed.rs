//! Differential fuzzing of `delta::decode_i64` against the bit-by-bit `delta::naive` decoder.
//!
//! Bytes 0–1 pick the number of values to decode (little-endian u16), the rest is the stream.
//! Both must agree on values and bytes consumed, or both fail with the same kind of error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::delta;

fuzz_target!(|data: &[u8]| {
    let [n0, n1, stream @ ..] = data else {
        return;
    };
    let n = usize::from(u16::from_le_bytes([*n0, *n1]));
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    let a = delta::decode_i64(stream, n, &mut fast);
    let b = delta::naive::decode_i64(stream, n, &mut slow);
    match (a, b) {
        (Ok(used_a), Ok(used_b)) => {
            assert_eq!(used_a, used_b, "bytes consumed");
            assert!(used_a <= stream.len());
            assert_eq!(fast.len(), n);
            assert_eq!(fast, slow);
        }
        (Err(a), Err(b)) => assert_eq!(
            std::mem::discriminant(&a),
            std::mem::discriminant(&b),
            "fast {a:?} vs naive {b:?}"
        ),
        (a, b) => panic!("fast {a:?} vs naive {b:?}"),
    }
});
