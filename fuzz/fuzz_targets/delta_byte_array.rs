//! Differential fuzzing of `delta::decode_byte_array` against `delta::naive::decode_byte_array`.
//!
//! Bytes 0–1 pick the number of values (little-endian u16), the rest is the stream (prefix
//! lengths, then a DELTA_LENGTH_BYTE_ARRAY stream of suffixes). Both must agree on the values and
//! bytes consumed, or both fail; the fast decoder hands out nothing from a stream it rejects.
//! The scratch is shared across two calls so a stale buffer cannot leak into a second page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::delta;

fuzz_target!(|data: &[u8]| {
    let [n0, n1, stream @ ..] = data else {
        return;
    };
    let n = usize::from(u16::from_le_bytes([*n0, *n1]));
    let mut scratch = delta::ByteArrayScratch::default();
    let want = delta::naive::decode_byte_array(stream, n);
    for _ in 0..2 {
        let mut values = Vec::new();
        let got = delta::decode_byte_array(stream, n, &mut scratch, |v| values.push(v.to_vec()));
        match (got, &want) {
            (Ok(used), Ok((want, used_naive))) => {
                assert_eq!(used, *used_naive, "bytes consumed");
                assert!(used <= stream.len());
                assert_eq!(&values, want);
            }
            (Err(_), Err(_)) => assert!(values.is_empty(), "values handed out before an error"),
            (a, b) => panic!("fast {a:?} vs naive {b:?}"),
        }
    }
});
