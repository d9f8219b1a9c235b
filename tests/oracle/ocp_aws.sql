-- DuckDB port of Koku's OpenShift-on-AWS Trino flow (project-koku/koku; commits in ocp_aws.py's docstring).
-- One statement per `-- query: NAME`; $params are bound by ocp_aws.py (DuckDB named parameters).
-- Hive tables are DuckDB temp tables created by ocp_aws.py (same columns as 0_prepare_daily_summary_tables.sql).
-- Trino -> DuckDB translations used here (the full list is in ocp_aws.py's docstring):
--   substr(s, -length(r)) = r (r != '')          -> ends_with(s, r)
--   strpos(a, b) != 0                             -> strpos(a, b) > 0 (both 1-based, 0 = absent, NULL on NULL)
--   any_match(arr, x -> p)                        -> list_bool_or(list_transform(arr, lambda x: p)) (only used
--                                                    where NULL and false are both "no match")
--   array_join(filter(arr, p), ',')               -> array_to_string(list_filter(arr, p), ',')
--   split(s, ',')                                 -> string_split(s, ',');  replace(x, ' ') -> replace(x, ' ', '')
--   json_format(cast(map_filter(json->map)...))   -> Python UDFs trino_* (compact JSON, keys sorted)
--   json_query(t, 'strict $.k' OMIT QUOTES)       -> trino_json_query_str(t, 'k') (string member or NULL)
--   x * cast(markup as decimal(p,9))              -> x * $markup9 (the markup rounded half-up to 9 places, as DOUBLE)
--   day(last_day_of_month(d)) * 24                -> $hours_in_month

-- query: step1_delete
DELETE FROM managed_aws_openshift_daily_temp
WHERE source = $aws_source AND ocp_source = $ocp_source AND year = $year AND month = $month;

-- query: step1_insert
-- 1_resource_matching_by_cluster.sql (the whole INSERT ... SELECT)
INSERT INTO managed_aws_openshift_daily_temp BY NAME
WITH cte_aws_resource_names AS (
    SELECT DISTINCT lineitem_resourceid
    FROM aws_line_items_daily
    WHERE source = $aws_source AND year = $year AND month = $month
        AND lineitem_usagestartdate >= $start_ts AND lineitem_usagestartdate < $end_excl_ts
),
cte_array_agg_nodes AS (
    SELECT DISTINCT resource_id
    FROM openshift_pod_usage_line_items_daily
    WHERE source = $ocp_source AND resource_id != '' AND year = $year AND month = $month
        AND interval_start >= $start_ts AND interval_start < $end_excl_ts
),
cte_array_agg_volumes AS (
    SELECT DISTINCT persistentvolume, csi_volume_handle
    FROM openshift_storage_usage_line_items_daily
    WHERE source = $ocp_source AND persistentvolume != '' AND year = $year AND month = $month
        AND interval_start >= $start_ts AND interval_start < $end_excl_ts
),
cte_matchable_resource_names AS (
    SELECT resource_names.lineitem_resourceid
    FROM cte_aws_resource_names AS resource_names
    JOIN cte_array_agg_nodes AS nodes
        ON ends_with(resource_names.lineitem_resourceid, nodes.resource_id)
    UNION
    SELECT resource_names.lineitem_resourceid
    FROM cte_aws_resource_names AS resource_names
    JOIN cte_array_agg_volumes AS volumes
        ON (ends_with(resource_names.lineitem_resourceid, volumes.persistentvolume)
            OR (volumes.csi_volume_handle != ''
                AND ends_with(resource_names.lineitem_resourceid, volumes.csi_volume_handle)))
),
cte_agg_tags AS (
    SELECT CAST($matched_tags AS VARCHAR[]) AS matched_tags
)
SELECT
    aws.row_uuid,
    nullif(aws.lineitem_resourceid, '') AS resource_id,
    CASE WHEN aws.bill_billingentity = 'AWS Marketplace'
         THEN coalesce(nullif(aws.product_productname, ''), nullif(aws.lineitem_productcode, ''))
         ELSE nullif(aws.lineitem_productcode, '') END AS product_code,
    aws.lineitem_usagestartdate AS usage_start,
    aws.lineitem_usageaccountid AS usage_account_id,
    nullif(aws.lineitem_availabilityzone, '') AS availability_zone,
    nullif(aws.product_productfamily, '') AS product_family,
    nullif(aws.product_instancetype, '') AS instance_type,
    nullif(aws.product_region, '') AS region,
    nullif(aws.pricing_unit, '') AS unit,
    trino_filter_json(aws.resourcetags, CAST($aws_enabled_keys AS VARCHAR[])) AS tags,
    aws.costcategory AS aws_cost_category,
    CASE WHEN aws.lineitem_productcode = 'AmazonEC2' AND aws.product_productfamily = 'Data Transfer' THEN
        CASE
            WHEN strpos(lower(aws.lineitem_usagetype), 'in-bytes') > 0 THEN 'IN'
            WHEN strpos(lower(aws.lineitem_usagetype), 'out-bytes') > 0 THEN 'OUT'
            WHEN strpos(lower(aws.lineitem_usagetype), 'regional-bytes') > 0
                 AND strpos(lower(aws.lineitem_operation), '-in') > 0 THEN 'IN'
            WHEN strpos(lower(aws.lineitem_usagetype), 'regional-bytes') > 0
                 AND strpos(lower(aws.lineitem_operation), '-out') > 0 THEN 'OUT'
            ELSE NULL
        END
    END AS data_transfer_direction,
    aws.lineitem_usageamount AS usage_amount,
    nullif(aws.lineitem_currencycode, '') AS currency_code,
    CASE WHEN aws.lineitem_lineitemtype = 'SavingsPlanCoveredUsage' THEN 0.0
         ELSE aws.lineitem_unblendedcost END AS unblended_cost,
    CASE WHEN aws.lineitem_lineitemtype = 'SavingsPlanCoveredUsage' THEN 0.0
         ELSE aws.lineitem_blendedcost END AS blended_cost,
    aws.savingsplan_savingsplaneffectivecost AS savingsplan_effective_cost,
    CASE WHEN aws.lineitem_lineitemtype = 'Tax' OR aws.lineitem_lineitemtype = 'Usage'
         THEN aws.lineitem_unblendedcost
         ELSE aws.savingsplan_savingsplaneffectivecost END AS calculated_amortized_cost,
    resource_names.lineitem_resourceid IS NOT NULL AS resource_id_matched,
    array_to_string(list_filter(tag_matches.matched_tags, lambda x: strpos(aws.resourcetags, x) > 0), ',')
        AS matched_tag,
    aws.source AS source,
    $ocp_source AS ocp_source,
    aws.year,
    aws.month,
    CAST(day(aws.lineitem_usagestartdate) AS VARCHAR) AS day
FROM aws_line_items_daily AS aws
LEFT JOIN cte_matchable_resource_names AS resource_names
    ON resource_names.lineitem_resourceid = aws.lineitem_resourceid
LEFT JOIN cte_agg_tags AS tag_matches
    ON list_bool_or(list_transform(tag_matches.matched_tags, lambda x: strpos(aws.resourcetags, x) > 0))
    AND resource_names.lineitem_resourceid IS NULL
WHERE aws.source = $aws_source AND aws.year = $year AND aws.month = $month
    AND aws.lineitem_usagestartdate >= $start_ts AND aws.lineitem_usagestartdate < $end_excl_ts
    AND (resource_names.lineitem_resourceid IS NOT NULL OR tag_matches.matched_tags IS NOT NULL);

-- query: step2_delete_disk
DELETE FROM managed_aws_openshift_disk_capacities_temp
WHERE ocp_source = $ocp_source AND year = $year AND month = $month;

-- query: step2_disk_capacities
INSERT INTO managed_aws_openshift_disk_capacities_temp BY NAME
WITH cte_ocp_filtered_resources AS (
    SELECT DISTINCT aws.resource_id AS resource_id, $ocp_source AS ocp_source,
        CAST(aws.usage_start AS DATE) AS usage_start, aws.year AS year, aws.month AS month
    FROM managed_aws_openshift_daily_temp AS aws
    JOIN ocp_summary AS ocp
        ON aws.usage_start = ocp.usage_start
        AND strpos(aws.resource_id, ocp.csi_volume_handle) > 0
        AND ocp.csi_volume_handle IS NOT NULL AND ocp.csi_volume_handle != ''
    WHERE ocp.source_uuid = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
        AND aws.ocp_source = $ocp_source AND aws.source = $aws_source AND aws.year = $year AND aws.month = $month
),
calculated_capacity AS (
    SELECT aws.lineitem_resourceid AS resource_id,
        round(max(aws.lineitem_unblendedcost) / (max(aws.lineitem_unblendedrate) / $hours_in_month)) AS capacity,
        ocpaws.usage_start, $ocp_source AS ocp_source, $year AS year, $month AS month
    FROM aws_line_items AS aws
    JOIN cte_ocp_filtered_resources AS ocpaws
        ON aws.lineitem_resourceid = ocpaws.resource_id
        AND CAST(aws.lineitem_usagestartdate AS DATE) = ocpaws.usage_start
    WHERE aws.year = $year AND aws.month = $month AND aws.source = $aws_source
    GROUP BY aws.lineitem_resourceid, ocpaws.usage_start
)
SELECT resource_id, CAST(capacity AS INTEGER) AS capacity, CAST(usage_start AS TIMESTAMP) AS usage_start,
    ocp_source, year, month
FROM calculated_capacity WHERE capacity > 0;

-- query: step2_delete_temp
DELETE FROM managed_reporting_ocpawscostlineitem_project_daily_summary_temp
WHERE ocp_source = $ocp_source AND source = $aws_source AND year = $year AND month = $month;

-- query: step2_storage
-- "Storage disk resource id matching": PVC capacity / disk capacity * cost
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary_temp BY NAME
SELECT CAST(uuid() AS VARCHAR) AS row_uuid,
    max(ocp.cluster_id) AS cluster_id,
    max(ocp.cluster_alias) AS cluster_alias,
    'Storage' AS data_source,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN 'Storage unattributed' ELSE max(ocp.namespace) END AS namespace,
    max(ocp.node) AS node,
    max(ocp.persistentvolumeclaim) AS persistentvolumeclaim,
    max(ocp.persistentvolume) AS persistentvolume,
    max(ocp.storageclass) AS storageclass,
    max(aws.resource_id) AS resource_id,
    max(aws.usage_start) AS usage_start,
    max(aws.usage_start) AS usage_end,
    max(aws.product_code) AS product_code,
    max(aws.product_family) AS product_family,
    max(aws.instance_type) AS instance_type,
    max(aws.usage_account_id) AS usage_account_id,
    max(aws.availability_zone) AS availability_zone,
    max(aws.region) AS region,
    max(aws.unit) AS unit,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN CAST(NULL AS DOUBLE) ELSE max(aws.usage_amount) END AS usage_amount,
    max(aws.currency_code) AS currency_code,
    max(ocp.persistentvolumeclaim_capacity_gigabyte) / max(aws_disk.capacity) * max(aws.unblended_cost) AS unblended_cost,
    max(ocp.persistentvolumeclaim_capacity_gigabyte) / max(aws_disk.capacity) * max(aws.blended_cost) AS blended_cost,
    max(ocp.persistentvolumeclaim_capacity_gigabyte) / max(aws_disk.capacity) * max(aws.savingsplan_effective_cost)
        AS savingsplan_effective_cost,
    max(ocp.persistentvolumeclaim_capacity_gigabyte) / max(aws_disk.capacity) * max(aws.calculated_amortized_cost)
        AS calculated_amortized_cost,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN CAST(NULL AS VARCHAR) ELSE ocp.pod_labels END AS pod_labels,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN CAST(NULL AS VARCHAR) ELSE ocp.volume_labels END AS volume_labels,
    max(aws.tags) AS tags,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN NULL ELSE max(aws.aws_cost_category) END AS aws_cost_category,
    CASE WHEN max(ocp.persistentvolumeclaim) = '' THEN NULL ELSE max(ocp.cost_category_id) END AS cost_category_id,
    bool_or(aws.resource_id_matched) AS resource_id_matched,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    max(aws.year) AS year,
    max(aws.month) AS month
FROM ocp_summary AS ocp
JOIN managed_aws_openshift_daily_temp AS aws
    ON aws.usage_start = ocp.usage_start
    AND strpos(aws.resource_id, ocp.csi_volume_handle) > 0
    AND ocp.csi_volume_handle IS NOT NULL AND ocp.csi_volume_handle != ''
JOIN managed_aws_openshift_disk_capacities_temp AS aws_disk
    ON aws_disk.usage_start = aws.usage_start AND aws_disk.resource_id = aws.resource_id
WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
    AND list_contains($days, ocp.day)
    AND ocp.persistentvolume IS NOT NULL
    AND aws.source = $aws_source AND aws.ocp_source = $ocp_source AND aws.year = $year AND aws.month = $month
    AND aws.data_transfer_direction IS NULL
    AND ocp.namespace != 'Storage unattributed'
    AND aws.resource_id_matched = true
    AND aws_disk.year = $year AND aws_disk.month = $month AND aws_disk.ocp_source = $ocp_source
GROUP BY aws.row_uuid, ocp.namespace, ocp.pod_labels, ocp.volume_labels;

-- query: step2_unattributed_storage
-- "Unattributed Storage Cost": (disk capacity - sum(PV capacity)) / disk capacity * cost / cluster count
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary_temp BY NAME
WITH cte_total_pv_capacity AS (
    SELECT aws_resource_id, sum(combined_requests.capacity) AS total_pv_capacity,
        count(DISTINCT cluster_id) AS cluster_count
    FROM (
        SELECT ocp.persistentvolume, max(ocp.persistentvolumeclaim_capacity_gigabyte) AS capacity,
            aws.resource_id AS aws_resource_id, ocp.cluster_id
        FROM ocp_summary AS ocp
        JOIN managed_aws_openshift_daily_temp AS aws
            ON (aws.usage_start = ocp.usage_start)
            AND strpos(aws.resource_id, ocp.csi_volume_handle) > 0
            AND ocp.csi_volume_handle IS NOT NULL AND ocp.csi_volume_handle != ''
        WHERE ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
            AND ocp.usage_start >= $start_ts AND ocp.usage_start < $end_excl_ts
            AND aws.ocp_source = $ocp_source AND aws.year = $year AND aws.month = $month
            AND aws.resource_id_matched = true
        GROUP BY ocp.persistentvolume, aws.resource_id, ocp.cluster_id
    ) AS combined_requests
    GROUP BY aws_resource_id
)
SELECT CAST(uuid() AS VARCHAR) AS row_uuid,
    max(ocp.cluster_id) AS cluster_id,
    max(ocp.cluster_alias) AS cluster_alias,
    'Storage' AS data_source,
    'Storage unattributed' AS namespace,
    max(ocp.persistentvolumeclaim) AS persistentvolumeclaim,
    max(ocp.persistentvolume) AS persistentvolume,
    max(ocp.storageclass) AS storageclass,
    max(aws.resource_id) AS resource_id,
    max(aws.usage_start) AS usage_start,
    max(aws.usage_start) AS usage_end,
    max(aws.product_code) AS product_code,
    max(aws.product_family) AS product_family,
    max(aws.instance_type) AS instance_type,
    max(aws.usage_account_id) AS usage_account_id,
    max(aws.availability_zone) AS availability_zone,
    max(aws.region) AS region,
    max(aws.unit) AS unit,
    CAST(NULL AS DOUBLE) AS usage_amount,
    max(aws.currency_code) AS currency_code,
    (max(aws_disk.capacity) - max(pv_cap.total_pv_capacity)) / max(aws_disk.capacity) * max(aws.unblended_cost)
        / max(pv_cap.cluster_count) AS unblended_cost,
    (max(aws_disk.capacity) - max(pv_cap.total_pv_capacity)) / max(aws_disk.capacity) * max(aws.blended_cost)
        / max(pv_cap.cluster_count) AS blended_cost,
    (max(aws_disk.capacity) - max(pv_cap.total_pv_capacity)) / max(aws_disk.capacity)
        * max(aws.savingsplan_effective_cost) / max(pv_cap.cluster_count) AS savingsplan_effective_cost,
    (max(aws_disk.capacity) - max(pv_cap.total_pv_capacity)) / max(aws_disk.capacity)
        * max(aws.calculated_amortized_cost) / max(pv_cap.cluster_count) AS calculated_amortized_cost,
    bool_or(aws.resource_id_matched) AS resource_id_matched,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    max(aws.year) AS year,
    max(aws.month) AS month
FROM ocp_summary AS ocp
JOIN managed_aws_openshift_daily_temp AS aws
    ON aws.usage_start = ocp.usage_start
    AND strpos(aws.resource_id, ocp.csi_volume_handle) > 0
    AND ocp.csi_volume_handle IS NOT NULL AND ocp.csi_volume_handle != ''
    AND ocp.source = aws.ocp_source
JOIN managed_aws_openshift_disk_capacities_temp AS aws_disk
    ON aws_disk.usage_start = aws.usage_start AND aws_disk.resource_id = aws.resource_id
LEFT JOIN cte_total_pv_capacity AS pv_cap
    ON pv_cap.aws_resource_id = aws.resource_id
WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
    AND list_contains($days, ocp.day)
    AND ocp.persistentvolume IS NOT NULL
    AND aws.source = $aws_source AND aws.year = $year AND aws.month = $month
    AND aws.data_transfer_direction IS NULL
    AND aws.resource_id_matched = true
    AND ocp.namespace != 'Storage unattributed'
    AND aws_disk.capacity != pv_cap.total_pv_capacity
    AND aws_disk.year = $year AND aws_disk.month = $month AND aws_disk.ocp_source = $ocp_source
GROUP BY aws.row_uuid, aws.resource_id;

-- query: step2_resource
-- "Direct resource_id matching" (no data_source filter: Storage rows carrying the node's resource_id join too)
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary_temp BY NAME
SELECT aws.row_uuid,
    max(ocp.cluster_id) AS cluster_id,
    max(ocp.cluster_alias) AS cluster_alias,
    'Pod' AS data_source,
    ocp.namespace,
    max(ocp.node) AS node,
    max(aws.resource_id) AS resource_id,
    max(aws.usage_start) AS usage_start,
    max(aws.usage_start) AS usage_end,
    max(aws.product_code) AS product_code,
    max(aws.product_family) AS product_family,
    max(aws.instance_type) AS instance_type,
    max(aws.usage_account_id) AS usage_account_id,
    max(aws.availability_zone) AS availability_zone,
    max(aws.region) AS region,
    max(aws.unit) AS unit,
    max(aws.usage_amount) AS usage_amount,
    max(aws.currency_code) AS currency_code,
    max(aws.unblended_cost) AS unblended_cost,
    max(aws.blended_cost) AS blended_cost,
    max(aws.savingsplan_effective_cost) AS savingsplan_effective_cost,
    max(aws.calculated_amortized_cost) AS calculated_amortized_cost,
    sum(ocp.pod_effective_usage_cpu_core_hours) AS pod_effective_usage_cpu_core_hours,
    sum(ocp.pod_effective_usage_memory_gigabyte_hours) AS pod_effective_usage_memory_gigabyte_hours,
    max(ocp.node_capacity_cpu_core_hours) AS node_capacity_cpu_core_hours,
    max(ocp.node_capacity_memory_gigabyte_hours) AS node_capacity_memory_gigabyte_hours,
    ocp.pod_labels,
    max(aws.tags) AS tags,
    max(aws.aws_cost_category) AS aws_cost_category,
    max(ocp.cost_category_id) AS cost_category_id,
    bool_or(aws.resource_id_matched) AS resource_id_matched,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    max(aws.year) AS year,
    max(aws.month) AS month
FROM ocp_summary AS ocp
JOIN managed_aws_openshift_daily_temp AS aws
    ON aws.usage_start = ocp.usage_start AND strpos(aws.resource_id, ocp.resource_id) > 0
LEFT JOIN managed_aws_openshift_disk_capacities_temp AS aws_disk
    ON aws_disk.usage_start = aws.usage_start AND aws_disk.resource_id = aws.resource_id
    AND aws_disk.year = aws.year AND aws_disk.month = aws.month AND aws_disk.ocp_source = aws.ocp_source
WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
    AND list_contains($days, ocp.day)
    AND (ocp.resource_id IS NOT NULL AND ocp.resource_id != '')
    AND aws.ocp_source = $ocp_source AND aws.source = $aws_source AND aws.year = $year AND aws.month = $month
    AND aws.resource_id_matched = true
    AND aws.data_transfer_direction IS NULL
    AND aws_disk.resource_id IS NULL
GROUP BY aws.row_uuid, ocp.namespace, ocp.pod_labels;

-- query: step2_tag
-- "Tag matching": one group per (line, namespace, data_source) of the matched OpenShift rows
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary_temp BY NAME
SELECT aws.row_uuid,
    max(ocp.cluster_id) AS cluster_id,
    max(ocp.cluster_alias) AS cluster_alias,
    ocp.data_source,
    ocp.namespace,
    max(ocp.node) AS node,
    max(nullif(ocp.persistentvolumeclaim, '')) AS persistentvolumeclaim,
    max(nullif(ocp.persistentvolume, '')) AS persistentvolume,
    max(nullif(ocp.storageclass, '')) AS storageclass,
    max(aws.resource_id) AS resource_id,
    max(aws.usage_start) AS usage_start,
    max(aws.usage_start) AS usage_end,
    max(aws.product_code) AS product_code,
    max(aws.product_family) AS product_family,
    max(aws.instance_type) AS instance_type,
    max(aws.usage_account_id) AS usage_account_id,
    max(aws.availability_zone) AS availability_zone,
    max(aws.region) AS region,
    max(aws.unit) AS unit,
    max(aws.usage_amount) AS usage_amount,
    max(aws.currency_code) AS currency_code,
    max(aws.unblended_cost) AS unblended_cost,
    max(aws.blended_cost) AS blended_cost,
    max(aws.savingsplan_effective_cost) AS savingsplan_effective_cost,
    max(aws.calculated_amortized_cost) AS calculated_amortized_cost,
    max(ocp.pod_labels) AS pod_labels,
    max(ocp.volume_labels) AS volume_labels,
    max(aws.tags) AS tags,
    max(aws.aws_cost_category) AS aws_cost_category,
    max(ocp.cost_category_id) AS cost_category_id,
    false AS resource_id_matched,
    max(aws.matched_tag) AS matched_tag,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    max(aws.year) AS year,
    max(aws.month) AS month
FROM ocp_summary AS ocp
JOIN managed_aws_openshift_daily_temp AS aws
    ON aws.usage_start = ocp.usage_start
    AND (
        trino_json_query_str(aws.tags, 'openshift_project') = ocp.namespace
        OR trino_json_query_str(aws.tags, 'openshift_node') = ocp.node
        OR trino_json_query_str(aws.tags, 'openshift_cluster') = ocp.cluster_alias
        OR trino_json_query_str(aws.tags, 'openshift_cluster') = ocp.cluster_id
        OR (aws.matched_tag != '' AND list_bool_or(list_transform(string_split(aws.matched_tag, ','),
                lambda x: strpos(ocp.pod_labels, replace(x, ' ', '')) > 0)))
        OR (aws.matched_tag != '' AND list_bool_or(list_transform(string_split(aws.matched_tag, ','),
                lambda x: strpos(ocp.volume_labels, replace(x, ' ', '')) > 0)))
    )
    AND ocp.namespace != 'Worker unallocated'
    AND ocp.namespace != 'Platform unallocated'
    AND ocp.namespace != 'Storage unattributed'
    AND ocp.namespace != 'Network unattributed'
WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
    AND list_contains($days, ocp.day)
    AND aws.ocp_source = $ocp_source AND aws.source = $aws_source AND aws.year = $year AND aws.month = $month
    AND aws.resource_id_matched = false
    AND aws.matched_tag IS NOT NULL AND aws.matched_tag != ''
GROUP BY aws.row_uuid, ocp.namespace, ocp.data_source;

-- query: step2_final
-- INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary (split by usage / by group count)
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary BY NAME
WITH cte_rankings AS (
    SELECT pds.row_uuid, count(*) AS aws_uuid_count
    FROM managed_reporting_ocpawscostlineitem_project_daily_summary_temp AS pds
    WHERE pds.ocp_source = $ocp_source AND year = $year AND month = $month
    GROUP BY row_uuid
),
pds AS (
    SELECT *,
        CASE WHEN $distribution = 'cpu' THEN pod_effective_usage_cpu_core_hours
             ELSE pod_effective_usage_memory_gigabyte_hours END AS pod_column,
        CASE WHEN $distribution = 'cpu' THEN node_capacity_cpu_core_hours
             ELSE node_capacity_memory_gigabyte_hours END AS node_column
    FROM managed_reporting_ocpawscostlineitem_project_daily_summary_temp
)
SELECT pds.row_uuid, cluster_id, cluster_alias, data_source, namespace, node, persistentvolumeclaim,
    persistentvolume, storageclass, resource_id, usage_start, usage_end, product_code, product_family,
    instance_type, usage_account_id, aa.id AS account_alias_id, availability_zone, region, unit,
    usage_amount / aws_uuid_count AS usage_amount,
    CAST(NULL AS VARCHAR) AS data_transfer_direction,
    currency_code,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * unblended_cost
        ELSE unblended_cost / aws_uuid_count END AS unblended_cost,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * unblended_cost * $markup9
        ELSE unblended_cost / aws_uuid_count * $markup9 END AS markup_cost,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * blended_cost
        ELSE blended_cost / aws_uuid_count END AS blended_cost,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * blended_cost * $markup9
        ELSE blended_cost / aws_uuid_count * $markup9 END AS markup_cost_blended,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * savingsplan_effective_cost
        ELSE savingsplan_effective_cost / aws_uuid_count END AS savingsplan_effective_cost,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * savingsplan_effective_cost * $markup9
        ELSE savingsplan_effective_cost / aws_uuid_count * $markup9 END AS markup_cost_savingsplan,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * calculated_amortized_cost
        ELSE calculated_amortized_cost / aws_uuid_count END AS calculated_amortized_cost,
    CASE WHEN resource_id_matched = true AND data_source = 'Pod'
        THEN (pod_column / nullif(node_column, 0)) * calculated_amortized_cost * $markup9
        ELSE calculated_amortized_cost / aws_uuid_count * $markup9 END AS markup_cost_amortized,
    CASE WHEN pds.pod_labels IS NOT NULL
        THEN trino_map_concat_json(pds.pod_labels, pds.tags)
        ELSE trino_map_concat_json(pds.volume_labels, pds.tags) END AS tags,
    aws_cost_category,
    cost_category_id,
    pds.resource_id_matched,
    pds.matched_tag,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    CAST(year(usage_start) AS VARCHAR) AS year,
    CAST(month(usage_start) AS VARCHAR) AS month,
    CAST(day(usage_start) AS VARCHAR) AS day
FROM pds
JOIN cte_rankings AS r ON pds.row_uuid = r.row_uuid
LEFT JOIN reporting_awsaccountalias AS aa ON pds.usage_account_id = aa.account_id
WHERE pds.ocp_source = $ocp_source AND year = $year AND month = $month;

-- query: step2_network
-- Node network costs -> 'Network unattributed', one row per (line, node, direction)
INSERT INTO managed_reporting_ocpawscostlineitem_project_daily_summary BY NAME
SELECT aws.row_uuid AS row_uuid,
    max(ocp.cluster_id) AS cluster_id,
    max(ocp.cluster_alias) AS cluster_alias,
    max(ocp.data_source) AS data_source,
    'Network unattributed' AS namespace,
    ocp.node AS node,
    max(ocp.persistentvolumeclaim) AS persistentvolumeclaim,
    max(ocp.persistentvolume) AS persistentvolume,
    max(ocp.storageclass) AS storageclass,
    max(aws.resource_id) AS resource_id,
    max(aws.usage_start) AS usage_start,
    max(ocp.usage_end) AS usage_end,
    max(aws.product_code) AS product_code,
    max(aws.product_family) AS product_family,
    max(aws.instance_type) AS instance_type,
    max(aws.usage_account_id) AS usage_account_id,
    max(aa.id) AS account_alias_id,
    max(aws.availability_zone) AS availability_zone,
    max(aws.region) AS region,
    max(aws.unit) AS unit,
    max(aws.usage_amount) AS usage_amount,
    aws.data_transfer_direction,
    max(aws.currency_code) AS currency_code,
    max(aws.unblended_cost) AS unblended_cost,
    max(aws.unblended_cost) * $markup9 AS markup_cost,
    max(aws.blended_cost) AS blended_cost,
    max(aws.blended_cost) * $markup9 AS markup_cost_blended,
    max(aws.savingsplan_effective_cost) AS savingsplan_effective_cost,
    max(aws.savingsplan_effective_cost) * $markup9 AS markup_cost_savingsplan,
    max(aws.calculated_amortized_cost) AS calculated_amortized_cost,
    max(aws.calculated_amortized_cost) * $markup9 AS markup_cost_amortized,
    max(aws.tags) AS tags,
    $aws_source AS source,
    $ocp_source AS ocp_source,
    max(CAST(year(aws.usage_start) AS VARCHAR)) AS year,
    max(CAST(month(aws.usage_start) AS VARCHAR)) AS month,
    max(CAST(day(aws.usage_start) AS VARCHAR)) AS day
FROM ocp_summary AS ocp
JOIN managed_aws_openshift_daily_temp AS aws
    ON aws.usage_start = ocp.usage_start AND strpos(aws.resource_id, ocp.resource_id) > 0
LEFT JOIN reporting_awsaccountalias AS aa ON aws.usage_account_id = aa.account_id
WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
    AND list_contains($days, ocp.day)
    AND (ocp.resource_id IS NOT NULL AND ocp.resource_id != '')
    AND aws.ocp_source = $ocp_source
    AND aws.resource_id_matched = true
    AND aws.year = $year AND aws.month = $month
    AND aws.data_transfer_direction IS NOT NULL AND aws.data_transfer_direction != ''
    AND ocp.data_source = 'Pod'
GROUP BY aws.row_uuid, ocp.node, aws.data_transfer_direction;

-- query: delete_days
-- delete_ocp_on_aws_hive_partition_by_day (before step 1, every day of the chunk)
DELETE FROM managed_reporting_ocpawscostlineitem_project_daily_summary
WHERE source = $aws_source AND ocp_source = $ocp_source AND year = $year
    AND (month = CAST(CAST($month AS INTEGER) AS VARCHAR) OR month = $month) AND list_contains($days, day);

-- query: step3
-- 3_reporting_ocpawscostlineitem_project_daily_summary_p.sql
INSERT INTO project_daily_summary BY NAME
WITH filtered_data AS (
    SELECT cluster_id,
        trino_filter_json(tags, CAST($pg_enabled_keys AS VARCHAR[])) AS enabled_tags,
        cluster_alias, data_source, namespace, node, persistentvolumeclaim, persistentvolume, storageclass,
        resource_id, CAST(usage_start AS DATE) AS usage_start, product_code, product_family, instance_type,
        usage_account_id, account_alias_id, availability_zone, region, unit, usage_amount,
        CASE WHEN upper(data_transfer_direction) = 'IN' THEN usage_amount ELSE 0 END
            AS infrastructure_data_in_gigabytes,
        CASE WHEN upper(data_transfer_direction) = 'OUT' THEN usage_amount ELSE 0 END
            AS infrastructure_data_out_gigabytes,
        data_transfer_direction, currency_code, unblended_cost, markup_cost, blended_cost, markup_cost_blended,
        savingsplan_effective_cost, markup_cost_savingsplan, calculated_amortized_cost, markup_cost_amortized,
        trino_canon_json(aws_cost_category) AS aws_cost_category,
        cost_category_id
    FROM managed_reporting_ocpawscostlineitem_project_daily_summary
    WHERE source = $aws_source AND ocp_source = $ocp_source AND year = $year
        AND lpad(month, 2, '0') = $month AND list_contains($days, day)
)
SELECT
    max($report_period_id) AS report_period_id,
    cluster_id,
    max(cluster_alias) AS cluster_alias,
    data_source, namespace, node, persistentvolumeclaim, persistentvolume, storageclass, resource_id,
    fd.usage_start AS usage_start,
    fd.usage_start AS usage_end,
    product_code, product_family, instance_type,
    max($bill_id) AS cost_entry_bill_id,
    usage_account_id,
    max(account_alias_id) AS account_alias_id,
    availability_zone, region, unit,
    sum(usage_amount) AS usage_amount,
    sum(fd.infrastructure_data_in_gigabytes) AS infrastructure_data_in_gigabytes,
    sum(fd.infrastructure_data_out_gigabytes) AS infrastructure_data_out_gigabytes,
    data_transfer_direction,
    max(currency_code) AS currency_code,
    sum(unblended_cost) AS unblended_cost,
    sum(markup_cost) AS markup_cost,
    sum(blended_cost) AS blended_cost,
    sum(markup_cost_blended) AS markup_cost_blended,
    sum(savingsplan_effective_cost) AS savingsplan_effective_cost,
    sum(markup_cost_savingsplan) AS markup_cost_savingsplan,
    sum(calculated_amortized_cost) AS calculated_amortized_cost,
    sum(markup_cost_amortized) AS markup_cost_amortized,
    fd.enabled_tags AS pod_labels,
    fd.enabled_tags AS tags,
    fd.aws_cost_category AS aws_cost_category,
    cost_category_id,
    CAST($aws_source AS UUID) AS source_uuid
FROM filtered_data AS fd
GROUP BY fd.usage_start, cluster_id, data_source, namespace, node, persistentvolumeclaim, persistentvolume,
    storageclass, resource_id, product_code, product_family, instance_type, usage_account_id, availability_zone,
    region, unit, data_transfer_direction, currency_code, fd.enabled_tags, fd.aws_cost_category, cost_category_id;

-- query: back_populate
-- sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql (PostgreSQL), over this run's rows
SELECT ocp_aws.report_period_id,
    ocp_aws.usage_start,
    ocp_aws.usage_start AS usage_end,
    ocp_aws.cluster_id,
    ocp_aws.cluster_alias,
    ocp_aws.namespace,
    ocp_aws.data_source,
    ocp_aws.node,
    ocp_aws.persistentvolumeclaim,
    max(ocp_aws.persistentvolume) AS persistentvolume,
    max(ocp_aws.storageclass) AS storageclass,
    ocp_aws.resource_id,
    CASE WHEN ocp_aws.data_source = 'Pod' THEN ocp_aws.pod_labels ELSE '{}' END AS pod_labels,
    CASE WHEN ocp_aws.data_source = 'Storage' THEN ocp_aws.pod_labels ELSE '{}' END AS volume_labels,
    ocp_aws.pod_labels AS all_labels,
    rp.provider_id AS source_uuid,
    sum(calculated_amortized_cost + markup_cost_amortized) AS infrastructure_raw_cost,
    sum(calculated_amortized_cost + markup_cost_amortized) AS infrastructure_project_raw_cost,
    '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}' AS infrastructure_usage_cost,
    '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}' AS supplementary_usage_cost,
    CASE WHEN upper(data_transfer_direction) = 'IN' THEN sum(infrastructure_data_in_gigabytes) ELSE NULL END
        AS infrastructure_data_in_gigabytes,
    CASE WHEN upper(data_transfer_direction) = 'OUT' THEN sum(infrastructure_data_out_gigabytes) ELSE NULL END
        AS infrastructure_data_out_gigabytes,
    0 AS pod_usage_cpu_core_hours, 0 AS pod_request_cpu_core_hours, 0 AS pod_limit_cpu_core_hours,
    0 AS pod_usage_memory_gigabyte_hours, 0 AS pod_request_memory_gigabyte_hours,
    0 AS pod_limit_memory_gigabyte_hours, 0 AS node_capacity_cpu_cores, 0 AS node_capacity_cpu_core_hours,
    0 AS node_capacity_memory_gigabytes, 0 AS node_capacity_memory_gigabyte_hours,
    0 AS cluster_capacity_cpu_core_hours, 0 AS cluster_capacity_memory_gigabyte_hours,
    0 AS persistentvolumeclaim_capacity_gigabyte, 0 AS persistentvolumeclaim_capacity_gigabyte_months,
    0 AS volume_request_storage_gigabyte_months, 0 AS persistentvolumeclaim_usage_gigabyte_months,
    max(ocp_aws.currency_code) AS raw_currency,
    max(ocp_aws.cost_category_id) AS cost_category_id
FROM project_daily_summary AS ocp_aws
JOIN reporting_ocpusagereportperiod AS rp
    ON ocp_aws.cluster_id = rp.cluster_id AND date_trunc('month', ocp_aws.usage_start) = rp.report_period_start
WHERE ocp_aws.usage_start >= $start_date AND ocp_aws.usage_start <= $end_date
    AND ocp_aws.report_period_id = $report_period_id
GROUP BY ocp_aws.report_period_id, ocp_aws.usage_start, ocp_aws.cluster_id, ocp_aws.cluster_alias,
    ocp_aws.namespace, ocp_aws.data_source, ocp_aws.node, ocp_aws.persistentvolumeclaim, ocp_aws.resource_id,
    ocp_aws.pod_labels, ocp_aws.data_transfer_direction, rp.provider_id;

-- query: special_matched_tags
-- trino_sql/openshift/ocp_special_matched_tags.sql (cte_cluster_info from --cluster-id / --cluster-alias)
WITH cte_array_agg_nodes AS (
    SELECT DISTINCT node FROM openshift_pod_usage_line_items_daily
    WHERE source = $ocp_source AND year = $year AND month = $month
        AND interval_start >= $start_ts AND interval_start < $end_excl_ts
),
cte_tag_matches AS (
    SELECT unnest(CAST($matched_tag_strs AS VARCHAR[])) AS matched_tag
    UNION SELECT '"openshift_cluster": "' || coalesce($cluster_alias, 'null') || '"'
    UNION SELECT '"openshift_cluster": "' || coalesce($cluster_id, 'null') || '"'
    UNION SELECT '"openshift_node": "' || coalesce(node, 'null') || '"' FROM cte_array_agg_nodes
    UNION SELECT DISTINCT '"openshift_project": "' || coalesce(namespace, 'null') || '"'
        FROM openshift_pod_usage_line_items_daily
        WHERE source = $ocp_source AND month = $month AND year = $year
            AND interval_start >= $start_ts AND interval_start < $end_excl_ts
)
SELECT matched_tag FROM cte_tag_matches ORDER BY matched_tag;

-- query: ocpaws_matched_tags
-- trino_sql/reporting_ocpaws_matched_tags.sql
WITH cte_enabled_tag_keys AS (
    SELECT CAST($both_keys AS VARCHAR[]) AS key_array
),
cte_unnested_aws_tags AS (
    SELECT DISTINCT t.key, t.value
    FROM aws_line_items_daily AS aws
    CROSS JOIN LATERAL (SELECT unnest(map_keys(m)) AS key, unnest(map_values(m)) AS value
                        FROM (SELECT trino_json_to_map(aws.resourcetags) AS m)) AS t
    JOIN cte_enabled_tag_keys AS etk
        ON list_bool_or(list_transform(etk.key_array, lambda x: strpos(aws.resourcetags, x) > 0))
    WHERE aws.source = $aws_source AND aws.year = $year AND aws.month = $month
        AND aws.lineitem_usagestartdate >= $start_ts AND aws.lineitem_usagestartdate < $end_excl_ts
),
cte_ocp_rows AS (
    SELECT ocp.pod_labels, ocp.volume_labels
    FROM ocp_summary AS ocp
    JOIN cte_enabled_tag_keys AS etk
        ON list_bool_or(list_transform(etk.key_array, lambda x: strpos(ocp.pod_labels, x) > 0))
        OR list_bool_or(list_transform(etk.key_array, lambda x: strpos(ocp.volume_labels, x) > 0))
    WHERE ocp.source = $ocp_source AND ocp.year = $year AND lpad(ocp.month, 2, '0') = $month
        AND list_contains($days, ocp.day)
),
cte_unnested_ocp_tags AS (
    SELECT DISTINCT unnest(map_keys(m)) AS k, unnest(map_values(m)) AS v
    FROM (SELECT trino_json_to_map(pod_labels) AS m FROM cte_ocp_rows
          UNION ALL SELECT trino_json_to_map(volume_labels) FROM cte_ocp_rows)
)
SELECT DISTINCT '{"' || aws.key || '": "' || aws.value || '"}' AS tag
FROM cte_unnested_aws_tags AS aws
JOIN cte_unnested_ocp_tags AS ocp ON lower(aws.key) = lower(ocp.k) AND lower(aws.value) = lower(ocp.v)
ORDER BY tag;
