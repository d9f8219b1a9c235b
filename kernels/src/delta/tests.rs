//! Edge cases and property tests: the fast decoder against the values an encoder written here
//! packed, against [`super::naive`], and against pages the `parquet` crate's own writer encoded.

use super::*;
use crate::test_encode::{put_uleb, put_zigzag};
use proptest::prelude::*;

/// How the test encoder lays a stream out.
#[derive(Debug, Clone, Copy)]
struct Layout {
    block_size: u64,
    miniblocks: u64,
    /// Pad the last miniblock to full size, as the format asks.
    pad: bool,
    /// Width byte of the miniblocks past the last value (the format allows anything).
    unused_width: u8,
}

const STANDARD: Layout = Layout {
    block_size: 128,
    miniblocks: 4,
    pad: true,
    unused_width: 0,
};

/// Encodes `values` bit by bit (the plain reference the decoder must give back).
fn encode(values: &[i64], layout: Layout) -> Vec<u8> {
    let mut out = Vec::new();
    put_uleb(&mut out, layout.block_size);
    put_uleb(&mut out, layout.miniblocks);
    put_uleb(&mut out, values.len() as u64);
    put_zigzag(&mut out, values.first().copied().unwrap_or(0));
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    let vpm = (layout.block_size / layout.miniblocks) as usize;
    for block in deltas.chunks(layout.block_size as usize) {
        let min = *block.iter().min().expect("non-empty");
        put_zigzag(&mut out, min);
        let minis: Vec<&[i64]> = block.chunks(vpm).collect();
        let widths: Vec<u8> = minis
            .iter()
            .map(|m| {
                let max = m.iter().map(|d| d.wrapping_sub(min) as u64).max().unwrap();
                (64 - max.leading_zeros()) as u8
            })
            .collect();
        for m in 0..layout.miniblocks as usize {
            out.push(widths.get(m).copied().unwrap_or(layout.unused_width));
        }
        for (m, mini) in minis.iter().enumerate() {
            let w = usize::from(widths[m]);
            let last = m + 1 == minis.len();
            let len = if last && !layout.pad {
                (mini.len() * w).div_ceil(8)
            } else {
                vpm * w / 8
            };
            let mut bytes = vec![0u8; len];
            for (i, d) in mini.iter().enumerate() {
                let v = d.wrapping_sub(min) as u64;
                for b in 0..w {
                    if (v >> b) & 1 == 1 {
                        let bit = i * w + b;
                        bytes[bit / 8] |= 1 << (bit % 8);
                    }
                }
            }
            out.extend_from_slice(&bytes);
        }
    }
    out
}

fn decode(data: &[u8], n: usize) -> Result<(Vec<i64>, usize), KernelError> {
    let mut out = Vec::new();
    decode_i64(data, n, &mut out).map(|used| (out, used))
}

fn decode_naive(data: &[u8], n: usize) -> Result<(Vec<i64>, usize), KernelError> {
    let mut out = Vec::new();
    naive::decode_i64(data, n, &mut out).map(|used| (out, used))
}

/// Both decoders give `values` and consume the whole stream.
fn round_trips(values: &[i64], layout: Layout) {
    let data = encode(values, layout);
    let want = Ok((values.to_vec(), data.len()));
    assert_eq!(decode(&data, values.len()), want, "{layout:?}");
    assert_eq!(decode_naive(&data, values.len()), want, "{layout:?} naive");
}

fn same_kind(
    a: &Result<(Vec<i64>, usize), KernelError>,
    b: &Result<(Vec<i64>, usize), KernelError>,
) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x == y,
        (Err(x), Err(y)) => std::mem::discriminant(x) == std::mem::discriminant(y),
        _ => false,
    }
}

