/*
 * Koku's GPU and VM UI-summary Trino queries, ported to DuckDB. vm_gpu.py runs one statement per query;
 * statements are separated by lines `-- query: NAME` (as in cluster.sql).
 *
 * Sources (project-koku/koku):
 *   gpu           trino_sql/openshift/ui_summary/reporting_ocp_gpu_summary_p_usage_only.sql (the MIG version:
 *                 mig_instance_id, physical_gpu_uuid, gpu_mode, ... ; gpu_count commented out)
 *   vm_pod_storage trino_sql/openshift/populate_vm_tmp_table.sql (LEFT JOIN version, tmp_virt_{{uuid}})
 *   vm_report     trino_sql/openshift/populate_vm_tmp_table_with_vm_report.sql (the version with the
 *                 `vm_persistentvolumeclaim_name IS NOT NULL AND != ''` filter and the `* 24` factors)
 *   temp table    sql/openshift/create_virtualization_tmp_table.sql: (vm_name TEXT, node TEXT, pvc_name TEXT,
 *                 cpu_request FLOAT, mem_request FLOAT)
 *
 * Parameters: $source, $year ('YYYY'), $month ('MM', zero-padded: masu's start_date.strftime('%m')),
 * $start_date, $end_date (DATE), $cluster_id, $cluster_alias (VARCHAR).
 * Tables (built by vm_gpu.py): openshift_gpu_usage_line_items_daily, openshift_vm_usage_line_items (HOURLY:
 * Koku's with_vm_report SQL reads the hourly table although masu picks it from the daily table's partitions),
 * openshift_pod_usage_line_items_daily, openshift_storage_usage_line_items_daily (every year=/month= partition of
 * the source, so the SQL's own year/month filters decide), reporting_ocpusagelineitem_daily_summary (the
 * PostgreSQL table, from --summary), reporting_ocp_cost_category_namespace (from --cost-category).
 *
 * Trino -> DuckDB translations:
 *   json_extract_scalar(x, '$.k')   -> trino_json_extract_scalar (macro below; NULL for JSON null, objects,
 *                                      arrays, a missing key, text that is not a JSON object)
 *   uuid()                          -> dropped (the `id` column is a random uuid; not in the output)
 *   cast({{source_uuid}} as UUID)   -> CAST(CAST($source AS UUID) AS VARCHAR) (lower-case canonical text;
 *                                      fails on a non-uuid, as Trino's cast does)
 *   CAST(usage_start AS DATE), DATE(x), date(interval_start) -> CAST(x AS DATE)
 *   lpad(month, 2, '0')             -> lpad (same semantics for these inputs)
 *   power(2, -30)                   -> power(2, -30) (double 2^-30, exact)
 *   CAST(double AS INTEGER)         -> CAST(... AS INTEGER) (values are whole numbers; both round)
 *   LIKE                            -> LIKE (DuckDB's matches Trino's: case-sensitive, no escape)
 *   `x * 0.001048576`               -> same (DECIMAL literal times DOUBLE is DOUBLE in both)
 *   OFFSET 1 LIMIT 1                -> LIMIT 1 OFFSET 1 (an empty scalar subquery is NULL in both)
 *   CAST(source_uuid AS VARCHAR)    -> same; the summary's source_uuid is loaded as UUID (PostgreSQL's type),
 *                                      so its text is the lower-case canonical form
 *
 * Nondeterminism in Koku (Trino) and the tie-break chosen here:
 *   vm_pod_storage: ROW_NUMBER() OVER (PARTITION BY vm_name ORDER BY usage_start DESC) runs over rows of ONE
 *   day (the WHERE keeps only the second-to-last day), so every row of a VM ties and Trino keeps an arbitrary
 *   one. Here the ORDER BY continues with `node ASC NULLS LAST, pod_request_cpu_core_hours ASC,
 *   pod_request_memory_gigabyte_hours ASC NULLS LAST` (strings in byte order): the kept row is the one with the
 *   smallest (node, cpu_request, mem_request). These are exactly the output columns taken from the row, so any
 *   two rows equal on them give the same output.
 *   The other queries are deterministic (GROUP BY with max aggregates).
 */
-- query: setup
CREATE OR REPLACE TEMP MACRO trino_json_extract_scalar(t, path) AS
    CASE WHEN json_valid(t) AND json_type(t) = 'OBJECT' THEN
        CASE
            WHEN json_type(t, path) = 'VARCHAR' THEN json_extract_string(t, path)
            WHEN json_type(t, path) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')
                THEN CAST(json_extract(t, path) AS VARCHAR)
        END
    END
;
-- query: gpu
-- INSERT INTO reporting_ocp_gpu_summary_p (id, cluster_id, ..., source_uuid, cost_category_id): `id` (uuid())
-- is left out; the columns are in the INSERT's order.
SELECT CAST($cluster_id AS VARCHAR) as cluster_id,
    CAST($cluster_alias AS VARCHAR) as cluster_alias,
    CAST(gpu.interval_start AS DATE) as usage_start,
    CAST(gpu.interval_start AS DATE) as usage_end,
    gpu.namespace,
    gpu.node,
    gpu.gpu_vendor_name as vendor_name,
    gpu.gpu_model_name as model_name,
    max(gpu.gpu_memory_capacity_mib) * 0.001048576 as memory_capacity_gb,
    max(gpu.mig_instance_id) as mig_instance_id,
    max(gpu.gpu_uuid) as physical_gpu_uuid,
    CASE WHEN max(gpu.mig_profile) IS NOT NULL THEN 'MIG' ELSE 'dedicated' END as gpu_mode,
    max(gpu.mig_profile) as mig_profile,
    CAST(max(gpu.mig_slice_count) AS INTEGER) as mig_slice_count,
    CAST(max(gpu.gpu_max_slices) AS INTEGER) as gpu_max_slices,
    max(gpu.mig_strategy) as mig_strategy,
    max(gpu.mig_memory_capacity_mib) * 0.001048576 as mig_memory_capacity_gb,
    CAST(CAST($source AS UUID) AS VARCHAR) as source_uuid,
    max(cat_ns.cost_category_id) as cost_category_id
