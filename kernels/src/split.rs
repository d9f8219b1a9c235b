//! Parquet BYTE_STREAM_SPLIT decoding of fixed-width values (DOUBLE, INT64).
//!
//! The format (parquet-format `Encodings.md`): for values `W` bytes wide, the page holds `W`
//! streams of equal length, stream `k` holding byte `k` of every value in order. The stride
//! between streams is the stream length, `data.len() / W`, as arrow-rs reads it (`parquet`
//! 60.1.0, `src/encodings/decoding/byte_stream_split_decoder.rs`): a page holding more values
//! than the page needs is read only as far as needed, one byte over a multiple of `W` is ignored.
//!
//! [`naive`] is the index-by-index twin the tests and the `byte_stream_split` fuzz target compare
//! against.

use crate::KernelError;

/// Decodes the first `num_values` `W`-byte values of a BYTE_STREAM_SPLIT stream through `f`
/// (`f64::from_le_bytes`, `i64::from_le_bytes`, ...), appending them to `out`.
///
/// # Errors
///
/// [`KernelError::InvalidStream`] if the streams are shorter than `num_values` (or `W` is 0).
pub fn decode<const W: usize, T>(
    data: &[u8],
    num_values: usize,
    out: &mut Vec<T>,
    f: impl Fn([u8; W]) -> T,
) -> Result<(), KernelError> {
    let stride = check::<W>(data, num_values)?;
    out.reserve(num_values);
    let mut done = 0;
    if W == 8 {
        // Eight values at a time: one 8-byte load per stream, an 8×8 byte transpose in
        // registers, one value per word.
        while done + 8 <= num_values {
            let mut rows: [u64; 8] = std::array::from_fn(|k| {
                let at = k * stride + done;
                u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"))
            });
            transpose8(&mut rows);
            out.extend(rows.iter().map(|r| {
                let le = r.to_le_bytes();
                f(std::array::from_fn(|k| le[k]))
            }));
            done += 8;
        }
    }
    out.extend((done..num_values).map(|i| f(std::array::from_fn(|k| data[k * stride + i]))));
    Ok(())
}

/// Transposes an 8×8 byte matrix held as eight little-endian rows: byte `j` of row `k` ends up
/// as byte `k` of row `j`. Three rounds swap 4×4, 2×2, then 1×1 blocks across the diagonal.
fn transpose8(r: &mut [u64; 8]) {
    const MASKS: [(usize, u32, u64); 3] = [
        (4, 32, 0x0000_0000_FFFF_FFFF),
        (2, 16, 0x0000_FFFF_0000_FFFF),
        (1, 8, 0x00FF_00FF_00FF_00FF),
    ];
    for (step, shift, mask) in MASKS {
        for k in 0..8 {
            if k & step == 0 {
                let t = ((r[k] >> shift) ^ r[k + step]) & mask;
                r[k] ^= t << shift;
                r[k + step] ^= t;
            }
        }
    }
}

/// DOUBLE values.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_f64(data: &[u8], num_values: usize, out: &mut Vec<f64>) -> Result<(), KernelError> {
    decode::<8, f64>(data, num_values, out, f64::from_le_bytes)
}

/// The stride between streams, once `data` is known to hold `num_values` values.
fn check<const W: usize>(data: &[u8], num_values: usize) -> Result<usize, KernelError> {
    let stride = data.len().checked_div(W).unwrap_or(0);
    if W == 0 || stride < num_values {
        return Err(KernelError::InvalidStream {
            encoding: "BYTE_STREAM_SPLIT",
            offset: 0,
            reason: format!(
                "{} bytes hold {stride} values of {W} bytes, the page needs {num_values}",
                data.len()
            ),
        });
    }
    Ok(stride)
}

/// Index-by-index reference for [`decode`].
pub mod naive {
    use crate::KernelError;

