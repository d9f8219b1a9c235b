//! The PostgreSQL sink against a real PostgreSQL 15: binary COPY round trips, the database equal
//! to the CSV of the same run, re-runs, the §9.1 delete scope, a backend killed mid-COPY, concurrent
//! runs, a schema name that needs quoting, and clear errors.
//! The server is [`common::pg`]'s throwaway PostgreSQL 15.

mod common;

use common::pg::*;
use common::*;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

#[test]
fn db_equals_csv_and_pgcopy_file_of_the_same_run() {
    let data = generated(&["--days", "3"]);
    let url = fresh_db("equal");
    for s in [SCHEMA, "csv", "file"] {
        init_db(&url, s);
    }
    check(
        run_db(data.path(), &url, SCHEMA, &[]),
        "run into the database",
    );
    let out = TempDir::new().unwrap();
    let csv = out.path().join("out.csv");
    let file = out.path().join("out.pgcopy");
    // Same lookups (from the database), other outputs.
    for o in [
        format!("csv:{}", csv.display()),
        format!("pgcopy:{}", file.display()),
    ] {
        check(
            run_db(data.path(), &url, SCHEMA, &["--output", &o]),
            "run to a file",
        );
    }
    load_csv(&url, "csv", &csv);
    psql(
        &url,
        &format!(
            "\\copy {} ({}) FROM '{}' WITH (FORMAT binary)",
            summary("file"),
            std::fs::read_to_string(&csv)
                .unwrap()
                .lines()
                .next()
                .unwrap(),
            file.display()
        ),
    );
    let rows = count(&url, &summary(SCHEMA), "");
    assert_eq!(rows as usize, csv_rows(&csv));
    assert!(rows > 1000, "{rows}");
    assert_eq!(count(&url, &summary("file"), ""), rows);
    assert_eq!(differences(&url, &summary(SCHEMA), &summary("csv")), "0");
    assert_eq!(differences(&url, &summary(SCHEMA), &summary("file")), "0");
    // The lookups came from the database: enabled OCP keys only, plus the seeded categories.
    let keys = psql(
        &url,
        &format!(
            "SELECT string_agg(DISTINCT k, ',' ORDER BY k) FROM {}, jsonb_object_keys(pod_labels) k",
            summary(SCHEMA)
        ),
    );
    assert!(
        keys.split(',')
            .all(|k| ["app", "team", "vm_kubevirt_io_name"].contains(&k)),
        "{keys}"
    );
    assert!(count(&url, &summary(SCHEMA), "WHERE cost_category_id = 1") > 0);
    // uuids are unique v4; the month went to its own partition.
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT count(DISTINCT uuid) = count(*) AND bool_and(substr(uuid::text, 15, 1) = '4')
                 FROM {}",
                summary(SCHEMA)
            )
        ),
        "t"
    );
    assert_eq!(
        count(
            &url,
            &format!(
                "{}.reporting_ocpusagelineitem_daily_summary_2026_03",
                q(SCHEMA)
            ),
            ""
        ),
        rows
    );
}

