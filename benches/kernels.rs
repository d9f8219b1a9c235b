//! Criterion benchmarks for the pure kernels in `ocp-summary-kernels`.
//!
//! Inputs are generated here with a fixed seed, sized like one Parquet page or one batch of
//! label strings, so numbers track the per-element cost the pipeline pays. Run with
//! `cargo bench --bench kernels`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ocp_summary_kernels::direct_index::{DirectIndex, DirectKey};
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{EnabledKeys, Label, LabelParser, LabelSets};
use ocp_summary_kernels::like::LikePattern;
use ocp_summary_kernels::merge::merge3;
use ocp_summary_kernels::rle;
use ocp_summary_kernels::shared_intern::SharedInterner;
use ocp_summary_kernels::validity::Validity;
use ocp_summary_kernels::{delta, int96, split};

/// Small deterministic generator (xorshift64*), so runs compare like for like.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A hybrid stream of `n` values: one bit-packed run per 512 values, or (RLE-heavy) runs of
/// 1–64 repeats with a short bit-packed run between them.
fn hybrid_stream(width: u8, n: usize, rle_heavy: bool, rng: &mut Rng) -> Vec<u8> {
    let w = usize::from(width);
    let max = if width == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << width) - 1
    };
    let mut out = Vec::new();
    let mut done = 0;
    while done < n {
        if rle_heavy && rng.below(4) != 0 {
            let count = 1 + rng.below(64) as usize;
            put_uleb(&mut out, (count as u64) << 1);
            out.extend_from_slice(&(rng.below(max + 1) as u32).to_le_bytes()[..w.div_ceil(8)]);
            done += count;
        } else {
            let groups = if rle_heavy { 1 } else { 64 };
            put_uleb(&mut out, ((groups as u64) << 1) | 1);
            let mut bits = vec![0u8; groups * w];
            for i in 0..groups * 8 {
                let v = rng.below(max + 1);
                for b in 0..w {
                    if (v >> b) & 1 == 1 {
                        let bit = i * w + b;
                        bits[bit / 8] |= 1 << (bit % 8);
                    }
                }
            }
            out.extend_from_slice(&bits);
            done += groups * 8;
        }
    }
    out
}

fn bench_rle(c: &mut Criterion) {
    const N: usize = 64 * 1024;
    let mut rng = Rng(0x5eed);
    let mut group = c.benchmark_group("rle_decode");
    for width in [1u8, 8, 17] {
        for rle_heavy in [false, true] {
            let data = hybrid_stream(width, N, rle_heavy, &mut rng);
            let name = if rle_heavy { "rle_heavy" } else { "bit_packed" };
            group.throughput(Throughput::Elements(N as u64));
            let mut out = Vec::with_capacity(N);
            group.bench_with_input(BenchmarkId::new(name, width), &data, |b, data| {
                b.iter(|| {
                    out.clear();
                    rle::decode_hybrid(black_box(data), width, N, &mut out).unwrap();
                    black_box(out.len())
                });
            });
        }
    }
    let ids: Vec<u32> = (0..N as u32).map(|i| i % 1000).collect();
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("check_dict_bounds", |b| {
        b.iter(|| rle::check_dict_bounds(black_box(&ids), 1000).unwrap());
    });
    group.finish();
}

/// RLE runs of 200–2,000 repeats, as the hourly files' capacity and node columns hold them.
fn long_runs(width: u8, n: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let mut done = 0;
    while done < n {
        let count = (200 + rng.below(1800) as usize).min(n - done);
        put_uleb(&mut out, (count as u64) << 1);
        let value = rng.below(1u64 << width) as u32;
        out.extend_from_slice(&value.to_le_bytes()[..usize::from(width).div_ceil(8)]);
        done += count;
    }
    out
}

