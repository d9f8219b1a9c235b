/*
 * Koku's cluster-information queries (koku/koku/reportdb_accessor_trino.py, TrinoReportDBAccessor:
 * get_nodes_query_sql, get_pvcs_query_sql, get_projects_query_sql, get_max_min_timestamp_sql), ported
 * to DuckDB. cluster.py runs one statement per query; statements are separated by lines `-- query: NAME`.
 * Parameters: $source, $year, $month (zero-padded), $start_date, $end_date (DATE).
 * Trino → DuckDB: contains(array, x) → list_contains; any_match(array, e -> p) → a non-empty
 * list_filter with a lambda (a NULL predicate result counts as not matching, as in Trino's CASE WHEN);
 * json_extract_scalar → trino_json_extract_scalar (the macro below).
 */
-- query: setup
-- Trino's json_extract_scalar(text, '$.key'): a string (unescaped), number or boolean value as text;
-- NULL for JSON null, objects, arrays, a missing key or text that is not a JSON object.
CREATE OR REPLACE TEMP MACRO trino_json_extract_scalar(t, path) AS
    CASE WHEN json_valid(t) AND json_type(t) = 'OBJECT' THEN
        CASE
            WHEN json_type(t, path) = 'VARCHAR' THEN json_extract_string(t, path)
            WHEN json_type(t, path) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')
                THEN CAST(json_extract(t, path) AS VARCHAR)
        END
    END
;
-- query: nodes
SELECT ocp.node,
    ocp.resource_id,
    max(ocp.node_capacity_cpu_cores) as node_capacity_cpu_cores,
    coalesce(max(ocp.node_role), CASE
        WHEN list_contains(array_agg(DISTINCT ocp.namespace), 'openshift-kube-apiserver') THEN 'master'
        WHEN len(list_filter(array_agg(DISTINCT nl.node_labels),
                             lambda element: element like '%"node_role_kubernetes_io": "infra"%')) > 0 THEN 'infra'
        ELSE 'worker'
    END) as node_role,
    lower(trino_json_extract_scalar(max(node_labels), '$.kubernetes_io_arch')) as arch
FROM openshift_pod_usage_line_items_daily as ocp
LEFT JOIN openshift_node_labels_line_items_daily as nl
    ON ocp.node = nl.node
WHERE ocp.source = $source
    AND ocp.year = $year
    AND ocp.month = $month
    AND ocp.interval_start >= CAST($start_date AS DATE)
    AND ocp.interval_start < trino_date_add_day($end_date)
    AND nl.source = $source
    AND nl.year = $year
    AND nl.month = $month
    AND nl.interval_start >= CAST($start_date AS DATE)
    AND nl.interval_start < trino_date_add_day($end_date)
GROUP BY ocp.node,
    ocp.resource_id
;
-- query: pvcs
SELECT distinct persistentvolume,
    persistentvolumeclaim,
    csi_volume_handle
FROM openshift_storage_usage_line_items_daily as ocp
WHERE ocp.source = $source
    AND ocp.year = $year
    AND ocp.month = $month
    AND ocp.interval_start >= CAST($start_date AS DATE)
    AND ocp.interval_start < trino_date_add_day($end_date)
;
-- query: projects
SELECT distinct namespace
FROM openshift_pod_usage_line_items_daily as ocp
WHERE ocp.source = $source
    AND ocp.year = $year
    AND ocp.month = $month
    AND ocp.interval_start >= CAST($start_date AS DATE)
    AND ocp.interval_start < trino_date_add_day($end_date)
;
-- query: timestamps
SELECT min(interval_start) as min_timestamp,
    max(interval_start) as max_timestamp
FROM openshift_pod_usage_line_items_daily as ocp
WHERE ocp.source = $source
    AND ocp.year = $year
    AND ocp.month = $month
    AND ocp.interval_start >= CAST($start_date AS DATE)
    AND ocp.interval_start < trino_date_add_day($end_date)
;
