//! Byte-order ranks of strings and label sets, so a sort compares integers, not bytes.
//!
//! The ranks are kept for the whole run and extended batch by batch: a day's rows mostly hold
//! the namespaces, nodes and label sets of the day before, so each batch compares only the ids
//! it is the first to hold (a binary search each into the ids ranked so far), instead of sorting
//! all of its ids by their bytes again. Ranks are only ever compared with each other, so a rank
//! may change from batch to batch as long as the order holds.

use crate::catalog::{NULL_ID, NULL_SET};
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::sync::Arc;

/// The byte-order ranks of every string id and label set the run's batches have sorted on.
#[derive(Default)]
pub struct Ranks {
    strings: RankedIds,
    labels: RankedIds,
}

impl Ranks {
    /// Ranks `string_ids` by their bytes in `strings` and `label_ids` by their JSON, besides
    /// the ids ranked before. NULL ids may be among them; they rank 0, before everything.
    pub fn update(
        &mut self,
        strings: &SharedInterner,
        label_json: &[Arc<[u8]>],
        string_ids: impl Iterator<Item = u32>,
        label_ids: impl Iterator<Item = u32>,
    ) {
        let string_ids = string_ids.filter(|&id| id != NULL_ID);
        self.strings.add(string_ids, |id| strings.get(id));
        let label_ids = label_ids.filter(|&id| id != NULL_SET);
        self.labels.add(label_ids, |id| &label_json[id as usize]);
    }

    /// The rank of a string id: 0 for NULL or an id that was never ranked.
    #[inline]
    pub fn string(&self, id: u32) -> u32 {
        match id {
            NULL_ID => 0,
            id => self.strings.rank(id),
        }
    }

    /// The rank of a label set id: 0 for NULL or a set that was never ranked.
    #[inline]
    pub fn labels(&self, id: u32) -> u32 {
        match id {
            NULL_SET => 0,
            id => self.labels.rank(id),
        }
    }
}

/// 1-based ranks of ids in the order of their keys; equal keys share a rank.
#[derive(Default)]
struct RankedIds {
    /// Every id ranked so far, in key order.
    order: Vec<u32>,
    /// Whether `order[i]`'s key equals `order[i - 1]`'s.
    tied: Vec<bool>,
    /// Rank by id; 0 for ids never ranked.
    rank: Vec<u32>,
    /// The ids a batch adds, and the order being built: reused from batch to batch.
    fresh: Vec<u32>,
    merged: Vec<u32>,
    merged_tied: Vec<bool>,
}

impl RankedIds {
    #[inline]
    fn rank(&self, id: u32) -> u32 {
        self.rank.get(id as usize).copied().unwrap_or(0)
    }

    /// Ranks the ids among `ids` not ranked before, re-numbering everything when there are any.
    fn add<'k>(&mut self, ids: impl Iterator<Item = u32>, key: impl Fn(u32) -> &'k [u8]) {
        let mut fresh = std::mem::take(&mut self.fresh);
        fresh.clear();
        fresh.extend(ids.filter(|&id| self.rank(id) == 0));
        if !fresh.is_empty() {
            fresh.sort_unstable();
            fresh.dedup();
            fresh.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
            self.merge(&fresh, &key);
            self.renumber();
        }
        self.fresh = fresh;
    }

    /// Merges the sorted `fresh` ids into `order`, marking ties where a fresh id meets its
    /// neighbours: two comparisons per fresh id, besides the binary search.
    fn merge<'k>(&mut self, fresh: &[u32], key: &impl Fn(u32) -> &'k [u8]) {
        let (merged, merged_tied) = (&mut self.merged, &mut self.merged_tied);
        merged.clear();
        merged_tied.clear();
        let mut from = 0;
        for &id in fresh {
            let k = key(id);
            // Before every old id with an equal key, so an old id never ends a run of ties
            // that a fresh id continues.
            let at = from + self.order[from..].partition_point(|&o| key(o) < k);
            merged.extend_from_slice(&self.order[from..at]);
            merged_tied.extend_from_slice(&self.tied[from..at]);
            let tied = merged.last().is_some_and(|&prev| key(prev) == k);
            merged.push(id);
            merged_tied.push(tied);
            if let Some(&next) = self.order.get(at) {
                // The old id after this one now follows it.
                self.tied[at] = key(next) == k;
            }
            from = at;
        }
        merged.extend_from_slice(&self.order[from..]);
        merged_tied.extend_from_slice(&self.tied[from..]);
        std::mem::swap(&mut self.order, merged);
        std::mem::swap(&mut self.tied, merged_tied);
    }

    fn renumber(&mut self) {
        let top = self.order.iter().max().map_or(0, |&m| m as usize + 1);
        if self.rank.len() < top {
            self.rank.resize(top, 0);
        }
        let mut r = 0u32;
        for (&id, &tied) in self.order.iter().zip(&self.tied) {
            r += u32::from(!tied);
            self.rank[id as usize] = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reference: sort every id of the batch by its key, equal keys in one group.
    fn reference_order(ids: &[u32], keys: &[Vec<u8>]) -> Vec<Vec<u32>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
        let mut groups: Vec<Vec<u32>> = Vec::new();
        for id in ids {
            match groups.last_mut() {
                Some(g) if keys[g[0] as usize] == keys[id as usize] => g.push(id),
                _ => groups.push(vec![id]),
            }
        }
        groups
    }

    /// Batches of ids drawn from few keys (so ties and repeats are common), each batch checked
    /// against the reference: ranks ascend strictly from one group of equal keys to the next
    /// and are equal within one.
    #[test]
    fn ranks_kept_across_batches_order_like_sorting_each_batch() {
        let mut seed = 0x9e37_79b9_u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let words = [&b"a"[..], b"ab", b"b", b"", b"ba", b"abc", b"b"];
        let keys: Vec<Vec<u8>> = (0..300)
            .map(|_| words[next(7) as usize].repeat(1 + next(3) as usize))
            .collect();
        let mut ranked = RankedIds::default();
        for batch in 0..40 {
            let len = 1 + next(if batch % 5 == 0 { 200 } else { 20 }) as usize;
            let ids: Vec<u32> = (0..len).map(|_| next(300) as u32).collect();
            ranked.add(ids.iter().copied(), |id| &keys[id as usize]);
            let mut last = 0;
            for g in reference_order(&ids, &keys) {
                let r = ranked.rank(g[0]);
                assert!(r > last, "batch {batch}: ranks ascend with the keys");
                assert!(
                    g.iter().all(|&id| ranked.rank(id) == r),
                    "batch {batch}: equal keys share a rank"
                );
                last = r;
            }
        }
    }

    #[test]
    fn null_ranks_first() {
        let strings = SharedInterner::new();
        let b = strings.intern(b"b");
        let a = strings.intern(b"a");
        let json: Vec<Arc<[u8]>> = vec![b"{}".as_slice().into(), br#"{"a":"1"}"#.as_slice().into()];
        let mut r = Ranks::default();
        r.update(
            &strings,
            &json,
            [b, NULL_ID].into_iter(),
            [1, NULL_SET].into_iter(),
        );
        r.update(&strings, &json, [a].into_iter(), [0].into_iter());
        assert_eq!((r.string(NULL_ID), r.string(a), r.string(b)), (0, 1, 2));
        assert_eq!((r.labels(NULL_SET), r.labels(1), r.labels(0)), (0, 1, 2));
    }
}
