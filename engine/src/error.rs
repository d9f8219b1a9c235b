//! Run failures by who must act, with their cause kept as data up to the top.
//!
//! A failure is one of four kinds, and the kind alone decides the exit code (and, in the Python
//! package, the exception class): bad input or options (2), a source that could not be read (3),
//! a sink that could not be written (4), the memory limit (5). Each kind keeps the structured
//! cause, such as the object, row group and column of a decode failure, so callers can act on
//! fields rather than parse messages, and the message is derived from those fields in one place.
//!
//! The stage-level causes ([`SourceError`], [`FooterError`], [`DecodeError`], [`ReadError`]) are
//! defined here too, below every stage, so that each stage can name the others' failures without
//! importing the stage itself.

use std::fmt;
use std::process::ExitCode;

/// Any failure of a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input data or the options are wrong; re-running will not help.
    #[error("bad input: {0}")]
    Input(#[from] InputError),
    /// The input could not be read (I/O, network).
    #[error("source failure: {0}")]
    Source(#[from] SourceFailure),
    /// The output could not be written.
    #[error("sink failure: {0}")]
    Sink(#[from] SinkError),
    /// The run would pass `--memory-limit`.
    #[error("memory limit: {0}")]
    Memory(#[from] MemoryError),
}

impl Error {
    /// Documented in the README: 2 bad input, 3 source, 4 sink, 5 memory limit; a panic exits 1
    /// (see the binary's `main`).
    pub fn code(&self) -> u8 {
        match self {
            Error::Input(_) => 2,
            Error::Source(_) => 3,
            Error::Sink(_) => 4,
            Error::Memory(_) => 5,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// The message without the kind's prefix (`bad input: ` and so on).
    pub fn detail(&self) -> String {
        match self {
            Error::Input(e) => e.to_string(),
            Error::Source(e) => e.to_string(),
            Error::Sink(e) => e.to_string(),
            Error::Memory(e) => e.to_string(),
        }
    }

    /// Bad options: a message naming the option and what is wrong with it.
    pub fn options(message: impl Into<String>) -> Error {
        Error::Input(InputError::Options(message.into()))
    }
}

impl From<SourceError> for Error {
    fn from(error: SourceError) -> Self {
        Error::Source(SourceFailure::from(error))
    }
}

/// Where in the input a failure is: the object, and where known the row group and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLocation {
    /// A path or `s3://` URL.
    pub object: String,
    pub row_group: Option<usize>,
    pub column: Option<String>,
}

impl fmt::Display for InputLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.object)?;
        if let Some(rg) = self.row_group {
            write!(f, ": row group {rg}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": column {column:?}")?;
        }
        Ok(())
    }
}

/// Input data or options that cannot make a valid run.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// An option, or a combination of options, is invalid; the message names it.
    #[error("{0}")]
    Options(String),
    /// A column chunk could not be decoded.
    #[error("{at}: {cause}")]
    Decode {
        at: InputLocation,
        cause: DecodeError,
    },
    /// A row group larger than the decoder's buffers allow.
    #[error("{at}: {rows} rows in one row group exceed the supported {max}")]
    RowGroupTooLarge {
        at: InputLocation,
        rows: usize,
        max: usize,
    },
    /// A row earlier than its row group's `interval_start` statistics promised. Its day may
    /// already be written out, so the run must stop.
    #[error(
        "{at}: a row at {millis} ms lies before the row group's statistics minimum \
         ({first_day}); the file's statistics are wrong"
    )]
    RowBeforeStatistics {
        at: InputLocation,
        millis: i64,
        first_day: crate::value::Day,
    },
    /// A footer that is not Parquet, or is corrupt; `table` names the input table it was read
    /// for, if any.
    #[error("{}{cause}", table.as_ref().map_or(String::new(), |t| format!("{t}: ")))]
    Footer {
        table: Option<String>,
        cause: FooterError,
    },
    /// A file whose schema lacks a needed column or gives it the wrong type.
    #[error("{object}: {message}")]
    Schema { object: String, message: String },
    /// Values that break the input's own promises or that the output cannot hold.
    #[error("{0}")]
    Data(String),
}

/// A source failure, with the row group being read when it happened, if any.
#[derive(Debug, thiserror::Error)]
pub struct SourceFailure {
    #[source]
    pub error: SourceError,
    pub row_group: Option<usize>,
}

impl fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(rg) = self.row_group {
            write!(f, " (row group {rg})")?;
        }
        Ok(())
    }
}

impl From<SourceError> for SourceFailure {
    fn from(error: SourceError) -> Self {
        SourceFailure {
            error,
            row_group: None,
        }
    }
}

/// The output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A file or stream failed; `location` is its path or `stdout`.
    #[error("{location}: {source}")]
    Io {
        location: String,
        #[source]
        source: std::io::Error,
    },
    /// PostgreSQL refused or failed a step; `target` never holds a password.
    #[error("{target} {action}: {message}")]
    Database {
        target: String,
        action: String,
        message: String,
        /// The SQLSTATE, when the server sent one.
        code: Option<String>,
    },
    /// The database cannot take the rows as they are (missing table, column or type).
    #[error("{0}")]
    Schema(String),
    /// Connecting or retrying gave up; the message says how often and why.
    #[error("{0}")]
    Unavailable(String),
    /// The writer thread went away; its own error is reported instead where it has one.
    #[error("the output stopped")]
    Stopped,
}

