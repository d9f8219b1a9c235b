//! [`ChunkPages`] against the parquet crate's own page reader on the same chunks, and on chunks
//! built by hand to be wrong.

use super::*;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::sync::Arc;

/// A file of one optional string and one optional double column, 3,000 rows, small pages;
/// every 4th row NULL, and rows 1,000..1,700 NULL in both (whole pages of nulls).
fn file(version: WriterVersion, dictionary: bool, codec: Compression) -> bytes::Bytes {
    let schema = parse_message_type("message m { optional binary s (UTF8); optional double d; }");
    let props = WriterProperties::builder()
        .set_writer_version(version)
        .set_dictionary_enabled(dictionary)
        .set_compression(codec)
        .set_data_page_row_count_limit(350)
        .set_write_batch_size(350)
        .build();
    let defs: Vec<i16> = (0..3000)
        .map(|i| i16::from(i % 4 != 0 && !(1000..1700).contains(&i)))
        .collect();
    let n = defs.iter().filter(|&&d| d == 1).count();
    let strings: Vec<ByteArray> = (0..n)
        .map(|i| ByteArray::from(format!("text {}", i % 50).into_bytes()))
        .collect();
    let doubles: Vec<f64> = (0..n).map(|i| i as f64 * 0.25).collect();
    let mut out = Vec::new();
    let mut w =
        SerializedFileWriter::new(&mut out, Arc::new(schema.unwrap()), Arc::new(props)).unwrap();
    let mut rg = w.next_row_group().unwrap();
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<ByteArrayType>()
        .write_batch(&strings, Some(&defs), None)
        .unwrap();
    col.close().unwrap();
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<DoubleType>()
        .write_batch(&doubles, Some(&defs), None)
        .unwrap();
    col.close().unwrap();
    rg.close().unwrap();
    w.close().unwrap();
    bytes::Bytes::from(out)
}

/// A page's kind (0 dictionary, 1 V1, 2 V2), bytes, value count, encoding and level lengths.
type OwnedPage = (u8, Vec<u8>, u32, Option<Encoding>, u32, u32);

/// Every page as owned bytes and fields, so two sources can be compared.
fn collect(mut pages: impl PageSource) -> Vec<OwnedPage> {
    let mut out = Vec::new();
    while let Some(page) = pages.next_page().unwrap() {
        out.push(match page {
            PageView::Dictionary { buf, num_values } => (0, buf.to_vec(), num_values, None, 0, 0),
            PageView::DataV1 {
                buf,
                num_values,
                encoding,
            } => (1, buf.to_vec(), num_values, Some(encoding), 0, 0),
            PageView::DataV2 {
                buf,
                num_values,
                encoding,
                def_levels_len,
                rep_levels_len,
            } => (
                2,
                buf.to_vec(),
                num_values,
                Some(encoding),
                def_levels_len,
                rep_levels_len,
            ),
        });
    }
    out
}

#[test]
fn pages_equal_the_parquet_crates_in_every_layout() {
    let mut buf = Vec::new();
    for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
        for dictionary in [true, false] {
            for codec in [Compression::SNAPPY, Compression::UNCOMPRESSED] {
                let bytes = file(version, dictionary, codec);
                let reader = SerializedFileReader::new(bytes.clone()).unwrap();
                let rg = reader.get_row_group(0).unwrap();
                for c in 0..2 {
                    let meta = rg.metadata().column(c);
                    assert_eq!(meta.compression(), codec);
                    let start = meta
                        .dictionary_page_offset()
                        .unwrap_or(meta.data_page_offset());
                    let chunk = &bytes[start as usize..(start + meta.compressed_size()) as usize];
                    let mine = collect(ChunkPages::new(chunk, codec, &mut buf).unwrap());
                    let theirs = collect(CratePages::new(rg.get_column_page_reader(c).unwrap()));
                    let what = format!("{version:?} dictionary={dictionary} {codec:?} col {c}");
                    assert_eq!(mine, theirs, "{what}");
                    assert!(mine.len() >= 9, "{what}: {} pages", mine.len());
                    assert_eq!(mine[0].0 == 0, dictionary, "{what}");
                }
            }
        }
    }
}

