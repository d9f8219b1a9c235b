/*
 * Koku's OpenShift cost-model Trino queries, ported to DuckDB (run by cost_model.py; one statement per
 * `-- query: NAME`). Sources and pinned commits: see cost_model.py's docstring.
 *
 * The SELECTs keep Koku's FROM / JOIN / WHERE / GROUP BY literally. The cost expression itself is NOT computed
 * here: each query returns its inputs (`_hours`, `_cores`, `_uptime`, `_tag_value`, `_node_count`) and
 * cost_model.py evaluates the expression with Trino's types (DuckDB turns DECIMAL division into DOUBLE and caps
 * DECIMAL products differently). Jinja branches become parameters:
 *   $path        '$.' || tag_key  (JSON path of `'$.{{ tag_key|sqlsafe }}'`)
 *   $has_default `default_rate is defined`
 *   $has_values  `value_rates is defined` (value_rates' keys are the rows of temp table tag_values(value))
 *   vmhrs        a temp table filled from query vmhrs_fractional or vmhrs_count (`use_fractional_hours`)
 * Other parameters: $source, $year ('YYYY'), $month ('MM' zero-padded, strftime('%m')), $start_date, $end_date
 * (DATE), $report_period_id (INTEGER), $cluster_id, $cluster_alias, $vendor (VARCHAR).
 *
 * Trino -> DuckDB translations:
 *   json_extract_scalar(x, p)      -> trino_json_extract_scalar (below)
 *   json_extract(x, p) IS NOT NULL -> trino_json_path_exists (below): true also for a JSON null value (Trino's
 *                                     json_extract returns the JSON text `null`, not SQL NULL)
 *   CAST(json AS map(varchar,varchar)), CAST(map AS JSON) -> UDF trino_labels_json (cost_model.py)
 *   REDUCE(ARRAY_AGG(map_concat(...)), MAP(), map_concat) -> UDF trino_merge_labels over a list ordered by
 *                                     (pod_labels, all_labels) NULLS FIRST (Trino's order is undefined)
 *   DATE(x)                        -> CAST(x AS DATE)
 *   strpos, LIKE, lpad             -> same
 *   count(x)                       -> count(x) (BIGINT in both)
 *   sum(double) / 3600             -> same (DOUBLE in both)
 *   CAST(source AS uuid)           -> CAST(... AS UUID)
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
CREATE OR REPLACE TEMP MACRO trino_json_path_exists(t, path) AS
    coalesce(json_valid(t) AND json_type(t) = 'OBJECT' AND json_extract(t, path) IS NOT NULL, false)
;
-- query: vmhrs_fractional
-- hourly_cost_virtual_machine.sql / hourly_cost_vm_tag_based.sql, `{% if use_fractional_hours %}` branch
SELECT
    vm_name,
    CAST(interval_start AS DATE) AS interval_day,
    sum(vm_uptime_total_seconds) / 3600 AS vm_interval_hours
FROM openshift_vm_usage_line_items
WHERE source = $source
  AND year = $year
  AND month = $month
GROUP BY 1, 2
-- query: vmhrs_count
-- the `{% else %}` branch (pod hourly rows; count is BIGINT)
SELECT
    trino_json_extract_scalar(pod_labels, '$.vm_kubevirt_io_name') AS vm_name,
    CAST(interval_start AS DATE) AS interval_day,
    count(interval_start) AS vm_interval_hours
FROM openshift_pod_usage_line_items
WHERE strpos(pod_labels, 'vm_kubevirt_io_name') != 0
  AND source = $source
  AND year = $year
  AND month = $month
GROUP BY 1, 2
-- query: hourly_cost_virtual_machine
-- cost_model_cpu_cost = _hours * CAST(hourly_rate AS DECIMAL(33, 15))
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    cluster_id, cluster_alias, data_source, usage_start, usage_end, namespace, node,
    max(resource_id) AS resource_id,
    pod_labels, all_labels, source_uuid,
    CAST(NULL AS VARCHAR) AS monthly_cost_type,
    cost_category_id,
    max(vmhrs.vm_interval_hours) AS _hours
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vmhrs
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vmhrs.vm_name
    AND CAST(vmhrs.interval_day AS DATE) = lids.usage_start
WHERE usage_start >= CAST($start_date AS DATE)
    AND usage_start <= CAST($end_date AS DATE)
    AND report_period_id = $report_period_id
    AND data_source = 'Pod'
    AND pod_usage_cpu_core_hours IS NOT NULL
    AND pod_request_cpu_core_hours IS NOT NULL
    AND monthly_cost_type IS NULL
    AND (
            lids.cost_model_rate_type IS NULL
            OR lids.cost_model_rate_type NOT IN ('Infrastructure', 'Supplementary')
        )
GROUP BY usage_start, usage_end, source_uuid, cluster_id, cluster_alias, node, namespace, data_source,
    cost_category_id, pod_labels, all_labels
-- query: hourly_cost_vm_tag_based
-- cost_model_cpu_cost = _hours * CAST(<rate of _tag_value, else default_rate> AS DECIMAL(33, 15))
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    cluster_id, cluster_alias, data_source, usage_start, usage_end, namespace, node,
    max(resource_id) AS resource_id,
    pod_labels, all_labels, source_uuid,
    'Tag' AS monthly_cost_type,
    cost_category_id,
    max(vmhrs.vm_interval_hours) AS _hours,
    trino_json_extract_scalar(lids.pod_labels, $path) AS _tag_value
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vmhrs
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vmhrs.vm_name
    AND CAST(vmhrs.interval_day AS DATE) = lids.usage_start
WHERE usage_start >= CAST($start_date AS DATE)
    AND usage_start <= CAST($end_date AS DATE)
    AND report_period_id = $report_period_id
    AND data_source = 'Pod'
    AND pod_usage_cpu_core_hours IS NOT NULL
    AND pod_request_cpu_core_hours IS NOT NULL
    AND monthly_cost_type IS NULL
    AND CASE WHEN $has_default THEN trino_json_path_exists(lids.pod_labels, $path)
             ELSE trino_json_extract_scalar(lids.pod_labels, $path) IN (SELECT value FROM tag_values) END
GROUP BY usage_start, usage_end, source_uuid, cluster_id, cluster_alias, node, namespace, data_source,
    cost_category_id, pod_labels, all_labels
-- query: vm_core_ctes
-- (not a statement: the CTEs shared by the VM-core queries; cost_model.py prepends them and substitutes
-- @VM_USAGE_TABLE@ (openshift_vm_usage_line_items; openshift_vm_usage_line_items_daily for
-- monthly_vm_core_tag_based) and @HOURS_EXPR@ (count(vm_map.interval_start) | sum(vm_map.vm_uptime_total_seconds)
-- [/ 3600] | NULL for the monthly files, which have no hours column))
WITH
    vm_max_interval AS (
        SELECT vm_name, max(interval_start) AS max_interval_start
        FROM openshift_vm_usage_line_items
        WHERE source = $source AND year = $year AND month = $month
        GROUP BY vm_name
    ),
    latest_vm_node_info AS (
        SELECT node_info.vm_name AS name_of_vm, node_info.node AS node_name, node_info.resource_id AS resource_id
        FROM openshift_vm_usage_line_items AS node_info
        INNER JOIN vm_max_interval AS vmi
            ON node_info.vm_name = vmi.vm_name
            AND node_info.interval_start = vmi.max_interval_start
        WHERE node_info.source = $source AND node_info.year = $year AND node_info.month = $month
    ),
    vm_usage_summary AS (
        SELECT
            vm_map.vm_cpu_request_cores AS vm_cpu_cores,
            CAST(vm_map.interval_start AS DATE) AS interval_day,
            vm_map.vm_name AS vm_name,
            @HOURS_EXPR@ AS vm_interval_hours
        FROM @VM_USAGE_TABLE@ AS vm_map
        WHERE vm_map.source = $source AND vm_map.year = $year AND vm_map.month = $month
        GROUP BY 1, 2, vm_map.vm_name
    ),
    latest_vm_labels AS (
        SELECT
            trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') AS vm_name,
            trino_merge_labels(list(CAST(to_json([lids.pod_labels, lids.all_labels]) AS VARCHAR)
                ORDER BY lids.pod_labels ASC NULLS FIRST, lids.all_labels ASC NULLS FIRST)) AS combined_labels
        FROM reporting_ocpusagelineitem_daily_summary AS lids
        JOIN vm_max_interval AS max
            ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = max.vm_name
            AND CAST(lids.usage_start AS DATE) = CAST(max.max_interval_start AS DATE)
        WHERE lids.report_period_id = $report_period_id
            AND lids.data_source = 'Pod'
            AND lids.pod_usage_cpu_core_hours IS NOT NULL
            AND lids.pod_request_cpu_core_hours IS NOT NULL
            AND lids.monthly_cost_type IS NULL
        GROUP BY trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name')
    )
-- query: vm_core_combined_labels
-- hourly_vm_core.sql (SELECT only: the stored version has no INSERT) and monthly_vm_core.sql:
-- pod_labels = all_labels = latest_vm_labels.combined_labels; hourly_vm_core: cost = _hours [/ 3600] * _cores *
-- CAST(hourly_rate AS DECIMAL(33,15)); monthly_vm_core: cost = _cores * CAST(rate AS DECIMAL(33, 15))
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    lids.cluster_id, lids.cluster_alias, lids.data_source, lids.usage_start, lids.usage_end, lids.namespace,
    max(latest.node_name) AS node,
    max(latest.resource_id) AS resource_id,
    labels.combined_labels AS pod_labels,
    labels.combined_labels AS all_labels,
    lids.source_uuid,
    CAST($monthly_cost_type AS VARCHAR) AS monthly_cost_type,
    lids.cost_category_id,
    max(vm_usage.vm_interval_hours) AS _hours,
    max(vm_usage.vm_cpu_cores) AS _cores
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vm_usage_summary AS vm_usage
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vm_usage.vm_name
    AND lids.usage_start = vm_usage.interval_day
JOIN latest_vm_node_info AS latest
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = latest.name_of_vm
JOIN latest_vm_labels AS labels
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = labels.vm_name
WHERE usage_start >= CAST($start_date AS DATE)
    AND usage_start <= CAST($end_date AS DATE)
    AND report_period_id = $report_period_id
    AND lids.data_source = 'Pod'
    AND lids.pod_usage_cpu_core_hours IS NOT NULL
    AND lids.pod_request_cpu_core_hours IS NOT NULL
    AND lids.monthly_cost_type IS NULL
GROUP BY lids.usage_start, lids.usage_end, lids.source_uuid, lids.cluster_id, lids.cluster_alias, lids.namespace,
    lids.data_source, lids.cost_category_id, labels.combined_labels
-- query: vm_core_tag_based
-- hourly_vm_core_tag_based.sql ($extra_rate_type_filter false) and monthly_vm_core_tag_based.sql
-- (true: `AND lids.cost_model_rate_type IS NULL`); LEFT JOIN latest; the summary row's own labels.
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    lids.cluster_id, lids.cluster_alias, lids.data_source, lids.usage_start, lids.usage_end, lids.namespace,
    max(latest.node_name) AS node,
    max(latest.resource_id) AS resource_id,
    lids.pod_labels, lids.all_labels, lids.source_uuid,
    'Tag' AS monthly_cost_type,
    lids.cost_category_id,
    max(vm_usage.vm_interval_hours) AS _hours,
    max(vm_usage.vm_cpu_cores) AS _cores,
    trino_json_extract_scalar(lids.pod_labels, $path) AS _tag_value
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vm_usage_summary AS vm_usage
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vm_usage.vm_name
    AND lids.usage_start = vm_usage.interval_day
LEFT JOIN latest_vm_node_info AS latest
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = latest.name_of_vm
WHERE lids.usage_start >= CAST($start_date AS DATE)
    AND lids.usage_start <= CAST($end_date AS DATE)
    AND lids.report_period_id = $report_period_id
    AND lids.data_source = 'Pod'
    AND lids.pod_usage_cpu_core_hours IS NOT NULL
    AND lids.pod_request_cpu_core_hours IS NOT NULL
    AND lids.monthly_cost_type IS NULL
    AND (NOT $extra_rate_type_filter OR lids.cost_model_rate_type IS NULL)
    AND CASE WHEN $has_default THEN trino_json_path_exists(lids.pod_labels, $path)
             ELSE trino_json_extract_scalar(lids.pod_labels, $path) IN (SELECT value FROM tag_values) END
GROUP BY lids.usage_start, lids.usage_end, lids.source_uuid, lids.cluster_id, lids.cluster_alias, lids.namespace,
    lids.data_source, lids.cost_category_id, lids.pod_labels, lids.all_labels
-- query: monthly_cost_gpu
-- one row per gpu daily row (no GROUP BY; a namespace matching two cost-category patterns gives two rows);
-- cost = (CAST(rate AS decimal(24,9)) / CAST(days AS decimal(24,9))) * (_uptime / 86400.0)
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    CAST($cluster_id AS VARCHAR) AS cluster_id,
    CAST($cluster_alias AS VARCHAR) AS cluster_alias,
    'GPU' AS data_source,
    CAST(gpu.interval_start AS DATE) AS usage_start,
    CAST(gpu.interval_start AS DATE) AS usage_end,
    gpu.namespace AS namespace,
    gpu.node AS node,
    gpu.gpu_uuid AS resource_id,
    CAST(NULL AS VARCHAR) AS pod_labels,
    trino_gpu_labels_json(gpu.gpu_model_name, gpu.gpu_vendor_name, gpu.gpu_memory_capacity_mib) AS all_labels,
    CAST(gpu.source AS UUID) AS source_uuid,
    'Tag' AS monthly_cost_type,
    cat_ns.cost_category_id,
    gpu.gpu_model_name AS _tag_value,
    gpu.gpu_pod_uptime AS _uptime
FROM openshift_gpu_usage_line_items_daily AS gpu
LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
    ON gpu.namespace LIKE cat_ns.namespace
WHERE CAST(gpu.interval_start AS DATE) >= CAST($start_date AS DATE)
  AND CAST(gpu.interval_start AS DATE) <= CAST($end_date AS DATE)
  AND gpu.source = $source
  AND gpu.year = $year
  AND gpu.month = $month
  AND gpu.gpu_vendor_name = $vendor
  AND (NOT $has_values OR gpu.gpu_model_name IN (SELECT value FROM tag_values))
-- query: monthly_project_tag_based
-- amortized_cost = CASE <_tag_value's rate> ... ELSE default_rate END cast to DECIMAL(33,15) / days;
-- cost = CASE WHEN _node_count < 1 THEN amortized_cost ELSE amortized_cost / _node_count END.
-- `_rate_key` stands for amortized_cost in filtered_data's GROUP BY 2 (the matched value_rates key, NULL for
-- the ELSE branch); grouping by it is the same partition because different matched values also differ in
-- filtered_namespace_labels (GROUP BY 3).
WITH filtered_data AS (
    SELECT
        nsp.namespace,
        CASE WHEN $has_values AND trino_json_extract_scalar(nsp.namespace_labels, $path)
                                   IN (SELECT value FROM tag_values)
             THEN trino_json_extract_scalar(nsp.namespace_labels, $path) END AS _rate_key,
        CASE WHEN trino_json_extract_scalar(nsp.namespace_labels, $path) IS NOT NULL
             THEN trino_labels_json(nsp.namespace_labels) ELSE '{}' END AS filtered_namespace_labels,
        ouds.cluster_id,
        ouds.cluster_alias,
        ouds.node,
        CAST(nsp.interval_start AS DATE) AS usage_start
    FROM openshift_namespace_labels_line_items_daily AS nsp
    LEFT JOIN hive_reporting_ocpusagelineitem_daily_summary AS ouds
        ON nsp.month = lpad(ouds.month, 2, '0')
        AND nsp.year = ouds.year
        AND nsp.source = ouds.source
        AND nsp.namespace = ouds.namespace
        AND CAST(nsp.interval_start AS DATE) = CAST(ouds.usage_start AS DATE)
    WHERE nsp.month = $month
        AND nsp.year = $year
        AND nsp.source = $source
        AND nsp.namespace NOT LIKE 'kube-%'
        AND nsp.namespace NOT LIKE 'openshift-%'
        AND nsp.namespace != 'openshift'
        AND CASE WHEN $has_default THEN trino_json_path_exists(nsp.namespace_labels, $path)
                 ELSE trino_json_extract_scalar(nsp.namespace_labels, $path) IN (SELECT value FROM tag_values) END
    GROUP BY 2, 3, nsp.namespace, ouds.cluster_id, ouds.cluster_alias, ouds.node, CAST(nsp.interval_start AS DATE)
),
node_count AS (
    SELECT namespace, count(node) AS node_count, usage_start
    FROM filtered_data
    GROUP BY namespace, usage_start
)
SELECT
    CAST($report_period_id AS INTEGER) AS report_period_id,
    CAST($cluster_id AS VARCHAR) AS cluster_id,
    CAST($cluster_alias AS VARCHAR) AS cluster_alias,
    'Pod' AS data_source,
    fd.usage_start,
    fd.usage_start AS usage_end,
    fd.namespace,
    fd.node,
    CAST(NULL AS VARCHAR) AS resource_id,
    fd.filtered_namespace_labels AS pod_labels,
    fd.filtered_namespace_labels AS all_labels,
    CAST($source AS UUID) AS source_uuid,
    'Tag' AS monthly_cost_type,
    CAST(NULL AS INTEGER) AS cost_category_id,
    fd._rate_key AS _tag_value,
    nc.node_count AS _node_count
FROM filtered_data AS fd
JOIN node_count AS nc
    ON fd.namespace = nc.namespace
    AND fd.usage_start = nc.usage_start
/*
 * ---------------------------------------------------------------- rates_to_usage (`_rtu`) twins
 * Run by cost_model.py --rates-to-usage (pinned commits in its docstring). The label_hash (sha256 of
 * `pod json|''|all json`) is computed in Python from the returned labels; uuid() is not reproduced.
 * hourly_cost_virtual_machine_rtu.sql has exactly the FROM / JOIN / WHERE / GROUP BY of the direct
 * hourly_cost_virtual_machine query above (which is reused; its resource_id is dropped).
 */
