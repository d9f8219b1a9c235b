//! Whole summary rows through the PGCOPY encoder (`pgcopy::encode_row`), read back by a decoder
//! written here from PostgreSQL's binary COPY format: signature, flags and extension length; per
//! tuple an i16 field count; per field an i32 length (-1 = NULL) and the type's `send` form (uuid,
//! int4, text, date, jsonb version 1, numeric). Every field must come back as the row held it, with
//! numerics equal to the decimal the encoder meant (`pgcopy::scaled`, the rounding that
//! `pgcopy_numeric` checks on its own), and a row holding a value numeric(33,15) cannot hold must
//! be refused with that value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_engine::catalog::{NULL_ID, NULL_SET};
use ocp_summary_engine::value::Day;
use ocp_summary_engine::rows::{DataSource, SummaryRow};
use ocp_summary_engine::value::OptF64;
use ocp_summary_engine::sink::pgcopy::{
    encode_row, scaled, EncodeError, RunFields, HEADER, SCALE, TRAILER,
};
use ocp_summary_engine::plan::RowConstants;
use ocp_summary_engine::render::INFRASTRUCTURE_USAGE_COST;
use ocp_summary_engine::sink::columns::COLUMNS;

/// Fuzz bytes as a stream of choices; past the end every read is 0.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a.to_vec()
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }
    fn i32(&mut self) -> i32 {
        self.u32() as i32
    }
    fn opt_i32(&mut self) -> Option<i32> {
        (self.u8() & 1 == 1).then(|| self.i32())
    }
    /// Short byte strings, sometimes empty.
    fn text(&mut self) -> Vec<u8> {
        let n = usize::from(self.u8() % 24);
        self.take(n)
    }
    /// A string id: NULL or an index into a table of `n` entries.
    fn id(&mut self, n: usize, null: u32) -> u32 {
        let b = self.u8();
        if b & 0x80 != 0 || n == 0 {
            null
        } else {
            u32::from(b) % n as u32
        }
    }
    /// NULL, a value like the summary's (a small integer over a power of ten), an extreme one
    /// (±0, subnormal, halfway cases, near 1e18) or any bit pattern (NaN, ±Inf, huge, tiny).
    fn num(&mut self) -> OptF64 {
        let v = match self.u8() % 8 {
            0 | 1 => return OptF64::NULL,
            2..=4 => f64::from(self.i32()) / 10f64.powi(i32::from(self.u8() % 24)),
            5 => [
                0.0,
                -0.0,
                5e-16,
                -5e-16,
                4.9999999999999996e-16,
                f64::MIN_POSITIVE,
                5e-324,
                999_999_999_999_999_900.0,
                -999_999_999_999_999_900.0,
                1e18,
                0.1 + 0.2,
                1.0000000000000005,
                123456789.12345678,
            ][usize::from(self.u8() % 13)],
            _ => f64::from_bits(self.u64()),
        };
        OptF64::from(Some(v))
    }
}

/// First and last day a plan can ask for (`--year` 1900..=9999).
fn day_range() -> (i32, i32) {
    (
        Day::from_ymd(1900, 1, 1).unwrap().0,
        Day::from_ymd(9999, 12, 31).unwrap().0,
    )
}

/// The numeric(33,15) columns, in the order of the row's values: pod, capacity, storage.
const NUMERIC_COLUMNS: [&str; 18] = [
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_effective_usage_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours",
    "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
];

/// One field as a reader sees it.
type Field<'a> = Option<&'a [u8]>;

