//! Value types every stage shares: calendar days and nullable doubles.
//!
//! They sit below the pipeline so that `aggregate`, `rows`, `render` and `sink` agree on one
//! representation without importing each other.

pub mod date;
mod opt_f64;

pub use date::Day;
pub use opt_f64::OptF64;