-- query: hourly_cost_vm_tag_based_rtu
-- hourly_cost_vm_tag_based_rtu.sql: as the direct file plus the cost_model_rate_type filter; monthly_cost_type
-- NULL (set in Python). cost = _hours * CAST(<rate of _tag_value, else default_rate> AS DECIMAL(33, 15))
SELECT
    cluster_id, cluster_alias, data_source, usage_start, usage_end, namespace, node,
    pod_labels, all_labels, source_uuid, cost_category_id,
    max(vmhrs.vm_interval_hours) AS _hours,
    trino_json_extract_scalar(lids.pod_labels, $path) AS _tag_value
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vmhrs
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vmhrs.vm_name
    AND CAST(vmhrs.interval_day AS DATE) = lids.usage_start
WHERE usage_start >= CAST($start_date AS DATE)
    AND usage_start <= CAST($end_date AS DATE)
    AND report_period_id = $report_period_id
    AND data_source = 'Pod'
    AND pod_usage_cpu_core_hours IS NOT NULL
    AND pod_request_cpu_core_hours IS NOT NULL
    AND monthly_cost_type IS NULL
    AND (
            lids.cost_model_rate_type IS NULL
            OR lids.cost_model_rate_type NOT IN ('Infrastructure', 'Supplementary')
        )
    AND CASE WHEN $has_default THEN trino_json_path_exists(lids.pod_labels, $path)
             ELSE trino_json_extract_scalar(lids.pod_labels, $path) IN (SELECT value FROM tag_values) END
