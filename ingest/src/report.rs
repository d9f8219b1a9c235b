//! One operator CSV → Koku's hourly and daily Parquet, chunk by chunk (koku-inputs §B.3,
//! daily-summary §2.2–§2.3).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{bail, Context};
use parquet::data_type::ByteArray;

use super::convert::{labels_to_json, parse_timestamp_ms, safe_float};
use crate::pq::{self, Buf, Frame, Kind, Schema};
use ocp_summary_engine::value::Day;

const MS_PER_DAY: i64 = 86_400_000;

/// The report types `ingest` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Pod,
    Storage,
    NodeLabels,
    NamespaceLabels,
}

impl ReportKind {
    pub fn dir(self) -> &'static str {
        match self {
            ReportKind::Pod => "pod_usage",
            ReportKind::Storage => "storage_usage",
            ReportKind::NodeLabels => "node_labels",
            ReportKind::NamespaceLabels => "namespace_labels",
        }
    }

    /// Koku's type detection: by a column only that report has, else by the file name.
    pub fn detect(header: &[String], file_name: &str) -> Option<ReportKind> {
        let has = |c: &str| header.iter().any(|h| h == c);
        if has("pod_usage_cpu_core_seconds") {
            Some(ReportKind::Pod)
        } else if has("persistentvolumeclaim_capacity_bytes") {
            Some(ReportKind::Storage)
        } else if has("node_labels") {
            Some(ReportKind::NodeLabels)
        } else if has("namespace_labels") {
            Some(ReportKind::NamespaceLabels)
        } else if file_name.contains("ocp_pod_usage") {
            Some(ReportKind::Pod)
        } else if file_name.contains("ocp_storage_usage") {
            Some(ReportKind::Storage)
        } else if file_name.contains("ocp_node_label") {
            Some(ReportKind::NodeLabels)
        } else if file_name.contains("ocp_namespace_label") {
            Some(ReportKind::NamespaceLabels)
        } else {
            None
        }
    }

    /// Daily group-by keys (`OCP_REPORT_TYPES[...]["group_by"]`), in order.
    fn group_by(self) -> &'static [&'static str] {
        match self {
            ReportKind::Pod => &["namespace", "node", "pod", "pod_labels"],
            ReportKind::Storage => &[
                "namespace",
                "node",
                "pod",
                "persistentvolumeclaim",
                "persistentvolume",
                "storageclass",
                "csi_driver",
                "csi_volume_handle",
                "persistentvolume_labels",
                "persistentvolumeclaim_labels",
            ],
            ReportKind::NodeLabels => &["node", "node_labels"],
            ReportKind::NamespaceLabels => &["namespace", "namespace_labels"],
        }
    }

    /// Daily aggregations (`OCP_REPORT_TYPES[...]["agg"]`), in order.
    fn aggs(self) -> &'static [(&'static str, Agg)] {
        use Agg::{Max, Sum};
        match self {
            ReportKind::Pod => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("resource_id", Max),
                ("pod_usage_cpu_core_seconds", Sum),
                ("pod_request_cpu_core_seconds", Sum),
                ("pod_effective_usage_cpu_core_seconds", Sum),
                ("pod_limit_cpu_core_seconds", Sum),
                ("pod_usage_memory_byte_seconds", Sum),
                ("pod_request_memory_byte_seconds", Sum),
                ("pod_effective_usage_memory_byte_seconds", Sum),
                ("pod_limit_memory_byte_seconds", Sum),
                ("node_capacity_cpu_cores", Max),
                ("node_capacity_cpu_core_seconds", Sum),
                ("node_capacity_memory_bytes", Max),
                ("node_capacity_memory_byte_seconds", Sum),
                ("node_role", Max),
            ],
            ReportKind::Storage => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("persistentvolumeclaim_capacity_bytes", Max),
                ("persistentvolumeclaim_capacity_byte_seconds", Sum),
                ("volume_request_storage_byte_seconds", Sum),
                ("persistentvolumeclaim_usage_byte_seconds", Sum),
            ],
            ReportKind::NodeLabels | ReportKind::NamespaceLabels => {
                &[("report_period_start", Max), ("report_period_end", Max)]
            }
        }
    }

    /// Koku's `*_NEWV_COLUMNS`: added to the daily frame as all-NULL strings when missing.
    fn new_version_columns(self) -> &'static [&'static str] {
        match self {
            ReportKind::Pod => &["node_role"],
            ReportKind::Storage => &["node", "csi_driver", "csi_volume_handle"],
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Max,
    Sum,
}

const TIMESTAMP_COLUMNS: &[&str] = &[
    "report_period_start",
    "report_period_end",
    "interval_start",
    "interval_end",
];

const NUMERIC_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_request_cpu_core_seconds",
    "pod_limit_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_request_memory_byte_seconds",
    "pod_limit_memory_byte_seconds",
    "pod_effective_usage_cpu_core_seconds",
    "pod_effective_usage_memory_byte_seconds",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_seconds",
    "node_capacity_memory_bytes",
    "node_capacity_memory_byte_seconds",
    "persistentvolumeclaim_capacity_bytes",
    "persistentvolumeclaim_capacity_byte_seconds",
    "volume_request_storage_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
];

