//! BYTE_ARRAY columns as interned ids.
//!
//! A dictionary page is interned once (with no lock unless it adds strings) into a table from
//! local dictionary id to global id; data pages then only map small integers. Label columns go
//! one step further: the table maps straight to label-set ids, so JSON is parsed once per
//! distinct string for the whole run.
//! PLAIN pages (pyarrow's fallback when a dictionary grows too big), DELTA_LENGTH_BYTE_ARRAY and
//! DELTA_BYTE_ARRAY pages (Spark, DuckDB, the parquet crate's V2 writer) intern value by value.

use super::chunk::{plain_byte_arrays, ValueDecoder};
use super::DecodeError;
use crate::catalog::{Catalog, LabelCache, TextTable, NULL_ID};
use ocp_summary_kernels::delta;
use parquet::basic::Encoding;

/// What a string column's ids mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMode {
    /// Global string ids.
    Interned,
    /// Label set ids (`NULL_SET` for NULL or JSON `null`).
    Labels,
}

pub struct StringDecoder<'c> {
    catalog: &'c Catalog,
    mode: StringMode,
    dict: Option<Vec<u32>>,
    scratch: Vec<u32>,
    /// DELTA_LENGTH_BYTE_ARRAY lengths, reused page to page.
    lengths: Vec<i64>,
    /// DELTA_BYTE_ARRAY prefixes, suffixes and value buffer, reused page to page.
    front: delta::ByteArrayScratch,
    /// The worker's label sets by string id, lent for the chunk ([`Self::with_label_cache`]).
    labels: LabelCache,
}

impl<'c> StringDecoder<'c> {
    pub fn new(catalog: &'c Catalog, mode: StringMode) -> Self {
        StringDecoder {
            catalog,
            mode,
            dict: None,
            scratch: Vec::new(),
            lengths: Vec::new(),
            front: delta::ByteArrayScratch::default(),
            labels: LabelCache::default(),
        }
    }

    /// Resolves label strings through `cache`, the worker's memo kept across chunks; take it
    /// back with [`Self::into_label_cache`].
    pub fn with_label_cache(mut self, cache: LabelCache) -> Self {
        self.labels = cache;
        self
    }

    pub fn into_label_cache(self) -> LabelCache {
        self.labels
    }

    fn intern_plain(
        &mut self,
        buf: &[u8],
        n: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), DecodeError> {
        self.intern_with(out, |push| {
            plain_byte_arrays(buf, n, |v| {
                push(v);
                Ok(())
            })
        })
    }

    /// Interns the values `each` hands out (mapped to label sets in label mode).
    fn intern_with(
        &mut self,
        out: &mut Vec<u32>,
        each: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let start = out.len();
        if self.mode == StringMode::Interned {
            return self.catalog.intern_many(out, each);
        }
        // Label texts go to their own table: their ids only ever become label sets.
        self.catalog.intern_label_texts(out, each)?;
        let texts = &mut out[start..];
        self.catalog
            .resolve_labels_cached(TextTable::LabelTexts, texts, &mut self.labels)
            .map_err(|b| DecodeError::Label {
                preview: b.preview,
                reason: b.reason,
            })
    }
}

