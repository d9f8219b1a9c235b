//! The load of one run: one transaction that replaces the run's rows or leaves the old ones.

use super::{cluster, quote_ident, quote_literal, Target, SUMMARY_TABLE};
use crate::aggregate::cluster::ClusterRows;
use crate::database::{error_text, transient};
use crate::error::{Error, SinkError};
use crate::plan::{CopyFormat, DbSpec, InputScope, RowConstants};
use crate::render::RenderContext;
use crate::rows::gpu::GpuRow;
use crate::rows::SummaryRow;
use crate::sink::columns::COLUMNS;
use crate::sink::csv::CsvStream;
use crate::sink::gpu;
use crate::sink::output::{ClusterTablesWritten, GpuWritten, Produce, RowSink, SinkSummary};
use crate::sink::pgcopy::CopySink;
use crate::value::Day;
use postgres::{Client, CopyInWriter, Transaction};
use std::time::Duration;

/// What the transaction scopes its lock, delete and partition by.
struct Run<'a> {
    scope: &'a InputScope,
    constants: &'a RowConstants,
    format: CopyFormat,
}

enum Failure {
    Retry(String),
    Final(Error),
}

impl Failure {
    fn pg(target: &Target, what: &str, e: postgres::Error) -> Failure {
        if transient(&e) {
            Failure::Retry(format!("{what}: {}", error_text(&e)))
        } else {
            Failure::Final(target.error(what, &e))
        }
    }
}

/// Loads the rows of one run in one transaction, retrying it from the start on connection-class
/// failures. The rows stream into `COPY` as `produce` completes each batch of days, so computing
/// overlaps PostgreSQL's ingest; a retry runs `produce` again from the start.
pub fn load(
    spec: &DbSpec,
    scope: &InputScope,
    constants: &RowConstants,
    format: CopyFormat,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, Error> {
    let run = Run {
        scope,
        constants,
        format,
    };
    let target = Target::new(spec)?;
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        let mut client = target.connect()?;
        match load_once(&target, &mut client, &run, produce) {
            Ok(s) => {
                return Ok(SinkSummary {
                    retries: attempt as u64,
                    ..s
                })
            }
            Err(Failure::Retry(msg)) if attempt < target.retries => {
                attempt += 1;
                tracing::warn!(
                    "load into {} failed, retrying the transaction ({attempt} of {}) in {:.1} s: {msg}",
                    target.describe(),
                    target.retries,
                    delay.as_secs_f64()
                );
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(Failure::Retry(msg)) => {
                return Err(SinkError::Unavailable(format!(
                    "{} after {} retries: {msg}; the transaction was rolled back",
                    target.describe(),
                    attempt
                ))
                .into())
            }
            Err(Failure::Final(e)) => return Err(e),
        }
    }
}

fn load_once(
    target: &Target,
    client: &mut Client,
    run: &Run<'_>,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, Failure> {
    let rp = run.constants.report_period_id.ok_or_else(|| {
        Failure::Final(Error::options(
            "--report-period-id is required with a database",
        ))
    })?;
    let summary = target.table(SUMMARY_TABLE);
    let mut tx = client
        .transaction()
        .map_err(|e| Failure::pg(target, "begin", e))?;
    // One run per (schema, report period) at a time. A lock on the day range alone would let two
    // overlapping ranges interleave their deletes and copies and leave duplicates.
    let key = format!("ocp-summary:{}:{rp}", target.schema);
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key])
        .map_err(|e| Failure::pg(target, "advisory lock", e))?;

    let periods = target.table("reporting_ocpusagereportperiod");
    let found = tx
        .query(&format!("SELECT 1 FROM {periods} WHERE id = $1"), &[&rp])
        .map_err(|e| Failure::pg(target, &format!("reading {periods}"), e))?;
    if found.is_empty() {
        return Err(Failure::Final(Error::options(format!(
            "report period {rp} does not exist in {periods} of {}",
            target.describe()
        ))));
    }
    check_shape(target, &mut tx)?;
    ensure_partition(target, &mut tx, run.scope)?;

    let deleted = tx
        .execute(
            &format!(
                "DELETE FROM {summary} WHERE usage_start BETWEEN {} AND {} AND report_period_id = $1 \
                 AND (infrastructure_raw_cost IS NULL OR infrastructure_raw_cost = 0)",
                date_literal(run.scope.start),
                date_literal(run.scope.end)
            ),
            &[&rp],
        )
        .map_err(|e| Failure::pg(target, "delete", e))?;

    let mut sink = PgSink {
        target,
        constants: run.constants,
        range: (run.scope.start, run.scope.end),
        format: run.format,
        state: State::Before(&mut tx),
        failure: None,
    };
    if let Err(e) = produce(&mut sink) {
        return Err(sink.failure.take().unwrap_or(Failure::Final(e)));
    }
    let (copied, bytes) = sink.finish()?;
    tx.commit().map_err(|e| Failure::pg(target, "commit", e))?;
    tracing::info!(
        "{}: deleted {deleted} rows, copied {copied} rows ({bytes} bytes) into {summary}",
        target.describe()
    );
    Ok(SinkSummary {
        rows: copied,
        bytes,
        retries: 0,
    })
}

