//! The two tables as CSV, in the oracle's form (`tests/oracle/ocp_aws.py`, `write_csv`): a
//! header, then the rows' lines sorted; `\N` is NULL; floats as Python's `repr`; dates ISO; JSON
//! columns compact with sorted keys; a field is quoted when it is empty, `\N`, or holds a comma,
//! quote or line break. A non-finite cost is an error, as the PostgreSQL insert would be.

use super::json::canonical;
use super::project::{BackRow, ProjectRow};
use crate::error::{Error, InputError, SinkError};
use crate::value::Day;

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

/// Python's `repr(float)`: the shortest round-trip digits, positional for exponents -4..16,
/// else `d.ddde±XX`.
pub fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{v:e}"); // shortest digits: "-1.2345e-7"
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if exp + 1 >= n {
            format!("{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

fn quote(s: &str) -> String {
    if s == "\\N" || s.is_empty() || s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

struct Line<'a> {
    column: usize,
    columns: &'a [&'a str],
    out: String,
}

impl Line<'_> {
    fn cell(&mut self, text: Option<String>) {
        if self.column > 0 {
            self.out.push(',');
        }
        self.column += 1;
        match text {
            None => self.out.push_str("\\N"),
            Some(s) => self.out.push_str(&quote(&s)),
        }
    }
    fn text(&mut self, v: &Option<String>) {
        self.cell(v.clone());
    }
    fn int(&mut self, v: Option<i64>) {
        self.cell(v.map(|v| v.to_string()));
    }
    fn day(&mut self, d: Day) {
        self.cell(Some(d.to_string()));
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
        self.cell(v.map(python_float));
        Ok(())
    }
    fn json(&mut self, v: &Option<String>) -> Result<(), Error> {
        let c = canonical(v.as_deref())?;
        self.cell(c);
        Ok(())
    }
}

fn line<'a>(columns: &'a [&'a str]) -> Line<'a> {
    Line {
        column: 0,
        columns,
        out: String::new(),
    }
}

fn project_line(r: &ProjectRow) -> Result<String, Error> {
    let mut l = line(PROJECT_COLUMNS);
    l.int(Some(r.report_period_id));
    l.text(&r.cluster_id);
    l.text(&r.cluster_alias);
    l.text(&r.data_source);
    l.text(&r.namespace);
    l.text(&r.node);
    l.text(&r.pvc);
    l.text(&r.pv);
    l.text(&r.storageclass);
    l.text(&r.resource_id);
    l.day(r.day);
    l.day(r.day);
    l.text(&r.product_code);
    l.text(&r.product_family);
    l.text(&r.instance_type);
    l.int(Some(r.bill_id));
    l.text(&r.account);
    l.int(r.account_alias_id);
    l.text(&r.zone);
    l.text(&r.region);
    l.text(&r.unit);
    l.float(r.usage_amount)?;
    l.float(r.data_in)?;
    l.float(r.data_out)?;
    l.text(&r.direction);
    l.text(&r.currency);
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
    l.json(&r.tags)?;
    l.json(&r.tags)?;
    l.json(&r.cost_category)?;
    l.int(r.cost_category_id);
    l.cell(Some(r.source_uuid.clone()));
    Ok(l.out)
}

fn back_line(r: &BackRow) -> Result<String, Error> {
    let mut l = line(BACK_POPULATE_COLUMNS);
    l.int(Some(r.report_period_id));
    l.day(r.day);
    l.day(r.day);
    l.text(&r.cluster_id);
    l.text(&r.cluster_alias);
    l.text(&r.namespace);
    l.text(&r.data_source);
    l.text(&r.node);
    l.text(&r.pvc);
    l.text(&r.pv);
    l.text(&r.storageclass);
    l.text(&r.resource_id);
    l.json(&r.pod_labels)?;
    l.json(&r.volume_labels)?;
    l.json(&r.all_labels)?;
    l.cell(Some(r.source_uuid.clone()));
    l.float(r.infrastructure_raw_cost)?;
    l.float(r.infrastructure_raw_cost)?;
    l.cell(Some(ZERO_USAGE_COST.into()));
    l.cell(Some(ZERO_USAGE_COST.into()));
    l.float(r.data_in)?;
    l.float(r.data_out)?;
    for _ in 0..16 {
        l.int(Some(0));
    }
    l.text(&r.raw_currency);
    l.int(r.cost_category_id);
    Ok(l.out)
}

fn text(columns: &[&str], lines: Result<Vec<String>, Error>) -> Result<String, Error> {
    let mut lines = lines?;
    lines.sort();
    let mut out = columns.join(",");
    out.push('\n');
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

/// The project table's CSV text.
pub fn project_csv(rows: &[ProjectRow]) -> Result<String, Error> {
    text(PROJECT_COLUMNS, rows.iter().map(project_line).collect())
}

/// The back-populate rows' CSV text.
pub fn back_populate_csv(rows: &[BackRow]) -> Result<String, Error> {
    text(BACK_POPULATE_COLUMNS, rows.iter().map(back_line).collect())
}

/// Writes `text` to `path` through a temporary file beside it.
pub fn write(path: &std::path::Path, text: &str) -> Result<(), Error> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| SinkError::io(path.display().to_string(), e).into())
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
        ] {
            assert_eq!(python_float(v), want, "{v}");
        }
    }

    #[test]
    fn fields_quote_like_the_oracle() {
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("\\N"), "\"\\N\"");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("x"), "x");
    }
}
