//! The page loop, two ways:
//! - files written by the `parquet` crate's writer (V1 and V2 data pages, dictionary on and off,
//!   pages forced small, the dictionary forced to fall back to PLAIN mid-chunk, compression),
//!   read back through `read_row_group` and compared value by value and bit by bit with what was
//!   written; the pages each file really holds are listed with the `parquet` crate's own reader,
//!   so every test also proves it reached the arm it is about;
//! - hand-built pages ([`pages`]), for what a writer never produces and for corrupt input.

use super::*;
use crate::catalog::NULL_ID;
use crate::decode::strings::StringMode;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::plan::DecodeMode;
use crate::test_util::{
    catalog, pages, read_back, read_back_with, text, write_parquet, Col, Decoded, PageKind, Rng,
    Values,
};
use bytes::Bytes;
use parquet::basic::Compression;
use parquet::file::properties::{WriterProperties, WriterPropertiesBuilder, WriterVersion};
use parquet::schema::types::ColumnPath;

const ROWS: usize = 130;

const REQUESTS: [(ColumnRequest, StringMode); 3] = [
    (
        ColumnRequest::required("ts", ColumnKind::Timestamp),
        StringMode::Interned,
    ),
    (
        ColumnRequest::required("x", ColumnKind::Double),
        StringMode::Interned,
    ),
    (
        ColumnRequest::required("s", ColumnKind::String),
        StringMode::Interned,
    ),
];

/// What a test file holds, column by column.
struct Sample {
    ts: Vec<Option<i64>>,
    x: Vec<Option<f64>>,
    s: Vec<Option<String>>,
}

impl Sample {
    /// `distinct` values per column (so the dictionary stays small, or not), with a run of NULLs
    /// over rows 20..37 (whole pages of NULLs), no NULL over rows 60..80 (pages without any), and
    /// a quarter of NULLs elsewhere, independently per column.
    fn new(rows: usize, distinct: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let specials = [
            0.0,
            -0.0,
            1.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            1e300,
            5e-324,
        ];
        let ts_pool: Vec<i64> = (0..distinct)
            .map(|k| -5_000_000_000 + k as i64 * 86_399_999)
            .collect();
        let x_pool: Vec<f64> = (0..distinct)
            .map(|k| specials.get(k).copied().unwrap_or(k as f64 * 0.1))
            .collect();
        let s_pool: Vec<String> = (0..distinct)
            .map(|k| match k % 4 {
                0 if k == 0 => String::new(),
                0 => format!("ns-{k}"),
                1 => format!("ñødé-{k}"),
                2 => "x".repeat(k + 1),
                _ => format!("openshift-{k}"),
            })
            .collect();
        let null = |rng: &mut Rng, i: usize| {
            (20..37).contains(&i) || (!(60..80).contains(&i) && rng.percent(25))
        };
        let mut sample = Sample {
            ts: Vec::new(),
            x: Vec::new(),
            s: Vec::new(),
        };
        for i in 0..rows {
            let ts = (!null(&mut rng, i)).then(|| rng.pick(&ts_pool));
            let x = (!null(&mut rng, i)).then(|| rng.pick(&x_pool));
            let s = (!null(&mut rng, i)).then(|| rng.pick(&s_pool));
            sample.ts.push(ts);
            sample.x.push(x);
            sample.s.push(s);
        }
        sample
    }

    fn cols(&self) -> Vec<Col> {
        vec![
            Col::optional("ts", Values::Millis(self.ts.clone())),
            Col::optional("x", Values::F64(self.x.clone())),
            Col::optional("s", Values::Str(self.s.clone())),
        ]
    }

