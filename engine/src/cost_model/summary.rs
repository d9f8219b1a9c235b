//! The daily-summary rows the cost-model queries read (`postgres...reporting_ocpusagelineitem_daily_summary`
//! as `lids`, and Hive's copy of it as `ouds`), from the tenant's table or from a summary CSV
//! written by `run --output csv:`.

use crate::database::Target;
use crate::error::{Error, InputError};
use crate::value::Day;
use serde_json::{Map, Value};

/// One summary row, with the columns the queries read.
#[derive(Debug, Clone, Default)]
pub struct SummaryRow {
    pub usage_start: Day,
    pub usage_end: Day,
    pub report_period_id: Option<i64>,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub data_source: Option<String>,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub resource_id: Option<String>,
    /// JSON text as PostgreSQL returns it.
    pub pod_labels: Option<String>,
    pub all_labels: Option<String>,
    pub source_uuid: Option<String>,
    pub cost_category_id: Option<i32>,
    pub has_usage_cpu: bool,
    pub has_request_cpu: bool,
    pub monthly_cost_type: Option<String>,
    pub cost_model_rate_type: Option<String>,
    /// Written by the summary itself (not a cost row, not OCP-on-cloud cost): what Hive's copy holds.
    pub from_summary: bool,
    /// `pod_labels` parsed once.
    pub pod_map: Option<Map<String, Value>>,
}

impl SummaryRow {
    /// Trino's `json_extract_scalar(pod_labels, '$.<key>')`.
    pub fn pod_label(&self, key: &str) -> Option<String> {
        scalar(self.pod_map.as_ref()?.get(key)?)
    }

    /// Trino's `json_extract(pod_labels, '$.<key>') IS NOT NULL`: the key is there.
    pub fn has_pod_label(&self, key: &str) -> bool {
        self.pod_map.as_ref().is_some_and(|m| m.contains_key(key))
    }

    /// The usage rows every cost query starts from: Pod rows with CPU usage and request, not a
    /// monthly cost row.
    pub fn is_pod_usage(&self) -> bool {
        self.data_source.as_deref() == Some("Pod")
            && self.has_usage_cpu
            && self.has_request_cpu
            && self.monthly_cost_type.is_none()
    }
}

/// A JSON value as `json_extract_scalar` gives it: scalars as text, others NULL.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_map(text: Option<&str>) -> Option<Map<String, Value>> {
    match serde_json::from_str(text?).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// The summary rows of the report period, and those of the source's month, from the database.
pub fn from_database(
    target: &Target,
    report_period_id: i64,
    source: &str,
    month: (Day, Day),
) -> Result<Vec<SummaryRow>, Error> {
    let table = target.table(crate::sink::postgres::SUMMARY_TABLE);
    let sql = format!(
        "SELECT usage_start::text, usage_end::text, report_period_id::int8, cluster_id, cluster_alias, \
         data_source, namespace, node, resource_id, pod_labels::text, all_labels::text, \
         source_uuid::text, cost_category_id, pod_usage_cpu_core_hours IS NOT NULL, \
         pod_request_cpu_core_hours IS NOT NULL, monthly_cost_type, cost_model_rate_type, \
         (monthly_cost_type IS NULL AND cost_model_rate_type IS NULL \
          AND coalesce(infrastructure_raw_cost, 0) = 0) \
         FROM {table} WHERE report_period_id = $1 \
         OR (source_uuid::text = $2 AND usage_start >= $3::text::date AND usage_start <= $4::text::date)"
    );
    let mut client = target.connect()?;
    let rows = client
        .query(
            &sql,
            &[
                &(report_period_id as i32),
                &source.to_lowercase(),
                &month.0.to_string(),
                &month.1.to_string(),
            ],
        )
        .map_err(|e| target.error("reading the daily summary", &e))?;
    rows.iter()
        .map(|r| {
            let day = |i: usize| -> Result<Day, Error> {
                let t: String = r.get(i);
                Day::parse(&t)
                    .ok_or_else(|| Error::options(format!("bad date {t:?} in the summary")))
            };
            let pod_labels: Option<String> = r.get(9);
            Ok(SummaryRow {
                usage_start: day(0)?,
                usage_end: day(1)?,
                report_period_id: r.get(2),
                cluster_id: r.get(3),
                cluster_alias: r.get(4),
                data_source: r.get(5),
                namespace: r.get(6),
                node: r.get(7),
                resource_id: r.get(8),
                pod_map: parse_map(pod_labels.as_deref()),
                pod_labels,
                all_labels: r.get(10),
                source_uuid: r.get(11),
                cost_category_id: r.get(12),
                has_usage_cpu: r.get(13),
                has_request_cpu: r.get(14),
                monthly_cost_type: r.get(15),
                cost_model_rate_type: r.get(16),
                from_summary: r.get(17),
            })
        })
        .collect()
}

