//! `ingest` on Koku's own operator payloads (tests/data/koku-payloads): the Parquet it writes is
//! summarised by `run` exactly as the DuckDB oracle summarises it, for both months the payload
//! touches; broken payloads fail with exit 2 and write nothing.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn payload(name: &str) -> PathBuf {
    repo().join("tests/data/koku-payloads").join(name)
}

fn ingest(input: &Path, out: &Path) -> std::process::Output {
    bin()
        .arg("ingest")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .args(["--org", ORG, "--source", SOURCE])
        .output()
        .expect("spawn ingest")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn payload_ingests_and_run_matches_oracle_for_both_months() {
    let dir = TempDir::new().unwrap();
    check(ingest(&payload("payload.tar.gz"), dir.path()), "ingest");
    let rel: Vec<String> = files_under(dir.path())
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    let src = format!("source={SOURCE}");
    let expect = [
        format!("data/parquet/daily/{ORG}/OCP/pod_usage/{src}/year=2019/month=02/e6b3701e-1e91-433b-b238-a31e49937558_February-2019-my-ocp-cluster-1_daily_0.parquet"),
        format!("data/parquet/daily/{ORG}/OCP/storage_usage/{src}/year=2019/month=01/e6b3701e-1e91-433b-b238-a31e49937558_storage_daily_0.parquet"),
        format!("data/parquet/daily/{ORG}/OCP/storage_usage/{src}/year=2019/month=02/e6b3701e-1e91-433b-b238-a31e49937558_storage_daily_0.parquet"),
        format!("data/parquet/{ORG}/OCP/pod_usage/{src}/year=2019/month=02/e6b3701e-1e91-433b-b238-a31e49937558_February-2019-my-ocp-cluster-1_0.parquet"),
        format!("data/parquet/{ORG}/OCP/storage_usage/{src}/year=2019/month=01/e6b3701e-1e91-433b-b238-a31e49937558_storage_0.parquet"),
        format!("data/parquet/{ORG}/OCP/storage_usage/{src}/year=2019/month=02/e6b3701e-1e91-433b-b238-a31e49937558_storage_0.parquet"),
    ];
    assert_eq!(rel, expect, "files written");

    for month in [1, 2] {
        let p = Params::month(2019, month);
        let engine = dir.path().join(format!("engine-{month}.csv"));
        let oracle = dir.path().join(format!("oracle-{month}.csv"));
        run_engine(dir.path(), &p, &engine, 2);
        run_oracle(dir.path(), &p, &oracle, "pod,storage,unallocated");
        let summary = compare(&oracle, &engine);
        assert!(summary.contains("rows match"), "month {month}: {summary}");
        assert!(csv_rows(&engine) > 0, "month {month}: no rows");
    }
    // February has Pod, Storage and (NULL-namespace) unallocated rows.
    let feb = std::fs::read_to_string(dir.path().join("engine-2.csv")).unwrap();
    assert!(feb.contains("Pod") && feb.contains("Storage"), "{feb:.400}");
}

#[test]
fn folder_payload_gives_the_same_files() {
    let dir = TempDir::new().unwrap();
    let unpacked = dir.path().join("in");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(payload("payload.tar.gz"))
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    check(ingest(&unpacked, &a), "ingest folder");
    check(ingest(&payload("payload.tar.gz"), &b), "ingest tar");
    let fa = files_under(&a);
    let fb = files_under(&b);
    assert_eq!(fa.len(), 6);
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
    }
}

#[test]
fn small_chunks_split_files_and_still_match() {
    let dir = TempDir::new().unwrap();
    let out = bin()
        .arg("ingest")
        .arg("--input")
        .arg(payload("payload.tar.gz"))
        .arg("--output")
        .arg(dir.path())
        .args(["--org", ORG, "--source", SOURCE, "--chunk-rows", "100"])
        .output()
        .unwrap();
    check(out, "ingest --chunk-rows 100");
    let daily = files_under(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("_daily_"))
        .count();
    // pod: 480 rows → 5 chunks; storage: 381 rows → 4 chunks, one of which spans both months.
    assert!(daily >= 9, "{daily} daily files");
    let p = Params::month(2019, 2);
    let engine = dir.path().join("engine.csv");
    let oracle = dir.path().join("oracle.csv");
    run_engine(dir.path(), &p, &engine, 1);
    run_oracle(dir.path(), &p, &oracle, "pod,storage,unallocated");
    let summary = compare(&oracle, &engine);
    assert!(summary.contains("rows match"), "{summary}");
}