const LABEL_COLUMNS: &[&str] = &[
    "pod_labels",
    "persistentvolume_labels",
    "persistentvolumeclaim_labels",
    "node_labels",
    "namespace_labels",
];

/// `OCPC.THRESHOLD_MAP`: rows with any of these above 1e18 are dropped (`_remove_anomalies`).
const THRESHOLD_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_request_cpu_core_seconds",
    "pod_limit_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_request_memory_byte_seconds",
    "pod_limit_memory_byte_seconds",
    "node_capacity_cpu_core_seconds",
    "node_capacity_memory_byte_seconds",
    "node_capacity_memory_bytes",
    "persistentvolumeclaim_capacity_bytes",
    "persistentvolumeclaim_capacity_byte_seconds",
    "volume_request_storage_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
];
const THRESHOLD: f64 = 1e18;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conv {
    Ts,
    Num,
    Label,
    Str,
}

impl Conv {
    fn of(name: &str) -> Conv {
        if TIMESTAMP_COLUMNS.contains(&name) {
            Conv::Ts
        } else if NUMERIC_COLUMNS.contains(&name) {
            Conv::Num
        } else if LABEL_COLUMNS.contains(&name) {
            Conv::Label
        } else {
            Conv::Str
        }
    }

    fn kind(self) -> Kind {
        match self {
            Conv::Ts => Kind::Ts,
            Conv::Num => Kind::F64,
            Conv::Label | Conv::Str => Kind::Str,
        }
    }
}

/// Column names as `&'static str` (the Parquet schema helper wants them); each distinct name is
/// leaked once.
fn static_name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    n
}

/// A column of a frame. Hourly frames have no NULL strings; the daily frame's added
/// new-version columns are all NULL.
#[derive(Debug, Clone)]
enum Col {
    Ts(Vec<Option<i64>>),
    F64(Vec<f64>),
    Str(Vec<Option<String>>),
}

impl Col {
    fn new(kind: Kind) -> Col {
        match kind {
            Kind::Ts => Col::Ts(Vec::new()),
            Kind::F64 => Col::F64(Vec::new()),
            Kind::Str => Col::Str(Vec::new()),
        }
    }

    fn gather(&self, rows: &[usize]) -> Col {
        match self {
            Col::Ts(v) => Col::Ts(rows.iter().map(|&r| v[r]).collect()),
            Col::F64(v) => Col::F64(rows.iter().map(|&r| v[r]).collect()),
            Col::Str(v) => Col::Str(rows.iter().map(|&r| v[r].clone()).collect()),
        }
    }
}

/// A frame held in memory (at most one chunk), written through [`pq::write_file`].
struct Table {
    names: Vec<&'static str>,
    cols: Vec<Col>,
    rows: usize,
    offset: usize,
}

impl Table {
    fn schema(&self) -> Schema {
        let cols: Vec<(&'static str, Kind)> = self
            .names
            .iter()
            .zip(&self.cols)
            .map(|(n, c)| {
                let k = match c {
                    Col::Ts(_) => Kind::Ts,
                    Col::F64(_) => Kind::F64,
                    Col::Str(_) => Kind::Str,
                };
                (*n, k)
            })
            .collect();
        Schema::new(&cols)
    }

    fn col(&self, name: &str) -> Option<&Col> {
        self.names
            .iter()
            .position(|n| *n == name)
            .map(|i| &self.cols[i])
    }

    fn write(&mut self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let schema = self.schema();
        let rg = self.rows.max(1);
        let props = pq::writer_props(rg, &[]);
        let rows = self.rows;
        pq::write_file(path, &schema, &props, rows, rg, self)?;
        Ok(())
    }
}

impl Frame for Table {
    fn load(&mut self, start: usize, _len: usize) {
        self.offset = start;
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let (lo, hi) = (self.offset + lo, self.offset + hi);
        match &self.cols[col] {
            Col::Ts(v) => {
                for x in &v[lo..hi] {
                    match x {
                        Some(t) => {
                            buf.i64s.push(*t);
                            buf.defs.push(1);
                        }
                        None => buf.defs.push(0),
                    }
                }
            }
            Col::F64(v) => {
                buf.f64s.extend_from_slice(&v[lo..hi]);
                pq::all_defined(buf, hi - lo);
            }
            Col::Str(v) => {
                for x in &v[lo..hi] {
                    match x {
                        Some(s) => {
                            buf.bytes.push(ByteArray::from(s.as_bytes().to_vec()));
                            buf.defs.push(1);
                        }
                        None => buf.defs.push(0),
                    }
                }
            }
        }
    }
}

/// What one CSV produced.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    pub rows_read: usize,
    pub rows_dropped: usize,
    pub chunks: usize,
    /// Files written, relative to the output root.
    pub files: Vec<PathBuf>,
}

