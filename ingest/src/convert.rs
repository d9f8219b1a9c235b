//! Koku's per-cell CSV converters (`OCPPostProcessor.get_column_converters`, koku-inputs §B.3):
//! `safe_float`, `process_openshift_datetime` and `process_openshift_labels_to_json`.

use crate::masu_json::py_json_labels;
use ocp_summary_engine::value::Day;

/// Koku's `safe_float`: Python `float(text)`, and `0.0` when that raises (empty or invalid text).
///
/// Python's `float` accepts surrounding whitespace, `inf`/`infinity`/`nan` in any case with a sign,
/// exponents, and single `_` between digits; so does this.
pub fn safe_float(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() {
        return 0.0;
    }
    if t.contains('_') {
        // Python allows `_` only between two digits.
        let b = t.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'_'
                && !(i > 0
                    && i + 1 < b.len()
                    && b[i - 1].is_ascii_digit()
                    && b[i + 1].is_ascii_digit())
            {
                return 0.0;
            }
        }
        return t.replace('_', "").parse::<f64>().unwrap_or(0.0);
    }
    t.parse::<f64>().unwrap_or(0.0)
}

/// Koku's `process_openshift_datetime`: remove `" +0000 UTC"`, parse with ciso8601, and keep the
/// naive wall-clock time, as milliseconds since the epoch (pandas writes `timestamp[ms]`,
/// truncating finer digits). `None` (NaT) when the text does not parse.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    let t = s.replace(" +0000 UTC", "");
    let b = t.as_bytes();
    let num = |lo: usize, hi: usize| -> Option<i64> {
        let part = b.get(lo..hi)?;
        if part.iter().all(u8::is_ascii_digit) {
            Some(part.iter().fold(0i64, |a, &c| a * 10 + (c - b'0') as i64))
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    // None for a date that does not exist (month 13, February 30).
    let mut ms = Day::from_ymd(y as i32, mo as u32, d as u32)?.start_millis();
    let mut i = 10;
    if i < b.len() && (b[i] == b'T' || b[i] == b't' || b[i] == b' ') {
        i += 1;
        let h = num(i, i + 2)?;
        i += 2;
        let (mut mi, mut sec, mut frac_ms) = (0, 0, 0);
        if b.get(i) == Some(&b':') {
            mi = num(i + 1, i + 3)?;
            i += 3;
            if b.get(i) == Some(&b':') {
                sec = num(i + 1, i + 3)?;
                i += 3;
                if matches!(b.get(i), Some(b'.') | Some(b',')) {
                    i += 1;
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == start {
                        return None;
                    }
                    let digits = &t[start..i.min(start + 3)];
                    frac_ms = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
                }
            }
        }
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        ms += ((h * 60 + mi) * 60 + sec) * 1000 + frac_ms;
        // An explicit UTC offset: convert to the UTC wall clock.
        match b.get(i) {
            None => {}
            Some(b'Z') | Some(b'z') if i + 1 == b.len() => i += 1,
            Some(&sign) if sign == b'+' || sign == b'-' => {
                let oh = num(i + 1, i + 3)?;
                let om = if b.get(i + 3) == Some(&b':') {
                    num(i + 4, i + 6)?
                } else {
                    num(i + 3, i + 5)?
                };
                i = b.len();
                let off = (oh * 60 + om) * 60_000;
                ms -= if sign == b'+' { off } else { -off };
            }
            Some(_) => return None,
        }
    }
    if i != b.len() {
        return None;
    }
    Some(ms)
}

/// Koku's `process_openshift_labels` + `json.dumps`: `label_k:v|label_k2:v2` →
/// `{"k": "v", "k2": "v2"}`.
///
/// Items without `:` are skipped; items whose split on `:` does not give exactly two parts are
/// dropped (Koku logs a ValueError); every `label_` substring of the key is removed; later duplicates
/// overwrite earlier ones in place; the empty string gives `{}`.
pub fn labels_to_json(s: &str) -> String {
    py_json_labels(&label_pairs(s))
}

/// Koku's `process_openshift_labels` before `json.dumps`: the (key, value) items in order, with
/// duplicates (the dict keeps the last value). Its keys are also the tag keys masu records
/// ([`crate::tag_keys`]).
pub fn label_pairs(s: &str) -> Vec<(String, &str)> {
    let mut pairs = Vec::new();
    if !s.is_empty() {
        for item in s.split('|') {
            if !item.contains(':') {
                continue;
            }
            let mut parts = item.split(':');
            let (Some(k), Some(v), None) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            pairs.push((k.replace("label_", ""), v));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_float_like_python() {
        assert_eq!(safe_float(""), 0.0);
        assert_eq!(safe_float("abc"), 0.0);
        assert_eq!(safe_float("21003583488.000000"), 21003583488.0);
        assert_eq!(safe_float("1172.8799999999999"), 1172.8799999999999);
        assert_eq!(safe_float("7730941132800"), 7730941132800.0);
        assert_eq!(safe_float(" 2.5 "), 2.5);
        assert_eq!(safe_float("1e3"), 1000.0);
        assert_eq!(safe_float("-4"), -4.0);
        assert_eq!(safe_float("1_000"), 1000.0);
        assert_eq!(safe_float("1__000"), 0.0);
        assert_eq!(safe_float("_1"), 0.0);
        assert_eq!(safe_float("inf"), f64::INFINITY);
        assert_eq!(safe_float("-Infinity"), f64::NEG_INFINITY);
        assert!(safe_float("nan").is_nan());
    }

    #[test]
    fn timestamps_like_koku() {
        let t = parse_timestamp_ms("2019-02-01 00:00:00 +0000 UTC").unwrap();
        assert_eq!(t, 1_548_979_200_000);
        assert_eq!(
            parse_timestamp_ms("2019-02-01 01:59:59 +0000 UTC").unwrap(),
            t + 7_199_000
        );
        assert_eq!(parse_timestamp_ms("2019-02-01"), Some(t));
        assert_eq!(parse_timestamp_ms("2019-02-01T00:00:00Z"), Some(t));
        assert_eq!(
            parse_timestamp_ms("2019-02-01T00:00:00.123456"),
            Some(t + 123)
        );
        assert_eq!(parse_timestamp_ms("2019-02-01T02:00:00+02:00"), Some(t));
        assert_eq!(parse_timestamp_ms(""), None);
        assert_eq!(parse_timestamp_ms("2019-02-30 00:00:00"), None);
        assert_eq!(parse_timestamp_ms("2019-02-01 00:00:00 UTC"), None);
        assert_eq!(parse_timestamp_ms("garbage"), None);
    }

    #[test]
    fn labels_edge_cases() {
        assert_eq!(
            labels_to_json("label_key1:label_value1|label_key2:label_value2"),
            r#"{"key1": "label_value1", "key2": "label_value2"}"#
        );
        // empty, and items without ':'
        assert_eq!(labels_to_json(""), "{}");
        assert_eq!(labels_to_json("label_a|label_b:1"), r#"{"b": "1"}"#);
        // a value containing ':' is dropped
        assert_eq!(
            labels_to_json("label_url:http://x|label_ok:1"),
            r#"{"ok": "1"}"#
        );
        // every `label_` is removed, also in the middle of a key
        assert_eq!(
            labels_to_json("label_my_label_key:v|label_label_x:w"),
            r#"{"my_key": "v", "x": "w"}"#
        );
        // duplicates: later wins, first position kept
        assert_eq!(
            labels_to_json("label_a:1|label_b:2|label_a:3"),
            r#"{"a": "3", "b": "2"}"#
        );
        // empty key / empty value are kept
        assert_eq!(
            labels_to_json("label_node-role.kubernetes.io/infra:"),
            r#"{"node-role.kubernetes.io/infra": ""}"#
        );
        // non-ASCII escaped as json.dumps does
        assert_eq!(
            labels_to_json("label_team:équipe|label_r:東京🚀"),
            r#"{"team": "\u00e9quipe", "r": "\u6771\u4eac\ud83d\ude80"}"#
        );
        // quotes and backslashes
        assert_eq!(labels_to_json(r#"label_q:a"b\c"#), r#"{"q": "a\"b\\c"}"#);
    }
}
