//! End-to-end tests of `ocp-summary generate`: layout, schema, rollups, edge cases, determinism.

mod common;

use common::all_files;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

const ORG: &str = "org1234567";
const SOURCE: &str = "9c2b4a3e-5d1f-4e8a-b7c6-0f1e2d3c4b5a";
const REPORTS: [&str; 4] = [
    "pod_usage",
    "storage_usage",
    "node_labels",
    "namespace_labels",
];
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// 2026-03-01T00:00:00 in ms since the epoch.
const MAR1: i64 = 20_513 * DAY_MS;
const APR1: i64 = MAR1 + 31 * DAY_MS;

/// Small topology: 2 days, 5 nodes; small files so days span several chunks and row groups.
const SMALL: &[&str] = &[
    "--days",
    "2",
    "--nodes",
    "5",
    "--namespaces-per-node",
    "2",
    "--pods-per-namespace",
    "4",
    "--labels-per-pod",
    "5",
    "--label-key-cardinality",
    "12",
    "--rows-per-file",
    "700",
    "--rows-per-row-group",
    "300",
];

fn generate(out: &Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ocp-summary"))
        .arg("generate")
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run ocp-summary");
    assert!(
        o.status.success(),
        "generate failed: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn part_dir(out: &Path, daily: bool, report: &str, year: &str, month: &str) -> PathBuf {
    let mut p = out.join("data/parquet");
    if daily {
        p.push("daily");
    }
    p.join(ORG)
        .join("OCP")
        .join(report)
        .join(format!("source={SOURCE}"))
        .join(format!("year={year}"))
        .join(format!("month={month}"))
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    v.sort();
    v
}

#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Ts(i64),
    F(f64),
    S(String),
}

impl V {
    fn s(&self) -> Option<&str> {
        match self {
            V::S(s) => Some(s),
            V::Null => None,
            other => panic!("not a string: {other:?}"),
        }
    }
    fn f(&self) -> f64 {
        match self {
            V::F(x) => *x,
            other => panic!("not a double: {other:?}"),
        }
    }
    fn ts(&self) -> i64 {
        match self {
            V::Ts(x) => *x,
            other => panic!("not a timestamp: {other:?}"),
        }
    }
}

type Row = HashMap<String, V>;

fn read_rows(path: &Path) -> Vec<Row> {
    let reader = SerializedFileReader::try_from(path).unwrap();
    reader
        .into_iter()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(name, f)| {
                    let v = match f {
                        Field::Null => V::Null,
                        Field::TimestampMillis(x) => V::Ts(*x),
                        Field::Double(x) => V::F(*x),
                        Field::Str(s) => V::S(s.clone()),
                        other => panic!("unexpected field {name}: {other:?}"),
                    };
                    (name.clone(), v)
                })
                .collect()
        })
        .collect()
}

fn read_dir_rows(dir: &Path) -> Vec<Row> {
    parquet_files(dir)
        .iter()
        .flat_map(|p| read_rows(p))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// `(name, kind)`; kind: 't' timestamp, 'd' double, 's' string.
fn schema_of(path: &Path) -> Vec<(String, char)> {
    let reader = SerializedFileReader::try_from(path).unwrap();
    let md = reader.metadata();
    for rg in md.row_groups() {
        for c in rg.columns() {
            assert_eq!(c.compression(), Compression::SNAPPY, "{}", path.display());
            assert!(
                c.statistics().is_some(),
                "statistics missing in {}",
                path.display()
            );
        }
    }
    let schema = md.file_metadata().schema_descr();
    schema
        .columns()
        .iter()
        .map(|c| {
            assert_eq!(
                c.self_type().get_basic_info().repetition(),
                Repetition::OPTIONAL
            );
            let kind = match (c.physical_type(), c.logical_type_ref()) {
                (PhysicalType::INT64, Some(lt))
                    if *lt == LogicalType::timestamp(false, TimeUnit::MILLIS) =>
                {
                    't'
                }
                (PhysicalType::DOUBLE, None) => 'd',
                (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)) => 's',
                other => panic!("unexpected type of {}: {other:?}", c.name()),
            };
            (c.name().to_string(), kind)
        })
        .collect()
}

