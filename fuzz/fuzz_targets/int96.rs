//! Differential fuzzing of `int96::decode_plain` against the `i128` twin `int96::naive`.
//!
//! Byte 0 picks the number of values, the rest is the page. Both must agree on the milliseconds
//! (any 12 bytes, negative nanoseconds and days far from the epoch included), or both fail and
//! the fast decoder leaves `out` as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::int96;

fuzz_target!(|data: &[u8]| {
    let [head, page @ ..] = data else {
        return;
    };
    let n = usize::from(*head);
    let (mut fast, mut slow) = (vec![-1], vec![-1]);
    let a = int96::decode_plain(page, n, &mut fast);
    let b = int96::naive::decode_plain(page, n, &mut slow);
    assert_eq!(a.is_ok(), b.is_ok(), "fast {a:?} vs naive {b:?}");
    assert_eq!(fast, slow);
    if a.is_err() {
        assert_eq!(fast, [-1], "values appended before an error");
    }
    for chunk in page.chunks_exact(int96::WIDTH) {
        let value: [u8; int96::WIDTH] = chunk.try_into().expect("chunks_exact");
        assert_eq!(int96::to_millis(value), int96::naive::to_millis(chunk));
    }
});