impl ValueDecoder for StringDecoder<'_> {
    type Item = u32;
    const NULL: u32 = NULL_ID;

    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError> {
        let mut dict = std::mem::take(&mut self.scratch);
        dict.clear();
        self.intern_plain(buf, n, &mut dict)?;
        if let Some(old) = self.dict.replace(dict) {
            self.scratch = old;
        }
        Ok(())
    }

    fn dictionary(&self) -> Option<&[u32]> {
        self.dict.as_deref()
    }

    fn read_plain(&mut self, buf: &[u8], n: usize, out: &mut Vec<u32>) -> Result<(), DecodeError> {
        self.intern_plain(buf, n, out)
    }

    fn read_encoded(
        &mut self,
        encoding: Encoding,
        buf: &[u8],
        n: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), DecodeError> {
        match encoding {
            Encoding::DELTA_LENGTH_BYTE_ARRAY => {
                let mut lengths = std::mem::take(&mut self.lengths);
                let result = self.intern_with(out, |push| {
                    delta::decode_length_byte_array(buf, n, &mut lengths, push)?;
                    Ok(())
                });
                self.lengths = lengths;
                result
            }
            Encoding::DELTA_BYTE_ARRAY => {
                // The kernel checks the whole page before handing out a value, so nothing from a
                // corrupt page is interned.
                let mut front = std::mem::take(&mut self.front);
                let result = self.intern_with(out, |push| {
                    delta::decode_byte_array(buf, n, &mut front, push)?;
                    Ok(())
                });
                self.front = front;
                result
            }
            other => Err(DecodeError::UnsupportedEncoding(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::NULL_SET;
    use crate::decode::chunk::{decode_chunk, ColumnOut, Scratch};
    use crate::decode::DecodeStats;
    use crate::test_util::{
        catalog, dict_ids, filter_labels, label_map, levels_v1, plain_strings, text,
    };
    use bytes::Bytes;
    use parquet::basic::Encoding;
    use parquet::column::page::Page;

    fn dictionary(values: &[&str]) -> Page {
        Page::DictionaryPage {
            buf: Bytes::from(plain_strings(values)),
            num_values: values.len() as u32,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        }
    }

    fn data_page(encoding: Encoding, levels: &[u32], values: Vec<u8>) -> Page {
        Page::DataPage {
            buf: Bytes::from([levels_v1(levels), values].concat()),
            num_values: levels.len() as u32,
            encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        }
    }

    /// A V1 page of dictionary ids; `ids` are the non-NULL slots' ids.
    fn ids_page(levels: &[u32], ids: &[u32]) -> Page {
        data_page(Encoding::RLE_DICTIONARY, levels, dict_ids(ids, 3))
    }

    /// A V1 PLAIN page; `None` slots are NULL.
    fn plain_page(values: &[Option<&str>]) -> Page {
        let levels: Vec<u32> = values.iter().map(|v| u32::from(v.is_some())).collect();
        let present: Vec<&str> = values.iter().flatten().copied().collect();
        data_page(Encoding::PLAIN, &levels, plain_strings(&present))
    }

    fn decode(cat: &Catalog, mode: StringMode, pages: Vec<Page>) -> Result<Vec<u32>, DecodeError> {
        let rows: usize = pages
            .iter()
            .map(|p| match p {
                Page::DataPage { num_values, .. } => *num_values as usize,
                _ => 0,
            })
            .sum();
        let mut ids = Vec::new();
        let out = ColumnOut {
            values: &mut ids,
            valid: None,
            rows_left: rows,
        };
        decode_chunk(
            &mut crate::decode::pages::CratePages::new(pages.into_iter().map(Ok)),
            1,
            &mut StringDecoder::new(cat, mode),
            out,
            &mut Scratch::default(),
            &mut DecodeStats::default(),
        )?;
        Ok(ids)
    }

    fn strings_len(cat: &Catalog) -> usize {
        cat.strings().len()
    }

    fn parses(cat: &Catalog) -> usize {
        cat.with_labels(|l, _| l.parses)
    }

    fn texts(cat: &Catalog, ids: &[u32]) -> Vec<Option<String>> {
        ids.iter().map(|&id| text(cat, id)).collect()
    }

    fn owned(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|s| s.map(str::to_string)).collect()
    }

    #[test]
    fn dictionary_entries_are_interned_once_and_data_pages_map_ids() {
        let cat = catalog(&[]);
        let before = strings_len(&cat);
        let pages = || {
            vec![
                // "" is interned up front (EMPTY_ID): three new strings.
                dictionary(&["zeta", "alpha", "", "zeta2"]),
                ids_page(&[1, 1, 0, 1, 1, 1], &[0, 1, 3, 2, 0]),
                ids_page(&[1, 0], &[1]),
            ]
        };
        let ids = decode(&cat, StringMode::Interned, pages()).expect("decodes");
        let want = [
            Some("zeta"),
            Some("alpha"),
            None,
            Some("zeta2"),
            Some(""),
            Some("zeta"),
            Some("alpha"),
            None,
        ];
        assert_eq!(texts(&cat, &ids), owned(&want));
        assert_eq!(ids[2], NULL_ID);
        assert_eq!(ids[0], ids[5], "equal strings, one id");
        assert_eq!(strings_len(&cat), before + 3);
        // Ids are global: the same chunk read again gives the same ids and interns nothing.
        assert_eq!(decode(&cat, StringMode::Interned, pages()).unwrap(), ids);
        assert_eq!(strings_len(&cat), before + 3);
    }

    fn uleb(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// DELTA_BINARY_PACKED by hand: one block of one 128-value miniblock, every delta 64 bits
    /// wide.
    fn delta_ints(values: &[i64]) -> Vec<u8> {
        assert!(values.len() <= 129);
        let zigzag = |v: i64| ((v << 1) ^ (v >> 63)) as u64;
        let mut out = Vec::new();
        for v in [128, 1, values.len() as u64] {
            uleb(&mut out, v);
        }
        uleb(&mut out, zigzag(values.first().copied().unwrap_or(0)));
        let deltas: Vec<i64> = values.windows(2).map(|w| w[1] - w[0]).collect();
        if let Some(&min) = deltas.iter().min() {
            uleb(&mut out, zigzag(min));
            out.push(64);
            for i in 0..128 {
                let d = deltas.get(i).map_or(0, |d| (d - min) as u64);
                out.extend_from_slice(&d.to_le_bytes());
            }
        }
        out
    }

    /// DELTA_LENGTH_BYTE_ARRAY by hand: the lengths, then the bytes.
    fn delta_length(values: &[&str]) -> Vec<u8> {
        let lengths: Vec<i64> = values.iter().map(|v| v.len() as i64).collect();
        let mut out = delta_ints(&lengths);
        for v in values {
            out.extend_from_slice(v.as_bytes());
        }
        out
    }

    /// DELTA_BYTE_ARRAY by hand: each value's longest common prefix with the previous one (in
    /// bytes), then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
    fn delta_front(values: &[&str]) -> Vec<u8> {
        let mut prefixes = Vec::new();
        let mut suffixes = Vec::new();
        let mut previous: &[u8] = &[];
        for v in values {
            let common = previous
                .iter()
                .zip(v.as_bytes())
                .take_while(|(a, b)| a == b)
                .count();
            prefixes.push(common as i64);
            // Suffixes are raw bytes, possibly cut inside a UTF-8 sequence.
            suffixes.push(&v.as_bytes()[common..]);
            previous = v.as_bytes();
        }
        let mut out = delta_ints(&prefixes);
        out.extend_from_slice(&delta_ints(
            &suffixes.iter().map(|s| s.len() as i64).collect::<Vec<_>>(),
        ));
        for s in suffixes {
            out.extend_from_slice(s);
        }
        out
    }

    /// DELTA_BYTE_ARRAY pages intern value by value, as PLAIN ones, strings and labels, with
    /// prefixes cut inside a multi-byte character; a corrupt page interns nothing.
    #[test]
    fn delta_byte_array_pages_intern_value_by_value() {
        let page = |values: &[Option<&str>]| {
            let levels: Vec<u32> = values.iter().map(|v| u32::from(v.is_some())).collect();
            let present: Vec<&str> = values.iter().flatten().copied().collect();
            data_page(Encoding::DELTA_BYTE_ARRAY, &levels, delta_front(&present))
        };
        let cat = catalog(&["app"]);
        let strings = [
            Some("pod-a"),
            Some("pod-ab"),
            None,
            Some(""),
            Some("pod-b"),
            Some("ñø"),
            Some("ñé"),
            Some("pod-a"),
        ];
        let ids = decode(&cat, StringMode::Interned, vec![page(&strings)]).unwrap();
        assert_eq!(texts(&cat, &ids), owned(&strings));
        assert_eq!(ids[0], ids[7]);
        let j1 = r#"{"app": "web", "other": "x"}"#;
        let j2 = r#"{"app": "web", "other": "y"}"#;
        let j3 = r#"{"app": "db"}"#;
        let labels = [
            Some(j1),
            Some(j2),
            None,
            Some("null"),
            Some(j3),
            Some(j1),
            Some("{}"),
        ];
        let sets = decode(&cat, StringMode::Labels, vec![page(&labels)]).unwrap();
        let plain = decode(&cat, StringMode::Labels, vec![plain_page(&labels)]).unwrap();
        assert_eq!(sets, plain);
        // A prefix longer than the previous value: a kernel error, and nothing interned.
        let before = strings_len(&cat);
        let mut bad = delta_ints(&[0, 9]);
        bad.extend_from_slice(&delta_ints(&[3, 1]));
        bad.extend_from_slice(b"new!");
        let corrupt = data_page(Encoding::DELTA_BYTE_ARRAY, &[1, 1], bad);
        let err = decode(&cat, StringMode::Interned, vec![corrupt]).unwrap_err();
        assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
        assert_eq!(strings_len(&cat), before);
        // The suffix bytes cut short.
        let mut values = delta_front(&["pod-a", "pod-ab"]);
        values.pop();
        let short = data_page(Encoding::DELTA_BYTE_ARRAY, &[1, 1], values);
        let err = decode(&cat, StringMode::Interned, vec![short]).unwrap_err();
        assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
    }

    /// DELTA_LENGTH_BYTE_ARRAY pages intern value by value, as PLAIN ones, strings and labels.
    #[test]
    fn delta_length_byte_array_pages_intern_value_by_value() {
        let page = |values: &[Option<&str>]| {
            let levels: Vec<u32> = values.iter().map(|v| u32::from(v.is_some())).collect();
            let present: Vec<&str> = values.iter().flatten().copied().collect();
            data_page(
                Encoding::DELTA_LENGTH_BYTE_ARRAY,
                &levels,
                delta_length(&present),
            )
        };
        let cat = catalog(&["app"]);
        let strings = [Some("b"), Some(""), None, Some("ñødé"), Some("b")];
        let ids = decode(&cat, StringMode::Interned, vec![page(&strings)]).unwrap();
        assert_eq!(texts(&cat, &ids), owned(&strings));
        assert_eq!(ids[0], ids[4]);
        let j1 = r#"{"app": "web", "other": "x"}"#;
        let j2 = r#"{"app": "db"}"#;
        let labels = [Some(j1), None, Some("null"), Some(j2), Some(j1), Some("{}")];
        let sets = decode(&cat, StringMode::Labels, vec![page(&labels)]).unwrap();
        let plain = decode(&cat, StringMode::Labels, vec![plain_page(&labels)]).unwrap();
        assert_eq!(sets, plain);
        // The bytes cut short: a kernel error.
        let mut values = delta_length(&["b", "", "ñødé", "b"]);
        values.pop();
        let short = data_page(Encoding::DELTA_LENGTH_BYTE_ARRAY, &[1, 1, 0, 1, 1], values);
        let err = decode(&cat, StringMode::Interned, vec![short]).unwrap_err();
        assert!(matches!(err, DecodeError::Kernel(_)), "{err:?}");
    }

    #[test]
    fn plain_pages_intern_value_by_value() {
        let cat = catalog(&[]);
        let before = strings_len(&cat);
        let values = [Some("b"), Some("a"), Some("b"), None, Some("c")];
        let ids = decode(&cat, StringMode::Interned, vec![plain_page(&values)]).unwrap();
        assert_eq!(texts(&cat, &ids), owned(&values));
        assert_eq!(ids[0], ids[2]);
        assert_eq!(strings_len(&cat), before + 3);
    }

    #[test]
    fn a_later_dictionary_page_replaces_the_earlier_one() {
        let cat = catalog(&[]);
        let pages = vec![
            dictionary(&["a", "b"]),
            ids_page(&[1], &[1]),
            dictionary(&["c", "d", "e"]),
            ids_page(&[1, 1, 1], &[1, 0, 2]),
        ];
        let ids = decode(&cat, StringMode::Interned, pages).unwrap();
        assert_eq!(
            texts(&cat, &ids),
            owned(&[Some("b"), Some("d"), Some("c"), Some("e")])
        );
    }

    /// Label columns: every distinct string is parsed once for the whole run, whichever page
    /// (dictionary or PLAIN) brings it; ids are label-set ids, filtered by the enabled keys.
    #[test]
    fn labels_are_parsed_once_per_distinct_string() {
        let enabled = ["app", "env"];
        let cat = catalog(&enabled);
        let j1 = r#"{"app": "web", "other": "x"}"#;
        let j2 = r#"{"env": "prod"}"#;
        let j3 = r#"{"app": "web"}"#; // filters to the same set as j1
        let j4 = "{}";
        let j5 = r#"{"env": "dev", "app": "db"}"#;
        let pages = || {
            vec![
                dictionary(&[j1, j2, j3, "null", j4]),
                ids_page(&[1, 1, 1, 0, 1, 1, 1, 1], &[0, 1, 2, 3, 4, 0, 1]),
                plain_page(&[Some(j5), Some(j1), None, Some(j5)]),
            ]
        };
        let rows = [
            Some(j1),
            Some(j2),
            Some(j3),
            None,
            Some("null"),
            Some(j4),
            Some(j1),
            Some(j2),
            Some(j5),
            Some(j1),
            None,
            Some(j5),
        ];
        let parsed_before = parses(&cat);
        let ids = decode(&cat, StringMode::Labels, pages()).expect("decodes");
        assert_eq!(ids.len(), rows.len());
        cat.with_labels(|labels, keys| {
            for (i, (&id, json)) in ids.iter().zip(rows).enumerate() {
                assert_eq!(
                    label_map(labels, keys, id),
                    filter_labels(json, &enabled),
                    "row {i}: {json:?}"
                );
            }
        });
        assert_eq!(ids[3], NULL_SET, "NULL text");
        assert_eq!(ids[4], NULL_SET, "JSON null");
        assert_eq!(ids[0], ids[2], "equal after filtering");
        assert_ne!(ids[0], ids[1]);
        // j1, j2, j3, null, {}, j5: six distinct strings, six parses.
        assert_eq!(parses(&cat) - parsed_before, 6);
        assert_eq!(decode(&cat, StringMode::Labels, pages()).unwrap(), ids);
        assert_eq!(parses(&cat) - parsed_before, 6, "nothing parsed twice");
    }

    #[test]
    fn bad_label_json_is_a_label_error_quoting_the_text() {
        let cat = catalog(&["app"]);
        for pages in [
            vec![dictionary(&[r#"{"app": 1}"#]), ids_page(&[1], &[0])],
            vec![plain_page(&[Some(r#"{"app": 1}"#)])],
        ] {
            let err = decode(&cat, StringMode::Labels, pages).expect_err("bad");
            let DecodeError::Label { preview, .. } = err else {
                panic!("{err:?}")
            };
            assert!(preview.contains(r#""app": 1"#), "{preview}");
        }
        // The same text is an ordinary string outside label columns.
        let pages = vec![plain_page(&[Some(r#"{"app": 1}"#)])];
        assert!(decode(&cat, StringMode::Interned, pages).is_ok());
    }

    #[test]
    fn more_distinct_strings_than_ids_is_an_error_not_an_alias_of_null() {
        use ocp_summary_kernels::KernelError;
        let enabled = ocp_summary_kernels::labels::EnabledKeys::new(std::iter::empty::<&[u8]>());
        // The empty string is interned first, so four more fit under a limit of five.
        let cat = Catalog::with_string_limit(enabled, 5);
        let fits = vec![plain_page(&[
            Some("a"),
            Some("b"),
            None,
            Some("c"),
            Some("d"),
        ])];
        let ids = decode(&cat, StringMode::Interned, fits).expect("four new strings fit");
        assert!(ids.iter().all(|&id| id < 5 || id == NULL_ID));
        for pages in [
            vec![plain_page(&[Some("a"), Some("e")])],
            vec![dictionary(&["b", "f"]), ids_page(&[1, 1], &[0, 1])],
        ] {
            let err = decode(&cat, StringMode::Interned, pages).expect_err("a sixth string");
            assert!(
                matches!(
                    err,
                    DecodeError::Kernel(KernelError::TooManyDistinct { limit: 5 })
                ),
                "{err:?}"
            );
        }
        // Strings seen before still intern to their ids.
        let again = decode(&cat, StringMode::Interned, vec![plain_page(&[Some("d")])]).unwrap();
        assert_eq!(again, [ids[4]]);
    }
}
