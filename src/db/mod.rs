//! PostgreSQL: connecting (TLS, retries, no passwords in messages), the lookups of spec §2.5 and §3,
//! and the load of one run in one transaction (spec §9.1, §9.3).
//!
//! A load is: `BEGIN`; an advisory lock on (schema, report period) so two runs on one report period
//! never interleave; checks that the report period exists and that the table has every column we
//! write; the month partition if missing; the §9.1 delete; `COPY ... FROM STDIN (FORMAT binary)`
//! streamed from [`crate::sink::pgcopy`]; `COMMIT`. Any failure before `COMMIT` (an error, a dropped
//! connection, the process killed by SIGINT/SIGTERM, which we do not catch) rolls everything back on
//! the server. Connection-class failures retry the whole transaction, up to `--db-retries`.

pub mod ddl;

use crate::error::RunError;
use crate::plan::{CostCategory, DbSpec, NodeRole, Plan, RoleResource};
use crate::sink::pgcopy::CopySink;
use crate::sink::{Produce, SinkSummary, COLUMNS};
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::{Client, Config};
use std::time::Duration;

pub const SUMMARY_TABLE: &str = "reporting_ocpusagelineitem_daily_summary";

/// `ident` as a PostgreSQL quoted identifier: in double quotes, inner quotes doubled.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `s` as a PostgreSQL string literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// libpq's sslmode values; the postgres crate knows only the first three, so the others are mapped
/// onto `require` plus certificate checks in the TLS connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A parsed connection target. Its `Debug` and [`Target::describe`] never show the password.
pub struct Target {
    config: Config,
    tls: Tls,
    root_cert: Option<String>,
    pub schema: String,
    connect_attempts: u32,
    pub retries: u32,
}

/// Removes `sslmode` and `sslrootcert` from a URL query or a key=value string.
fn split_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    let mut mode = None;
    let mut root = None;
    let mut take = |k: &str, v: &str| match k {
        "sslmode" => {
            mode = Some(v.to_string());
            true
        }
        "sslrootcert" => {
            root = Some(v.to_string());
            true
        }
        _ => false,
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None, None);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                !take(k, v)
            })
            .collect();
        let rebuilt = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rebuilt, mode, root)
    } else {
        let mut found = false;
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let hit = take(k.trim(), v.trim().trim_matches('\''));
                found |= hit;
                !hit
            })
            .collect();
        if found {
            (kept.join(" "), mode, root)
        } else {
            (url.to_string(), None, None)
        }
    }
}

