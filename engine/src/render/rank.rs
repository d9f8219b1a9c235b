//! Byte-order ranks of strings and label sets, so a sort compares integers, not bytes.

use crate::catalog::{NULL_ID, NULL_SET};
use ocp_summary_kernels::intern::Interner;

/// 1-based ranks, in `key` order, of the distinct `ids` (< `n`); equal keys share a rank and
/// every other id gets 0, which is also NULL's rank.
pub fn ranks<'k>(n: usize, mut ids: Vec<u32>, key: impl Fn(u32) -> &'k [u8]) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (i, &id) in ids.iter().enumerate() {
        if i == 0 || key(ids[i - 1]) != key(id) {
            r += 1;
        }
        rank[id as usize] = r;
    }
    rank
}

/// The byte-order ranks of the string ids and label sets one batch sorts on.
pub struct Ranks {
    string_rank: Vec<u32>,
    label_rank: Vec<u32>,
}

impl Ranks {
    /// Ranks `string_ids` by their bytes in `strings` and `label_ids` by their JSON. NULL ids
    /// may be among them; they rank 0, before everything.
    pub fn new(
        strings: &Interner,
        label_json: &[Vec<u8>],
        mut string_ids: Vec<u32>,
        mut label_ids: Vec<u32>,
    ) -> Ranks {
        string_ids.retain(|&id| id != NULL_ID);
        label_ids.retain(|&id| id != NULL_SET);
        Ranks {
            string_rank: ranks(strings.len(), string_ids, |id| strings.get(id)),
            label_rank: ranks(label_json.len(), label_ids, |id| &label_json[id as usize]),
        }
    }

    /// The rank of a string id: 0 for NULL or an id that was not ranked.
    #[inline]
    pub fn string(&self, id: u32) -> u32 {
        match id {
            NULL_ID => 0,
            id => self.string_rank[id as usize],
        }
    }

    /// The rank of a label set id: 0 for NULL or a set that was not ranked.
    #[inline]
    pub fn labels(&self, id: u32) -> u32 {
        match id {
            NULL_SET => 0,
            id => self.label_rank[id as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_bytes_and_share_ties() {
        let keys: [&[u8]; 5] = [b"b", b"a", b"c", b"a", b"zz"];
        // Id 4 is not asked for and keeps rank 0.
        let r = ranks(5, vec![2, 0, 1, 3, 0], |id| keys[id as usize]);
        assert_eq!(r, [2, 1, 3, 1, 0]);
    }

    #[test]
    fn null_ranks_first() {
        let mut strings = Interner::new();
        let b = strings.intern(b"b");
        let a = strings.intern(b"a");
        let json = vec![b"{}".to_vec(), br#"{"a":"1"}"#.to_vec()];
        let r = Ranks::new(&strings, &json, vec![b, a, NULL_ID], vec![1, 0, NULL_SET]);
        assert_eq!((r.string(NULL_ID), r.string(a), r.string(b)), (0, 1, 2));
        assert_eq!((r.labels(NULL_SET), r.labels(1), r.labels(0)), (0, 1, 2));
    }
}