/// A daily pod file, one row per entry: (namespace, pod, labels, pod_usage_cpu_core_seconds).
fn write_pods(root: &Path, rows: &[(&str, &str, &str, Option<f64>)]) {
    let path = root.join(format!(
        "data/parquet/daily/{ORG}/OCP/pod_usage/source={SOURCE}/year=2026/month=03/crafted.parquet"
    ));
    let strs = ["namespace", "node", "pod", "resource_id", "pod_labels"];
    let nums = [
        "pod_usage_cpu_core_seconds",
        "pod_request_cpu_core_seconds",
        "pod_effective_usage_cpu_core_seconds",
        "pod_limit_cpu_core_seconds",
        "pod_usage_memory_byte_seconds",
        "pod_request_memory_byte_seconds",
        "pod_effective_usage_memory_byte_seconds",
        "pod_limit_memory_byte_seconds",
        "node_capacity_cpu_cores",
        "node_capacity_memory_bytes",
    ];
    let mut fields = vec!["OPTIONAL INT64 interval_start (TIMESTAMP(MILLIS,false));".to_string()];
    fields.extend(
        strs.iter()
            .map(|n| format!("OPTIONAL BYTE_ARRAY {n} (STRING);")),
    );
    fields.extend(nums.iter().map(|n| format!("OPTIONAL DOUBLE {n};")));
    let schema = parse_message_type(&format!("message schema {{ {} }}", fields.join(" "))).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut rg = w.next_row_group().unwrap();
    let all = vec![1i16; rows.len()];
    let mut cw = rg.next_column().unwrap().unwrap();
    cw.typed::<Int64Type>()
        .write_batch(&vec![1_772_323_200_000i64; rows.len()], Some(&all), None)
        .unwrap();
    cw.close().unwrap();
    for (i, _) in strs.iter().enumerate() {
        let vals: Vec<ByteArray> = rows
            .iter()
            .map(|r| {
                ByteArray::from(match i {
                    0 => r.0,
                    1 => "node-ä",
                    2 => r.1,
                    3 => "i-1",
                    _ => r.2,
                })
            })
            .collect();
        let mut cw = rg.next_column().unwrap().unwrap();
        cw.typed::<ByteArrayType>()
            .write_batch(&vals, Some(&all), None)
            .unwrap();
        cw.close().unwrap();
    }
    for (i, _) in nums.iter().enumerate() {
        let (vals, defs): (Vec<f64>, Vec<i16>) = if i == 0 {
            let vals = rows.iter().filter_map(|r| r.3).collect();
            (vals, rows.iter().map(|r| r.3.is_some() as i16).collect())
        } else {
            (vec![3600.0; rows.len()], all.clone())
        };
        let mut cw = rg.next_column().unwrap().unwrap();
        cw.typed::<DoubleType>()
            .write_batch(&vals, Some(&defs), None)
            .unwrap();
        cw.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

#[test]
fn round_trip_of_every_column_type() {
    let data = TempDir::new().unwrap();
    write_pods(
        data.path(),
        &[
            ("ns-zero", "p0", r#"{"app":""}"#, Some(0.0)),
            ("ns-neg", "p1", r#"{"app":"a"}"#, Some(-5400.0)),
            ("ns-huge", "p2", r#"{"app":"b"}"#, Some(3.6e20)),
            ("ns-tiny", "p3", r#"{"app":"c"}"#, Some(3.6e-13)),
            ("ns-half", "p4", r#"{"app":"d"}"#, Some(5e-16 * 3600.0)),
            ("ns-frac", "p5", r#"{"app":"e"}"#, Some(360.0)),
            (
                "Zürich-名前",
                "p6",
                r#"{"app":"café ✓","team":"ü"}"#,
                Some(7200.0),
            ),
            ("ns-null", "p7", "{}", None),
            ("openshift-x", "p8", r#"{"other":"x"}"#, Some(1.0)),
        ],
    );
    assert_eq!(5e-16 * 3600.0 / 3600.0, 5e-16, "test precondition");
    let url = fresh_db("types");
    init_db(&url, SCHEMA);
    init_db(&url, "csv");
    check(run_db(data.path(), &url, SCHEMA, &[]), "run");
    let out = TempDir::new().unwrap();
    let csv = out.path().join("out.csv");
    check(
        run_db(
            data.path(),
            &url,
            SCHEMA,
            &["--output", &format!("csv:{}", csv.display())],
        ),
        "run csv",
    );
    load_csv(&url, "csv", &csv);
    assert_eq!(differences(&url, &summary(SCHEMA), &summary("csv")), "0");
    let get = |ns: &str, col: &str| {
        psql(
            &url,
            &format!(
                "SELECT coalesce({col}::text, 'NULL') FROM {} WHERE namespace = '{ns}' AND data_source = 'Pod'",
                summary(SCHEMA)
            ),
        )
    };
    assert_eq!(
        get("ns-zero", "pod_usage_cpu_core_hours"),
        "0.000000000000000"
    );
    assert_eq!(
        get("ns-neg", "pod_usage_cpu_core_hours"),
        "-1.500000000000000"
    );
    assert_eq!(
        get("ns-huge", "pod_usage_cpu_core_hours"),
        "100000000000000000.000000000000000"
    );
    assert_eq!(
        get("ns-tiny", "pod_usage_cpu_core_hours"),
        "0.000000000000000"
    );
    assert_eq!(
        get("ns-half", "pod_usage_cpu_core_hours"),
        "0.000000000000001"
    );
    assert_eq!(
        get("ns-frac", "pod_usage_cpu_core_hours"),
        "0.100000000000000"
    );
    assert_eq!(get("ns-null", "pod_usage_cpu_core_hours"), "NULL");
    assert_eq!(get("ns-null", "persistentvolumeclaim"), "NULL");
    assert_eq!(get("ns-zero", "pod_labels"), r#"{"app": ""}"#);
    assert_eq!(get("ns-null", "pod_labels"), "{}");
    assert_eq!(
        get("Zürich-名前", "pod_labels"),
        r#"{"app": "café ✓", "team": "ü"}"#
    );
    assert_eq!(get("Zürich-名前", "node"), "node-ä");
    assert_eq!(get("Zürich-名前", "usage_start"), "2026-03-01");
    assert_eq!(get("Zürich-名前", "source_uuid"), SOURCE);
    assert_eq!(get("Zürich-名前", "report_period_id"), "7");
    assert_eq!(get("Zürich-名前", "cost_category_id"), "NULL");
    assert_eq!(get("openshift-x", "cost_category_id"), "1");
    assert_eq!(
        get("openshift-x", "infrastructure_usage_cost"),
        r#"{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}"#
    );
}

#[test]
fn rerun_replaces_only_its_rows() {
    let data = generated(&["--days", "2"]);
    let url = fresh_db("rerun");
    init_db(&url, SCHEMA);
    let t = summary(SCHEMA);
    // Rows the §9.1 delete must keep: another report period, and a non-zero infrastructure cost.
    psql(
        &url,
        &format!(
            "INSERT INTO {t} (uuid, report_period_id, usage_start, usage_end, data_source, infrastructure_raw_cost)
             VALUES (gen_random_uuid(), 8, '2026-03-01', '2026-03-01', 'Pod', NULL),
                    (gen_random_uuid(), 7, '2026-03-02', '2026-03-02', 'Pod', 12.5),
                    (gen_random_uuid(), 7, '2026-03-02', '2026-03-02', 'Pod', 0)"
        ),
    );
    check(run_db(data.path(), &url, SCHEMA, &[]), "first run");
    let first = count(
        &url,
        &t,
        "WHERE report_period_id = 7 AND infrastructure_raw_cost IS NULL",
    );
    let uuids1 = psql(
        &url,
        &format!("SELECT md5(string_agg(uuid::text, '' ORDER BY uuid)) FROM {t}"),
    );
    check(run_db(data.path(), &url, SCHEMA, &[]), "second run");
    let second = count(
        &url,
        &t,
        "WHERE report_period_id = 7 AND infrastructure_raw_cost IS NULL",
    );
    assert_eq!(first, second, "a re-run gives the same rows");
    let uuids2 = psql(
        &url,
        &format!("SELECT md5(string_agg(uuid::text, '' ORDER BY uuid)) FROM {t}"),
    );
    assert_ne!(uuids1, uuids2, "the rows were replaced (new uuids)");
    assert_eq!(count(&url, &t, "WHERE report_period_id = 8"), 1);
    assert_eq!(count(&url, &t, "WHERE infrastructure_raw_cost = 12.5"), 1);
    assert_eq!(count(&url, &t, "WHERE infrastructure_raw_cost = 0"), 0);

    // Changed input: the rows become those of the new data.
    let changed = generated(&["--days", "2", "--seed", "99", "--nodes", "5"]);
    init_db(&url, "csv");
    let out = TempDir::new().unwrap();
    let csv = out.path().join("new.csv");
    check(
        run_db(
            changed.path(),
            &url,
            SCHEMA,
            &["--output", &format!("csv:{}", csv.display())],
        ),
        "csv of the new input",
    );
    load_csv(&url, "csv", &csv);
    check(
        run_db(changed.path(), &url, SCHEMA, &[]),
        "run on changed input",
    );
    let c = cols_sql();
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT count(*) FROM ((SELECT {c} FROM {t} WHERE report_period_id = 7 AND infrastructure_raw_cost IS NULL
                  EXCEPT ALL SELECT {c} FROM {csv_t}) UNION ALL (SELECT {c} FROM {csv_t} EXCEPT ALL
                  SELECT {c} FROM {t} WHERE report_period_id = 7 AND infrastructure_raw_cost IS NULL)) d",
                csv_t = summary("csv")
            )
        ),
        "0"
    );
    assert_eq!(count(&url, &t, "WHERE report_period_id = 8"), 1);
    assert_eq!(count(&url, &t, "WHERE infrastructure_raw_cost = 12.5"), 1);
}

/// Makes every inserted row wait, so a COPY lasts long enough to be caught.
fn slow_inserts(url: &str, schema: &str, per_row_ms: u32) {
    psql(
        url,
        &format!(
            "CREATE FUNCTION {s}.slow() RETURNS trigger LANGUAGE plpgsql AS
               $$BEGIN PERFORM pg_sleep({secs}); RETURN NEW; END$$;
             CREATE TRIGGER slow BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {s}.slow()",
            s = q(schema),
            t = summary(schema),
            secs = f64::from(per_row_ms) / 1000.0
        ),
    );
}

/// Waits until the run's COPY is active, then terminates its backend; returns whether it did.
fn kill_copy(url: &str, timeout: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        let pid = psql(
            url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ocp-summary'
             AND state = 'active' AND query LIKE 'COPY%' LIMIT 1",
        );
        if !pid.is_empty() {
            return psql(url, &format!("SELECT pg_terminate_backend({pid})")) == "t";
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn terminated_backend_mid_copy_leaves_old_rows() {
    let data = generated(&["--days", "2"]);
    let url = fresh_db("fault");
    init_db(&url, SCHEMA);
    let t = summary(SCHEMA);
    check(run_db(data.path(), &url, SCHEMA, &[]), "first run");
    let before = psql(
        &url,
        &format!("SELECT count(*), md5(string_agg(uuid::text, '' ORDER BY uuid)) FROM {t}"),
    );
    slow_inserts(&url, SCHEMA, 2);
    let child = run_args(
        data.path(),
        &[
            "--database-url",
            &url,
            "--schema",
            SCHEMA,
            "--db-retries",
            "0",
        ],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let saw = kill_copy(&url, Duration::from_secs(60));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(saw, "never saw the COPY; the run said: {err}");
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("sink failure"), "{err}");
    let after = psql(
        &url,
        &format!("SELECT count(*), md5(string_agg(uuid::text, '' ORDER BY uuid)) FROM {t}"),
    );
    assert_eq!(before, after, "the old rows are intact");

    // With retries, the transaction starts again and succeeds; the retry is logged.
    let child = run_args(
        data.path(),
        &[
            "--database-url",
            &url,
            "--schema",
            SCHEMA,
            "--db-retries",
            "2",
        ],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let saw = kill_copy(&url, Duration::from_secs(60));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(saw, "never saw the COPY; the run said: {err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("retrying the transaction"), "{err}");
    assert!(
        err.contains("; 1 retries"),
        "the report counts the retry: {err}"
    );
    let n: u64 = before.split('|').next().unwrap().parse().unwrap();
    assert_eq!(count(&url, &t, ""), n);
}

#[test]
fn concurrent_runs_serialise() {
    let data = generated(&["--days", "2"]);
    let url = fresh_db("concurrent");
    init_db(&url, SCHEMA);
    slow_inserts(&url, SCHEMA, 1);
    let spawn = || {
        run_args(data.path(), &["--database-url", &url, "--schema", SCHEMA])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for c in [a, b] {
        check(c.wait_with_output().unwrap(), "concurrent run");
    }
    let out = TempDir::new().unwrap();
    let csv = out.path().join("one.csv");
    check(
        run_db(
            data.path(),
            &url,
            SCHEMA,
            &["--output", &format!("csv:{}", csv.display())],
        ),
        "csv",
    );
    assert_eq!(count(&url, &summary(SCHEMA), "") as usize, csv_rows(&csv));
}

fn fails(out: Output, code: i32, parts: &[&str], secret: Option<&str>) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    for p in parts {
        assert!(err.contains(p), "missing {p:?} in: {err}");
    }
    if let Some(s) = secret {
        assert!(!err.contains(s), "the password leaked: {err}");
    }
    // Data, shape and authentication errors are final: no transaction retry.
    assert!(!err.contains("retrying the transaction"), "{err}");
}

#[test]
fn clear_errors() {
    let data = generated(&["--days", "1"]);
    // Unreachable server.
    let port = free_port();
    let dead = format!("postgres://u:hunter2-secret@127.0.0.1:{port}/x?sslmode=disable");
    fails(
        run_db(data.path(), &dead, "s", &["--db-connect-attempts", "2"]),
        4,
        &["cannot connect", "after 2 attempts"],
        Some("hunter2-secret"),
    );
    fails(
        bin()
            .args([
                "init-db",
                "--database-url",
                &dead,
                "--schema",
                "s",
                "--db-connect-attempts",
                "1",
            ])
            .output()
            .unwrap(),
        4,
        &["cannot connect"],
        Some("hunter2-secret"),
    );
    let url = fresh_db("errors");
    // Missing tables.
    fails(
        run_db(
            data.path(),
            &url,
            SCHEMA,
            &[
                "--enabled-keys",
                "app",
                "--cost-category",
                "x=1",
                "--node-role",
                "n=worker",
            ],
        ),
        4,
        &["reporting_ocpusagereportperiod"],
        None,
    );
    init_db(&url, SCHEMA);
    // Missing report period.
    let out = bin()
        .args(["run", "--input"])
        .arg(data.path())
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "c", "--report-period-id", "99"])
        .args(["--database-url", &url, "--schema", SCHEMA])
        .output()
        .unwrap();
    fails(out, 2, &["report period 99 does not exist"], None);
    // No report period at all.
    let out = bin()
        .args(["run", "--input"])
        .arg(data.path())
        .args([
            "--org",
            ORG,
            "--source",
            SOURCE,
            "--year",
            "2026",
            "--month",
            "3",
            "--cluster-id",
            "c",
        ])
        .args(["--database-url", &url, "--schema", SCHEMA])
        .output()
        .unwrap();
    fails(out, 2, &["--report-period-id is required"], None);
    // A table of another shape.
    psql(
        &url,
        &format!("ALTER TABLE {} DROP COLUMN storageclass", summary(SCHEMA)),
    );
    fails(
        run_db(data.path(), &url, SCHEMA, &[]),
        4,
        &["has no column storageclass"],
        None,
    );
    psql(&url, &format!("DROP TABLE {} CASCADE", summary(SCHEMA)));
    fails(
        run_db(data.path(), &url, SCHEMA, &[]),
        4,
        &["does not exist", "init-db"],
        None,
    );

    // Wrong password (only on our own server, where pg_hba asks pwuser for one).
    if server().own {
        let port = server().base.rsplit(':').next().unwrap().to_string();
        let wrong =
            format!("postgres://pwuser:wrong-pw-123@127.0.0.1:{port}/postgres?sslmode=disable");
        fails(
            run_db(data.path(), &wrong, SCHEMA, &[]),
            4,
            &["password authentication failed"],
            Some("wrong-pw-123"),
        );
        let right = format!("postgres://pwuser:right-pw@127.0.0.1:{port}/postgres?sslmode=disable");
        check(
            bin()
                .args(["init-db", "--database-url", &right, "--schema", "pw"])
                .output()
                .unwrap(),
            "init-db with a password",
        );
    }
}

#[test]
fn pgcopy_file_without_a_server() {
    let data = generated(&["--days", "1"]);
    let out = TempDir::new().unwrap();
    let file = out.path().join("rows.pgcopy");
    check(
        run_args(
            data.path(),
            &[
                "--no-enabled-keys",
                "--output",
                &format!("pgcopy:{}", file.display()),
            ],
        )
        .output()
        .unwrap(),
        "pgcopy",
    );
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PGCOPY\n\xff\r\n\0"));
    assert!(bytes.ends_with(&[0xff, 0xff]));
}

#[test]
fn tls_modes_behave_as_in_libpq() {
    let Some(cert) = &server().cert else {
        eprintln!("no TLS server (own server with openssl needed); skipped");
        return;
    };
    let port = server().base.rsplit(':').next().unwrap().to_string();
    let init = |host: &str, opts: &str| {
        bin()
            .args(["init-db", "--schema", "tls", "--db-connect-attempts", "1"])
            .arg("--database-url")
            .arg(format!(
                "postgres://pwuser:right-pw@{host}:{port}/postgres?{opts}"
            ))
            .output()
            .unwrap()
    };
    for (host, opts) in [
        ("127.0.0.1", "sslmode=disable".to_string()),
        ("127.0.0.1", "sslmode=prefer".to_string()),
        ("127.0.0.1", "sslmode=require".to_string()),
        (
            "127.0.0.1",
            format!("sslmode=verify-ca&sslrootcert={}", cert.display()),
        ),
        (
            "localhost",
            format!("sslmode=verify-full&sslrootcert={}", cert.display()),
        ),
    ] {
        check(init(host, &opts), &format!("init-db with {opts} on {host}"));
    }
    // Verification fails without the root certificate, or for a name the certificate does not carry.
    fails(
        init("localhost", "sslmode=verify-full"),
        4,
        &["cannot connect"],
        Some("right-pw"),
    );
    fails(
        init(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={}", cert.display()),
        ),
        4,
        &["cannot connect"],
        Some("right-pw"),
    );
    fails(
        init("127.0.0.1", "sslmode=bogus"),
        2,
        &["sslmode"],
        Some("right-pw"),
    );
}

/// Waits until no ocp-summary session is left (the server rolled back what a dead client left).
fn wait_sessions_gone(url: &str) {
    let t0 = Instant::now();
    while psql(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ocp-summary'",
    ) != "0"
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "session still there"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn signals_constraint_errors_and_bad_values_leave_old_rows() {
    let data = generated(&["--days", "1"]);
    let url = fresh_db("signals");
    init_db(&url, SCHEMA);
    let t = summary(SCHEMA);
    check(run_db(data.path(), &url, SCHEMA, &[]), "first run");
    let snapshot = || {
        psql(
            &url,
            &format!("SELECT count(*), md5(string_agg(uuid::text, '' ORDER BY uuid)) FROM {t}"),
        )
    };
    let before = snapshot();

    // A constraint error: cluster_id is varchar(50).
    let long = "c".repeat(51);
    let out = bin()
        .args(["run", "--input"])
        .arg(data.path())
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", &long, "--report-period-id", "7"])
        .args(["--database-url", &url, "--schema", SCHEMA])
        .output()
        .unwrap();
    fails(out, 4, &["value too long"], None);
    assert_eq!(snapshot(), before);

    // SIGTERM and SIGINT during the COPY: the process dies, the server rolls back.
    slow_inserts(&url, SCHEMA, 2);
    for sig in ["-TERM", "-INT"] {
        let child = run_args(data.path(), &["--database-url", &url, "--schema", SCHEMA])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while psql(
            &url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ocp-summary'
             AND state = 'active' AND query LIKE 'COPY%'",
        ) == "0"
        {
            assert!(t0.elapsed() < Duration::from_secs(60), "never saw the COPY");
            std::thread::sleep(Duration::from_millis(20));
        }
        check(
            Command::new("kill")
                .arg(sig)
                .arg(child.id().to_string())
                .output()
                .unwrap(),
            "kill",
        );
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        wait_sessions_gone(&url);
        assert_eq!(snapshot(), before, "after kill {sig}");
    }
    psql(&url, &format!("DROP TRIGGER slow ON {t}"));

    // A value numeric(33,15) cannot hold: refused before the database is touched.
    let bad = TempDir::new().unwrap();
    write_pods(bad.path(), &[("ns", "p", "{}", Some(1e300))]);
    fails(
        run_db(bad.path(), &url, SCHEMA, &[]),
        2,
        &["numeric(33,15)", "nothing was written"],
        None,
    );
    assert_eq!(snapshot(), before);
}

#[test]
fn partitions_are_created_only_when_possible() {
    let data = generated(&["--days", "1"]);
    // The default partition already holds a row of the month: no month partition, rows go there.
    let url = fresh_db("partdefault");
    init_db(&url, SCHEMA);
    let t = summary(SCHEMA);
    psql(
        &url,
        &format!(
            "INSERT INTO {t} (uuid, report_period_id, usage_start, usage_end) \
             VALUES (gen_random_uuid(), 8, '2026-03-20', '2026-03-20')"
        ),
    );
    check(run_db(data.path(), &url, SCHEMA, &[]), "run");
    let month = format!(
        "{}.reporting_ocpusagelineitem_daily_summary_2026_03",
        q(SCHEMA)
    );
    assert_eq!(
        psql(
            &url,
            &format!("SELECT to_regclass('{}')", month.replace('\'', "''"))
        ),
        ""
    );
    let rows = count(&url, &t, "WHERE report_period_id = 7");
    assert!(rows > 0);
    assert_eq!(
        count(
            &url,
            &format!(
                "{}.reporting_ocpusagelineitem_daily_summary_default",
                q(SCHEMA)
            ),
            ""
        ),
        rows + 1
    );

    // Another partition (other name) already covers the month: it is used as it is.
    let url = fresh_db("partother");
    init_db(&url, SCHEMA);
    psql(
        &url,
        &format!(
            "CREATE TABLE {s}.march PARTITION OF {t} FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')",
            s = q(SCHEMA)
        ),
    );
    check(run_db(data.path(), &url, SCHEMA, &[]), "run");
    let rows = count(&url, &t, "");
    assert!(rows > 0);
    assert_eq!(count(&url, &format!("{}.march", q(SCHEMA)), ""), rows);
}

/// `--copy text` loads the same rows as the binary COPY, through a CSV stream.
#[test]
fn text_copy_loads_the_same_rows_as_binary() {
    let data = generated(&["--days", "2"]);
    let url = fresh_db("textcopy");
    for s in [SCHEMA, "text"] {
        init_db(&url, s);
    }
    let report = |name: &str| data.path().join(format!("{name}.json"));
    let out = run_db(
        data.path(),
        &url,
        SCHEMA,
        &["--report-json", report("binary").to_str().unwrap()],
    );
    check(out, "run --copy binary");
    let out = run_db(
        data.path(),
        &url,
        "text",
        &[
            "--copy",
            "text",
            "--report-json",
            report("text").to_str().unwrap(),
        ],
    );
    check(out, "run --copy text");
    let rows = count(&url, &summary(SCHEMA), "");
    assert!(rows > 0);
    assert_eq!(count(&url, &summary("text"), ""), rows);
    assert_eq!(differences(&url, &summary(SCHEMA), &summary("text")), "0");
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(report(name)).unwrap()).unwrap()
    };
    let (binary, text) = (json("binary"), json("text"));
    assert_eq!(text["switches"]["copy"], "text");
    assert_eq!(binary["switches"]["copy"], "binary");
    assert_ne!(
        text["bytes_out"], binary["bytes_out"],
        "a different stream went out"
    );
}
