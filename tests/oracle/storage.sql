/*
 * DuckDB port of TSQL statement 2, second SELECT (STORAGE rows), spec §7.
 * Only run when the storage daily table exists (storage_exists). Same parameters as pod.sql.
 * Per spec §7.3 the pod name is not a grouping key.
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
        3
),
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
        3
),
-- Determine which node a PVC is running on (§7.1; uli is NOT date-range filtered, no node filter)
cte_volume_nodes AS (
    SELECT CAST(sli.interval_start AS DATE) AS usage_start,
        sli.persistentvolumeclaim,
        sli.persistentvolume,
        sli.pod,
        sli.namespace,
        uli.node,
        uli.resource_id
    FROM openshift_storage_usage_line_items_daily AS sli
    JOIN openshift_pod_usage_line_items_daily AS uli
        ON uli.source = sli.source
            AND uli.namespace = sli.namespace
            AND uli.pod = sli.pod
            AND CAST(uli.interval_start AS DATE) = CAST(sli.interval_start AS DATE)
     WHERE sli.source = $source
        AND sli.year = $year
        AND sli.month = $month
        AND sli.interval_start >= CAST($start_date AS DATE)
        AND sli.interval_start < trino_date_add_day($end_date)
        AND uli.source = $source
        AND uli.year = $year
        AND uli.month = $month
     GROUP BY CAST(sli.interval_start AS DATE),
          sli.persistentvolumeclaim,
          sli.persistentvolume,
          sli.pod,
          sli.namespace,
          uli.node,
          uli.resource_id
),
cte_shared_volume_node_count AS (
    SELECT usage_start,
        persistentvolume,
        count(DISTINCT node) AS node_count
    FROM cte_volume_nodes
    GROUP BY usage_start,
        persistentvolume
)
/*
 * ====================================
 *            STORAGE
 * ====================================
 */
SELECT NULL AS uuid,
    $report_period_id AS report_period_id,
    $cluster_id AS cluster_id,
    $cluster_alias AS cluster_alias,
    'Storage' AS data_source,
    sua.usage_start,
    sua.usage_start AS usage_end,
    sua.namespace,
    sua.node,
    sua.resource_id,
    NULL AS pod_labels,
    NULL AS pod_usage_cpu_core_hours,
    NULL AS pod_request_cpu_core_hours,
    NULL AS pod_effective_usage_cpu_core_hours,
    NULL AS pod_limit_cpu_core_hours,
    NULL AS pod_usage_memory_gigabyte_hours,
    NULL AS pod_request_memory_gigabyte_hours,
    NULL AS pod_effective_usage_memory_gigabyte_hours,
    NULL AS pod_limit_memory_gigabyte_hours,
    NULL AS node_capacity_cpu_cores,
    NULL AS node_capacity_cpu_core_hours,
    NULL AS node_capacity_memory_gigabytes,
    NULL AS node_capacity_memory_gigabyte_hours,
    NULL AS cluster_capacity_cpu_core_hours,
    NULL AS cluster_capacity_memory_gigabyte_hours,
    sua.persistentvolumeclaim,
    sua.persistentvolume,
    sua.storageclass,
    sua.volume_labels,  -- already json_format(cast(map as json)) text
    (sua.persistentvolumeclaim_capacity_bytes *
        power(2, -30)) AS persistentvolumeclaim_capacity_gigabyte,
    (sua.persistentvolumeclaim_capacity_byte_seconds /
        (86400 * trino_days_in_month(sua.usage_start)) *
        power(2, -30)) AS persistentvolumeclaim_capacity_gigabyte_months,
    (sua.volume_request_storage_byte_seconds /
        (86400 * trino_days_in_month(sua.usage_start)) *
        power(2, -30)) AS volume_request_storage_gigabyte_months,
    (sua.persistentvolumeclaim_usage_byte_seconds /
        (86400 * trino_days_in_month(sua.usage_start)) *
        power(2, -30)) AS persistentvolumeclaim_usage_gigabyte_months,
    sua.source_uuid,
    '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}' AS infrastructure_usage_cost,
    sua.csi_volume_handle,
    sua.cost_category_id,
    $source AS source,
    CAST(year(sua.usage_start) AS VARCHAR) AS year,
    CAST(month(sua.usage_start) AS VARCHAR) AS month,
    CAST(day(sua.usage_start) AS VARCHAR) AS day,
    'storage' AS oracle_kind
FROM (
    SELECT sli.namespace,
        vn.node,
        vn.resource_id,
        sli.persistentvolumeclaim,
        sli.persistentvolume,
        sli.storageclass,
        CAST(sli.interval_start AS DATE) AS usage_start,
        trino_map_to_json(trino_map_concat4(
            trino_json_to_map(coalesce(nli.node_labels, '{}')),
            trino_json_to_map(coalesce(nsli.namespace_labels, '{}')),
            trino_map_filter_keys(trino_json_to_map(sli.persistentvolume_labels), pek.keys),
            trino_map_filter_keys(trino_json_to_map(sli.persistentvolumeclaim_labels), pek.keys)
        )) AS volume_labels,
        sli.source AS source_uuid,
        sli.csi_volume_handle AS csi_volume_handle,
        max(cat_ns.cost_category_id) AS cost_category_id,
        max(sli.persistentvolumeclaim_capacity_bytes) AS persistentvolumeclaim_capacity_bytes,
        sum(sli.persistentvolumeclaim_capacity_byte_seconds) AS persistentvolumeclaim_capacity_byte_seconds,
        -- Divide volume usage and requests by the number of nodes that volume is mounted on
        sum(sli.volume_request_storage_byte_seconds) / max(nc.node_count) AS volume_request_storage_byte_seconds,
        sum(sli.persistentvolumeclaim_usage_byte_seconds) / max(nc.node_count) AS persistentvolumeclaim_usage_byte_seconds
    FROM openshift_storage_usage_line_items_daily AS sli
    CROSS JOIN cte_pg_enabled_keys AS pek
    LEFT JOIN cte_volume_nodes AS vn
        ON vn.usage_start = CAST(sli.interval_start AS DATE)
            AND vn.persistentvolumeclaim = sli.persistentvolumeclaim
            AND vn.pod = sli.pod
            AND vn.namespace = sli.namespace
    LEFT JOIN cte_shared_volume_node_count AS nc
        ON nc.usage_start = CAST(sli.interval_start AS DATE)
            AND nc.persistentvolume = sli.persistentvolume
    LEFT JOIN cte_ocp_node_label_line_item_daily AS nli
        ON nli.node = vn.node
            AND nli.usage_start = vn.usage_start
    LEFT JOIN cte_ocp_namespace_label_line_item_daily AS nsli
        ON nsli.namespace = sli.namespace
            AND nsli.usage_start = CAST(sli.interval_start AS DATE)
    LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
        ON sli.namespace LIKE cat_ns.namespace
    WHERE sli.source = $source
        AND sli.year = $year
        AND sli.month = $month
        AND sli.interval_start >= CAST($start_date AS DATE)
        AND sli.interval_start < trino_date_add_day($end_date)
    GROUP BY sli.namespace,
        vn.node,
        vn.resource_id,
        sli.persistentvolumeclaim,
        sli.persistentvolume,
        sli.storageclass,
        sli.csi_volume_handle,
        CAST(sli.interval_start AS DATE),
        8,  /* the merged volume label map; must stay in sync with the select list */
        sli.source
) AS sua
;
