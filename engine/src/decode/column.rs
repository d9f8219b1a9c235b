//! What both decoders share: how a column is to be decoded ([`ColumnPlan`]) and what comes out
//! ([`ColumnData`]). Kept apart so the page kernels ([`super::rowgroup`]) and the parquet crate's
//! readers ([`super::reference`]) depend on it, not on each other.

use super::strings::StringMode;
use crate::plan::columns::ResolvedColumn;
use crate::plan::DecodeMode;
use ocp_summary_kernels::validity::Validity;

/// One decoded column. Absent columns are all NULL.
#[derive(Default)]
pub struct ColumnData {
    pub ids: Vec<u32>,
    pub f64s: Vec<f64>,
    pub i64s: Vec<i64>,
    pub valid: Validity,
}

/// Options a column is decoded with.
#[derive(Debug, Clone, Copy)]
pub struct ColumnPlan {
    pub resolved: ResolvedColumn,
    pub string_mode: StringMode,
    /// Our page kernels or the parquet crate's readers (`--decode`).
    pub decode: DecodeMode,
}