impl Target {
    pub fn new(spec: &DbSpec) -> Result<Target, RunError> {
        let (url, mode, root_cert) = split_tls_options(&spec.url);
        // The parse error never contains the URL itself.
        let mut config: Config = url
            .parse()
            .map_err(|e| RunError::BadInput(format!("--database-url: {e}")))?;
        let tls = match mode.as_deref() {
            None | Some("prefer") => Tls::Prefer,
            Some("disable") => Tls::Disable,
            Some("allow") => Tls::Prefer,
            Some("require") if root_cert.is_some() => Tls::VerifyCa, // libpq does the same
            Some("require") => Tls::Require,
            Some("verify-ca") => Tls::VerifyCa,
            Some("verify-full") => Tls::VerifyFull,
            Some(other) => {
                return Err(RunError::BadInput(format!(
                    "--database-url: sslmode={other:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )))
            }
        };
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            _ => SslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("ocp-summary");
        }
        Ok(Target {
            config,
            tls,
            root_cert,
            schema: spec.schema.clone(),
            connect_attempts: spec.connect_attempts,
            retries: spec.retries,
        })
    }

    /// `user@host:port/db`, without the password.
    pub fn describe(&self) -> String {
        use postgres::config::Host;
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "postgres {}@{host}:{port}/{}",
            self.config.get_user().unwrap_or("?"),
            self.config
                .get_dbname()
                .or(self.config.get_user())
                .unwrap_or("?")
        )
    }

    fn connector(&self) -> Result<postgres_native_tls::MakeTlsConnector, RunError> {
        let mut b = native_tls::TlsConnector::builder();
        match self.tls {
            Tls::Disable | Tls::Prefer | Tls::Require => {
                b.danger_accept_invalid_certs(true)
                    .danger_accept_invalid_hostnames(true);
            }
            Tls::VerifyCa => {
                b.danger_accept_invalid_hostnames(true);
            }
            Tls::VerifyFull => {}
        }
        if let Some(path) = &self.root_cert {
            let pem = std::fs::read(path)
                .map_err(|e| RunError::BadInput(format!("sslrootcert {path}: {e}")))?;
            let cert = native_tls::Certificate::from_pem(&pem)
                .map_err(|e| RunError::BadInput(format!("sslrootcert {path}: {e}")))?;
            b.add_root_certificate(cert);
        }
        let c = b
            .build()
            .map_err(|e| RunError::Sink(format!("TLS setup: {e}")))?;
        Ok(postgres_native_tls::MakeTlsConnector::new(c))
    }

    /// Connects, retrying transient failures with exponential backoff (0.5 s, 1 s, 2 s, ...).
    pub fn connect(&self) -> Result<Client, RunError> {
        let connector = self.connector()?;
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self.config.connect(connector.clone()) {
                Ok(c) => return Ok(c),
                Err(e) if attempt < self.connect_attempts && transient(&e) => {
                    tracing::warn!(
                        "connecting to {} failed (attempt {attempt} of {}): {e}; retrying in {:.1} s",
                        self.describe(),
                        self.connect_attempts,
                        delay.as_secs_f64()
                    );
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                    attempt += 1;
                }
                Err(e) => {
                    return Err(RunError::Sink(format!(
                        "cannot connect to {} (after {attempt} attempt{}): {}",
                        self.describe(),
                        if attempt == 1 { "" } else { "s" },
                        error_text(&e)
                    )))
                }
            }
        }
    }

    /// A sink error naming the target and what was being done.
    pub fn error(&self, what: &str, e: &postgres::Error) -> RunError {
        RunError::Sink(format!("{} {what}: {}", self.describe(), error_text(e)))
    }

    fn table(&self, name: &str) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(name))
    }
}

/// The server's message with its detail and hint, or the client error.
fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}

/// Failures that may pass: network, server starting or shutting down, a terminated session,
/// serialisation or deadlock. Not authentication, missing objects or bad data.
fn transient(e: &postgres::Error) -> bool {
    match e.code() {
        None => e.as_db_error().is_none(),
        Some(c) => {
            c.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                ]
                .contains(c)
        }
    }
}

/// Fills the lookups the flags and config did not give from the database.
pub fn apply_lookups(plan: &mut Plan) -> Result<(), RunError> {
    let Some(spec) = &plan.db else {
        return Ok(());
    };
    let given = plan.given;
    if given.enabled_keys && given.cost_categories && given.node_roles {
        return Ok(());
    }
    let target = Target::new(spec)?;
    let mut client = target.connect()?;
    let q = |client: &mut Client, sql: String, what: &str| {
        client
            .query(&sql, &[])
            .map_err(|e| target.error(&format!("reading {what}"), &e))
    };
    if !given.enabled_keys {
        let rows = q(
            &mut client,
            format!(
                "SELECT key FROM {} WHERE enabled = true AND provider_type = 'OCP' ORDER BY key",
                target.table("reporting_enabledtagkeys")
            ),
            "enabled keys",
        )?;
        let keys: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        plan.enabled_keys = crate::plan::enabled_key_list(Some(keys));
    }
    if !given.cost_categories {
        let rows = q(
            &mut client,
            format!(
                "SELECT namespace, cost_category_id FROM {} WHERE cost_category_id IS NOT NULL ORDER BY id",
                target.table("reporting_ocp_cost_category_namespace")
            ),
            "cost-category namespaces",
        )?;
        plan.cost_categories = rows
            .iter()
            .map(|r| CostCategory {
                pattern: r.get(0),
                id: r.get(1),
            })
            .collect();
    }
    if !given.node_roles {
        let rows = q(
            &mut client,
            format!(
                "SELECT node, resource_id, max(node_role) FROM {} WHERE node IS NOT NULL \
                 GROUP BY node, resource_id ORDER BY 1, 2",
                target.table("reporting_ocp_nodes")
            ),
            "node roles",
        )?;
        plan.node_roles = rows
            .iter()
            .map(|r| NodeRole {
                node: r.get(0),
                resource_id: match r.get::<_, Option<String>>(1) {
                    Some(id) => RoleResource::Id(id),
                    None => RoleResource::Null,
                },
                role: r.get(2),
            })
            .collect();
    }
    tracing::info!(
        "lookups from {}: {} enabled keys, {} cost-category patterns, {} node roles",
        target.describe(),
        plan.enabled_keys.as_ref().map_or(0, Vec::len),
        plan.cost_categories.len(),
        plan.node_roles.len()
    );
    Ok(())
}

