//! Decoding every flat column of a file, for `ocp-summary check` and the Parquet fuzz target.
//!
//! A run only decodes the columns it needs; `check` answers "would any run choke on this file?"
//! by pushing every supported column (INT64, INT96 timestamps, DOUBLE, BYTE_ARRAY; flat) through
//! the same page loop, with columns named `*_labels` parsed as Koku label JSON.

use super::rowgroup::{read_row_group, ColumnPlan, RowGroupData};
use super::strings::StringMode;
use super::DecodeStats;
use crate::catalog::Catalog;
use crate::error::{Error, FooterError, InputError};
use crate::plan::columns::{ColumnKind, ColumnRequest, ResolvedColumn};
use crate::source::footer::read_metadata;
use crate::source::{ObjectMeta, ObjectStore};
use ocp_summary_kernels::labels::EnabledKeys;
use parquet::basic::Type as PhysicalType;

/// What a clean file held.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProbeSummary {
    pub row_groups: usize,
    pub rows: u64,
    pub columns: usize,
    pub values: u64,
}

fn identity(v: i64) -> i64 {
    v
}

/// Decodes every supported column of every row group of `object`.
pub fn probe_object(store: &dyn ObjectStore, object: &ObjectMeta) -> Result<ProbeSummary, Error> {
    let location = store.describe(&object.key);
    let metadata = read_metadata(store, object).map_err(|e| match e {
        FooterError::Source(s) => Error::from(s),
        cause => Error::from(InputError::Footer { table: None, cause }),
    })?;
    let schema = metadata.file_metadata().schema_descr();
    let mut plans = Vec::new();
    let mut names = Vec::new();
    for leaf in 0..schema.num_columns() {
        let col = schema.column(leaf);
        if col.max_rep_level() > 0 || col.max_def_level() > 1 {
            continue;
        }
        let kind = match col.physical_type() {
            PhysicalType::INT64 | PhysicalType::INT96 => ColumnKind::Timestamp,
            PhysicalType::DOUBLE => ColumnKind::Double,
            PhysicalType::BYTE_ARRAY => ColumnKind::String,
            _ => continue,
        };
        let name = col.name().to_string();
        let labels = kind == ColumnKind::String && name.ends_with("_labels");
        plans.push(ColumnPlan {
            resolved: ResolvedColumn {
                request: ColumnRequest::required("column", kind),
                leaf: Some(leaf),
                max_def: col.max_def_level(),
                to_millis: identity,
                int96: col.physical_type() == PhysicalType::INT96,
            },
            string_mode: if labels {
                StringMode::Labels
            } else {
                StringMode::Interned
            },
            decode: crate::plan::DecodeMode::Kernels,
        });
        names.push(name);
    }
    let catalog = Catalog::new(EnabledKeys::new(std::iter::empty::<&[u8]>()));
    let mut data = RowGroupData::default();
    let mut stats = DecodeStats::default();
    let mut summary = ProbeSummary {
        columns: plans.len(),
        ..Default::default()
    };
    for rg in 0..metadata.num_row_groups() {
        // One column at a time, so an error names its column.
        for (plan, name) in plans.iter().zip(&names) {
            read_row_group(
                store,
                &object.key,
                object.size,
                metadata.row_group(rg),
                std::slice::from_ref(plan),
                &catalog,
                &mut data,
                &mut stats,
            )
            .map_err(|e| e.at(&location, rg, |_| name.clone()))?;
        }
        summary.row_groups += 1;
        summary.rows += metadata.row_group(rg).num_rows().max(0) as u64;
    }
    summary.values = stats.values;
    Ok(summary)
}
