//! A throwaway PostgreSQL 15 for the tests that need one.
//!
//! One server is started per test binary (`initdb` + `pg_ctl` in a temporary folder, on a free
//! port, as the `postgres` user when run as root) unless `DATABASE_URL` points at one. A watchdog
//! shell stops it when the test process exits. Each test works in its own database.

use super::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use tempfile::TempDir;

pub const SCHEMA: &str = "Org \"1\"";
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct Server {
    /// `postgres://user@host:port` without a database; `None` path means our own server.
    pub base: String,
    pub own: bool,
    /// The server's self-signed certificate when it runs with TLS.
    pub cert: Option<PathBuf>,
}

pub fn pg_tool(name: &str) -> PathBuf {
    let p = Path::new(PG_BIN).join(name);
    if p.exists() {
        p
    } else {
        PathBuf::from(name)
    }
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn as_postgres(tool: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            let base = url.split('?').next().unwrap().to_string();
            let base = match base.rfind('/') {
                Some(i) if i > "postgres://".len() => base[..i].to_string(),
                _ => base,
            };
            return Server {
                base,
                own: false,
                cert: None,
            };
        }
        let dir = std::env::temp_dir().join(format!("ocp-summary-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            check(
                Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(&dir)
                    .output()
                    .unwrap(),
                "chown",
            );
        }
        let data = dir.join("data");
        check(
            as_postgres(&pg_tool("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-A", "trust", "-U", "postgres", "--no-sync"])
                .output()
                .expect("initdb (PostgreSQL 15 binaries in /usr/lib/postgresql/15/bin or PATH)"),
            "initdb",
        );
        // Password auth for one role, so a wrong password can be tested; trust for the rest.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all pwuser 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        // A self-signed certificate for localhost, so the sslmode tests have TLS to talk to.
        let tls = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
            .arg("-keyout")
            .arg(dir.join("server.key"))
            .arg("-out")
            .arg(dir.join("server.crt"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if tls && is_root() {
            for f in ["server.key", "server.crt"] {
                check(
                    Command::new("chown")
                        .arg("postgres")
                        .arg(dir.join(f))
                        .output()
                        .unwrap(),
                    "chown",
                );
            }
        }
        let ssl = if tls {
            format!(
                " -c ssl=on -c ssl_cert_file={d}/server.crt -c ssl_key_file={d}/server.key",
                d = dir.display()
            )
        } else {
            String::new()
        };
        let port = free_port();
        check(
            as_postgres(&pg_tool("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100{ssl}",
                    dir.display()
                ))
                .arg("-l")
                .arg(dir.join("log"))
                .args(["-w", "start"])
                .output()
                .unwrap(),
            "pg_ctl start",
        );
        // Stop the server and remove the folder when this test process exits.
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = if is_root() {
                format!("runuser -u postgres -- {}", pg_tool("pg_ctl").display())
            } else {
                pg_tool("pg_ctl").display().to_string()
            },
            data = data.display(),
            dir = dir.display()
        );
        // Outlives this process by design: it is the one that stops the server.
        #[allow(clippy::zombie_processes)]
        Command::new("setsid")
            .args(["sh", "-c", &watchdog])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("watchdog");
        let base = format!("postgres://postgres@127.0.0.1:{port}");
        let cert = tls.then(|| dir.join("server.crt"));
        let s = Server {
            base,
            own: true,
            cert,
        };
        psql(
            &s.url("postgres"),
            "CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD 'right-pw'",
        );
        s
    })
}

impl Server {
    pub fn url(&self, db: &str) -> String {
        format!("{}/{db}?sslmode=disable", self.base)
    }
}

