//! A lock-free copy of the text one batch renders from.

use crate::catalog::{NULL_ID, NULL_SET};
use crate::plan::RowConstants;
use crate::render::{text, RenderContext};
use crate::rows::SummaryRow;
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::sync::Arc;

/// The previous batch's label sets as CSV fields, by the run's set id. Only one batch's sets are
/// kept: a run-wide table of the text was the largest at XL (125k sets), and consecutive days
/// share most. The index is dense (16 bytes per set id of the run, 2 MB at XL): rebuilding a hash
/// map of each batch's sets was 1.7% of a run's CPU with all kinds.
#[derive(Default)]
pub struct QuotedLabels {
    /// By run set id; `Some` only for the ids in `held`.
    by_set: Vec<Option<Arc<[u8]>>>,
    /// The run set ids held: the last batch's.
    held: Vec<u32>,
}

impl QuotedLabels {
    fn get(&self, id: u32) -> Option<&Arc<[u8]>> {
        self.by_set.get(id as usize)?.as_ref()
    }

    /// Holds exactly the sets `ids` (with their `fields`), letting go of the batch before's.
    fn hold(&mut self, ids: &[u32], fields: &[Arc<[u8]>]) {
        for &id in &self.held {
            self.by_set[id as usize] = None;
        }
        let end = ids.iter().max().map_or(0, |&id| id as usize + 1);
        if end > self.by_set.len() {
            self.by_set.resize(end, None);
        }
        for (&id, field) in ids.iter().zip(fields) {
            self.by_set[id as usize] = Some(Arc::clone(field));
        }
        self.held.clear();
        self.held.extend_from_slice(ids);
    }
}

/// Not yet given a batch id: ids run below `NULL_ID`, the largest `u32`, so this is never one.
const UNSEEN: u32 = NULL_ID;

/// The text one batch renders from, copied out of the run's tables. Rendering and writing then
/// need no lock, so the workers keep decoding (and interning) while a batch is written.
pub struct BatchText {
    strings: Interner,
    /// Shared with the run's [`crate::render::LabelJson`]: a clone is a reference count.
    label_json: Vec<Arc<[u8]>>,
    /// The same JSON as CSV fields (quoted, quotes doubled): every CSV row prints its labels
    /// twice, so each set used is quoted once per batch instead of twice per row. Kept per batch,
    /// not per run, because the run-wide copy was the largest table at XL (125k sets).
    label_csv: Vec<Arc<[u8]>>,
    /// The run's id of each set in `label_json`, so the next batch can reuse its quoted form.
    set_ids: Vec<u32>,
    /// Per string: no CSV quoting needed (filled by `context`, like `label_csv`).
    string_plain: Vec<bool>,
}

impl BatchText {
    /// Copies the strings and label sets `rows` use and renumbers the rows' ids to them.
    pub fn capture(
        rows: &mut [SummaryRow],
        strings: &SharedInterner,
        label_json: &[Arc<[u8]>],
    ) -> BatchText {
        let mut text = BatchText {
            strings: Interner::new(),
            label_json: Vec::new(),
            label_csv: Vec::new(),
            set_ids: Vec::new(),
            string_plain: Vec::new(),
        };
        // Global id → batch id, dense: a batch's rows look up six strings and two sets each, and
        // an indexed load is several times cheaper than a hash probe. The tables cost 4 bytes per
        // string and set of the run so far, once per batch.
        let mut local_strings = vec![UNSEEN; strings.len()];
        let mut local_sets = vec![UNSEEN; label_json.len()];
        let mut set = |text: &mut BatchText, id: u32| {
            let local = &mut local_sets[id as usize];
            if *local == UNSEEN {
                text.label_json.push(Arc::clone(&label_json[id as usize]));
                text.set_ids.push(id);
                *local = text.label_json.len() as u32 - 1;
            }
            *local
        };
        // Set 0 is the empty map, which `all_labels` names by id.
        set(&mut text, 0);
        for r in rows {
            for id in [
                &mut r.namespace,
                &mut r.node,
                &mut r.resource_id,
                &mut r.persistentvolumeclaim,
                &mut r.persistentvolume,
                &mut r.storageclass,
            ] {
                if *id != NULL_ID {
                    let local = &mut local_strings[*id as usize];
                    if *local == UNSEEN {
                        *local = text.strings.intern(strings.get(*id));
                    }
                    *id = *local;
                }
            }
            for id in [&mut r.pod_labels, &mut r.volume_labels] {
                if *id != NULL_SET {
                    *id = set(&mut text, *id);
                }
            }
        }
        text
    }