/// Where the load's sink is: before the COPY (statements can still run in the transaction), or
/// streaming into it.
enum State<'a, 'c> {
    Before(&'a mut Transaction<'c>),
    Copying(Stream<'a>),
    Failed,
}

/// The COPY stream in the run's format (`--copy`).
enum Stream<'a> {
    Binary(CopySink<CopyInWriter<'a>>),
    Text(CsvStream<CopyInWriter<'a>>),
}

impl<'a> Stream<'a> {
    fn write_error(&mut self) -> Option<std::io::Error> {
        match self {
            Stream::Binary(s) => s.write_error.take(),
            Stream::Text(s) => s.write_error.take(),
        }
    }

    fn finish(self) -> std::io::Result<(CopyInWriter<'a>, SinkSummary)> {
        match self {
            Stream::Binary(s) => s.finish(),
            Stream::Text(s) => s.finish(),
        }
    }
}

impl RowSink for Stream<'_> {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        match self {
            Stream::Binary(s) => s.write_batch(rows, ctx),
            Stream::Text(s) => s.write_batch(rows, ctx),
        }
    }
}

/// The sink of one load: the cluster tables first, when asked, then the summary rows through a
/// binary COPY that starts with the first batch.
struct PgSink<'a, 'c> {
    target: &'a Target,
    constants: &'a RowConstants,
    /// The run's first and last day.
    range: (Day, Day),
    format: CopyFormat,
    state: State<'a, 'c>,
    /// The classified cause of the last error returned to `produce`.
    failure: Option<Failure>,
}

impl<'a, 'c> PgSink<'a, 'c> {
    /// The error to return to `produce`; a retryable cause is kept for the load to see.
    fn fail(&mut self, failure: Failure) -> Error {
        match failure {
            Failure::Final(e) => e,
            Failure::Retry(msg) => {
                self.failure = Some(Failure::Retry(msg.clone()));
                SinkError::Unavailable(msg).into()
            }
        }
    }

    fn copying(&mut self) -> Result<&mut Stream<'a>, Failure> {
        if let State::Before(_) = self.state {
            let State::Before(tx) = std::mem::replace(&mut self.state, State::Failed) else {
                unreachable!()
            };
            let columns: Vec<String> = COLUMNS.iter().map(|c| quote_ident(c.name)).collect();
            let options = match self.format {
                CopyFormat::Binary => "FORMAT binary",
                CopyFormat::Text => "FORMAT csv, NULL '\\N'",
            };
            let copy = format!(
                "COPY {} ({}) FROM STDIN ({options})",
                self.target.table(SUMMARY_TABLE),
                columns.join(", ")
            );
            let writer = tx
                .copy_in(&copy)
                .map_err(|e| Failure::pg(self.target, "copy", e))?;
            let stream = match self.format {
                CopyFormat::Binary => Stream::Binary(
                    CopySink::new(writer, self.constants)
                        .map_err(|e| Failure::Final(Error::options(e.to_string())))?,
                ),
                CopyFormat::Text => Stream::Text(CsvStream::new(writer)),
            };
            self.state = State::Copying(stream);
        }
        match &mut self.state {
            State::Copying(sink) => Ok(sink),
            _ => Err(Failure::Final(SinkError::Stopped.into())),
        }
    }

    /// Ends the COPY, if it began: rows copied and bytes streamed.
    fn finish(self) -> Result<(u64, u64), Failure> {
        let target = self.target;
        match self.state {
            State::Copying(sink) => {
                let (writer, streamed) = sink.finish().map_err(|e| io_failure(target, e))?;
                let copied = writer
                    .finish()
                    .map_err(|e| Failure::pg(target, "copy", e))?;
                Ok((copied, streamed.bytes))
            }
            State::Before(_) => Ok((0, 0)),
            State::Failed => Err(Failure::Final(SinkError::Stopped.into())),
        }
    }
}

