//! Hand-built pages, for what a writer never produces (repetition-level bytes in a V2 page, a
//! V1/V2 mix in one chunk, a page claiming more rows than the row group has) and for corrupt
//! input.

use super::super::*;
use crate::test_util::{dict_ids, levels_v1, plain_strings, rle};
use bytes::Bytes;
use parquet::column::page::Page;

fn plain(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn dictionary(values: &[f64]) -> Page {
    Page::DictionaryPage {
        buf: Bytes::from(plain(values)),
        num_values: values.len() as u32,
        encoding: Encoding::PLAIN,
        is_sorted: false,
    }
}

fn v1(num_values: u32, encoding: Encoding, parts: &[&[u8]]) -> Page {
    Page::DataPage {
        buf: Bytes::from(parts.concat()),
        num_values,
        encoding,
        def_level_encoding: Encoding::RLE,
        rep_level_encoding: Encoding::RLE,
        statistics: None,
    }
}

fn v2(num_values: u32, encoding: Encoding, rep: &[u8], def: &[u8], values: &[u8]) -> Page {
    Page::DataPageV2 {
        buf: Bytes::from([rep, def, values].concat()),
        num_values,
        encoding,
        num_nulls: 0,
        num_rows: num_values,
        def_levels_byte_len: def.len() as u32,
        rep_levels_byte_len: rep.len() as u32,
        is_compressed: false,
        statistics: None,
    }
}

struct F64Chunk {
    values: Vec<f64>,
    valid: Vec<bool>,
    stats: DecodeStats,
}

fn decode_f64(pages: Vec<Page>, max_def: i16, rows: usize) -> Result<F64Chunk, DecodeError> {
    let (mut values, mut valid, mut stats) = (Vec::new(), Validity::new(), DecodeStats::default());
    let out = ColumnOut {
        values: &mut values,
        valid: Some(&mut valid),
        rows_left: rows,
    };
    decode_chunk(
        &mut crate::decode::pages::CratePages::new(pages.into_iter().map(Ok)),
        max_def,
        &mut F64Decoder::default(),
        out,
        &mut Scratch::default(),
        &mut stats,
    )?;
    Ok(F64Chunk {
        values,
        valid: valid.iter().collect(),
        stats,
    })
}

/// One chunk: a dictionary, then V1 and V2 pages, dictionary ids and PLAIN, in turn. The V2 pages
/// carry repetition-level bytes (garbage here) that must be skipped, not read as levels.
#[test]
fn mixed_v1_and_v2_pages_after_one_dictionary() {
    let pages = vec![
        dictionary(&[10.0, 20.0, 30.0]),
        v1(
            4,
            Encoding::RLE_DICTIONARY,
            &[&levels_v1(&[1, 0, 1, 1]), &dict_ids(&[2, 0, 1], 2)],
        ),
        v2(
            3,
            Encoding::PLAIN,
            &[0xFF, 0xEE],
            &rle(&[0, 1, 1], 1),
            &plain(&[7.5, -1.0]),
        ),
        v1(
            2,
            Encoding::PLAIN,
            &[&levels_v1(&[1, 1]), &plain(&[4.0, 5.0])],
        ),
        v2(
            3,
            Encoding::PLAIN_DICTIONARY,
            &[0x01],
            &rle(&[1, 0, 1], 1),
            &dict_ids(&[2, 2], 2),
        ),
    ];
    let got = decode_f64(pages, 1, 12).expect("decodes");
    let want: [Option<f64>; 12] = [
        Some(30.0),
        None,
        Some(10.0),
        Some(20.0),
        None,
        Some(7.5),
        Some(-1.0),
        Some(4.0),
        Some(5.0),
        Some(30.0),
        None,
        Some(30.0),
    ];
    assert_eq!(got.values, want.map(|v| v.unwrap_or(0.0)).to_vec());
    assert_eq!(got.valid, want.map(|v| v.is_some()).to_vec());
    let s = got.stats;
    assert_eq!(
        (s.dictionary_pages, s.dict_id_pages, s.plain_pages, s.values),
        (1, 2, 2, 12)
    );
}

#[test]
fn required_pages_have_no_level_section() {
    let pages = vec![
        v1(2, Encoding::PLAIN, &[&plain(&[1.0, 2.0])]),
        v2(1, Encoding::PLAIN, &[], &[], &plain(&[3.0])),
    ];
    let got = decode_f64(pages, 0, 3).expect("decodes");
    assert_eq!(got.values, vec![1.0, 2.0, 3.0]);
    assert_eq!(got.valid, vec![true; 3]);
}

#[test]
fn pages_holding_more_values_than_rows_left_are_corrupt() {
    let page = || {
        v1(
            2,
            Encoding::PLAIN,
            &[&levels_v1(&[1, 1]), &plain(&[1.0, 2.0])],
        )
    };
    assert!(decode_f64(vec![page(), page()], 1, 4).is_ok());
    let err = decode_f64(vec![page(), page()], 1, 3)
        .err()
        .expect("too many");
    assert!(matches!(err, DecodeError::Corrupt(_)), "{err:?}");
}

#[test]
fn v2_level_lengths_past_the_page_are_corrupt() {
    let mut page = v2(
        2,
        Encoding::PLAIN,
        &[],
        &rle(&[1, 1], 1),
        &plain(&[1.0, 2.0]),
    );
    if let Page::DataPageV2 {
        def_levels_byte_len,
        ..
    } = &mut page
    {
        *def_levels_byte_len = 100;
    }
    let err = decode_f64(vec![page], 1, 2).err().expect("corrupt");
    assert!(matches!(err, DecodeError::Corrupt(_)), "{err:?}");
}

#[test]
fn dictionary_ids_need_a_dictionary_page() {
    let page = v1(
        1,
        Encoding::RLE_DICTIONARY,
        &[&levels_v1(&[1]), &dict_ids(&[0], 1)],
    );
    let err = decode_f64(vec![page], 1, 1).err().expect("no dictionary");
    assert!(matches!(err, DecodeError::MissingDictionary), "{err:?}");
}

#[test]
fn dictionary_ids_past_the_dictionary_fail() {
    let page = |id| {
        v1(
            1,
            Encoding::RLE_DICTIONARY,
            &[&levels_v1(&[1]), &dict_ids(&[id], 2)],
        )
    };
    assert!(decode_f64(vec![dictionary(&[1.0, 2.0]), page(1)], 1, 1).is_ok());
    let err = decode_f64(vec![dictionary(&[1.0, 2.0]), page(2)], 1, 1)
        .err()
        .expect("out of range");
    assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
}

#[test]
fn short_plain_pages_are_corrupt() {
    // Three non-NULL slots, two values' worth of bytes.
    let page = v1(
        3,
        Encoding::PLAIN,
        &[&levels_v1(&[1, 1, 1]), &plain(&[1.0, 2.0])],
    );
    let err = decode_f64(vec![page], 1, 3).err().expect("short");
    assert!(matches!(err, DecodeError::Corrupt(_)), "{err:?}");
}

#[test]
fn other_value_encodings_are_named() {
    // DELTA_BINARY_PACKED is an INT64 encoding: a DOUBLE page in it falls back, named.
    let page = v1(
        1,
        Encoding::DELTA_BINARY_PACKED,
        &[&levels_v1(&[1]), &plain(&[1.0])],
    );
    let err = decode_f64(vec![page], 1, 1).err().expect("unsupported");
    assert!(
        matches!(
            err,
            DecodeError::UnsupportedEncoding(Encoding::DELTA_BINARY_PACKED)
        ),
        "{err:?}"
    );
}

/// BYTE_STREAM_SPLIT: byte `k` of value `i` at `k * n + i`.
fn split(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut out = vec![0u8; n * 8];
    for (i, v) in values.iter().enumerate() {
        for (k, b) in v.to_le_bytes().into_iter().enumerate() {
            out[k * n + i] = b;
        }
    }
    out
}

/// BYTE_STREAM_SPLIT DOUBLE pages, V1 and V2, with NULLs, next to PLAIN ones in one chunk.
#[test]
fn byte_stream_split_pages_with_nulls() {
    let pages = vec![
        v1(
            4,
            Encoding::BYTE_STREAM_SPLIT,
            &[&levels_v1(&[1, 0, 1, 1]), &split(&[1.5, -0.0, f64::MAX])],
        ),
        v2(
            3,
            Encoding::BYTE_STREAM_SPLIT,
            &[],
            &rle(&[0, 1, 1], 1),
            &split(&[f64::NEG_INFINITY, 5e-324]),
        ),
        v1(1, Encoding::PLAIN, &[&levels_v1(&[1]), &plain(&[2.0])]),
    ];
    let got = decode_f64(pages, 1, 8).expect("decodes");
    let want = [
        Some(1.5),
        None,
        Some(-0.0),
        Some(f64::MAX),
        None,
        Some(f64::NEG_INFINITY),
        Some(5e-324),
        Some(2.0),
    ];
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got.values), bits(&want.map(|v| v.unwrap_or(0.0))));
    assert_eq!(got.valid, want.map(|v| v.is_some()).to_vec());
    let s = got.stats;
    assert_eq!(
        (s.plain_pages, s.encoded_pages, s.values, s.fallback_chunks),
        (1, 2, 8, 0)
    );
}