/// Where and under which names the Parquet files go.
pub struct Target<'a> {
    /// Root under which `data/parquet/...` is created.
    pub root: &'a Path,
    pub org: &'a str,
    pub source: &'a str,
    pub chunk_rows: usize,
}

/// Reads the header of `path` (for validation before anything is written).
pub fn read_header(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .context("cannot open")?;
    let h = rdr.headers().context("cannot read the header")?;
    Ok(h.iter().map(str::to_string).collect())
}

/// Converts one CSV report, streaming it `chunk_rows` rows at a time.
pub fn convert_file(path: &Path, kind: ReportKind, target: &Target) -> anyhow::Result<FileStats> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = file_name
        .strip_suffix(".csv")
        .unwrap_or(&file_name)
        .to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .context("cannot open")?;
    let header: Vec<String> = rdr
        .headers()
        .context("cannot read the header")?
        .iter()
        .map(str::to_string)
        .collect();
    let Some(interval_idx) = header.iter().position(|h| h == "interval_start") else {
        bail!("no interval_start column");
    };
    let convs: Vec<Conv> = header.iter().map(|h| Conv::of(h)).collect();
    let thresholds: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| THRESHOLD_COLUMNS.contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    let names: Vec<&'static str> = header.iter().map(|h| static_name(h)).collect();
    let mut label_cache: Vec<HashMap<String, String>> = vec![HashMap::new(); header.len()];

    let mut stats = FileStats::default();
    let mut cols: Vec<Col> = convs.iter().map(|c| Col::new(c.kind())).collect();
    let mut rows = 0usize;
    let mut in_chunk = 0usize;
    let mut chunk = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut record).context("cannot read")?;
        if more {
            stats.rows_read += 1;
            in_chunk += 1;
            if record.len() > header.len() {
                bail!(
                    "line {}: {} fields, the header has {}",
                    record.position().map_or(0, |p| p.line()),
                    record.len(),
                    header.len()
                );
            }
            let field = |i: usize| record.get(i).unwrap_or("");
            if thresholds.iter().any(|&i| safe_float(field(i)) > THRESHOLD) {
                stats.rows_dropped += 1;
            } else {
                if parse_timestamp_ms(field(interval_idx)).is_none() {
                    bail!(
                        "line {}: interval_start {:?} is not a timestamp",
                        record.position().map_or(0, |p| p.line()),
                        field(interval_idx)
                    );
                }
                for (i, col) in cols.iter_mut().enumerate() {
                    let text = field(i);
                    match col {
                        Col::Ts(v) => v.push(parse_timestamp_ms(text)),
                        Col::F64(v) => v.push(safe_float(text)),
                        Col::Str(v) => {
                            if convs[i] == Conv::Label {
                                let cache = &mut label_cache[i];
                                if cache.len() > 100_000 {
                                    cache.clear();
                                }
                                let json = cache
                                    .entry(text.to_string())
                                    .or_insert_with(|| labels_to_json(text))
                                    .clone();
                                v.push(Some(json));
                            } else {
                                v.push(Some(text.to_string()));
                            }
                        }
                    }
                }
                rows += 1;
            }
            if in_chunk < target.chunk_rows {
                continue;
            }
        }
        if rows > 0 {
            let table = Table {
                names: names.clone(),
                cols: std::mem::replace(
                    &mut cols,
                    convs.iter().map(|c| Col::new(c.kind())).collect(),
                ),
                rows,
                offset: 0,
            };
            write_chunk(table, kind, &base, chunk, target, &mut stats)?;
            stats.chunks += 1;
            rows = 0;
        }
        // Koku numbers chunks as read (pandas `chunksize`), including ones whose rows were all
        // dropped.
        chunk += 1;
        in_chunk = 0;
        if !more {
            break;
        }
    }
    Ok(stats)
}