#[test]
fn edge_cases() {
    let ramp: Vec<i64> = (0..1000)
        .map(|i| 1_700_000_000_000 + i * 3_600_000)
        .collect();
    let cases: Vec<Vec<i64>> = vec![
        vec![],
        vec![42],
        vec![-7, -7],
        vec![i64::MIN, i64::MAX, i64::MIN, 0, i64::MAX, -1],
        vec![0; 129],
        ramp.clone(),
        // Full 64-bit deltas within one miniblock.
        (0..300)
            .map(|i: i64| {
                if i % 2 == 0 {
                    i64::MIN + i
                } else {
                    i64::MAX - i
                }
            })
            .collect(),
        // Exactly one block after the first value, then exactly two.
        (0..129).map(|i| i * i).collect(),
        (0..257).map(|i| -i * 1_000_003).collect(),
    ];
    for values in &cases {
        for layout in [
            STANDARD,
            Layout {
                block_size: 256,
                miniblocks: 8,
                ..STANDARD
            },
            Layout {
                block_size: 128,
                miniblocks: 1,
                ..STANDARD
            },
            Layout {
                pad: false,
                unused_width: 0xff,
                ..STANDARD
            },
            Layout {
                block_size: 1024,
                miniblocks: 2,
                pad: false,
                unused_width: 65,
            },
        ] {
            round_trips(values, layout);
        }
    }
}

#[test]
fn constant_steps_use_width_zero_miniblocks() {
    let values: Vec<i64> = (0..500).map(|i| 86_400_000 * i - 5).collect();
    let data = encode(&values, STANDARD);
    // Header (4 numbers) + 4 blocks of a min delta and 4 zero widths: no miniblock bytes.
    assert!(data.len() < 60, "{} bytes", data.len());
    assert_eq!(decode(&data, 500), Ok((values, data.len())));
}

#[test]
fn reads_only_the_values_asked_for() {
    let values: Vec<i64> = (0..600).map(|i| (i * 7919) % 1013 - 500).collect();
    let data = encode(&values, STANDARD);
    for n in [0, 1, 2, 128, 129, 130, 599] {
        let (got, used) = decode(&data, n).expect("prefix");
        assert_eq!(got, values[..n], "n {n}");
        assert_eq!(decode_naive(&data, n), Ok((got, used)), "n {n}");
        assert!(used <= data.len());
    }
    // One value more than the header holds.
    assert!(matches!(
        decode(&data, 601),
        Err(KernelError::InvalidStream { .. })
    ));
}

#[test]
fn trailing_bytes_are_not_consumed() {
    let values: Vec<i64> = (0..200).map(|i| i * i * i).collect();
    let mut data = encode(&values, STANDARD);
    let len = data.len();
    data.extend_from_slice(b"next stream");
    assert_eq!(decode(&data, 200), Ok((values, len)));
    // One value: the header only.
    let mut one = encode(&[5], STANDARD);
    let len = one.len();
    one.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode(&one, 1), Ok((vec![5], len)));
}

#[test]
fn appends_to_existing_output() {
    let data = encode(&[1, 2, 3], STANDARD);
    let mut out = vec![9];
    decode_i64(&data, 3, &mut out).expect("decodes");
    assert_eq!(out, [9, 1, 2, 3]);
}

#[test]
fn corrupt_streams_are_errors() {
    let invalid = |data: &[u8], n: usize| {
        let fast = decode(data, n);
        assert!(
            matches!(fast, Err(KernelError::InvalidStream { .. })),
            "{data:?}: {fast:?}"
        );
        assert!(same_kind(&fast, &decode_naive(data, n)), "{data:?}");
    };
    // Block size not a multiple of 128; zero miniblocks; 128 / 8 = 16 values per miniblock.
    invalid(&[100, 4, 2, 0, 0, 0, 0, 0, 0, 0], 2);
    invalid(&[0x80, 1, 0, 2, 0, 0], 2);
    invalid(&[0x80, 1, 8, 2, 0, 0], 2);
    // A block size of 0 with a second value to read; fine with one.
    invalid(&[0, 1, 2, 0, 0, 0], 2);
    assert_eq!(decode(&[0, 1, 1, 6], 1), Ok((vec![3], 4)));
    // A miniblock 65 bits wide.
    let mut wide = vec![0x80, 1, 4, 2, 0, 0];
    wide.extend_from_slice(&[65, 0, 0, 0]);
    wide.extend_from_slice(&[0xff; 300]);
    invalid(&wide, 2);
    // ULEB128 numbers of 11 bytes, and of 10 bytes above u64::MAX.
    let mut long = vec![0x80; 10];
    long.push(0);
    invalid(&long, 0);
    let mut big = vec![0xff; 9];
    big.push(0x02);
    invalid(&big, 0);
    // Truncation anywhere is an end of input.
    let values: Vec<i64> = (0..300).map(|i| i * 12345 - 99).collect();
    let data = encode(&values, STANDARD);
    for cut in 0..data.len() {
        let fast = decode(&data[..cut], 300);
        assert!(
            matches!(fast, Err(KernelError::UnexpectedEof { .. })),
            "cut {cut}: {fast:?}"
        );
        assert!(
            same_kind(&fast, &decode_naive(&data[..cut], 300)),
            "cut {cut}"
        );
    }
}

