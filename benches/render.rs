//! Criterion benchmark of float text, the largest single cost of rendering CSV before
//! `value::shortest`: ryu (what wrote the CSV until 2026-12-03) against `shortest` (zmij, the
//! exponent's `+` dropped), over values shaped like the summary's (hours, GiB-hours, capacities).
//! Run with `cargo bench --bench render`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocp_summary_engine::value::shortest::{shortest, MAX_LEN};

const VALUES: usize = 100_000;

/// Usage sums divided by 3600 and scaled to GiB, as the Pod rows hold them: mostly 15–17
/// significant digits, some small integers.
fn values() -> Vec<f64> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..VALUES)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let seconds = (x % 86_400_000) as f64 / 1000.0;
            match i % 4 {
                0 => seconds / 3600.0,
                1 => seconds * 4096.0 / 3600.0 * 2f64.powi(-30),
                2 => (x % 64) as f64,
                _ => seconds,
            }
        })
        .collect()
}

fn bench_float_text(c: &mut Criterion) {
    let values = values();
    let mut group = c.benchmark_group("float_text");
    group.throughput(Throughput::Elements(VALUES as u64));
    group.bench_function("ryu", |b| {
        b.iter(|| {
            let mut len = 0;
            for &v in &values {
                len += ryu::Buffer::new().format_finite(black_box(v)).len();
            }
            len
        })
    });
    group.bench_function("shortest", |b| {
        b.iter(|| {
            let mut len = 0;
            let mut text = [0u8; MAX_LEN];
            for &v in &values {
                len += shortest(black_box(v), &mut text);
            }
            len
        })
    });
    group.finish();
}

criterion_group!(benches, bench_float_text);
criterion_main!(benches);
