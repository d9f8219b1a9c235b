//! CSV output in PostgreSQL's `COPY ... (FORMAT csv, NULL '\N', HEADER)` dialect (field text in
//! [`crate::render::text`]). A file is written to a temporary name and renamed at the end, so a
//! failed run leaves no partial output.

use super::columns::{Value, COLUMNS};
use super::output::{RowSink, SinkSummary};
use super::output_file::OutputFile;
use super::uuid::UuidGen;
use crate::catalog::{NULL_ID, NULL_SET};
use crate::error::{Error, SinkError};
use crate::plan::{OutputIo, RowConstants};
use crate::render::text::{date, int, null, sep, text, uuid, LastFloat};
use crate::render::{RenderContext, INFRASTRUCTURE_USAGE_COST};
use crate::rows::SummaryRow;
use crate::value::Day;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Renders rows as CSV lines into a buffer; the caller decides where bytes go.
pub struct CsvEncoder {
    uuids: UuidGen,
    line: Vec<u8>,
    /// Each column's last float, by column index (on the heap: the encoder sits in enums).
    floats: Box<[LastFloat]>,
    /// The fields every row repeats, rendered at the first row (one encoder serves one run);
    /// boxed like `floats`.
    constants: Option<Box<ConstantFields>>,
    /// The last day written and its text: rows come sorted by day, and each prints it twice.
    day: Option<(Day, Vec<u8>)>,
}

/// The run's constants as CSV fields.
struct ConstantFields {
    report_period_id: Vec<u8>,
    cluster_id: Vec<u8>,
    cluster_alias: Vec<u8>,
    source_uuid: Vec<u8>,
}

impl ConstantFields {
    fn new(c: &RowConstants) -> Self {
        let mut fields = ConstantFields {
            report_period_id: Vec::new(),
            cluster_id: Vec::new(),
            cluster_alias: Vec::new(),
            source_uuid: Vec::new(),
        };
        int(
            &mut fields.report_period_id,
            c.report_period_id.map(i64::from),
        );
        text(&mut fields.cluster_id, c.cluster_id.as_bytes());
        text(&mut fields.cluster_alias, c.cluster_alias.as_bytes());
        text(&mut fields.source_uuid, c.source_uuid.as_bytes());
        fields
    }
}

impl Default for CsvEncoder {
    fn default() -> Self {
        CsvEncoder::with_uuids(UuidGen::new())
    }
}

impl CsvEncoder {
    fn with_uuids(uuids: UuidGen) -> Self {
        CsvEncoder {
            uuids,
            line: Vec::with_capacity(1024),
            floats: vec![LastFloat::default(); COLUMNS.len()].into_boxed_slice(),
            constants: None,
            day: None,
        }
    }

    pub fn header(&self, out: &mut Vec<u8>) {
        for (i, column) in COLUMNS.iter().enumerate() {
            if i > 0 {
                sep(out);
            }
            out.extend_from_slice(column.name.as_bytes());
        }
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
        let c = &*self
            .constants
            .get_or_insert_with(|| Box::new(ConstantFields::new(ctx.constants)));
        if self.day.as_ref().is_none_or(|(day, _)| *day != r.day) {
            let mut text = Vec::with_capacity(10);
            date(&mut text, r.day);
            self.day = Some((r.day, text));
        }
        let day = &self.day.as_ref().expect("just set").1;
        for (i, column) in COLUMNS.iter().enumerate() {
            if i > 0 {
                sep(out);
            }
            match column.value {
                Value::RowUuid => uuid(out, self.uuids.next_bytes()),
                Value::ReportPeriodId => out.extend_from_slice(&c.report_period_id),
                Value::ClusterId => out.extend_from_slice(&c.cluster_id),
                Value::ClusterAlias => out.extend_from_slice(&c.cluster_alias),
                Value::DataSource => text(out, r.data_source.as_str().as_bytes()),
                Value::Day => out.extend_from_slice(day),
                Value::String(field) => match field(r) {
                    NULL_ID => null(out),
                    id if ctx.string_plain[id as usize] => {
                        out.extend_from_slice(ctx.strings.get(id))
                    }
                    id => text(out, ctx.strings.get(id)),
                },
                Value::Labels(field) => match field(r) {
                    NULL_SET => null(out),
                    id => out.extend_from_slice(&ctx.label_csv[id as usize]),
                },
                Value::Numeric(field) => self.floats[i].render(out, field(r).get()),
                Value::SourceUuid => out.extend_from_slice(&c.source_uuid),
                Value::InfrastructureUsageCost if r.has_infrastructure_usage_cost => {
                    text(out, INFRASTRUCTURE_USAGE_COST.as_bytes())
                }
                Value::InfrastructureUsageCost => null(out),
                Value::CostCategoryId => int(out, r.cost_category_id.map(i64::from)),
            }
        }
        out.push(b'\n');
    }
}