/// Found by the `delta_binary_packed` and `delta_length_byte_array` fuzz targets: a block size
/// near 2^62 (one miniblock) made `values per miniblock × width` overflow before the division by
/// 8, an error where the stream is fine (the miniblock holds 8-bit deltas, and only two are read).
#[test]
fn huge_miniblocks_are_sized_without_overflow() {
    let stream = [
        0x80, 0xff, 0xb9, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e, 0x01, 0x03, 0x00, 0x00, 0x08, 0x00,
        0x00, 0x00,
    ];
    let want = Ok((vec![0, 0, 0], stream.len()));
    assert_eq!(decode(&stream, 3), want);
    assert_eq!(decode_naive(&stream, 3), want);
    assert_eq!(
        decode_strings(&stream, 3),
        Ok((vec![vec![]; 3], stream.len()))
    );
}

#[test]
fn errors_are_readable() {
    let err = decode(&[0x80, 1, 4, 2, 0, 0, 70, 0, 0, 0], 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid DELTA_BINARY_PACKED stream at byte 6: miniblock bit width 70 is larger than 64"
    );
}

/// Pages the `parquet` crate's writer encodes (V2 pages, DELTA_BINARY_PACKED, no levels for a
/// required column), read back raw.
fn parquet_pages(values: &[i64], page_rows: usize) -> Vec<(usize, Vec<u8>)> {
    use parquet::basic::{Compression, Encoding};
    use parquet::column::page::Page;
    use parquet::data_type::Int64Type;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let schema = Arc::new(parse_message_type("message m { required int64 v; }").unwrap());
    let props = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::DELTA_BINARY_PACKED)
        .set_compression(Compression::UNCOMPRESSED)
        .set_data_page_row_count_limit(page_rows)
        .set_write_batch_size(page_rows)
        .build();
    let mut file = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut file, schema, Arc::new(props)).unwrap();
    let mut rg = writer.next_row_group().unwrap();
    let mut col = rg.next_column().unwrap().expect("one column");
    col.typed::<Int64Type>()
        .write_batch(values, None, None)
        .unwrap();
    col.close().unwrap();
    rg.close().unwrap();
    writer.close().unwrap();

    let reader = SerializedFileReader::new(bytes::Bytes::from(file)).unwrap();
    let mut pages = reader
        .get_row_group(0)
        .unwrap()
        .get_column_page_reader(0)
        .unwrap();
    let mut out = Vec::new();
    while let Some(page) = pages.get_next_page().unwrap() {
        match page {
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                ..
            } => {
                assert_eq!(encoding, Encoding::DELTA_BINARY_PACKED);
                out.push((num_values as usize, buf.to_vec()));
            }
            other => panic!("unexpected page {:?}", other.page_type()),
        }
    }
    out
}

#[test]
fn decodes_the_parquet_crates_pages() {
    let mut values: Vec<i64> = (0..3000)
        .map(|i: i64| 1_700_000_000_000_000 + i * 3_600_000_000 + (i * 7919) % 1000)
        .collect();
    values.extend([i64::MIN, i64::MAX, 0, -1, i64::MIN, i64::MIN, i64::MAX]);
    for page_rows in [1, 2, 127, 129, 1000, 5000] {
        let pages = parquet_pages(&values, page_rows);
        let mut all = Vec::new();
        for (n, buf) in &pages {
            let used = decode_i64(buf, *n, &mut all).expect("decodes");
            assert_eq!(used, buf.len(), "page_rows {page_rows}");
        }
        assert_eq!(all, values, "page_rows {page_rows}");
    }
}

