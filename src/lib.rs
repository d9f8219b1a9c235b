//! `ocp-summary`: Koku's OpenShift daily summary from Parquet, without Trino.
//!
//! The library holds the whole pipeline so that tests, benches and fuzz targets can reach it;
//! `main.rs` only parses flags and maps errors to exit codes. Each folder is one stage:
//! `source` (objects and byte ranges) → `decode` (pages → ids and numbers, via the `kernels`
//! crate) → `aggregate` (per-row-group partials, merged) → `rows` (Koku's joins and formulas) →
//! `sink` (CSV, binary COPY; `db` loads it into PostgreSQL). `plan` validates a run before any of that starts.

pub mod aggregate;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod db;
pub mod decode;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod plan;
pub mod report;
pub mod rows;
pub mod run;
pub mod sink;
pub mod source;
