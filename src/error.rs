//! Run failures by who must act, and the exit codes they map to.
//!
//! Every message carries its location: the object (path or URL), and where it applies the row group
//! and column, so an operator can find the bad file without a debugger.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input data or the options are wrong; re-running will not help.
    #[error("bad input: {0}")]
    BadInput(String),
    /// The input could not be read (I/O, network).
    #[error("source failure: {0}")]
    Source(String),
    /// The output could not be written.
    #[error("sink failure: {0}")]
    Sink(String),
    /// The run would pass `--memory-limit`.
    #[error("memory limit: {0}")]
    Memory(String),
}

impl RunError {
    /// Documented in the README: 2 bad input, 3 source, 4 sink, 5 memory limit; a panic exits 1 (see main).
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    pub fn code(&self) -> u8 {
        match self {
            RunError::BadInput(_) => 2,
            RunError::Source(_) => 3,
            RunError::Sink(_) => 4,
            RunError::Memory(_) => 5,
        }
    }
}