fn values_strategy() -> impl Strategy<Value = Vec<i64>> {
    prop_oneof![
        proptest::collection::vec(any::<i64>(), 0..700),
        // Small steps, the timestamp shape: narrow miniblocks.
        (any::<i64>(), proptest::collection::vec(-3i64..1000, 0..700)).prop_map(
            |(start, steps)| {
                let mut v = start;
                std::iter::once(start)
                    .chain(steps.into_iter().map(|s| {
                        v = v.wrapping_add(s);
                        v
                    }))
                    .collect()
            }
        ),
        proptest::collection::vec(
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64)],
            0..300
        ),
    ]
}

fn layout_strategy() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![
            Just((128u64, 4u64)),
            Just((128, 1)),
            Just((256, 8)),
            Just((512, 4)),
            Just((128, 2))
        ],
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|((block_size, miniblocks), pad, unused_width)| Layout {
            block_size,
            miniblocks,
            pad,
            unused_width,
        })
}

proptest! {
    #[test]
    fn decodes_encoded_streams(values in values_strategy(), layout in layout_strategy()) {
        round_trips(&values, layout);
    }

    #[test]
    fn prefixes_match_naive(values in values_strategy(), layout in layout_strategy(), n in 0usize..800) {
        let data = encode(&values, layout);
        let fast = decode(&data, n);
        prop_assert!(same_kind(&fast, &decode_naive(&data, n)), "{:?}", fast);
        if n <= values.len() {
            prop_assert_eq!(fast.expect("prefix").0, values[..n].to_vec());
        }
    }

    #[test]
    fn damaged_streams_match_naive(
        values in values_strategy(),
        layout in layout_strategy(),
        keep in 0usize..3000,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let mut data = encode(&values, layout);
        data.truncate(keep);
        for (at, x) in flips {
            if !data.is_empty() {
                let i = at % data.len();
                data[i] ^= x;
            }
        }
        let n = values.len();
        prop_assert!(same_kind(&decode(&data, n), &decode_naive(&data, n)));
    }

    #[test]
    fn arbitrary_bytes_match_naive(data in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..300) {
        prop_assert!(same_kind(&decode(&data, n), &decode_naive(&data, n)));
    }
}

// ---- DELTA_LENGTH_BYTE_ARRAY ----

/// The lengths' last miniblock is always padded here: the values' bytes start after the padding
/// (an unpadded stream would be read as garbage, as arrow-rs reads it).
fn encode_strings(values: &[Vec<u8>], layout: Layout) -> Vec<u8> {
    let lengths: Vec<i64> = values.iter().map(|v| v.len() as i64).collect();
    let mut out = encode(
        &lengths,
        Layout {
            pad: true,
            ..layout
        },
    );
    for v in values {
        out.extend_from_slice(v);
    }
    out
}

fn decode_strings(data: &[u8], n: usize) -> Result<(Vec<Vec<u8>>, usize), KernelError> {
    let mut values = Vec::new();
    let used = decode_length_byte_array(data, n, &mut Vec::new(), |v| values.push(v.to_vec()))?;
    Ok((values, used))
}

