//! PostgreSQL's binary `COPY` format (`COPY ... FROM STDIN (FORMAT binary)`), encoded straight from
//! [`SummaryRow`]s.
//!
//! The stream is the 11-byte signature `PGCOPY\n\377\r\n\0`, a flags word and a header-extension
//! length (both 0), then one tuple per row: an i16 field count and, per field, an i32 byte length
//! (-1 for NULL) and the type's binary `send` form; a -1 field count ends it. All integers are
//! big-endian. Column order and types follow [`super::columns::COLUMNS`] and spec §10.1:
//!
//! | type | bytes |
//! |---|---|
//! | uuid | 16 raw bytes (random v4 for `uuid`, the plan's source for `source_uuid`) |
//! | int4 | 4 |
//! | varchar/text | UTF-8 |
//! | date | i32 days since 2000-01-01 |
//! | jsonb | version byte 1, then the JSON text |
//! | numeric | ndigits, weight, sign, dscale (i16 each), then base-10000 digits |
//!
//! Numbers become numeric(33,15) as Trino's DOUBLE→DECIMAL cast does (spec §11): the double's shortest
//! round-trip decimal, rounded half-up to 15 fractional digits. That rounding and its base-10000
//! digits are the `numeric` module's, apart from the tuple layout here, because the fuzz targets
//! and the tests check them on their own. The tests read streams back with the test-only `decode`
//! module.

mod numeric;
pub use numeric::{scaled, write_numeric, SCALE};

use super::columns::{Value, COLUMNS};
use super::output::{RowSink, SinkSummary};
use super::uuid::UuidGen;
use crate::catalog::{NULL_ID, NULL_SET};
use crate::error::{Error, InputError, SinkError};
use crate::plan::RowConstants;
use crate::render::{RenderContext, INFRASTRUCTURE_USAGE_COST};
use crate::rows::SummaryRow;
use crate::value::OptF64;
use std::io::Write;

/// The 11-byte signature, flags and header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a tuple with field count -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// `Day` counts from 1970-01-01, PostgreSQL dates from 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

/// A value the binary format cannot carry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("the value {0} does not fit numeric(33,15)")]
    Numeric(f64),
    #[error("source {0:?} is not a uuid (source_uuid is a uuid column)")]
    SourceUuid(String),
}

/// Parses `8-4-4-4-12` hex (case-insensitive, braces and hyphens optional) into 16 bytes.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s
        .trim_matches(|c| c == '{' || c == '}')
        .bytes()
        .filter(|&c| c != b'-')
        .collect();
    if hex.len() != 32 {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as i32).to_be_bytes());
    out.extend_from_slice(b);
}

fn jsonb(out: &mut Vec<u8>, json: &[u8]) {
    out.extend_from_slice(&(json.len() as i32 + 1).to_be_bytes());
    out.push(1);
    out.extend_from_slice(json);
}

