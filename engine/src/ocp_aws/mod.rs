//! Koku's OpenShift-on-AWS cost split without Trino (issue 17): the rows of
//! `reporting_ocpawscostlineitem_project_daily_summary_p` and the infrastructure-cost rows
//! back-populated into the OpenShift daily summary.
//!
//! masu runs `AWSReportDBAccessor.populate_ocp_on_aws_cost_daily_summary_trino` per chunk of days
//! (`OCPCloudParquetReportSummaryUpdater.update_aws_summary_tables`: [`chunks`], masu's
//! `date_range_pair(step=5)`), then `back_populate_ocp_infrastructure_costs`. Per chunk:
//!
//! | module | Koku file (`koku/masu/database/…`) |
//! |---|---|
//! | [`matching`] | `trino_sql/reporting_ocpaws_matched_tags.sql`, `trino_sql/openshift/ocp_special_matched_tags.sql`, `trino_sql/aws/openshift/populate_daily_summary/1_resource_matching_by_cluster.sql` |
//! | [`split`] | `…/populate_daily_summary/2_summarize_data_by_cluster.sql` |
//! | [`project`] | `…/populate_daily_summary/3_reporting_ocpawscostlineitem_project_daily_summary_p.sql`, `sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql` |
//!
//! Which (OpenShift, AWS) pairs to run is [`provider_map`]
//! (`trino_sql/aws/reporting_ocpinfrastructure_provider_map.sql`).
//!
//! Inputs come from [`read`] (the AWS and OpenShift Parquet, through the page kernels) and
//! [`summary`] (the OpenShift daily summary, from a CSV or the database); [`csv`] writes the two tables as the DuckDB
//! oracle (`tests/oracle/ocp_aws.py`) does, which the tests compare row by row; [`write`] loads
//! them into the tenant's tables, one transaction per chunk with Koku's deletes first. Both are
//! [`ChunkSink`]s: a chunk's rows are written and dropped before the next chunk is computed. [`json`] and
//! [`sql`] hold the Trino functions and aggregate semantics the steps share. The Koku commits
//! followed are listed in `docs/ocp-on-aws.md` ("Oracle").

pub mod csv;
pub mod json;
pub mod matching;
pub mod project;
pub mod provider_map;
pub mod read;
pub mod split;
pub mod sql;
pub mod summary;
pub mod write;

use crate::error::Error;
use crate::value::Day;
use std::collections::BTreeMap;
pub use summary::OcpRow;

/// One `aws_line_items_daily` row (the columns the SQL reads; Parquet strings, never trimmed).
#[derive(Debug, Clone, Default)]
pub struct AwsLine {
    pub row_uuid: Option<String>,
    pub resource_id: Option<String>,
    /// `lineitem_usagestartdate`, UTC milliseconds.
    pub start_ms: i64,
    pub billing_entity: Option<String>,
    pub product_name: Option<String>,
    pub product_code: Option<String>,
    pub account: Option<String>,
    pub zone: Option<String>,
    pub family: Option<String>,
    pub instance_type: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub resourcetags: Option<String>,
    pub costcategory: Option<String>,
    pub usage_amount: Option<f64>,
    pub usage_type: Option<String>,
    pub operation: Option<String>,
    pub currency: Option<String>,
    pub line_type: Option<String>,
    pub unblended: Option<f64>,
    pub blended: Option<f64>,
    pub sp_effective: Option<f64>,
}

impl AwsLine {
    pub fn day(&self) -> Day {
        Day::of_millis(self.start_ms)
    }
}

/// Four-part keys of the OpenShift Parquet: a day and three texts (NULL = `None`).
pub type DayKey = (Day, Option<String>, Option<String>, Option<String>);

/// The OpenShift daily Parquet rows the steps read (distinct, sorted).
#[derive(Debug, Default)]
pub struct OcpDaily {
    /// (day, namespace, node, resource_id) of the daily pod rows.
    pub pods: Vec<DayKey>,
    /// (day, persistentvolume, csi_volume_handle) of the daily storage rows.
    pub volumes: Vec<(Day, Option<String>, Option<String>)>,
    /// (day, namespace, claim, volume) → CSI handle, for a summary CSV without the column.
    pub handles: BTreeMap<DayKey, Option<String>>,
}

/// `distribution` of step 2: which usage splits a node's instance cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Distribution {
    #[default]
    Cpu,
    Memory,
}

/// The SQL parameters (masu's `summary_sql_metadata` and the accessor's).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub ocp_source: String,
    pub aws_source: String,
    pub year: i32,
    pub month: u32,
    /// masu's chunks, each run alone.
    pub chunks: Vec<(Day, Day)>,
    pub cluster_id: String,
    pub cluster_alias: Option<String>,
    pub report_period_id: i64,
    pub bill_id: i64,
    /// `cast(markup as decimal(24, 9))` as a double.
    pub markup: f64,
    pub distribution: Distribution,
    /// Keys of `reporting_enabledtagkeys` enabled for `AWS`, and for `OCP`.
    pub aws_keys: Vec<String>,
    pub ocp_keys: Vec<String>,
    /// `reporting_awsaccountalias`: account id → alias id.
    pub account_aliases: Vec<(String, i64)>,
}

impl Params {
    /// The month's days as masu splits them (`date_range_pair(start, end, step=5)`): 1–6, 7–11,
    /// 12–16, 17–21, 22–26, 27–end for a whole month; `--start/--end` is one chunk.
    pub fn whole_month_chunks(first: Day, last: Day) -> Vec<(Day, Day)> {
        chunks(first, last, 5)
    }
}

