//! PostgreSQL's binary `COPY` format (`COPY ... FROM STDIN (FORMAT binary)`), encoded straight from
//! [`SummaryRow`]s.
//!
//! The stream is the 11-byte signature `PGCOPY\n\377\r\n\0`, a flags word and a header-extension
//! length (both 0), then one tuple per row: an i16 field count and, per field, an i32 byte length
//! (-1 for NULL) and the type's binary `send` form; a -1 field count ends it. All integers are
//! big-endian. Column order and types follow [`super::columns::COLUMNS`] and spec §10.1:
//!
//! | type | bytes |
//! |---|---|
//! | uuid | 16 raw bytes (random v4 for `uuid`, the plan's source for `source_uuid`) |
//! | int4 | 4 |
//! | varchar/text | UTF-8 |
//! | date | i32 days since 2000-01-01 |
//! | jsonb | version byte 1, then the JSON text |
//! | numeric | ndigits, weight, sign, dscale (i16 each), then base-10000 digits |
//!
//! Numbers become numeric(33,15) as Trino's DOUBLE→DECIMAL cast does (spec §11): the double's shortest
//! round-trip decimal, rounded half-up to 15 fractional digits.

use super::columns::{Value, COLUMNS};
use super::output::{RowSink, SinkSummary};
use super::uuid::UuidGen;
use crate::catalog::{NULL_ID, NULL_SET};
use crate::error::{Error, InputError, SinkError};
use crate::plan::RowConstants;
use crate::render::{RenderContext, INFRASTRUCTURE_USAGE_COST};
use crate::rows::SummaryRow;
use crate::value::OptF64;
use std::io::Write;

/// The 11-byte signature, flags and header-extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a tuple with field count -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// `Day` counts from 1970-01-01, PostgreSQL dates from 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;
/// Fractional digits of numeric(33,15).
pub const SCALE: i16 = 15;
/// 10^33: the first magnitude numeric(33,15) cannot hold, in units of 1e-15.
const LIMIT: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;

/// A value the binary format cannot carry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("the value {0} does not fit numeric(33,15)")]
    Numeric(f64),
    #[error("source {0:?} is not a uuid (source_uuid is a uuid column)")]
    SourceUuid(String),
}

