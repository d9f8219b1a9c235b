//! What a sink needs to turn one batch's ids back into text.

use crate::plan::RowConstants;
use ocp_summary_kernels::intern::Interner;
use std::sync::Arc;

/// The text of one batch's ids, and the values every row repeats.
pub struct RenderContext<'a> {
    pub strings: &'a Interner,
    /// Compact JSON of every label set, indexed by set id.
    pub label_json: &'a [Arc<[u8]>],
    /// The same JSON as CSV fields (quoted, quotes doubled), indexed by set id.
    pub label_csv: &'a [Arc<[u8]>],
    /// Per string id: the string is a CSV field as it stands ([`super::text::is_plain`]), so
    /// the CSV encoder copies it without scanning it for characters to quote on every row.
    pub string_plain: &'a [bool],
    pub constants: &'a RowConstants,
}