fn int4(out: &mut Vec<u8>, v: Option<i32>) {
    match v {
        Some(v) => {
            out.extend_from_slice(&4i32.to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        None => null(out),
    }
}

fn numeric(out: &mut Vec<u8>, v: OptF64) -> Result<(), EncodeError> {
    match v.get() {
        Some(v) => write_numeric(v, out),
        None => {
            null(out);
            Ok(())
        }
    }
}

/// Encodes rows as binary COPY tuples; the caller writes [`HEADER`] first and [`TRAILER`] last.
pub struct PgCopyEncoder {
    uuids: UuidGen,
    source_uuid: [u8; 16],
}

impl PgCopyEncoder {
    pub fn new(constants: &RowConstants) -> Result<Self, EncodeError> {
        let source = &constants.source_uuid;
        let source_uuid =
            parse_uuid(source).ok_or_else(|| EncodeError::SourceUuid(source.clone()))?;
        Ok(PgCopyEncoder {
            uuids: UuidGen::new(),
            source_uuid,
        })
    }

    /// Appends one tuple. On error `out` may hold a partial tuple; the stream must be abandoned.
    pub fn row(
        &mut self,
        r: &SummaryRow,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let run = RunFields {
            constants: ctx.constants,
            source_uuid: self.source_uuid,
        };
        encode_row(
            r,
            self.uuids.next_bytes(),
            &run,
            |id| ctx.strings.get(id),
            |id| &*ctx.label_json[id as usize],
            out,
        )
    }
}

/// A binary COPY stream into any writer (a file, or PostgreSQL's `COPY ... FROM STDIN`), batch by
/// batch: [`HEADER`] first, tuples in 64 KiB writes, [`TRAILER`] on [`CopySink::finish`].
pub struct CopySink<W: Write> {
    out: W,
    encoder: PgCopyEncoder,
    buf: Vec<u8>,
    summary: SinkSummary,
    /// The first write error, kept whole so a database load can tell a dropped connection
    /// (retry) from a rejected value (give up).
    pub write_error: Option<std::io::Error>,
}

impl<W: Write> CopySink<W> {
    /// Fails with `InvalidInput` when the run's source is not a uuid.
    pub fn new(out: W, constants: &RowConstants) -> std::io::Result<Self> {
        let encoder = PgCopyEncoder::new(constants)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut buf = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(HEADER);
        Ok(CopySink {
            out,
            encoder,
            buf,
            summary: SinkSummary::default(),
            write_error: None,
        })
    }

    fn flush_buf(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.summary.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the trailer and hands back the writer.
    pub fn finish(mut self) -> std::io::Result<(W, SinkSummary)> {
        self.buf.extend_from_slice(TRAILER);
        self.flush_buf()?;
        self.out.flush()?;
        Ok((self.out, self.summary))
    }
}

impl<W: Write> RowSink for CopySink<W> {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        for row in rows {
            self.encoder
                .row(row, ctx, &mut self.buf)
                .map_err(|e| InputError::Data(format!("{e}; nothing was written")))?;
            self.summary.rows += 1;
            if self.buf.len() >= 1 << 16 {
                if let Err(e) = self.flush_buf() {
                    let reported = std::io::Error::new(e.kind(), e.to_string());
                    self.write_error = Some(e);
                    return Err(SinkError::io("binary COPY stream", reported).into());
                }
            }
        }
        Ok(())
    }
}

/// The values every tuple of a run repeats, with the source uuid parsed once.
#[derive(Debug, Clone)]
pub struct RunFields<'a> {
    pub constants: &'a RowConstants,
    pub source_uuid: [u8; 16],
}

/// Appends the tuple of `r` (field count, then the fields of [`COLUMNS`]) with `uuid` as its
/// uuid. `string` gives the bytes of a string id and `label_json` the compact JSON of a label
/// set id; neither is asked for `NULL_ID` / `NULL_SET`. On error `out` may hold a partial tuple.
/// [`PgCopyEncoder::row`] is this with the run's catalog; it is public for the fuzz target.
pub fn encode_row<'s>(
    r: &SummaryRow,
    uuid: [u8; 16],
    run: &RunFields<'_>,
    string: impl Fn(u32) -> &'s [u8],
    label_json: impl Fn(u32) -> &'s [u8],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let c = run.constants;
    out.extend_from_slice(&(COLUMNS.len() as i16).to_be_bytes());
    for column in COLUMNS {
        match column.value {
            Value::RowUuid => bytes(out, &uuid),
            Value::ReportPeriodId => int4(out, c.report_period_id),
            Value::ClusterId => bytes(out, c.cluster_id.as_bytes()),
            Value::ClusterAlias => bytes(out, c.cluster_alias.as_bytes()),
            Value::DataSource => bytes(out, r.data_source.as_str().as_bytes()),
            Value::Day => {
                out.extend_from_slice(&4i32.to_be_bytes());
                out.extend_from_slice(&(r.day.0 - PG_EPOCH_DAYS).to_be_bytes());
            }
            Value::String(field) => match field(r) {
                NULL_ID => null(out),
                id => bytes(out, string(id)),
            },
            Value::Labels(field) => match field(r) {
                NULL_SET => null(out),
                id => jsonb(out, label_json(id)),
            },
            Value::Numeric(field) => numeric(out, field(r))?,
            Value::SourceUuid => bytes(out, &run.source_uuid),
            Value::InfrastructureUsageCost if r.has_infrastructure_usage_cost => {
                jsonb(out, INFRASTRUCTURE_USAGE_COST.as_bytes())
            }
            Value::InfrastructureUsageCost => null(out),
            Value::CostCategoryId => int4(out, r.cost_category_id),
        }
    }
    Ok(())
}

#[cfg(test)]
pub mod decode;

#[cfg(test)]
mod tests;