/// Dictionary values from a page: ids, bounds check and gather one after another, against
/// `rle::decode_dict_gather` doing the three in one pass over the runs.
fn bench_dict_gather(c: &mut Criterion) {
    const N: usize = 64 * 1024;
    let mut rng = Rng(0x9a7);
    let mut group = c.benchmark_group("dict_gather");
    group.throughput(Throughput::Elements(N as u64));
    for width in [8u8, 17] {
        let dict: Vec<f64> = (0..1u32 << width).map(|i| f64::from(i) * 0.5).collect();
        let shapes = [
            ("bit_packed", hybrid_stream(width, N, false, &mut rng)),
            ("rle_heavy", hybrid_stream(width, N, true, &mut rng)),
            ("long_runs", long_runs(width, N, &mut rng)),
        ];
        for (shape, stream) in shapes {
            let mut page = vec![width];
            page.extend(stream);
            let (mut ids, mut out) = (Vec::with_capacity(N), Vec::with_capacity(N));
            let id = |how: &str| BenchmarkId::new(format!("{how}/{shape}"), width);
            group.bench_with_input(id("ids_then_gather"), &page, |b, page| {
                b.iter(|| {
                    ids.clear();
                    out.clear();
                    rle::decode_dict_ids(black_box(page), N, &mut ids).unwrap();
                    rle::check_dict_bounds(&ids, dict.len()).unwrap();
                    out.extend(ids.iter().map(|&id| dict[id as usize]));
                    black_box(out.len())
                });
            });
            group.bench_with_input(id("fused"), &page, |b, page| {
                b.iter(|| {
                    out.clear();
                    rle::decode_dict_gather(black_box(page), N, &dict, &mut ids, &mut out).unwrap();
                    black_box(out.len())
                });
            });
        }
    }
    group.finish();
}

/// A page's definition levels to validity: a bit a row against a `bool` a row, and summing a
/// column through each. 64k rows with 1 in 20 NULL, and with none (the common case).
fn bench_validity(c: &mut Criterion) {
    const N: usize = 64 * 1024;
    let mut rng = Rng(0x7a1);
    let mut group = c.benchmark_group("validity");
    group.throughput(Throughput::Elements(N as u64));
    let values: Vec<f64> = (0..N).map(|i| i as f64).collect();
    for (shape, one_in) in [("5pct_null", 20), ("no_null", 0)] {
        let levels: Vec<u32> = (0..N)
            .map(|_| u32::from(one_in == 0 || rng.below(one_in) != 0))
            .collect();
        let (mut bits, mut bools) = (Validity::new(), Vec::with_capacity(N));
        group.bench_function(BenchmarkId::new("levels_to_bitmap", shape), |b| {
            b.iter(|| {
                bits.clear();
                bits.extend_from_levels(black_box(&levels), 1);
                black_box(bits.null_count())
            })
        });
        group.bench_function(BenchmarkId::new("levels_to_bools", shape), |b| {
            b.iter(|| {
                bools.clear();
                bools.extend(black_box(&levels).iter().map(|&l| l == 1));
                black_box(bools.len())
            })
        });
        group.bench_function(BenchmarkId::new("sum_through_bitmap", shape), |b| {
            b.iter(|| match bits.null_count() {
                0 => black_box(values.iter().sum::<f64>()),
                _ => black_box(
                    (0..N)
                        .filter(|&i| bits.get(i))
                        .map(|i| values[i])
                        .sum::<f64>(),
                ),
            })
        });
        group.bench_function(BenchmarkId::new("sum_through_bools", shape), |b| {
            b.iter(|| {
                let kept = values.iter().zip(&bools).filter(|(_, &v)| v);
                black_box(kept.map(|(x, _)| x).sum::<f64>())
            })
        });
    }
    group.finish();
}

