//! Finding the columns a table needs in one file's schema, and checking their types.
//!
//! Koku's writer gives timestamps (INT64, millisecond TIMESTAMP), doubles and UTF-8 strings, all
//! nullable. Other writers' timestamps are accepted too: INT64 TIMESTAMP in any unit (MILLIS,
//! MICROS, NANOS; UTC-adjusted or not, the instant is read as stored), the legacy converted types
//! TIMESTAMP_MILLIS and TIMESTAMP_MICROS without a logical type, and INT96 (Spark, Hive,
//! pyarrow's `use_deprecated_int96_timestamps`). Every one becomes milliseconds since the epoch,
//! floored, so an instant before 1970 lands in the same day whatever its unit. A column that is absent, nested or of another type is an error naming the column,
//! except the ones Koku itself treats as optional (spec open question 6: missing columns read as
//! NULL), which the caller marks as such.

use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::schema::types::SchemaDescriptor;

/// The logical kind the pipeline wants from a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Timestamp,
    Double,
    String,
    /// A plain INT64 (pandas' nullable `Int64`), not a timestamp.
    Int,
}

/// One column a table reader needs.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRequest {
    pub name: &'static str,
    pub kind: ColumnKind,
    /// Absent → every value NULL, instead of an error.
    pub optional: bool,
}

impl ColumnRequest {
    pub const fn required(name: &'static str, kind: ColumnKind) -> Self {
        ColumnRequest {
            name,
            kind,
            optional: false,
        }
    }

    pub const fn optional(name: &'static str, kind: ColumnKind) -> Self {
        ColumnRequest {
            name,
            kind,
            optional: true,
        }
    }
}

/// Where a requested column lives in one file.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedColumn {
    pub request: ColumnRequest,
    /// Leaf index, or `None` when the column is absent or Parquet's all-NULL type.
    pub leaf: Option<usize>,
    pub max_def: i16,
    /// Converts stored timestamp units to milliseconds (INT64 columns).
    pub to_millis: fn(i64) -> i64,
    /// An INT96 timestamp column (Julian day and nanoseconds of the day): decoded by
    /// `kernels::int96` into milliseconds; `to_millis` is then unused.
    pub int96: bool,
}

impl ResolvedColumn {
    /// The physical type the column's chunks must have.
    pub fn physical_type(&self) -> PhysicalType {
        match self.request.kind {
            ColumnKind::Double => PhysicalType::DOUBLE,
            ColumnKind::String => PhysicalType::BYTE_ARRAY,
            ColumnKind::Timestamp if self.int96 => PhysicalType::INT96,
            ColumnKind::Timestamp | ColumnKind::Int => PhysicalType::INT64,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("column {0:?} is missing")]
    Missing(&'static str),
    #[error("column {name:?} has type {found}, expected {expected}")]
    WrongType {
        name: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("column {0:?} is nested or repeated; Koku's files are flat")]
    Nested(&'static str),
}

/// What a timestamp column may be stored as.
const TIMESTAMP_TYPES: &str = "INT64 TIMESTAMP (MILLIS, MICROS or NANOS) or INT96";

fn identity(v: i64) -> i64 {
    v
}
fn micros_to_millis(v: i64) -> i64 {
    v.div_euclid(1_000)
}
fn nanos_to_millis(v: i64) -> i64 {
    v.div_euclid(1_000_000)
}

/// Resolves every request against `schema`.
pub fn resolve(
    schema: &SchemaDescriptor,
    requests: &[ColumnRequest],
) -> Result<Vec<ResolvedColumn>, SchemaError> {
    requests.iter().map(|r| resolve_one(schema, *r)).collect()
}

fn resolve_one(
    schema: &SchemaDescriptor,
    request: ColumnRequest,
) -> Result<ResolvedColumn, SchemaError> {
    let absent = ResolvedColumn {
        request,
        leaf: None,
        max_def: 0,
        to_millis: identity,
        int96: false,
    };
    let found = (0..schema.num_columns()).find(|&i| {
        let path = schema.column(i).path().parts().to_vec();
        path.len() == 1 && path[0] == request.name
    });
    let Some(leaf) = found else {
        // A nested column with this top-level name is a type error, not an absence.
        if (0..schema.num_columns()).any(|i| schema.column(i).path().parts()[0] == request.name) {
            return Err(SchemaError::Nested(request.name));
        }
        return if request.optional {
            Ok(absent)
        } else {
            Err(SchemaError::Missing(request.name))
        };
    };
    let col = schema.column(leaf);
    if col.max_rep_level() > 0 || col.max_def_level() > 1 {
        return Err(SchemaError::Nested(request.name));
    }
    let logical = col.logical_type_ref().cloned();
    if matches!(logical, Some(LogicalType::Unknown)) {
        // pyarrow's `null` type: a column with no values at all.
        return Ok(absent);
    }
    let physical = col.physical_type();
    let wrong = |expected| SchemaError::WrongType {
        name: request.name,
        found: match &logical {
            Some(l) => format!("{physical} ({l:?})"),
            None => physical.to_string(),
        },
        expected,
    };
    let converted = col.converted_type();
    let mut int96 = false;
    let to_millis = match request.kind {
        ColumnKind::Double if physical == PhysicalType::DOUBLE => identity,
        ColumnKind::Double => return Err(wrong("DOUBLE")),
        ColumnKind::String if physical == PhysicalType::BYTE_ARRAY => identity,
        ColumnKind::String => return Err(wrong("BYTE_ARRAY (UTF-8 string)")),
        ColumnKind::Int => match (physical, &logical) {
            (PhysicalType::INT64, None | Some(LogicalType::Integer { .. })) => identity,
            _ => return Err(wrong("INT64")),
        },
        ColumnKind::Timestamp => match (physical, &logical) {
            (PhysicalType::INT64, Some(LogicalType::Timestamp(t))) => match t.unit {
                TimeUnit::MILLIS => identity,
                TimeUnit::MICROS => micros_to_millis,
                TimeUnit::NANOS => nanos_to_millis,
            },
            // Legacy files: a converted type and no logical type.
            (PhysicalType::INT64, None) => match converted {
                ConvertedType::TIMESTAMP_MILLIS => identity,
                ConvertedType::TIMESTAMP_MICROS => micros_to_millis,
                _ => return Err(wrong(TIMESTAMP_TYPES)),
            },
            // INT96 carries no logical type; pyarrow and Spark write none.
            (PhysicalType::INT96, None) => {
                int96 = true;
                identity
            }
            _ => return Err(wrong(TIMESTAMP_TYPES)),
        },
    };
    Ok(ResolvedColumn {
        request,
        leaf: Some(leaf),
        max_def: col.max_def_level(),
        to_millis,
        int96,
    })
}