#[test]
fn length_byte_arrays_round_trip() {
    let values: Vec<Vec<u8>> = ["", "a", "openshift-monitoring", "", "ñødé", "x"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    for n in 0..=values.len() {
        let mut data = encode_strings(&values[..n], STANDARD);
        let len = data.len();
        data.extend_from_slice(b"trailing");
        let want = Ok((values[..n].to_vec(), len));
        assert_eq!(decode_strings(&data, n), want, "n {n}");
        assert_eq!(
            naive::decode_length_byte_array(&data, n),
            want,
            "n {n} naive"
        );
    }
}

#[test]
fn bad_length_byte_arrays_are_errors() {
    let values = vec![b"ab".to_vec(), b"cde".to_vec()];
    let data = encode_strings(&values, STANDARD);
    // The header holds two lengths: asking for one or three is an error.
    for n in [1, 3] {
        assert!(matches!(
            decode_strings(&data, n),
            Err(KernelError::InvalidStream { .. })
        ));
        assert!(naive::decode_length_byte_array(&data, n).is_err());
    }
    // The bytes are one short.
    assert!(matches!(
        decode_strings(&data[..data.len() - 1], 2),
        Err(KernelError::UnexpectedEof { .. })
    ));
    // A negative length, and one past i32::MAX.
    for bad in [-1, i64::from(i32::MAX) + 1] {
        let mut data = encode(&[3, bad], STANDARD);
        data.extend_from_slice(&[0; 64]);
        let err = decode_strings(&data, 2).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid DELTA_LENGTH_BYTE_ARRAY stream"),
            "{err}"
        );
        assert!(naive::decode_length_byte_array(&data, 2).is_err());
    }
    // Nothing is handed out from a page that turns out corrupt.
    let mut seen = 0;
    let _ = decode_length_byte_array(&data[..data.len() - 1], 2, &mut Vec::new(), |_| seen += 1);
    assert_eq!(seen, 0);
}

#[test]
fn decodes_the_parquet_crates_length_byte_array_pages() {
    use parquet::basic::{Compression, Encoding};
    use parquet::column::page::Page;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let values: Vec<String> = (0..2000)
        .map(|i| match i % 5 {
            0 => String::new(),
            1 => format!("namespace-{i}"),
            2 => "ñ".repeat(i % 40),
            3 => "x".repeat(i % 300),
            _ => format!("{i}"),
        })
        .collect();
    let schema = Arc::new(parse_message_type("message m { required binary v (STRING); }").unwrap());
    let props = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::DELTA_LENGTH_BYTE_ARRAY)
        .set_compression(Compression::UNCOMPRESSED)
        .set_data_page_row_count_limit(700)
        .set_write_batch_size(700)
        .build();
    let mut file = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut file, schema, Arc::new(props)).unwrap();
    let mut rg = writer.next_row_group().unwrap();
    let mut col = rg.next_column().unwrap().expect("one column");
    let arrays: Vec<ByteArray> = values.iter().map(|s| ByteArray::from(s.as_str())).collect();
    col.typed::<ByteArrayType>()
        .write_batch(&arrays, None, None)
        .unwrap();
    col.close().unwrap();
    rg.close().unwrap();
    writer.close().unwrap();
    let reader = SerializedFileReader::new(bytes::Bytes::from(file)).unwrap();
    let mut pages = reader
        .get_row_group(0)
        .unwrap()
        .get_column_page_reader(0)
        .unwrap();
    let mut all = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.get_next_page().unwrap() {
        let Page::DataPage {
            buf,
            num_values,
            encoding,
            ..
        } = page
        else {
            panic!("a V1 data page")
        };
        assert_eq!(encoding, Encoding::DELTA_LENGTH_BYTE_ARRAY);
        let used = decode_length_byte_array(&buf, num_values as usize, &mut Vec::new(), |v| {
            all.push(String::from_utf8(v.to_vec()).unwrap())
        })
        .unwrap();
        assert_eq!(used, buf.len());
        count += 1;
    }
    assert!(count >= 3);
    assert_eq!(all, values);
}

proptest! {
    #[test]
    fn length_byte_arrays_match_naive(
        values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..300),
        layout in layout_strategy(),
        keep in 0usize..6000,
        flip in proptest::option::of((any::<usize>(), any::<u8>())),
    ) {
        let mut data = encode_strings(&values, layout);
        let whole = data.len();
        prop_assert_eq!(decode_strings(&data, values.len()), Ok((values.clone(), whole)));
        data.truncate(keep);
        if let (Some((at, x)), false) = (flip, data.is_empty()) {
            let i = at % data.len();
            data[i] ^= x;
        }
        let fast = decode_strings(&data, values.len());
        let slow = naive::decode_length_byte_array(&data, values.len());
        match (&fast, &slow) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "fast {:?} vs naive {:?}", fast, slow),
        }
    }
}