GROUP BY usage_start, usage_end, source_uuid, cluster_id, cluster_alias, node, namespace, data_source,
    cost_category_id, pod_labels, all_labels
-- query: hourly_vm_core_rtu
-- hourly_vm_core_rtu.sql (vm_core_ctes with @HOURS_EXPR@ = sum(vm_map.vm_uptime_total_seconds), in SECONDS):
-- cost = max(hours) / 3600 * max(cores) * CAST(hourly_rate AS DECIMAL(33, 15)); labels = combined_labels;
-- unlike the direct SELECT it also filters on cost_model_rate_type.
SELECT
    lids.cluster_id, lids.cluster_alias, lids.data_source, lids.usage_start, lids.usage_end, lids.namespace,
    max(latest.node_name) AS node,
    labels.combined_labels AS pod_labels,
    labels.combined_labels AS all_labels,
    lids.source_uuid,
    lids.cost_category_id,
    max(vm_usage.vm_interval_hours) AS _hours,
    max(vm_usage.vm_cpu_cores) AS _cores
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vm_usage_summary AS vm_usage
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vm_usage.vm_name
    AND lids.usage_start = vm_usage.interval_day
JOIN latest_vm_node_info AS latest
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = latest.name_of_vm
JOIN latest_vm_labels AS labels
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = labels.vm_name
WHERE usage_start >= CAST($start_date AS DATE)
    AND usage_start <= CAST($end_date AS DATE)
    AND report_period_id = $report_period_id
    AND lids.data_source = 'Pod'
    AND lids.pod_usage_cpu_core_hours IS NOT NULL
    AND lids.pod_request_cpu_core_hours IS NOT NULL
    AND lids.monthly_cost_type IS NULL
    AND (
        lids.cost_model_rate_type IS NULL
        OR lids.cost_model_rate_type NOT IN ('Infrastructure', 'Supplementary')
    )
