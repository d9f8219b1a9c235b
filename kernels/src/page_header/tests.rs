//! The parser against headers a plain compact-protocol encoder written here produced (with
//! unknown fields of every wire type mixed in), against the headers the `parquet` crate's writer
//! puts in real files, and against truncated and mangled input.

use super::*;
use crate::test_encode::{put_uleb, put_zigzag};
use proptest::prelude::*;

/// A plain compact-protocol struct writer: field headers use the short delta form when the id
/// grows by 1..=15, the long form otherwise, as Thrift's own writers do.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    last: Vec<i16>,
}

impl Writer {
    fn begin(&mut self) {
        self.last.push(0);
    }
    fn end(&mut self) {
        self.out.push(0);
        self.last.pop();
    }
    fn field(&mut self, id: i16, ty: u8) {
        let last = self.last.last_mut().unwrap();
        let delta = id - *last;
        if (1..=15).contains(&delta) {
            self.out.push(((delta as u8) << 4) | ty);
        } else {
            self.out.push(ty);
            put_zigzag(&mut self.out, i64::from(id));
        }
        *last = id;
    }
    fn i32(&mut self, id: i16, v: i32) {
        self.field(id, wire::I32);
        put_zigzag(&mut self.out, i64::from(v));
    }
    fn bool(&mut self, id: i16, v: bool) {
        self.field(id, if v { wire::TRUE } else { wire::FALSE });
    }
    /// A field the parser does not know, of every wire type in turn.
    fn noise(&mut self, id: i16, kind: u8) {
        match kind % 10 {
            0 => {
                self.field(id, wire::BINARY);
                put_uleb(&mut self.out, 3);
                self.out.extend_from_slice(b"abc");
            }
            1 => {
                self.field(id, wire::I64);
                put_zigzag(&mut self.out, -1 << 40);
            }
            2 => {
                self.field(id, wire::DOUBLE);
                self.out.extend_from_slice(&1.5f64.to_le_bytes());
            }
            3 => {
                // A list of 20 i32 (long size form).
                self.field(id, wire::LIST);
                self.out.push(0xf0 | wire::I32);
                put_uleb(&mut self.out, 20);
                for i in 0..20 {
                    put_zigzag(&mut self.out, i);
                }
            }
            4 => {
                // A list of 3 booleans: one byte each inside a collection.
                self.field(id, wire::LIST);
                self.out.push(0x30 | wire::TRUE);
                self.out.extend_from_slice(&[1, 2, 1]);
            }
            5 => {
                // A map of 2 binary → struct.
                self.field(id, wire::MAP);
                put_uleb(&mut self.out, 2);
                self.out.push((wire::BINARY << 4) | wire::STRUCT);
                for _ in 0..2 {
                    put_uleb(&mut self.out, 1);
                    self.out.push(b'k');
                    self.begin();
                    self.i32(1, 7);
                    self.end();
                }
            }
            6 => {
                // Statistics-like nested struct with binary min/max and a nested list.
                self.field(id, wire::STRUCT);
                self.begin();
                self.field(1, wire::BINARY);
                put_uleb(&mut self.out, 2);
                self.out.extend_from_slice(&[0, 255]);
                self.field(3, wire::I64);
                put_zigzag(&mut self.out, 5);
                self.field(40, wire::LIST);
                self.out.push(0x10 | wire::I64);
                put_zigzag(&mut self.out, 9);
                self.end();
            }
            7 => {
                self.field(id, wire::UUID);
                self.out.extend_from_slice(&[7; 16]);
            }
            8 => {
                self.field(id, wire::I8);
                self.out.push(0x80);
            }
            _ => {
                self.field(id, wire::MAP);
                self.out.push(0); // an empty map has no type byte
            }
        }
    }
}

/// Encodes `h`, with unknown fields (ids 9.. at the top, 20.. inside) when `noise` is given.
fn encode(h: &PageHeader, noise: Option<u8>) -> Vec<u8> {
    let mut w = Writer::default();
    w.begin();
    w.i32(1, h.page_type);
    w.i32(2, h.uncompressed_size);
    w.i32(3, h.compressed_size);
    if let Some(crc) = h.crc {
        w.i32(4, crc);
    }
    if let Some(d) = h.data {
        w.field(5, wire::STRUCT);
        w.begin();
        w.i32(1, d.num_values);
        w.i32(2, d.encoding);
        w.i32(3, 3); // definition_level_encoding: RLE
        w.i32(4, 3);
        if let Some(k) = noise {
            w.noise(5, k); // where statistics sit
            w.noise(30, k.wrapping_add(1));
        }
        w.end();
    }
    if let Some(k) = noise {
        w.noise(6, k.wrapping_add(2)); // index_page_header's slot
    }
    if let Some(d) = h.dictionary {
        w.field(7, wire::STRUCT);
        w.begin();
        w.i32(1, d.num_values);
        w.i32(2, d.encoding);
        w.bool(3, true);
        w.end();
    }
    if let Some(d) = h.data_v2 {
        w.field(8, wire::STRUCT);
        w.begin();
        for (i, v) in [
            d.num_values,
            d.num_nulls,
            d.num_rows,
            d.encoding,
            d.def_levels_len,
            d.rep_levels_len,
        ]
        .into_iter()
        .enumerate()
        {
            w.i32(i as i16 + 1, v);
        }
        if !d.is_compressed {
            w.bool(7, false);
        }
        if let Some(k) = noise {
            w.noise(8, k);
        }
        w.end();
    }
    if let Some(k) = noise {
        w.noise(9, k.wrapping_add(3));
        w.noise(200, k.wrapping_add(4)); // a long-form field id
    }
    w.end();
    w.out
}

