//! `--decode reference`: a column chunk read through the parquet crate's own typed column readers
//! (`ColumnReaderImpl`) instead of our page kernels ([`super::chunk`]).
//!
//! It is slower: the values are copied into the crate's buffers, then spread over the rows by
//! definition level, and strings are interned one value at a time. But it shares nothing with the
//! kernels beyond the fetched bytes, so it is the fallback if a kernel is ever in doubt, and a
//! second check in the tests, which compare both paths row by row. Its output is the kernels':
//! one value per row, NULL as `NULL_ID` or `valid = false`, timestamps in milliseconds (INT96
//! through the naive twin `kernels::int96::naive`, not the kernel), label columns as label-set
//! ids.

use super::column::{ColumnData, ColumnPlan};
use super::strings::StringMode;
use super::DecodeError;
use crate::catalog::{Catalog, TextTable, NULL_ID};
use crate::plan::columns::ColumnKind;
use ocp_summary_kernels::int96;
use ocp_summary_kernels::validity::Validity;
use parquet::column::page::PageReader;
use parquet::column::reader::ColumnReaderImpl;
use parquet::data_type::{ByteArrayType, DataType, DoubleType, Int64Type, Int96, Int96Type};
use parquet::schema::types::ColumnDescPtr;

/// Decodes one chunk of `rows` rows into `data` (cleared by the caller).
pub fn decode_column(
    pages: Box<dyn PageReader>,
    descr: ColumnDescPtr,
    rows: usize,
    plan: &ColumnPlan,
    catalog: &Catalog,
    data: &mut ColumnData,
) -> Result<(), DecodeError> {
    let max_def = plan.resolved.max_def;
    match plan.resolved.request.kind {
        ColumnKind::String => {
            let (values, defs) = read_all::<ByteArrayType>(pages, descr, rows)?;
            let mut interned = Vec::with_capacity(values.len());
            let each = |push: &mut dyn FnMut(&[u8])| {
                values.iter().for_each(|v| push(v.data()));
                Ok::<_, DecodeError>(())
            };
            match plan.string_mode {
                StringMode::Interned => catalog.intern_many(&mut interned, each)?,
                StringMode::Labels => catalog.intern_label_texts(&mut interned, each)?,
            }
            spread(
                &interned,
                &defs,
                max_def,
                rows,
                NULL_ID,
                &mut data.ids,
                None,
            )?;
            if plan.string_mode == StringMode::Labels {
                catalog
                    .resolve_labels(TextTable::LabelTexts, &mut data.ids)
                    .map_err(|b| DecodeError::Label {
                        preview: b.preview,
                        reason: b.reason,
                    })?;
            }
        }
        ColumnKind::Double => {
            let (values, defs) = read_all::<DoubleType>(pages, descr, rows)?;
            let valid = Some(&mut data.valid);
            spread(&values, &defs, max_def, rows, 0.0, &mut data.f64s, valid)?;
        }
        ColumnKind::Timestamp if plan.resolved.int96 => {
            let (values, defs) = read_all::<Int96Type>(pages, descr, rows)?;
            let millis: Vec<i64> = values.iter().map(int96_millis).collect();
            let valid = Some(&mut data.valid);
            spread(&millis, &defs, max_def, rows, 0, &mut data.i64s, valid)?;
        }
        ColumnKind::Timestamp | ColumnKind::Int => {
            let (values, defs) = read_all::<Int64Type>(pages, descr, rows)?;
            let millis: Vec<i64> = values
                .iter()
                .map(|&v| (plan.resolved.to_millis)(v))
                .collect();
            let valid = Some(&mut data.valid);
            spread(&millis, &defs, max_def, rows, 0, &mut data.i64s, valid)?;
        }
    }
    Ok(())
}

/// The crate's INT96 (three little-endian `u32` words) as milliseconds, floored like the kernel.
/// Not the crate's `Int96::to_millis`, which truncates (and so differs for a negative nanosecond
/// count, which no writer produces).
fn int96_millis(v: &Int96) -> i64 {
    let mut bytes = [0u8; int96::WIDTH];
    for (word, out) in v.data().iter().zip(bytes.chunks_exact_mut(4)) {
        out.copy_from_slice(&word.to_le_bytes());
    }
    int96::naive::to_millis(&bytes)
}

/// Every value and definition level of the chunk.
fn read_all<T: DataType>(
    pages: Box<dyn PageReader>,
    descr: ColumnDescPtr,
    rows: usize,
) -> Result<(Vec<T::T>, Vec<i16>), DecodeError> {
    let mut reader = ColumnReaderImpl::<T>::new(descr, pages);
    let (mut values, mut defs) = (Vec::new(), Vec::new());
    let mut records = 0;
    while records < rows {
        let (read, _, _) =
            reader.read_records(rows - records, Some(&mut defs), None, &mut values)?;
        if read == 0 {
            break;
        }
        records += read;
    }
    Ok((values, defs))
}

/// One output value per row: the next value where the definition level says present, `null`
/// elsewhere. A required column (`max_def` 0) has no levels: every row has a value.
fn spread<V: Copy>(
    values: &[V],
    defs: &[i16],
    max_def: i16,
    rows: usize,
    null: V,
    out: &mut Vec<V>,
    mut valid: Option<&mut Validity>,
) -> Result<(), DecodeError> {
    let corrupt = |what: String| DecodeError::Corrupt(format!("reference decoder: {what}"));
    if max_def == 0 {
        if values.len() != rows {
            return Err(corrupt(format!("{} values for {rows} rows", values.len())));
        }
        out.extend_from_slice(values);
        if let Some(valid) = valid {
            valid.extend_constant(rows, true);
        }
        return Ok(());
    }
    if defs.len() != rows {
        return Err(corrupt(format!("{} levels for {rows} rows", defs.len())));
    }
    let mut next = values.iter();
    for &d in defs {
        let present = d == max_def;
        let v = match present {
            true => *next
                .next()
                .ok_or_else(|| corrupt("fewer values than levels say".into()))?,
            false => null,
        };
        out.push(v);
        if let Some(valid) = valid.as_deref_mut() {
            valid.push(present);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_puts_values_where_levels_say_present() {
        let mut out = Vec::new();
        let mut valid = Validity::new();
        spread(&[7, 9], &[1, 0, 1], 1, 3, 0, &mut out, Some(&mut valid)).unwrap();
        assert_eq!(out, [7, 0, 9]);
        assert_eq!(valid.iter().collect::<Vec<_>>(), [true, false, true]);
        let mut out = Vec::new();
        spread(&[1, 2], &[], 0, 2, 0, &mut out, None).unwrap();
        assert_eq!(out, [1, 2]);
        assert!(spread(&[1], &[1, 1], 1, 2, 0, &mut Vec::new(), None).is_err());
        assert!(spread(&[1], &[], 0, 2, 0, &mut Vec::new(), None).is_err());
    }
}