impl SinkError {
    /// An I/O failure at `location` (a path, or `stdout`).
    pub fn io(location: impl fmt::Display, source: std::io::Error) -> SinkError {
        SinkError::Io {
            location: location.to_string(),
            source,
        }
    }
}

/// The process outgrew `--memory-limit` while `stage` ran.
#[derive(Debug, thiserror::Error)]
#[error(
    "resident memory {} MiB passed the limit of {} MiB while {stage}; raise \
     --memory-limit or run a shorter day range (--start/--end)",
    .rss >> 20,
    .limit >> 20
)]
pub struct MemoryError {
    pub stage: &'static str,
    pub rss: u64,
    pub limit: u64,
}

/// Errors from a store, already carrying the object name a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{location}: {source}")]
    Io {
        location: String,
        #[source]
        source: std::io::Error,
    },
    /// A remote store refused or failed the request; `message` says why and never holds secrets.
    #[error("{location}: {message}")]
    Remote { location: String, message: String },
    #[error("{location}: asked for bytes {start}..{end} but the object has {size} bytes")]
    OutOfRange {
        location: String,
        start: u64,
        end: u64,
        size: u64,
    },
}

/// A footer that could not be read or is not Parquet; the strings are the object's location
/// and the reason.
#[derive(Debug, thiserror::Error)]
pub enum FooterError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}: not a Parquet file: {1}")]
    NotParquet(String, String),
    #[error("{0}: corrupt Parquet footer: {1}")]
    Corrupt(String, String),
}

/// Failure inside one column chunk; [`ReadError::at`] adds file, row group and column.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("{0}")]
    Kernel(#[from] ocp_summary_kernels::KernelError),
    #[error("unsupported encoding {0:?} in a data page")]
    UnsupportedEncoding(parquet::basic::Encoding),
    #[error("data page uses a dictionary but the chunk has no dictionary page")]
    MissingDictionary,
    /// A chunk whose physical type is not the one its column was resolved to.
    #[error("column chunk has physical type {found}, the column needs {expected}")]
    PhysicalType {
        found: parquet::basic::Type,
        expected: parquet::basic::Type,
    },
    #[error("corrupt page: {0}")]
    Corrupt(String),
    #[error("label JSON {preview:?}: {reason}")]
    Label { preview: String, reason: String },
}

/// Why a row group could not be read. The reader knows neither the row group's index nor the
/// names its caller gives the columns, so [`ReadError::at`] adds them.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{rows} rows in one row group exceed the supported {max}")]
    TooManyRows { rows: usize, max: usize },
    #[error(transparent)]
    Source(#[from] SourceError),
    /// `column` indexes the columns the reader was asked for.
    #[error("column #{column}: {source}")]
    Column {
        column: usize,
        #[source]
        source: DecodeError,
    },
}

impl ReadError {
    /// This failure in row group `row_group` of `object`, whose column `i` is named `name(i)`.
    pub fn at(self, object: &str, row_group: usize, name: impl Fn(usize) -> String) -> Error {
        let at = |column: Option<String>| InputLocation {
            object: object.to_string(),
            row_group: Some(row_group),
            column,
        };
        match self {
            ReadError::Source(error) => Error::Source(SourceFailure {
                error,
                row_group: Some(row_group),
            }),
            ReadError::TooManyRows { rows, max } => Error::Input(InputError::RowGroupTooLarge {
                at: at(None),
                rows,
                max,
            }),
            ReadError::Column { column, source } => Error::Input(InputError::Decode {
                at: at(Some(name(column))),
                cause: source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_kind() {
        assert_eq!(Error::options("x").code(), 2);
        let io = || std::io::Error::other("disk full");
        assert_eq!(Error::from(SinkError::io("out.csv", io())).code(), 4);
        let source = SourceError::Io {
            location: "f".into(),
            source: io(),
        };
        assert_eq!(Error::from(source).code(), 3);
        let memory = MemoryError {
            stage: "aggregating",
            rss: 3 << 20,
            limit: 2 << 20,
        };
        assert_eq!(Error::from(memory).code(), 5);
    }

    #[test]
    fn locations_render_as_the_runs_messages_always_did() {
        let at = InputLocation {
            object: "/d/x.parquet".into(),
            row_group: Some(1),
            column: Some("namespace".into()),
        };
        let e = Error::from(InputError::Decode {
            at,
            cause: DecodeError::MissingDictionary,
        });
        assert_eq!(
            e.to_string(),
            "bad input: /d/x.parquet: row group 1: column \"namespace\": data page uses a \
             dictionary but the chunk has no dictionary page"
        );
        let failure = SourceFailure {
            error: SourceError::Remote {
                location: "s3://b/k".into(),
                message: "timed out".into(),
            },
            row_group: Some(4),
        };
        assert_eq!(
            Error::from(failure).to_string(),
            "source failure: s3://b/k: timed out (row group 4)"
        );
    }
}