/// Why one attempt failed: worth another try, or final.
enum Failure {
    Retry(String),
    Final(RunError),
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
pub fn load(plan: &Plan, produce: &mut Produce<'_>) -> Result<SinkSummary, RunError> {
    let spec = plan
        .db
        .as_ref()
        .ok_or_else(|| RunError::BadInput("--output postgres needs --database-url".into()))?;
    let target = Target::new(spec)?;
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        let mut client = target.connect()?;
        match load_once(&target, &mut client, plan, produce) {
            Ok(s) => return Ok(s),
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
                return Err(RunError::Sink(format!(
                    "{} after {} retries: {msg}; the transaction was rolled back",
                    target.describe(),
                    attempt
                )))
            }
            Err(Failure::Final(e)) => return Err(e),
        }
    }
}

fn load_once(
    target: &Target,
    client: &mut Client,
    plan: &Plan,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, Failure> {
    let rp = plan.report_period_id.ok_or_else(|| {
        Failure::Final(RunError::BadInput(
            "--report-period-id is required with a database".into(),
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
        return Err(Failure::Final(RunError::BadInput(format!(
            "report period {rp} does not exist in {periods} of {}",
            target.describe()
        ))));
    }
    check_shape(target, &mut tx)?;
    ensure_partition(target, &mut tx, plan)?;

    let deleted = tx
        .execute(
            &format!(
                "DELETE FROM {summary} WHERE usage_start BETWEEN {} AND {} AND report_period_id = $1 \
                 AND (infrastructure_raw_cost IS NULL OR infrastructure_raw_cost = 0)",
                date_literal(plan.start),
                date_literal(plan.end)
            ),
            &[&rp],
        )
        .map_err(|e| Failure::pg(target, "delete", e))?;

    let columns: Vec<String> = COLUMNS.iter().map(|c| quote_ident(c)).collect();
    let copy = format!(
        "COPY {summary} ({}) FROM STDIN (FORMAT binary)",
        columns.join(", ")
    );
    let writer = tx
        .copy_in(&copy)
        .map_err(|e| Failure::pg(target, "copy", e))?;
    // A server error during COPY (a value too long, say) reaches us through the writer: classify it
    // like any other, so data errors are not retried.
    let io_fail = |e: std::io::Error| {
        let inner = e
            .get_ref()
            .and_then(|i| i.downcast_ref::<postgres::Error>());
        match inner {
            Some(pg) if !transient(pg) => Failure::Final(target.error("copy", pg)),
            _ => Failure::Retry(format!("copy: {e}")),
        }
    };
    let mut sink = CopySink::new(writer, plan)
        .map_err(|e| Failure::Final(RunError::BadInput(e.to_string())))?;
    if let Err(e) = produce(&mut sink) {
        return Err(match sink.write_error.take() {
            Some(io) => io_fail(io),
            None => Failure::Final(e),
        });
    }
    let (writer, streamed) = sink.finish().map_err(io_fail)?;
    let bytes = streamed.bytes;
    let copied = writer
        .finish()
        .map_err(|e| Failure::pg(target, "copy", e))?;
    tx.commit().map_err(|e| Failure::pg(target, "commit", e))?;
    tracing::info!(
        "{}: deleted {deleted} rows, copied {copied} rows ({bytes} bytes) into {summary}",
        target.describe()
    );
    Ok(SinkSummary {
        rows: copied,
        bytes,
    })
}

fn date_literal(d: crate::plan::date::Day) -> String {
    format!("DATE '{d}'")
}

/// Which PostgreSQL types each written column may have.
fn expected_types(col: &str) -> &'static [&'static str] {
    match col {
        "uuid" | "source_uuid" => &["uuid"],
        "report_period_id" | "cost_category_id" => &["int4"],
        "usage_start" | "usage_end" => &["date"],
        "pod_labels" | "volume_labels" | "all_labels" | "infrastructure_usage_cost" => &["jsonb"],
        "cluster_id"
        | "cluster_alias"
        | "data_source"
        | "namespace"
        | "node"
        | "resource_id"
        | "persistentvolumeclaim"
        | "persistentvolume"
        | "storageclass" => &["varchar", "text"],
        _ => &["numeric"],
    }
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
        return Err(Failure::Final(RunError::Sink(format!(
            "table {summary} does not exist in {} (create it with `ocp-summary init-db`)",
            target.describe()
        ))));
    }
    let have: std::collections::HashMap<String, String> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for col in COLUMNS {
        match have.get(*col) {
            None => {
                return Err(Failure::Final(RunError::Sink(format!(
                    "table {summary} has no column {col} (spec §10.1)"
                ))))
            }
            Some(t) if !expected_types(col).contains(&t.as_str()) => {
                return Err(Failure::Final(RunError::Sink(format!(
                    "table {summary}: column {col} has type {t}, expected {} (spec §10.1)",
                    expected_types(col).join(" or ")
                ))))
            }
            Some(_) => {}
        }
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
    plan: &Plan,
) -> Result<(), Failure> {
    let summary = target.table(SUMMARY_TABLE);
    let name = format!("{SUMMARY_TABLE}_{:04}_{:02}", plan.year, plan.month);
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
    let first = crate::plan::date::Day::from_ymd(plan.year, plan.month, 1).expect("valid month");
    let (ny, nm) = if plan.month == 12 {
        (plan.year + 1, 1)
    } else {
        (plan.year, plan.month + 1)
    };
    let next = crate::plan::date::Day::from_ymd(ny, nm, 1).expect("valid month");
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
            tracing::warn!("{default} holds rows of {}-{:02}: not creating {partition}; rows go to the default partition", plan.year, plan.month);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("org1"), "\"org1\"");
        assert_eq!(quote_ident("Org \"1\""), "\"Org \"\"1\"\"\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn tls_options_are_split_off() {
        let (u, m, r) = split_tls_options(
            "postgres://u:p@h:5/db?sslmode=verify-full&sslrootcert=/x.pem&application_name=a",
        );
        assert_eq!(u, "postgres://u:p@h:5/db?application_name=a");
        assert_eq!(m.as_deref(), Some("verify-full"));
        assert_eq!(r.as_deref(), Some("/x.pem"));
        let (u, m, _) = split_tls_options("host=h user=u sslmode=require");
        assert_eq!(
            (u.as_str(), m.as_deref()),
            ("host=h user=u", Some("require"))
        );
        let (u, m, _) = split_tls_options("postgres://u@h/db");
        assert_eq!((u.as_str(), m), ("postgres://u@h/db", None));
    }

    #[test]
    fn describe_hides_the_password() {
        let spec = DbSpec {
            url: "postgres://alice:s3cret@db.example:6543/koku?sslmode=disable".into(),
            schema: "org1".into(),
            connect_attempts: 1,
            retries: 0,
        };
        let t = Target::new(&spec).unwrap();
        let d = t.describe();
        assert_eq!(d, "postgres alice@db.example:6543/koku");
        assert!(!format!("{spec:?}").contains("s3cret"));
    }
}