#[test]
fn short_byte_stream_split_pages_are_kernel_errors() {
    // Three non-NULL slots, two values' worth of streams.
    let page = v1(
        3,
        Encoding::BYTE_STREAM_SPLIT,
        &[&levels_v1(&[1, 1, 1]), &split(&[1.0, 2.0])],
    );
    let err = decode_f64(vec![page], 1, 3).err().expect("short");
    assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
}

fn decode_i64(pages: Vec<Page>, max_def: i16, rows: usize) -> Result<Vec<i64>, DecodeError> {
    let (mut values, mut stats) = (Vec::new(), DecodeStats::default());
    let out = ColumnOut {
        values: &mut values,
        valid: None,
        rows_left: rows,
    };
    decode_chunk(
        &mut crate::decode::pages::CratePages::new(pages.into_iter().map(Ok)),
        max_def,
        &mut I64Decoder::new(|v| v),
        out,
        &mut Scratch::default(),
        &mut stats,
    )?;
    Ok(values)
}

/// DELTA_BINARY_PACKED by hand: block size 128, 4 miniblocks, `values.len()` values, the first
/// value 0 (zigzag 0), then one block of min delta 1 (zigzag 2) and widths 0: 0, 1, 2, ...
fn delta_steps(count: u8) -> Vec<u8> {
    vec![0x80, 0x01, 4, count, 0, 2, 0, 0, 0, 0]
}

