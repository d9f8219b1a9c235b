//! One function per subcommand: each turns its flags into engine calls and prints what the
//! user asked for.

use crate::cli::{
    ClusterInfoArgs, Command, CostModelArgs, DemoArgs, InfraMapArgs, InitDbArgs, OcpOnAwsArgs,
};
use ocp_summary_engine::cluster::{cluster_info, ClusterQuery};
use ocp_summary_engine::error::{Error, InputError, SinkError};
use ocp_summary_engine::plan::lookups::KOKU_DEFAULT_COST_CATEGORIES;
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
use ocp_summary_engine::plan::{db_spec, Plan};
use ocp_summary_engine::sink::postgres::{ddl, Target};
use ocp_summary_engine::value::Day;
use ocp_summary_engine::{check, run};

pub fn dispatch(command: Command) -> Result<(), Error> {
    match command {
        Command::Run(options) => run::execute(&plan(&options)?).map(|_| ()),
        Command::Generate(args) => ocp_summary_generate::upload::run(&args)
            .map(|summary| eprintln!("{summary}"))
            .map_err(|e| Error::options(format!("{e:#}"))),
        Command::Plan(options) => run::describe_plan(&plan(&options)?).map(|text| print!("{text}")),
        Command::Check(args) => check::check_paths(&args.paths),
        Command::Demo(args) => demo(&args),
        Command::InitDb(args) => init_db(&args),
        Command::ClusterInfo(args) => cluster(&args),
        Command::MaxMinTimestamp(options) => {
            let q = ClusterQuery::Timestamps;
            let info = cluster_info(&plan(&options)?, &[q])?;
            print_stdout(&info.csv(q).unwrap_or_default())
        }
        Command::Ingest(args) => match args.provider {
            ocp_summary_ingest::Provider::Ocp => {
                ocp_summary_ingest::ingest(&args).map(|s| eprint!("{s}"))
            }
            ocp_summary_ingest::Provider::Aws => {
                ocp_summary_ingest::aws::ingest(&args).map(|s| eprint!("{s}"))
            }
        },
        Command::CostModel(args) => cost_model(&args),
        Command::OcpOnAws(args) => ocp_on_aws(&args),
        Command::InfraMap(args) => infra_map(&args),
    }
}

/// `ocp-summary infra-map`: which OpenShift sources run on which AWS sources.
fn infra_map(args: &InfraMapArgs) -> Result<(), Error> {
    use ocp_summary_engine::ocp_aws::provider_map::{provider_map, InfraPair, MapQuery};
    use std::io::Write;
    let first = Day::from_ymd(args.year, args.month, 1).ok_or_else(|| {
        Error::options(format!(
            "--year {} --month {}: not a month",
            args.year, args.month
        ))
    })?;
    let last = Day(first.0
        + ocp_summary_engine::value::date::days_in_month(args.year, args.month) as i32
        - 1);
    let day = |flag: &str, v: &Option<String>, default: Day| -> Result<Day, Error> {
        match v {
            None => Ok(default),
            Some(t) => Day::parse(t)
                .ok_or_else(|| Error::options(format!("--{flag} {t:?}: expected YYYY-MM-DD"))),
        }
    };
    let days = (
        day("start", &args.start, first)?,
        day("end", &args.end, last)?,
    );
    let settings = args.s3.settings(Default::default());
    let open = |input: &str| {
        ocp_summary_engine::source::open(input, &settings)
            .map_err(|e| Error::options(e.to_string()))
    };
    let ocp_store = open(&args.input)?;
    let aws_store = open(args.aws_input.as_deref().unwrap_or(&args.input))?;
    let query = MapQuery {
        org: args.org.clone(),
        year: args.year,
        month: args.month,
        days,
        ocp_source: args.source.clone(),
        aws_source: args.aws_source.clone(),
        decode: Default::default(),
    };
    let pairs = provider_map(ocp_store.as_ref(), aws_store.as_ref(), &query)?;
    let mut text = String::from("ocp_uuid,infra_uuid,type\n");
    for p in &pairs {
        text.push_str(&format!(
            "{},{},{}\n",
            p.ocp_source,
            p.infra_source,
            InfraPair::TYPE
        ));
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| SinkError::io(path.display().to_string(), e))?
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| SinkError::io("stdout".to_string(), e))?,
    }
    eprintln!("infra-map: {} pair(s)", pairs.len());
    Ok(())
}