#[test]
fn other_codecs_are_left_to_the_crate() {
    let mut buf = Vec::new();
    let zstd = Compression::ZSTD(Default::default());
    assert!(ChunkPages::new(b"", zstd, &mut buf).is_none());
    assert!(ChunkPages::new(b"", Compression::GZIP(Default::default()), &mut buf).is_none());
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    let mut u = ((v << 1) ^ (v >> 63)) as u64;
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

/// A dictionary page header (compact protocol, by hand) followed by `body`.
fn dictionary_page(body: &[u8], uncompressed: i32, num_values: i32, crc: Option<u32>) -> Vec<u8> {
    let mut h = Vec::new();
    for v in [2, uncompressed, body.len() as i32] {
        h.push(0x15); // field id +1, i32
        put_zigzag(&mut h, i64::from(v));
    }
    let mut next = 4;
    if let Some(crc) = crc {
        h.push(0x15);
        put_zigzag(&mut h, i64::from(crc as i32));
        next = 5;
    }
    h.push(((7 - next + 1) << 4) | 12); // dictionary_page_header: struct
    h.push(0x15);
    put_zigzag(&mut h, i64::from(num_values));
    h.push(0x15);
    put_zigzag(&mut h, 0); // PLAIN
    h.push(0); // end of dictionary_page_header
    h.push(0); // end of PageHeader
    h.extend_from_slice(body);
    h
}

fn first_page(chunk: &[u8], codec: Compression) -> Result<Vec<u8>, DecodeError> {
    let mut buf = Vec::new();
    let mut pages = ChunkPages::new(chunk, codec, &mut buf).unwrap();
    let page = pages.next_page()?;
    match page {
        Some(PageView::Dictionary { buf, num_values }) => {
            assert_eq!(num_values, 2);
            Ok(buf.to_vec())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn checksums_are_verified() {
    let body = b"\x01\x00\x00\x00a\x01\x00\x00\x00b";
    let crc = crc32fast::hash(body);
    let good = dictionary_page(body, body.len() as i32, 2, Some(crc));
    assert_eq!(first_page(&good, Compression::UNCOMPRESSED).unwrap(), body);
    let bad = dictionary_page(body, body.len() as i32, 2, Some(crc ^ 1));
    let err = first_page(&bad, Compression::UNCOMPRESSED).unwrap_err();
    assert!(err.to_string().contains("CRC"), "{err}");
}

#[test]
fn snappy_pages_decompress_and_forged_sizes_are_refused() {
    let text = b"\x01\x00\x00\x00a\x01\x00\x00\x00b".repeat(40);
    let packed = snap::raw::Encoder::new().compress_vec(&text).unwrap();
    let good = dictionary_page(&packed, text.len() as i32, 2, None);
    assert_eq!(first_page(&good, Compression::SNAPPY).unwrap(), text);

    // The header's size disagrees with the stream's.
    let wrong = dictionary_page(&packed, text.len() as i32 + 1, 2, None);
    let err = first_page(&wrong, Compression::SNAPPY).unwrap_err();
    assert!(err.to_string().contains("the header says"), "{err}");

    // A size no snappy stream of this length can hold: refused before any buffer is sized.
    let huge = dictionary_page(&packed, i32::MAX, 2, None);
    let err = first_page(&huge, Compression::SNAPPY).unwrap_err();
    assert!(err.to_string().contains("compressed"), "{err}");

    // A body running past the chunk, and a garbled stream.
    let mut short = dictionary_page(&packed, text.len() as i32, 2, None);
    short.truncate(short.len() - 1);
    let err = first_page(&short, Compression::SNAPPY).unwrap_err();
    assert!(err.to_string().contains("left in the chunk"), "{err}");
    let mut garbled = packed.clone();
    let n = garbled.len();
    garbled[n / 2..].fill(0xff);
    let bad = dictionary_page(&garbled, text.len() as i32, 2, None);
    assert!(first_page(&bad, Compression::SNAPPY).is_err());
}

#[test]
fn a_negative_count_is_corrupt() {
    let body = b"\x01\x00\x00\x00a";
    let page = dictionary_page(body, body.len() as i32, -2, None);
    let mut buf = Vec::new();
    let mut pages = ChunkPages::new(&page, Compression::UNCOMPRESSED, &mut buf).unwrap();
    let err = pages.next_page().unwrap_err();
    assert!(err.to_string().contains("negative count"), "{err}");
}
