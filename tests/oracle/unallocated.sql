/*
 * DuckDB port of TSQL statement 3 (UNALLOCATED CAPACITY), spec §8.
 * Reads back the Pod rows written by pod.sql into the hive table.
 * reporting_ocp_nodes is the role lookup table (all clusters of the tenant).
 */
INSERT INTO hive_reporting_ocpusagelineitem_daily_summary (
    uuid, report_period_id, cluster_id, cluster_alias, usage_start, usage_end,
    namespace, node, resource_id,
    pod_usage_cpu_core_hours, pod_request_cpu_core_hours, pod_effective_usage_cpu_core_hours,
    pod_usage_memory_gigabyte_hours, pod_request_memory_gigabyte_hours, pod_effective_usage_memory_gigabyte_hours,
    node_capacity_cpu_cores, node_capacity_cpu_core_hours, node_capacity_memory_gigabytes,
    node_capacity_memory_gigabyte_hours, cluster_capacity_cpu_core_hours, cluster_capacity_memory_gigabyte_hours,
    data_source, source_uuid, cost_category_id,
    source, year, month, day, oracle_kind
)
WITH cte_node_role AS (
    SELECT
        max(node_role) AS node_role,
        node,
        resource_id
    FROM reporting_ocp_nodes
    GROUP BY node, resource_id
),
cte_unallocated_capacity AS (
    SELECT
        NULL AS uuid,
        $report_period_id AS report_period_id,
        $cluster_id AS cluster_id,
        $cluster_alias AS cluster_alias,
        max(lids.usage_start) AS usage_start,
        max(lids.usage_end) AS usage_end,
        CASE max(nodes.node_role)
            WHEN 'master' THEN 'Platform unallocated'
            WHEN 'infra' THEN 'Platform unallocated'
            WHEN 'worker' THEN 'Worker unallocated'
        END AS namespace,
        lids.node,
        max(lids.resource_id) AS resource_id,
        (max(lids.node_capacity_cpu_core_hours) - sum(lids.pod_usage_cpu_core_hours)) AS pod_usage_cpu_core_hours,
        (max(lids.node_capacity_cpu_core_hours) - sum(lids.pod_request_cpu_core_hours)) AS pod_request_cpu_core_hours,
        (max(lids.node_capacity_cpu_core_hours) - sum(lids.pod_effective_usage_cpu_core_hours)) AS pod_effective_usage_cpu_core_hours,
        (max(lids.node_capacity_memory_gigabyte_hours) - sum(lids.pod_usage_memory_gigabyte_hours)) AS pod_usage_memory_gigabyte_hours,
        (max(lids.node_capacity_memory_gigabyte_hours) - sum(lids.pod_request_memory_gigabyte_hours)) AS pod_request_memory_gigabyte_hours,
        (max(lids.node_capacity_memory_gigabyte_hours) - sum(lids.pod_effective_usage_memory_gigabyte_hours)) AS pod_effective_usage_memory_gigabyte_hours,
        max(lids.node_capacity_cpu_cores) AS node_capacity_cpu_cores,
        max(lids.node_capacity_cpu_core_hours) AS node_capacity_cpu_core_hours,
        max(lids.node_capacity_memory_gigabytes) AS node_capacity_memory_gigabytes,
        max(lids.node_capacity_memory_gigabyte_hours) AS node_capacity_memory_gigabyte_hours,
        max(lids.cluster_capacity_cpu_core_hours) AS cluster_capacity_cpu_core_hours,
        max(lids.cluster_capacity_memory_gigabyte_hours) AS cluster_capacity_memory_gigabyte_hours,
        max(lids.data_source) AS data_source,
        lids.source_uuid,
        $source AS source,
        CAST(year(lids.usage_start) AS VARCHAR) AS year,
        CAST(month(lids.usage_start) AS VARCHAR) AS month,
        CAST(day(lids.usage_start) AS VARCHAR) AS day
    FROM hive_reporting_ocpusagelineitem_daily_summary AS lids
    LEFT JOIN cte_node_role AS nodes
        ON lids.node = nodes.node
        AND lids.resource_id = nodes.resource_id
    WHERE lids.source = $source
        AND lids.year = $year
        AND lpad(lids.month, 2, '0') = $month
        AND lids.usage_start >= CAST($start_date AS DATE)
        AND lids.usage_start < trino_date_add_day($end_date)
        AND lids.namespace != 'Platform unallocated'
        AND lids.namespace != 'Worker unallocated'
        AND lids.namespace != 'Network unattributed'
        AND lids.namespace != 'Storage unattributed'
        AND lids.node IS NOT NULL
        AND lids.data_source = 'Pod'
    GROUP BY lids.node, lids.usage_start, lids.source_uuid
)
SELECT
    uuid,
    report_period_id,
    cluster_id,
    cluster_alias,
    usage_start,
    usage_end,
    uc.namespace,
    node,
    resource_id,
    pod_usage_cpu_core_hours,
    pod_request_cpu_core_hours,
    pod_effective_usage_cpu_core_hours,
    pod_usage_memory_gigabyte_hours,
    pod_request_memory_gigabyte_hours,
    pod_effective_usage_memory_gigabyte_hours,
    node_capacity_cpu_cores,
    node_capacity_cpu_core_hours,
    node_capacity_memory_gigabytes,
    node_capacity_memory_gigabyte_hours,
    cluster_capacity_cpu_core_hours,
    cluster_capacity_memory_gigabyte_hours,
    data_source,
    source_uuid,
    cat_ns.cost_category_id AS cost_category_id,
    source,
    year,
    month,
    day,
    'unallocated' AS oracle_kind
FROM cte_unallocated_capacity AS uc
LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
    ON uc.namespace LIKE cat_ns.namespace
;