#[test]
fn missing_manifest_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let out = ingest(&payload("no_manifest.tar.gz"), dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no manifest.json"), "{err}");
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn manifest_naming_a_missing_file_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let out = ingest(&payload("bad_payload.tar.gz"), dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not hold")
            && err.contains("492ae204-52ed-471d-8937-12be6185f326_June-2019-my-ocp-cluster-1-ocp_storage_usage.csv"),
        "{err}"
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
}

#[test]
fn missing_input_is_exit_2() {
    let dir = TempDir::new().unwrap();
    let out = ingest(&dir.path().join("nope.tar.gz"), &dir.path().join("o"));
    assert_eq!(out.status.code(), Some(2));
}

const TS: &str = " +0000 UTC";

fn hour(day: u32, month: u32, h: u32) -> (String, String) {
    (
        format!("2026-{month:02}-{day:02} {h:02}:00:00{TS}"),
        format!("2026-{month:02}-{day:02} {h:02}:59:59{TS}"),
    )
}

/// A hand-made payload in today's column order, with every report type and the edge cases of
/// Koku's converters.
fn crafted_payload(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let period = |m: u32| {
        let next = if m == 12 { 1 } else { m + 1 };
        format!("2026-{m:02}-01 00:00:00{TS},2026-{next:02}-01 00:00:00{TS}")
    };
    let mut pod = String::from("report_period_start,report_period_end,interval_start,interval_end,pod,namespace,node,resource_id,pod_usage_cpu_core_seconds,pod_request_cpu_core_seconds,pod_limit_cpu_core_seconds,pod_usage_memory_byte_seconds,pod_request_memory_byte_seconds,pod_limit_memory_byte_seconds,node_capacity_cpu_cores,node_capacity_cpu_core_seconds,node_capacity_memory_bytes,node_capacity_memory_byte_seconds,pod_labels\n");
    let labels = "label_app:web|label_url:http://x|label_my_label_k:v|label_app:web2|label_team:équipe|nocolon";
    for (d, m, h, usage, request) in [
        (28, 2, 0, "100", "3600.0"),
        (28, 2, 1, "7200", "3600"),
        (28, 2, 2, "2e18", "3600"),
        (28, 2, 23, "", "x"),
        (1, 3, 0, "50", "60"),
    ] {
        let (s, e) = hour(d, m, h);
        pod += &format!(
            "{},{s},{e},p1,ns1,alpha,i-1,{usage},{request},7200,1073741824.000000,2147483648,2147483648,2,7200,8589934592,30923764531200,{labels}\n",
            period(m)
        );
        pod += &format!(
            "{},{s},{e},p2,ns2,beta,i-2,10,20,20,1000,2000,2000,4,14400,8589934592,30923764531200,\n",
            period(m)
        );
    }
    let mut storage = String::from("report_period_start,report_period_end,interval_start,interval_end,namespace,pod,node,persistentvolumeclaim,persistentvolume,storageclass,csi_driver,csi_volume_handle,persistentvolumeclaim_capacity_bytes,persistentvolumeclaim_capacity_byte_seconds,volume_request_storage_byte_seconds,persistentvolumeclaim_usage_byte_seconds,persistentvolume_labels,persistentvolumeclaim_labels\n");
    for h in 0..3 {
        let (s, e) = hour(28, 2, h);
        storage += &format!("{},{s},{e},ns1,p1,alpha,claim1,pv1,gp3,ebs.csi.aws.com,vol-1,5368709120.0,19327352832000.0,19327352832000,1000.5,label_a:1,label_b:2\n", period(2));
        storage += &format!("{},{s},{e},,,,,pv-claimless,gp3,ebs.csi.aws.com,vol-2,21474836480.0,77309411328000.0,,,label_c:3,\n", period(2));
    }
    let mut nodes = String::from(
        "report_period_start,report_period_end,interval_start,interval_end,node,node_labels\n",
    );
    let mut namespaces = String::from(
        "report_period_start,report_period_end,interval_start,interval_end,namespace,namespace_labels\n",
    );
    for h in 0..3 {
        let (s, e) = hour(28, 2, h);
        nodes += &format!(
            "{},{s},{e},alpha,label_node_role_kubernetes_io_master:true|label_zone:a\n",
            period(2)
        );
        nodes += &format!("{},{s},{e},beta,label_zone:b\n", period(2));
        namespaces += &format!("{},{s},{e},ns1,label_team:core\n", period(2));
        namespaces += &format!("{},{s},{e},ns2,\n", period(2));
    }
    let files = [
        ("c_ocp_pod_usage.csv", pod),
        ("c_ocp_storage_usage.csv", storage),
        ("c_ocp_node_label.csv", nodes),
        ("c_ocp_namespace_label.csv", namespaces),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::json!({"files": names, "cluster_id": "c"}).to_string(),
    )
    .unwrap();
}

fn duck(root: &Path, sql: &str) -> String {
    let script = format!(
        "import duckdb, os\nos.chdir({:?})\nfor r in duckdb.sql({:?}).fetchall(): print('|'.join(map(repr, r)))",
        root.display().to_string(),
        sql
    );
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    String::from_utf8(check(out, "duckdb").stdout).unwrap()
}

#[test]
fn crafted_payload_converts_like_koku_and_matches_oracle() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    crafted_payload(&input);
    let out = dir.path().join("out");
    let res = check(ingest(&input, &out), "ingest crafted");
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("1 dropped"), "{err}");

    let pq = |daily: &str, t: &str, m: &str| {
        format!("data/parquet/{daily}{ORG}/OCP/{t}/source={SOURCE}/year=2026/month={m}/*.parquet")
    };
    // Hourly: the 2e18 row is gone; `safe_float` gave 0.0 for '' and 'x'; effective = max.
    let rows = duck(
        &out,
        &format!(
            "select interval_start::varchar, pod_usage_cpu_core_seconds, pod_request_cpu_core_seconds, \
             pod_effective_usage_cpu_core_seconds, pod_labels from '{}' where pod = 'p1' order by 1",
            pq("", "pod_usage", "02")
        ),
    );
    let expect_labels = r#"{"app": "web2", "my_k": "v", "team": "\\u00e9quipe"}"#;
    assert_eq!(
        rows,
        format!(
            "'2026-02-28 00:00:00'|100.0|3600.0|3600.0|'{expect_labels}'\n\
             '2026-02-28 01:00:00'|7200.0|3600.0|7200.0|'{expect_labels}'\n\
             '2026-02-28 23:00:00'|0.0|0.0|0.0|'{expect_labels}'\n"
        )
    );
    // Daily pod: sums, maxes, node_role all NULL, empty labels '{}'.
    let rows = duck(
        &out,
        &format!(
            "select pod, interval_start::varchar, pod_usage_cpu_core_seconds, \
             pod_effective_usage_cpu_core_seconds, pod_usage_memory_byte_seconds, node_capacity_cpu_cores, \
             resource_id, node_role, pod_labels from '{}' order by pod",
            pq("daily/", "pod_usage", "02")
        ),
    );
    assert_eq!(
        rows,
        format!(
            "'p1'|'2026-02-28 00:00:00'|7300.0|10800.0|3221225472.0|2.0|'i-1'|None|'{expect_labels}'\n\
             'p2'|'2026-02-28 00:00:00'|40.0|80.0|4000.0|4.0|'i-2'|None|'{{}}'\n"
        )
    );
    // The March row went to March.
    let rows = duck(
        &out,
        &format!("select count(*) from '{}'", pq("daily/", "pod_usage", "03")),
    );
    assert_eq!(rows, "2\n");
    // Storage: the claimless volume keeps '' (not NULL) and 0.0 for empty numbers.
    let rows = duck(
        &out,
        &format!(
            "select namespace, node, persistentvolume, volume_request_storage_byte_seconds, \
             persistentvolumeclaim_usage_byte_seconds, persistentvolume_labels, persistentvolumeclaim_labels \
             from '{}' order by persistentvolume",
            pq("daily/", "storage_usage", "02")
        ),
    );
    assert_eq!(
        rows,
        "''|''|'pv-claimless'|0.0|0.0|'{\"c\": \"3\"}'|'{}'\n\
         'ns1'|'alpha'|'pv1'|57982058496000.0|3001.5|'{\"a\": \"1\"}'|'{\"b\": \"2\"}'\n"
    );
    let rows = duck(
        &out,
        &format!(
            "select node, node_labels from '{}' order by node",
            pq("daily/", "node_labels", "02")
        ),
    );
    assert_eq!(
        rows,
        "'alpha'|'{\"node_role_kubernetes_io_master\": \"true\", \"zone\": \"a\"}'\n\
         'beta'|'{\"zone\": \"b\"}'\n"
    );

    for (month, keys) in [(2, Some("app,team,my_k,zone")), (2, None), (3, Some("app"))] {
        let mut p = Params::month(2026, month);
        p.enabled_keys = keys.map(str::to_string);
        let engine = dir.path().join("engine.csv");
        let oracle = dir.path().join("oracle.csv");
        run_engine(&out, &p, &engine, 2);
        run_oracle(&out, &p, &oracle, "pod,storage,unallocated");
        let summary = compare(&oracle, &engine);
        assert!(summary.contains("rows match"), "month {month}: {summary}");
    }
}

