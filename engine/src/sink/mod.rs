//! Where output rows go: CSV, a binary COPY file, or PostgreSQL, all behind [`RowSink`].
//!
//! [`columns`] is the one list of written columns that every encoder and the DDL read;
//! [`batch_text`] copies out what one batch renders from, so a writer thread needs no lock.

pub mod batch_text;
pub mod columns;
pub mod csv;
mod direct;
pub mod gpu;
pub mod output;
mod output_file;
pub mod pgcopy;
pub mod postgres;
pub mod uuid;
pub mod vm;
pub mod writeback;

pub use batch_text::BatchText;
pub use output::{
    ClusterTableCounts, ClusterTablesWritten, GpuWritten, Produce, RowSink, SinkSummary,
};

use crate::error::{Error, SinkError};
use crate::plan::{OutputSpec, Plan};

/// Runs `produce` against the plan's output, and completes the output (rename, commit) only when
/// every batch was written.
pub fn stream_to_output(plan: &Plan, produce: &mut Produce<'_>) -> Result<SinkSummary, Error> {
    let path = match &plan.output {
        OutputSpec::CsvStdout => None,
        OutputSpec::CsvFile(p) => Some(p.as_path()),
        OutputSpec::PgCopyFile(p) => return write_pgcopy_file(p, plan, produce),
        OutputSpec::Postgres => {
            let spec = plan
                .db
                .as_ref()
                .ok_or_else(|| Error::options("--output postgres needs --database-url"))?;
            return postgres::load(
                spec,
                &plan.scope,
                &plan.constants,
                plan.switches.copy,
                produce,
            );
        }
    };
    let where_ = path.map_or("stdout".to_string(), |p| p.display().to_string());
    let fail = |e: std::io::Error| Error::from(SinkError::io(&where_, e));
    let output_io = plan.switches.output_io;
    let mut sink =
        csv::CsvSink::create(path, plan.limits.threads, where_.clone(), output_io).map_err(fail)?;
    produce(&mut sink)?;
    if sink.closed_pipe() {
        return Ok(Default::default());
    }
    match sink.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Default::default()),
        r => r.map_err(fail),
    }
}

/// The binary COPY stream in a file, written under a temporary name and renamed when complete.
fn write_pgcopy_file(
    path: &std::path::Path,
    plan: &Plan,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, Error> {
    let fail = |e: std::io::Error| Error::from(SinkError::io(path.display(), e));
    if csv::writes_in_place(path) {
        let file = std::fs::File::create(path).map_err(fail)?;
        let mut sink = pgcopy::CopySink::new(file, &plan.constants).map_err(fail)?;
        produce(&mut sink)?;
        return sink.finish().map(|(_, summary)| summary).map_err(fail);
    }
    let tmp = csv::tmp_name(path);
    let result = (|| {
        let file = output_file::OutputFile::create(&tmp, plan.switches.output_io).map_err(fail)?;
        let mut sink = pgcopy::CopySink::new(file, &plan.constants).map_err(fail)?;
        produce(&mut sink)?;
        let (file, summary) = sink.finish().map_err(fail)?;
        file.sync().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
