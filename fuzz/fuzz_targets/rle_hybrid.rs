//! Differential fuzzing of `rle::decode_hybrid` against the bit-by-bit `rle::naive` decoder.
//!
//! Byte 0 picks the bit width (0..=33, so the too-wide error is covered), bytes 1–2 the number of
//! values (little-endian u16), the rest is the stream. Both must agree on values and bytes
//! consumed, or both fail.
//!
//! The same stream as a dictionary page's ids, with a dictionary of byte 1's value entries, also
//! goes through `rle::decode_dict_gather`, which must give what `decode_dict_ids`, the bounds
//! check and a gather give: the same values, or the same error.
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
    gather_matches_ids(width, n, usize::from(*n0), stream);
});

fn gather_matches_ids(width: u8, n: usize, dict_len: usize, stream: &[u8]) {
    let dict: Vec<u64> = (0..dict_len as u64).map(|i| i * 3 + 1).collect();
    let mut page = vec![width];
    page.extend_from_slice(stream);
    let (mut scratch, mut got) = (Vec::new(), Vec::new());
    let fused = rle::decode_dict_gather(&page, n, &dict, &mut scratch, &mut got).map(|()| got);
    // The three steps it fuses; `decode_dict_ids` is the decoder checked against naive above.
    let mut ids = Vec::new();
    let steps = rle::decode_dict_ids(&page, n, &mut ids)
        .and_then(|()| rle::check_dict_bounds(&ids, dict.len()))
        .map(|()| ids.iter().map(|&id| dict[id as usize]).collect::<Vec<_>>());
    assert_eq!(fused, steps);
}
