/*
 * DuckDB port of TSQL statement 2, first SELECT (POD rows), spec §3-§6.
 * Parameters: $source, $year, $month (zero-padded), $start_date, $end_date (DATE),
 *             $report_period_id, $cluster_id, $cluster_alias.
 * Per spec §6 (this spec version) the Pod GROUP BY does NOT include the pod name.
 */
INSERT INTO hive_reporting_ocpusagelineitem_daily_summary (
    uuid, report_period_id, cluster_id, cluster_alias, data_source, usage_start, usage_end,
    namespace, node, resource_id, pod_labels,
    pod_usage_cpu_core_hours, pod_request_cpu_core_hours, pod_effective_usage_cpu_core_hours, pod_limit_cpu_core_hours,
    pod_usage_memory_gigabyte_hours, pod_request_memory_gigabyte_hours, pod_effective_usage_memory_gigabyte_hours,
    pod_limit_memory_gigabyte_hours,
    node_capacity_cpu_cores, node_capacity_cpu_core_hours, node_capacity_memory_gigabytes,
    node_capacity_memory_gigabyte_hours, cluster_capacity_cpu_core_hours, cluster_capacity_memory_gigabyte_hours,
    persistentvolumeclaim, persistentvolume, storageclass, volume_labels,
    persistentvolumeclaim_capacity_gigabyte, persistentvolumeclaim_capacity_gigabyte_months,
    volume_request_storage_gigabyte_months, persistentvolumeclaim_usage_gigabyte_months,
    source_uuid, infrastructure_usage_cost, csi_volume_handle, cost_category_id,
    source, year, month, day, oracle_kind
)
-- node label line items by day
WITH cte_pg_enabled_keys AS (
    SELECT trino_array_concat(['vm_kubevirt_io_name'], array_agg(key ORDER BY key)) AS keys
      FROM reporting_enabledtagkeys
     WHERE enabled = true
       AND provider_type = 'OCP'
),
cte_ocp_node_label_line_item_daily AS (
    SELECT CAST(nli.interval_start AS DATE) AS usage_start,
        nli.node,
        trino_map_to_json(
            trino_map_filter_keys(trino_json_to_map(nli.node_labels), pek.keys)
        ) AS node_labels
    FROM openshift_node_labels_line_items_daily AS nli
    CROSS JOIN cte_pg_enabled_keys AS pek
    WHERE nli.source = $source
       AND nli.year = $year
       AND nli.month = $month
       AND nli.interval_start >= CAST($start_date AS DATE)
       AND nli.interval_start < trino_date_add_day($end_date)
    GROUP BY CAST(nli.interval_start AS DATE),
        nli.node,
        3 -- needs to match the labels cardinality
),
-- namespace label line items by day
cte_ocp_namespace_label_line_item_daily AS (
    SELECT CAST(nli.interval_start AS DATE) AS usage_start,
        nli.namespace,
        trino_map_to_json(
            trino_map_filter_keys(trino_json_to_map(nli.namespace_labels), pek.keys)
        ) AS namespace_labels
    FROM openshift_namespace_labels_line_items_daily AS nli
    CROSS JOIN cte_pg_enabled_keys AS pek
    WHERE nli.source = $source
       AND nli.year = $year
       AND nli.month = $month
       AND nli.interval_start >= CAST($start_date AS DATE)
       AND nli.interval_start < trino_date_add_day($end_date)
    GROUP BY CAST(nli.interval_start AS DATE),
        nli.namespace,
        3 -- needs to match the labels cardinality
),
-- Daily sum of node CPU and memory capacity (hourly table; no node filter, E1)
cte_ocp_node_capacity AS (
    SELECT CAST(nc.interval_start AS DATE) AS usage_start,
        nc.node,
        sum(nc.node_capacity_cpu_core_seconds) AS node_capacity_cpu_core_seconds,
        sum(nc.node_capacity_memory_byte_seconds) AS node_capacity_memory_byte_seconds
    FROM (
        SELECT li.interval_start,
            li.node,
            max(li.node_capacity_cpu_core_seconds) AS node_capacity_cpu_core_seconds,
            max(li.node_capacity_memory_byte_seconds) AS node_capacity_memory_byte_seconds
        FROM openshift_pod_usage_line_items AS li
        WHERE li.source = $source
            AND li.year = $year
            AND li.month = $month
            AND li.interval_start >= CAST($start_date AS DATE)
            AND li.interval_start < trino_date_add_day($end_date)
        GROUP BY li.interval_start,
            li.node
    ) AS nc
    GROUP BY CAST(nc.interval_start AS DATE),
        nc.node
),
cte_ocp_cluster_capacity AS (
    SELECT nc.usage_start,
        sum(nc.node_capacity_cpu_core_seconds) AS cluster_capacity_cpu_core_seconds,
        sum(nc.node_capacity_memory_byte_seconds) AS cluster_capacity_memory_byte_seconds
    FROM cte_ocp_node_capacity AS nc
    GROUP BY nc.usage_start
)
/*
 * ====================================
 *            POD
 * ====================================
 */