GROUP BY lids.usage_start, lids.usage_end, lids.source_uuid, lids.cluster_id, lids.cluster_alias, lids.namespace,
    lids.data_source, lids.cost_category_id, labels.combined_labels
-- query: vm_core_tag_based_rtu
-- hourly_vm_core_tag_based_rtu.sql ($monthly false: @HOURS_EXPR@ = sum(vm_uptime_total_seconds) / 3600 always,
-- NO `monthly_cost_type IS NULL` filter) and monthly_vm_core_tag_based_rtu.sql ($monthly true: daily table,
-- keeps `monthly_cost_type IS NULL`); both filter on cost_model_rate_type; LEFT JOIN latest.
SELECT
    lids.cluster_id, lids.cluster_alias, lids.data_source, lids.usage_start, lids.usage_end, lids.namespace,
    max(latest.node_name) AS node,
    lids.pod_labels, lids.all_labels, lids.source_uuid,
    lids.cost_category_id,
    max(vm_usage.vm_interval_hours) AS _hours,
    max(vm_usage.vm_cpu_cores) AS _cores,
    trino_json_extract_scalar(lids.pod_labels, $path) AS _tag_value
FROM reporting_ocpusagelineitem_daily_summary AS lids
JOIN vm_usage_summary AS vm_usage
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = vm_usage.vm_name
    AND lids.usage_start = vm_usage.interval_day