fn expect_schema(path: &Path, spec: &str) {
    let want: Vec<(String, char)> = spec
        .split_whitespace()
        .map(|t| {
            let (n, k) = t.split_once(':').unwrap();
            (n.to_string(), k.chars().next().unwrap())
        })
        .collect();
    assert_eq!(schema_of(path), want, "schema of {}", path.display());
}

const POD_HOURLY: &str = "report_period_start:t report_period_end:t interval_start:t interval_end:t pod:s namespace:s node:s resource_id:s pod_usage_cpu_core_seconds:d pod_request_cpu_core_seconds:d pod_limit_cpu_core_seconds:d pod_usage_memory_byte_seconds:d pod_request_memory_byte_seconds:d pod_limit_memory_byte_seconds:d node_capacity_cpu_cores:d node_capacity_cpu_core_seconds:d node_capacity_memory_bytes:d node_capacity_memory_byte_seconds:d pod_labels:s pod_effective_usage_cpu_core_seconds:d pod_effective_usage_memory_byte_seconds:d";
const POD_DAILY: &str = "namespace:s node:s pod:s pod_labels:s interval_start:t report_period_start:t report_period_end:t resource_id:s pod_usage_cpu_core_seconds:d pod_request_cpu_core_seconds:d pod_effective_usage_cpu_core_seconds:d pod_limit_cpu_core_seconds:d pod_usage_memory_byte_seconds:d pod_request_memory_byte_seconds:d pod_effective_usage_memory_byte_seconds:d pod_limit_memory_byte_seconds:d node_capacity_cpu_cores:d node_capacity_cpu_core_seconds:d node_capacity_memory_bytes:d node_capacity_memory_byte_seconds:d node_role:s";
const STORAGE_HOURLY: &str = "report_period_start:t report_period_end:t interval_start:t interval_end:t namespace:s pod:s node:s persistentvolumeclaim:s persistentvolume:s storageclass:s csi_driver:s csi_volume_handle:s persistentvolumeclaim_capacity_bytes:d persistentvolumeclaim_capacity_byte_seconds:d volume_request_storage_byte_seconds:d persistentvolumeclaim_usage_byte_seconds:d persistentvolume_labels:s persistentvolumeclaim_labels:s";
const STORAGE_DAILY: &str = "namespace:s node:s pod:s persistentvolumeclaim:s persistentvolume:s storageclass:s csi_driver:s csi_volume_handle:s persistentvolume_labels:s persistentvolumeclaim_labels:s interval_start:t report_period_start:t report_period_end:t persistentvolumeclaim_capacity_bytes:d persistentvolumeclaim_capacity_byte_seconds:d volume_request_storage_byte_seconds:d persistentvolumeclaim_usage_byte_seconds:d";
const NODE_HOURLY: &str = "report_period_start:t report_period_end:t interval_start:t interval_end:t node:s node_labels:s";
const NODE_DAILY: &str =
    "node:s node_labels:s interval_start:t report_period_start:t report_period_end:t";
const NS_HOURLY: &str = "report_period_start:t report_period_end:t interval_start:t interval_end:t namespace:s namespace_labels:s";
const NS_DAILY: &str =
    "namespace:s namespace_labels:s interval_start:t report_period_start:t report_period_end:t";