/// `ocp-summary ocp-on-aws`: masu's OpenShift-on-AWS Trino steps and the back-populate, into the
/// database (one transaction per chunk, Koku's deletes first) or as CSV.
fn ocp_on_aws(args: &OcpOnAwsArgs) -> Result<(), Error> {
    use ocp_summary_engine::ocp_aws::{self, csv, Distribution, Params};
    let plan = plan(&args.run)?;
    let scope = &plan.scope;
    let first = Day::from_ymd(scope.year, scope.month, 1).expect("a valid month");
    let last = Day(first.0
        + ocp_summary_engine::value::date::days_in_month(scope.year, scope.month) as i32
        - 1);
    let chunks = if args.run.start.is_some() || args.run.end.is_some() {
        vec![(scope.start, scope.end)]
    } else {
        Params::whole_month_chunks(first, last)
    };
    let account_aliases = args
        .account_aliases
        .iter()
        .map(|a| {
            let (acc, id) = a.split_once('=').unwrap_or((a, ""));
            id.trim()
                .parse::<i64>()
                .map(|id| (acc.to_string(), id))
                .map_err(|_| Error::options(format!("--account-alias {a:?}: expected ACCOUNT=ID")))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let params = Params {
        ocp_source: plan.constants.source_uuid.clone(),
        aws_source: args.aws_source.clone(),
        year: scope.year,
        month: scope.month,
        chunks,
        cluster_id: plan.constants.cluster_id.clone(),
        cluster_alias: Some(plan.constants.cluster_alias.clone()),
        report_period_id: i64::from(
            plan.constants
                .report_period_id
                .ok_or_else(|| Error::options("ocp-on-aws needs --report-period-id"))?,
        ),
        bill_id: args.bill_id,
        markup: ocp_aws::markup9(&args.markup)?,
        distribution: match args.distribution {
            crate::cli::DistributionArg::Cpu => Distribution::Cpu,
            crate::cli::DistributionArg::Memory => Distribution::Memory,
        },
        aws_keys: args.aws_enabled_keys.clone(),
        ocp_keys: args.run.enabled_keys.clone().unwrap_or_default(),
        account_aliases,
    };
    let aws_input = args
        .aws_input
        .clone()
        .unwrap_or_else(|| scope.input.clone());
    let Some(output_project) = &args.output_project else {
        let spec = plan.db.as_ref().ok_or_else(|| {
            Error::options("ocp-on-aws writes to --database-url, or to --output-project FILE")
        })?;
        let target = Target::new(spec)?;
        let summary = match &args.summary {
            Some(path) => ocp_aws::SummaryInput::Csv(path),
            None => ocp_aws::SummaryInput::Database,
        };
        let mut sink = ocp_aws::write::DbSink::new(&target, &params)?;
        ocp_aws::run_chunks(&plan, &aws_input, summary, &params, &mut sink)?;
        for (chunk, w) in &sink.written {
            eprintln!(
                "{}..{}: {}: {} rows deleted, {} inserted; back-populated daily summary rows: \
                 {} deleted, {} inserted",
                chunk.start,
                chunk.end,
                ocp_aws::write::PROJECT_TABLE,
                w.project_deleted,
                w.project_inserted,
                w.back_deleted,
                w.back_inserted
            );
        }
        eprintln!("ocp-on-aws: written to {}", target.describe());
        return Ok(());
    };
    let summary = args.summary.as_deref().ok_or_else(|| {
        Error::options("ocp-on-aws --output-project reads the daily summary from --summary FILE")
    })?;
    let mut sink = csv::CsvSink::create(output_project, args.output_back_populate.as_deref())?;
    ocp_aws::run_chunks(
        &plan,
        &aws_input,
        ocp_aws::SummaryInput::Csv(summary),
        &params,
        &mut sink,
    )?;
    let (project, back) = sink.finish()?;
    eprintln!("reporting_ocpawscostlineitem_project_daily_summary_p: {project} rows");
    if let Some(back) = back {
        eprintln!("back-populated daily summary rows: {back}");
    }
    Ok(())
}

/// `ocp-summary cost-model`: masu's Trino cost-model steps, into the database or a CSV file.
fn cost_model(args: &CostModelArgs) -> Result<(), Error> {
    use ocp_summary_engine::cost_model::{self as cm, rates::CostModel, SummarySource, TagDelete};
    let plan = plan(&args.run)?;
    let model = match &args.cost_model {
        Some(path) => CostModel::from_file(path).map_err(|e| Error::options(e.to_string()))?,
        None => cm::cost_model_from_database(&plan)?,
    };
    let lookups = run::resolve_lookups(&plan)?;
    let source = match &args.summary {
        Some(path) => SummarySource::Csv(path.clone()),
        None => SummarySource::Database,
    };
    let (year, month) = (plan.scope.year, plan.scope.month);
    let path = if args.rates_to_usage {
        cm::Path::Rtu
    } else {
        cm::Path::Direct
    };
    let calls = cm::calls_for(
        &model,
        ocp_summary_engine::value::date::days_in_month(year, month),
        path,
    );
    let input = cm::read_inputs(&plan, &lookups, &calls, &source)?;
    let steps = cm::compute(&calls, &input);
    match &args.cost_output {
        Some(path) => {
            cm::write_csv(path, &steps)?;
            for s in &steps {
                eprintln!("{}: {} rows", s.call, s.rows.len());
            }
        }
        None => {
            let tag_delete = if args.no_tag_delete {
                TagDelete::None
            } else {
                TagDelete::Masu
            };
            let written = cm::write_database(&plan, &input, &steps, tag_delete)?;
            for (s, w) in steps.iter().zip(written) {
                eprintln!(
                    "{}: {} rows deleted, {} inserted",
                    s.call, w.deleted, w.inserted
                );
            }
        }
    }
    Ok(())
}

/// `ocp-summary cluster-info`: one query's CSV, or every query's after a `# QUERY` line.
fn cluster(args: &ClusterInfoArgs) -> Result<(), Error> {
    let queries: Vec<ClusterQuery> = match args.query {
        Some(q) => vec![q],
        None => ClusterQuery::ALL.to_vec(),
    };
    let info = cluster_info(&plan(&args.run)?, &queries)?;
    let mut text = String::new();
    for q in queries {
        if args.query.is_none() {
            text.push_str(&format!("# {}\n", q.name()));
        }
        text.push_str(&info.csv(q).unwrap_or_default());
    }
    print_stdout(&text)
}

/// Writes `text` to stdout; a closed pipe is a sink error, not a panic.
fn print_stdout(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::from(SinkError::io("stdout", e)))
}

fn plan(options: &RunOptions) -> Result<Plan, Error> {
    Plan::from_options(options).map_err(|e| Error::options(format!("{e:#}")))
}

/// `ocp-summary demo`: generate a small sample and summarise it into `DIR/summary.csv`.
fn demo(args: &DemoArgs) -> Result<(), Error> {
    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        generate: ocp_summary_generate::GenerateArgs,
    }
    let data = args.dir.join("input");
    let gen_args = <Wrap as clap::Parser>::parse_from([
        "generate".as_ref(),
        "--out".as_ref(),
        data.as_os_str(),
        "--force".as_ref(),
        "--days".as_ref(),
        "3".as_ref(),
    ])
    .generate;
    let summary = ocp_summary_generate::run(&gen_args)
        .map_err(|e| SinkError::Unavailable(format!("{e:#}")))?;
    eprintln!("{summary}");
    let csv = args.dir.join("summary.csv");
    let start = Day::parse(&gen_args.start)
        .ok_or_else(|| InputError::Options(format!("demo start {:?}", gen_args.start)))?;
    let (year, month, _) = start.ymd();
    let options = RunOptions {
        input: Some(data.display().to_string()),
        org: Some(gen_args.org.clone()),
        source: Some(gen_args.source.clone()),
        year: Some(year),
        month: Some(month),
        cluster_id: Some("demo-cluster".into()),
        cluster_alias: Some("Demo cluster".into()),
        report_period_id: Some(1),
        enabled_keys: Some(vec!["app".into(), "environment".into(), "team".into()]),
        cost_categories: KOKU_DEFAULT_COST_CATEGORIES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        output: Some(format!("csv:{}", csv.display())),
        ..Default::default()
    };
    run::execute(&plan(&options)?)?;
    let text = std::fs::read_to_string(&csv).map_err(|e| SinkError::io(csv.display(), e))?;
    println!(
        "{} rows in {}; the first five:",
        text.lines().count().saturating_sub(1),
        csv.display()
    );
    for line in text.lines().take(6) {
        println!("{line}");
    }
    Ok(())
}

/// `ocp-summary init-db`: Koku's tables in a schema, those missing only.
fn init_db(args: &InitDbArgs) -> Result<(), Error> {
    let spec = db_spec(&args.db, &DbOptions::default(), None)
        .map_err(|e| Error::options(format!("{e:#}")))?
        .ok_or_else(|| Error::options("missing --database-url (or DATABASE_URL)"))?;
    ddl::init_db(&Target::new(&spec)?)
}