FROM openshift_gpu_usage_line_items_daily AS gpu
LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
        ON gpu.namespace LIKE cat_ns.namespace
WHERE gpu.source = $source
    AND gpu.year = $year
    AND lpad(gpu.month, 2, '0') = $month
    AND CAST(gpu.interval_start AS DATE) >= CAST($start_date AS DATE)
    AND CAST(gpu.interval_start AS DATE) <= CAST($end_date AS DATE)
GROUP BY gpu.namespace, gpu.node, gpu.gpu_vendor_name, gpu.gpu_model_name, gpu.mig_profile, gpu.interval_start
;
-- query: vm_pod_storage
-- INSERT INTO tmp_virt_<uuid> (vm_name, node, pvc_name, cpu_request, mem_request)
SELECT
    latest.vm_name,
    latest.node_name as node,
    pvc.pvc_name,
    latest.cpu_request_hours as cpu_request,
    latest.memory_request_hours as mem_request
FROM (
    SELECT
        trino_json_extract_scalar(pod_labels, '$.vm_kubevirt_io_name') AS vm_name,
        pod_request_cpu_core_hours AS cpu_request_hours,
        pod_request_memory_gigabyte_hours AS memory_request_hours,
        node AS node_name,
        usage_start,
        ROW_NUMBER() OVER (
            PARTITION BY trino_json_extract_scalar(pod_labels, '$.vm_kubevirt_io_name')
            -- Koku: ORDER BY usage_start DESC only (ties on one day: arbitrary row). Oracle tie-break added:
            ORDER BY usage_start DESC, node ASC NULLS LAST, pod_request_cpu_core_hours ASC,
                pod_request_memory_gigabyte_hours ASC NULLS LAST
        ) AS rn
    FROM reporting_ocpusagelineitem_daily_summary AS summary
    WHERE
        CAST(usage_start AS DATE) = (
            SELECT day
            FROM (
                SELECT DISTINCT CAST(usage_start AS DATE) AS day
                FROM reporting_ocpusagelineitem_daily_summary
                WHERE usage_start >= CAST($start_date AS DATE)
                    AND usage_start <= CAST($end_date AS DATE)
                    AND CAST(source_uuid AS VARCHAR) = $source
                    AND pod_request_cpu_core_hours IS NOT NULL
                ORDER BY day DESC
                LIMIT 1 OFFSET 1
            ) AS second_to_last_day
        )
        -- (no source / cluster filter here in Koku: every source's rows of that day take part)
        AND pod_request_cpu_core_hours IS NOT NULL
        AND trino_json_extract_scalar(pod_labels, '$.vm_kubevirt_io_name') IS NOT NULL
) AS latest
LEFT JOIN (
    SELECT
        storage.persistentvolumeclaim AS pvc_name,
        trino_json_extract_scalar(pod_usage.pod_labels, '$.vm_kubevirt_io_name') AS vm_name
    FROM openshift_pod_usage_line_items_daily AS pod_usage
    INNER JOIN openshift_storage_usage_line_items_daily AS storage
        ON pod_usage.pod = storage.pod
        AND pod_usage.year = storage.year
        AND pod_usage.month = storage.month
        AND pod_usage.source = storage.source
    WHERE storage.persistentvolumeclaim IS NOT NULL
        AND storage.persistentvolumeclaim != ''
        AND pod_usage.year = $year
        AND pod_usage.month = $month
        AND pod_usage.source = $source
        AND trino_json_extract_scalar(pod_usage.pod_labels, '$.vm_kubevirt_io_name') IS NOT NULL
    GROUP BY storage.persistentvolumeclaim, trino_json_extract_scalar(pod_usage.pod_labels, '$.vm_kubevirt_io_name')
) AS pvc
    ON pvc.vm_name = latest.vm_name
WHERE latest.rn = 1
;
-- query: vm_report
-- INSERT INTO tmp_virt_<uuid> (vm_name, node, pvc_name, cpu_request, mem_request)
SELECT
    latest.vm_name,
    latest.node,
    pvc.vm_persistentvolumeclaim_name as pvc_name,
    max(latest.cpu_request) as cpu_request,
    max(latest.mem_request) as mem_request
FROM (
    SELECT
        vm.vm_name,
        vm.node,
        -- (Koku: "do not blindly copy multiplying by 24 ... where 24 is divided out")
        max(vm.vm_cpu_request_cores) * 24 as cpu_request,
        max(vm.vm_memory_request_bytes) * power(2, -30) * 24 as mem_request
    FROM openshift_vm_usage_line_items as vm
    WHERE source = $source
    AND vm.year = $year
    AND vm.month = $month
    AND vm.interval_start = (
        SELECT MAX(interval_start)
        FROM openshift_vm_usage_line_items
        WHERE source = $source
        AND year = $year
        AND month = $month
    )
    GROUP BY vm.vm_name, vm.node
) as latest
INNER JOIN openshift_vm_usage_line_items as pvc
ON pvc.vm_name = latest.vm_name
WHERE pvc.source = $source
AND pvc.year = $year
AND pvc.month = $month
AND pvc.vm_persistentvolumeclaim_name IS NOT NULL
AND pvc.vm_persistentvolumeclaim_name != ''
GROUP BY latest.vm_name, latest.node, pvc.vm_persistentvolumeclaim_name
;
