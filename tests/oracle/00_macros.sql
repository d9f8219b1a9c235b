-- Trino-semantics helpers for the DuckDB port of Koku's
-- trino_sql/openshift/reporting_ocpusagelineitem_daily_summary.sql.
-- Label maps are MAP(VARCHAR, VARCHAR); "json" values are canonical compact JSON text with sorted keys
-- (what Trino's cast(map as json) / json_format produce).

-- Trino: array || array is NULL if either side is NULL (ArrayConcatFunction). Used for E4.
CREATE OR REPLACE TEMP MACRO trino_array_concat(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE list_concat(a, b) END;

-- Trino: cast(json_parse(x) as map(varchar, varchar)); NULL and JSON `null` give NULL.
CREATE OR REPLACE TEMP MACRO trino_json_to_map(x) AS
    CAST(json(x) AS MAP(VARCHAR, VARCHAR));

-- Trino: map_filter(m, (k, v) -> contains(keys, k)). contains(NULL, k) is NULL -> entry dropped.
CREATE OR REPLACE TEMP MACRO trino_map_filter_keys(m, keys) AS
    CASE WHEN m IS NULL THEN NULL
         ELSE map_from_entries(list_filter(map_entries(m),
                  lambda e: coalesce(list_contains(keys, e.key), false)))
    END;

-- Trino map_concat: null-on-null (DuckDB ignores NULL maps), later maps win on duplicate keys.
CREATE OR REPLACE TEMP MACRO trino_map_concat2(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE map_concat(a, b) END;
CREATE OR REPLACE TEMP MACRO trino_map_concat3(a, b, c) AS
    CASE WHEN a IS NULL OR b IS NULL OR c IS NULL THEN NULL ELSE map_concat(a, b, c) END;
CREATE OR REPLACE TEMP MACRO trino_map_concat4(a, b, c, d) AS
    CASE WHEN a IS NULL OR b IS NULL OR c IS NULL OR d IS NULL THEN NULL ELSE map_concat(a, b, c, d) END;

-- Trino json_format(cast(m as json)): compact JSON, keys sorted. NULL map -> NULL.
CREATE OR REPLACE TEMP MACRO trino_map_to_json(m) AS
    CASE WHEN m IS NULL THEN NULL
         ELSE CAST(to_json(map_from_entries(list_sort(map_entries(m)))) AS VARCHAR)
    END;

-- Trino greatest(a, b): NULL if any argument is NULL (DuckDB's greatest ignores NULLs).
CREATE OR REPLACE TEMP MACRO trino_greatest(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END;

-- Trino date_add('day', 1, d)
CREATE OR REPLACE TEMP MACRO trino_date_add_day(d) AS
    CAST(CAST(d AS DATE) + INTERVAL 1 DAY AS DATE);

-- Trino extract(day from last_day_of_month(d))
CREATE OR REPLACE TEMP MACRO trino_days_in_month(d) AS
    CAST(extract(day FROM last_day(CAST(d AS DATE))) AS INTEGER);

-- Statement 1 of TSQL: the intermediate hive table (month/day partitions unpadded).
-- `oracle_kind` is an oracle-only column ('pod' | 'storage' | 'unallocated') used to select output kinds.
CREATE OR REPLACE TEMP TABLE hive_reporting_ocpusagelineitem_daily_summary (
    uuid VARCHAR,
    report_period_id INTEGER,
    cluster_id VARCHAR,
    cluster_alias VARCHAR,
    data_source VARCHAR,
    usage_start DATE,
    usage_end DATE,
    namespace VARCHAR,
    node VARCHAR,
    resource_id VARCHAR,
    pod_labels VARCHAR,
    pod_usage_cpu_core_hours DOUBLE,
    pod_request_cpu_core_hours DOUBLE,
    pod_effective_usage_cpu_core_hours DOUBLE,
    pod_limit_cpu_core_hours DOUBLE,
    pod_usage_memory_gigabyte_hours DOUBLE,
    pod_request_memory_gigabyte_hours DOUBLE,
    pod_effective_usage_memory_gigabyte_hours DOUBLE,
    pod_limit_memory_gigabyte_hours DOUBLE,
    node_capacity_cpu_cores DOUBLE,
    node_capacity_cpu_core_hours DOUBLE,
    node_capacity_memory_gigabytes DOUBLE,
    node_capacity_memory_gigabyte_hours DOUBLE,
    cluster_capacity_cpu_core_hours DOUBLE,
    cluster_capacity_memory_gigabyte_hours DOUBLE,
    persistentvolumeclaim VARCHAR,
    persistentvolume VARCHAR,
    storageclass VARCHAR,
    volume_labels VARCHAR,
    persistentvolumeclaim_capacity_gigabyte DOUBLE,
    persistentvolumeclaim_capacity_gigabyte_months DOUBLE,
    volume_request_storage_gigabyte_months DOUBLE,
    persistentvolumeclaim_usage_gigabyte_months DOUBLE,
    source_uuid VARCHAR,
    infrastructure_usage_cost VARCHAR,
    csi_volume_handle VARCHAR,
    cost_category_id INTEGER,
    source VARCHAR,
    year VARCHAR,
    month VARCHAR,
    day VARCHAR,
    oracle_kind VARCHAR
);