/// One CSV field: its text and whether it was quoted (an unquoted `\N` is NULL).
pub(crate) type Field = (String, bool);

/// RFC 4180 records, collected (small files; [`for_each_record`] streams).
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Vec<Field>>, String> {
    let mut records = Vec::new();
    for_each_record(text, |r| {
        records.push(r.iter().map(|(t, q)| (t.to_string(), *q)).collect());
        Ok(())
    })?;
    Ok(records)
}

/// One field of [`for_each_record`]: borrowed from the text unless a quoted field holds `""`.
pub(crate) type FieldRef<'t> = (std::borrow::Cow<'t, str>, bool);

/// Calls `f` with each RFC 4180 record of `text` in turn, so a large file is never held as
/// millions of owned strings. A `\r` before `\n` is dropped; text after a closing quote
/// belongs to the field; the last line needs no line break.
pub(crate) fn for_each_record<'t>(
    text: &'t str,
    mut f: impl FnMut(&[FieldRef<'t>]) -> Result<(), String>,
) -> Result<(), String> {
    use std::borrow::Cow;
    let b = text.as_bytes();
    let mut record: Vec<FieldRef<'t>> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let quoted = b[i] == b'"';
        let mut field: Cow<'t, str> = Cow::Borrowed("");
        if quoted {
            let (body, next) = quoted_field(text, i + 1)?;
            field = body;
            i = next;
        }
        // Up to the delimiter (the whole field when unquoted).
        let end = memchr::memchr2(b',', b'\n', &b[i..]).map_or(b.len(), |k| i + k);
        let mut tail = &text[i..end];
        let newline = end < b.len() && b[end] == b'\n';
        if newline {
            tail = tail.strip_suffix('\r').unwrap_or(tail);
        }
        if field.is_empty() && !quoted {
            field = std::borrow::Cow::Borrowed(tail);
        } else if !tail.is_empty() {
            field.to_mut().push_str(tail);
        }
        record.push((field, quoted));
        i = end + 1;
        if newline || end >= b.len() {
            f(&record)?;
            record.clear();
        }
    }
    if !record.is_empty() {
        // A trailing comma at the very end: the record ends with an empty field.
        record.push((Cow::Borrowed(""), false));
        f(&record)?;
    }
    Ok(())
}

/// The body of a quoted field starting at byte `start` (after the opening quote), and the byte
/// after its closing quote.
fn quoted_field(text: &str, start: usize) -> Result<(std::borrow::Cow<'_, str>, usize), String> {
    let b = text.as_bytes();
    let mut owned: Option<String> = None;
    let (mut seg, mut j) = (start, start);
    loop {
        let q = memchr::memchr(b'"', &b[j..])
            .map(|k| j + k)
            .ok_or_else(|| "unterminated quoted field".to_string())?;
        if b.get(q + 1) == Some(&b'"') {
            owned
                .get_or_insert_with(String::new)
                .push_str(&text[seg..=q]);
            j = q + 2;
            seg = j;
            continue;
        }
        let body = match owned {
            Some(mut s) => {
                s.push_str(&text[seg..q]);
                std::borrow::Cow::Owned(s)
            }
            None => std::borrow::Cow::Borrowed(&text[start..q]),
        };
        return Ok((body, q + 1));
    }
}

