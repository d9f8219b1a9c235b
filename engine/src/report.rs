//! The run summary: what was read, what came out, and where the time went.
//!
//! One [`RunReport`] feeds three outputs: the human summary on stderr, `--report-json` for
//! tooling, and `--metrics` in Prometheus text format for node_exporter's textfile collector.
//! Peak memory is the kernel's high-water mark (`VmHWM`), so it includes everything, not an estimate.

use crate::decode::DecodeStats;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One input table as read.
#[derive(Debug, Clone, Default)]
pub struct InputReport {
    pub table: String,
    pub files: usize,
    pub row_groups_read: u64,
    pub row_groups_total: usize,
    pub rows: u64,
    pub bytes: u64,
    /// Row groups decoded with another table's read of them (their bytes count there).
    pub row_groups_shared: u64,
}

#[derive(Debug, Default)]
pub struct RunReport {
    pub stages: Vec<(&'static str, Duration)>,
    pub inputs: Vec<InputReport>,
    pub pages: DecodeStats,
    pub rows_out: u64,
    pub bytes_out: u64,
    /// Distinct strings interned: identifiers, plus the label texts read for their sets (a
    /// label text also read raw, as `pod_labels` for the VM temp table, counts in both tables).
    pub distinct_strings: usize,
    pub label_sets: usize,
    /// Label strings parsed (per distinct string with `--label-memo on`, per row without).
    pub label_parses: usize,
    /// The optimisation switches the run used (`--decode`, `--label-memo`, ...), as given.
    pub switches: Vec<(&'static str, String)>,
    pub retries: u64,
    /// Batches of complete days written, and the most rows one batch held.
    pub batches: u64,
    pub max_batch_rows: u64,
    /// Wall time of the whole run, set when stages overlap.
    pub wall: Option<Duration>,
    /// Lines other components add to the text summary.
    pub notes: Vec<String>,
}

impl RunReport {
    /// Times `f` as stage `name`.
    pub fn stage<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.stages.push((name, t.elapsed()));
        out
    }

    /// The run's wall time when known (stages overlap), else the sum of the stages.
    fn total(&self) -> Duration {
        self.wall
            .unwrap_or_else(|| self.stages.iter().map(|(_, d)| *d).sum())
    }

    /// The summary printed to stderr.
    pub fn text(&self) -> String {
        let mut s = String::from("ocp-summary run summary\n");
        for i in &self.inputs {
            let _ = writeln!(
                s,
                "  {:<52} files {:>4}  row groups {:>5}/{:<5}  rows {:>11}  bytes {:>12}{}",
                i.table,
                i.files,
                i.row_groups_read,
                i.row_groups_total,
                i.rows,
                i.bytes,
                match i.row_groups_shared {
                    0 => String::new(),
                    n => format!("  ({n} row groups read with another table's)"),
                }
            );
        }
        let d = &self.pages;
        let _ = writeln!(
            s,
            "  pages: {} dictionary, {} dictionary-id (RLE kernel), {} plain, {} delta/split \
             (kernels); {} values; {} chunks of other encodings through the reference reader",
            d.dictionary_pages,
            d.dict_id_pages,
            d.plain_pages,
            d.encoded_pages,
            d.values,
            d.fallback_chunks
        );
        let _ = writeln!(
            s,
            "  rows out {} ({} bytes); {} distinct strings, {} label sets ({} label texts parsed); \
             {} retries",
            self.rows_out,
            self.bytes_out,
            self.distinct_strings,
            self.label_sets,
            self.label_parses,
            self.retries
        );
        if !self.switches.is_empty() {
            let list: Vec<String> = self
                .switches
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(s, "  switches: {}", list.join(", "));
        }
        for n in &self.notes {
            let _ = writeln!(s, "  {n}");
        }
        for (name, d) in &self.stages {
            let _ = writeln!(s, "  stage {name:<10} {:>9.3} s", d.as_secs_f64());
        }
        let _ = writeln!(
            s,
            "  total            {:>9.3} s",
            self.total().as_secs_f64()
        );
        if let Some(rss) = peak_rss_bytes() {
            let _ = writeln!(s, "  peak RSS         {:>9.1} MiB", rss as f64 / 1048576.0);
        }
        s
    }

    /// `--report-json`.
    pub fn json(&self) -> String {
        let inputs: Vec<_> = self
            .inputs
            .iter()
            .map(|i| {
                serde_json::json!({
                    "table": i.table, "files": i.files, "row_groups_read": i.row_groups_read,
                    "row_groups_total": i.row_groups_total, "rows": i.rows, "bytes": i.bytes,
                    "row_groups_shared": i.row_groups_shared,
                })
            })
            .collect();
        let stages: serde_json::Map<_, _> = self
            .stages
            .iter()
            .map(|(n, d)| (n.to_string(), serde_json::json!(d.as_secs_f64())))
            .collect();
        let d = &self.pages;
        let v = serde_json::json!({
            "success": true,
            "inputs": inputs,
            "stages_seconds": stages,
            "total_seconds": self.total().as_secs_f64(),
            "pages": {"dictionary": d.dictionary_pages, "dictionary_id": d.dict_id_pages,
                      "plain": d.plain_pages, "encoded": d.encoded_pages, "values": d.values,
                      "fallback_chunks": d.fallback_chunks},
            "rows_in": self.inputs.iter().map(|i| i.rows).sum::<u64>(),
            "rows_out": self.rows_out,
            "bytes_out": self.bytes_out,
            "retries": self.retries,
            "day_batches": self.batches,
            "distinct_strings": self.distinct_strings,
            "label_sets": self.label_sets,
            "label_parses": self.label_parses,
            "switches": self.switches.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                .collect::<serde_json::Map<_, _>>(),
            "max_batch_rows": self.max_batch_rows,
            "peak_rss_bytes": peak_rss_bytes(),
        });
        serde_json::to_string_pretty(&v).expect("serialisable") + "\n"
    }

    /// `--metrics`: Prometheus text exposition format, every sample labelled with `labels` (the
    /// run's source and month, so one textfile collector can hold many runs).
    pub fn prometheus(&self, labels: &MetricLabels) -> String {
        labels.apply(&self.prometheus_unlabelled())
    }

    fn prometheus_unlabelled(&self) -> String {
        let mut s = String::new();
        let mut metric = |name: &str, help: &str, kind: &str| {
            let _ = writeln!(
                s,
                "# HELP ocp_summary_{name} {help}\n# TYPE ocp_summary_{name} {kind}"
            );
        };
        metric("success", "1 if the last run succeeded", "gauge");
        metric("rows_in", "Rows read per input table", "gauge");
        metric(
            "bytes_in",
            "Column-chunk bytes fetched per input table",
            "gauge",
        );
        metric("stage_seconds", "Wall time per stage", "gauge");
        metric("rows_out", "Rows written", "gauge");
        metric("retries", "Retried requests", "gauge");
        metric("peak_rss_bytes", "Peak resident memory", "gauge");
        metric("last_run_timestamp_seconds", "When the run ended", "gauge");
        let _ = writeln!(s, "ocp_summary_success 1");
        for i in &self.inputs {
            let t = escape_label(&i.table);
            let _ = writeln!(s, "ocp_summary_rows_in{{table=\"{t}\"}} {}", i.rows);
            let _ = writeln!(s, "ocp_summary_bytes_in{{table=\"{t}\"}} {}", i.bytes);
        }
        for (n, d) in &self.stages {
            let _ = writeln!(
                s,
                "ocp_summary_stage_seconds{{stage=\"{n}\"}} {}",
                d.as_secs_f64()
            );
        }
        let _ = writeln!(s, "ocp_summary_rows_out {}", self.rows_out);
        let _ = writeln!(s, "ocp_summary_retries {}", self.retries);
        if let Some(rss) = peak_rss_bytes() {
            let _ = writeln!(s, "ocp_summary_peak_rss_bytes {rss}");
        }
        let _ = writeln!(s, "ocp_summary_last_run_timestamp_seconds {}", now_secs());
        s
    }
}

/// Labels every sample of a run's metrics carries.
#[derive(Debug, Clone, Default)]
pub struct MetricLabels(pub Vec<(&'static str, String)>);

impl MetricLabels {
    /// `source` (the source uuid) and `month` (`YYYY-MM`).
    pub fn of_run(source: &str, year: i32, month: u32) -> Self {
        MetricLabels(vec![
            ("source", source.to_string()),
            ("month", format!("{year:04}-{month:02}")),
        ])
    }

    /// Adds the labels to every sample line of `text` (comment lines are left alone).
    fn apply(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        let ours: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        let ours = ours.join(",");
        let mut out = String::with_capacity(text.len() * 2);
        for line in text.lines() {
            if line.starts_with('#') {
                out.push_str(line);
            } else if let Some((name, rest)) = line.split_once('{') {
                out.push_str(&format!("{name}{{{ours},{rest}"));
            } else if let Some((name, value)) = line.split_once(' ') {
                out.push_str(&format!("{name}{{{ours}}} {value}"));
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    }
}

/// Metrics for a failed run: success 0 and the exit code, so alerts can fire on it.
pub fn failure_prometheus(exit_code: u8, labels: &MetricLabels) -> String {
    labels.apply(&failure_unlabelled(exit_code))
}

fn failure_unlabelled(exit_code: u8) -> String {
    format!(
        "# HELP ocp_summary_success 1 if the last run succeeded\n# TYPE ocp_summary_success gauge\n\
         ocp_summary_success 0\n# HELP ocp_summary_exit_code Exit code of the last run\n\
         # TYPE ocp_summary_exit_code gauge\nocp_summary_exit_code {exit_code}\n\
         # HELP ocp_summary_last_run_timestamp_seconds When the run ended\n\
         # TYPE ocp_summary_last_run_timestamp_seconds gauge\n\
         ocp_summary_last_run_timestamp_seconds {}\n",
        now_secs()
    )
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The process's peak resident set size, from `/proc/self/status`.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Writes `text` to `path` atomically (temp file + rename), as the textfile collector expects.
pub fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
