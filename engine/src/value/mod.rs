//! Value types every stage shares: calendar days, nullable doubles, float text and numeric(33,15)
//! rounding.
//!
//! They sit below the pipeline so that `aggregate`, `rows`, `render` and `sink` agree on one
//! representation without importing each other.

pub mod date;
pub mod numeric;
mod opt_f64;
pub mod shortest;

pub use date::Day;
pub use opt_f64::OptF64;
