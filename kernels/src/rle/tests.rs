//! Edge-case table and property tests: the fast decoder against [`super::naive`] and against an
//! encoder written here.

use super::*;
use crate::test_encode::put_uleb;
use proptest::prelude::*;

/// One run for the test encoder.
#[derive(Debug, Clone)]
enum Run {
    Rle(u32, usize),
    /// Values of a bit-packed run; padded with zeros to a multiple of 8 when encoded.
    Packed(Vec<u32>),
    /// A run header of 0 and nothing after it, as fastparquet pads pages; `true` writes it in
    /// two bytes (`0x80 0x00`), a valid if wasteful ULEB128 of 0.
    Zero(bool),
}

fn encode(runs: &[Run], width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for run in runs {
        match run {
            Run::Rle(value, count) => {
                put_uleb(&mut out, (*count as u64) << 1);
                out.extend_from_slice(&value.to_le_bytes()[..width.div_ceil(8)]);
            }
            Run::Packed(values) => {
                let groups = values.len().div_ceil(8);
                put_uleb(&mut out, ((groups as u64) << 1) | 1);
                let mut bytes = vec![0u8; groups * width];
                for (i, &v) in values.iter().enumerate() {
                    for b in 0..width {
                        if (v >> b) & 1 == 1 {
                            let bit = i * width + b;
                            bytes[bit / 8] |= 1 << (bit % 8);
                        }
                    }
                }
                out.extend_from_slice(&bytes);
            }
            Run::Zero(false) => out.push(0),
            Run::Zero(true) => out.extend_from_slice(&[0x80, 0]),
        }
    }
    out
}

fn logical(runs: &[Run]) -> Vec<u32> {
    let mut out = Vec::new();
    for run in runs {
        match run {
            Run::Rle(v, n) => out.extend(std::iter::repeat_n(*v, *n)),
            Run::Packed(values) => out.extend_from_slice(values),
            Run::Zero(_) => {}
        }
    }
    out
}

/// What decoding `n` values of `runs` must give, following arrow-rs on zero headers: a zero
/// header ends the stream unless it is the first run; an empty bit-packed run is skipped.
/// Only the values are modelled; the bytes consumed are checked against [`naive`].
fn expected(runs: &[Run], width: u8, n: usize) -> Result<Vec<u32>, KernelError> {
    let mut values = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if values.len() >= n {
            break;
        }
        match run {
            Run::Zero(_) if i == 0 => {}
            Run::Zero(_) if width == 0 => values.resize(n, 0),
            Run::Zero(_) => {
                return Err(KernelError::RunsEnded {
                    offset: encode(&runs[..i], usize::from(width)).len(),
                    missing: n - values.len(),
                })
            }
            Run::Rle(v, count) => values.extend(std::iter::repeat_n(*v, *count)),
            Run::Packed(v) => {
                // The zeros padding the last group are in the stream too.
                values.extend_from_slice(v);
                values.resize(values.len() + (8 - v.len() % 8) % 8, 0);
            }
        }
    }
    if values.len() < n && width == 0 {
        values.resize(n, 0);
    }
    if values.len() < n {
        // The data ran out: some UnexpectedEof, whose numbers the model does not predict.
        return Err(KernelError::UnexpectedEof {
            needed: 0,
            available: 0,
        });
    }
    values.truncate(n);
    Ok(values)
}

fn decode(data: &[u8], width: u8, n: usize) -> Result<(Vec<u32>, usize), KernelError> {
    let mut out = Vec::new();
    decode_hybrid(data, width, n, &mut out).map(|used| (out, used))
}

fn decode_naive(data: &[u8], width: u8, n: usize) -> Result<(Vec<u32>, usize), KernelError> {
    let mut out = Vec::new();
    naive::decode_hybrid(data, width, n, &mut out).map(|used| (out, used))
}

