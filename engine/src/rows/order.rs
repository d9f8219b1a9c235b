//! The output order of rows: day, data source, namespace, node, labels, then the remaining ids.
//!
//! Strings and label JSON compare by bytes with NULL first, as Trino's `ORDER BY` does on the
//! columns. They are ranked as batches first hold them ([`Ranks`], kept for the run), so the sort
//! compares integers.

use super::SummaryRow;
use crate::render::Ranks;
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::sync::Arc;

/// Ranks, besides those ranked before, every string and label set the `parts` rows sort on,
/// and the `extra` string ids (rows added later that only use those strings can be sorted with
/// them too).
pub fn rank_rows(
    ranks: &mut Ranks,
    strings: &SharedInterner,
    label_json: &[Arc<[u8]>],
    parts: &[&[SummaryRow]],
    extra: &[u32],
) {
    let rows = || parts.iter().flat_map(|p| p.iter());
    let string_ids = rows().flat_map(|r| {
        [
            r.namespace,
            r.node,
            r.persistentvolumeclaim,
            r.persistentvolume,
            r.resource_id,
        ]
    });
    let label_ids = rows().flat_map(|r| [r.pod_labels, r.volume_labels]);
    let string_ids = extra.iter().copied().chain(string_ids);
    ranks.update(strings, label_json, string_ids, label_ids);
}

/// Sorts rows into the output order; every id they hold must be ranked in `ranks`. Equal keys
/// keep their order.
///
/// The keys are sorted with each row's index, then the rows are moved along the permutation's
/// cycles, each row once. `sort_by_cached_key` swaps instead (three moves of a 350-byte row per
/// step): its memmove was 1% of a run's CPU at L.
pub fn sort_rows(rows: &mut [SummaryRow], ranks: &Ranks) {
    let keys = rows.iter().enumerate();
    let mut keyed: Vec<((u128, u128, u64), u32)> =
        keys.map(|(i, r)| (sort_key(r, ranks), i as u32)).collect();
    keyed.sort_unstable();
    let mut source: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(rows, &mut source);
}

/// Moves `rows[source[i]]` to `rows[i]` for every `i`, one cycle at a time; `source` is left
/// marking every position done.
fn permute(rows: &mut [SummaryRow], source: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for start in 0..rows.len() {
        if source[start] == DONE || source[start] as usize == start {
            continue;
        }
        let first = rows[start];
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut source[at], DONE) as usize;
            if from == start {
                rows[at] = first;
                break;
            }
            rows[at] = rows[from];
            at = from;
        }
    }
}

/// The output order of a row as integers: (day, source, namespace, node), (pod labels, volume
/// labels, pvc, pv), (resource id, cost category).
fn sort_key(r: &SummaryRow, ranks: &Ranks) -> (u128, u128, u64) {
    let s = |id: u32| u128::from(ranks.string(id));
    let l = |id: u32| u128::from(ranks.labels(id));
    let day = u128::from((r.day.0 as u32) ^ 0x8000_0000);
    let k0 = day << 96 | (r.data_source as u128) << 64 | s(r.namespace) << 32 | s(r.node);
    let k1 = l(r.pod_labels) << 96
        | l(r.volume_labels) << 64
        | s(r.persistentvolumeclaim) << 32
        | s(r.persistentvolume);
    let category = r
        .cost_category_id
        .map_or(0, |c| (i64::from(c) - i64::from(i32::MIN) + 1) as u64);
    (k0, k1, (s(r.resource_id) as u64) << 33 | category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{NULL_ID, NULL_SET};
    use crate::rows::DataSource;
    use crate::value::Day;

    /// The order Trino gives, written plainly: compare the text of each key, NULL first.
    fn reference_key(r: &SummaryRow, strings: &SharedInterner, json: &[Arc<[u8]>]) -> impl Ord {
        let s = |id: u32| (id != NULL_ID).then(|| strings.get(id).to_vec());
        let l = |id: u32| (id != NULL_SET).then(|| json[id as usize].clone());
        (
            (r.day, r.data_source, s(r.namespace), s(r.node)),
            (l(r.pod_labels), l(r.volume_labels)),
            (s(r.persistentvolumeclaim), s(r.persistentvolume)),
            (s(r.resource_id), r.cost_category_id),
        )
    }

    /// Rows with equal keys keep the order they came in, as `sort_by_cached_key` kept it.
    #[test]
    fn equal_keys_keep_their_order() {
        let strings = SharedInterner::new();
        let ns = [strings.intern(b"b"), strings.intern(b"a")];
        let json: Vec<Arc<[u8]>> = vec![b"{}".as_slice().into()];
        let day = Day::from_ymd(2026, 1, 1).unwrap();
        let rows: Vec<SummaryRow> = (0..40)
            .map(|k| {
                let mut r = SummaryRow::empty(DataSource::Pod, day);
                r.namespace = ns[k % 2];
                r.pod[0] = Some(k as f64).into();
                r
            })
            .collect();
        let mut ranks = Ranks::default();
        rank_rows(&mut ranks, &strings, &json, &[&rows], &[]);
        let mut ours = rows.clone();
        sort_rows(&mut ours, &ranks);
        let order: Vec<f64> = ours.iter().map(|r| r.pod[0].get().unwrap()).collect();
        let a = (1..40).step_by(2).map(f64::from);
        let b = (0..40).step_by(2).map(f64::from);
        assert_eq!(order, a.chain(b).collect::<Vec<_>>());
    }

    #[test]
    fn integer_keys_sort_like_the_text() {
        let strings = SharedInterner::new();
        // Interned out of byte order, so id order and text order differ.
        let ids: Vec<u32> = [b"b".as_ref(), b"a", b"", b"c", b"aa"]
            .iter()
            .map(|s| strings.intern(s))
            .collect();
        let json: Vec<Arc<[u8]>> = vec![
            b"{}".as_slice().into(),
            br#"{"z":"1"}"#.as_slice().into(),
            br#"{"a":"1"}"#.as_slice().into(),
        ];
        let pick = |k: usize| if k % 6 == 5 { NULL_ID } else { ids[k % 6 % 5] };
        let set = |k: usize| if k % 4 == 3 { NULL_SET } else { (k % 4) as u32 };
        let mut rows = Vec::new();
        for k in 0..400usize {
            let source = if k % 2 == 0 {
                DataSource::Pod
            } else {
                DataSource::Storage
            };
            let mut r =
                SummaryRow::empty(source, Day::from_ymd(2026, 1, 1 + (k % 3) as u32).unwrap());
            r.namespace = pick(k / 3);
            r.node = pick(k / 7);
            r.pod_labels = set(k / 5);
            r.volume_labels = set(k / 11);
            r.persistentvolumeclaim = pick(k / 13);
            r.resource_id = pick(k / 17);
            r.cost_category_id = [None, Some(-1), Some(2)][k % 3];
            rows.push(r);
        }
        let mut ranks = Ranks::default();
        rank_rows(&mut ranks, &strings, &json, &[&rows], &[]);
        let mut ours = rows.clone();
        sort_rows(&mut ours, &ranks);
        let mut reference = rows;
        reference.sort_by_cached_key(|r| reference_key(r, &strings, &json));
        let key = |r: &SummaryRow| reference_key(r, &strings, &json);
        assert!(ours.iter().map(key).eq(reference.iter().map(key)));
        // Whole rows, not only keys: every row moved once, none lost, ties in their first order.
        let whole = |r: &SummaryRow| format!("{r:?}");
        assert!(ours.iter().map(whole).eq(reference.iter().map(whole)));
    }
}
