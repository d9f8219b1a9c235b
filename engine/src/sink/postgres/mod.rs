//! PostgreSQL, the database sink: the load of one run in one transaction (spec §9.1, §9.3), and
//! the DDL of Koku's tables.
//!
//! A load is: `BEGIN`; an advisory lock on (schema, report period) so two runs on one report period
//! never interleave; checks that the report period exists and that the table has every column we
//! write; the month partition if missing; the §9.1 delete; `COPY ... FROM STDIN (FORMAT binary)`
//! streamed from [`super::pgcopy`]; `COMMIT`. Any failure before `COMMIT` (an error, a dropped
//! connection, the process killed by SIGINT/SIGTERM, which we do not catch) rolls everything back on
//! the server. Connection-class failures retry the whole transaction, up to `--db-retries`.

//!
//! | module | job |
//! |---|---|
//! | [`load`] | the transaction: lock, checks, partition, delete, COPY, commit |
//! | [`cluster`] | Koku's cluster tables (`populate_openshift_cluster_information_tables`) |
//! | [`ddl`] | `init-db`: Koku's tables, those missing only |
//!
//! Connecting is [`crate::database`]'s job, and reading the lookups [`crate::plan::lookups`]'s.

pub mod cluster;
pub mod ddl;
pub mod load;

pub use crate::database::{quote_ident, quote_literal, Target};
pub use load::load;

pub const SUMMARY_TABLE: &str = "reporting_ocpusagelineitem_daily_summary";
/// Koku's OpenShift-on-AWS project table, which `ocp-on-aws` fills and `init-db` creates.
pub const OCP_AWS_PROJECT_TABLE: &str = "reporting_ocpawscostlineitem_project_daily_summary_p";
