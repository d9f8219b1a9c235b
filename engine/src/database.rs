//! Connecting to PostgreSQL: the URL and libpq's sslmode, TLS, retries with backoff, and error
//! text that names the target but never its password.
//!
//! Koku's database is read before the run (the lookups, in [`crate::plan::lookups`]) and written
//! after it (the rows, in [`crate::sink::postgres`]), so connecting sits below both.

use crate::error::{Error, SinkError};
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::{Client, Config};
use std::time::Duration;

/// `ident` as a PostgreSQL quoted identifier: in double quotes, inner quotes doubled.
/// A PostgreSQL database and tenant schema.
#[derive(Clone)]
pub struct DbSpec {
    /// Never printed: it may hold a password ([`Target::describe`] shows targets without it).
    pub url: String,
    pub schema: String,
    pub connect_attempts: u32,
    pub retries: u32,
}

impl std::fmt::Debug for DbSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSpec")
            .field("url", &"<redacted>")
            .field("schema", &self.schema)
            .finish()
    }
}

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
    pub fn new(spec: &DbSpec) -> Result<Target, Error> {
        let (url, mode, root_cert) = split_tls_options(&spec.url);
        // The parse error never contains the URL itself.
        let mut config: Config = url
            .parse()
            .map_err(|e| Error::options(format!("--database-url: {e}")))?;
        let tls = match mode.as_deref() {
            None | Some("prefer") => Tls::Prefer,
            Some("disable") => Tls::Disable,
            Some("allow") => Tls::Prefer,
            Some("require") if root_cert.is_some() => Tls::VerifyCa, // libpq does the same
            Some("require") => Tls::Require,
            Some("verify-ca") => Tls::VerifyCa,
            Some("verify-full") => Tls::VerifyFull,
            Some(other) => {
                return Err(Error::options(format!(
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

    fn connector(&self) -> Result<postgres_native_tls::MakeTlsConnector, Error> {
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
                .map_err(|e| Error::options(format!("sslrootcert {path}: {e}")))?;
            let cert = native_tls::Certificate::from_pem(&pem)
                .map_err(|e| Error::options(format!("sslrootcert {path}: {e}")))?;
            b.add_root_certificate(cert);
        }
        let c = b
            .build()
            .map_err(|e| SinkError::Unavailable(format!("TLS setup: {e}")))?;
        Ok(postgres_native_tls::MakeTlsConnector::new(c))
    }

    /// Connects, retrying transient failures with exponential backoff (0.5 s, 1 s, 2 s, ...).
    pub fn connect(&self) -> Result<Client, Error> {
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
                    return Err(SinkError::Unavailable(format!(
                        "cannot connect to {} (after {attempt} attempt{}): {}",
                        self.describe(),
                        if attempt == 1 { "" } else { "s" },
                        error_text(&e)
                    ))
                    .into())
                }
            }
        }
    }

    /// A sink error naming the target and what was being done.
    pub fn error(&self, what: &str, e: &postgres::Error) -> Error {
        SinkError::Database {
            target: self.describe(),
            action: what.to_string(),
            message: error_text(e),
            code: e.code().map(|c| c.code().to_string()),
        }
        .into()
    }

    /// `"schema"."name"`.
    pub fn table(&self, name: &str) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(name))
    }
}

/// The server's message with its detail and hint, or the client error.
pub fn error_text(e: &postgres::Error) -> String {
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
pub fn transient(e: &postgres::Error) -> bool {
    match e.code() {
        // No SQLSTATE: a dropped connection or an I/O error is worth a retry; a value the client
        // could not convert (`error serializing parameter`) is not.
        None => e.as_db_error().is_none() && (e.is_closed() || io_cause(e)),
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

/// Whether an I/O error is among the causes of `e`.
fn io_cause(e: &postgres::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
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