/// masu's `date_range_pair` (`rrule(DAILY, interval=step)` from `start` until `end`).
pub fn chunks(start: Day, end: Day, step: i32) -> Vec<(Day, Day)> {
    let dates: Vec<Day> = (0..)
        .map(|i| Day(start.0 + i * step))
        .take_while(|d| d.0 <= end.0)
        .collect();
    if dates.len() <= 1 {
        return vec![(start, end)];
    }
    let mut out = Vec::new();
    let mut s = start;
    for &d in &dates {
        if d == s && d != end {
            continue;
        }
        out.push((s, d));
        s = Day(d.0 + 1);
    }
    if *dates.last().expect("two dates") != end {
        out.push((s, end));
    }
    out
}

/// The markup text as `cast(markup as decimal(24, 9))` then double.
pub fn markup9(text: &str) -> Result<f64, Error> {
    let dec = crate::cost_model::decimal::Dec::parse(text.trim())
        .ok_or_else(|| Error::options(format!("--markup {text:?} is not a decimal number")))?;
    Ok(dec.rescale(9).to_f64())
}

/// Receives each chunk's rows of both tables as soon as the chunk is computed; the rows borrow
/// the chunk's working set, which is dropped before the next chunk starts, so memory holds one
/// chunk (masu's 5 days), not the month.
pub trait ChunkSink {
    fn chunk(
        &mut self,
        chunk: Chunk,
        project: &[project::ProjectRow<'_>],
        back_populate: &[project::BackRow<'_>],
    ) -> Result<(), Error>;
}

/// Runs every chunk of `p` over the inputs, handing each chunk's rows to `sink` (the database
/// load writes one transaction per chunk, as masu calls the accessor per chunk).
pub fn compute_chunks(
    p: &Params,
    aws: &read::AwsInput,
    ocp: &OcpDaily,
    summary: &[OcpRow],
    sink: &mut dyn ChunkSink,
) -> Result<(), Error> {
    let aws_source = p.aws_source.to_lowercase();
    let ocp_source = p.ocp_source.to_lowercase();
    for &(start, end) in &p.chunks {
        let chunk = Chunk { start, end };
        let tags = matching::matched_tags(p, &chunk, aws, ocp, summary)?;
        let temp = matching::step1(p, &chunk, aws, ocp, &tags)?;
        let mut enabled = split::EnabledTags::new(project::pg_keys(p), temp.len());
        let managed = split::step2(p, &chunk, aws, summary, &temp, &mut enabled)?;
        drop(enabled);
        let project = project::step3(p, &managed, &aws_source);
        let back_populate = project::back_populate(p, &chunk, &project, &ocp_source);
        sink.chunk(chunk, &project, &back_populate)?;
    }
    Ok(())
}

/// Where the OpenShift daily summary comes from.
#[derive(Debug, Clone, Copy)]
pub enum SummaryInput<'a> {
    /// A CSV written by `run --output csv:`.
    Csv(&'a std::path::Path),
    /// The plan's database (`--database-url`): the rows `run` wrote for the source's month.
    Database,
}

/// Reads the inputs and runs every chunk into `sink`: the OpenShift Parquet of the plan's source
/// and range, the AWS Parquet of `p.aws_source` under `aws_input` (a folder or `s3://` URL), and
/// the daily summary from `summary`.
pub fn run_chunks(
    plan: &crate::plan::Plan,
    aws_input: &str,
    summary: SummaryInput<'_>,
    p: &Params,
    sink: &mut dyn ChunkSink,
) -> Result<(), Error> {
    let ocp = read::read_ocp(plan)?;
    let aws = read::read_aws(
        plan,
        aws_input,
        &p.aws_source,
        (plan.scope.start, plan.scope.end),
    )?;
    let rows = match summary {
        SummaryInput::Csv(path) => summary::read(path, &ocp)?,
        SummaryInput::Database => {
            let spec = plan.db.as_ref().ok_or_else(|| {
                Error::options("the daily summary comes from --summary FILE or --database-url")
            })?;
            let target = crate::database::Target::new(spec)?;
            let first = Day::from_ymd(p.year, p.month, 1)
                .ok_or_else(|| Error::options("a bad --year/--month"))?;
            let last = Day(first.0 + crate::value::date::days_in_month(p.year, p.month) as i32 - 1);
            summary::from_database(&target, &p.ocp_source, (first, last), &ocp)?
        }
    };
    compute_chunks(p, &aws, &ocp, &rows, sink)
}

/// One chunk of days, inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    pub start: Day,
    pub end: Day,
}

impl Chunk {
    pub fn contains(&self, d: Day) -> bool {
        self.start <= d && d <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_masu() {
        let d = |n| Day::from_ymd(2026, 3, n).unwrap();
        let got: Vec<(u32, u32)> = chunks(d(1), d(31), 5)
            .iter()
            .map(|(a, b)| (a.ymd().2, b.ymd().2))
            .collect();
        assert_eq!(
            got,
            [(1, 6), (7, 11), (12, 16), (17, 21), (22, 26), (27, 31)]
        );
        let got: Vec<(u32, u32)> = chunks(d(1), d(8), 5)
            .iter()
            .map(|(a, b)| (a.ymd().2, b.ymd().2))
            .collect();
        assert_eq!(got, [(1, 6), (7, 8)]);
        assert_eq!(chunks(d(3), d(3), 5), vec![(d(3), d(3))]);
        assert_eq!(chunks(d(1), d(6), 5), vec![(d(1), d(6))]);
    }
}