impl RowSink for PgSink<'_, '_> {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        let target = self.target;
        let sink = match self.copying() {
            Ok(sink) => sink,
            Err(f) => return Err(self.fail(f)),
        };
        match sink.write_batch(rows, ctx) {
            Ok(()) => Ok(()),
            Err(e) => match sink.write_error() {
                // A server error during COPY (a value too long, say) reaches us through the
                // writer: classified like any other, so data errors are not retried.
                Some(io) => Err(self.fail(io_failure(target, io))),
                None => Err(self.fail(Failure::Final(e))),
            },
        }
    }

    fn write_gpu_summary(&mut self, rows: &[GpuRow]) -> Result<Option<GpuWritten>, Error> {
        let (target, constants, range) = (self.target, self.constants, self.range);
        let State::Before(tx) = &mut self.state else {
            return Err(self.fail(Failure::Final(Error::options(
                "the GPU summary must be written before the first row",
            ))));
        };
        let missing = tx.query_one(
            "SELECT to_regclass($1) IS NULL",
            &[&target.table(gpu::TABLE)],
        );
        match missing.map(|r| r.get::<_, bool>(0)) {
            Ok(false) => {}
            Ok(true) => {
                return Err(self.fail(Failure::Final(
                    SinkError::Schema(format!(
                        "table {} does not exist in {} (create it with `ocp-summary init-db`, \
                         or pass --no-gpu-summary)",
                        target.table(gpu::TABLE),
                        target.describe()
                    ))
                    .into(),
                )))
            }
            Err(e) => return Err(self.fail(Failure::pg(target, "reading the GPU table", e))),
        }
        let written = (|| {
            if gpu::has_gpu_rate(target, tx, constants)? {
                return Ok(GpuWritten::CostModelPricesGpus);
            }
            gpu::write(target, tx, constants, range, rows).map(GpuWritten::Rows)
        })();
        let written = match written {
            Ok(w) => w,
            Err(e) => return Err(self.fail(Failure::pg(target, "writing the GPU summary", e))),
        };
        if let Err(f) = cluster::ensure_provider_row(target, tx, constants) {
            return Err(self.fail(Failure::pg(target, &f.what, f.error)));
        }
        Ok(Some(written))
    }

    fn write_cluster_tables(
        &mut self,
        rows: &ClusterRows,
    ) -> Result<Option<ClusterTablesWritten>, Error> {
        let State::Before(tx) = &mut self.state else {
            return Err(self.fail(Failure::Final(Error::options(
                "the cluster tables must be written before the first row",
            ))));
        };
        match write_cluster_tables(self.target, tx, self.constants, rows) {
            Ok(written) => Ok(Some(written)),
            Err(f) => Err(self.fail(f)),
        }
    }
}

/// The cluster tables and the roles read back, inside the load's transaction.
fn write_cluster_tables(
    target: &Target,
    tx: &mut Transaction<'_>,
    constants: &RowConstants,
    rows: &ClusterRows,
) -> Result<ClusterTablesWritten, Failure> {
    let pg = |f: cluster::Failed| Failure::pg(target, &f.what, f.error);
    if let Some(table) = cluster::missing_table(target, tx).map_err(pg)? {
        return Err(Failure::Final(cluster::missing_error(target, &table)));
    }
    let counts = cluster::write(target, tx, constants, rows).map_err(pg)?;
    let node_roles = cluster::node_roles(target, tx).map_err(pg)?;
    tracing::info!("{}: {}", target.describe(), counts.describe());
    Ok(ClusterTablesWritten { counts, node_roles })
}

fn io_failure(target: &Target, e: std::io::Error) -> Failure {
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<postgres::Error>());
    match inner {
        Some(pg) if !transient(pg) => Failure::Final(target.error("copy", pg)),
        _ => Failure::Retry(format!("copy: {e}")),
    }
}

