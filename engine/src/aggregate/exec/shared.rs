//! A worker's side of a shared read ([`crate::plan::shared`]): the union of the host's and the
//! riders' columns, decoded once, and each table's view of it.
//!
//! A column two tables read with different string modes (the daily pod labels: label sets for
//! the summary, raw text for the VM temp table) is decoded once as raw string ids; the table
//! wanting label sets gets them through [`LabelSetCache`], the same `Catalog::resolve_labels` the
//! decoder would have called once per dictionary entry, memoised per worker by string id.

use super::RoleInput;
use crate::catalog::{Catalog, LabelCache, TextTable};
use crate::decode::rowgroup::{ColumnData, ColumnPlan};
use crate::decode::strings::StringMode;
use crate::error::{DecodeError, ReadError};
use crate::plan::inputs::{InputFile, Task};
use crate::plan::DecodeMode;

/// One table's columns within the union.
pub struct View {
    pub table: usize,
    /// For each of the table's columns: its union index, and whether raw string ids must become
    /// label-set ids on the way.
    pub columns: Vec<(usize, bool)>,
}

/// What a task decodes and who reads which part.
pub struct SharedRead {
    pub plans: Vec<ColumnPlan>,
    /// The host first, then its riders in order.
    pub views: Vec<View>,
}

impl SharedRead {
    /// The union of `task`'s host and rider columns. Columns on the same leaf with the same kind
    /// are read once; absent columns (no leaf) stay per table.
    pub fn new(inputs: &[RoleInput], task: &Task, decode: DecodeMode) -> Self {
        let tables = task.reads();
        let mut plans: Vec<ColumnPlan> = Vec::new();
        let mut wanted: Vec<Vec<(usize, StringMode)>> = Vec::new();
        for (table, file) in tables.clone() {
            let ri = &inputs[table];
            let columns = &ri.input.files[file].columns;
            let mut mine = Vec::with_capacity(columns.len());
            for (i, resolved) in columns.iter().enumerate() {
                let mode = match ri.role.label_columns().contains(&i) {
                    true => StringMode::Labels,
                    false => StringMode::Interned,
                };
                let same = |p: &ColumnPlan| {
                    resolved.leaf.is_some()
                        && p.resolved.leaf == resolved.leaf
                        && p.resolved.request.kind == resolved.request.kind
                };
                let at = match plans.iter().position(same) {
                    Some(u) if plans[u].string_mode != mode => {
                        plans[u].string_mode = StringMode::Interned;
                        u
                    }
                    Some(u) => u,
                    None => {
                        plans.push(ColumnPlan {
                            resolved: *resolved,
                            string_mode: mode,
                            decode,
                        });
                        plans.len() - 1
                    }
                };
                mine.push((at, mode));
            }
            wanted.push(mine);
        }
        let views = tables
            .zip(wanted)
            .map(|((table, _), mine)| View {
                table,
                columns: mine
                    .into_iter()
                    .map(|(u, mode)| (u, mode != plans[u].string_mode))
                    .collect(),
            })
            .collect();
        SharedRead { plans, views }
    }

    /// The union index of the column named `name`, if any table reads it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.plans
            .iter()
            .position(|p| p.resolved.request.name == name)
    }
}

/// The leaves `task` reads in `file` and its riders' files, each once: what read-ahead fetches.
pub fn task_leaves(inputs: &[RoleInput], task: &Task) -> Vec<usize> {
    let mut leaves: Vec<usize> = task
        .reads()
        .flat_map(|(t, f)| file_leaves(&inputs[t].input.files[f]))
        .collect();
    leaves.sort_unstable();
    leaves.dedup();
    leaves
}

fn file_leaves(file: &InputFile) -> impl Iterator<Item = usize> + '_ {
    file.columns.iter().filter_map(|c| c.leaf)
}

/// Raw string id → label-set id, per worker ([`Catalog::resolve_labels_cached`]).
#[derive(Default)]
pub struct LabelSetCache(LabelCache);

impl LabelSetCache {
    /// `out` = the label sets of the raw string ids `raw` (`NULL_SET` for NULL). `column` is
    /// the union index, for the error's location.
    pub fn resolve(
        &mut self,
        raw: &[u32],
        out: &mut Vec<u32>,
        catalog: &Catalog,
        column: usize,
    ) -> Result<(), ReadError> {
        out.clear();
        out.extend_from_slice(raw);
        catalog
            .resolve_labels_cached(TextTable::Strings, out, &mut self.0)
            .map_err(|b| ReadError::Column {
                column,
                source: DecodeError::Label {
                    preview: b.preview,
                    reason: b.reason,
                },
            })
    }
}

/// Moves the view's columns out of `union` into `out` (label columns resolved into fresh
/// buffers), for one table's aggregation; [`give_back`] returns them.
pub fn lend(
    view: &View,
    union: &mut [ColumnData],
    out: &mut Vec<ColumnData>,
    cache: &mut LabelSetCache,
    catalog: &Catalog,
) -> Result<(), ReadError> {
    out.clear();
    for &(u, resolve) in &view.columns {
        if !resolve {
            out.push(std::mem::take(&mut union[u]));
            continue;
        }
        let raw = &union[u];
        let mut sets = ColumnData {
            valid: raw.valid.clone(),
            ..ColumnData::default()
        };
        cache.resolve(&raw.ids, &mut sets.ids, catalog, u)?;
        out.push(sets);
    }
    Ok(())
}

/// Puts the columns [`lend`] moved back into `union`.
pub fn give_back(view: &View, union: &mut [ColumnData], lent: &mut Vec<ColumnData>) {
    for (&(u, resolve), column) in view.columns.iter().zip(lent.drain(..)) {
        if !resolve {
            union[u] = column;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::NULL_SET;
    use crate::test_util::{catalog, intern, label_set};

    #[test]
    fn cached_label_sets_equal_the_decoders_and_bad_json_names_the_column() {
        let cat = catalog(&["app"]);
        let texts = [
            Some(r#"{"app": "a", "x": "1"}"#),
            None,
            Some(r#"{"app": "b"}"#),
            Some("null"),
            Some(r#"{"x": "2"}"#),
        ];
        let raw: Vec<u32> = texts.iter().map(|t| intern(&cat, *t)).collect();
        // Twice over, so the second half is all hits.
        let rows: Vec<u32> = raw.iter().chain(&raw).rev().copied().collect();
        let mut cache = LabelSetCache::default();
        let mut got = Vec::new();
        cache.resolve(&rows, &mut got, &cat, 4).unwrap();
        let expected: Vec<u32> = texts
            .iter()
            .chain(&texts)
            .rev()
            .map(|t| label_set(&cat, *t))
            .collect();
        assert_eq!(got, expected);
        // NULL text and JSON null are the NULL set; the two apps differ.
        assert_eq!((got[3], got[1]), (NULL_SET, NULL_SET));
        assert_ne!(got[2], got[4]);

        let bad = intern(&cat, Some("{not json"));
        match cache.resolve(&[raw[0], bad], &mut got, &cat, 7) {
            Err(ReadError::Column {
                column: 7,
                source: DecodeError::Label { preview, .. },
            }) => assert_eq!(preview, "{not json"),
            other => panic!("{other:?}"),
        }
    }
}