#[test]
fn edge_cases() {
    type Case = (
        &'static str,
        Vec<u8>,
        u8,
        usize,
        Result<(Vec<u32>, usize), ()>,
    );
    let cases: Vec<Case> = vec![
        ("width 0, no data", vec![], 0, 3, Ok((vec![0, 0, 0], 0))),
        ("width 0, rle header", vec![6], 0, 3, Ok((vec![0, 0, 0], 1))),
        ("width 0, short rle", vec![2], 0, 3, Ok((vec![0, 0, 0], 1))),
        ("zero values, no data", vec![], 5, 0, Ok((vec![], 0))),
        ("rle width 1", vec![8, 1], 1, 4, Ok((vec![1; 4], 2))),
        (
            "rle width 9 two bytes",
            vec![4, 0x01, 0x01],
            9,
            2,
            Ok((vec![257, 257], 3)),
        ),
        (
            "rle width 32",
            vec![2, 1, 2, 3, 4],
            32,
            1,
            Ok((vec![0x0403_0201], 5)),
        ),
        (
            "rle longer than needed",
            vec![200, 1, 7],
            3,
            2,
            Ok((vec![7, 7], 3)),
        ),
        // 0..8 packed at width 3: the parquet-format example bytes.
        (
            "packed width 3",
            vec![3, 0b1000_1000, 0b1100_0110, 0b1111_1010],
            3,
            8,
            Ok(((0..8).collect(), 4)),
        ),
        (
            "packed padding skipped",
            vec![3, 0b1000_1000, 0b1100_0110, 0b1111_1010],
            3,
            5,
            Ok(((0..5).collect(), 4)),
        ),
        (
            "truncated last group, needed values present",
            vec![3, 0b1000_1000],
            3,
            2,
            Ok((vec![0, 1], 2)),
        ),
        (
            "truncated group, values missing",
            vec![3, 0b1000_1000],
            3,
            3,
            Err(()),
        ),
        ("empty data, width 1", vec![], 1, 1, Err(())),
        ("rle value missing", vec![2], 8, 1, Err(())),
        ("rle value short", vec![2, 1], 16, 1, Err(())),
        ("header cut", vec![0x80], 1, 1, Err(())),
        (
            "header too long",
            vec![0x80, 0x80, 0x80, 0x80, 0x80, 0],
            1,
            1,
            Err(()),
        ),
        (
            "header over u32",
            vec![0xff, 0xff, 0xff, 0xff, 0x7f],
            1,
            1,
            Err(()),
        ),
        ("runs run out", vec![4, 1], 1, 3, Err(())),
        ("width 33", vec![2, 0, 0, 0, 0, 0], 33, 1, Err(())),
        (
            "packed width 32",
            vec![
                3, 1, 0, 0, 0, 2, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0,
            ],
            32,
            3,
            Ok((vec![1, 2, u32::MAX], 33)),
        ),
        // Zero run headers (see the module docs): 0 ends the stream unless it comes first,
        // 1 (a bit-packed run of no groups) is skipped.
        (
            "zero padding after the last run",
            vec![4, 5, 0, 0, 0],
            3,
            2,
            Ok((vec![5, 5], 2)),
        ),
        (
            "zero padding after a packed run",
            vec![3, 0b1000_1000, 0b1100_0110, 0b1111_1010, 0, 0],
            3,
            8,
            Ok(((0..8).collect(), 4)),
        ),
        ("mid-stream zero header", vec![4, 5, 0, 4, 6], 3, 4, Err(())),
        (
            "values before a mid-stream zero header",
            vec![4, 5, 0, 4, 6],
            3,
            2,
            Ok((vec![5, 5], 2)),
        ),
        (
            "no value byte follows a zero header",
            vec![4, 5, 0, 6, 4, 6],
            3,
            4,
            Err(()),
        ),
        (
            "two-byte zero header",
            vec![4, 5, 0x80, 0, 4, 6],
            3,
            4,
            Err(()),
        ),
        (
            "leading zero header skipped",
            vec![0, 4, 5],
            3,
            2,
            Ok((vec![5, 5], 3)),
        ),
        (
            "leading two-byte zero header skipped",
            vec![0x80, 0, 4, 5],
            3,
            2,
            Ok((vec![5, 5], 4)),
        ),
        (
            "second leading zero header",
            vec![0, 0, 4, 5],
            3,
            2,
            Err(()),
        ),
        ("only a zero header", vec![0], 3, 1, Err(())),
        (
            "empty packed run skipped",
            vec![4, 5, 1, 4, 6],
            3,
            4,
            Ok((vec![5, 5, 6, 6], 5)),
        ),
        (
            "leading empty packed run skipped",
            vec![1, 4, 5],
            3,
            2,
            Ok((vec![5, 5], 3)),
        ),
        (
            "zero header after a leading empty packed run",
            vec![1, 0, 4, 5],
            3,
            2,
            Err(()),
        ),
        (
            "width 0, mid-stream zero header",
            vec![2, 0, 4],
            0,
            3,
            Ok((vec![0, 0, 0], 2)),
        ),
        (
            "width 0, leading zero header",
            vec![0],
            0,
            2,
            Ok((vec![0, 0], 1)),
        ),
    ];
    for (name, data, width, n, want) in cases {
        let got = decode(&data, width, n).map_err(|_| ());
        assert_eq!(got, want, "{name}");
        let naive = decode_naive(&data, width, n).map_err(|_| ());
        assert_eq!(naive, want, "{name} (naive)");
    }
}