/// Reads a whole stream into tuples; `Err` says what is malformed.
fn read_stream(s: &[u8]) -> Result<Vec<Vec<Field<'_>>>, String> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let end = at.checked_add(n).filter(|&e| e <= s.len());
        let end = end.ok_or_else(|| format!("{n} bytes wanted at {at} of {}", s.len()))?;
        let b = &s[at..end];
        at = end;
        Ok(b)
    };
    if take(11)? != b"PGCOPY\n\xff\r\n\0" {
        return Err("signature".into());
    }
    if take(4)? != [0, 0, 0, 0] {
        return Err("flags".into());
    }
    let ext = u32::from_be_bytes(take(4)?.try_into().unwrap());
    take(ext as usize)?;
    let mut tuples = Vec::new();
    loop {
        let count = i16::from_be_bytes(take(2)?.try_into().unwrap());
        if count == -1 {
            break;
        }
        if count < 0 {
            return Err(format!("field count {count}"));
        }
        let mut fields = Vec::new();
        for _ in 0..count {
            let len = i32::from_be_bytes(take(4)?.try_into().unwrap());
            fields.push(match len {
                -1 => None,
                n if n < 0 => return Err(format!("field length {n}")),
                n => Some(take(n as usize)?),
            });
        }
        tuples.push(fields);
    }
    if at != s.len() {
        return Err(format!("{} bytes after the trailer", s.len() - at));
    }
    Ok(tuples)
}

fn int4(f: Field<'_>) -> Option<i32> {
    f.map(|b| i32::from_be_bytes(b.try_into().expect("int4 is 4 bytes")))
}

fn jsonb(f: Field<'_>) -> Option<&[u8]> {
    f.map(|b| {
        assert_eq!(b.first(), Some(&1), "jsonb version byte");
        &b[1..]
    })
}

/// A numeric field as a decimal string with exactly its dscale digits after the point, checking
/// the form PostgreSQL's `numeric_send` gives: canonical digits, sign 0 or 0x4000, no -0.
fn numeric(f: Field<'_>) -> Option<String> {
    let b = f?;
    assert!(b.len() >= 8, "numeric header");
    let at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let (ndigits, weight, sign, dscale) = (
        usize::from(at(0)),
        i32::from(at(2) as i16),
        at(4),
        usize::from(at(6)),
    );
    assert_eq!(b.len(), 8 + 2 * ndigits, "numeric length");
    assert_eq!(dscale, SCALE as usize, "dscale");
    let digits: Vec<u16> = (0..ndigits).map(|i| at(8 + 2 * i)).collect();
    assert!(digits.iter().all(|&d| d < 10_000), "base-10000 digit");
    if ndigits == 0 {
        assert_eq!((weight, sign), (0, 0), "zero is plain");
    } else {
        assert_ne!(digits[0], 0, "leading zero digit");
        assert_ne!(digits[ndigits - 1], 0, "trailing zero digit");
        // Nothing below the scale: the last digit's weight covers at most 4 more decimals.
        let last_weight = weight - ndigits as i32 + 1;
        assert!(-4 * last_weight <= 16, "digits below the scale");
        if -4 * last_weight == 16 {
            assert_eq!(digits[ndigits - 1] % 10, 0, "a 16th decimal");
        }
    }
    // Decimal digits by place value: 4 per base-10000 digit, place 0 = units.
    let mut places = std::collections::BTreeMap::new();
    for (i, d) in digits.iter().enumerate() {
        let w = weight - i as i32;
        for (k, c) in format!("{d:04}").bytes().enumerate() {
            places.insert(4 * w + 3 - k as i32, c);
        }
    }
    let top = places.keys().next_back().copied().unwrap_or(0).max(0);
    let mut int: String = (0..=top)
        .rev()
        .map(|p| *places.get(&p).unwrap_or(&b'0') as char)
        .collect();
    let trimmed = int.trim_start_matches('0').len();
    int.drain(..int.len() - trimmed.max(1));
    let frac: String = (1..=dscale as i32)
        .map(|p| *places.get(&-p).unwrap_or(&b'0') as char)
        .collect();
    let sign = match sign {
        0 => "",
        0x4000 => {
            assert!(ndigits > 0, "negative zero");
            "-"
        }
        s => panic!("numeric sign {s:#x}"),
    };
    Some(format!("{sign}{int}.{frac}"))
}

