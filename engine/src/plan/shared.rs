//! One read of a row group for every table that wants it.
//!
//! Several roles read the same Parquet: the daily pod table feeds the summary's Pod rows, the
//! volume→node mapping and the VM temp table; the daily storage table feeds the Storage rows and
//! the VM temp table. Read as separate tasks, each fetches, decompresses and interns the same
//! chunks again (at L the VM step's second pass over the daily pod labels cost a sixth of the
//! run). [`share_reads`] folds a task into another task reading the same row group of the same
//! object, as a [`Rider`]: the worker then fetches the union of their columns once and hands each
//! table its own columns.

use super::inputs::{Rider, TableInput, Task};
use std::collections::HashMap;

impl Task {
    /// (table, file) of every table this task reads: itself, then its riders.
    pub fn reads(&self) -> impl Iterator<Item = (usize, usize)> + Clone + '_ {
        let riders = self.riders.iter().map(|r| (r.table, r.file));
        std::iter::once((self.table, self.file)).chain(riders)
    }
}

/// Folds each task of a table `may_ride` accepts into a task of a table `may_host` accepts that
/// reads the same row group of the same object. Tasks with no such host (another day range, a
/// file only one table lists, a full host) stay as they are. Task numbers are left for
/// [`super::inputs::order_by_day`] to redo.
pub fn share_reads(
    tasks: Vec<Task>,
    inputs: &[&TableInput],
    may_host: impl Fn(usize) -> bool,
    may_ride: impl Fn(usize) -> bool,
) -> Vec<Task> {
    let key = |t: &Task| {
        (
            inputs[t.table].files[t.file].object.key.as_str(),
            t.row_group,
        )
    };
    let mut hosts: HashMap<(&str, usize), usize> = HashMap::new();
    for (i, t) in tasks.iter().enumerate() {
        if may_host(t.table) {
            hosts.entry(key(t)).or_insert(i);
        }
    }
    let mut out = tasks.clone();
    let mut folded = vec![false; tasks.len()];
    for (i, t) in tasks.iter().enumerate() {
        if !may_ride(t.table) || may_host(t.table) {
            continue;
        }
        let Some(&h) = hosts.get(&key(t)) else {
            continue;
        };
        let rider = Rider {
            table: t.table,
            file: t.file,
        };
        folded[i] = out[h].riders.push(rider);
    }
    out.into_iter()
        .zip(folded)
        .filter_map(|(t, gone)| (!gone).then_some(t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::inputs::InputFile;
    use crate::plan::inputs::Riders;
    use crate::source::layout::Table;
    use crate::source::ObjectMeta;
    use crate::value::date::Day;
    use parquet::file::metadata::{FileMetaData, ParquetMetaData};
    use parquet::schema::types::{SchemaDescriptor, Type};
    use std::sync::Arc;

    fn input(keys: &[&str]) -> TableInput {
        let schema = Arc::new(Type::group_type_builder("s").build().expect("schema"));
        let meta = FileMetaData::new(
            1,
            0,
            None,
            None,
            Arc::new(SchemaDescriptor::new(schema)),
            None,
        );
        let metadata = Arc::new(ParquetMetaData::new(meta, Vec::new()));
        TableInput {
            table: Table::POD_DAILY,
            files: keys
                .iter()
                .map(|k| InputFile {
                    object: ObjectMeta {
                        key: k.to_string(),
                        size: 0,
                    },
                    location: k.to_string(),
                    metadata: metadata.clone(),
                    columns: Vec::new(),
                })
                .collect(),
            row_groups_total: 0,
            row_groups_selected: 0,
            bytes_selected: 0,
            partition_found: true,
        }
    }

    fn task(table: usize, file: usize, row_group: usize) -> Task {
        Task {
            seq: 0,
            table,
            file,
            row_group,
            first_day: Day(0),
            riders: Riders::default(),
        }
    }

    #[test]
    fn riders_join_the_host_reading_the_same_row_group_and_the_rest_stay() {
        // Table 0 hosts; tables 1 and 2 may ride. Table 1 lists a.parquet second.
        let (t0, t1, t2) = (input(&["a", "b"]), input(&["c", "a"]), input(&["b"]));
        let inputs = [&t0, &t1, &t2];
        let tasks = vec![
            task(0, 0, 0),
            task(0, 1, 0),
            task(1, 1, 0), // a#0: rides on task 0
            task(1, 1, 1), // a#1: no host reads it
            task(1, 0, 0), // c#0: no host
            task(2, 0, 0), // b#0: rides on task 1
        ];
        let out = share_reads(tasks, &inputs, |t| t == 0, |t| t != 0);
        let shape: Vec<(usize, usize, usize, Vec<Rider>)> = out
            .iter()
            .map(|t| (t.table, t.file, t.row_group, t.riders.iter().collect()))
            .collect();
        let rider = |table, file| Rider { table, file };
        assert_eq!(
            shape,
            vec![
                (0, 0, 0, vec![rider(1, 1)]),
                (0, 1, 0, vec![rider(2, 0)]),
                (1, 1, 1, vec![]),
                (1, 0, 0, vec![]),
            ]
        );
    }

    #[test]
    fn a_full_host_leaves_the_rest_standalone() {
        let t = input(&["a"]);
        let inputs = [&t, &t, &t, &t, &t];
        let tasks = (0..5).map(|table| task(table, 0, 0)).collect();
        let out = share_reads(tasks, &inputs, |t| t == 0, |_| true);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].riders.len(), Riders::MAX);
        assert_eq!((out[1].table, out[1].riders.len()), (4, 0));
    }
}