/// Parses `8-4-4-4-12` hex (case-insensitive, braces and hyphens optional) into 16 bytes.
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s
        .trim_matches(|c| c == '{' || c == '}')
        .bytes()
        .filter(|&c| c != b'-')
        .collect();
    if hex.len() != 32 {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

/// `v` in units of 1e-15, rounded half-up from its shortest round-trip decimal: (negative, magnitude).
pub fn scaled(v: f64) -> Result<(bool, u128), EncodeError> {
    if !v.is_finite() {
        return Err(EncodeError::Numeric(v));
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponent")),
        None => (text, 0),
    };
    // value = digits × 10^(exp - fraction digits); ryu gives at most 17 significant digits.
    let mut digits: u128 = 0;
    let mut frac = 0i32;
    let mut after_point = false;
    for c in mantissa.bytes() {
        match c {
            b'.' => after_point = true,
            b'0'..=b'9' => {
                digits = digits * 10 + u128::from(c - b'0');
                frac += i32::from(after_point);
            }
            _ => unreachable!("ryu output {text:?}"),
        }
    }
    let shift = exp - frac + i32::from(SCALE);
    let n = if shift >= 0 {
        10u128
            .checked_pow(shift as u32)
            .and_then(|p| digits.checked_mul(p))
            .filter(|&n| n < LIMIT)
            .ok_or(EncodeError::Numeric(v))?
    } else if -shift > 20 {
        0 // digits < 10^18, so the value is below half a unit
    } else {
        let p = 10u128.pow((-shift) as u32);
        let (q, r) = (digits / p, digits % p);
        q + u128::from(2 * r >= p)
    };
    if n >= LIMIT {
        return Err(EncodeError::Numeric(v));
    }
    Ok((neg && n != 0, n))
}

/// Appends the numeric(33,15) field (length word included) for `v`.
pub fn write_numeric(v: f64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (neg, n) = scaled(v)?;
    // 16 fractional decimal digits = four base-10000 groups; group i has weight i - 4.
    let mut groups = [0u16; 10];
    let mut rest = n * 10;
    let mut len = 0;
    while rest > 0 {
        groups[len] = (rest % 10_000) as u16;
        rest /= 10_000;
        len += 1;
    }
    let low = groups[..len].iter().position(|&g| g != 0).unwrap_or(len);
    let ndigits = len - low;
    let weight = if ndigits == 0 { 0 } else { len as i16 - 5 };
    out.extend_from_slice(&(8 + 2 * ndigits as i32).to_be_bytes());
    out.extend_from_slice(&(ndigits as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&(if neg { 0x4000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&SCALE.to_be_bytes());
    for g in groups[low..len].iter().rev() {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as i32).to_be_bytes());
    out.extend_from_slice(b);
}

fn jsonb(out: &mut Vec<u8>, json: &[u8]) {
    out.extend_from_slice(&(json.len() as i32 + 1).to_be_bytes());
    out.push(1);
    out.extend_from_slice(json);
}

fn int4(out: &mut Vec<u8>, v: Option<i32>) {
    match v {
        Some(v) => {
            out.extend_from_slice(&4i32.to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        None => null(out),
    }
}

fn numeric(out: &mut Vec<u8>, v: OptF64) -> Result<(), EncodeError> {
    match v.get() {
        Some(v) => write_numeric(v, out),
        None => {
            null(out);
            Ok(())
        }
    }
}

/// Encodes rows as binary COPY tuples; the caller writes [`HEADER`] first and [`TRAILER`] last.
pub struct PgCopyEncoder {
    uuids: UuidGen,
    source_uuid: [u8; 16],
}

impl PgCopyEncoder {
    pub fn new(constants: &RowConstants) -> Result<Self, EncodeError> {
        let source = &constants.source_uuid;
        let source_uuid =
            parse_uuid(source).ok_or_else(|| EncodeError::SourceUuid(source.clone()))?;
        Ok(PgCopyEncoder {
            uuids: UuidGen::new(),
            source_uuid,
        })
    }

    /// Appends one tuple. On error `out` may hold a partial tuple; the stream must be abandoned.
    pub fn row(
        &mut self,
        r: &SummaryRow,
        ctx: &RenderContext<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let run = RunFields {
            constants: ctx.constants,
            source_uuid: self.source_uuid,
        };
        encode_row(
            r,
            self.uuids.next_bytes(),
            &run,
            |id| ctx.strings.get(id),
            |id| &ctx.label_json[id as usize],
            out,
        )
    }
}

/// A binary COPY stream into any writer (a file, or PostgreSQL's `COPY ... FROM STDIN`), batch by
/// batch: [`HEADER`] first, tuples in 64 KiB writes, [`TRAILER`] on [`CopySink::finish`].
pub struct CopySink<W: Write> {
    out: W,
    encoder: PgCopyEncoder,
    buf: Vec<u8>,
    summary: SinkSummary,
    /// The first write error, kept whole so a database load can tell a dropped connection
    /// (retry) from a rejected value (give up).
    pub write_error: Option<std::io::Error>,
}

impl<W: Write> CopySink<W> {
    /// Fails with `InvalidInput` when the run's source is not a uuid.
    pub fn new(out: W, constants: &RowConstants) -> std::io::Result<Self> {
        let encoder = PgCopyEncoder::new(constants)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut buf = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(HEADER);
        Ok(CopySink {
            out,
            encoder,
            buf,
            summary: SinkSummary::default(),
            write_error: None,
        })
    }

    fn flush_buf(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.summary.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the trailer and hands back the writer.
    pub fn finish(mut self) -> std::io::Result<(W, SinkSummary)> {
        self.buf.extend_from_slice(TRAILER);
        self.flush_buf()?;
        self.out.flush()?;
        Ok((self.out, self.summary))
    }
}

impl<W: Write> RowSink for CopySink<W> {
    fn write_batch(&mut self, rows: &[SummaryRow], ctx: &RenderContext<'_>) -> Result<(), Error> {
        for row in rows {
            self.encoder
                .row(row, ctx, &mut self.buf)
                .map_err(|e| InputError::Data(format!("{e}; nothing was written")))?;
            self.summary.rows += 1;
            if self.buf.len() >= 1 << 16 {
                if let Err(e) = self.flush_buf() {
                    let reported = std::io::Error::new(e.kind(), e.to_string());
                    self.write_error = Some(e);
                    return Err(SinkError::io("binary COPY stream", reported).into());
                }
            }
        }
        Ok(())
    }
}

/// The values every tuple of a run repeats, with the source uuid parsed once.
#[derive(Debug, Clone)]
pub struct RunFields<'a> {
    pub constants: &'a RowConstants,
    pub source_uuid: [u8; 16],
}

/// Appends the tuple of `r` (field count, then the fields of [`COLUMNS`]) with `uuid` as its
/// uuid. `string` gives the bytes of a string id and `label_json` the compact JSON of a label
/// set id; neither is asked for `NULL_ID` / `NULL_SET`. On error `out` may hold a partial tuple.
/// [`PgCopyEncoder::row`] is this with the run's catalog; it is public for the fuzz target.
pub fn encode_row<'s>(
    r: &SummaryRow,
    uuid: [u8; 16],
    run: &RunFields<'_>,
    string: impl Fn(u32) -> &'s [u8],
    label_json: impl Fn(u32) -> &'s [u8],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let c = run.constants;
    out.extend_from_slice(&(COLUMNS.len() as i16).to_be_bytes());
    for column in COLUMNS {
        match column.value {
            Value::RowUuid => bytes(out, &uuid),
            Value::ReportPeriodId => int4(out, c.report_period_id),
            Value::ClusterId => bytes(out, c.cluster_id.as_bytes()),
            Value::ClusterAlias => bytes(out, c.cluster_alias.as_bytes()),
            Value::DataSource => bytes(out, r.data_source.as_str().as_bytes()),
            Value::Day => {
                out.extend_from_slice(&4i32.to_be_bytes());
                out.extend_from_slice(&(r.day.0 - PG_EPOCH_DAYS).to_be_bytes());
            }
            Value::String(field) => match field(r) {
                NULL_ID => null(out),
                id => bytes(out, string(id)),
            },
            Value::Labels(field) => match field(r) {
                NULL_SET => null(out),
                id => jsonb(out, label_json(id)),
            },
            Value::Numeric(field) => numeric(out, field(r))?,
            Value::SourceUuid => bytes(out, &run.source_uuid),
            Value::InfrastructureUsageCost if r.has_infrastructure_usage_cost => {
                jsonb(out, INFRASTRUCTURE_USAGE_COST.as_bytes())
            }
            Value::InfrastructureUsageCost => null(out),
            Value::CostCategoryId => int4(out, r.cost_category_id),
        }
    }
    Ok(())
}

/// A binary COPY stream read back: used by the tests to check the encoder.
#[cfg(test)]
pub mod decode {
    /// One field: NULL or its bytes.
    pub type Field = Option<Vec<u8>>;

    /// Splits a whole stream into tuples of fields; panics on a malformed stream.
    pub fn tuples(stream: &[u8]) -> Vec<Vec<Field>> {
        assert_eq!(&stream[..super::HEADER.len()], super::HEADER, "header");
        let mut at = super::HEADER.len();
        let mut take = |n: usize| {
            let s = &stream[at..at + n];
            at += n;
            s
        };
        let mut out = Vec::new();
        loop {
            let count = i16::from_be_bytes(take(2).try_into().unwrap());
            if count == -1 {
                break;
            }
            let mut fields = Vec::new();
            for _ in 0..count {
                let len = i32::from_be_bytes(take(4).try_into().unwrap());
                fields.push((len >= 0).then(|| take(len as usize).to_vec()));
            }
            out.push(fields);
        }
        assert_eq!(at, stream.len(), "bytes after the trailer");
        out
    }

    /// A numeric field as PostgreSQL would print it with its dscale (`-12.500`).
    pub fn numeric(b: &[u8]) -> String {
        let i16_at = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
        let (ndigits, weight, sign, dscale) = (
            i16_at(0) as usize,
            i16_at(2) as i32,
            i16_at(4) as u16,
            i16_at(6) as usize,
        );
        assert_eq!(b.len(), 8 + 2 * ndigits);
        let groups: Vec<u16> = (0..ndigits).map(|i| i16_at(8 + 2 * i) as u16).collect();
        assert!(groups.iter().all(|&g| g < 10_000));
        // Integer groups are weights weight..=0, fraction groups -1, -2, ...
        let group = |w: i32| -> u16 {
            let i = weight - w;
            if i >= 0 && (i as usize) < groups.len() {
                groups[i as usize]
            } else {
                0
            }
        };
        let mut int = String::new();
        for w in (0..=weight.max(0)).rev() {
            int.push_str(&format!("{:04}", group(w)));
        }
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let mut frac = String::new();
        for w in 1..=dscale.div_ceil(4) as i32 {
            frac.push_str(&format!("{:04}", group(-w)));
        }
        frac.truncate(dscale);
        let sign = match sign {
            0 => "",
            0x4000 => "-",
            s => panic!("sign {s:#x}"),
        };
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent reference for the rounding and encoding: expand the shortest decimal to plain
    /// digits, round half-up as text. The digits are ryu's: where two shortest decimals are equally
    /// close (631196540751334.25), ryu, like Java's `Double.toString`, picks the even one and
    /// Rust's `{:e}` may not.
    fn reference(v: f64) -> String {
        let r = ryu::Buffer::new().format_finite(v).to_string();
        let (neg, r) = r
            .strip_prefix('-')
            .map_or((false, r.as_str()), |t| (true, t));
        let (m, exp) = r.split_once('e').unwrap_or((r, "0"));
        let int_digits = m.split('.').next().unwrap().len() as i64;
        // place value of the first digit of `m`
        let e = exp.parse::<i64>().unwrap() + int_digits - 1;
        if e < -30 {
            return "0.000000000000000".into();
        }
        let digits: String = m.chars().filter(|c| *c != '.').collect();
        // The first digit, at index 40, has place value 10^e: the point follows index 40 + e.
        let mut plain = [b'0'; 120];
        for (i, c) in digits.bytes().enumerate() {
            plain[40 + i] = c;
        }
        let p = (40 + e + 1) as usize;
        let mut kept: Vec<u8> = plain[..p + 15].to_vec();
        if plain[p + 15] >= b'5' {
            let mut i = kept.len();
            loop {
                i -= 1;
                if kept[i] == b'9' {
                    kept[i] = b'0';
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
        let int = std::str::from_utf8(&kept[..p])
            .unwrap()
            .trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let frac = std::str::from_utf8(&kept[p..]).unwrap();
        let zero = int == "0" && frac.bytes().all(|c| c == b'0');
        format!("{}{int}.{frac}", if neg && !zero { "-" } else { "" })
    }

    fn encoded(v: f64) -> String {
        let mut out = Vec::new();
        write_numeric(v, &mut out).unwrap();
        let len = i32::from_be_bytes(out[..4].try_into().unwrap()) as usize;
        assert_eq!(len, out.len() - 4);
        decode::numeric(&out[4..])
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the literal is the point: ryu shortens it
    fn numeric_known_values() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.000000000000000"),
            (-0.0, "0.000000000000000"),
            (0.1, "0.100000000000000"),
            (-2.5, "-2.500000000000000"),
            (1.0, "1.000000000000000"),
            (10000.0, "10000.000000000000000"),
            (123456789.123456789, "123456789.123456790000000"),
            (1e17, "100000000000000000.000000000000000"),
            (-9.99e17, "-999000000000000000.000000000000000"),
            (1e-16, "0.000000000000000"),
            (-1e-16, "0.000000000000000"),
            (5e-16, "0.000000000000001"),
            (-5e-16, "-0.000000000000001"),
            (4.9e-16, "0.000000000000000"),
            (1e-15, "0.000000000000001"),
            (1.5e-300, "0.000000000000000"),
            (0.0000123, "0.000012300000000"),
            (2.0f64.powi(-30), "0.000000000931323"),
        ];
        for &(v, want) in cases {
            assert_eq!(encoded(v), want, "{v:e}");
            assert_eq!(reference(v), want, "reference for {v:e}");
        }
    }

    #[test]
    fn numeric_matches_reference_on_many_values() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mant = (x >> 11) as f64 / (1u64 << 53) as f64;
            let exp = (x % 40) as i32 - 20;
            let v = mant * 10f64.powi(exp) * if i % 3 == 0 { -1.0 } else { 1.0 };
            if v.abs() >= 1e18 {
                continue;
            }
            assert_eq!(encoded(v), reference(v), "{v:e}");
        }
    }

    #[test]
    fn numeric_rejects_what_does_not_fit() {
        for v in [
            1e18,
            -1e18,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(write_numeric(v, &mut Vec::new()).is_err(), "{v}");
        }
        assert!(write_numeric(999_999_999_999_999_900.0, &mut Vec::new()).is_ok());
    }

    #[test]
    fn numeric_is_canonical() {
        // 1.0: one group [1] at weight 0; trailing zero groups are stripped.
        let mut out = Vec::new();
        write_numeric(1.0, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 15, 0, 1]);
        // 0: no digits.
        let mut out = Vec::new();
        write_numeric(0.0, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 15]);
    }

    #[test]
    fn stream_round_trips() {
        let mut s = HEADER.to_vec();
        s.extend_from_slice(&5i16.to_be_bytes());
        int4(&mut s, Some(-7));
        int4(&mut s, None);
        bytes(&mut s, "Zürich ✓".as_bytes());
        jsonb(&mut s, b"{}");
        numeric(&mut s, OptF64::from(Some(-0.5))).unwrap();
        s.extend_from_slice(TRAILER);
        let t = decode::tuples(&s);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0][0].as_deref(), Some(&(-7i32).to_be_bytes()[..]));
        assert_eq!(t[0][1], None);
        assert_eq!(t[0][2].as_deref(), Some("Zürich ✓".as_bytes()));
        assert_eq!(t[0][3].as_deref(), Some(&b"\x01{}"[..]));
        assert_eq!(
            decode::numeric(t[0][4].as_ref().unwrap()),
            "-0.500000000000000"
        );
    }

    #[test]
    fn a_whole_row_round_trips() {
        use crate::rows::DataSource;
        use crate::value::date::Day;
        let strings: [&[u8]; 2] = [b"ns-\xc3\xa9", b"node-1"];
        let labels: [&[u8]; 2] = [b"{}", br#"{"app":"web"}"#];
        let constants = RowConstants {
            report_period_id: Some(7),
            cluster_id: "c1".into(),
            cluster_alias: "alias".into(),
            source_uuid: "09090909-0909-0909-0909-090909090909".into(),
        };
        let run = RunFields {
            constants: &constants,
            source_uuid: [9; 16],
        };
        let mut r = SummaryRow::empty(DataSource::Storage, Day::from_ymd(2026, 3, 2).unwrap());
        r.namespace = 0;
        r.node = 1;
        r.volume_labels = 1;
        r.pod[2] = OptF64::from(Some(1.25));
        r.storage[3] = OptF64::from(Some(-0.5));
        r.has_infrastructure_usage_cost = true;
        r.cost_category_id = Some(3);
        let mut s = HEADER.to_vec();
        encode_row(
            &r,
            [1; 16],
            &run,
            |id| strings[id as usize],
            |id| labels[id as usize],
            &mut s,
        )
        .unwrap();
        s.extend_from_slice(TRAILER);
        let t = decode::tuples(&s);
        assert_eq!(t.len(), 1);
        let f = |name: &str| t[0][COLUMNS.iter().position(|c| c.name == name).unwrap()].clone();
        assert_eq!(t[0].len(), COLUMNS.len());
        assert_eq!(f("uuid"), Some(vec![1; 16]));
        assert_eq!(f("report_period_id"), Some(7i32.to_be_bytes().to_vec()));
        assert_eq!(f("cluster_alias"), Some(b"alias".to_vec()));
        assert_eq!(f("data_source"), Some(b"Storage".to_vec()));
        // 2026-03-02 is day 9557 after 2000-01-01.
        assert_eq!(f("usage_end"), Some(9557i32.to_be_bytes().to_vec()));
        assert_eq!(f("namespace"), Some(strings[0].to_vec()));
        assert_eq!(f("resource_id"), None);
        assert_eq!(f("pod_labels"), None);
        assert_eq!(f("volume_labels"), Some(b"\x01{\"app\":\"web\"}".to_vec()));
        assert_eq!(f("all_labels"), f("volume_labels"));
        assert_eq!(f("pod_usage_cpu_core_hours"), None);
        assert_eq!(
            decode::numeric(&f("pod_effective_usage_cpu_core_hours").unwrap()),
            "1.250000000000000"
        );
        assert_eq!(
            decode::numeric(&f("persistentvolumeclaim_usage_gigabyte_months").unwrap()),
            "-0.500000000000000"
        );
        assert_eq!(f("source_uuid"), Some(vec![9; 16]));
        assert_eq!(f("cost_category_id"), Some(3i32.to_be_bytes().to_vec()));
        let cost = f("infrastructure_usage_cost").unwrap();
        assert_eq!(cost[0], 1);
        assert_eq!(&cost[1..], INFRASTRUCTURE_USAGE_COST.as_bytes());
        // A value numeric(33,15) cannot hold refuses the row.
        r.node_capacity_cpu_cores = OptF64::from(Some(f64::INFINITY));
        let err = encode_row(&r, [1; 16], &run, |_| b"", |_| b"", &mut Vec::new());
        assert_eq!(err, Err(EncodeError::Numeric(f64::INFINITY)));
    }

    #[test]
    fn uuids_parse() {
        assert_eq!(
            parse_uuid("6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10").unwrap()[..4],
            [0x6f, 0x0b, 0x2c, 0x1e]
        );
        assert!(parse_uuid("not-a-uuid").is_none());
        assert!(parse_uuid("6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c1g").is_none());
    }
}