    /// Every value and validity bit the engine decoded equals what was written.
    fn check(&self, decoded: &Decoded, cat: &crate::catalog::Catalog) {
        let [ts, x, s] = &decoded.columns[..] else {
            panic!("three columns")
        };
        let rows = self.ts.len();
        assert_eq!((ts.i64s.len(), ts.valid.len()), (rows, rows));
        assert_eq!((x.f64s.len(), x.valid.len()), (rows, rows));
        assert_eq!(s.ids.len(), rows);
        for i in 0..rows {
            match self.ts[i] {
                Some(v) => assert!(ts.valid.get(i) && ts.i64s[i] == v, "ts row {i}"),
                None => assert!(!ts.valid.get(i) && ts.i64s[i] == 0, "ts row {i} is NULL"),
            }
            match self.x[i] {
                Some(v) => assert!(
                    x.valid.get(i) && x.f64s[i].to_bits() == v.to_bits(),
                    "x row {i}: {} vs {v}",
                    x.f64s[i]
                ),
                None => assert!(
                    !x.valid.get(i) && x.f64s[i].to_bits() == 0,
                    "x row {i} is NULL"
                ),
            }
            match &self.s[i] {
                Some(v) => assert_eq!(text(cat, s.ids[i]).as_ref(), Some(v), "s row {i}"),
                None => assert_eq!(s.ids[i], NULL_ID, "s row {i} is NULL"),
            }
        }
    }
}

fn builder(version: WriterVersion, dictionary: bool) -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(version)
        .set_dictionary_enabled(dictionary)
        .set_data_page_row_count_limit(8)
        .set_write_batch_size(8)
}

/// Data pages of column `c` per row group, and whether each row group starts with a dictionary.
fn data_pages(bytes: &Bytes, c: usize) -> Vec<(bool, Vec<PageKind>)> {
    pages(bytes, c)
        .into_iter()
        .map(|rg| {
            let dict = rg.first().map(|p| p.0) == Some(PageKind::Dictionary);
            let data: Vec<PageKind> = rg
                .iter()
                .map(|p| p.0)
                .filter(|k| *k != PageKind::Dictionary)
                .collect();
            (dict, data)
        })
        .collect()
}

fn encoding_of(kind: PageKind) -> Encoding {
    match kind {
        PageKind::V1(e) | PageKind::V2 { encoding: e, .. } => e,
        PageKind::Dictionary => panic!("not a data page"),
    }
}

/// The decode statistics agree with the pages the file holds.
fn check_stats(bytes: &Bytes, decoded: &Decoded, columns: usize) {
    let mut want = DecodeStats::default();
    for c in 0..columns {
        for (kind, n) in pages(bytes, c).into_iter().flatten() {
            match kind {
                PageKind::Dictionary => want.dictionary_pages += 1,
                data => {
                    want.values += u64::from(n);
                    match encoding_of(data) {
                        Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY => {
                            want.dict_id_pages += 1
                        }
                        Encoding::PLAIN => want.plain_pages += 1,
                        Encoding::DELTA_BINARY_PACKED
                        | Encoding::BYTE_STREAM_SPLIT
                        | Encoding::DELTA_LENGTH_BYTE_ARRAY
                        | Encoding::DELTA_BYTE_ARRAY => want.encoded_pages += 1,
                        e => panic!("unexpected encoding {e:?}"),
                    }
                }
            }
        }
    }
    let got = decoded.stats;
    assert_eq!(
        (
            got.dictionary_pages,
            got.dict_id_pages,
            got.plain_pages,
            got.encoded_pages,
            got.values,
            got.fallback_chunks
        ),
        (
            want.dictionary_pages,
            want.dict_id_pages,
            want.plain_pages,
            want.encoded_pages,
            want.values,
            0
        )
    );
}

/// Writes `sample`, reads it back through the kernels and through the parquet crate's readers
/// (`--decode reference`), and checks both against what was written.
fn round_trip(sample: &Sample, rows_per_group: usize, props: WriterProperties) -> Bytes {
    let bytes = write_parquet(&sample.cols(), rows_per_group, props);
    let cat = catalog(&[]);
    let decoded = read_back(&bytes, &REQUESTS, &cat).expect("decodes");
    assert_eq!(decoded.row_groups, sample.ts.len().div_ceil(rows_per_group));
    sample.check(&decoded, &cat);
    check_stats(&bytes, &decoded, 3);
    let cat = catalog(&[]);
    let reference = read_back_with(&bytes, &REQUESTS, &cat, DecodeMode::Reference)
        .expect("the reference decoder reads it");
    sample.check(&reference, &cat);
    bytes
}