/// CSV lines without a header into any writer, on the calling thread: the stream of
/// `COPY ... FROM STDIN (FORMAT csv, NULL '\N')` for `--copy text`.
pub struct CsvStream<W: Write> {
    out: W,
    encoder: CsvEncoder,
    buf: Vec<u8>,
    summary: SinkSummary,
    /// The first write error, kept whole (see `pgcopy::CopySink::write_error`).
    pub write_error: Option<io::Error>,
}

impl<W: Write> CsvStream<W> {
    pub fn new(out: W) -> Self {
        CsvStream {
            out,
            encoder: CsvEncoder::default(),
            buf: Vec::with_capacity(1 << 17),
            summary: SinkSummary::default(),
            write_error: None,
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.summary.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is buffered; returns the writer and what went through it.
    pub fn finish(mut self) -> io::Result<(W, SinkSummary)> {
        self.flush_buf()?;
        self.out.flush()?;
        Ok((self.out, self.summary))
    }
}

impl<W: Write> RowSink for CsvStream<W> {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        for r in rows {
            self.encoder.render(r, ctx, &mut self.buf);
            self.summary.rows += 1;
            if self.buf.len() >= 1 << 16 {
                if let Err(e) = self.flush_buf() {
                    let reported = io::Error::new(e.kind(), e.to_string());
                    self.write_error = Some(e);
                    return Err(SinkError::io("text COPY stream", reported).into());
                }
            }
        }
        Ok(())
    }
}

/// Whether output to `path` goes straight to it: a device or a FIFO (`/dev/null`, a named pipe),
/// which a temporary file renamed over it would replace with a regular file.
pub fn writes_in_place(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Rows per parallel rendering chunk; each chunk has its own uuid stream. A chunk of Pod rows is
/// about 640 KiB of CSV: at 4096 rows the rendering buffers alone held 17 MiB of a 115 MiB run
/// (heaptrack, `--pod-only` at L), at 1024 they hold about 3.
const CHUNK_ROWS: usize = 1024;

/// The uuid stream of chunk `k`: the base seed plus the chunk index, mixed by splitmix64.
fn chunk_uuids(base: u64, k: usize) -> UuidGen {
    UuidGen::from_seed(UuidGen::from_seed(base.wrapping_add(k as u64)).next_u64())
}

fn render_chunk(rows: &[SummaryRow], ctx: &RenderContext<'_>, uuids: UuidGen, out: &mut Vec<u8>) {
    let mut encoder = CsvEncoder::with_uuids(uuids);
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

impl RowSink for CsvSink {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        match self.write_all(rows, ctx, self.threads) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| SinkError::io(&self.name, e).into()),
        }
    }
}