LEFT JOIN latest_vm_node_info AS latest
    ON trino_json_extract_scalar(lids.pod_labels, '$.vm_kubevirt_io_name') = latest.name_of_vm
WHERE lids.usage_start >= CAST($start_date AS DATE)
    AND lids.usage_start <= CAST($end_date AS DATE)
    AND lids.report_period_id = $report_period_id
    AND lids.data_source = 'Pod'
    AND lids.pod_usage_cpu_core_hours IS NOT NULL
    AND lids.pod_request_cpu_core_hours IS NOT NULL
    AND (NOT $monthly OR lids.monthly_cost_type IS NULL)
    AND (
        lids.cost_model_rate_type IS NULL
        OR lids.cost_model_rate_type NOT IN ('Infrastructure', 'Supplementary')
    )
    AND CASE WHEN $has_default THEN trino_json_path_exists(lids.pod_labels, $path)
             ELSE trino_json_extract_scalar(lids.pod_labels, $path) IN (SELECT value FROM tag_values) END
GROUP BY lids.usage_start, lids.usage_end, lids.source_uuid, lids.cluster_id, lids.cluster_alias, lids.namespace,
    lids.data_source, lids.cost_category_id, lids.pod_labels, lids.all_labels
-- query: monthly_cost_gpu_rtu
-- monthly_cost_gpu_rtu.sql, first INSERT: one row per gpu daily row of a vendor LIKE '<tag_key>%' (no model
-- filter: unmatched models get the default or 0); the 11-key all_labels map is built in Python from the
-- returned columns; cost = (CAST(rate AS decimal(24,9)) / CAST(days AS decimal(24,9))) * (_uptime / 86400.0)
--   * CASE WHEN _slices IS NOT NULL AND _max_slices IS NOT NULL AND _max_slices > 0
--          THEN CAST(_slices AS decimal(24,9)) / CAST(_max_slices AS decimal(24,9)) ELSE 1.0 END
SELECT
    CAST(gpu.source AS UUID) AS source_uuid,
    CAST(gpu.interval_start AS DATE) AS usage_start,
    CAST(gpu.interval_start AS DATE) AS usage_end,
    gpu.node AS node,
    gpu.namespace AS namespace,
    CAST($cluster_id AS VARCHAR) AS cluster_id,
    CAST($cluster_alias AS VARCHAR) AS cluster_alias,
    'GPU' AS data_source,
    cat_ns.cost_category_id,
    gpu.gpu_model_name AS _model, gpu.gpu_vendor_name AS _vendor, gpu.gpu_memory_capacity_mib AS _mib,
    gpu.mig_profile AS _mig_profile, gpu.mig_slice_count AS _slices, gpu.gpu_max_slices AS _max_slices,
    gpu.mig_strategy AS _mig_strategy, gpu.mig_memory_capacity_mib AS _mig_mib, gpu.gpu_uuid AS _gpu_uuid,
    gpu.mig_instance_id AS _mig_instance_id,
    gpu.gpu_pod_uptime AS _uptime
