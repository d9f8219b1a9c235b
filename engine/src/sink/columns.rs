//! The one list of the output table's columns that this engine writes.
//!
//! Each [`Column`] says its PostgreSQL name and type and where its value comes from. The DDL of
//! `init-db`, the shape check before a load, the CSV header, the CSV encoder and the binary COPY
//! encoder all read this list, so adding or reordering a column is one edit here.

use crate::rows::SummaryRow;
use crate::value::OptF64;

/// The PostgreSQL type of a written column (spec §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Uuid,
    Integer,
    Date,
    /// `varchar(n)`; a `text` column takes the same bytes.
    Varchar(u16),
    Jsonb,
    /// `numeric(33,15)`.
    Numeric,
}

impl PgType {
    /// The type as DDL writes it.
    pub fn ddl(self) -> String {
        match self {
            PgType::Uuid => "uuid".into(),
            PgType::Integer => "integer".into(),
            PgType::Date => "date".into(),
            PgType::Varchar(n) => format!("varchar({n})"),
            PgType::Jsonb => "jsonb".into(),
            PgType::Numeric => "numeric(33,15)".into(),
        }
    }

    /// The `pg_type.typname`s whose binary input takes this column's COPY field.
    pub fn accepted_typnames(self) -> &'static [&'static str] {
        match self {
            PgType::Uuid => &["uuid"],
            PgType::Integer => &["int4"],
            PgType::Date => &["date"],
            PgType::Varchar(_) => &["varchar", "text"],
            PgType::Jsonb => &["jsonb"],
            PgType::Numeric => &["numeric"],
        }
    }
}

/// Where a column's value comes from: the run, or a field of the row.
#[derive(Clone, Copy)]
pub enum Value {
    /// A fresh random uuid per row.
    RowUuid,
    ReportPeriodId,
    ClusterId,
    ClusterAlias,
    /// `Pod` or `Storage`.
    DataSource,
    /// The row's day (`usage_start` and `usage_end` are both the day).
    Day,
    /// An interned string id of the row (`NULL_ID` is NULL).
    String(fn(&SummaryRow) -> u32),
    /// A label set id of the row (`NULL_SET` is NULL).
    Labels(fn(&SummaryRow) -> u32),
    Numeric(fn(&SummaryRow) -> OptF64),
    SourceUuid,
    /// Koku's constant zero-cost JSON on Pod rows, NULL on the others.
    InfrastructureUsageCost,
    CostCategoryId,
}

/// One written column of `reporting_ocpusagelineitem_daily_summary`.
#[derive(Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub pg_type: PgType,
    pub value: Value,
}

const fn col(name: &'static str, pg_type: PgType, value: Value) -> Column {
    Column {
        name,
        pg_type,
        value,
    }
}

const fn num(name: &'static str, f: fn(&SummaryRow) -> OptF64) -> Column {
    col(name, PgType::Numeric, Value::Numeric(f))
}

const fn string(name: &'static str, f: fn(&SummaryRow) -> u32) -> Column {
    col(name, PgType::Varchar(253), Value::String(f))
}

/// The columns this computation fills, in output order.
pub const COLUMNS: &[Column] = &[
    col("uuid", PgType::Uuid, Value::RowUuid),
    col("report_period_id", PgType::Integer, Value::ReportPeriodId),
    col("cluster_id", PgType::Varchar(50), Value::ClusterId),
    col("cluster_alias", PgType::Varchar(256), Value::ClusterAlias),
    col("data_source", PgType::Varchar(64), Value::DataSource),
    col("usage_start", PgType::Date, Value::Day),
    col("usage_end", PgType::Date, Value::Day),
    string("namespace", |r| r.namespace),
    string("node", |r| r.node),
    string("resource_id", |r| r.resource_id),
    col("pod_labels", PgType::Jsonb, Value::Labels(|r| r.pod_labels)),
    num("pod_usage_cpu_core_hours", |r| r.pod[0]),
    num("pod_request_cpu_core_hours", |r| r.pod[1]),
    num("pod_effective_usage_cpu_core_hours", |r| r.pod[2]),
    num("pod_limit_cpu_core_hours", |r| r.pod[3]),
    num("pod_usage_memory_gigabyte_hours", |r| r.pod[4]),
    num("pod_request_memory_gigabyte_hours", |r| r.pod[5]),
    num("pod_effective_usage_memory_gigabyte_hours", |r| r.pod[6]),
    num("pod_limit_memory_gigabyte_hours", |r| r.pod[7]),
    num("node_capacity_cpu_cores", |r| r.node_capacity_cpu_cores),
    num("node_capacity_cpu_core_hours", |r| {
        r.node_capacity_cpu_core_hours
    }),
    num("node_capacity_memory_gigabytes", |r| {
        r.node_capacity_memory_gigabytes
    }),
    num("node_capacity_memory_gigabyte_hours", |r| {
        r.node_capacity_memory_gigabyte_hours
    }),
    num("cluster_capacity_cpu_core_hours", |r| {
        r.cluster_capacity_cpu_core_hours
    }),
    num("cluster_capacity_memory_gigabyte_hours", |r| {
        r.cluster_capacity_memory_gigabyte_hours
    }),
    string("persistentvolumeclaim", |r| r.persistentvolumeclaim),
    string("persistentvolume", |r| r.persistentvolume),
    string("storageclass", |r| r.storageclass),
    col(
        "volume_labels",
        PgType::Jsonb,
        Value::Labels(|r| r.volume_labels),
    ),
    col(
        "all_labels",
        PgType::Jsonb,
        Value::Labels(SummaryRow::all_labels),
    ),
    num("persistentvolumeclaim_capacity_gigabyte", |r| r.storage[0]),
    num("persistentvolumeclaim_capacity_gigabyte_months", |r| {
        r.storage[1]
    }),
    num("volume_request_storage_gigabyte_months", |r| r.storage[2]),
    num("persistentvolumeclaim_usage_gigabyte_months", |r| {
        r.storage[3]
    }),
    col("source_uuid", PgType::Uuid, Value::SourceUuid),
    col(
        "infrastructure_usage_cost",
        PgType::Jsonb,
        Value::InfrastructureUsageCost,
    ),
    col("cost_category_id", PgType::Integer, Value::CostCategoryId),
];

/// The written column called `name`.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// The column names, in output order.
pub fn names() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(|c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::DataSource;
    use crate::value::Day;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = names().collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn numeric_columns_read_their_own_field() {
        // Give every number a distinct value and check each numeric column sees its own.
        let mut r = SummaryRow::empty(DataSource::Pod, Day::from_ymd(2026, 1, 1).unwrap());
        let mut next = 0.0;
        let mut v = || {
            next += 1.0;
            OptF64::from(Some(next))
        };
        r.pod = std::array::from_fn(|_| v());
        r.node_capacity_cpu_cores = v();
        r.node_capacity_cpu_core_hours = v();
        r.node_capacity_memory_gigabytes = v();
        r.node_capacity_memory_gigabyte_hours = v();
        r.cluster_capacity_cpu_core_hours = v();
        r.cluster_capacity_memory_gigabyte_hours = v();
        r.storage = std::array::from_fn(|_| v());
        let seen: Vec<f64> = COLUMNS
            .iter()
            .filter_map(|c| match c.value {
                Value::Numeric(f) => f(&r).get(),
                _ => None,
            })
            .collect();
        let expected: Vec<f64> = (1..=18).map(f64::from).collect();
        assert_eq!(seen, expected, "numeric columns in row-field order");
    }
}