fn bench_intern(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut rng = Rng(42);
    // Hit-heavy: 200 distinct namespace-like strings; miss-heavy: nearly all distinct.
    let hits: Vec<String> = (0..N)
        .map(|_| format!("namespace-{}", rng.below(200)))
        .collect();
    let misses: Vec<String> = (0..N)
        .map(|i| format!("pod-{i}-{:x}", rng.next()))
        .collect();
    let bytes = |v: &[String]| v.iter().map(String::len).sum::<usize>() as u64;
    let mut group = c.benchmark_group("intern");
    for (name, strings) in [("hit_heavy", &hits), ("miss_heavy", &misses)] {
        group.throughput(Throughput::Elements(N as u64));
        group.bench_function(BenchmarkId::new("elements", name), |b| {
            b.iter(|| {
                let mut interner = Interner::new();
                for s in strings {
                    black_box(interner.intern(s.as_bytes()));
                }
                interner.len()
            });
        });
        group.throughput(Throughput::Bytes(bytes(strings)));
        group.bench_function(BenchmarkId::new("bytes", name), |b| {
            b.iter(|| {
                let mut interner = Interner::new();
                for s in strings {
                    black_box(interner.intern(s.as_bytes()));
                }
                interner.len()
            });
        });
    }
    group.finish();
}

/// Pages that repeat the values of a table larger than the cache, in the order they were first
/// interned (as the pod names and label texts of masu's daily files do from day to day): plain
/// lookups against lookups that first guess the id after the previous value's.
fn bench_intern_repeated_pages(c: &mut Criterion) {
    const DISTINCT: usize = 70_000;
    let texts: Vec<String> = (0..DISTINCT)
        .map(|i| format!(r#"{{"app":"app-{i}","team":"team-{}","tier":"t"}}"#, i % 97))
        .collect();
    let mut group = c.benchmark_group("intern_repeated_pages");
    group.throughput(Throughput::Elements(DISTINCT as u64));
    let mut plain = Interner::new();
    for t in &texts {
        plain.intern(t.as_bytes());
    }
    let mut guessing = plain.clone();
    group.bench_function("try_intern", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(plain.try_intern(t.as_bytes()).unwrap());
            }
        });
    });
    group.bench_function("try_intern_after", |b| {
        b.iter(|| {
            let mut prev = None;
            for t in &texts {
                prev = Some(guessing.try_intern_after(t.as_bytes(), prev).unwrap());
            }
            black_box(prev)
        });
    });
    group.finish();
}

/// The same repeated pages read by two threads at once, as two workers do: pages of 1,000
/// values through one `Mutex<Interner>` (the lock taken once per page, as the catalog did), against
/// the lock-free lookups of a [`SharedInterner`]. Also one thread alone, and interning new
/// strings, where the shared table pays for its atomics and chunked storage.
fn bench_shared_intern(c: &mut Criterion) {
    const DISTINCT: usize = 70_000;
    const PAGE: usize = 1_000;
    let texts: Vec<String> = (0..DISTINCT)
        .map(|i| format!(r#"{{"app":"app-{i}","team":"team-{}","tier":"t"}}"#, i % 97))
        .collect();
    let mutexed = std::sync::Mutex::new(Interner::new());
    let shared = SharedInterner::new();
    for t in &texts {
        mutexed.lock().unwrap().intern(t.as_bytes());
        shared.intern(t.as_bytes());
    }
    let by_mutex = |texts: &[String]| {
        let mut prev = None;
        for page in texts.chunks(PAGE) {
            let mut table = mutexed.lock().unwrap();
            for t in page {
                prev = Some(table.try_intern_after(t.as_bytes(), prev).unwrap());
            }
        }
        prev
    };
    let by_shared = |texts: &[String]| {
        let mut prev = None;
        for t in texts {
            prev = Some(shared.lookup_after(t.as_bytes(), prev).unwrap());
        }
        prev
    };
    let mut group = c.benchmark_group("shared_intern");
    group.throughput(Throughput::Elements(2 * DISTINCT as u64));
    group.bench_function("two_threads/mutex_per_page", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                [s.spawn(|| by_mutex(&texts)), s.spawn(|| by_mutex(&texts))]
                    .map(|h| h.join().unwrap())
            })
        });
    });
    group.bench_function("two_threads/shared", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                [s.spawn(|| by_shared(&texts)), s.spawn(|| by_shared(&texts))]
                    .map(|h| h.join().unwrap())
            })
        });
    });
    group.throughput(Throughput::Elements(DISTINCT as u64));
    group.bench_function("one_thread/mutex_per_page", |b| {
        b.iter(|| black_box(by_mutex(&texts)))
    });
    group.bench_function("one_thread/shared", |b| {
        b.iter(|| black_box(by_shared(&texts)))
    });
    group.bench_function("new_strings/interner", |b| {
        b.iter(|| {
            let mut interner = Interner::new();
            texts.iter().for_each(|t| {
                black_box(interner.intern(t.as_bytes()));
            });
            interner.len()
        });
    });
    group.bench_function("new_strings/shared", |b| {
        b.iter(|| {
            let interner = SharedInterner::new();
            let mut writer = interner.writer();
            texts.iter().for_each(|t| {
                black_box(writer.try_intern(t.as_bytes()).unwrap());
            });
            drop(writer);
            interner.len()
        });
    });
    group.finish();
}