FROM openshift_gpu_usage_line_items_daily AS gpu
LEFT JOIN reporting_ocp_cost_category_namespace AS cat_ns
    ON gpu.namespace LIKE cat_ns.namespace
WHERE CAST(gpu.interval_start AS DATE) >= CAST($start_date AS DATE)
  AND CAST(gpu.interval_start AS DATE) <= CAST($end_date AS DATE)
  AND gpu.source = $source
  AND gpu.year = $year
  AND gpu.month = $month
  AND gpu.gpu_vendor_name LIKE $vendor_like
-- query: monthly_cost_gpu_unallocated_rtu
-- monthly_cost_gpu_rtu.sql, second INSERT: cte_unutilized_uptime_hours over the HOURLY node-label table
-- (Koku's unqualified `openshift_node_labels_line_items` = hive.<schema>); the CASE on the strategy (CAST of the
-- gpu-count label to DECIMAL(33,15)) and `WHERE unutilized_uptime > 0` are evaluated in Python from
-- _hour_count, _strategy, _gpu_count, max_slices_per_gpu, _aggregated. Trino's regexp_replace replaces every
-- match: DuckDB's needs 'g'.
SELECT
    node_ut.node,
    regexp_replace(COALESCE(gpu.gpu_model_name,
                            trino_json_extract_scalar(node_ut.node_labels, '$.nvidia_com_gpu_product')),
                   '[^a-zA-Z0-9]+', ' ', 'g') AS model,
    CAST(node_ut.interval_start AS DATE) AS usage_start,
    gpu.max_slices_per_gpu AS max_slices_per_gpu,
    count(node_ut.interval_start) AS _hour_count,
    lower(trim(trino_json_extract_scalar(node_ut.node_labels, '$.nvidia_com_mig_strategy'))) AS _strategy,
    trim(trino_json_extract_scalar(node_ut.node_labels, '$.nvidia_com_gpu_count')) AS _gpu_count,
    gpu.aggregated_slice_uptime AS _aggregated