/// Post-processes one chunk and writes its hourly and daily files, per month of `interval_start`.
fn write_chunk(
    mut table: Table,
    kind: ReportKind,
    base: &str,
    chunk: usize,
    target: &Target,
    stats: &mut FileStats,
) -> anyhow::Result<()> {
    if kind == ReportKind::Pod {
        add_effective_usage(&mut table);
    }
    let Some(Col::Ts(starts)) = table.col("interval_start") else {
        bail!("interval_start is not a timestamp column");
    };
    let mut months: BTreeMap<(i64, u32), Vec<usize>> = BTreeMap::new();
    for (r, t) in starts.iter().enumerate() {
        let t = t.expect("interval_start checked on read");
        let (y, m, _) = Day::of_millis(t).ymd();
        months.entry((i64::from(y), m)).or_default().push(r);
    }
    let single = months.len() == 1;
    for ((y, m), rows) in months {
        let mut hourly = if single {
            std::mem::replace(
                &mut table,
                Table {
                    names: Vec::new(),
                    cols: Vec::new(),
                    rows: 0,
                    offset: 0,
                },
            )
        } else {
            Table {
                names: table.names.clone(),
                cols: table.cols.iter().map(|c| c.gather(&rows)).collect(),
                rows: rows.len(),
                offset: 0,
            }
        };
        let part = format!(
            "{}/OCP/{}/source={}/year={y:04}/month={m:02}",
            target.org,
            kind.dir(),
            target.source
        );
        let rel = PathBuf::from(format!("data/parquet/{part}/{base}_{chunk}.parquet"));
        hourly.write(&target.root.join(&rel))?;
        stats.files.push(rel);
        let mut daily = daily_rollup(&hourly, kind);
        let rel = PathBuf::from(format!(
            "data/parquet/daily/{part}/{base}_daily_{chunk}.parquet"
        ));
        daily.write(&target.root.join(&rel))?;
        stats.files.push(rel);
    }
    Ok(())
}

/// `pod_effective_usage_* = max(usage, request)` per row (pandas row max, skipping NaN).
fn add_effective_usage(table: &mut Table) {
    let pairs = [
        (
            "pod_effective_usage_cpu_core_seconds",
            "pod_usage_cpu_core_seconds",
            "pod_request_cpu_core_seconds",
        ),
        (
            "pod_effective_usage_memory_byte_seconds",
            "pod_usage_memory_byte_seconds",
            "pod_request_memory_byte_seconds",
        ),
    ];
    for (out, usage, request) in pairs {
        let get = |name: &str| match table.col(name) {
            Some(Col::F64(v)) => Some(v.clone()),
            _ => None,
        };
        let values: Vec<f64> = match (get(usage), get(request)) {
            (Some(u), Some(r)) => u.iter().zip(&r).map(|(a, b)| a.max(*b)).collect(),
            (Some(v), None) | (None, Some(v)) => v,
            (None, None) => vec![f64::NAN; table.rows],
        };
        match table.names.iter().position(|n| *n == out) {
            Some(i) => table.cols[i] = Col::F64(values),
            None => {
                table.names.push(static_name(out));
                table.cols.push(Col::F64(values));
            }
        }
    }
}

/// Running aggregate of one column in one group, as pandas' groupby kernels compute it.
#[derive(Debug, Clone)]
enum Acc {
    TsMax(Option<i64>),
    F64Max(Option<f64>),
    /// pandas `group_sum`: Kahan-compensated, NaN skipped, 0.0 when empty.
    F64Sum {
        sum: f64,
        comp: f64,
    },
    StrMax(Option<String>),
}

impl Acc {
    fn new(col: &Col, agg: Agg) -> Acc {
        match (col, agg) {
            (Col::Ts(_), _) => Acc::TsMax(None),
            (Col::F64(_), Agg::Max) => Acc::F64Max(None),
            (Col::F64(_), Agg::Sum) => Acc::F64Sum {
                sum: 0.0,
                comp: 0.0,
            },
            (Col::Str(_), _) => Acc::StrMax(None),
        }
    }