#[test]
fn appends_to_existing_output() {
    let mut out = vec![9];
    decode_hybrid(&[4, 5], 3, 2, &mut out).unwrap();
    assert_eq!(out, [9, 5, 5]);
}

#[test]
fn zero_header_errors_say_where() {
    let cases: &[(&[u8], usize, usize, usize)] = &[
        // (stream, values wanted, offset of the zero header, values missing)
        (&[4, 5, 0, 4, 6], 4, 2, 2),
        (&[4, 5, 0x80, 0, 4, 6], 4, 2, 2),
        (&[0, 0, 4, 5], 2, 1, 2),
        (&[1, 0, 4, 5], 2, 1, 2),
        (
            &[3, 0b1000_1000, 0b1100_0110, 0b1111_1010, 0, 2, 1],
            9,
            4,
            1,
        ),
    ];
    for &(data, n, offset, missing) in cases {
        let want = Err(KernelError::RunsEnded { offset, missing });
        assert_eq!(decode(data, 3, n).map(|_| ()), want, "{data:?}");
        assert_eq!(
            decode_naive(data, 3, n).map(|_| ()),
            want,
            "{data:?} (naive)"
        );
    }
    // Offsets are in the hybrid stream, after the bit-width byte of a dictionary page.
    assert_eq!(
        decode_dict_ids(&[3, 4, 5, 0, 4, 6], 4, &mut Vec::new()),
        Err(KernelError::RunsEnded {
            offset: 2,
            missing: 2
        })
    );
    let err = decode(&[4, 5, 0], 3, 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RLE/bit-packed stream ends at a zero run header at byte 2 with 1 values still to decode"
    );
}

