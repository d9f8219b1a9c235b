/*
 * DuckDB port of TSQL statement 4 (hive -> PostgreSQL copy), spec §9.3.
 * Returns the rows that would be inserted; oracle.py writes them as CSV.
 * Extra parameter: $days (list of unpadded day strings), $kinds (list of oracle_kind values to emit).
 */
SELECT uuid() AS uuid,
    report_period_id,
    cluster_id,
    cluster_alias,
    data_source,
    usage_start,
    usage_end,
    namespace,
    node,
    resource_id,
    pod_labels,   -- json_parse(pod_labels)
    pod_usage_cpu_core_hours,
    pod_request_cpu_core_hours,
    pod_effective_usage_cpu_core_hours,
    pod_limit_cpu_core_hours,
    pod_usage_memory_gigabyte_hours,
    pod_request_memory_gigabyte_hours,
    pod_effective_usage_memory_gigabyte_hours,
    pod_limit_memory_gigabyte_hours,
    node_capacity_cpu_cores,
    node_capacity_cpu_core_hours,
    node_capacity_memory_gigabytes,
    node_capacity_memory_gigabyte_hours,
    cluster_capacity_cpu_core_hours,
    cluster_capacity_memory_gigabyte_hours,
    persistentvolumeclaim,
    persistentvolume,
    storageclass,
    volume_labels, -- json_parse(volume_labels)
    trino_map_to_json(trino_map_concat2(
        trino_json_to_map(coalesce(pod_labels, '{}')),
        trino_json_to_map(coalesce(volume_labels, '{}'))
    )) AS all_labels,
    persistentvolumeclaim_capacity_gigabyte,
    persistentvolumeclaim_capacity_gigabyte_months,
    volume_request_storage_gigabyte_months,
    persistentvolumeclaim_usage_gigabyte_months,
    source_uuid,
    infrastructure_usage_cost,
    cost_category_id
FROM hive_reporting_ocpusagelineitem_daily_summary AS lids
WHERE lids.source = $source
    AND lids.year = $year
    AND lpad(lids.month, 2, '0') = $month
    AND list_contains($days, lids.day)
    AND list_contains($kinds, lids.oracle_kind)
ORDER BY usage_start, data_source, namespace, node, oracle_kind
;
