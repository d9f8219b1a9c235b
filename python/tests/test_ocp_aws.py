"""`ocp_summary.populate_ocp_on_aws_cost_daily_summary_trino` (masu's accessor call, then the
back-populate) against a throwaway PostgreSQL holding the daily summary `ocp-summary run` wrote:
the rows it loads into `reporting_ocpawscostlineitem_project_daily_summary_p` and the
back-populated daily-summary rows equal the CLI's CSV (`ocp-summary ocp-on-aws --output-project`)
on the same inputs and keys, and a second call replaces them."""

import datetime
import subprocess
from decimal import Decimal

import pytest

import ocp_summary
from conftest import BIN, CLUSTER_ALIAS, CLUSTER_ID, ORG, REPO, REPORT_PERIOD_ID, SCHEMA, SOURCE, psql, run

AWS_SOURCE = "3c6e2f1a-7b4d-4e8f-9a0b-1c2d3e4f5a6b"
PROJECT = f"{SCHEMA}.reporting_ocpawscostlineitem_project_daily_summary_p"
SUMMARY = f"{SCHEMA}.reporting_ocpusagelineitem_daily_summary"
BACK = f"{SUMMARY} WHERE supplementary_usage_cost IS NOT NULL"
PROJECT_COLUMNS = (
    "report_period_id, cluster_id, cluster_alias, data_source, namespace, node, persistentvolumeclaim, "
    "persistentvolume, storageclass, resource_id, usage_start, usage_end, product_code, product_family, "
    "instance_type, cost_entry_bill_id, usage_account_id, account_alias_id, availability_zone, region, unit, "
    "usage_amount, infrastructure_data_in_gigabytes, infrastructure_data_out_gigabytes, "
    "data_transfer_direction, currency_code, unblended_cost, markup_cost, blended_cost, markup_cost_blended, "
    "savingsplan_effective_cost, markup_cost_savingsplan, calculated_amortized_cost, markup_cost_amortized, "
    "pod_labels, tags, aws_cost_category, cost_category_id, source_uuid"
)


@pytest.fixture(scope="session")
def aws_dataset(tmp_path_factory):
    """Three days from 2026-03-01 with a CUR matched to the cluster, ingested as masu would."""
    out = tmp_path_factory.mktemp("aws-data")
    run(
        [
            str(BIN), "generate", "--out", str(out), "--org", ORG, "--source", SOURCE,
            "--start", "2026-03-01", "--days", "3", "--nodes", "4", "--namespaces-per-node", "2",
            "--pods-per-namespace", "3", "--aws", "--aws-cluster-id", CLUSTER_ID,
        ]
    )
    cur = next((out / "aws").iterdir())
    run(
        [
            str(BIN), "ingest", "--provider", "aws", "--input", str(cur), "--output", str(out),
            "--org", ORG, "--source", AWS_SOURCE,
        ]
    )
    return out


def oracle_python():
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup-python.sh")], capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def compare(preset, expected, actual):
    out = subprocess.run(
        [oracle_python(), str(REPO / "tests" / "oracle" / "compare.py"), "--preset", preset,
         str(expected), str(actual)],
        capture_output=True, text=True,
    )
    assert out.returncode == 0 and "rows match" in out.stdout, out.stdout + out.stderr


def common(dataset):
    return [
        "--input", str(dataset), "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        "--cluster-id", CLUSTER_ID, "--cluster-alias", CLUSTER_ALIAS,
        "--report-period-id", str(REPORT_PERIOD_ID),
    ]