/// What `parquet` 60.1.0's `RleDecoder` gives for these streams at bit width 3, recorded with
/// `set_data` and then one `get_batch` of `n` values. arrow-rs's column reader turns a short
/// batch into an error, so a short batch there must be an error here, and a full one the same
/// values.
#[test]
fn matches_recorded_arrow_rs() {
    let recorded: &[(&[u8], usize, &[u32])] = &[
        (&[4, 5], 2, &[5, 5]),
        (&[4, 5, 0, 0, 0], 2, &[5, 5]),
        (&[4, 5, 0, 4, 6], 4, &[5, 5]),
        (&[4, 5, 0, 6, 4, 6], 4, &[5, 5]),
        (&[0, 4, 5], 2, &[5, 5]),
        (&[0, 0, 4, 5], 2, &[]),
        (&[4, 5, 1, 4, 6], 4, &[5, 5, 6, 6]),
        (&[1, 4, 5], 2, &[5, 5]),
        (&[4, 5, 0x80, 0, 4, 6], 4, &[5, 5]),
        (
            &[3, 0x88, 0xC6, 0xFA, 0, 3, 0x88, 0xC6, 0xFA],
            16,
            &[0, 1, 2, 3, 4, 5, 6, 7],
        ),
        (&[0], 1, &[]),
        (&[], 1, &[]),
    ];
    for &(data, n, arrow) in recorded {
        let ours = decode(data, 3, n).map(|(values, _)| values);
        if arrow.len() == n {
            assert_eq!(ours, Ok(arrow.to_vec()), "{data:?}");
        } else {
            assert!(ours.is_err(), "{data:?}: arrow-rs read only {arrow:?}");
        }
        assert_eq!(
            decode_naive(data, 3, n).map(|(values, _)| values),
            ours,
            "{data:?} (naive)"
        );
    }
}

#[test]
fn dict_ids_and_levels() {
    let mut out = Vec::new();
    decode_dict_ids(&[], 0, &mut out).unwrap();
    assert!(decode_dict_ids(&[], 1, &mut out).is_err());
    decode_dict_ids(&[3, 3, 0b1000_1000, 0b1100_0110, 0b1111_1010], 8, &mut out).unwrap();
    assert_eq!(out, (0..8).collect::<Vec<_>>());
    assert_eq!(
        decode_dict_ids(&[40, 2, 0], 1, &mut out),
        Err(KernelError::BitWidthTooLarge(40))
    );

    let mut levels = Vec::new();
    let page = [2, 0, 0, 0, 6, 1, 0xAA];
    assert_eq!(decode_levels_v1(&page, 1, 3, &mut levels), Ok(6));
    assert_eq!(levels, [1, 1, 1]);
    assert!(decode_levels_v1(&[3, 0, 0, 0, 6, 1], 1, 3, &mut levels).is_err());
    assert!(decode_levels_v1(&[1, 0], 1, 1, &mut levels).is_err());
}

#[test]
fn dict_bounds() {
    assert_eq!(check_dict_bounds(&[], 0), Ok(()));
    assert_eq!(check_dict_bounds(&[0, 1, 2], 3), Ok(()));
    let mut ids = vec![0u32; 1000];
    ids[700] = 5;
    ids[900] = 9;
    assert_eq!(
        check_dict_bounds(&ids, 5),
        Err(KernelError::DictIndexOutOfRange { index: 5, len: 5 })
    );
    assert_eq!(
        check_dict_bounds(&[0], 0),
        Err(KernelError::DictIndexOutOfRange { index: 0, len: 0 })
    );
    assert_eq!(check_dict_bounds(&[u32::MAX], 1 << 33), Ok(()));
}

fn runs_strategy() -> impl Strategy<Value = (u8, Vec<Run>)> {
    (0u8..=32).prop_flat_map(|width| {
        let max = if width == 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        };
        let run = prop_oneof![
            // At least one value: an RLE header of 0 is the end marker, generated on its own.
            (0..=max, 1usize..40).prop_map(|(v, n)| Run::Rle(v, n)),
            (0usize..5).prop_flat_map(move |groups| {
                proptest::collection::vec(0..=max, groups * 8).prop_map(Run::Packed)
            }),
        ];
        // A trailing packed run whose length need not be a multiple of 8.
        let last = proptest::option::of(proptest::collection::vec(0..=max, 0..30));
        (Just(width), proptest::collection::vec(run, 0..8), last).prop_map(|(w, mut runs, last)| {
            if let Some(values) = last {
                runs.push(Run::Packed(values));
            }
            (w, runs)
        })
    })
}

