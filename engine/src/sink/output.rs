//! The sink trait: what every output (CSV, binary COPY file, PostgreSQL) takes.

use crate::error::Error;
use crate::render::RenderContext;
use crate::rows::SummaryRow;

/// Rows and bytes a sink wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkSummary {
    pub rows: u64,
    pub bytes: u64,
}

/// A destination that takes sorted rows one batch of complete days at a time.
pub trait RowSink {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error>;
}

/// What produces a run's rows: called with the output, it writes every batch into it. A database
/// load calls it again from the start when the transaction has to be retried.
pub type Produce<'a> = dyn FnMut(&mut (dyn RowSink + Send)) -> Result<(), Error> + 'a;