#[test]
fn a_bad_row_in_the_last_report_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    crafted_payload(&input);
    // The namespace-label report is converted last; break its last row's interval_start.
    let ns = input.join("c_ocp_namespace_label.csv");
    let mut text = std::fs::read_to_string(&ns).unwrap();
    text += "2026-02-01 00:00:00 +0000 UTC,2026-03-01 00:00:00 +0000 UTC,yesterday,,ns3,\n";
    std::fs::write(&ns, text).unwrap();
    let out = dir.path().join("out");
    let res = ingest(&input, &out);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("c_ocp_namespace_label.csv")
            && err.contains("line 8")
            && err.contains("\"yesterday\""),
        "{err}"
    );
    assert!(files_under(&out).is_empty(), "{:?}", files_under(&out));
}

/// A VM and a GPU report (operator column order, koku-metrics-operator's `vmRow` /
/// `nvidiaGpuRow` headers): daily roll-ups per masu's `VM_AGG` / `GPU_AGG`, the vendor rename and
/// the MIG fields derived from the profile and model, checked against values computed here.
fn vm_gpu_payload(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let period = format!("2026-03-01 00:00:00{TS},2026-04-01 00:00:00{TS}");
    let mut vm = String::from("report_period_start,report_period_end,interval_start,interval_end,node,resource_id,namespace,vm_name,vm_instance_type,vm_os,vm_guest_os_arch,vm_guest_os_name,vm_guest_os_version,vm_uptime_total_seconds,vm_cpu_limit_cores,vm_cpu_limit_core_seconds,vm_cpu_request_cores,vm_cpu_request_core_seconds,vm_cpu_request_sockets,vm_cpu_request_socket_seconds,vm_cpu_request_threads,vm_cpu_request_thread_seconds,vm_cpu_usage_total_seconds,vm_memory_limit_bytes,vm_memory_limit_byte_seconds,vm_memory_request_bytes,vm_memory_request_byte_seconds,vm_memory_usage_byte_seconds,vm_device,vm_volume_mode,vm_persistentvolumeclaim_name,vm_disk_allocated_size_byte_seconds,vm_labels\n");
    for (h, secs, cpu, pvc) in [
        (0, 3600, "10.5", "disk-a"),
        (1, 1800, "", "disk-b"),
        (2, 600, "x", ""),
    ] {
        let (s, e) = hour(2, 3, h);
        vm += &format!("{period},{s},{e},n1,i-1,ns1,vm1,u1.small,rhel,amd64,RHEL,9,{secs},2,{},1,{secs},1,{secs},1,{secs},{cpu},4096,{},2048,{},1000,rootdisk,Filesystem,{pvc},{},label_vm_kubevirt_io_name:vm1|label_app:x\n", 2 * secs, 4096 * secs, 2048 * secs, 10 * secs);
    }
    let mut gpu = String::from("report_period_start,report_period_end,interval_start,interval_end,node,namespace,pod,gpu_uuid,gpu_model_name,gpu_vendor_name,gpu_memory_capacity_mib,gpu_pod_uptime,gpu_pod_utilization,gpu_max_slices,mig_instance_id,mig_profile,mig_strategy\n");
    for h in 0..2 {
        let (s, e) = hour(2, 3, h);
        gpu += &format!(
            "{period},{s},{e},g1,ml,p1,GPU-1,Tesla T4,nvidia_com_gpu,15360,3600,0.5,,,,\n"
        );
        gpu += &format!("{period},{s},{e},g2,ml,p2,GPU-2,NVIDIA A100-SXM4-40GB,nvidia,40960,1800,0.1,,MIG-2a,3g.20gb,mixed\n");
        gpu += &format!("{period},{s},{e},g3,ml,p3,GPU-3,UnknownGPU,nvidia,1024,60,0.1,,MIG-3a,4g.40gb,single\n");
    }
    std::fs::write(dir.join("c_vm_usage.csv"), vm).unwrap();
    std::fs::write(dir.join("c_gpu_usage.csv"), gpu).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::json!({"files": ["c_vm_usage.csv", "c_gpu_usage.csv"], "cluster_id": "c"})
            .to_string(),
    )
    .unwrap();
}

