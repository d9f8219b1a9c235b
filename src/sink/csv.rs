//! CSV output in PostgreSQL's `COPY ... (FORMAT csv, NULL '\N', HEADER)` dialect.
//!
//! NULL is an unquoted `\N`; strings that could be mistaken for it, empty strings, and anything with
//! a comma, quote or line break are quoted. Floats use the shortest text that round-trips (ryu), so
//! no precision is lost before PostgreSQL rounds to numeric(33,15). A file is written to a
//! temporary name and renamed at the end, so a failed run leaves no partial output.

use super::uuid::UuidGen;
use super::{RenderContext, SinkSummary, COLUMNS, INFRASTRUCTURE_USAGE_COST};
use crate::catalog::{NULL_ID, NULL_SET};
use crate::rows::SummaryRow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn write_uuid(b: [u8; 16], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 15) as usize]);
    }
}

/// Renders rows as CSV lines into a buffer; the caller decides where bytes go.
pub struct CsvEncoder {
    uuids: UuidGen,
    line: Vec<u8>,
}

impl Default for CsvEncoder {
    fn default() -> Self {
        CsvEncoder {
            uuids: UuidGen::new(),
            line: Vec::with_capacity(1024),
        }
    }
}

fn sep(out: &mut Vec<u8>) {
    out.push(b',');
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

pub(super) fn text(out: &mut Vec<u8>, s: &[u8]) {
    let plain = !s.is_empty()
        && s != b"\\N"
        && !s.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
    if plain {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    for &c in s {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

fn float(out: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) if v.is_finite() => {
            out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes())
        }
        Some(v) => out.extend_from_slice(if v.is_nan() {
            b"NaN"
        } else if v > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        }),
        None => null(out),
    }
}

fn int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        None => null(out),
    }
}

impl CsvEncoder {
    pub fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(COLUMNS.join(",").as_bytes());
        out.push(b'\n');
    }

    pub fn row(&mut self, r: &SummaryRow, ctx: &RenderContext<'_>) -> &[u8] {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.render(r, ctx, &mut line);
        self.line = line;
        &self.line
    }

    /// Appends one CSV line for `r` to `out`.
    fn render(&mut self, r: &SummaryRow, ctx: &RenderContext<'_>, out: &mut Vec<u8>) {
        let string = |out: &mut Vec<u8>, id: u32| {
            if id == NULL_ID {
                null(out)
            } else {
                text(out, ctx.strings.get(id))
            }
        };
        let labels = |out: &mut Vec<u8>, id: u32| {
            if id == NULL_SET {
                null(out)
            } else {
                out.extend_from_slice(&ctx.label_csv[id as usize])
            }
        };
        let plan = ctx.plan;
        write_uuid(self.uuids.next_bytes(), out);
        sep(out);
        int(out, plan.report_period_id.map(i64::from));
        sep(out);
        text(out, plan.cluster_id.as_bytes());
        sep(out);
        text(out, plan.cluster_alias.as_bytes());
        sep(out);
        text(out, r.data_source.as_str().as_bytes());
        for _ in 0..2 {
            sep(out);
            r.day.write_iso(out);
        }
        for id in [r.namespace, r.node, r.resource_id] {
            sep(out);
            string(out, id);
        }
        sep(out);
        labels(out, r.pod_labels);
        for v in r.pod {
            sep(out);
            float(out, v.get());
        }
        for v in r.capacities() {
            sep(out);
            float(out, v.get());
        }
        for id in [r.persistentvolumeclaim, r.persistentvolume, r.storageclass] {
            sep(out);
            string(out, id);
        }
        sep(out);
        labels(out, r.volume_labels);
        sep(out);
        labels(out, r.all_labels());
        for v in r.storage {
            sep(out);
            float(out, v.get());
        }
        sep(out);
        text(out, plan.source.as_bytes());
        sep(out);
        if r.has_infrastructure_usage_cost {
            text(out, INFRASTRUCTURE_USAGE_COST.as_bytes());
        } else {
            null(out);
        }
        sep(out);
        int(out, r.cost_category_id.map(i64::from));
        out.push(b'\n');
    }
}

/// Rows per parallel rendering chunk; each chunk has its own uuid stream.
const CHUNK_ROWS: usize = 4096;

/// The uuid stream of chunk `k`: the base seed plus the chunk index, mixed by splitmix64.
fn chunk_uuids(base: u64, k: usize) -> UuidGen {
    UuidGen::from_seed(UuidGen::from_seed(base.wrapping_add(k as u64)).next_u64())
}

fn render_chunk(rows: &[SummaryRow], ctx: &RenderContext<'_>, uuids: UuidGen, out: &mut Vec<u8>) {
    let mut encoder = CsvEncoder {
        uuids,
        line: Vec::new(),
    };
    out.clear();
    for r in rows {
        encoder.render(r, ctx, out);
    }
}

/// Writes rows to a file (through a temporary name) or to stdout.
pub struct CsvSink {
    writer: Box<dyn Write + Send>,
    target: Option<(PathBuf, PathBuf)>,
    encoder: CsvEncoder,
    summary: SinkSummary,
    buf: Vec<u8>,
    threads: usize,
    /// The output's name, for error messages.
    name: String,
    /// Set when a reader of stdout went away (`| head`): later batches are dropped quietly.
    closed: bool,
    /// Rendering buffers kept between batches, so each batch does not fault in fresh pages.
    spare: Vec<Vec<u8>>,
}

