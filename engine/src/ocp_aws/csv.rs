//! The two tables as CSV, in the oracle's form (`tests/oracle/ocp_aws.py`, `write_csv`): a
//! header, then the rows chunk by chunk, each chunk's in the order of its GROUP BY keys (the
//! oracle sorts whole lines; `compare.py` matches rows, not positions); `\N` is NULL; floats as Python's `repr`; dates ISO; JSON
//! columns compact with sorted keys; a field is quoted when it is empty, `\N`, or holds a comma,
//! quote or line break. A non-finite cost is an error, as the PostgreSQL insert would be.

use super::project::{BackRow, ProjectRow};
use super::{Chunk, ChunkSink};
use crate::error::{Error, InputError, SinkError};
use crate::sink::writeback::WritebackFile;
use crate::value::Day;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub const PROJECT_COLUMNS: &[&str] = &[
    "report_period_id",
    "cluster_id",
    "cluster_alias",
    "data_source",
    "namespace",
    "node",
    "persistentvolumeclaim",
    "persistentvolume",
    "storageclass",
    "resource_id",
    "usage_start",
    "usage_end",
    "product_code",
    "product_family",
    "instance_type",
    "cost_entry_bill_id",
    "usage_account_id",
    "account_alias_id",
    "availability_zone",
    "region",
    "unit",
    "usage_amount",
    "infrastructure_data_in_gigabytes",
    "infrastructure_data_out_gigabytes",
    "data_transfer_direction",
    "currency_code",
    "unblended_cost",
    "markup_cost",
    "blended_cost",
    "markup_cost_blended",
    "savingsplan_effective_cost",
    "markup_cost_savingsplan",
    "calculated_amortized_cost",
    "markup_cost_amortized",
    "pod_labels",
    "tags",
    "aws_cost_category",
    "cost_category_id",
    "source_uuid",
];

pub const BACK_POPULATE_COLUMNS: &[&str] = &[
    "report_period_id",
    "usage_start",
    "usage_end",
    "cluster_id",
    "cluster_alias",
    "namespace",
    "data_source",
    "node",
    "persistentvolumeclaim",
    "persistentvolume",
    "storageclass",
    "resource_id",
    "pod_labels",
    "volume_labels",
    "all_labels",
    "source_uuid",
    "infrastructure_raw_cost",
    "infrastructure_project_raw_cost",
    "infrastructure_usage_cost",
    "supplementary_usage_cost",
    "infrastructure_data_in_gigabytes",
    "infrastructure_data_out_gigabytes",
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours",
    "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
    "raw_currency",
    "cost_category_id",
];

/// `infrastructure_usage_cost` / `supplementary_usage_cost` of the back-populate (a text the SQL
/// writes as is).
pub const ZERO_USAGE_COST: &str =
    r#"{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}"#;

/// A fixed buffer for one `{:e}` rendering (at most 24 bytes: `-d.dddddddddddddddde-308`).
struct SciBuf {
    bytes: [u8; 32],
    len: usize,
}

impl std::fmt::Write for SciBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends Python's `repr(float)` of `v` to `out`, without allocating: the shortest round-trip
/// digits, positional for exponents -4..16, else `d.ddde±XX`.
pub fn push_python_float(out: &mut String, v: f64) {
    use std::fmt::Write;
    if v.is_nan() {
        return out.push_str("nan");
    }
    if v.is_infinite() {
        return out.push_str(if v > 0.0 { "inf" } else { "-inf" });
    }
    if v == 0.0 {
        return out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    let mut sci = SciBuf {
        bytes: [0; 32],
        len: 0,
    };
    write!(sci, "{:e}", v.abs()).expect("a finite double fits 32 bytes"); // "1.2345e-7"
    let text = std::str::from_utf8(&sci.bytes[..sci.len]).expect("ASCII");
    let (mantissa, exp) = text.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let mut digits = [0u8; 24];
    let mut n = 0;
    for &b in mantissa.as_bytes().iter().filter(|b| **b != b'.') {
        digits[n] = b;
        n += 1;
    }
    let digits = std::str::from_utf8(&digits[..n]).expect("ASCII digits");
    if v < 0.0 {
        out.push('-');
    }
    let n = n as i32;
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            (0..-exp - 1).for_each(|_| out.push('0'));
            out.push_str(digits);
        } else if exp + 1 >= n {
            out.push_str(digits);
            (0..exp + 1 - n).for_each(|_| out.push('0'));
            out.push_str(".0");
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{esign}{:02}", exp.abs()).expect("writing to a String");
    }
}