/// The rows of a summary CSV (the `run --output csv:` format: a header, `\N` for NULL).
pub fn from_csv(path: &std::path::Path) -> Result<Vec<SummaryRow>, Error> {
    let bad = |what: String| -> Error {
        InputError::Data(format!("summary CSV {}: {what}", path.display())).into()
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let records = parse_csv(&text).map_err(bad)?;
    let Some((header, body)) = records.split_first() else {
        return Err(bad("empty file".into()));
    };
    let names: Vec<&str> = header.iter().map(|(n, _)| n.as_str()).collect();
    let col = |name: &str| names.iter().position(|n| *n == name);
    for required in ["usage_start", "usage_end", "data_source", "pod_labels"] {
        if col(required).is_none() {
            return Err(bad(format!("no {required} column")));
        }
    }
    let mut rows = Vec::with_capacity(body.len());
    for (n, rec) in body.iter().enumerate() {
        if rec.len() == 1 && rec[0].0.is_empty() {
            continue;
        }
        if rec.len() != names.len() {
            return Err(bad(format!(
                "record {}: {} fields, header has {}",
                n + 2,
                rec.len(),
                names.len()
            )));
        }
        let text = |name: &str| -> Option<String> {
            let (v, q) = &rec[col(name)?];
            (*q || v != "\\N").then(|| v.clone())
        };
        let day = |name: &str| -> Result<Day, Error> {
            let t = text(name).unwrap_or_default();
            Day::parse(&t).ok_or_else(|| bad(format!("record {}: bad {name} {t:?}", n + 2)))
        };
        let int = |name: &str| text(name).and_then(|t| t.parse::<i64>().ok());
        let pod_labels = text("pod_labels");
        let monthly = text("monthly_cost_type");
        let rate_type = text("cost_model_rate_type");
        let infra = text("infrastructure_raw_cost").and_then(|t| t.parse::<f64>().ok());
        rows.push(SummaryRow {
            usage_start: day("usage_start")?,
            usage_end: day("usage_end")?,
            report_period_id: int("report_period_id"),
            cluster_id: text("cluster_id"),
            cluster_alias: text("cluster_alias"),
            data_source: text("data_source"),
            namespace: text("namespace"),
            node: text("node"),
            resource_id: text("resource_id"),
            pod_map: parse_map(pod_labels.as_deref()),
            pod_labels,
            all_labels: text("all_labels"),
            source_uuid: text("source_uuid"),
            cost_category_id: int("cost_category_id").map(|v| v as i32),
            has_usage_cpu: text("pod_usage_cpu_core_hours").is_some(),
            has_request_cpu: text("pod_request_cpu_core_hours").is_some(),
            from_summary: monthly.is_none() && rate_type.is_none() && infra.unwrap_or(0.0) == 0.0,
            monthly_cost_type: monthly,
            cost_model_rate_type: rate_type,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    /// The character-at-a-time parser [`parse_csv`] replaced: the reference the streaming one is
    /// checked against.
    fn parse_csv_reference(text: &str) -> Result<Vec<Vec<Field>>, String> {
        let mut records = Vec::new();
        let mut record: Vec<Field> = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        let mut at_start = true;
        while let Some(c) = chars.next() {
            match c {
                '"' if at_start => {
                    quoted = true;
                    at_start = false;
                    loop {
                        match chars.next() {
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(ch) => field.push(ch),
                            None => return Err("unterminated quoted field".into()),
                        }
                    }
                }
                ',' => {
                    record.push((std::mem::take(&mut field), quoted));
                    quoted = false;
                    at_start = true;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    record.push((std::mem::take(&mut field), quoted));
                    records.push(std::mem::take(&mut record));
                    quoted = false;
                    at_start = true;
                }
                ch => {
                    at_start = false;
                    field.push(ch);
                }
            }
        }
        if !at_start || !record.is_empty() {
            record.push((field, quoted));
            records.push(record);
        }
        Ok(records)
    }

    use super::*;

    #[test]
    fn csv_fields_keep_quoting() {
        let r = parse_csv("a,b\n\"x,\"\"y\",\\N\n\"\\N\",\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1][0], ("x,\"y".to_string(), true));
        assert_eq!(r[1][1], ("\\N".to_string(), false));
        assert_eq!(r[2][0], ("\\N".to_string(), true));
        assert_eq!(r[2][1], (String::new(), false));
    }

    /// The streaming parser against the reference on random texts over the characters that
    /// matter (delimiters, quotes, `\r`, multi-byte), fixed seed.
    #[test]
    fn streaming_parser_matches_the_reference() {
        let alphabet = ["a", ",", "\"", "\n", "\r", "é", "\\N", "\"\""];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(
                parse_csv(&text),
                parse_csv_reference(&text),
                "case {case}: {text:?}"
            );
        }
    }

    #[test]
    fn labels_extract_like_trino() {
        let row = SummaryRow {
            pod_map: parse_map(Some(r#"{"a": "x", "n": 7, "z": null}"#)),
            ..SummaryRow::default()
        };
        assert_eq!(row.pod_label("a").as_deref(), Some("x"));
        assert_eq!(row.pod_label("n").as_deref(), Some("7"));
        assert_eq!(row.pod_label("z"), None);
        assert!(row.has_pod_label("z"));
        assert!(!row.has_pod_label("q"));
    }
}