SELECT NULL AS uuid,
    $report_period_id AS report_period_id,
    $cluster_id AS cluster_id,
    $cluster_alias AS cluster_alias,
    'Pod' AS data_source,
    pua.usage_start,
    pua.usage_start AS usage_end,
    pua.namespace,
    pua.node,
    pua.resource_id,
    pua.pod_labels,  -- already json_format(cast(map as json)) text
    pua.pod_usage_cpu_core_hours,
    pua.pod_request_cpu_core_hours,
    pua.pod_effective_usage_cpu_core_hours,
    pua.pod_limit_cpu_core_hours,
    pua.pod_usage_memory_gigabyte_hours,
    pua.pod_request_memory_gigabyte_hours,
    pua.pod_effective_usage_memory_gigabyte_hours,
    pua.pod_limit_memory_gigabyte_hours,
    pua.node_capacity_cpu_cores,
    pua.node_capacity_cpu_core_hours,
    pua.node_capacity_memory_gigabytes,
    pua.node_capacity_memory_gigabyte_hours,
    pua.cluster_capacity_cpu_core_hours,
    pua.cluster_capacity_memory_gigabyte_hours,
    NULL AS persistentvolumeclaim,
    NULL AS persistentvolume,
    NULL AS storageclass,
    NULL AS volume_labels,
    NULL AS persistentvolumeclaim_capacity_gigabyte,
    NULL AS persistentvolumeclaim_capacity_gigabyte_months,
    NULL AS volume_request_storage_gigabyte_months,
    NULL AS persistentvolumeclaim_usage_gigabyte_months,
    pua.source_uuid,
    '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}' AS infrastructure_usage_cost,
    NULL AS csi_volume_handle,
    pua.cost_category_id,
    $source AS source,
    CAST(year(pua.usage_start) AS VARCHAR) AS year,
    CAST(month(pua.usage_start) AS VARCHAR) AS month,
    CAST(day(pua.usage_start) AS VARCHAR) AS day,
    'pod' AS oracle_kind
FROM (
    SELECT CAST(li.interval_start AS DATE) AS usage_start,
        li.namespace,
        li.node,
        max(cat_ns.cost_category_id) AS cost_category_id,
        li.source AS source_uuid,
        trino_map_to_json(trino_map_concat3(
            trino_json_to_map(coalesce(nli.node_labels, '{}')),
            trino_json_to_map(coalesce(nsli.namespace_labels, '{}')),
            trino_map_filter_keys(trino_json_to_map(li.pod_labels), pek.keys)
        )) AS pod_labels,
        max(li.resource_id) AS resource_id,
        sum(li.pod_usage_cpu_core_seconds) / 3600.0 AS pod_usage_cpu_core_hours,
        sum(li.pod_request_cpu_core_seconds) / 3600.0 AS pod_request_cpu_core_hours,
        sum(coalesce(li.pod_effective_usage_cpu_core_seconds,
                     trino_greatest(li.pod_usage_cpu_core_seconds, li.pod_request_cpu_core_seconds))) / 3600.0
            AS pod_effective_usage_cpu_core_hours,
        sum(li.pod_limit_cpu_core_seconds) / 3600.0 AS pod_limit_cpu_core_hours,
        sum(li.pod_usage_memory_byte_seconds) / 3600.0 * power(2, -30) AS pod_usage_memory_gigabyte_hours,
        sum(li.pod_request_memory_byte_seconds) / 3600.0 * power(2, -30) AS pod_request_memory_gigabyte_hours,
        sum(coalesce(li.pod_effective_usage_memory_byte_seconds,
                     trino_greatest(li.pod_usage_memory_byte_seconds, li.pod_request_memory_byte_seconds))) / 3600.0
            * power(2, -30) AS pod_effective_usage_memory_gigabyte_hours,
        sum(li.pod_limit_memory_byte_seconds) / 3600.0 * power(2, -30) AS pod_limit_memory_gigabyte_hours,
        max(li.node_capacity_cpu_cores) AS node_capacity_cpu_cores,
        max(nc.node_capacity_cpu_core_seconds) / 3600.0 AS node_capacity_cpu_core_hours,
        max(li.node_capacity_memory_bytes) * power(2, -30) AS node_capacity_memory_gigabytes,
        max(nc.node_capacity_memory_byte_seconds) / 3600.0 * power(2, -30) AS node_capacity_memory_gigabyte_hours,
        max(cc.cluster_capacity_cpu_core_seconds) / 3600.0 AS cluster_capacity_cpu_core_hours,
        max(cc.cluster_capacity_memory_byte_seconds) / 3600.0 * power(2, -30) AS cluster_capacity_memory_gigabyte_hours
    FROM openshift_pod_usage_line_items_daily AS li
    CROSS JOIN cte_pg_enabled_keys AS pek
    LEFT JOIN cte_ocp_node_label_line_item_daily AS nli
        ON nli.node = li.node
            AND nli.usage_start = CAST(li.interval_start AS DATE)
    LEFT JOIN cte_ocp_namespace_label_line_item_daily AS nsli
        ON nsli.namespace = li.namespace
            AND nsli.usage_start = CAST(li.interval_start AS DATE)
    LEFT JOIN cte_ocp_node_capacity AS nc
        ON nc.usage_start = CAST(li.interval_start AS DATE)
            AND nc.node = li.node
    LEFT JOIN cte_ocp_cluster_capacity AS cc
        ON cc.usage_start = CAST(li.interval_start AS DATE)
    LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
        ON li.namespace LIKE cat_ns.namespace
    WHERE li.source = $source
        AND li.year = $year
        AND li.month = $month
        AND li.interval_start >= CAST($start_date AS DATE)
        AND li.interval_start < trino_date_add_day($end_date)
        AND li.node != ''
    GROUP BY CAST(li.interval_start AS DATE),
        li.namespace,
        li.node,
        li.source,
        6  /* the merged label map (pod_labels); must stay in sync with the select list */
) AS pua
;