    /// Same contract as [`super::decode`], one byte at a time.
    ///
    /// # Errors
    ///
    /// As [`super::decode`].
    pub fn decode<const W: usize, T>(
        data: &[u8],
        num_values: usize,
        out: &mut Vec<T>,
        f: impl Fn([u8; W]) -> T,
    ) -> Result<(), KernelError> {
        let stride = super::check::<W>(data, num_values)?;
        for i in 0..num_values {
            let mut bytes = [0u8; W];
            for (k, b) in bytes.iter_mut().enumerate() {
                *b = data[k * stride + i];
            }
            out.push(f(bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The encoder: byte `k` of value `i` at `k * n + i`.
    fn encode<const W: usize>(values: &[[u8; W]]) -> Vec<u8> {
        let n = values.len();
        let mut out = vec![0u8; n * W];
        for (i, v) in values.iter().enumerate() {
            for k in 0..W {
                out[k * n + i] = v[k];
            }
        }
        out
    }

    #[test]
    fn transpose8_transposes() {
        let mut rows: [u64; 8] =
            std::array::from_fn(|k| u64::from_le_bytes(std::array::from_fn(|j| (k * 8 + j) as u8)));
        transpose8(&mut rows);
        for (j, r) in rows.iter().enumerate() {
            let want: [u8; 8] = std::array::from_fn(|k| (k * 8 + j) as u8);
            assert_eq!(r.to_le_bytes(), want, "row {j}");
        }
    }

    #[test]
    fn doubles_round_trip() {
        let values = [
            0.0,
            -0.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            -1e300,
            3.25,
            7.0,
            f64::NEG_INFINITY,
        ];
        for n in 0..=values.len() {
            let data = encode(
                &values[..n]
                    .iter()
                    .map(|v| v.to_le_bytes())
                    .collect::<Vec<_>>(),
            );
            let mut out = vec![];
            decode_f64(&data, n, &mut out).expect("decodes");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out), bits(&values[..n]), "n {n}");
        }
    }

    #[test]
    fn short_streams_are_errors() {
        let data = encode(&[[1u8; 8], [2; 8], [3; 8]]);
        let mut out = Vec::<f64>::new();
        let err = decode_f64(&data[..23], 3, &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid BYTE_STREAM_SPLIT stream at byte 0: 23 bytes hold 2 values of 8 bytes, \
             the page needs 3"
        );
        assert!(decode_f64(&data, 4, &mut out).is_err());
        assert!(decode_f64(&[], 0, &mut out).is_ok());
    }

    #[test]
    fn reads_a_prefix_with_the_stream_length_as_stride() {
        let values: Vec<[u8; 8]> = (0..20u64)
            .map(|i| (i * 0x0101_0101_0101_0101).to_le_bytes())
            .collect();
        let mut data = encode(&values);
        data.push(0xee); // not a whole value: ignored
        let mut out = Vec::new();
        decode::<8, u64>(&data, 13, &mut out, u64::from_le_bytes).unwrap();
        assert_eq!(
            out,
            (0..13u64)
                .map(|i| i * 0x0101_0101_0101_0101)
                .collect::<Vec<_>>()
        );
    }

    /// Pages the `parquet` crate's writer encodes, read back raw.
    #[test]
    fn decodes_the_parquet_crates_pages() {
        use parquet::basic::{Compression, Encoding};
        use parquet::column::page::Page;
        use parquet::data_type::DoubleType;
        use parquet::file::properties::{WriterProperties, WriterVersion};
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;

        let values: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin() * 1e6).collect();
        let schema = Arc::new(parse_message_type("message m { required double v; }").unwrap());
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_2_0)
            .set_dictionary_enabled(false)
            .set_encoding(Encoding::BYTE_STREAM_SPLIT)
            .set_compression(Compression::UNCOMPRESSED)
            .set_data_page_row_count_limit(333)
            .set_write_batch_size(333)
            .build();
        let mut file = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut file, schema, Arc::new(props)).unwrap();
        let mut rg = writer.next_row_group().unwrap();
        let mut col = rg.next_column().unwrap().expect("one column");
        col.typed::<DoubleType>()
            .write_batch(&values, None, None)
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
            let Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                ..
            } = page
            else {
                panic!("a V2 data page")
            };
            assert_eq!(encoding, Encoding::BYTE_STREAM_SPLIT);
            decode_f64(&buf, num_values as usize, &mut all).unwrap();
            count += 1;
        }
        assert!(count >= 3);
        assert_eq!(all, values);
    }

    proptest! {
        #[test]
        fn matches_naive_and_the_encoder(
            values in proptest::collection::vec(any::<[u8; 8]>(), 0..100),
            extra in 0usize..20,
            n in 0usize..120,
        ) {
            let mut data = encode(&values);
            data.extend(std::iter::repeat_n(0xab, extra));
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let a = decode::<8, [u8; 8]>(&data, n, &mut fast, |b| b);
            let b = naive::decode::<8, [u8; 8]>(&data, n, &mut slow, |b| b);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&fast, &slow);
            if extra < 8 && n <= values.len() {
                prop_assert!(a.is_ok());
                prop_assert_eq!(&fast[..], &values[..n]);
            }
        }

        #[test]
        fn four_byte_values_match_naive(data in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..60) {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let a = decode::<4, u32>(&data, n, &mut fast, u32::from_le_bytes);
            let b = naive::decode::<4, u32>(&data, n, &mut slow, u32::from_le_bytes);
            prop_assert_eq!(a, b);
            prop_assert_eq!(fast, slow);
        }
    }
}