FROM openshift_node_labels_line_items AS node_ut
LEFT JOIN (
    SELECT
        sum(gpu.gpu_pod_uptime * COALESCE(gpu.mig_slice_count, 1)) / 3600 AS aggregated_slice_uptime,
        max(COALESCE(gpu.gpu_max_slices, 1)) AS max_slices_per_gpu,
        count(DISTINCT gpu.gpu_uuid) AS physical_gpu_count,
        gpu.node,
        gpu.gpu_model_name,
        CAST(gpu.interval_start AS DATE) AS interval_date
    FROM openshift_gpu_usage_line_items_daily AS gpu
    WHERE gpu.source = $source
        AND gpu.year = $year
        AND gpu.month = $month
        AND CAST(gpu.interval_start AS DATE) >= CAST($start_date AS DATE)
        AND CAST(gpu.interval_start AS DATE) <= CAST($end_date AS DATE)
        AND gpu.gpu_vendor_name LIKE $vendor_like
    GROUP BY gpu.node, gpu.gpu_model_name, CAST(gpu.interval_start AS DATE)
) AS gpu
    ON gpu.node = node_ut.node
    AND gpu.interval_date = CAST(node_ut.interval_start AS DATE)
WHERE CAST(node_ut.interval_start AS DATE) >= CAST($start_date AS DATE)
    AND CAST(node_ut.interval_start AS DATE) <= CAST($end_date AS DATE)
    AND node_ut.month = $month
    AND node_ut.year = $year
    AND node_ut.source = $source
    AND node_labels LIKE '%"nvidia_com_gpu_present": "True"%'
GROUP BY node_ut.node, gpu.gpu_model_name, trino_json_extract_scalar(node_ut.node_labels, '$.nvidia_com_gpu_product'),
         CAST(node_ut.interval_start AS DATE), gpu.max_slices_per_gpu,
         gpu.physical_gpu_count, gpu.aggregated_slice_uptime, node_ut.node_labels