#[test]
fn v1_dictionary_pages_with_nulls_round_trip() {
    let sample = Sample::new(ROWS, 12, 1);
    let bytes = round_trip(
        &sample,
        60,
        builder(WriterVersion::PARQUET_1_0, true).build(),
    );
    for c in 0..3 {
        let groups = data_pages(&bytes, c);
        assert_eq!(groups.len(), 3);
        for (dict, data) in groups {
            assert!(dict, "column {c}: dictionary page first");
            assert!(data
                .iter()
                .all(|k| *k == PageKind::V1(Encoding::RLE_DICTIONARY)));
        }
        // Row group 0 alone holds 60 rows in pages of 8: several data pages after the dictionary.
        assert!(data_pages(&bytes, c)[0].1.len() >= 5, "column {c}");
    }
}

#[test]
fn v1_plain_pages_with_nulls_round_trip() {
    let sample = Sample::new(ROWS, 12, 2);
    let bytes = round_trip(
        &sample,
        60,
        builder(WriterVersion::PARQUET_1_0, false).build(),
    );
    for c in 0..3 {
        for (dict, data) in data_pages(&bytes, c) {
            assert!(!dict);
            assert!(data.len() >= 2);
            assert!(data.iter().all(|k| *k == PageKind::V1(Encoding::PLAIN)));
        }
    }
}

/// Too many distinct values for a tiny dictionary: the writer emits the dictionary, the pages
/// written so far as dictionary ids, then PLAIN pages, all in one chunk.
#[test]
fn v1_dictionary_falls_back_to_plain_within_a_chunk() {
    let sample = Sample::new(ROWS, ROWS, 3);
    let props = builder(WriterVersion::PARQUET_1_0, true)
        .set_dictionary_page_size_limit(160)
        .build();
    let bytes = round_trip(&sample, ROWS, props);
    for c in 0..3 {
        let [(dict, data)] = &data_pages(&bytes, c)[..] else {
            panic!("one row group")
        };
        assert!(dict);
        let encodings: Vec<Encoding> = data.iter().map(|k| encoding_of(*k)).collect();
        let first_plain = encodings
            .iter()
            .position(|e| *e == Encoding::PLAIN)
            .expect("fell back");
        assert!(first_plain > 0, "column {c}: some dictionary pages first");
        assert!(encodings[..first_plain]
            .iter()
            .all(|e| *e == Encoding::RLE_DICTIONARY));
        assert!(encodings[first_plain..]
            .iter()
            .all(|e| *e == Encoding::PLAIN));
    }
}

fn assert_v2(bytes: &Bytes, c: usize, encoding: Encoding) {
    for (_, data) in data_pages(bytes, c) {
        assert!(data.len() >= 2);
        for k in data {
            let PageKind::V2 {
                encoding: e,
                def_levels_byte_len,
                rep_levels_byte_len,
            } = k
            else {
                panic!("column {c}: {k:?} is not a V2 page")
            };
            assert_eq!(e, encoding);
            assert!(def_levels_byte_len > 0, "optional column: levels present");
            assert_eq!(rep_levels_byte_len, 0);
        }
    }
}

#[test]
fn v2_dictionary_pages_with_level_lengths_round_trip() {
    let sample = Sample::new(ROWS, 12, 4);
    let bytes = round_trip(
        &sample,
        60,
        builder(WriterVersion::PARQUET_2_0, true).build(),
    );
    for c in 0..3 {
        assert!(data_pages(&bytes, c).iter().all(|(dict, _)| *dict));
        assert_v2(&bytes, c, Encoding::RLE_DICTIONARY);
    }
}

#[test]
fn v2_plain_pages_with_level_lengths_round_trip() {
    let sample = Sample::new(ROWS, 12, 5);
    let props = builder(WriterVersion::PARQUET_2_0, false)
        .set_encoding(Encoding::PLAIN)
        .build();
    let bytes = round_trip(&sample, 60, props);
    for c in 0..3 {
        assert_v2(&bytes, c, Encoding::PLAIN);
    }
}