#[test]
fn vm_and_gpu_reports_convert_like_masu() {
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    vm_gpu_payload(&input);
    let out = dir.path().join("out");
    check(ingest(&input, &out), "ingest vm/gpu");
    let pq = |daily: &str, t: &str| {
        format!("data/parquet/{daily}{ORG}/OCP/{t}/source={SOURCE}/year=2026/month=03/*.parquet")
    };
    for (daily, t, name) in [
        ("", "vm_usage", "c_vm_usage_0.parquet"),
        ("daily/", "vm_usage", "c_vm_usage_daily_0.parquet"),
        ("", "gpu_usage", "c_gpu_usage_0.parquet"),
        ("daily/", "gpu_usage", "c_gpu_usage_daily_0.parquet"),
    ] {
        let p = out.join(pq(daily, t).replace("*.parquet", name));
        assert!(p.is_file(), "{}", p.display());
    }
    // Daily VM: sums and maxima over the three hours, computed from the CSV above.
    let rows = duck(
        &out,
        &format!(
            "select vm_name, interval_start::varchar, vm_uptime_total_seconds, vm_cpu_limit_core_seconds, \
             vm_cpu_usage_total_seconds, vm_memory_request_bytes, vm_persistentvolumeclaim_name, \
             vm_disk_allocated_size_byte_seconds, vm_labels from '{}'",
            pq("daily/", "vm_usage")
        ),
    );
    let secs = [3600.0, 1800.0, 600.0];
    let uptime: f64 = secs.iter().sum();
    let limit: f64 = secs.iter().map(|s| 2.0 * s).sum();
    assert_eq!(
        rows,
        format!(
            "'vm1'|'2026-03-02 00:00:00'|{uptime:?}|{limit:?}|10.5|2048.0|'disk-b'|{:?}|'{{\"vm_kubevirt_io_name\": \"vm1\", \"app\": \"x\"}}'\n",
            10.0 * uptime
        )
    );
    let types = duck(
        &out,
        &format!(
            "select name, type from parquet_schema('{}') where name in \
             ('vm_uptime_total_seconds', 'vm_labels', 'interval_start') order by name",
            pq("daily/", "vm_usage")
        ),
    );
    assert_eq!(
        types,
        "'interval_start'|'INT64'\n'vm_labels'|'BYTE_ARRAY'\n'vm_uptime_total_seconds'|'DOUBLE'\n"
    );
    // Daily GPU: vendor renamed, MIG fields from the profile and model; an unknown model's MIG
    // fields are cleared (a dedicated GPU).
    let rows = duck(
        &out,
        &format!(
            "select node, gpu_uuid, mig_instance_id, gpu_vendor_name, gpu_pod_uptime, mig_profile, \
             mig_slice_count, gpu_max_slices, mig_memory_capacity_mib, mig_strategy from '{}' order by node",
            pq("daily/", "gpu_usage")
        ),
    );
    assert_eq!(
        rows,
        "'g1'|'GPU-1'|''|'nvidia'|7200.0|''|None|None|None|''\n\
         'g2'|'GPU-2'|'MIG-2a'|'nvidia'|3600.0|'3g.20gb'|3|7|20480|'mixed'\n\
         'g3'|'GPU-3'|None|'nvidia'|120.0|None|None|None|None|'single'\n"
    );
    let types = duck(
        &out,
        &format!(
            "select name, type from parquet_schema('{}') where name in \
             ('gpu_max_slices', 'mig_slice_count', 'mig_memory_capacity_mib', 'gpu_pod_uptime') order by name",
            pq("daily/", "gpu_usage")
        ),
    );
    assert_eq!(
        types,
        "'gpu_max_slices'|'INT64'\n'gpu_pod_uptime'|'DOUBLE'\n'mig_memory_capacity_mib'|'INT64'\n'mig_slice_count'|'INT64'\n"
    );
}

