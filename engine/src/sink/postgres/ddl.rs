//! `ocp-summary init-db`: Koku's tables (spec §2.5, §10.1) in a tenant schema, created only when
//! missing, so an existing Koku database is left as it is.

use super::{quote_ident, Target};
use crate::error::Error;
use crate::sink::columns;

/// How a column of the summary table is declared.
#[derive(Clone, Copy)]
enum Declared {
    /// A column this engine writes: its type is the column registry's.
    Written,
    /// A column later Koku steps fill (costs, cost-model fields), with Koku's type.
    Koku(&'static str),
}

use Declared::{Koku, Written};

/// Koku's columns of `reporting_ocpusagelineitem_daily_summary` (spec §10.1), in Koku's order.
const SUMMARY_COLUMNS: &[(&str, Declared)] = &[
    ("uuid", Written),
    ("report_period_id", Written),
    ("cost_category_id", Written),
    ("cluster_id", Written),
    ("cluster_alias", Written),
    ("data_source", Written),
    ("namespace", Written),
    ("node", Written),
    ("resource_id", Written),
    ("usage_start", Written),
    ("usage_end", Written),
    ("persistentvolumeclaim", Written),
    ("persistentvolume", Written),
    ("storageclass", Written),
    ("cost_model_rate_type", Koku("text")),
    ("monthly_cost_type", Koku("text")),
    ("raw_currency", Koku("text")),
    ("source_uuid", Written),
    ("pod_usage_cpu_core_hours", Written),
    ("pod_request_cpu_core_hours", Written),
    ("pod_effective_usage_cpu_core_hours", Written),
    ("pod_limit_cpu_core_hours", Written),
    ("pod_usage_memory_gigabyte_hours", Written),
    ("pod_request_memory_gigabyte_hours", Written),
    ("pod_effective_usage_memory_gigabyte_hours", Written),
    ("pod_limit_memory_gigabyte_hours", Written),
    ("node_capacity_cpu_cores", Written),
    ("node_capacity_cpu_core_hours", Written),
    ("node_capacity_memory_gigabytes", Written),
    ("node_capacity_memory_gigabyte_hours", Written),
    ("cluster_capacity_cpu_core_hours", Written),
    ("cluster_capacity_memory_gigabyte_hours", Written),
    ("persistentvolumeclaim_capacity_gigabyte", Written),
    ("persistentvolumeclaim_capacity_gigabyte_months", Written),
    ("volume_request_storage_gigabyte_months", Written),
    ("persistentvolumeclaim_usage_gigabyte_months", Written),
    ("infrastructure_raw_cost", Koku("numeric(33,15)")),
    ("infrastructure_project_raw_cost", Koku("numeric(33,15)")),
    ("infrastructure_data_in_gigabytes", Koku("numeric(33,15)")),
    ("infrastructure_data_out_gigabytes", Koku("numeric(33,15)")),
    ("infrastructure_markup_cost", Koku("numeric(33,15)")),
    ("infrastructure_project_markup_cost", Koku("numeric(33,15)")),
    ("infrastructure_monthly_cost", Koku("numeric(33,15)")),
    ("supplementary_monthly_cost", Koku("numeric(33,15)")),
    ("cost_model_cpu_cost", Koku("numeric(33,15)")),
    ("cost_model_memory_cost", Koku("numeric(33,15)")),
    ("cost_model_volume_cost", Koku("numeric(33,15)")),
    ("cost_model_gpu_cost", Koku("numeric(33,15)")),
    ("distributed_cost", Koku("numeric(33,15)")),
    ("pod_labels", Written),
    ("volume_labels", Written),
    ("all_labels", Written),
    ("infrastructure_usage_cost", Written),
    ("infrastructure_monthly_cost_json", Koku("jsonb")),
    ("infrastructure_project_monthly_cost", Koku("jsonb")),
    ("supplementary_usage_cost", Koku("jsonb")),
    ("supplementary_monthly_cost_json", Koku("jsonb")),
    ("supplementary_project_monthly_cost", Koku("jsonb")),
];

/// Koku's `reporting_ocpawscostlineitem_project_daily_summary_p` (the Django model
/// `OCPAWSCostLineItemProjectDailySummaryP`, `reporting/provider/aws/openshift/models.py`), the
/// columns `ocp-on-aws` writes plus `normalized_usage_amount`. Koku's foreign keys (report period,
/// AWS bill, account alias, cost category) are left out: their AWS tables are not created here.
/// Partitioned by `usage_start` with only a default partition (Koku adds monthly partitions).
const OCP_AWS_PROJECT_COLUMNS: &[&str] = &[
    "uuid uuid NOT NULL",
    "report_period_id integer NULL",
    "cluster_id varchar(50) NULL",
    "cluster_alias varchar(256) NULL",
    "data_source varchar(64) NULL",
    "namespace varchar(253) NULL",
    "node varchar(253) NULL",
    "persistentvolumeclaim varchar(253) NULL",
    "persistentvolume varchar(253) NULL",
    "storageclass varchar(50) NULL",
    "pod_labels jsonb NULL",
    "resource_id varchar(253) NULL",
    "usage_start date NOT NULL",
    "usage_end date NOT NULL",
    "cost_entry_bill_id integer NULL",
    "product_code text NOT NULL",
    "product_family varchar(150) NULL",
    "infrastructure_data_in_gigabytes numeric(33,15) NULL",
    "infrastructure_data_out_gigabytes numeric(33,15) NULL",
    "data_transfer_direction text NULL",
    "instance_type varchar(50) NULL",
    "usage_account_id varchar(50) NOT NULL",
    "account_alias_id integer NULL",
    "availability_zone varchar(50) NULL",
    "region varchar(50) NULL",
    "unit varchar(63) NULL",
    "usage_amount numeric(30,15) NULL",
    "normalized_usage_amount double precision NULL",
    "currency_code varchar(10) NULL",
    "unblended_cost numeric(30,15) NULL",
    "markup_cost numeric(30,15) NULL",
    "blended_cost numeric(33,15) NULL",
    "markup_cost_blended numeric(33,15) NULL",
    "savingsplan_effective_cost numeric(33,15) NULL",
    "markup_cost_savingsplan numeric(33,15) NULL",
    "calculated_amortized_cost numeric(33,9) NULL",
    "markup_cost_amortized numeric(33,9) NULL",
    "tags jsonb NULL",
    "aws_cost_category jsonb NULL",
    "source_uuid uuid NULL",
    "cost_category_id integer NULL",
    "PRIMARY KEY (usage_start, uuid)",
];

/// One column definition of the summary table, in schema `s` (already quoted).
fn column_definition(s: &str, name: &str, declared: Declared) -> String {
    let ty = match declared {
        Written => columns::column(name)
            .expect("a written column is in the registry")
            .pg_type
            .ddl(),
        Koku(ty) => ty.to_string(),
    };
    let constraint = match name {
        "uuid" | "usage_start" | "usage_end" => "NOT NULL".to_string(),
        "report_period_id" => format!(
            "NULL REFERENCES {s}.reporting_ocpusagereportperiod (id) DEFERRABLE INITIALLY DEFERRED"
        ),
        "cost_category_id" => format!(
            "NULL REFERENCES {s}.reporting_ocp_cost_category (id) DEFERRABLE INITIALLY DEFERRED"
        ),
        _ => "NULL".to_string(),
    };
    format!("{name} {ty} {constraint}")
}

/// The DDL, in order, for schema `s` (already quoted).
pub fn statements(s: &str) -> Vec<String> {
    let project = super::OCP_AWS_PROJECT_TABLE;
    let summary = format!("{s}.reporting_ocpusagelineitem_daily_summary");
    let mut cols: Vec<String> = SUMMARY_COLUMNS
        .iter()
        .map(|&(name, declared)| column_definition(s, name, declared))
        .collect();
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
        // Koku's `AWSEnabledCategoryKeys` (`koku/reporting/provider/aws/models.py`): the AWS
        // cost-category keys `ingest --provider aws` records.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_awsenabledcategorykeys (
                uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                key varchar(253) NOT NULL UNIQUE,
                enabled boolean NOT NULL DEFAULT true)"
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
        // Koku's `TenantAPIProvider`; its `provider_id` points at the public schema's
        // `api_provider`, which a standalone database does not have.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_tenant_api_provider (
                uuid uuid PRIMARY KEY,
                name text NOT NULL,
                type text NOT NULL,
                provider_id uuid NULL)"
        ),
        // The cluster tables (`koku/reporting/provider/ocp/models.py`: OCPCluster, OCPNode,
        // OCPPVC, OCPProject), with Django's deferred foreign keys and unique constraints.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_clusters (
                uuid uuid PRIMARY KEY,
                cluster_id text NOT NULL,
                cluster_alias text NULL,
                provider_id uuid NOT NULL
                    REFERENCES {s}.reporting_tenant_api_provider (uuid) DEFERRABLE INITIALLY DEFERRED,
                UNIQUE (cluster_id, cluster_alias, provider_id))"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_nodes (
                uuid uuid PRIMARY KEY,
                node text NOT NULL,
                resource_id text NULL,
                node_capacity_cpu_cores numeric(18,2) NULL,
                cluster_id uuid NOT NULL
                    REFERENCES {s}.reporting_ocp_clusters (uuid) DEFERRABLE INITIALLY DEFERRED,
                node_role text NULL,
                architecture text NULL)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_pvcs (
                uuid uuid PRIMARY KEY,
                persistent_volume_claim text NOT NULL,
                persistent_volume text NOT NULL,
                cluster_id uuid NOT NULL
                    REFERENCES {s}.reporting_ocp_clusters (uuid) DEFERRABLE INITIALLY DEFERRED,
                csi_volume_handle text NULL,
                UNIQUE (persistent_volume, persistent_volume_claim, cluster_id))"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_projects (
                uuid uuid PRIMARY KEY,
                project text NOT NULL,
                cluster_id uuid NOT NULL
                    REFERENCES {s}.reporting_ocp_clusters (uuid) DEFERRABLE INITIALLY DEFERRED,
                UNIQUE (project, cluster_id))"
        ),
        // Koku's `CostModel` and `CostModelMap` (`koku/cost_models/models.py`): the rates masu's
        // cost-model steps read for a source.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.cost_model (
                uuid uuid PRIMARY KEY,
                name text NOT NULL,
                description text NOT NULL DEFAULT '',
                source_type varchar(50) NOT NULL DEFAULT 'OCP',
                created_timestamp timestamptz NOT NULL DEFAULT now(),
                updated_timestamp timestamptz NOT NULL DEFAULT now(),
                rates jsonb NOT NULL DEFAULT '[]',
                markup jsonb NOT NULL DEFAULT '{{}}',
                distribution text NOT NULL DEFAULT 'cpu',
                distribution_info jsonb NOT NULL DEFAULT '{{}}',
                currency text NOT NULL DEFAULT 'USD')"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.cost_model_map (
                id serial PRIMARY KEY,
                provider_uuid uuid NOT NULL,
                cost_model_id uuid NULL
                    REFERENCES {s}.cost_model (uuid) DEFERRABLE INITIALLY DEFERRED,
                UNIQUE (provider_uuid, cost_model_id))"
        ),
        // Koku's `rates_to_usage` (the rates-to-usage pipeline), with the columns its `_rtu`
        // cost-model files insert.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.rates_to_usage (
                uuid uuid NOT NULL,
                cost_model_id uuid NULL,
                report_period_id integer NULL,
                source_uuid uuid NULL,
                usage_start date NOT NULL,
                usage_end date NOT NULL,
                node varchar(253) NULL,
                namespace varchar(253) NULL,
                cluster_id varchar(50) NULL,
                cluster_alias varchar(256) NULL,
                data_source varchar(64) NULL,
                persistentvolumeclaim varchar(253) NULL,
                pod_labels jsonb NULL,
                volume_labels jsonb NULL,
                all_labels jsonb NULL,
                label_hash varchar(64) NULL,
                custom_name text NULL,
                metric_type text NULL,
                cost_model_rate_type text NULL,
                monthly_cost_type text NULL,
                calculated_cost numeric(33,15) NULL,
                distributed_cost numeric(33,15) NULL,
                cost_category_id integer NULL,
                rate_id uuid NULL,
                PRIMARY KEY (usage_start, uuid))"
        ),
        // Koku's `OCPGpuSummaryP` (migration 0340 and the MIG columns added after it), with the
        // cost columns Koku's cost model fills.
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_gpu_summary_p (
                id uuid NOT NULL,
                cluster_id text NOT NULL,
                cluster_alias text NULL,
                namespace varchar(253) NULL,
                node varchar(253) NULL,
                pod varchar(253) NULL,
                usage_start date NOT NULL,
                usage_end date NOT NULL,
                vendor_name varchar(128) NULL,
                model_name varchar(128) NULL,
                memory_capacity_gb numeric(33,15) NULL,
                gpu_uptime_hours numeric(33,15) NULL,
                gpu_count integer NULL,
                mig_instance_id text NULL,
                physical_gpu_uuid text NULL,
                gpu_mode text NULL,
                mig_profile text NULL,
                mig_slice_count integer NULL,
                gpu_max_slices integer NULL,
                mig_strategy text NULL,
                mig_memory_capacity_gb numeric(33,15) NULL,
                cost_model_gpu_cost numeric(33,15) NULL,
                cost_model_cpu_cost numeric(33,15) NULL,
                cost_model_memory_cost numeric(33,15) NULL,
                cost_model_volume_cost numeric(33,15) NULL,
                cost_model_rate_type text NULL,
                raw_currency text NULL,
                cost_category_id integer NULL
                    REFERENCES {s}.reporting_ocp_cost_category (id) DEFERRABLE INITIALLY DEFERRED,
                source_uuid uuid NULL
                    REFERENCES {s}.reporting_tenant_api_provider (uuid) DEFERRABLE INITIALLY DEFERRED,
                PRIMARY KEY (usage_start, id)
            ) PARTITION BY RANGE (usage_start)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.reporting_ocp_gpu_summary_p_default PARTITION OF {s}.reporting_ocp_gpu_summary_p DEFAULT"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.{project} (\n  {}\n) PARTITION BY RANGE (usage_start)",
            OCP_AWS_PROJECT_COLUMNS.join(",\n  ")
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.{project}_default PARTITION OF {s}.{project} DEFAULT"
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
    // Koku's indexes of the project table that the deletes use.
    for (name, def) in [
        ("p_cost_prj_sum_ocp_use_idx", "(usage_start)"),
        ("p_cost_prj_sum_rsrc_idx", "(resource_id)"),
    ] {
        out.push(format!(
            "CREATE INDEX IF NOT EXISTS {name} ON {s}.{project} {def}"
        ));
    }
    out
}

/// Runs the DDL in one transaction.
pub fn init_db(target: &Target) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_column_is_declared_once_with_the_registry_type() {
        for column in columns::COLUMNS {
            let found: Vec<_> = SUMMARY_COLUMNS
                .iter()
                .filter(|(name, _)| *name == column.name)
                .collect();
            assert_eq!(found.len(), 1, "{}", column.name);
            assert!(matches!(found[0].1, Written), "{}", column.name);
        }
        let written = SUMMARY_COLUMNS
            .iter()
            .filter(|(_, d)| matches!(d, Written))
            .count();
        assert_eq!(written, columns::COLUMNS.len());
    }

    #[test]
    fn ddl_types_come_from_the_registry() {
        let sql = statements("\"o\"").join("\n");
        assert!(sql.contains("cluster_id varchar(50) NULL"), "{sql}");
        assert!(sql.contains("pod_labels jsonb NULL"));
        assert!(sql.contains("node_capacity_cpu_cores numeric(33,15) NULL"));
        assert!(sql.contains("usage_start date NOT NULL"));
        assert!(sql.contains("source_uuid uuid NULL"));
        assert!(sql.contains(
            "report_period_id integer NULL REFERENCES \"o\".reporting_ocpusagereportperiod"
        ));
    }
}