    fn add(&mut self, col: &Col, r: usize) {
        match (self, col) {
            (Acc::TsMax(m), Col::Ts(v)) => {
                if let Some(x) = v[r] {
                    *m = Some(m.map_or(x, |m| m.max(x)));
                }
            }
            (Acc::F64Max(m), Col::F64(v)) => {
                let x = v[r];
                if !x.is_nan() {
                    *m = Some(m.map_or(x, |m| if x > m { x } else { m }));
                }
            }
            (Acc::F64Sum { sum, comp }, Col::F64(v)) => {
                let x = v[r];
                if !x.is_nan() {
                    let y = x - *comp;
                    let t = *sum + y;
                    *comp = t - *sum - y;
                    if comp.is_nan() {
                        *comp = 0.0;
                    }
                    *sum = t;
                }
            }
            (Acc::StrMax(m), Col::Str(v)) => {
                if let Some(x) = &v[r] {
                    if m.as_ref().is_none_or(|m| x > m) {
                        *m = Some(x.clone());
                    }
                }
            }
            _ => unreachable!("accumulator built for this column"),
        }
    }
}

/// `df.groupby(group_by + [Grouper(interval_start, freq="D")], dropna=False).agg(agg)`, then the
/// missing new-version columns as NULL strings. Rows come out sorted by the keys, as pandas does.
fn daily_rollup(hourly: &Table, kind: ReportKind) -> Table {
    let key_cols: Vec<(&'static str, &Col)> = kind
        .group_by()
        .iter()
        .filter_map(|k| hourly.col(k).map(|c| (*k, c)))
        .collect();
    let agg_cols: Vec<(&'static str, &Col, Agg)> = kind
        .aggs()
        .iter()
        .filter_map(|(k, a)| hourly.col(k).map(|c| (*k, c, *a)))
        .collect();
    let Some(Col::Ts(starts)) = hourly.col("interval_start") else {
        unreachable!("interval_start is required")
    };
    let key_str = |c: &Col, r: usize| -> Option<String> {
        match c {
            Col::Str(v) => v[r].clone(),
            Col::F64(v) => Some(v[r].to_string()),
            Col::Ts(v) => v[r].map(|t| t.to_string()),
        }
    };
    type Key = (Vec<Option<String>>, i64);
    let mut groups: HashMap<Key, Vec<Acc>> = HashMap::new();
    for (r, start) in starts.iter().enumerate().take(hourly.rows) {
        let day = start.expect("checked").div_euclid(MS_PER_DAY) * MS_PER_DAY;
        let key: Key = (key_cols.iter().map(|(_, c)| key_str(c, r)).collect(), day);
        let accs = groups
            .entry(key)
            .or_insert_with(|| agg_cols.iter().map(|(_, c, a)| Acc::new(c, *a)).collect());
        for (acc, (_, c, _)) in accs.iter_mut().zip(&agg_cols) {
            acc.add(c, r);
        }
    }
    let mut groups: Vec<(Key, Vec<Acc>)> = groups.into_iter().collect();
    // pandas sorts group keys ascending with NaN last.
    groups.sort_by(|(a, _), (b, _)| {
        for (x, y) in a.0.iter().zip(&b.0) {
            let o = match (x, y) {
                (Some(x), Some(y)) => x.cmp(y),
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
            };
            if o.is_ne() {
                return o;
            }
        }
        a.1.cmp(&b.1)
    });
    let n = groups.len();
    let mut names: Vec<&'static str> = Vec::new();
    let mut cols: Vec<Col> = Vec::new();
    for (i, (name, _)) in key_cols.iter().enumerate() {
        names.push(name);
        cols.push(Col::Str(groups.iter().map(|g| g.0 .0[i].clone()).collect()));
    }
    names.push(static_name("interval_start"));
    cols.push(Col::Ts(groups.iter().map(|g| Some(g.0 .1)).collect()));
    for (i, (name, _, _)) in agg_cols.iter().enumerate() {
        names.push(name);
        let col = match agg_cols[i].1 {
            Col::Ts(_) => Col::Ts(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::TsMax(m) => *m,
                        _ => None,
                    })
                    .collect(),
            ),
            Col::F64(_) => Col::F64(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::F64Max(m) => m.unwrap_or(f64::NAN),
                        Acc::F64Sum { sum, .. } => *sum,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
            Col::Str(_) => Col::Str(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::StrMax(m) => m.clone(),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        cols.push(col);
    }
    for extra in kind.new_version_columns() {
        if hourly.col(extra).is_none() {
            names.push(extra);
            cols.push(Col::Str(vec![None; n]));
        }
    }
    Table {
        names,
        cols,
        rows: n,
        offset: 0,
    }
}