    /// A context that renders rows renumbered by [`BatchText::capture`]. First, once per batch,
    /// quotes the label sets as CSV fields and notes which strings need quoting: here, on the
    /// writer's thread, rather than in `capture` on the merging thread, which the workers wait on.
    ///
    /// Sets the batch before quoted are taken from `quoted` rather than quoted again (days share
    /// most of their pods); `quoted` then holds this batch's sets.
    pub fn context<'a>(
        &'a mut self,
        constants: &'a RowConstants,
        quoted: &mut QuotedLabels,
    ) -> RenderContext<'a> {
        for (json, id) in self
            .label_json
            .iter()
            .zip(&self.set_ids)
            .skip(self.label_csv.len())
        {
            let field = match quoted.get(*id) {
                Some(field) => Arc::clone(field),
                None => {
                    let mut field = Vec::with_capacity(json.len() + 8);
                    text::text(&mut field, json);
                    field.into()
                }
            };
            self.label_csv.push(field);
        }
        quoted.hold(&self.set_ids, &self.label_csv);
        for id in self.string_plain.len()..self.strings.len() {
            let plain = text::is_plain(self.strings.get(id as u32));
            self.string_plain.push(plain);
        }
        RenderContext {
            strings: &self.strings,
            label_json: &self.label_json,
            label_csv: &self.label_csv,
            string_plain: &self.string_plain,
            constants,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::DataSource;
    use crate::value::Day;

    #[test]
    fn capture_renumbers_ids_to_the_batchs_own_text() {
        let strings = SharedInterner::new();
        let unused = strings.intern(b"unused");
        let ns = strings.intern(b"ns,1");
        let json: Vec<Arc<[u8]>> = vec![
            b"{}".as_slice().into(),
            br#"{"a":"x"}"#.as_slice().into(),
            br#"{"b":"\"q"}"#.as_slice().into(),
        ];
        let mut r = SummaryRow::empty(DataSource::Pod, Day::from_ymd(2026, 1, 2).unwrap());
        r.namespace = ns;
        r.pod_labels = 2;
        let mut rows = vec![r, r];
        let mut text = BatchText::capture(&mut rows, &strings, &json);
        assert_ne!(unused, ns);
        let constants = RowConstants {
            report_period_id: None,
            cluster_id: "c".into(),
            cluster_alias: "c".into(),
            source_uuid: "s".into(),
        };
        let mut quoted = QuotedLabels::default();
        let ctx = text.context(&constants, &mut quoted);
        assert_eq!(ctx.strings.len(), 1, "only the strings the rows use");
        assert_eq!(ctx.strings.get(rows[0].namespace), b"ns,1");
        assert_eq!(rows[0].namespace, rows[1].namespace);
        // Set 0 (the empty map) is always there, for all_labels.
        assert_eq!(&*ctx.label_json[0], b"{}");
        assert_eq!(ctx.label_json[rows[0].pod_labels as usize], json[2]);
        assert_eq!(
            &*ctx.label_csv[rows[0].pod_labels as usize],
            br#""{""b"":""\""q""}""#
        );
        assert_eq!(rows[0].node, NULL_ID, "NULL stays NULL");
    }

    /// A set quoted for one batch is reused by the next under its new batch id, and a set the
    /// next batch adds is quoted afresh.
    #[test]
    fn quoted_sets_carry_over_to_the_next_batch_by_run_id() {
        let strings = SharedInterner::new();
        let json: Vec<Arc<[u8]>> = [&br#"{}"#[..], br#"{"a":"1"}"#, br#"{"b":"2"}"#]
            .into_iter()
            .map(Into::into)
            .collect();
        let constants = RowConstants {
            report_period_id: None,
            cluster_id: "c".into(),
            cluster_alias: "c".into(),
            source_uuid: "s".into(),
        };
        let row = |set: u32| {
            let mut r = SummaryRow::empty(DataSource::Pod, Day::from_ymd(2026, 1, 2).unwrap());
            r.pod_labels = set;
            r
        };
        let mut quoted = QuotedLabels::default();
        for sets in [vec![2], vec![1, 2], vec![2, 1], vec![1]] {
            let mut rows: Vec<SummaryRow> = sets.iter().map(|&s| row(s)).collect();
            let mut text = BatchText::capture(&mut rows, &strings, &json);
            let ctx = text.context(&constants, &mut quoted);
            for (r, &set) in rows.iter().zip(&sets) {
                let mut want = Vec::new();
                text::text(&mut want, &json[set as usize]);
                assert_eq!(&*ctx.label_csv[r.pod_labels as usize], &want[..]);
            }
            assert_eq!(
                quoted.by_set.iter().flatten().count(),
                sets.len() + 1,
                "this batch's sets and {{}}"
            );
        }
    }
}