-- query: distribute_unallocated_gpu_cost_rtu
-- distribute_cost/distribute_unallocated_gpu_cost_rtu.sql, first INSERT, over the rates_to_usage temp table
-- (calculated_cost / distributed_cost DECIMAL(33,15), as stored). rate_cost is an exact DECIMAL sum;
-- share = DOUBLE / DOUBLE * DECIMAL -> DOUBLE (the DECIMAL(38,15) is converted to the nearest DOUBLE, as Trino
-- does for a long decimal; via VARCHAR because DuckDB's DECIMAL -> DOUBLE cast divides by 10^15 in floating point).
-- `$["gpu-model"]` -> json_extract_string(all_labels, '$."gpu-model"').
WITH gpu_rtu_cost AS (
    SELECT
        rtu.usage_start,
        rtu.source_uuid,
        rtu.cluster_id,
        rtu.cluster_alias,
        rtu.report_period_id,
        rtu.node,
        trino_json_extract_scalar(rtu.all_labels, '$."gpu-model"') AS gpu_model,
        rtu.custom_name,
        rtu.metric_type,
        rtu.cost_model_rate_type,
        SUM(COALESCE(rtu.calculated_cost, CAST(0 AS DECIMAL(33, 15)))) AS rate_cost
    FROM rates_to_usage AS rtu
    WHERE rtu.usage_start >= CAST($start_date AS DATE)
        AND rtu.usage_start <= CAST($end_date AS DATE)
        AND rtu.source_uuid = CAST($source AS UUID)
        AND rtu.namespace = 'GPU unallocated'
        AND (rtu.monthly_cost_type IS NULL OR rtu.monthly_cost_type NOT IN (
            'worker_distributed', 'platform_distributed', 'gpu_distributed',
            'unattributed_storage', 'unattributed_network'
        ))
    GROUP BY rtu.usage_start, rtu.source_uuid, rtu.cluster_id, rtu.cluster_alias,
             rtu.report_period_id, rtu.node, trino_json_extract_scalar(rtu.all_labels, '$."gpu-model"'),
             rtu.custom_name, rtu.metric_type, rtu.cost_model_rate_type
),
namespace_usage_information AS (
    SELECT gpu_model_name,
        gpu_usage.namespace,
        gpu_usage.node,
        SUM(gpu_pod_uptime * COALESCE(gpu_usage.mig_slice_count, 1)) AS pod_usage_slice_hours,
        CAST(interval_start AS DATE) AS usage_start
    FROM openshift_gpu_usage_line_items_daily AS gpu_usage
    WHERE source = $source
      AND year = $year
      AND month = $month
      AND CAST(interval_start AS DATE) >= CAST($start_date AS DATE)
      AND CAST(interval_start AS DATE) <= CAST($end_date AS DATE)
    GROUP BY gpu_model_name, gpu_usage.node, namespace, CAST(interval_start AS DATE)
),
total_usage AS (
    SELECT node, gpu_model_name, usage_start,
           SUM(pod_usage_slice_hours) AS total_slice_hours
    FROM namespace_usage_information
    GROUP BY node, gpu_model_name, usage_start
)
SELECT
    MAX(gc.report_period_id) AS report_period_id,
    gc.source_uuid,
    nsp.usage_start,
    nsp.usage_start AS usage_end,
    MAX(gc.cluster_id) AS cluster_id,
    MAX(gc.cluster_alias) AS cluster_alias,
    nsp.namespace,
    nsp.node,
    COALESCE(gc.custom_name, '') AS custom_name,
    gc.metric_type,
    SUM(nsp.pod_usage_slice_hours / NULLIF(tu.total_slice_hours, 0) * CAST(CAST(gc.rate_cost AS VARCHAR) AS DOUBLE))
        AS distributed_cost
FROM gpu_rtu_cost AS gc
JOIN namespace_usage_information AS nsp
    ON nsp.node = gc.node
    AND nsp.gpu_model_name = gc.gpu_model
    AND nsp.usage_start = gc.usage_start
JOIN total_usage AS tu
    ON tu.node = nsp.node
    AND tu.gpu_model_name = nsp.gpu_model_name
    AND tu.usage_start = nsp.usage_start
GROUP BY nsp.usage_start, nsp.node, nsp.namespace,
         gc.source_uuid, gc.custom_name, gc.metric_type, gc.cost_model_rate_type
HAVING SUM(nsp.pod_usage_slice_hours / NULLIF(tu.total_slice_hours, 0) * CAST(CAST(gc.rate_cost AS VARCHAR) AS DOUBLE))
    != 0
-- query: distribute_unallocated_gpu_cost_rtu_negate
-- the second INSERT: reads the gpu_distributed rows just inserted; -SUM is an exact DECIMAL sum.
SELECT
    MAX(rtu.report_period_id) AS report_period_id,
    rtu.source_uuid,
    rtu.usage_start,
    rtu.usage_start AS usage_end,
    rtu.cluster_id,
    MAX(rtu.cluster_alias) AS cluster_alias,
    'GPU unallocated' AS namespace,
    rtu.node,
    -SUM(rtu.distributed_cost) AS distributed_cost
FROM rates_to_usage AS rtu
WHERE rtu.usage_start >= CAST($start_date AS DATE)
    AND rtu.usage_start <= CAST($end_date AS DATE)
    AND rtu.source_uuid = CAST($source AS UUID)
    AND rtu.monthly_cost_type = $cost_model_rate_type
    AND rtu.namespace != 'GPU unallocated'
GROUP BY rtu.source_uuid, rtu.usage_start, rtu.cluster_id, rtu.node
HAVING SUM(rtu.distributed_cost) != CAST(0 AS DECIMAL(33, 15))
