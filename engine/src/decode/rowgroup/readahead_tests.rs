//! The reads the S3 read-ahead starts for a row group are exactly the requests
//! [`read_row_group`] then makes, so every read ahead is used and none is made twice. It lives
//! here, beside the decoder, because it drives the decoder; the read-ahead is below it.

use super::{read_row_group, ColumnPlan, RowGroupData};
use crate::decode::strings::StringMode;
use crate::decode::DecodeStats;
use crate::plan::columns::{resolve, ColumnKind, ColumnRequest};
use crate::plan::DecodeMode;
use crate::source::footer::read_metadata;
use crate::source::readahead::test_store::TestStore;
use crate::source::readahead::{row_group_fetches, ReadAhead, ReadAheadLimits, TaskFetches};
use crate::source::ObjectMeta;
use crate::test_util::{catalog, write_parquet, Col, Values};
use parquet::file::properties::WriterProperties;
use std::sync::atomic::Ordering;

#[test]
fn the_reads_started_ahead_are_the_reads_the_decoder_makes() {
    let rows = 3000;
    let cols = vec![
        Col::optional(
            "a",
            Values::Millis((0..rows).map(|i| Some(i as i64 * 1000)).collect()),
        ),
        Col::optional(
            "b",
            Values::Str((0..rows).map(|i| Some(format!("pad-{i}"))).collect()),
        ),
        Col::optional(
            "c",
            Values::F64((0..rows).map(|i| Some(i as f64)).collect()),
        ),
        Col::optional(
            "d",
            Values::Str((0..rows).map(|i| Some(format!("n{}", i % 7))).collect()),
        ),
    ];
    let bytes = write_parquet(&cols, 1000, WriterProperties::builder().build());
    let requests = [
        ColumnRequest::required("a", ColumnKind::Timestamp),
        ColumnRequest::required("c", ColumnKind::Double),
        ColumnRequest::required("d", ColumnKind::String),
        ColumnRequest::optional("absent", ColumnKind::String),
    ];
    for gap in [0, 100, 64 * 1024] {
        // Merges like S3; reads nothing ahead unless asked to.
        let mut store = TestStore {
            threaded: true,
            merge_gap: gap,
            ..TestStore::default()
        };
        store.inner.insert("t.parquet", bytes.clone());
        let object = ObjectMeta {
            key: "t.parquet".into(),
            size: bytes.len() as u64,
        };
        let meta = read_metadata(&store, &object).expect("footer");
        let resolved = resolve(meta.file_metadata().schema_descr(), &requests).expect("schema");
        let plans: Vec<ColumnPlan> = resolved
            .iter()
            .map(|r| ColumnPlan {
                resolved: *r,
                string_mode: StringMode::Interned,
                decode: DecodeMode::Kernels,
            })
            .collect();
        let fetches: Vec<TaskFetches> = (0..meta.num_row_groups())
            .map(|rg| {
                let leaves = resolved.iter().filter_map(|r| r.leaf);
                row_group_fetches(&object, meta.row_group(rg), leaves, gap)
            })
            .collect();
        assert_eq!(meta.num_row_groups(), 3);
        let limits = ReadAheadLimits {
            depth: 8,
            small_bytes: 0,
            requests: 16,
            bytes: 1 << 30,
        };
        let ra = ReadAhead::new(&store, fetches.clone(), limits);
        let direct_before = store.direct.load(Ordering::SeqCst);
        let cat = catalog(&[]);
        let mut data = RowGroupData::default();
        let mut stats = DecodeStats::default();
        let mut decoded = Vec::new();
        for rg in 0..meta.num_row_groups() {
            let reads = ra.take(rg);
            read_row_group(
                &reads,
                &object.key,
                object.size,
                meta.row_group(rg),
                &plans,
                &cat,
                &mut data,
                &mut stats,
            )
            .expect("decodes");
            decoded.extend(data.columns[1].f64s.iter().copied());
        }
        assert_eq!(decoded, (0..rows).map(|i| i as f64).collect::<Vec<_>>());
        // Row group 0 is read directly; rows groups 1 and 2 only through their reads ahead.
        let direct = store.direct.load(Ordering::SeqCst) - direct_before;
        assert_eq!(direct, fetches[0].ranges.len(), "gap {gap}: {fetches:?}");
        let log = store.log.lock().unwrap().clone();
        let ahead: Vec<_> = fetches[1..].iter().flat_map(|f| f.ranges.clone()).collect();
        assert_eq!(log, ahead, "gap {gap}");
        if gap > 0 {
            // c and d are neighbours: one request; a and c have b between them.
            assert!(fetches[1].ranges.len() < 3, "{fetches:?}");
        }
    }
}