def test_populate_ocp_on_aws_loads_the_cli_rows_and_a_second_call_replaces_them(
    aws_dataset, fresh_db, tmp_path
):
    url = fresh_db
    # conftest enables app and team for OCP; app for AWS too.
    psql(url, f"INSERT INTO {SCHEMA}.reporting_enabledtagkeys (key, enabled, provider_type) "
              "VALUES ('app', true, 'AWS')")
    db = ["--database-url", url, "--schema", SCHEMA]
    run([str(BIN), "run", *common(aws_dataset), *db])
    summary_csv = tmp_path / "summary.csv"
    run([str(BIN), "run", *common(aws_dataset), *db, "--output", f"csv:{summary_csv}"])
    run_rows = int(psql(url, f"SELECT count(*) FROM {SUMMARY}"))

    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)
    expected_project, expected_back = tmp_path / "cli_project.csv", tmp_path / "cli_back.csv"
    run(
        [
            str(BIN), "ocp-on-aws", *common(aws_dataset), "--start", str(start), "--end", str(end),
            "--aws-source", AWS_SOURCE, "--bill-id", "3", "--markup", "0.1", "--distribution", "cpu",
            "--enabled-keys", "app,team", "--aws-enabled-keys", "app", "--summary", str(summary_csv),
            "--output-project", str(expected_project), "--output-back-populate", str(expected_back),
        ]
    )
    n_project = len(expected_project.read_text().splitlines()) - 1
    n_back = len(expected_back.read_text().splitlines()) - 1
    assert n_project > 100 and n_back > 100, (n_project, n_back)

    def call():
        return ocp_summary.populate_ocp_on_aws_cost_daily_summary_trino(
            start, end, SOURCE, CLUSTER_ID, AWS_SOURCE, REPORT_PERIOD_ID, 3, Decimal("0.1"), "cpu",
            schema=SCHEMA, cluster_alias=CLUSTER_ALIAS, org=ORG, input=str(aws_dataset),
            database_url=url,
        )

    def check_rows(tag):
        project, back = tmp_path / f"db_{tag}_project.csv", tmp_path / f"db_{tag}_back.csv"
        psql(url, f"\\copy (SELECT {PROJECT_COLUMNS} FROM {PROJECT}) TO '{project}' "
                  "WITH (FORMAT csv, HEADER, NULL '\\N')")
        header = expected_back.read_text().splitlines()[0].split(",")
        cols = [
            f"trunc({c})::bigint AS {c}" if c.startswith(("pod_", "node_", "cluster_capacity", "persistentvolumeclaim_", "volume_request"))
            and c not in ("pod_labels",) else c
            for c in header
        ]
        psql(url, f"\\copy (SELECT {', '.join(cols)} FROM {BACK}) TO '{back}' "
                  "WITH (FORMAT csv, HEADER, NULL '\\N')")
        compare("ocp_aws", expected_project, project)
        compare("ocp_aws_back_populate", expected_back, back)

    first = call()
    assert first == {"project_deleted": 0, "project_inserted": n_project,
                     "back_deleted": 0, "back_inserted": n_back}, first
    check_rows("first")
    second = call()
    assert second == {"project_deleted": n_project, "project_inserted": n_project,
                      "back_deleted": n_back, "back_inserted": n_back}, second
    check_rows("second")
    assert int(psql(url, f"SELECT count(*) FROM {PROJECT}")) == n_project
    assert int(psql(url, f"SELECT count(*) FROM {SUMMARY}")) == run_rows + n_back

    with pytest.raises(ValueError):
        ocp_summary.populate_ocp_on_aws_cost_daily_summary_trino(
            start, end, SOURCE, CLUSTER_ID, AWS_SOURCE, REPORT_PERIOD_ID, 3, None, "disk",
            schema=SCHEMA, org=ORG, input=str(aws_dataset), database_url=url,
        )


def test_infrastructure_map_pairs_the_cluster_with_its_aws_source(aws_dataset):
    """masu's get_ocp_infrastructure_map_trino: the generated cluster runs on the ingested AWS
    source; naming another AWS source, or days without data, finds nothing."""
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)
    where = dict(schema=SCHEMA, org=ORG, input=str(aws_dataset))
    assert ocp_summary.get_ocp_infrastructure_map_trino(start, end, **where) == {SOURCE: (AWS_SOURCE, "AWS")}
    assert ocp_summary.get_ocp_infrastructure_map_trino(
        start, end, SOURCE, AWS_SOURCE, **where
    ) == {SOURCE: (AWS_SOURCE, "AWS")}
    other = "00000000-0000-4000-8000-000000000000"
    assert ocp_summary.get_ocp_infrastructure_map_trino(start, end, aws_provider_uuid=other, **where) == {}
    later = datetime.date(2026, 3, 20), datetime.date(2026, 3, 25)
    assert ocp_summary.get_ocp_infrastructure_map_trino(*later, **where) == {}