/// V2 with compressed values (levels stay uncompressed in V2) and a dictionary fallback.
#[test]
fn v2_compressed_pages_with_dictionary_fallback_round_trip() {
    let sample = Sample::new(ROWS, ROWS, 6);
    for compression in [Compression::SNAPPY, Compression::ZSTD(Default::default())] {
        let props = builder(WriterVersion::PARQUET_2_0, true)
            .set_encoding(Encoding::PLAIN)
            .set_dictionary_page_size_limit(160)
            .set_compression(compression)
            .build();
        let bytes = round_trip(&sample, ROWS, props);
        for c in 0..3 {
            let [(true, data)] = &data_pages(&bytes, c)[..] else {
                panic!("one row group starting with a dictionary")
            };
            let encodings: Vec<Encoding> = data.iter().map(|k| encoding_of(*k)).collect();
            assert!(encodings.contains(&Encoding::RLE_DICTIONARY));
            assert!(encodings.contains(&Encoding::PLAIN));
            assert!(data.iter().all(|k| matches!(k, PageKind::V2 { .. })));
        }
    }
}

/// REQUIRED columns have no definition levels (`max_def == 0`): every slot is valid.
#[test]
fn required_columns_round_trip_in_every_page_format() {
    let mut rng = Rng::new(7);
    let ts: Vec<Option<i64>> = (0..ROWS).map(|_| Some(rng.below(9) as i64 - 4)).collect();
    let x: Vec<Option<f64>> = (0..ROWS).map(|_| Some(rng.below(5) as f64 / 4.0)).collect();
    let s: Vec<Option<String>> = (0..ROWS)
        .map(|_| Some(format!("n{}", rng.below(6))))
        .collect();
    let sample = Sample { ts, x, s };
    let cols: Vec<Col> = sample
        .cols()
        .into_iter()
        .map(|c| Col::required(c.name, c.values))
        .collect();
    for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
        for dictionary in [true, false] {
            let props = builder(version, dictionary)
                .set_encoding(Encoding::PLAIN)
                .build();
            let bytes = write_parquet(&cols, 50, props);
            let cat = catalog(&[]);
            let decoded = read_back(&bytes, &REQUESTS, &cat).expect("decodes");
            sample.check(&decoded, &cat);
            check_stats(&bytes, &decoded, 3);
            for (_, data) in data_pages(&bytes, 0) {
                assert!(data.len() >= 2);
                for k in data {
                    if let PageKind::V2 {
                        def_levels_byte_len,
                        ..
                    } = k
                    {
                        assert_eq!(def_levels_byte_len, 0);
                    }
                }
            }
        }
    }
}

/// A column with no value at all: pages of NULLs only, with or without a dictionary.
#[test]
fn all_null_columns_round_trip() {
    let sample = Sample {
        ts: vec![None; 40],
        x: vec![None; 40],
        s: vec![None; 40],
    };
    for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
        for dictionary in [true, false] {
            let props = builder(version, dictionary)
                .set_encoding(Encoding::PLAIN)
                .build();
            round_trip(&sample, 40, props);
        }
    }
}

/// The writer's DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT, DELTA_LENGTH_BYTE_ARRAY and
/// DELTA_BYTE_ARRAY pages, V1 and V2, go through the kernels, NULLs and whole pages of NULLs
/// included: no chunk falls back (`check_stats`), and every value is the one written, INT64s of a
/// wide spread (miniblocks up to 64 bits wide) and the extremes among them, DOUBLEs down to the
/// NaN and signed-zero bits, strings empty and not, sharing prefixes and not.
#[test]
fn delta_and_byte_stream_split_pages_are_decoded_by_the_kernels() {
    let mut sample = Sample::new(ROWS, 12, 8);
    let mut rng = Rng::new(11);
    let extremes = [i64::MIN, i64::MAX, 0, -1, 1];
    for (i, ts) in sample.ts.iter_mut().enumerate() {
        if let Some(v) = ts {
            match i % 7 {
                0 => *v = rng.next_u64() as i64,
                3 => *v = extremes[i % extremes.len()],
                _ => {}
            }
        }
    }
    let cases = [
        (
            Encoding::DELTA_BINARY_PACKED,
            Encoding::BYTE_STREAM_SPLIT,
            Encoding::DELTA_LENGTH_BYTE_ARRAY,
        ),
        (
            Encoding::BYTE_STREAM_SPLIT,
            Encoding::PLAIN,
            Encoding::PLAIN,
        ),
        (
            Encoding::DELTA_BINARY_PACKED,
            Encoding::PLAIN,
            Encoding::DELTA_BYTE_ARRAY,
        ),
    ];
    for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
        for (ts, x, s) in cases {
            let props = builder(version, false)
                .set_column_encoding(ColumnPath::from("ts"), ts)
                .set_column_encoding(ColumnPath::from("x"), x)
                .set_column_encoding(ColumnPath::from("s"), s)
                .build();
            let bytes = round_trip(&sample, 40, props);
            for (c, want) in [(0, ts), (1, x), (2, s)] {
                for (dict, data) in data_pages(&bytes, c) {
                    assert!(!dict && data.len() >= 2, "{version:?}");
                    for k in data {
                        assert_eq!(encoding_of(k), want, "{version:?} column {c}");
                    }
                }
            }
        }
    }
}