fn date_literal(d: Day) -> String {
    format!("DATE '{d}'")
}

/// Every column we write must exist with a type the binary stream fits; the message names it.
fn check_shape(target: &Target, tx: &mut postgres::Transaction<'_>) -> Result<(), Failure> {
    let summary = target.table(SUMMARY_TABLE);
    let rows = tx
        .query(
            "SELECT a.attname::text, t.typname::text FROM pg_attribute a \
             JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&summary],
        )
        .map_err(|e| Failure::pg(target, "reading the table shape", e))?;
    if rows.is_empty() {
        return Err(Failure::Final(
            SinkError::Schema(format!(
                "table {summary} does not exist in {} (create it with `ocp-summary init-db`)",
                target.describe()
            ))
            .into(),
        ));
    }
    let have: std::collections::HashMap<String, String> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for col in COLUMNS {
        let name = col.name;
        let expected = col.pg_type.accepted_typnames();
        let problem = match have.get(name) {
            None => format!("table {summary} has no column {name} (spec §10.1)"),
            Some(t) if !expected.contains(&t.as_str()) => format!(
                "table {summary}: column {name} has type {t}, expected {} (spec §10.1)",
                expected.join(" or ")
            ),
            Some(_) => continue,
        };
        return Err(Failure::Final(SinkError::Schema(problem).into()));
    }
    Ok(())
}

/// Creates `<table>_YYYY_MM` for the run's month when the table is partitioned and no partition of
/// that name exists. Skipped when the default partition already holds rows of the month (creating it
/// would fail; the rows keep going to the default partition) or when another partition covers the
/// month (the CREATE fails inside a savepoint and is ignored).
fn ensure_partition(
    target: &Target,
    tx: &mut postgres::Transaction<'_>,
    scope: &InputScope,
) -> Result<(), Failure> {
    let summary = target.table(SUMMARY_TABLE);
    let name = format!("{SUMMARY_TABLE}_{:04}_{:02}", scope.year, scope.month);
    let partition = target.table(&name);
    let state = tx
        .query_one(
            "SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)), \
                    to_regclass($2) IS NOT NULL, to_regclass($3) IS NOT NULL",
            &[
                &summary,
                &partition,
                &target.table(&format!("{SUMMARY_TABLE}_default")),
            ],
        )
        .map_err(|e| Failure::pg(target, "reading partitions", e))?;
    let kind: Option<String> = state.get(0);
    let (exists, has_default): (bool, bool) = (state.get(1), state.get(2));
    if kind.as_deref() != Some("p") || exists {
        return Ok(());
    }
    let first = Day::from_ymd(scope.year, scope.month, 1).expect("valid month");
    let (ny, nm) = if scope.month == 12 {
        (scope.year + 1, 1)
    } else {
        (scope.year, scope.month + 1)
    };
    let next = Day::from_ymd(ny, nm, 1).expect("valid month");
    if has_default {
        let default = target.table(&format!("{SUMMARY_TABLE}_default"));
        let busy: bool = tx
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {default} WHERE usage_start >= {} AND usage_start < {})",
                    date_literal(first),
                    date_literal(next)
                ),
                &[],
            )
            .map_err(|e| Failure::pg(target, "reading the default partition", e))?
            .get(0);
        if busy {
            tracing::warn!("{default} holds rows of {}-{:02}: not creating {partition}; rows go to the default partition", scope.year, scope.month);
            return Ok(());
        }
    }
    let mut sp = tx
        .transaction()
        .map_err(|e| Failure::pg(target, "savepoint", e))?;
    let created = sp.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {partition} PARTITION OF {summary} FOR VALUES FROM ({}) TO ({})",
        quote_literal(&first.to_string()),
        quote_literal(&next.to_string())
    ));
    match created {
        Ok(()) => sp
            .commit()
            .map_err(|e| Failure::pg(target, "release savepoint", e)),
        Err(e) if !transient(&e) => {
            tracing::warn!(
                "not creating {partition}: {}; rows go to the existing partitions",
                error_text(&e)
            );
            sp.rollback()
                .map_err(|e| Failure::pg(target, "rollback to savepoint", e))
        }
        Err(e) => Err(Failure::pg(target, "create partition", e)),
    }
}