#[test]
fn bad_vm_or_gpu_report_writes_nothing() {
    // A VM report without vm_name: the missing column is named.
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    vm_gpu_payload(&input);
    let p = input.join("c_vm_usage.csv");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen(",vm_name,", ",vmname,", 1);
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    let res = ingest(&input, &out);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("c_vm_usage.csv") && err.contains("vm_name"),
        "{err}"
    );
    assert!(files_under(&out).is_empty(), "{:?}", files_under(&out));

    // A GPU row whose interval_start is not a timestamp: file, line and value are named.
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    vm_gpu_payload(&input);
    let p = input.join("c_gpu_usage.csv");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text += "2026-03-01 00:00:00 +0000 UTC,2026-04-01 00:00:00 +0000 UTC,soon,,g1,ml,p1,GPU-1,T4,nvidia,1,1,0,,,,\n";
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    let res = ingest(&input, &out);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("c_gpu_usage.csv") && err.contains("line 8") && err.contains("\"soon\""),
        "{err}"
    );
    assert!(files_under(&out).is_empty(), "{:?}", files_under(&out));
}

/// An operator payload with VM and GPU reports, ingested next to pod reports, then `run`: the GPU
/// summary and the VM temp-table rows equal the DuckDB ports of Koku's queries.
#[test]
fn ingested_vm_and_gpu_reports_then_run_match_the_oracle() {
    let dir = TempDir::new().unwrap();
    let (pods, vms, out) = (
        dir.path().join("pods"),
        dir.path().join("vms"),
        dir.path().join("out"),
    );
    crafted_payload(&pods);
    vm_gpu_payload(&vms);
    check(ingest(&pods, &out), "ingest pods");
    check(ingest(&vms, &out), "ingest vm/gpu");
    let p = Params {
        enabled_keys: Some("app".into()),
        cost_categories: vec!["m%=5".into()],
        ..Params::month(2026, 3)
    };
    let engine = out.join("engine.csv");
    run_engine(&out, &p, &engine, 2);
    for (query, file, preset) in [
        ("gpu", "engine.gpu_summary.csv", "gpu"),
        ("vm", "engine.vm_tmp.csv", "vm"),
    ] {
        let expected = out.join(format!("oracle_{query}.csv"));
        let res = std::process::Command::new(python())
            .arg(repo().join("tests/oracle/vm_gpu.py"))
            .args(p.args(&out))
            .args(["--query", query, "--summary"])
            .arg(&engine)
            .arg("--out")
            .arg(&expected)
            .output()
            .unwrap();
        check(res, "vm_gpu.py");
        let actual = out.join(file);
        let cmp = std::process::Command::new(python())
            .arg(repo().join("tests/oracle/compare.py"))
            .args(["--preset", preset])
            .arg(&expected)
            .arg(&actual)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&check(cmp, "compare.py").stdout).into_owned();
        assert!(text.contains("rows match"), "{query}: {text}");
        let rows = std::fs::read_to_string(&actual).unwrap().lines().count() - 1;
        assert!(rows >= 2, "{query}: {rows} rows");
    }
}