/// A day's pod groups met again in the order they were added, keyed by a mostly unique label set
/// id: the direct index against a hash map of the whole key.
fn bench_direct_index(c: &mut Criterion) {
    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    struct Key {
        day: i32,
        namespace: u32,
        node: u32,
        labels: u32,
    }
    impl DirectKey for Key {
        fn direct(&self) -> u32 {
            self.labels
        }
    }
    const GROUPS: u32 = 70_000;
    let keys: Vec<Key> = (0..GROUPS)
        .map(|i| Key {
            day: 3,
            namespace: i / 35,
            node: i / 1400,
            labels: i,
        })
        .collect();
    let mut group = c.benchmark_group("group_index");
    group.throughput(Throughput::Elements(u64::from(GROUPS)));
    let mut map = hashbrown::HashMap::new();
    let mut direct = DirectIndex::default();
    for (i, k) in keys.iter().enumerate() {
        map.insert(*k, i as u32);
        direct.insert(*k);
    }
    group.bench_function("hash_map", |b| {
        b.iter(|| keys.iter().map(|k| map[k]).fold(0u32, u32::wrapping_add))
    });
    group.bench_function("direct_index", |b| {
        b.iter(|| (keys.iter().map(|k| direct.insert(*k).0)).fold(0u32, u32::wrapping_add))
    });
    group.finish();
}

const KEYS: [&str; 20] = [
    "app",
    "tier",
    "environment",
    "team",
    "cost-center",
    "version",
    "component",
    "owner",
    "release",
    "region",
    "zone",
    "instance-type",
    "managed-by",
    "part-of",
    "name",
    "project",
    "customer",
    "service",
    "stage",
    "openshift.io/cluster-monitoring",
];

/// `n` label objects with 10–20 keys, written like Python's `json.dumps`.
fn label_docs(n: usize, rng: &mut Rng) -> Vec<String> {
    (0..n)
        .map(|_| {
            let keys = 10 + rng.below(11) as usize;
            let body: Vec<String> = KEYS[..keys]
                .iter()
                .map(|k| format!("\"{k}\": \"value-{}\"", rng.below(50)))
                .collect();
            format!("{{{}}}", body.join(", "))
        })
        .collect()
}