impl CsvSink {
    /// A sink into `path` (through a temporary name, written as `output_io` asks:
    /// [`OutputFile`]) or stdout, rendering on `threads` threads.
    pub fn create(
        path: Option<&Path>,
        threads: usize,
        name: String,
        output_io: OutputIo,
    ) -> io::Result<CsvSink> {
        let (writer, target): (Box<dyn Write + Send>, _) = match path {
            None => (Box::new(io::stdout()), None),
            Some(path) if writes_in_place(path) => (Box::new(std::fs::File::create(path)?), None),
            Some(path) => {
                let tmp = tmp_name(path);
                let file = OutputFile::create(&tmp, output_io)?;
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

    /// Writes all `rows`: chunks of [`CHUNK_ROWS`] are rendered on `threads` scoped threads
    /// while this thread writes the finished ones in order. Renderer `t` takes chunks `t`,
    /// `t + threads`, … and hands each over through a one-slot channel, so no renderer waits for
    /// the slowest chunk of a round, and at most two buffers per renderer (one being rendered,
    /// one waiting) plus the one being written exist at once. The bytes do not depend on
    /// `threads`: chunk `k`'s uuids come from its own stream.
    pub fn write_all(
        &mut self,
        rows: &[SummaryRow],
        ctx: &RenderContext<'_>,
        threads: usize,
    ) -> io::Result<()> {
        self.flush_buf()?;
        let base = self.encoder.uuids.next_u64();
        let chunks: Vec<&[SummaryRow]> = rows.chunks(CHUNK_ROWS).collect();
        let renderers = threads.clamp(1, chunks.len().max(1));
        let (spare_tx, spare_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
        for buf in std::mem::take(&mut self.spare) {
            spare_tx.send(buf).expect("receiver held here");
        }
        let written = std::thread::scope(|s| {
            let finished: Vec<_> = (0..renderers)
                .map(|t| {
                    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(1);
                    let (chunks, spare) = (&chunks, spare_rx.clone());
                    s.spawn(move || {
                        for k in (t..chunks.len()).step_by(renderers) {
                            let mut buf = spare.try_recv().unwrap_or_default();
                            render_chunk(chunks[k], ctx, chunk_uuids(base, k), &mut buf);
                            // The writer stopped on an error: the chunks left are not wanted.
                            if tx.send(buf).is_err() {
                                return;
                            }
                        }
                    });
                    rx
                })
                .collect();
            for k in 0..chunks.len() {
                let buf = finished[k % renderers]
                    .recv()
                    .expect("each renderer sends every chunk it takes");
                let result = self.write_buf(&buf);
                spare_tx.send(buf).expect("receiver held here");
                result?;
            }
            Ok::<_, io::Error>(())
        });
        self.spare = spare_rx.try_iter().collect();
        written?;
        self.summary.rows += rows.len() as u64;
        Ok(())
    }

    fn write_buf(&mut self, buf: &[u8]) -> io::Result<()> {
        self.summary.bytes += buf.len() as u64;
        self.writer.write_all(buf)
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

    /// Each field as the plain text functions write it, scanning every string on every row.
    fn reference_line(r: &SummaryRow, ctx: &RenderContext<'_>, row_uuid: [u8; 16]) -> Vec<u8> {
        use crate::render::text::float;
        let c = ctx.constants;
        let mut out = Vec::new();
        for (i, column) in COLUMNS.iter().enumerate() {
            if i > 0 {
                sep(&mut out);
            }
            let o = &mut out;
            match column.value {
                Value::RowUuid => uuid(o, row_uuid),
                Value::ReportPeriodId => int(o, c.report_period_id.map(i64::from)),
                Value::ClusterId => text(o, c.cluster_id.as_bytes()),
                Value::ClusterAlias => text(o, c.cluster_alias.as_bytes()),
                Value::DataSource => text(o, r.data_source.as_str().as_bytes()),
                Value::Day => date(o, r.day),
                Value::String(field) => match field(r) {
                    NULL_ID => null(o),
                    id => text(o, ctx.strings.get(id)),
                },
                Value::Labels(field) => match field(r) {
                    NULL_SET => null(o),
                    id => text(o, &ctx.label_json[id as usize]),
                },
                Value::Numeric(field) => float(o, field(r).get()),
                Value::SourceUuid => text(o, c.source_uuid.as_bytes()),
                Value::InfrastructureUsageCost if r.has_infrastructure_usage_cost => {
                    text(o, INFRASTRUCTURE_USAGE_COST.as_bytes())
                }
                Value::InfrastructureUsageCost => null(o),
                Value::CostCategoryId => int(o, r.cost_category_id.map(i64::from)),
            }
        }
        out.push(b'\n');
        out
    }

    /// The encoder's shortcuts (constants rendered once, the day's text kept, strings marked
    /// plain once per batch) write what the plain functions write, for strings that need
    /// quoting and strings that do not, across a change of day.
    #[test]
    fn lines_match_the_plain_field_functions() {
        use crate::rows::DataSource;
        use crate::sink::BatchText;
        use ocp_summary_kernels::shared_intern::SharedInterner;
        let strings = SharedInterner::new();
        let names: Vec<u32> = [
            &b"ns1"[..],
            b"a,b",
            b"say \"hi\"",
            b"",
            b"\\N",
            b"line\nbreak",
        ]
        .iter()
        .map(|s| strings.intern(s))
        .collect();
        let json: Vec<std::sync::Arc<[u8]>> = vec![
            b"{}".as_slice().into(),
            br#"{"app":"x,y"}"#.as_slice().into(),
        ];
        let mut rows = Vec::new();
        for (k, day) in [9, 9, 10, 10, 11, 9].into_iter().enumerate() {
            let mut r = SummaryRow::empty(DataSource::Pod, Day::from_ymd(2026, 3, day).unwrap());
            r.namespace = names[k % names.len()];
            r.node = names[(k + 1) % names.len()];
            r.resource_id = if k % 3 == 0 {
                NULL_ID
            } else {
                names[(k + 2) % names.len()]
            };
            r.pod_labels = (k % 2) as u32;
            rows.push(r);
        }
        let mut text_of_batch = BatchText::capture(&mut rows, &strings, &json);
        let constants = RowConstants {
            report_period_id: Some(7),
            cluster_id: "c1".into(),
            cluster_alias: "alias, with comma".into(),
            source_uuid: "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10".into(),
        };
        let mut quoted = crate::sink::batch_text::QuotedLabels::default();
        let ctx = text_of_batch.context(&constants, &mut quoted);
        let mut encoder = CsvEncoder::with_uuids(UuidGen::from_seed(3));
        let mut uuids = UuidGen::from_seed(3);
        for r in &rows {
            let want = reference_line(r, &ctx, uuids.next_bytes());
            let got = encoder.row(r, &ctx).to_vec();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }

    /// `n` rows over a few days and names, with their strings and label JSON.
    fn sample_rows(
        n: usize,
    ) -> (
        Vec<SummaryRow>,
        ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        use crate::rows::DataSource;
        let strings = ocp_summary_kernels::shared_intern::SharedInterner::new();
        let names: Vec<u32> = (0..7)
            .map(|i| strings.intern(format!("name-{i}").as_bytes()))
            .collect();
        let rows = (0..n)
            .map(|k| {
                let day = Day::from_ymd(2026, 3, 1 + (k / 900) as u32).unwrap();
                let mut r = SummaryRow::empty(DataSource::Pod, day);
                r.namespace = names[k % names.len()];
                r.node = names[(k / 3) % names.len()];
                r.pod[0] = crate::value::OptF64::from(Some(k as f64 + 0.5));
                r
            })
            .collect();
        (rows, strings)
    }

    /// A writer into a buffer the test keeps.
    #[derive(Clone, Default)]
    struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A writer that fails once `left` bytes have gone through.
    struct FailAfter {
        left: usize,
    }

    impl Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.left {
                return Err(io::Error::other("disk full"));
            }
            self.left -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Chunks rendered on any number of threads are written in row order, every byte the same
    /// (uuids included: chunk k's stream does not depend on the thread that renders it); a
    /// failing writer stops the batch with its error, and the renderers stop with it.
    #[test]
    fn parallel_chunks_are_written_in_order_whatever_the_thread_count() {
        let (rows, strings) = sample_rows(CHUNK_ROWS * 5 + 17);
        let json: Vec<std::sync::Arc<[u8]>> = vec![b"{}".as_slice().into()];
        let mut rows_mut = rows.clone();
        let mut text = crate::sink::BatchText::capture(&mut rows_mut, &strings, &json);
        let constants = RowConstants {
            report_period_id: Some(1),
            cluster_id: "c".into(),
            cluster_alias: "a".into(),
            source_uuid: "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10".into(),
        };
        let mut quoted = crate::sink::batch_text::QuotedLabels::default();
        let ctx = text.context(&constants, &mut quoted);
        let written = |threads: usize| {
            let out = SharedBuf::default();
            let mut sink =
                CsvSink::create(None, threads, "test".into(), OutputIo::Buffered).unwrap();
            sink.writer = Box::new(out.clone());
            sink.encoder = CsvEncoder::with_uuids(UuidGen::from_seed(5));
            // Two batches: the second reuses the first one's buffers.
            sink.write_all(&rows_mut[..CHUNK_ROWS + 3], &ctx, threads)
                .unwrap();
            sink.write_all(&rows_mut[CHUNK_ROWS + 3..], &ctx, threads)
                .unwrap();
            let summary = sink.finish().unwrap();
            assert_eq!(summary.rows, rows_mut.len() as u64);
            let bytes = out.0.lock().unwrap().clone();
            bytes
        };
        let one = written(1);
        let lines: Vec<&[u8]> = one.split(|&b| b == b'\n').collect();
        assert_eq!(
            lines.len(),
            rows_mut.len() + 2,
            "header, rows, final newline"
        );
        for (r, line) in rows_mut.iter().zip(&lines[1..]) {
            let value = format!(",{},", r.pod[0].get().unwrap());
            assert!(
                memchr::memmem::find(line, value.as_bytes()).is_some(),
                "row order: {value} not in {}",
                String::from_utf8_lossy(line)
            );
        }
        for threads in [2, 3, 8] {
            assert!(
                written(threads) == one,
                "{threads} threads wrote other bytes"
            );
        }
        let mut sink = CsvSink::create(None, 2, "test".into(), OutputIo::Buffered).unwrap();
        sink.writer = Box::new(FailAfter { left: 100_000 });
        let err = sink.write_all(&rows_mut, &ctx, 2).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
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
        uuid(&mut out, g.next_bytes());
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
    }
}
