"""Type stubs for the `ocp_summary` extension module (see python/README.md)."""

import datetime
import uuid
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple, Union

__version__: str

_Day = Union[datetime.date, str]

class OcpSummaryError(Exception): ...
class InputError(OcpSummaryError): ...
class SourceError(OcpSummaryError): ...
class SinkError(OcpSummaryError): ...
class MemoryLimitError(OcpSummaryError): ...

def populate_daily_summary(
    start_date: _Day,
    end_date: _Day,
    report_period_id: int,
    cluster_id: str,
    cluster_alias: Optional[str],
    source: Union[str, uuid.UUID],
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    output: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
    enabled_keys: Optional[List[str]] = None,
    cost_categories: Optional[List[str]] = None,
    node_roles: Optional[List[str]] = None,
    derive_node_roles: bool = True,
    cluster_tables: bool = False,
    threads: Optional[int] = None,
    memory_limit: Optional[str] = None,
    db_connect_attempts: Optional[int] = None,
    db_retries: Optional[int] = None,
) -> Dict[str, Any]: ...

populate_line_item_daily_summary_table_trino = populate_daily_summary

def max_min_timestamp(
    source: Union[str, uuid.UUID],
    start_date: _Day,
    end_date: _Day,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
    threads: Optional[int] = None,
) -> Tuple[datetime.datetime, datetime.datetime]: ...

def cluster_information(
    source: Union[str, uuid.UUID],
    start_date: _Day,
    end_date: _Day,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
    threads: Optional[int] = None,
) -> Dict[str, List[Any]]:
    """{"nodes": [[node, resource_id, node_capacity_cpu_cores, node_role, arch], ...],
    "pvcs": [[persistentvolume, persistentvolumeclaim, csi_volume_handle], ...],
    "projects": [namespace, ...]}"""
    ...

def populate_cluster_information(
    source: Union[str, uuid.UUID],
    cluster_id: str,
    cluster_alias: Optional[str],
    start_date: _Day,
    end_date: _Day,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
    threads: Optional[int] = None,
    db_connect_attempts: Optional[int] = None,
    db_retries: Optional[int] = None,
) -> Dict[str, int]:
    """Writes reporting_ocp_clusters/_nodes/_pvcs/_projects; returns {"clusters_created",
    "clusters_updated", "clusters_deleted", "nodes_created", "nodes_updated", "pvcs_created",
    "pvcs_updated", "projects_created", "skipped"}."""
    ...

def populate_gpu_summary(
    source: Union[str, uuid.UUID],
    start_date: _Day,
    end_date: _Day,
    cluster_id: str,
    cluster_alias: Optional[str],
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> Dict[str, Union[int, str]]:
    """Replaces the source's rows of [start_date, end_date] in reporting_ocp_gpu_summary_p; returns
    {"rows": N}, {"skipped": "cost model prices GPUs"} or {"skipped": "no GPU report"}."""
    ...

def populate_vm_tmp_table(
    table_name: str,
    source: Union[str, uuid.UUID],
    start_date: _Day,
    end_date: _Day,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> int:
    """Inserts Koku's VM rows into `schema`.`table_name` (the tmp_virt_<uuid> masu created);
    returns the rows inserted."""
    ...

_Written = Dict[str, List[Dict[str, int]]]

def populate_vm_usage_costs(
    rate_type: str,
    vm_usage_rates: Dict[str, Any],
    start_date: _Day,
    end_date: _Day,
    provider_uuid: Union[str, uuid.UUID],
    report_period_id: int,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> _Written:
    """masu's populate_vm_usage_costs: hourly_cost_virtual_machine.sql's rows (hourly_vm_core.sql
    inserts nothing in Koku). Returns {call: [{"deleted": n, "inserted": n}]}."""
    ...

def populate_monthly_cost_sql(
    cost_type: str,
    rate_type: Optional[str],
    rate: Any,
    start_date: _Day,
    end_date: _Day,
    distribution: Optional[str],
    provider_uuid: Union[str, uuid.UUID],
    *,
    report_period_id: int,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> _Written:
    """masu's populate_monthly_cost_sql for cost_type "OCP_VM_CORE" (monthly_vm_core.sql; `rate`
    is the amortised daily rate); ValueError for the PostgreSQL cost types."""
    ...

def populate_tag_based_costs(
    start_date: _Day,
    end_date: _Day,
    provider_uuid: Union[str, uuid.UUID],
    metric_to_tag_params_map: Dict[str, List[Dict[str, Any]]],
    cluster_params: Dict[str, Optional[str]],
    *,
    report_period_id: int,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> _Written:
    """masu's populate_tag_based_costs: its Trino files' rows (no delete, as in masu)."""
    ...

def update_cost_model_costs(
    source: Union[str, uuid.UUID],
    start_date: _Day,
    end_date: _Day,
    cluster_id: str,
    cluster_alias: Optional[str],
    report_period_id: int,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> _Written:
    """The Trino part of masu's update_summary_cost_model_costs, rates from the source's cost
    model in the database."""
    ...

def populate_ocp_on_aws_cost_daily_summary_trino(
    start_date: _Day,
    end_date: _Day,
    openshift_provider_uuid: Union[str, uuid.UUID],
    cluster_id: str,
    aws_provider_uuid: Union[str, uuid.UUID],
    report_period_id: int,
    bill_id: int,
    markup_value: Optional[Union[Decimal, float, str]] = None,
    distribution: Optional[str] = None,
    *,
    schema: str,
    cluster_alias: Optional[str] = None,
    org: Optional[str] = None,
    input: Optional[str] = None,
    aws_input: Optional[str] = None,
    summary: Optional[str] = None,
    account_aliases: Optional[Dict[str, int]] = None,
    database_url: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> Dict[str, int]:
    """masu's populate_ocp_on_aws_cost_daily_summary_trino for one chunk, then
    back_populate_ocp_infrastructure_costs: one transaction, Koku's deletes first. Keys from
    reporting_enabledtagkeys, the daily summary from the database (or `summary`, a run CSV).
    Returns {project_deleted, project_inserted, back_deleted, back_inserted}."""
    ...

def get_ocp_infrastructure_map_trino(
    start_date: _Day,
    end_date: _Day,
    ocp_provider_uuid: Optional[Union[str, uuid.UUID]] = None,
    aws_provider_uuid: Optional[Union[str, uuid.UUID]] = None,
    *,
    schema: str,
    org: Optional[str] = None,
    input: Optional[str] = None,
    aws_input: Optional[str] = None,
    s3_endpoint: Optional[str] = None,
    s3_access_key: Optional[str] = None,
    s3_secret: Optional[str] = None,
    s3_region: Optional[str] = None,
    s3_path_style: Optional[bool] = None,
) -> Dict[str, Tuple[str, str]]:
    """masu's get_ocp_infrastructure_map_trino for AWS (reporting_ocpinfrastructure_provider_map.sql):
    {ocp_uuid: (aws_uuid, "AWS")} for the OpenShift sources whose node resource ids appear in an AWS
    source's line items of the range. One OpenShift source matching several AWS sources keeps the
    largest AWS uuid (masu keeps the last of Trino's unordered rows)."""
    ...