fn bench_labels(c: &mut Criterion) {
    const N: usize = 2_000;
    let mut rng = Rng(7);
    let docs = label_docs(N, &mut rng);
    let total_bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let mut group = c.benchmark_group("labels");
    for enabled_count in [5usize, 10] {
        let enabled = EnabledKeys::new(KEYS.iter().step_by(2).take(enabled_count));
        let mut parser = LabelParser::new();
        let mut values = Interner::new();
        let mut out = Vec::new();
        group.throughput(Throughput::Elements(N as u64));
        group.bench_function(BenchmarkId::new("parse_filtered", enabled_count), |b| {
            b.iter(|| {
                for doc in &docs {
                    parser
                        .parse_filtered(doc.as_bytes(), &enabled, &mut values, &mut out)
                        .unwrap();
                    black_box(out.len());
                }
            });
        });
        group.throughput(Throughput::Bytes(total_bytes));
        group.bench_function(
            BenchmarkId::new("parse_filtered_bytes", enabled_count),
            |b| {
                b.iter(|| {
                    for doc in &docs {
                        parser
                            .parse_filtered(doc.as_bytes(), &enabled, &mut values, &mut out)
                            .unwrap();
                        black_box(out.len());
                    }
                });
            },
        );
    }

    // Enabled-key filtering alone: the key lookups the parser does for each pair.
    let enabled = EnabledKeys::new(KEYS.iter().step_by(3));
    let probes: Vec<&str> = (0..N * 10).map(|_| KEYS[rng.below(20) as usize]).collect();
    group.throughput(Throughput::Elements(probes.len() as u64));
    group.bench_function("enabled_key_lookup", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter(|k| enabled.lookup(black_box(k.as_bytes())).is_some())
                .count()
        });
    });

    // Set interning of parsed label arrays.
    let enabled = EnabledKeys::new(KEYS.iter().take(8));
    let mut parser = LabelParser::new();
    let mut values = Interner::new();
    let mut out = Vec::new();
    let parsed: Vec<Vec<Label>> = docs
        .iter()
        .map(|d| {
            parser
                .parse_filtered(d.as_bytes(), &enabled, &mut values, &mut out)
                .unwrap();
            out.clone()
        })
        .collect();
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("label_sets_intern", |b| {
        b.iter(|| {
            let mut sets = LabelSets::new();
            for labels in &parsed {
                black_box(sets.intern(labels));
            }
            sets.len()
        });
    });
    group.finish();

    // merge3 over node / namespace / pod label arrays of those shapes.
    let mut group = c.benchmark_group("merge");
    let triples: Vec<(&[Label], &[Label], &[Label])> = (0..N)
        .map(|i| {
            let p = |j: usize| parsed[(i * 7 + j) % N].as_slice();
            (p(0), p(1), p(2))
        })
        .collect();
    let (mut scratch, mut merged) = (Vec::new(), Vec::new());
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("merge3", |b| {
        b.iter(|| {
            for &(node, ns, pod) in &triples {
                merge3(node, ns, pod, &mut scratch, &mut merged);
                black_box(merged.len());
            }
        });
    });
    group.finish();
}

fn bench_like(c: &mut Criterion) {
    const N: usize = 10_000;
    let mut rng = Rng(99);
    let prefixes = ["openshift-", "kube-", "app-", "team-a-", "monitoring"];
    let names: Vec<String> = (0..N)
        .map(|_| {
            format!(
                "{}{}-{:x}",
                prefixes[rng.below(5) as usize],
                ["system", "apps", "logging", "db"][rng.below(4) as usize],
                rng.below(1 << 20)
            )
        })
        .collect();
    let mut group = c.benchmark_group("like");
    group.throughput(Throughput::Elements(N as u64));
    for pattern in [
        "openshift-%",
        "%-logging-%",
        "kube-system",
        "%a_p%-%s",
        "team-_-%db%",
    ] {
        let compiled = LikePattern::new(pattern);
        group.bench_with_input(BenchmarkId::from_parameter(pattern), &names, |b, names| {
            b.iter(|| {
                names
                    .iter()
                    .filter(|s| compiled.matches(s.as_bytes()))
                    .count()
            });
        });
    }
    group.finish();
}

/// DELTA_BINARY_PACKED as writers lay it out: blocks of 128 values, 4 miniblocks of 32, each at
/// the width of its largest delta over the block's minimum, the last one padded.
fn delta_stream(values: &[i64]) -> Vec<u8> {
    let zigzag = |v: i64| ((v << 1) ^ (v >> 63)) as u64;
    let mut out = Vec::new();
    for v in [128, 4, values.len() as u64] {
        put_uleb(&mut out, v);
    }
    put_uleb(&mut out, zigzag(values.first().copied().unwrap_or(0)));
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    for block in deltas.chunks(128) {
        let min = *block.iter().min().unwrap();
        put_uleb(&mut out, zigzag(min));
        let minis: Vec<&[i64]> = block.chunks(32).collect();
        let widths: Vec<usize> = minis
            .iter()
            .map(|m| {
                let max = m.iter().map(|d| d.wrapping_sub(min) as u64).max().unwrap();
                (64 - max.leading_zeros()) as usize
            })
            .collect();
        for m in 0..4 {
            out.push(widths.get(m).copied().unwrap_or(0) as u8);
        }
        for (mini, &w) in minis.iter().zip(&widths) {
            let mut bytes = vec![0u8; 32 * w / 8];
            for (i, d) in mini.iter().enumerate() {
                let v = d.wrapping_sub(min) as u64;
                for b in 0..w {
                    if (v >> b) & 1 == 1 {
                        bytes[(i * w + b) / 8] |= 1 << ((i * w + b) % 8);
                    }
                }
            }
            out.extend_from_slice(&bytes);
        }
    }
    out
}