fn header() -> impl Strategy<Value = PageHeader> {
    (
        0..4i32,
        0..i32::MAX,
        0..i32::MAX,
        proptest::option::of(any::<i32>()),
        any::<(i32, i32, i32, i32, i32, i32, bool)>(),
    )
        .prop_map(|(page_type, unc, comp, crc, v)| {
            let mut h = PageHeader {
                page_type,
                uncompressed_size: unc,
                compressed_size: comp,
                crc,
                ..PageHeader::default()
            };
            match page_type {
                DATA_PAGE => {
                    h.data = Some(DataPageHeader {
                        num_values: v.0,
                        encoding: v.1,
                    })
                }
                DICTIONARY_PAGE => {
                    h.dictionary = Some(DictionaryPageHeader {
                        num_values: v.0,
                        encoding: v.1,
                    })
                }
                DATA_PAGE_V2 => {
                    h.data_v2 = Some(DataPageHeaderV2 {
                        num_values: v.0,
                        num_nulls: v.1,
                        num_rows: v.2,
                        encoding: v.3,
                        def_levels_len: v.4,
                        rep_levels_len: v.5,
                        is_compressed: v.6,
                    })
                }
                _ => {}
            }
            h
        })
}

proptest! {
    #[test]
    fn parses_what_a_plain_encoder_wrote(h in header(), noise in proptest::option::of(any::<u8>()),
                                         tail in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut bytes = encode(&h, noise);
        let len = bytes.len();
        bytes.extend_from_slice(&tail); // the page body follows the header
        let (got, used) = parse_page_header(&bytes).unwrap();
        prop_assert_eq!(got, h);
        prop_assert_eq!(used, len);
    }

    #[test]
    fn truncated_headers_are_errors_not_panics(h in header(), noise in proptest::option::of(any::<u8>()),
                                               cut in any::<prop::sample::Index>()) {
        let bytes = encode(&h, noise);
        let cut = cut.index(bytes.len());
        prop_assert!(parse_page_header(&bytes[..cut]).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok((_, used)) = parse_page_header(&bytes) {
            prop_assert!(used <= bytes.len());
        }
    }
}

#[test]
fn missing_required_fields_and_negative_sizes_are_refused() {
    let mut w = Writer::default();
    w.begin();
    w.i32(1, DATA_PAGE);
    w.i32(3, 10);
    w.end();
    let err = parse_page_header(&w.out).unwrap_err();
    assert!(err.to_string().contains("required field 2"), "{err}");

    let h = PageHeader {
        uncompressed_size: -1,
        ..PageHeader::default()
    };
    let err = parse_page_header(&encode(&h, None)).unwrap_err();
    assert!(err.to_string().contains("negative page size"), "{err}");

    // A data page header without its encoding.
    let mut w = Writer::default();
    w.begin();
    for id in 1..=3 {
        w.i32(id, 0);
    }
    w.field(5, wire::STRUCT);
    w.begin();
    w.i32(1, 10);
    w.end();
    w.end();
    let bytes = w.out;
    let err = parse_page_header(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("data_page_header: required field 2"),
        "{err}"
    );
}

#[test]
fn wrong_wire_types_and_deep_nesting_are_refused() {
    // page_type written as a binary.
    let mut w = Writer::default();
    w.begin();
    w.field(1, wire::BINARY);
    put_uleb(&mut w.out, 0);
    w.end();
    let err = parse_page_header(&w.out).unwrap_err();
    assert!(err.to_string().contains("not i32"), "{err}");

    // An unknown field of nested structs, 100 deep.
    let mut w = Writer::default();
    w.begin();
    w.i32(1, 0);
    w.i32(2, 0);
    w.i32(3, 0);
    for _ in 0..100 {
        w.field(9, wire::STRUCT);
        w.begin();
    }
    for _ in 0..100 {
        w.end();
    }
    w.end();
    let err = parse_page_header(&w.out).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");

    // A varint of 11 bytes.
    let mut bytes = vec![0x15];
    bytes.extend_from_slice(&[0xff; 11]);
    let err = parse_page_header(&bytes).unwrap_err();
    assert!(err.to_string().contains("longer than 10 bytes"), "{err}");

    // An i32 field holding a value past i32.
    let mut bytes = vec![0x15];
    put_zigzag(&mut bytes, i64::from(i32::MAX) + 1);
    let err = parse_page_header(&bytes).unwrap_err();
    assert!(err.to_string().contains("overflows i32"), "{err}");
}

/// Every header the `parquet` crate writes (V1 and V2, dictionary or not, with page statistics,
/// compressed or not) parses, and walking the chunk by the parsed sizes finds exactly
/// the pages the crate's own reader finds.
#[test]
fn headers_in_files_the_parquet_crate_wrote() {
    use parquet::basic::{Compression, Encoding, PageType};
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let strings: Vec<ByteArray> = (0..5000)
        .map(|i| ByteArray::from(format!("value-{}", i % 97).into_bytes()))
        .collect();
    let ints: Vec<i64> = (0..5000).map(|i| i * 7 % 1013).collect();
    let defs: Vec<i16> = (0..5000).map(|i| i16::from(i % 5 != 0)).collect();
    let settings = [
        (WriterVersion::PARQUET_1_0, true, Compression::SNAPPY),
        (WriterVersion::PARQUET_1_0, false, Compression::UNCOMPRESSED),
        (WriterVersion::PARQUET_2_0, true, Compression::SNAPPY),
        (WriterVersion::PARQUET_2_0, false, Compression::SNAPPY),
    ];
    for (version, dictionary, compression) in settings {
        let schema =
            parse_message_type("message m { optional binary s (UTF8); required int64 i; }");
        let props = WriterProperties::builder()
            .set_writer_version(version)
            .set_dictionary_enabled(dictionary)
            .set_compression(compression)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_write_page_header_statistics(true)
            .set_data_page_row_count_limit(700)
            .set_write_batch_size(700)
            .build();
        let mut file = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut file, Arc::new(schema.unwrap()), Arc::new(props))
                .unwrap();
        let mut rg = writer.next_row_group().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        let present: Vec<ByteArray> = strings
            .iter()
            .zip(&defs)
            .filter(|(_, &d)| d == 1)
            .map(|(s, _)| s.clone())
            .collect();
        col.typed::<ByteArrayType>()
            .write_batch(&present, Some(&defs), None)
            .unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int64Type>()
            .write_batch(&ints, None, None)
            .unwrap();
        col.close().unwrap();
        rg.close().unwrap();
        writer.close().unwrap();

        let file = bytes::Bytes::from(file);
        let reader = SerializedFileReader::new(file.clone()).unwrap();
        let rg = reader.get_row_group(0).unwrap();
        for c in 0..2 {
            let meta = rg.metadata().column(c);
            let start = meta
                .dictionary_page_offset()
                .unwrap_or(meta.data_page_offset()) as usize;
            let chunk = &file[start..start + meta.compressed_size() as usize];
            let mut pos = 0;
            let mut mine = Vec::new();
            while pos < chunk.len() {
                let (h, used) = parse_page_header(&chunk[pos..]).unwrap();
                let (n, enc) = match h.page_type {
                    DATA_PAGE => (h.data.unwrap().num_values, h.data.unwrap().encoding),
                    DICTIONARY_PAGE => {
                        let d = h.dictionary.unwrap();
                        (d.num_values, d.encoding)
                    }
                    DATA_PAGE_V2 => {
                        let d = h.data_v2.unwrap();
                        (d.num_values, d.encoding)
                    }
                    other => panic!("page type {other}"),
                };
                mine.push((h.page_type, n, enc, h.uncompressed_size));
                pos += used + h.compressed_size as usize;
            }
            assert_eq!(pos, chunk.len(), "the sizes walk the chunk exactly");
            let mut theirs = Vec::new();
            let mut pages = rg.get_column_page_reader(c).unwrap();
            while let Some(page) = pages.get_next_page().unwrap() {
                let t = match page.page_type() {
                    PageType::DATA_PAGE => DATA_PAGE,
                    PageType::DICTIONARY_PAGE => DICTIONARY_PAGE,
                    PageType::DATA_PAGE_V2 => DATA_PAGE_V2,
                    other => panic!("{other:?}"),
                };
                theirs.push((
                    t,
                    page.num_values() as i32,
                    encoding_id(page.encoding()),
                    page.buffer().len() as i32,
                ));
            }
            assert_eq!(
                mine, theirs,
                "{version:?} dictionary={dictionary} column {c}"
            );
            assert!(mine.len() > 3, "several pages per chunk");
        }
    }

    fn encoding_id(e: Encoding) -> i32 {
        match e {
            Encoding::PLAIN => 0,
            Encoding::PLAIN_DICTIONARY => 2,
            Encoding::RLE => 3,
            Encoding::DELTA_BINARY_PACKED => 5,
            Encoding::DELTA_LENGTH_BYTE_ARRAY => 6,
            Encoding::DELTA_BYTE_ARRAY => 7,
            Encoding::RLE_DICTIONARY => 8,
            Encoding::BYTE_STREAM_SPLIT => 9,
            other => panic!("{other:?}"),
        }
    }
}