/// The decimal the encoder means for `v` (`None` for NULL), or the value it must refuse.
fn meant(v: OptF64) -> Result<Option<String>, f64> {
    let Some(v) = v.get() else { return Ok(None) };
    let (neg, n) = scaled(v).map_err(|_| v)?;
    let unit = 10u128.pow(SCALE as u32);
    let sign = if neg { "-" } else { "" };
    Ok(Some(format!(
        "{sign}{}.{:0w$}",
        n / unit,
        n % unit,
        w = SCALE as usize
    )))
}

struct Input {
    run_period: Option<i32>,
    cluster_id: String,
    cluster_alias: String,
    source_uuid: [u8; 16],
    strings: Vec<Vec<u8>>,
    labels: Vec<Vec<u8>>,
    rows: Vec<(SummaryRow, [u8; 16])>,
}

fn input(data: &[u8]) -> Input {
    let mut b = Bytes(data);
    let run_period = b.opt_i32();
    let cluster_id = String::from_utf8_lossy(&b.text()).into_owned();
    let cluster_alias = String::from_utf8_lossy(&b.text()).into_owned();
    let source_uuid: [u8; 16] = b.take(16).try_into().unwrap_or([7; 16]);
    let strings: Vec<Vec<u8>> = (0..b.u8() % 6).map(|_| b.text()).collect();
    // Set 0 is always there: `all_labels` is set 0 (`{}`) when both maps are NULL.
    let labels: Vec<Vec<u8>> = (0..1 + b.u8() % 4).map(|_| b.text()).collect();
    let (first, last) = day_range();
    let mut rows = Vec::new();
    while !b.0.is_empty() && rows.len() < 16 {
        let source = if b.u8() & 1 == 0 {
            DataSource::Pod
        } else {
            DataSource::Storage
        };
        let day = first + (b.u32() % (last - first + 1) as u32) as i32;
        let mut r = SummaryRow::empty(source, Day(day));
        let n = strings.len();
        r.namespace = b.id(n, NULL_ID);
        r.node = b.id(n, NULL_ID);
        r.resource_id = b.id(n, NULL_ID);
        r.pod_labels = b.id(labels.len(), NULL_SET);
        r.volume_labels = b.id(labels.len(), NULL_SET);
        for v in &mut r.pod {
            *v = b.num();
        }
        r.node_capacity_cpu_cores = b.num();
        r.node_capacity_cpu_core_hours = b.num();
        r.node_capacity_memory_gigabytes = b.num();
        r.node_capacity_memory_gigabyte_hours = b.num();
        r.cluster_capacity_cpu_core_hours = b.num();
        r.cluster_capacity_memory_gigabyte_hours = b.num();
        r.persistentvolumeclaim = b.id(n, NULL_ID);
        r.persistentvolume = b.id(n, NULL_ID);
        r.storageclass = b.id(n, NULL_ID);
        for v in &mut r.storage {
            *v = b.num();
        }
        r.has_infrastructure_usage_cost = b.u8() & 1 == 1;
        r.cost_category_id = b.opt_i32();
        let uuid: [u8; 16] = b.take(16).try_into().unwrap_or([0; 16]);
        rows.push((r, uuid));
    }
    Input {
        run_period,
        cluster_id,
        cluster_alias,
        source_uuid,
        strings,
        labels,
        rows,
    }
}