/// A new empty database for one test.
pub fn fresh_db(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let s = server();
    let name = format!(
        "t_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    psql(&s.url("postgres"), &format!("CREATE DATABASE {name}"));
    s.url(&name)
}

pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("psql");
    let out = check(out, &format!("psql {sql}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn q(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

pub fn summary(schema: &str) -> String {
    format!("{}.reporting_ocpusagelineitem_daily_summary", q(schema))
}

pub fn init_db(url: &str, schema: &str) {
    check(
        bin()
            .args(["init-db", "--database-url", url, "--schema", schema])
            .output()
            .unwrap(),
        "init-db",
    );
    psql(
        url,
        &format!(
            "INSERT INTO {}.reporting_ocpusagereportperiod (id, cluster_id, report_period_start, report_period_end)
             VALUES (7, 'cluster-a', '2026-03-01', '2026-04-01'), (8, 'cluster-b', '2026-03-01', '2026-04-01');
             INSERT INTO {s}.reporting_enabledtagkeys (key, enabled, provider_type)
             VALUES ('app', true, 'OCP'), ('team', true, 'OCP'), ('tier', false, 'OCP'), ('env', true, 'AWS')",
            q(schema),
            s = q(schema)
        ),
    );
}

pub fn run_args(input: &Path, extra: &[&str]) -> Command {
    let mut c = bin();
    c.args(["run", "--input"])
        .arg(input)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "cluster-a", "--cluster-alias", "Cluster A"])
        .args(["--report-period-id", "7", "--threads", "2"])
        .args(extra);
    c
}

pub fn run_db(input: &Path, url: &str, schema: &str, extra: &[&str]) -> Output {
    run_args(input, extra)
        .args(["--database-url", url, "--schema", schema])
        .output()
        .unwrap()
}

/// Every written column but `uuid`, as text, for set comparisons.
pub fn cols_sql() -> &'static str {
    "report_period_id, cluster_id, cluster_alias, data_source, usage_start, usage_end, namespace, node,
     resource_id, pod_labels, pod_usage_cpu_core_hours, pod_request_cpu_core_hours,
     pod_effective_usage_cpu_core_hours, pod_limit_cpu_core_hours, pod_usage_memory_gigabyte_hours,
     pod_request_memory_gigabyte_hours, pod_effective_usage_memory_gigabyte_hours,
     pod_limit_memory_gigabyte_hours, node_capacity_cpu_cores, node_capacity_cpu_core_hours,
     node_capacity_memory_gigabytes, node_capacity_memory_gigabyte_hours,
     cluster_capacity_cpu_core_hours, cluster_capacity_memory_gigabyte_hours, persistentvolumeclaim,
     persistentvolume, storageclass, volume_labels, all_labels, persistentvolumeclaim_capacity_gigabyte,
     persistentvolumeclaim_capacity_gigabyte_months, volume_request_storage_gigabyte_months,
     persistentvolumeclaim_usage_gigabyte_months, source_uuid, infrastructure_usage_cost,
     cost_category_id"
}

/// Rows of `a` not in `b` and of `b` not in `a` (as multisets, uuid ignored).
pub fn differences(url: &str, a: &str, b: &str) -> String {
    let c = cols_sql();
    psql(
        url,
        &format!(
            "SELECT count(*) FROM ((SELECT {c} FROM {a} EXCEPT ALL SELECT {c} FROM {b})
             UNION ALL (SELECT {c} FROM {b} EXCEPT ALL SELECT {c} FROM {a})) d"
        ),
    )
}

pub fn count(url: &str, table: &str, filter: &str) -> u64 {
    psql(url, &format!("SELECT count(*) FROM {table} {filter}"))
        .parse()
        .unwrap()
}

/// Loads a CSV of the engine into another schema's table with psql's `\copy` (PostgreSQL rounds the
/// text to numeric(33,15) itself: an independent check of the binary numeric encoding).
pub fn load_csv(url: &str, schema: &str, csv: &Path) {
    let cols = std::fs::read_to_string(csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    psql(
        url,
        &format!(
            "\\copy {} ({cols}) FROM '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            summary(schema),
            csv.display()
        ),
    );
}

pub fn generated(extra: &[&str]) -> TempDir {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), extra);
    dir
}
