//! The command line as the user typed it.
//!
//! Like ripgrep's low-level arguments, these types only hold what was given (flags, environment and
//! config file); [`crate::plan`] validates them and turns them into a ready-to-run plan.

pub mod args;
pub mod config;

pub use args::{Cli, Command, RunArgs};