fn bench_value_encodings(c: &mut Criterion) {
    const N: usize = 64 * 1024;
    let mut rng = Rng(0xde17a);
    let mut group = c.benchmark_group("delta_decode");
    group.throughput(Throughput::Elements(N as u64));
    let start = 1_700_000_000_000i64;
    let cases: [(&str, Vec<i64>); 3] = [
        // Hourly timestamps: every miniblock 0 bits wide.
        (
            "hourly",
            (0..N as i64).map(|i| start + i * 3_600_000).collect(),
        ),
        // Timestamps with up to a second of jitter: ~10-bit miniblocks.
        (
            "jitter",
            (0..N as i64)
                .map(|i| start + i * 3_600_000 + rng.below(1000) as i64)
                .collect(),
        ),
        ("random64", (0..N).map(|_| rng.next() as i64).collect()),
    ];
    for (name, values) in &cases {
        let data = delta_stream(values);
        let mut out = Vec::with_capacity(N);
        group.bench_with_input(BenchmarkId::new("i64", name), &data, |b, data| {
            b.iter(|| {
                out.clear();
                delta::decode_i64(black_box(data), N, &mut out).unwrap();
                black_box(out.len())
            });
        });
    }
    // Label-ish strings of 0..60 bytes: lengths through the delta kernel, then the slices.
    let strings: Vec<Vec<u8>> = (0..N).map(|_| vec![b'a'; rng.below(60) as usize]).collect();
    let lengths: Vec<i64> = strings.iter().map(|s| s.len() as i64).collect();
    let mut data = delta_stream(&lengths);
    for s in &strings {
        data.extend_from_slice(s);
    }
    let mut scratch = Vec::new();
    group.bench_function("length_byte_array", |b| {
        b.iter(|| {
            let mut total = 0usize;
            delta::decode_length_byte_array(black_box(&data), N, &mut scratch, |v| {
                total += v.len()
            })
            .unwrap();
            black_box(total)
        });
    });
    // Sorted pod-like names sharing long prefixes (what DELTA_BYTE_ARRAY is for): prefix lengths
    // against the previous value, then the suffixes as a DELTA_LENGTH_BYTE_ARRAY stream.
    let mut names: Vec<Vec<u8>> = (0..N)
        .map(|_| {
            format!(
                "openshift-ns-{:03}/pod-{:05}-{:x}",
                rng.below(40),
                rng.below(20_000),
                rng.next() & 0xffff
            )
            .into_bytes()
        })
        .collect();
    names.sort();
    let mut prefixes = Vec::with_capacity(N);
    let mut previous: &[u8] = &[];
    for name in &names {
        let common = previous
            .iter()
            .zip(name)
            .take_while(|(a, b)| a == b)
            .count();
        prefixes.push(common as i64);
        previous = name;
    }
    let suffix_lengths: Vec<i64> = names
        .iter()
        .zip(&prefixes)
        .map(|(n, &p)| n.len() as i64 - p)
        .collect();
    let mut data = delta_stream(&prefixes);
    data.extend_from_slice(&delta_stream(&suffix_lengths));
    for (name, &p) in names.iter().zip(&prefixes) {
        data.extend_from_slice(&name[p as usize..]);
    }
    let mut scratch = delta::ByteArrayScratch::default();
    group.bench_function("byte_array", |b| {
        b.iter(|| {
            let mut total = 0usize;
            delta::decode_byte_array(black_box(&data), N, &mut scratch, |v| total += v.len())
                .unwrap();
            black_box(total)
        });
    });
    group.finish();

    // INT96 timestamps (Spark, Hive): hourly instants as (nanoseconds of the day, Julian day).
    let mut group = c.benchmark_group("int96");
    group.throughput(Throughput::Elements(N as u64));
    let mut data = Vec::with_capacity(N * int96::WIDTH);
    for i in 0..N as i64 {
        let ms = start + i * 3_600_000 + rng.below(1000) as i64;
        let day = ms.div_euclid(86_400_000) + int96::JULIAN_DAY_OF_EPOCH;
        let nanos = ms.rem_euclid(86_400_000) * 1_000_000;
        data.extend_from_slice(&nanos.to_le_bytes());
        data.extend_from_slice(&(day as i32).to_le_bytes());
    }
    let mut out = Vec::with_capacity(N);
    group.bench_function("plain", |b| {
        b.iter(|| {
            out.clear();
            int96::decode_plain(black_box(&data), N, &mut out).unwrap();
            black_box(out.len())
        });
    });
    group.finish();

    let mut group = c.benchmark_group("byte_stream_split");
    group.throughput(Throughput::Elements(N as u64));
    let doubles: Vec<f64> = (0..N).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
    let mut data = vec![0u8; N * 8];
    for (i, d) in doubles.iter().enumerate() {
        for (k, byte) in d.to_le_bytes().into_iter().enumerate() {
            data[k * N + i] = byte;
        }
    }
    let mut out = Vec::with_capacity(N);
    group.bench_function("f64", |b| {
        b.iter(|| {
            out.clear();
            split::decode_f64(black_box(&data), N, &mut out).unwrap();
            black_box(out.len())
        });
    });
    group.finish();
}

