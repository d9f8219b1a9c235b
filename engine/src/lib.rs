//! The ocp-summary engine: Koku's OpenShift daily summary from Parquet, without Trino.
//!
//! Each module is one stage. Data flows down this list; `render` holds the text forms that
//! `rows` sorts by and `sink` prints, so it sits above both:
//!
//! | stage | job |
//! |---|---|
//! | [`source`] | objects and byte ranges, from a folder or S3 |
//! | [`plan`] | validated options, the lookups, and which files, row groups and columns to read |
//! | [`decode`] | column pages → interned ids and numbers, through the `kernels` crate |
//! | [`aggregate`] | per-row-group partial tables, merged in task order |
//! | [`render`] | the text forms of values: label JSON, byte-order ranks, CSV fields |
//! | [`rows`] | Koku's joins and formulas → [`rows::SummaryRow`]s, sorted by their text |
//! | [`sink`] | CSV, binary COPY, and PostgreSQL behind one trait |
//!
//! Imports only point up this list (a stage uses the stages before it), with four exceptions
//! that sit below every stage: [`value`] (days, nullable doubles), [`catalog`] (the run's
//! string and label tables), [`error`] (failures and their causes) and [`database`]
//! (PostgreSQL connections, which the plan reads lookups through and the sink loads through). [`run`] drives the
//! stages, [`cost_model`] and [`ocp_aws`] run masu's later Trino steps (cost model, OpenShift on AWS), [`cluster`] answers Koku's cluster-information queries; [`check`] and [`report`] serve the command line. No module imports the binary, the
//! generator or the ingester, which live in crates of their own.

pub mod aggregate;
pub mod catalog;
pub mod check;
pub mod cluster;
pub mod cost_model;
pub mod database;
pub mod decode;
pub mod error;
pub mod ocp_aws;
pub mod plan;
pub mod render;
pub mod report;
pub mod rows;
pub mod run;
pub mod sink;
pub mod source;
pub mod ui;
pub mod value;

#[cfg(test)]
pub(crate) mod test_util;

pub use error::Error;
