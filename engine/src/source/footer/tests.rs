//! [`read_metadata_many`] gives, object by object, what [`read_metadata`] gives, errors included,
//! with every tail in flight before any is waited on and a second read only for a footer the tail
//! did not hold.

use super::{read_metadata, read_metadata_many};
use crate::source::readahead::test_store::TestStore;
use crate::source::ObjectMeta;
use crate::test_util::{write_parquet, Col, Values};
use bytes::Bytes;
use parquet::file::properties::WriterProperties;
use std::sync::atomic::Ordering;

fn parquet(rows: usize, per_group: usize) -> Bytes {
    let col = Col::optional(
        "interval_start",
        Values::Millis((0..rows).map(|i| Some(i as i64)).collect()),
    );
    write_parquet(&[col], per_group, WriterProperties::builder().build())
}

/// Objects of every outcome: footers of several sizes, not Parquet, too short, and a footer
/// length past the start of the object.
fn objects() -> Vec<(&'static str, Bytes)> {
    let mut lying = b"0123456789ab".to_vec();
    lying.extend_from_slice(&1000u32.to_le_bytes());
    lying.extend_from_slice(b"PAR1");
    vec![
        ("one-group.parquet", parquet(10, 10)),
        (
            "not-parquet.parquet",
            Bytes::from_static(b"plain text, not a Parquet file"),
        ),
        ("many-groups.parquet", parquet(2000, 10)),
        ("short.parquet", Bytes::from_static(b"PAR1")),
        ("lying.parquet", Bytes::from(lying)),
        ("two-groups.parquet", parquet(20, 10)),
    ]
}

/// A test store that reads `tail` bytes for a footer's first request, and the objects.
fn store(tail: u64) -> (TestStore, Vec<ObjectMeta>) {
    let mut test = TestStore {
        threaded: true,
        footer_tail: Some(tail),
        ..TestStore::default()
    };
    let mut metas = Vec::new();
    for (key, bytes) in objects() {
        metas.push(ObjectMeta {
            key: key.into(),
            size: bytes.len() as u64,
        });
        test.inner.insert(key, bytes.to_vec());
    }
    (test, metas)
}

#[test]
fn same_metadata_and_errors_as_one_at_a_time() {
    for tail in [8, 64, 300, 64 * 1024] {
        let (store, metas) = store(tail);
        let refs: Vec<&ObjectMeta> = metas.iter().collect();
        let many =
            read_metadata_many(&store, &refs).expect("the test store reads in the background");
        assert_eq!(many.len(), metas.len());
        for (object, got) in metas.iter().zip(&many) {
            let want = read_metadata(&store, object);
            match (got, &want) {
                (Ok(g), Ok(w)) => assert_eq!(format!("{g:?}"), format!("{w:?}"), "{}", object.key),
                (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string(), "{}", object.key),
                _ => panic!("{} at tail {tail}: {got:?} against {want:?}", object.key),
            }
        }
        assert_eq!(many.iter().filter(|m| m.is_ok()).count(), 3, "tail {tail}");
    }
}

#[test]
fn one_tail_each_and_a_second_read_only_for_footers_past_the_tail() {
    let tail = 300;
    let (store, metas) = store(tail);
    let refs: Vec<&ObjectMeta> = metas.iter().collect();
    read_metadata_many(&store, &refs).expect("background reads");
    let log = store.log.lock().unwrap().clone();
    // Every object of 12 bytes or more gets a tail read; the short one is refused unread.
    let tails = metas.iter().filter(|m| m.size >= 12).count();
    let footer = |bytes: &Bytes| {
        let n = bytes.len();
        u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as u64 + 8
    };
    let second = objects()
        .iter()
        .filter(|(k, b)| k.ends_with("groups.parquet") && footer(b) > tail)
        .count();
    assert!(second >= 1, "the test needs a footer past the tail");
    assert_eq!(log.len(), tails + second);
    assert_eq!(
        store.direct.load(Ordering::SeqCst),
        0,
        "no read waited its turn"
    );
}

#[test]
fn a_store_without_background_reads_gets_none_and_no_request() {
    let store = crate::source::memory::MemoryStore::default();
    let object = ObjectMeta {
        key: "x".into(),
        size: 100,
    };
    assert!(read_metadata_many(&store, &[&object]).is_none());
}