fuzz_target!(|data: &[u8]| {
    let inp = input(data);
    let constants = RowConstants {
        report_period_id: inp.run_period,
        cluster_id: inp.cluster_id.clone(),
        cluster_alias: inp.cluster_alias.clone(),
        // The text form is the CSV's; the binary stream takes the parsed bytes below.
        source_uuid: String::new(),
    };
    let run = RunFields {
        constants: &constants,
        source_uuid: inp.source_uuid,
    };
    let string = |id: u32| inp.strings[id as usize].as_slice();
    let label_json = |id: u32| inp.labels[id as usize].as_slice();
    let mut stream = HEADER.to_vec();
    let mut written = Vec::new();
    for (r, uuid) in &inp.rows {
        let nums: Vec<OptF64> = r
            .pod
            .iter()
            .copied()
            .chain(r.capacities())
            .chain(r.storage)
            .collect();
        let meant: Result<Vec<Option<String>>, f64> = nums.into_iter().map(meant).collect();
        let mut tuple = Vec::new();
        match (
            encode_row(r, *uuid, &run, string, label_json, &mut tuple),
            meant,
        ) {
            (Ok(()), Ok(nums)) => {
                stream.extend_from_slice(&tuple);
                written.push((r, uuid, nums));
            }
            (Err(EncodeError::Numeric(got)), Err(want)) => {
                assert_eq!(got.to_bits(), want.to_bits(), "refused another value")
            }
            (got, want) => panic!("encoder {got:?}, expected {want:?}"),
        }
    }
    stream.extend_from_slice(TRAILER);

    let tuples = read_stream(&stream).unwrap_or_else(|e| panic!("malformed stream: {e}"));
    assert_eq!(tuples.len(), written.len(), "tuple count");
    let text = |id: u32| (id != NULL_ID).then(|| inp.strings[id as usize].as_slice());
    let set = |id: u32| (id != NULL_SET).then(|| inp.labels[id as usize].as_slice());
    for (t, (r, uuid, nums)) in tuples.iter().zip(written) {
        assert_eq!(t.len(), COLUMNS.len(), "field count");
        let checked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let col = |name: &'static str| {
            checked.borrow_mut().insert(name);
            t[COLUMNS.iter().position(|c| c.name == name).expect(name)]
        };
        assert_eq!(col("uuid"), Some(&uuid[..]));
        assert_eq!(int4(col("report_period_id")), inp.run_period);
        assert_eq!(col("cluster_id"), Some(inp.cluster_id.as_bytes()));
        assert_eq!(col("cluster_alias"), Some(inp.cluster_alias.as_bytes()));
        assert_eq!(col("data_source"), Some(r.data_source.as_str().as_bytes()));
        // date: days since 2000-01-01.
        for c in ["usage_start", "usage_end"] {
            assert_eq!(int4(col(c)).map(|d| d + 10_957), Some(r.day.0), "{c}");
        }
        assert_eq!(col("namespace"), text(r.namespace));
        assert_eq!(col("node"), text(r.node));
        assert_eq!(col("resource_id"), text(r.resource_id));
        assert_eq!(col("persistentvolumeclaim"), text(r.persistentvolumeclaim));
        assert_eq!(col("persistentvolume"), text(r.persistentvolume));
        assert_eq!(col("storageclass"), text(r.storageclass));
        assert_eq!(jsonb(col("pod_labels")), set(r.pod_labels));
        assert_eq!(jsonb(col("volume_labels")), set(r.volume_labels));
        // Koku's all_labels: the pod labels, else the volume labels, else `{}` (set 0).
        let all = match (r.pod_labels, r.volume_labels) {
            (NULL_SET, NULL_SET) => 0,
            (NULL_SET, v) => v,
            (p, _) => p,
        };
        assert_eq!(jsonb(col("all_labels")), set(all));
        assert_eq!(NUMERIC_COLUMNS.len(), nums.len());
        for (c, want) in NUMERIC_COLUMNS.iter().zip(&nums) {
            assert_eq!(&numeric(col(c)), want, "{c}");
        }
        assert_eq!(col("source_uuid"), Some(&inp.source_uuid[..]));
        let cost = jsonb(col("infrastructure_usage_cost"));
        assert_eq!(
            cost,
            r.has_infrastructure_usage_cost
                .then_some(INFRASTRUCTURE_USAGE_COST.as_bytes())
        );
        assert_eq!(int4(col("cost_category_id")), r.cost_category_id);
        assert_eq!(
            checked.borrow().len(),
            COLUMNS.len(),
            "a column left unchecked"
        );
    }
});