/// The V2 writer's defaults without a dictionary (DELTA_BINARY_PACKED INT64, DELTA_BYTE_ARRAY
/// strings) and with one that overflows (dictionary pages, then DELTA_BYTE_ARRAY pages in the same
/// string chunk): every page goes through the kernels, none through the reference reader, and
/// the values are the ones written (strings sharing prefixes across page boundaries included).
#[test]
fn delta_byte_array_pages_are_decoded_by_the_kernels() {
    let sample = Sample::new(ROWS, 12, 8);
    let bytes = round_trip(
        &sample,
        40,
        builder(WriterVersion::PARQUET_2_0, false).build(),
    );
    let ts_pages = &data_pages(&bytes, 0)[0].1;
    assert!(ts_pages
        .iter()
        .all(|k| encoding_of(*k) == Encoding::DELTA_BINARY_PACKED));
    for (_, data) in data_pages(&bytes, 2) {
        assert!(data.len() >= 2);
        assert!(data
            .iter()
            .all(|k| encoding_of(*k) == Encoding::DELTA_BYTE_ARRAY));
    }
    let cat = catalog(&[]);
    let decoded = read_back(&bytes, &REQUESTS, &cat).expect("decodes");
    assert_eq!(decoded.stats.fallback_chunks, 0, "{:?}", decoded.stats);

    // Too many distinct strings for the dictionary: it falls back to DELTA_BYTE_ARRAY mid-chunk.
    let sample = Sample::new(ROWS, ROWS, 12);
    let props = builder(WriterVersion::PARQUET_2_0, true)
        .set_dictionary_page_size_limit(160)
        .build();
    let bytes = round_trip(&sample, ROWS, props);
    let [(true, data)] = &data_pages(&bytes, 2)[..] else {
        panic!("one row group starting with a dictionary")
    };
    let encodings: Vec<Encoding> = data.iter().map(|k| encoding_of(*k)).collect();
    assert!(
        encodings.contains(&Encoding::RLE_DICTIONARY),
        "{encodings:?}"
    );
    assert!(
        encodings.contains(&Encoding::DELTA_BYTE_ARRAY),
        "{encodings:?}"
    );
}