/// The page headers of one column chunk the `parquet` crate wrote: 200 data pages with
/// statistics (a binary min and max each) after a dictionary page, walked header by header.
fn bench_page_header(c: &mut Criterion) {
    use ocp_summary_kernels::page_header::parse_page_header;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let schema = Arc::new(parse_message_type("message m { required binary s (UTF8); }").unwrap());
    let props = WriterProperties::builder()
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_write_page_header_statistics(true)
        .set_data_page_row_count_limit(100)
        .set_write_batch_size(100)
        .build();
    let values: Vec<ByteArray> = (0..20_000)
        .map(|i| ByteArray::from(format!("namespace-{}", i % 300).into_bytes()))
        .collect();
    let mut file = Vec::new();
    let mut w = SerializedFileWriter::new(&mut file, schema, Arc::new(props)).unwrap();
    let mut rg = w.next_row_group().unwrap();
    let mut col = rg.next_column().unwrap().unwrap();
    col.typed::<ByteArrayType>()
        .write_batch(&values, None, None)
        .unwrap();
    col.close().unwrap();
    rg.close().unwrap();
    w.close().unwrap();
    let file = bytes::Bytes::from(file);
    let reader = SerializedFileReader::new(file.clone()).unwrap();
    let meta = reader.metadata().row_group(0).column(0);
    let start = meta
        .dictionary_page_offset()
        .unwrap_or(meta.data_page_offset()) as usize;
    let chunk = file.slice(start..start + meta.compressed_size() as usize);
    let walk = |chunk: &[u8]| {
        let (mut pos, mut pages) = (0, 0u64);
        while pos < chunk.len() {
            let (h, used) = parse_page_header(&chunk[pos..]).unwrap();
            pos += used + h.compressed_size as usize;
            pages += 1;
        }
        pages
    };
    let pages = walk(&chunk);
    assert!(pages > 150, "{pages} pages");
    let mut group = c.benchmark_group("page_header");
    group.throughput(Throughput::Elements(pages));
    group.bench_function("parse_chunk_headers", |b| {
        b.iter(|| black_box(walk(black_box(&chunk))))
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_rle,
    bench_dict_gather,
    bench_validity,
    bench_intern,
    bench_intern_repeated_pages,
    bench_shared_intern,
    bench_direct_index,
    bench_labels,
    bench_like,
    bench_value_encodings,
    bench_page_header
);
criterion_main!(benches);