/// Appends `s` as a field, quoted when it is empty, `\\N`, or holds a comma, quote or line break.
fn push_field(out: &mut String, s: &str) {
    if s == "\\N" || s.is_empty() || s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        for (i, part) in s.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// One line being rendered into a reused buffer.
struct Line<'a> {
    column: usize,
    columns: &'a [&'a str],
    out: &'a mut String,
}

impl Line<'_> {
    fn sep(&mut self) {
        if self.column > 0 {
            self.out.push(',');
        }
        self.column += 1;
    }
    fn text(&mut self, v: Option<&str>) {
        self.sep();
        match v {
            None => self.out.push_str("\\N"),
            Some(s) => push_field(self.out, s),
        }
    }
    fn int(&mut self, v: Option<i64>) {
        self.sep();
        match v {
            None => self.out.push_str("\\N"),
            Some(v) => {
                use std::fmt::Write;
                write!(self.out, "{v}").expect("writing to a String");
            }
        }
    }
    fn day(&mut self, d: Day) {
        self.sep();
        use std::fmt::Write;
        write!(self.out, "{d}").expect("writing to a String");
    }
    fn float(&mut self, v: Option<f64>) -> Result<(), Error> {
        if let Some(x) = v {
            if !x.is_finite() {
                let col = self.columns[self.column];
                return Err(InputError::Data(format!(
                    "non-finite value {x} in {col}: the PostgreSQL insert would fail"
                ))
                .into());
            }
        }
        match v {
            None => self.text(None),
            Some(x) => {
                self.sep();
                push_python_float(self.out, x);
            }
        }
        Ok(())
    }
}

fn line<'a>(columns: &'a [&'a str], out: &'a mut String) -> Line<'a> {
    out.clear();
    Line {
        column: 0,
        columns,
        out,
    }
}

/// Renders `r` into `out` (without the line break). The JSON columns are canonical already
/// (step 2 writes them with `map_json`, step 1 canonicalises the cost category).
pub(super) fn project_line(r: &ProjectRow, out: &mut String) -> Result<(), Error> {
    let mut l = line(PROJECT_COLUMNS, out);
    l.int(Some(r.report_period_id));
    l.text(r.cluster_id);
    l.text(r.cluster_alias);
    l.text(r.data_source);
    l.text(r.namespace);
    l.text(r.node);
    l.text(r.pvc);
    l.text(r.pv);
    l.text(r.storageclass);
    l.text(r.resource_id);
    l.day(r.day);
    l.day(r.day);
    l.text(r.product_code);
    l.text(r.product_family);
    l.text(r.instance_type);
    l.int(Some(r.bill_id));
    l.text(r.account);
    l.int(r.account_alias_id);
    l.text(r.zone);
    l.text(r.region);
    l.text(r.unit);
    l.float(r.usage_amount)?;
    l.float(r.data_in)?;
    l.float(r.data_out)?;
    l.text(r.direction);
    l.text(r.currency);
    for v in [
        r.unblended,
        r.markup,
        r.blended,
        r.markup_blended,
        r.sp_effective,
        r.markup_sp,
        r.amortized,
        r.markup_amortized,
    ] {
        l.float(v)?;
    }
    l.text(r.tags);
    l.text(r.tags);
    l.text(r.cost_category);
    l.int(r.cost_category_id);
    l.text(Some(r.source_uuid));
    Ok(())
}

pub(super) fn back_line(r: &BackRow, out: &mut String) -> Result<(), Error> {
    let mut l = line(BACK_POPULATE_COLUMNS, out);
    l.int(Some(r.report_period_id));
    l.day(r.day);
    l.day(r.day);
    l.text(r.cluster_id);
    l.text(r.cluster_alias);
    l.text(r.namespace);
    l.text(r.data_source);
    l.text(r.node);
    l.text(r.pvc);
    l.text(r.pv);
    l.text(r.storageclass);
    l.text(r.resource_id);
    l.text(r.pod_labels);
    l.text(r.volume_labels);
    l.text(r.all_labels);
    l.text(Some(r.source_uuid));
    l.float(r.infrastructure_raw_cost)?;
    l.float(r.infrastructure_raw_cost)?;
    l.text(Some(ZERO_USAGE_COST));
    l.text(Some(ZERO_USAGE_COST));
    l.float(r.data_in)?;
    l.float(r.data_out)?;
    for _ in 0..16 {
        l.int(Some(0));
    }
    l.text(r.raw_currency);
    l.int(r.cost_category_id);
    Ok(())
}

