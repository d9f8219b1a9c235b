//! The text forms of output values, shared by the row builder (which sorts by them) and the
//! sinks (which print them).
//!
//! Rows hold ids and numbers only. Text appears in two places: the output order compares strings
//! and label JSON by bytes ([`rank`]), and the sinks print them ([`text`], [`labels`]). Both need
//! the same JSON for a label set and the same bytes for a string, so those forms live here, below
//! both `rows` and `sink`, and neither has to import the other.

pub mod context;
pub mod labels;
pub mod rank;
pub mod text;

pub use context::RenderContext;
pub use labels::LabelJson;
pub use rank::Ranks;

/// Koku's constant (spec §6): Trino writes this text; PostgreSQL stores it as jsonb.
pub const INFRASTRUCTURE_USAGE_COST: &str =
    r#"{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}"#;
