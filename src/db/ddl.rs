//! `ocp-summary init-db`: Koku's tables (spec §2.5, §10.1) in a tenant schema, created only when
//! missing, so an existing Koku database is left as it is.

use super::{quote_ident, Target};
use crate::error::RunError;

/// The numeric(33,15) columns of `reporting_ocpusagelineitem_daily_summary` (spec §10.1).
const NUMERIC_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_effective_usage_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours",
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
    "infrastructure_raw_cost",
    "infrastructure_project_raw_cost",
    "infrastructure_data_in_gigabytes",
    "infrastructure_data_out_gigabytes",
    "infrastructure_markup_cost",
    "infrastructure_project_markup_cost",
    "infrastructure_monthly_cost",
    "supplementary_monthly_cost",
    "cost_model_cpu_cost",
    "cost_model_memory_cost",
    "cost_model_volume_cost",
    "cost_model_gpu_cost",
    "distributed_cost",
];

const JSONB_COLUMNS: &[&str] = &[
    "pod_labels",
    "volume_labels",
    "all_labels",
    "infrastructure_usage_cost",
    "infrastructure_monthly_cost_json",
    "infrastructure_project_monthly_cost",
    "supplementary_usage_cost",
    "supplementary_monthly_cost_json",
    "supplementary_project_monthly_cost",
];

/// The DDL, in order, for schema `s` (already quoted).
pub fn statements(s: &str) -> Vec<String> {
    let summary = format!("{s}.reporting_ocpusagelineitem_daily_summary");
    let mut cols = vec![
        "uuid uuid NOT NULL".to_string(),
        format!("report_period_id integer NULL REFERENCES {s}.reporting_ocpusagereportperiod (id) DEFERRABLE INITIALLY DEFERRED"),
        format!("cost_category_id integer NULL REFERENCES {s}.reporting_ocp_cost_category (id) DEFERRABLE INITIALLY DEFERRED"),
        "cluster_id varchar(50) NULL".into(),
        "cluster_alias varchar(256) NULL".into(),
        "data_source varchar(64) NULL".into(),
        "namespace varchar(253) NULL".into(),
        "node varchar(253) NULL".into(),
        "resource_id varchar(253) NULL".into(),
        "usage_start date NOT NULL".into(),
        "usage_end date NOT NULL".into(),
        "persistentvolumeclaim varchar(253) NULL".into(),
        "persistentvolume varchar(253) NULL".into(),
        "storageclass varchar(253) NULL".into(),
        "cost_model_rate_type text NULL".into(),
        "monthly_cost_type text NULL".into(),
        "raw_currency text NULL".into(),
        "source_uuid uuid NULL".into(),
    ];
    cols.extend(
        NUMERIC_COLUMNS
            .iter()
            .map(|c| format!("{c} numeric(33,15) NULL")),
    );
    cols.extend(JSONB_COLUMNS.iter().map(|c| format!("{c} jsonb NULL")));
    cols.push("PRIMARY KEY (usage_start, uuid)".into());
    let mut out = vec![
        format!("CREATE SCHEMA IF NOT EXISTS {s}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocpusagereportperiod (
                id serial PRIMARY KEY,
                cluster_id varchar(50) NOT NULL,
                cluster_alias varchar(256) NULL,
                report_period_start timestamptz NOT NULL,
                report_period_end timestamptz NOT NULL,
                provider_id uuid NULL)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_enabledtagkeys (
                uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                key varchar(512) NOT NULL,
                enabled boolean NOT NULL DEFAULT true,
                provider_type varchar(50) NOT NULL,
                UNIQUE (key, provider_type))"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_cost_category (
                id serial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                description text NOT NULL DEFAULT '',
                source_type text NOT NULL DEFAULT '',
                system_default boolean NOT NULL DEFAULT false,
                label text[] NOT NULL DEFAULT '{{}}')"
        ),
        format!(
            "INSERT INTO {s}.reporting_ocp_cost_category (id, name, description, source_type, system_default, label)
             VALUES (1, 'Platform', 'OpenShift platform projects', 'OCP', true, '{{}}')
             ON CONFLICT DO NOTHING"
        ),
        format!(
            "SELECT setval(pg_get_serial_sequence('{}', 'id'), greatest(1, (SELECT max(id) FROM {s}.reporting_ocp_cost_category)))",
            format!("{s}.reporting_ocp_cost_category").replace('\'', "''")
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_cost_category_namespace (
                id serial PRIMARY KEY,
                namespace text NOT NULL UNIQUE,
                system_default boolean NOT NULL DEFAULT false,
                cost_category_id integer NOT NULL REFERENCES {s}.reporting_ocp_cost_category (id))"
        ),
        format!(
            "INSERT INTO {s}.reporting_ocp_cost_category_namespace (namespace, system_default, cost_category_id)
             VALUES ('openshift-%', true, 1), ('kube-%', true, 1), ('Platform unallocated', true, 1),
                    ('openshift', true, 1)
             ON CONFLICT (namespace) DO NOTHING"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_nodes (
                uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                node text NOT NULL,
                resource_id text NULL,
                node_capacity_cpu_cores numeric(18,2) NULL,
                cluster_id text NULL,
                node_role text NULL,
                architecture text NULL)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {summary} (\n  {}\n) PARTITION BY RANGE (usage_start)",
            cols.join(",\n  ")
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocpusagelineitem_daily_summary_default PARTITION OF {summary} DEFAULT"
        ),
    ];
    let indexes: &[(&str, &str)] = &[
        ("summary_ocp_usage_idx", "(usage_start)"),
        ("summary_namespace_idx", "(namespace varchar_pattern_ops)"),
        ("summary_node_idx", "(node varchar_pattern_ops)"),
        ("summary_data_source_idx", "(data_source)"),
        ("ocp_summary_monthly_cost_type_idx", "(monthly_cost_type)"),
        (
            "ocp_summary_cost_model_rate_type_idx",
            "(cost_model_rate_type)",
        ),
        ("all_labels_idx", "USING gin (all_labels)"),
        ("pod_labels_idx", "USING gin (pod_labels)"),
        ("volume_labels_idx", "USING gin (volume_labels)"),
    ];
    for (name, def) in indexes {
        out.push(format!(
            "CREATE INDEX IF NOT EXISTS {name} ON {summary} {def}"
        ));
    }
    out
}

/// Runs the DDL in one transaction.
pub fn init_db(target: &Target) -> Result<(), RunError> {
    let mut client = target.connect()?;
    let s = quote_ident(&target.schema);
    let mut tx = client
        .transaction()
        .map_err(|e| target.error("begin", &e))?;
    for sql in statements(&s) {
        tx.batch_execute(&sql)
            .map_err(|e| target.error(&format!("init-db ({})", first_line(&sql)), &e))?;
    }
    tx.commit().map_err(|e| target.error("commit", &e))?;
    eprintln!(
        "ocp-summary init-db: Koku's tables are in schema {s} of {}",
        target.describe()
    );
    Ok(())
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or(sql).trim()
}