fn key(r: &Row, cols: &[&str]) -> String {
    cols.iter()
        .map(|c| match &r[*c] {
            V::S(s) => s.clone(),
            V::Null => "<NULL>".into(),
            V::Ts(t) => t.to_string(),
            V::F(x) => x.to_string(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Sums `sum_cols` of `rows` grouped by `cols` + day of interval_start.
fn rollup(rows: &[Row], cols: &[&str], sum_cols: &[&str]) -> BTreeMap<(String, i64), Vec<f64>> {
    let mut m: BTreeMap<(String, i64), Vec<f64>> = BTreeMap::new();
    for r in rows {
        let day = r["interval_start"].ts().div_euclid(DAY_MS) * DAY_MS;
        let e = m
            .entry((key(r, cols), day))
            .or_insert_with(|| vec![0.0; sum_cols.len()]);
        for (i, c) in sum_cols.iter().enumerate() {
            e[i] += r[*c].f();
        }
    }
    m
}

fn assert_rollups_equal(hourly: &[Row], daily: &[Row], cols: &[&str], sum_cols: &[&str]) {
    let h = rollup(hourly, cols, sum_cols);
    let d = rollup(daily, cols, sum_cols);
    assert_eq!(h.len(), d.len(), "group count differs for {cols:?}");
    for (k, hv) in &h {
        let dv = d
            .get(k)
            .unwrap_or_else(|| panic!("daily misses group {k:?}"));
        for (i, c) in sum_cols.iter().enumerate() {
            assert!(
                close(hv[i], dv[i]),
                "{c} of {k:?}: hourly {} vs daily {}",
                hv[i],
                dv[i]
            );
        }
    }
}

#[test]
fn layout_schema_rollups_and_edge_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let summary = generate(out, &[SMALL, &["--threads", "2"]].concat());
    assert!(summary.contains("parquet files"), "{summary}");

    // manifest
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("generate.json")).unwrap()).unwrap();
    let pool = manifest["pod_label_key_pool"].as_array().unwrap();
    assert!(pool.iter().any(|k| k == "app") && pool.iter().any(|k| k == "k000"));
    assert!(!manifest["suggested_enabled_keys"]
        .as_array()
        .unwrap()
        .is_empty());
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() >= 4);
    for f in files {
        for which in ["hourly", "daily"] {
            let p = out.join(f[which].as_str().unwrap());
            assert!(p.exists(), "{} listed but missing", p.display());
        }
    }

    // layout + schema
    let mut rows: HashMap<(&str, bool), Vec<Row>> = HashMap::new();
    for report in REPORTS {
        for daily in [false, true] {
            let dir = part_dir(out, daily, report, "2026", "03");
            let fs = parquet_files(&dir);
            assert!(!fs.is_empty(), "no files in {}", dir.display());
            for f in &fs {
                let name = f.file_name().unwrap().to_str().unwrap();
                assert!(name.starts_with("openshift_report."), "{name}");
                assert_eq!(name.contains("_daily_"), daily, "{name}");
                let spec = match (report, daily) {
                    ("pod_usage", false) => POD_HOURLY,
                    ("pod_usage", true) => POD_DAILY,
                    ("storage_usage", false) => STORAGE_HOURLY,
                    ("storage_usage", true) => STORAGE_DAILY,
                    ("node_labels", false) => NODE_HOURLY,
                    ("node_labels", true) => NODE_DAILY,
                    ("namespace_labels", false) => NS_HOURLY,
                    _ => NS_DAILY,
                };
                expect_schema(f, spec);
            }
            rows.insert((report, daily), read_dir_rows(&dir));
        }
    }
    // several chunks per (report, month) for pods: one daily file per hourly file
    let pod_hourly_files = parquet_files(&part_dir(out, false, "pod_usage", "2026", "03"));
    let pod_daily_files = parquet_files(&part_dir(out, true, "pod_usage", "2026", "03"));
    assert!(pod_hourly_files.len() > 1);
    assert_eq!(pod_hourly_files.len(), pod_daily_files.len());
    let meta = SerializedFileReader::try_from(pod_hourly_files[0].as_path()).unwrap();
    assert_eq!(meta.metadata().file_metadata().num_rows(), 700);
    assert_eq!(meta.metadata().num_row_groups(), 3);

    let ph = &rows[&("pod_usage", false)];
    let pd = &rows[&("pod_usage", true)];
    // hourly invariants
    for r in ph {
        let start = r["interval_start"].ts();
        assert_eq!(r["interval_end"].ts(), start + HOUR_MS - 1000);
        assert_eq!(start % HOUR_MS, 0);
        assert_eq!(r["report_period_start"].ts(), MAR1);
        assert_eq!(r["report_period_end"].ts(), APR1);
        for (eff, u, q) in [
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
        ] {
            assert_eq!(r[eff].f(), r[u].f().max(r[q].f()));
        }
        assert!(r["pod_usage_cpu_core_seconds"].f() <= r["pod_limit_cpu_core_seconds"].f());
        assert!(r["node_capacity_cpu_cores"].f() > 0.0);
    }
    // daily = rollup of hourly (per chunk; re-aggregated here), interval_start at midnight
    for r in pd {
        assert_eq!(r["interval_start"].ts() % DAY_MS, 0);
        assert_eq!(r["node_role"], V::Null);
        assert_eq!(r["report_period_start"].ts(), MAR1);
    }
    let pod_sums = [
        "pod_usage_cpu_core_seconds",
        "pod_request_cpu_core_seconds",
        "pod_effective_usage_cpu_core_seconds",
        "pod_limit_cpu_core_seconds",
        "pod_usage_memory_byte_seconds",
        "pod_request_memory_byte_seconds",
        "pod_effective_usage_memory_byte_seconds",
        "pod_limit_memory_byte_seconds",
        "node_capacity_cpu_core_seconds",
        "node_capacity_memory_byte_seconds",
    ];
    assert_rollups_equal(
        ph,
        pd,
        &["namespace", "node", "pod", "pod_labels"],
        &pod_sums,
    );
    // chunking: some (pod, day) appears in more than one daily file
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in pd {
        *seen
            .entry(format!("{}|{}", key(r, &["pod"]), r["interval_start"].ts()))
            .or_default() += 1;
    }
    assert!(
        seen.values().any(|&n| n > 1),
        "expected duplicated (pod, day) across daily chunks"
    );

    let sh = &rows[&("storage_usage", false)];
    let sd = &rows[&("storage_usage", true)];
    let storage_keys = [
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
    ];
    assert_rollups_equal(
        sh,
        sd,
        &storage_keys,
        &[
            "persistentvolumeclaim_capacity_byte_seconds",
            "volume_request_storage_byte_seconds",
            "persistentvolumeclaim_usage_byte_seconds",
        ],
    );
    for (report, col, keycol) in [
        ("node_labels", "node_labels", "node"),
        ("namespace_labels", "namespace_labels", "namespace"),
    ] {
        let h = &rows[&(report, false)];
        let d = &rows[&(report, true)];
        let hk: BTreeSet<(String, i64)> = h
            .iter()
            .map(|r| {
                (
                    key(r, &[keycol, col]),
                    r["interval_start"].ts().div_euclid(DAY_MS) * DAY_MS,
                )
            })
            .collect();
        let dk: BTreeSet<(String, i64)> = d
            .iter()
            .map(|r| (key(r, &[keycol, col]), r["interval_start"].ts()))
            .collect();
        assert_eq!(hk, dk, "{report} daily groups");
        // E2: one entity has two label sets on one day
        let mut per: HashMap<(String, i64), BTreeSet<String>> = HashMap::new();
        for r in d {
            per.entry((r[keycol].s().unwrap().to_string(), r["interval_start"].ts()))
                .or_default()
                .insert(r[col].s().unwrap().to_string());
        }
        assert!(
            per.values().any(|s| s.len() == 2),
            "{report}: no label change within a day"
        );
    }

    // ---- edge cases
    let labels: Vec<Option<&str>> = ph.iter().map(|r| r["pod_labels"].s()).collect();
    assert!(labels.contains(&None), "NULL pod_labels");
    assert!(labels.contains(&Some("{}")), "empty pod_labels");
    let all_labels: String = labels
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all_labels.contains(r#""team": "\u00e9quipe-donn\u00e9es""#),
        "non-ASCII escaped"
    );
    assert!(
        all_labels.contains(r#"\ud83d\ude80"#),
        "astral char as surrogate pair"
    );
    assert!(all_labels.contains(r#""app.kubernetes.io/part-of": "checkout""#));
    assert!(all_labels.contains(r#""vm_kubevirt_io_name": "#));
    assert!(
        all_labels.contains(r#"", ""#) && all_labels.contains(r#"": ""#),
        "python separators"
    );
    // json.dumps output is valid JSON with string values
    for l in labels.iter().flatten() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v.as_object().unwrap().values().all(|x| x.is_string()));
    }
    // empty node with capacity
    let empty_node: Vec<&Row> = ph.iter().filter(|r| r["node"].s() == Some("")).collect();
    assert!(!empty_node.is_empty(), "pods with node ''");
    assert!(empty_node
        .iter()
        .all(|r| r["node_capacity_cpu_core_seconds"].f() > 0.0));
    // same key on node, namespace and pod labels with different values
    let node_l = rows[&("node_labels", false)][0]["node_labels"]
        .s()
        .unwrap()
        .to_string();
    assert!(node_l.contains(r#""environment": "node-env-"#));
    assert!(rows[&("namespace_labels", false)]
        .iter()
        .any(|r| r["namespace_labels"]
            .s()
            .unwrap()
            .contains(r#""environment": "ns-"#)));
    // an overcommitted node: Σ pod usage > capacity in some hour
    let mut per_node_hour: HashMap<(String, i64), (f64, f64)> = HashMap::new();
    for r in ph {
        let e = per_node_hour
            .entry((r["node"].s().unwrap().to_string(), r["interval_start"].ts()))
            .or_default();
        e.0 += r["pod_usage_cpu_core_seconds"].f();
        e.1 = r["node_capacity_cpu_core_seconds"].f();
    }
    assert!(
        per_node_hour.values().any(|(u, c)| u > c),
        "no overcommitted node"
    );
    // cost-category namespaces and near misses
    let namespaces: BTreeSet<&str> = ph.iter().filter_map(|r| r["namespace"].s()).collect();
    assert!(namespaces.contains("openshift-kube-apiserver") && namespaces.contains("kube-system"));
    assert!(namespaces.iter().any(|n| n.starts_with("project-")));
    // storage: claimless, orphan, shared across nodes
    assert!(sh.iter().any(|r| r["persistentvolumeclaim"].s() == Some("")
        && r["namespace"].s() == Some("")
        && r["persistentvolume"].s() != Some("")));
    let pods: BTreeSet<&str> = ph.iter().filter_map(|r| r["pod"].s()).collect();
    assert!(
        sh.iter().any(|r| r["pod"]
            .s()
            .is_some_and(|p| !p.is_empty() && !pods.contains(p))),
        "orphan storage"
    );
    let mut pv_nodes: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for r in sh {
        pv_nodes
            .entry(r["persistentvolume"].s().unwrap())
            .or_default()
            .insert(r["node"].s().unwrap());
    }
    assert!(
        pv_nodes.values().any(|n| n.len() >= 2),
        "no PV shared across nodes"
    );
    assert!(
        sh.iter().any(|r| r["csi_driver"].s() == Some(""))
            && sh.iter().any(|r| r["csi_driver"].s() != Some(""))
    );
}

#[test]
fn partial_pod_hours_exist() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &[SMALL, &["--short-lived-pct", "50"]].concat());
    let ph = read_dir_rows(&part_dir(tmp.path(), false, "pod_usage", "2026", "03"));
    // request seconds = request cores × pod seconds, so a pod whose request seconds vary ran a
    // partial hour (pod seconds < 3600) somewhere
    let mut per_pod: HashMap<&str, (f64, f64)> = HashMap::new();
    for r in &ph {
        let q = r["pod_request_cpu_core_seconds"].f();
        let e = per_pod.entry(r["pod"].s().unwrap()).or_insert((q, q));
        e.0 = e.0.min(q);
        e.1 = e.1.max(q);
    }
    assert!(
        per_pod.values().any(|(lo, hi)| lo < hi),
        "no partial pod hour"
    );
    // some pods do not report every hour
    let mut hours_per_pod: HashMap<&str, usize> = HashMap::new();
    for r in &ph {
        *hours_per_pod.entry(r["pod"].s().unwrap()).or_default() += 1;
    }
    assert!(hours_per_pod.values().any(|&n| n < 48));
}

#[test]
fn deterministic_across_runs_and_threads() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate(
        a.path(),
        &[SMALL, &["--threads", "1", "--seed", "7"]].concat(),
    );
    generate(
        b.path(),
        &[SMALL, &["--threads", "4", "--seed", "7"]].concat(),
    );
    generate(
        c.path(),
        &[SMALL, &["--threads", "2", "--seed", "8"]].concat(),
    );
    let fa = all_files(a.path());
    let fb = all_files(b.path());
    assert_eq!(fa.len(), fb.len());
    let mut differs = false;
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(
            x.strip_prefix(a.path()).unwrap(),
            y.strip_prefix(b.path()).unwrap()
        );
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
        let z = c.path().join(x.strip_prefix(a.path()).unwrap());
        if z.exists() && std::fs::read(&z).unwrap() != std::fs::read(x).unwrap() {
            differs = true;
        }
    }
    assert!(differs, "a different seed should change the output");
}

#[test]
fn month_crossing_writes_two_partitions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    generate(out, &[SMALL, &["--start", "2026-03-31"]].concat());
    for report in REPORTS {
        for daily in [false, true] {
            for (month, rp_start, rp_end) in [("03", MAR1, APR1), ("04", APR1, APR1 + 30 * DAY_MS)]
            {
                let rows = read_dir_rows(&part_dir(out, daily, report, "2026", month));
                assert!(!rows.is_empty(), "{report} daily={daily} month={month}");
                for r in &rows {
                    let t = r["interval_start"].ts();
                    assert!(
                        t >= rp_start && t < rp_end,
                        "{report} row outside its month partition"
                    );
                    assert_eq!(r["report_period_start"].ts(), rp_start);
                    assert_eq!(r["report_period_end"].ts(), rp_end);
                }
            }
        }
    }
}

#[test]
fn no_edge_cases_and_existing_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    generate(out, &[SMALL, &["--no-edge-cases"]].concat());
    let ph = read_dir_rows(&part_dir(out, false, "pod_usage", "2026", "03"));
    assert!(ph
        .iter()
        .all(|r| r["pod_labels"].s().is_some_and(|l| l != "{}")));
    assert!(ph.iter().all(|r| r["node"].s() != Some("")));
    // refuses to overwrite, unless --force
    let o = Command::new(env!("CARGO_BIN_EXE_ocp-summary"))
        .args(["generate", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    generate(out, &["--force", "--days", "1", "--nodes", "2"]);
}

#[test]
fn vm_gpu_flag_writes_vm_and_gpu_tables_only_when_asked() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let plain = tempfile::tempdir().unwrap();
    let vm = tempfile::tempdir().unwrap();
    generate(plain.path(), &[SMALL, &["--seed", "5"]].concat());
    generate(vm.path(), &[SMALL, &["--seed", "5", "--vm-gpu"]].concat());
    for report in ["vm_usage", "gpu_usage"] {
        for daily in [false, true] {
            let mut d = part_dir(plain.path(), daily, report, "2026", "03");
            assert!(!d.exists(), "{} without --vm-gpu", d.display());
            d = part_dir(vm.path(), daily, report, "2026", "03");
            let files = parquet_files(&d);
            assert!(!files.is_empty(), "{}", d.display());
            let rows: i64 = files
                .iter()
                .map(|f| {
                    let r = SerializedFileReader::new(std::fs::File::open(f).unwrap()).unwrap();
                    r.metadata().file_metadata().num_rows()
                })
                .sum();
            assert!(rows > 0, "{}", d.display());
        }
    }
    // The GPU workers carry the NVIDIA operator's labels only with the flag.
    let nvidia = |dir: &std::path::Path| -> usize {
        parquet_files(&part_dir(dir, true, "node_labels", "2026", "03"))
            .iter()
            .map(|f| {
                let r = SerializedFileReader::new(std::fs::File::open(f).unwrap()).unwrap();
                r.get_row_iter(None)
                    .unwrap()
                    .filter(|row| {
                        row.as_ref()
                            .unwrap()
                            .to_string()
                            .contains("nvidia_com_gpu_present")
                    })
                    .count()
            })
            .sum()
    };
    assert_eq!(nvidia(plain.path()), 0);
    assert!(nvidia(vm.path()) >= 2, "both GPU workers, every day");
    // Namespace label reports do not depend on the flag.
    for report in ["namespace_labels"] {
        let a = parquet_files(&part_dir(plain.path(), true, report, "2026", "03"));
        let b = parquet_files(&part_dir(vm.path(), true, report, "2026", "03"));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
                "{}",
                x.display()
            );
        }
    }
    let manifest = std::fs::read_to_string(vm.path().join("generate.json")).unwrap();
    assert!(manifest.contains("\"vm_gpu\": true"), "{manifest}");
    assert!(!std::fs::read_to_string(plain.path().join("generate.json"))
        .unwrap()
        .contains("vm_gpu"));
}