#[test]
fn delta_binary_packed_pages_and_their_corruption() {
    let page = |buf: Vec<u8>, n: u32| v1(n, Encoding::DELTA_BINARY_PACKED, &[&buf]);
    assert_eq!(
        decode_i64(vec![page(delta_steps(5), 5)], 0, 5).expect("decodes"),
        [0, 1, 2, 3, 4]
    );
    // The header holds fewer values than the page: a kernel error, not a fallback.
    let err = decode_i64(vec![page(delta_steps(4), 5)], 0, 5).expect_err("too few");
    assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
    // Cut inside the block header.
    let cut = delta_steps(5)[..6].to_vec();
    let err = decode_i64(vec![page(cut, 5)], 0, 5).expect_err("truncated");
    assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
}

#[test]
fn level_width_is_the_bits_of_the_max_level() {
    for (max_def, width) in [(1, 1), (2, 2), (3, 2), (4, 3), (7, 3), (8, 4), (255, 8)] {
        assert_eq!(level_width(max_def), width, "max_def {max_def}");
    }
}

#[test]
fn plain_byte_arrays_walks_entries_and_rejects_truncation() {
    let buf = plain_strings(&["", "ab", "ñ"]);
    let mut seen = Vec::new();
    plain_byte_arrays(&buf, 3, |v| {
        seen.push(v.to_vec());
        Ok(())
    })
    .expect("three entries");
    assert_eq!(
        seen,
        vec![b"".to_vec(), b"ab".to_vec(), "ñ".as_bytes().to_vec()]
    );
    // A fourth entry is missing, then the last entry's bytes are cut short.
    assert!(plain_byte_arrays(&buf, 4, |_| Ok(())).is_err());
    assert!(plain_byte_arrays(&buf[..buf.len() - 1], 3, |_| Ok(())).is_err());
}