/// Label JSON in DELTA_BYTE_ARRAY pages resolves to label sets as the decoder's own path does for
/// each text (`label_set`), NULL and `{}` included.
#[test]
fn delta_byte_array_label_pages_resolve_to_label_sets() {
    let labels: Vec<Option<String>> = (0..ROWS)
        .map(|i| match i % 5 {
            0 => None,
            1 => Some("{}".into()),
            _ => Some(format!(r#"{{"app":"web-{}","team":"t{}"}}"#, i % 3, i % 4)),
        })
        .collect();
    let cols = [Col::optional("l", Values::Str(labels.clone()))];
    let request = [(
        ColumnRequest::required("l", ColumnKind::String),
        StringMode::Labels,
    )];
    let props = builder(WriterVersion::PARQUET_2_0, false)
        .set_column_encoding(ColumnPath::from("l"), Encoding::DELTA_BYTE_ARRAY)
        .build();
    let bytes = write_parquet(&cols, 50, props);
    assert!(data_pages(&bytes, 0)
        .iter()
        .flat_map(|(_, d)| d)
        .all(|k| encoding_of(*k) == Encoding::DELTA_BYTE_ARRAY));
    let cat = catalog(&["app", "team"]);
    let decoded = read_back(&bytes, &request, &cat).expect("decodes");
    assert_eq!(decoded.stats.fallback_chunks, 0);
    assert!(decoded.stats.encoded_pages >= 3);
    for (i, json) in labels.iter().enumerate() {
        let want = crate::test_util::label_set(&cat, json.as_deref());
        assert_eq!(decoded.columns[0].ids[i], want, "row {i}: {json:?}");
    }
}

/// The reference decoder reads DELTA_BINARY_PACKED and DELTA_BYTE_ARRAY pages (the V2 writer's
/// defaults): the fallback for an encoding the kernels would lack.
#[test]
fn the_reference_decoder_reads_delta_encoded_pages() {
    let sample = Sample::new(40, 12, 8);
    let bytes = write_parquet(
        &sample.cols(),
        40,
        builder(WriterVersion::PARQUET_2_0, false).build(),
    );
    assert_eq!(
        encoding_of(data_pages(&bytes, 0)[0].1[0]),
        Encoding::DELTA_BINARY_PACKED
    );
    let cat = catalog(&[]);
    let decoded = read_back_with(&bytes, &REQUESTS, &cat, DecodeMode::Reference).expect("decodes");
    sample.check(&decoded, &cat);
}

/// Microsecond timestamps become milliseconds (floor) in dictionary entries, PLAIN values and
/// DELTA_BINARY_PACKED values.
#[test]
fn micros_are_floored_to_millis_in_every_value_encoding() {
    let mut rng = Rng::new(9);
    let pool: Vec<i64> = (0..ROWS as i64)
        .map(|k| (k - 60) * 999_999 + k % 7 - 3)
        .collect();
    let micros: Vec<Option<i64>> = (0..ROWS).map(|_| rng.maybe(20, &pool)).collect();
    let dictionary = builder(WriterVersion::PARQUET_1_0, true)
        .set_dictionary_page_size_limit(400)
        .build();
    let delta = builder(WriterVersion::PARQUET_2_0, false).build();
    let cases = [
        (dictionary, &[Encoding::RLE_DICTIONARY, Encoding::PLAIN][..]),
        (delta, &[Encoding::DELTA_BINARY_PACKED][..]),
    ];
    for (props, want) in cases {
        let bytes = write_parquet(
            &[Col::optional("ts", Values::Micros(micros.clone()))],
            ROWS,
            props,
        );
        let encodings: Vec<Encoding> = data_pages(&bytes, 0)[0]
            .1
            .iter()
            .map(|k| encoding_of(*k))
            .collect();
        assert!(want.iter().all(|e| encodings.contains(e)), "{encodings:?}");
        let decoded = read_back(&bytes, &REQUESTS[..1], &catalog(&[])).expect("decodes");
        assert_eq!(decoded.stats.fallback_chunks, 0);
        let col = &decoded.columns[0];
        for (i, m) in micros.iter().enumerate() {
            match m {
                Some(us) => {
                    let floor = (*us as f64 / 1000.0).floor() as i64;
                    assert!(col.valid.get(i) && col.i64s[i] == floor, "row {i}: {us} µs");
                }
                None => assert!(!col.valid.get(i)),
            }
        }
    }
}

/// Milliseconds of an INT96 value, written out from the format's definition.
fn int96_millis(day: i32, nanos: i64) -> i64 {
    (i64::from(day) - 2_440_588) * 86_400_000 + (nanos as f64 / 1e6).floor() as i64
}

/// INT96 timestamps (Spark, pyarrow's `use_deprecated_int96_timestamps`) in dictionary pages,
/// dictionary ids, PLAIN pages after a dictionary overflows, and PLAIN pages alone, V1 and V2,
/// with NULLs: decoded by `kernels::int96`, no chunk through the reference reader, every value the
/// instant's milliseconds floored (days before the epoch included), and the reference decoder
/// agreeing value by value.
#[test]
fn int96_timestamps_in_plain_and_dictionary_pages() {
    let mut rng = Rng::new(13);
    const DAY_NANOS: i64 = 86_400_000_000_000;
    let pool: Vec<(i32, i64)> = (0..ROWS as i64)
        .map(|k| {
            let day = 2_440_588 + (k as i32 - 60) * 97;
            let nanos = match k % 4 {
                0 => 0,
                1 => DAY_NANOS - 1,
                2 => 999_999,
                _ => (k * 7_777_777_777_777) % DAY_NANOS,
            };
            (day, nanos)
        })
        .collect();
    let values: Vec<Option<(i32, i64)>> = (0..ROWS).map(|_| rng.maybe(20, &pool)).collect();
    let cols = [Col::optional("ts", Values::Int96(values.clone()))];
    let dictionary_overflow = |v| builder(v, true).set_dictionary_page_size_limit(400).build();
    let cases = [
        (
            dictionary_overflow(WriterVersion::PARQUET_1_0),
            &[Encoding::RLE_DICTIONARY, Encoding::PLAIN][..],
        ),
        (
            dictionary_overflow(WriterVersion::PARQUET_2_0),
            &[Encoding::RLE_DICTIONARY, Encoding::PLAIN][..],
        ),
        (
            builder(WriterVersion::PARQUET_1_0, false).build(),
            &[Encoding::PLAIN][..],
        ),
        (
            builder(WriterVersion::PARQUET_2_0, false).build(),
            &[Encoding::PLAIN][..],
        ),
    ];
    for (props, want) in cases {
        let bytes = write_parquet(&cols, ROWS, props);
        let encodings: Vec<Encoding> = data_pages(&bytes, 0)[0]
            .1
            .iter()
            .map(|k| encoding_of(*k))
            .collect();
        assert!(want.iter().all(|e| encodings.contains(e)), "{encodings:?}");
        for mode in [DecodeMode::Kernels, DecodeMode::Reference] {
            let decoded =
                read_back_with(&bytes, &REQUESTS[..1], &catalog(&[]), mode).expect("decodes");
            assert_eq!(decoded.stats.fallback_chunks, 0);
            let col = &decoded.columns[0];
            for (i, v) in values.iter().enumerate() {
                match v {
                    Some((day, nanos)) => assert!(
                        col.valid.get(i) && col.i64s[i] == int96_millis(*day, *nanos),
                        "{mode:?} row {i}: day {day} nanos {nanos} → {}",
                        col.i64s[i]
                    ),
                    None => assert!(!col.valid.get(i) && col.i64s[i] == 0, "row {i}"),
                }
            }
        }
    }
}

/// Every INT64 timestamp annotation a writer uses, UTC-adjusted or not, and the legacy converted
/// types alone: each value becomes milliseconds, floored (so -1 µs is -1 ms), through the kernels
/// and through the reference decoder.
#[test]
fn every_timestamp_unit_is_floored_to_millis() {
    let raw: Vec<Option<i64>> = [
        Some(0),
        Some(-1),
        None,
        Some(1),
        Some(1_700_000_000_123_456_789),
        Some(-1_700_000_000_123_456_789),
        Some(999_999),
        Some(-1_000_001),
        None,
        Some(i64::MIN),
        Some(i64::MAX),
    ]
    .repeat(4);
    let cases: [(&str, i64); 8] = [
        ("TIMESTAMP(MILLIS,true)", 1),
        ("TIMESTAMP(MILLIS,false)", 1),
        ("TIMESTAMP(MICROS,true)", 1_000),
        ("TIMESTAMP(MICROS,false)", 1_000),
        ("TIMESTAMP(NANOS,true)", 1_000_000),
        ("TIMESTAMP(NANOS,false)", 1_000_000),
        ("TIMESTAMP_MILLIS", 1),
        ("TIMESTAMP_MICROS", 1_000),
    ];
    for (annotation, per_milli) in cases {
        let cols = [Col::optional(
            "ts",
            Values::Annotated(annotation, raw.clone()),
        )];
        if !annotation.contains('(') {
            // The legacy converted type alone: no logical type for the engine to go by.
            let file = write_parquet(
                &cols,
                20,
                builder(WriterVersion::PARQUET_1_0, false).build(),
            );
            let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
            use parquet::file::reader::FileReader;
            let column = reader.metadata().file_metadata().schema_descr().column(0);
            assert!(column.logical_type_ref().is_none(), "{annotation}");
        }
        for dictionary in [true, false] {
            let bytes = write_parquet(
                &cols,
                20,
                builder(WriterVersion::PARQUET_2_0, dictionary).build(),
            );
            for mode in [DecodeMode::Kernels, DecodeMode::Reference] {
                let decoded = read_back_with(&bytes, &REQUESTS[..1], &catalog(&[]), mode)
                    .unwrap_or_else(|e| panic!("{annotation}: {e}"));
                let col = &decoded.columns[0];
                for (i, v) in raw.iter().enumerate() {
                    match v {
                        Some(v) => assert!(
                            col.valid.get(i) && col.i64s[i] == v.div_euclid(per_milli),
                            "{annotation} {mode:?} row {i}: {v} → {}",
                            col.i64s[i]
                        ),
                        None => assert!(!col.valid.get(i), "{annotation} row {i}"),
                    }
                }
            }
        }
    }
}

/// A timestamp column of a type no timestamp has is refused when the schema is resolved, naming
/// the column, the type found and the types accepted; a chunk whose physical type is not the one
/// its column was resolved to is refused by the decoder, naming file, row group and column.
#[test]
fn timestamp_columns_of_another_physical_type_are_refused() {
    for (values, found) in [
        (Values::F64(vec![Some(1.0)]), "DOUBLE"),
        (Values::Str(vec![Some("2024-01-01".into())]), "BYTE_ARRAY"),
        (
            Values::Annotated("INTEGER(64,true)", vec![Some(1)]),
            "INT64",
        ),
    ] {
        let bytes = write_parquet(
            &[Col::optional("ts", values)],
            1,
            builder(WriterVersion::PARQUET_1_0, false).build(),
        );
        let meta = parquet::file::serialized_reader::SerializedFileReader::new(bytes.clone())
            .expect("file");
        use parquet::file::reader::FileReader;
        let schema = meta.metadata().file_metadata().schema_descr();
        let err = crate::plan::columns::resolve(schema, &[REQUESTS[0].0])
            .expect_err("not a timestamp")
            .to_string();
        assert!(
            err.contains(r#"column "ts""#) && err.contains(found),
            "{err}"
        );
        assert!(err.contains("INT96") && err.contains("NANOS"), "{err}");
    }
    // An INT64 chunk read as if the column were INT96.
    let bytes = write_parquet(
        &[Col::optional("ts", Values::Millis(vec![Some(1), None]))],
        2,
        builder(WriterVersion::PARQUET_1_0, false).build(),
    );
    let mut store = crate::source::memory::MemoryStore::default();
    store.insert("f.parquet", bytes.clone());
    let meta =
        parquet::file::serialized_reader::SerializedFileReader::new(bytes.clone()).expect("file");
    use parquet::file::reader::FileReader;
    let schema = meta.metadata().file_metadata().schema_descr();
    let mut resolved =
        crate::plan::columns::resolve(schema, &[REQUESTS[0].0]).expect("INT64 timestamp");
    resolved[0].int96 = true;
    let plan = crate::decode::rowgroup::ColumnPlan {
        resolved: resolved[0],
        string_mode: StringMode::Interned,
        decode: DecodeMode::Kernels,
    };
    let err = crate::decode::rowgroup::read_row_group(
        &store,
        "f.parquet",
        bytes.len() as u64,
        meta.metadata().row_group(0),
        &[plan],
        &catalog(&[]),
        &mut crate::decode::rowgroup::RowGroupData::default(),
        &mut DecodeStats::default(),
    )
    .expect_err("refused")
    .at("memory:f.parquet", 0, |_| "ts".into())
    .to_string();
    assert!(
        err.contains("memory:f.parquet: row group 0: column \"ts\"")
            && err.contains("INT64")
            && err.contains("INT96"),
        "{err}"
    );
}

mod pages;