/// The three steps [`decode_dict_gather`] fuses, one after another: ids, bounds, gather.
fn gather_reference(data: &[u8], n: usize, dict: &[u64]) -> Result<Vec<u64>, KernelError> {
    let mut ids = Vec::new();
    decode_dict_ids(data, n, &mut ids)?;
    check_dict_bounds(&ids, dict.len())?;
    Ok(ids.iter().map(|&id| dict[id as usize]).collect())
}

/// [`decode_dict_gather`] after a value already in `out`, which it must keep.
fn gather(data: &[u8], n: usize, dict: &[u64]) -> Result<Vec<u64>, KernelError> {
    let (mut scratch, mut out) = (vec![7, 7], vec![u64::MAX]);
    decode_dict_gather(data, n, dict, &mut scratch, &mut out)?;
    assert_eq!(out[0], u64::MAX, "the value already there is kept");
    Ok(out[1..].to_vec())
}

#[test]
fn dict_gather_cases() {
    let dict = [10u64, 11, 12, 13, 14, 15, 16, 17];
    // Bit width 3: a bit-packed group of 0..8, then an RLE run of five 6s.
    let page = [3, 3, 0b1000_1000, 0b1100_0110, 0b1111_1010, 10, 6];
    let want: Vec<u64> = (10..18).chain([16; 5]).collect();
    assert_eq!(gather(&page, 13, &dict), Ok(want));
    assert_eq!(gather(&page, 0, &dict), Ok(vec![]));
    assert_eq!(gather(&[], 0, &dict), Ok(vec![]));
    assert!(gather(&[], 1, &dict).is_err());
    // Id 7 in the packed run and 6 in the RLE run are past a dictionary of 6: the first in
    // stream order is reported, as the separate bounds check reports it.
    assert_eq!(
        gather(&page, 13, &dict[..6]),
        Err(KernelError::DictIndexOutOfRange { index: 6, len: 6 })
    );
    assert_eq!(
        gather(
            &[3, 10, 7, 3, 0b1000_1000, 0b1100_0110, 0b1111_1010],
            13,
            &dict[..6]
        ),
        Err(KernelError::DictIndexOutOfRange { index: 7, len: 6 })
    );
    // A stream cut short is that error, not the out-of-range id before it.
    assert_eq!(
        gather(&page[..6], 13, &dict[..6]),
        gather_reference(&page[..6], 13, &dict[..6])
    );
    assert!(matches!(
        gather(&page[..6], 13, &dict[..6]),
        Err(KernelError::UnexpectedEof { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Fused and unfused agree on values and on errors, for streams with zero headers and
    /// padding, cut short, asked for fewer or more values, and dictionaries of any length.
    #[test]
    fn dict_gather_matches_ids_then_gather(
        (width, runs) in runs_strategy(),
        zeros in proptest::collection::vec((0usize..10, any::<bool>()), 0..2),
        dict_len in 0usize..80,
        keep in 0usize..300,
        cut in 0usize..10,
        extra in 0usize..3,
    ) {
        let mut runs = runs;
        for &(at, wide) in &zeros {
            runs.insert(at.min(runs.len()), Run::Zero(wide));
        }
        let mut page = vec![width];
        page.extend(encode(&runs, usize::from(width)));
        let page = &page[..keep.min(page.len())];
        let n = (logical(&runs).len() + extra).saturating_sub(cut);
        let dict: Vec<u64> = (0..dict_len as u64).map(|i| i * 3 + 1).collect();
        prop_assert_eq!(gather(page, n, &dict), gather_reference(page, n, &dict));
    }

    #[test]
    fn dict_gather_of_arbitrary_bytes_matches(data in proptest::collection::vec(any::<u8>(), 0..100),
                                              n in 0usize..300, dict_len in 0usize..40) {
        let dict: Vec<u64> = (0..dict_len as u64).collect();
        prop_assert_eq!(gather(&data, n, &dict), gather_reference(&data, n, &dict));
    }

    #[test]
    fn decodes_encoded_streams((width, runs) in runs_strategy(), cut in 0usize..10) {
        let data = encode(&runs, usize::from(width));
        let values = logical(&runs);
        let n = values.len().saturating_sub(cut);
        let fast = decode(&data, width, n);
        prop_assert_eq!(fast.as_ref().map(|r| &r.0), Ok(&values[..n].to_vec()));
        prop_assert_eq!(&fast, &decode_naive(&data, width, n));
        // Decoding stops at the last run it needs: exactly those bytes are consumed.
        let used = fast.unwrap().1;
        prop_assert!(used <= data.len());
        prop_assert_eq!(decode(&data[..used], width, n).map(|r| r.0), Ok(values[..n].to_vec()));
        // Unless the stream ends in empty packed runs, which nothing needs to read.
        if runs.iter().all(|r| !matches!(r, Run::Packed(v) if v.is_empty())) && cut == 0 && width > 0 {
            prop_assert_eq!(used, data.len());
        }
    }

    /// Zero headers anywhere, padding at the end included: values (or the error) as arrow-rs
    /// reads them, and the fast decoder equal to the reference, bytes consumed included.
    #[test]
    fn zero_headers_match_model_and_naive(
        (width, runs) in runs_strategy(),
        zeros in proptest::collection::vec((0usize..10, any::<bool>()), 0..3),
        padding in 0usize..4,
        cut in 0usize..10,
        extra in 0usize..3,
    ) {
        let mut runs = runs;
        for &(at, wide) in &zeros {
            runs.insert(at.min(runs.len()), Run::Zero(wide));
        }
        runs.extend(std::iter::repeat_n(Run::Zero(false), padding));
        let data = encode(&runs, usize::from(width));
        // Ask for fewer values than there are, all of them, or more.
        let n = (logical(&runs).len() + extra).saturating_sub(cut);
        let fast = decode(&data, width, n);
        prop_assert_eq!(&fast, &decode_naive(&data, width, n));
        match expected(&runs, width, n) {
            Ok(values) => prop_assert_eq!(fast.map(|r| r.0), Ok(values)),
            Err(e @ KernelError::RunsEnded { .. }) => prop_assert_eq!(fast.map(|r| r.0), Err(e)),
            Err(_) => prop_assert!(
                matches!(fast, Err(KernelError::UnexpectedEof { .. })),
                "{:?}", fast
            ),
        }
    }

    #[test]
    fn truncated_streams_match_naive((width, runs) in runs_strategy(), keep in 0usize..200) {
        let data = encode(&runs, usize::from(width));
        let data = &data[..keep.min(data.len())];
        let n = logical(&runs).len();
        prop_assert_eq!(decode(data, width, n).is_ok(), decode_naive(data, width, n).is_ok());
        if let (Ok(a), Ok(b)) = (decode(data, width, n), decode_naive(data, width, n)) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn arbitrary_bytes_match_naive(data in proptest::collection::vec(any::<u8>(), 0..100),
                                   width in 0u8..=34, n in 0usize..300) {
        let fast = decode(&data, width, n);
        let slow = decode_naive(&data, width, n);
        prop_assert_eq!(fast.is_ok(), slow.is_ok());
        if let (Ok(a), Ok(b)) = (fast, slow) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn bounds_check_matches_naive(ids in proptest::collection::vec(0u32..600, 0..2000), len in 0usize..700) {
        let want = ids.iter().copied().find(|&id| id as usize >= len);
        let got = check_dict_bounds(&ids, len);
        match want {
            None => prop_assert_eq!(got, Ok(())),
            Some(index) => prop_assert_eq!(got, Err(KernelError::DictIndexOutOfRange { index, len })),
        }
    }
}
