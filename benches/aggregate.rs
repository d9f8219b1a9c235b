//! Criterion benchmark of the pod worker: one row group of daily pod rows → its groups.
//!
//! The row group is shaped like the L month's: 100,000 daily rows of one day, nearly every key
//! its own group (pods × label sets), one resource id per node, 10% NULL effective usage and
//! the NULL cases of `coalesce(effective, greatest(usage, request))`. Run with
//! `cargo bench --bench aggregate`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocp_summary_engine::aggregate::pod::{PodWorker, COLUMNS};
use ocp_summary_engine::catalog::Catalog;
use ocp_summary_engine::decode::rowgroup::{ColumnData, RowGroupData};
use ocp_summary_kernels::labels::EnabledKeys;
use ocp_summary_kernels::validity::Validity;
use ocp_summary_kernels::KernelError;

const ROWS: usize = 100_000;
const DAY_MS: i64 = 86_400_000;

fn ids(catalog: &Catalog, texts: impl Iterator<Item = String>) -> ColumnData {
    let texts: Vec<String> = texts.collect();
    let mut ids = Vec::new();
    catalog
        .intern_many::<KernelError>(&mut ids, |sink| {
            texts.iter().for_each(|t| sink(t.as_bytes()));
            Ok(())
        })
        .unwrap();
    ColumnData {
        valid: Validity::with_all(ids.len(), true),
        ids,
        ..ColumnData::default()
    }
}

fn doubles(f: impl Fn(usize) -> Option<f64>) -> ColumnData {
    let values: Vec<Option<f64>> = (0..ROWS).map(f).collect();
    ColumnData {
        f64s: values.iter().map(|v| v.unwrap_or(0.0)).collect(),
        valid: values.iter().map(Option::is_some).collect(),
        ..ColumnData::default()
    }
}

fn row_group(catalog: &Catalog) -> RowGroupData {
    let day = 20_500 * DAY_MS;
    let node = |i: usize| i % 20;
    let mut columns = vec![
        ColumnData {
            i64s: (0..ROWS).map(|i| day + (i % 24) as i64).collect(),
            valid: Validity::with_all(ROWS, true),
            ..ColumnData::default()
        },
        ids(catalog, (0..ROWS).map(|i| format!("ns-{}", i % 400))),
        ids(catalog, (0..ROWS).map(|i| format!("node-{}", node(i)))),
        ids(catalog, (0..ROWS).map(|i| format!("i-{:08x}", node(i)))),
        // Label set ids: distinct per pod (rows of a pod repeat 4 times).
        ColumnData {
            ids: (0..ROWS).map(|i| (i / 4) as u32).collect(),
            valid: Validity::with_all(ROWS, true),
            ..ColumnData::default()
        },
    ];
    let metric = |k: usize| move |i: usize| Some(((i * 31 + k * 7) % 1000) as f64 * 0.37);
    for k in 0..10 {
        columns.push(match k {
            2 | 6 => doubles(|i| (i % 10 != 0).then(|| metric(k)(i).unwrap())),
            1 => doubles(|i| (i % 50 != 0).then(|| metric(k)(i).unwrap())),
            _ => doubles(metric(k)),
        });
    }
    assert_eq!(columns.len(), COLUMNS.len());
    let mut data = RowGroupData::default();
    data.num_rows = ROWS;
    data.columns = columns;
    data
}

fn bench_pod_worker(c: &mut Criterion) {
    let catalog = Catalog::new(EnabledKeys::new([b"app".as_slice()]));
    let data = row_group(&catalog);
    let range = 20_500 * DAY_MS..20_501 * DAY_MS;
    let mut worker = PodWorker::default();
    let mut partial = worker.run(&data, &range, Vec::new());
    let groups = partial.len();
    assert!(groups > ROWS / 5, "{groups} groups");
    let mut g = c.benchmark_group("pod_worker");
    g.throughput(Throughput::Elements(ROWS as u64));
    // Each partial is built in the last one's vector, as the merge hands it back in a run.
    g.bench_function("100k_daily_rows", |b| {
        b.iter(|| {
            let out = std::mem::take(&mut partial);
            partial = worker.run(black_box(&data), &range, out);
            black_box(partial.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_pod_worker);
criterion_main!(benches);