impl super::RowSink for CsvSink {
    fn write_batch(
        &mut self,
        rows: &[SummaryRow],
        ctx: &RenderContext<'_>,
    ) -> Result<(), crate::error::RunError> {
        if self.closed {
            return Ok(());
        }
        match self.write_all(rows, ctx, self.threads) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| crate::error::RunError::Sink(format!("{}: {e}", self.name))),
        }
    }
}

impl CsvSink {
    /// A sink into `path` (through a temporary name) or stdout, rendering on `threads` threads.
    pub fn create(path: Option<&Path>, threads: usize, name: String) -> io::Result<CsvSink> {
        let (writer, target): (Box<dyn Write + Send>, _) = match path {
            None => (Box::new(io::stdout()), None),
            Some(path) => {
                let tmp = tmp_name(path);
                let file = std::fs::File::create(&tmp)?;
                (Box::new(file), Some((tmp, path.to_path_buf())))
            }
        };
        let mut sink = CsvSink {
            writer,
            target,
            encoder: CsvEncoder::default(),
            summary: SinkSummary::default(),
            buf: Vec::with_capacity(1 << 16),
            threads,
            name,
            closed: false,
            spare: Vec::new(),
        };
        sink.encoder.header(&mut sink.buf);
        Ok(sink)
    }

    /// Renders and writes one row (for callers that stream rows one at a time).
    #[allow(dead_code)]
    pub fn write(&mut self, row: &SummaryRow, ctx: &RenderContext<'_>) -> io::Result<()> {
        let line = self.encoder.row(row, ctx);
        self.buf.extend_from_slice(line);
        self.summary.rows += 1;
        if self.buf.len() >= 1 << 16 {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// Writes all `rows`: chunks of [`CHUNK_ROWS`] are rendered on `threads` scoped threads, one
    /// round of `threads` chunks at a time, while this thread writes the previous round in order.
    /// The bytes (uuids aside) do not depend on `threads`.
    pub fn write_all(
        &mut self,
        rows: &[SummaryRow],
        ctx: &RenderContext<'_>,
        threads: usize,
    ) -> io::Result<()> {
        self.flush_buf()?;
        let threads = threads.max(1);
        let base = self.encoder.uuids.next_u64();
        let chunks: Vec<&[SummaryRow]> = rows.chunks(CHUNK_ROWS).collect();
        let mut ready: Vec<Vec<u8>> = Vec::new();
        let mut spare = std::mem::take(&mut self.spare);
        for (round, group) in chunks.chunks(threads).enumerate() {
            let mut bufs: Vec<Vec<u8>> = group
                .iter()
                .map(|_| spare.pop().unwrap_or_default())
                .collect();
            let written = std::thread::scope(|s| {
                for (k, (chunk, buf)) in group.iter().zip(bufs.iter_mut()).enumerate() {
                    let uuids = chunk_uuids(base, round * threads + k);
                    s.spawn(move || render_chunk(chunk, ctx, uuids, buf));
                }
                self.write_bufs(&ready)
            });
            written?;
            spare.append(&mut ready);
            ready = bufs;
        }
        self.write_bufs(&ready)?;
        spare.append(&mut ready);
        self.spare = spare;
        self.summary.rows += rows.len() as u64;
        Ok(())
    }

    fn write_bufs(&mut self, bufs: &[Vec<u8>]) -> io::Result<()> {
        for buf in bufs {
            self.summary.bytes += buf.len() as u64;
            self.writer.write_all(buf)?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.summary.bytes += self.buf.len() as u64;
        self.writer.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// True when stdout's reader went away before the end.
    pub fn closed_pipe(&self) -> bool {
        self.closed
    }

    /// Flushes, syncs and renames into place.
    pub fn finish(mut self) -> io::Result<SinkSummary> {
        self.flush_buf()?;
        self.writer.flush()?;
        self.writer = Box::new(io::sink());
        if let Some((tmp, path)) = self.target.take() {
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(self.summary)
    }
}

impl Drop for CsvSink {
    fn drop(&mut self) {
        if let Some((tmp, _)) = &self.target {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

pub(super) fn tmp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_postgres_csv() {
        let mut out = Vec::new();
        text(&mut out, b"a,b");
        sep(&mut out);
        text(&mut out, b"");
        sep(&mut out);
        text(&mut out, b"\\N");
        sep(&mut out);
        text(&mut out, br#"{"a":"b"}"#);
        sep(&mut out);
        null(&mut out);
        assert_eq!(out, br#""a,b","","\N","{""a"":""b""}",\N"#);
    }

    #[test]
    fn chunk_uuid_streams_differ() {
        let mut a = chunk_uuids(7, 0);
        let mut b = chunk_uuids(7, 1);
        assert_ne!(a.next_bytes(), b.next_bytes());
    }

    #[test]
    fn uuids_are_v4() {
        let mut g = UuidGen::new();
        let mut out = Vec::new();
        write_uuid(g.next_bytes(), &mut out);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn floats_round_trip() {
        for v in [0.1, 1e300, -2.5e-300, 123456.789] {
            let mut out = Vec::new();
            float(&mut out, Some(v));
            assert_eq!(
                std::str::from_utf8(&out).unwrap().parse::<f64>().unwrap(),
                v
            );
        }
    }
}