/// One CSV file written through a temporary file beside it, renamed into place by
/// [`TableFile::finish`] (a failed run leaves no half-written file under the final name).
struct TableFile {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<WritebackFile>,
    rows: u64,
}

impl TableFile {
    fn create(path: &Path, columns: &[&str]) -> Result<Self, Error> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| SinkError::io(tmp.display().to_string(), e))?;
        let mut t = TableFile {
            path: path.to_path_buf(),
            tmp,
            out: BufWriter::with_capacity(1 << 20, WritebackFile::new(file)),
            rows: 0,
        };
        t.line(&columns.join(","))?;
        Ok(t)
    }

    fn line(&mut self, text: &str) -> Result<(), Error> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| SinkError::io(self.tmp.display().to_string(), e).into())
    }

    /// Writes `rows` in the order of `key`, each rendered by `render` into `buf`.
    fn rows_sorted<R, K: Ord>(
        &mut self,
        rows: &[R],
        key: impl Fn(&R) -> K,
        render: fn(&R, &mut String) -> Result<(), Error>,
        buf: &mut String,
    ) -> Result<(), Error> {
        let mut sorted: Vec<&R> = rows.iter().collect();
        sorted.sort_unstable_by_key(|r| key(r));
        for r in sorted {
            render(r, buf)?;
            self.line(buf)?;
            self.rows += 1;
        }
        Ok(())
    }

    fn finish(self) -> Result<u64, Error> {
        let io = |e| Error::from(SinkError::io(self.path.display().to_string(), e));
        let file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync().map_err(io)?;
        std::fs::rename(&self.tmp, &self.path).map_err(io)?;
        Ok(self.rows)
    }
}

/// Both tables as CSV files, chunk by chunk ([`ChunkSink`]): each chunk's rows in the order of
/// their GROUP BY keys (day first), so the bytes depend only on the rows, not on the order the
/// inputs were read in. `back_populate` is optional.
pub struct CsvSink {
    project: TableFile,
    back_populate: Option<TableFile>,
    buf: String,
}

impl CsvSink {
    pub fn create(project: &Path, back_populate: Option<&Path>) -> Result<Self, Error> {
        Ok(CsvSink {
            project: TableFile::create(project, PROJECT_COLUMNS)?,
            back_populate: back_populate
                .map(|p| TableFile::create(p, BACK_POPULATE_COLUMNS))
                .transpose()?,
            buf: String::new(),
        })
    }

    /// Renames both files into place; the rows written to each (`None` without the second file).
    pub fn finish(self) -> Result<(u64, Option<u64>), Error> {
        let project = self.project.finish()?;
        let back = self.back_populate.map(TableFile::finish).transpose()?;
        Ok((project, back))
    }
}

impl ChunkSink for CsvSink {
    fn chunk(
        &mut self,
        _chunk: Chunk,
        project: &[ProjectRow<'_>],
        back_populate: &[BackRow<'_>],
    ) -> Result<(), Error> {
        let buf = &mut self.buf;
        self.project
            .rows_sorted(project, ProjectRow::key, project_line, buf)?;
        if let Some(file) = &mut self.back_populate {
            file.rows_sorted(back_populate, BackRow::key, back_line, buf)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        for (v, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (123456.789, "123456.789"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.2345e16, "1.2345e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e22, "1e+22"),
            (0.30000000000000004, "0.30000000000000004"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (-1.5e-7, "-1.5e-07"),
            (-123.25, "-123.25"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let mut got = String::new();
            push_python_float(&mut got, v);
            assert_eq!(got, want, "{v}");
        }
    }

    #[test]
    fn fields_quote_like_the_oracle() {
        let quote = |s: &str| {
            let mut out = String::new();
            push_field(&mut out, s);
            out
        };
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("\\N"), "\"\\N\"");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("x"), "x");
    }
}
