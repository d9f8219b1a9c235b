//! The JSON functions Koku's OpenShift-on-AWS SQL applies to tag texts, with Trino's results:
//!
//! * `cast(json_parse(t) as map(varchar, varchar))` → [`to_map`] (numbers and booleans become
//!   their text, JSON `null` members stay NULL values, a nested value is an error);
//! * `json_format(cast(map as json))` → [`map_json`]: compact, keys sorted (Trino's map→json cast
//!   sorts them), non-ASCII kept;
//! * `map_filter(…, (k, v) -> contains(keys, k))` → [`filter_json`] (step 1's `tags`, step 3's
//!   `enabled_tags`); `map_concat` → [`concat_json`] (step 2's final `tags`);
//! * `json_query(tags, 'strict $.k' OMIT QUOTES)` → [`query_str`] (step 2's tag matching);
//! * masu's `json.dumps(json.loads(tag))` of the matched-tag strings → [`python_dumps_pair`].

use crate::error::{Error, InputError};
use serde_json::Value;
use std::collections::BTreeMap;

/// A `map(varchar, varchar)`: sorted keys (Trino's JSON form), NULL values kept.
pub type TagMap = BTreeMap<String, Option<String>>;

fn bad(text: &str, why: &str) -> Error {
    InputError::Data(format!(
        "cannot cast {text:?} to map(varchar, varchar): {why}"
    ))
    .into()
}

/// A scalar JSON value as Trino's cast to varchar gives it.
fn scalar_text(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// `cast(json_parse(text) as map(varchar, varchar))`; NULL text or JSON `null` → `None`.
pub fn to_map(text: Option<&str>) -> Result<Option<TagMap>, Error> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(text).map_err(|e| bad(text, &e.to_string()))?;
    match value {
        Value::Null => Ok(None),
        Value::Object(m) => {
            let mut out = TagMap::new();
            for (k, v) in m {
                let v = scalar_text(&v).ok_or_else(|| bad(text, "a nested value"))?;
                out.insert(k, v);
            }
            Ok(Some(out))
        }
        _ => Err(bad(text, "not an object")),
    }
}

/// Appends `s` as a JSON string literal; `ascii` escapes non-ASCII as `\uXXXX` (Python's
/// `ensure_ascii=True`), otherwise only what JSON requires (as both Python and Trino do).
pub fn push_json_string(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json_format(cast(m as json))`: `{"k":"v",...}`, keys sorted, NULL values as `null`.
pub fn map_json(m: &TagMap) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, k, false);
        out.push(':');
        match v {
            Some(v) => push_json_string(&mut out, v, false),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// `json_format(cast(map_filter(cast(json_parse(text) as map), (k, v) -> contains(keys, k))
/// as json))`. NULL text → NULL; NULL `keys` (an `array[...] || NULL`) drops every entry.
pub fn filter_json(text: Option<&str>, keys: Option<&[String]>) -> Result<Option<String>, Error> {
    let Some(m) = to_map(text)? else {
        return Ok(None);
    };
    let Some(keys) = keys else {
        return Ok(Some("{}".into()));
    };
    let kept: TagMap = m
        .into_iter()
        .filter(|(k, _)| keys.iter().any(|x| x == k))
        .collect();
    Ok(Some(map_json(&kept)))
}

/// `json_format(cast(map_concat(a, b) as json))`: NULL if either side is; `b` wins on a key.
pub fn concat_json(a: Option<&str>, b: Option<&str>) -> Result<Option<String>, Error> {
    let (Some(mut a), Some(b)) = (to_map(a)?, to_map(b)?) else {
        return Ok(None);
    };
    a.extend(b);
    Ok(Some(map_json(&a)))
}

/// `json_query(text, 'strict $.key' OMIT QUOTES)`: the member's text if it is a scalar.
pub fn query_str(map: Option<&TagMap>, key: &str) -> Option<String> {
    map?.get(key).cloned().flatten()
}

/// The canonical text of a JSON column in the outputs (`json_parse` of the cost category, and
/// the oracle's CSV form): compact, keys sorted, non-ASCII kept; JSON `null` → NULL.
pub fn canonical(text: Option<&str>) -> Result<Option<String>, Error> {
    let Some(text) = text else { return Ok(None) };
    let v: Value = serde_json::from_str(text)
        .map_err(|e| Error::from(InputError::Data(format!("invalid JSON {text:?}: {e}"))))?;
    if v.is_null() {
        return Ok(None);
    }
    let mut out = String::new();
    write_canonical(&mut out, &v);
    Ok(Some(out))
}

fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, k, false);
                out.push(':');
                write_canonical(out, v);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, v);
            }
            out.push(']');
        }
        Value::String(s) => push_json_string(out, s, false),
        other => out.push_str(&other.to_string()),
    }
}

/// masu's `_get_matched_tags_strings`: `json.dumps(json.loads('{"' + key + '": "' + value +
/// '"}')).replace("{", "").replace("}", "")`, i.e. `"key": "value"` with Python's default
/// `ensure_ascii` escaping. A pair whose concatenated text is not a one-member JSON object of
/// strings fails, as `json.loads` does in masu.
pub fn python_dumps_pair(key: &str, value: &str) -> Result<String, Error> {
    let text = format!("{{\"{key}\": \"{value}\"}}");
    let parsed: Value = serde_json::from_str(&text).map_err(|e| {
        Error::from(InputError::Data(format!(
            "matched tag {text:?} is not JSON (masu's json.loads fails too): {e}"
        )))
    })?;
    let Value::Object(m) = parsed else {
        unreachable!("an object literal")
    };
    let mut out = String::from("{");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_string(&mut out, k, true);
        out.push_str(": ");
        match v {
            Value::String(s) => push_json_string(&mut out, s, true),
            other => out.push_str(&other.to_string()),
        }
    }
    out.push('}');
    Ok(out.replace(['{', '}'], ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_and_concat_follow_trino() {
        let keys = vec!["app".to_string(), "openshift_project".to_string()];
        let t = r#"{"openshift_project": "p", "team": "x", "app": "w\u00e9b"}"#;
        assert_eq!(
            filter_json(Some(t), Some(&keys)).unwrap().as_deref(),
            Some(r#"{"app":"wéb","openshift_project":"p"}"#)
        );
        assert_eq!(filter_json(Some(t), None).unwrap().as_deref(), Some("{}"));
        assert_eq!(filter_json(None, Some(&keys)).unwrap(), None);
        assert_eq!(
            concat_json(Some(r#"{"a":"1","b":"2"}"#), Some(r#"{"b":"3"}"#))
                .unwrap()
                .as_deref(),
            Some(r#"{"a":"1","b":"3"}"#)
        );
        assert_eq!(concat_json(None, Some("{}")).unwrap(), None);
        let m = to_map(Some(r#"{"n": 7, "b": true, "z": null}"#))
            .unwrap()
            .unwrap();
        assert_eq!(query_str(Some(&m), "n").as_deref(), Some("7"));
        assert_eq!(query_str(Some(&m), "b").as_deref(), Some("true"));
        assert_eq!(query_str(Some(&m), "z"), None);
        assert!(to_map(Some(r#"{"a": [1]}"#)).is_err());
    }

    #[test]
    fn matched_tag_strings_are_pythons() {
        assert_eq!(python_dumps_pair("app", "web").unwrap(), r#""app": "web""#);
        assert_eq!(
            python_dumps_pair("app", "wéb").unwrap(),
            r#""app": "w\u00e9b""#
        );
        assert_eq!(python_dumps_pair("a", "{x}").unwrap(), r#""a": "x""#);
        assert!(python_dumps_pair("a", "x\"y").is_err());
    }

    #[test]
    fn canonical_sorts_keys() {
        assert_eq!(
            canonical(Some(r#"{"b": "1", "a": {"d": 2, "c": null}}"#))
                .unwrap()
                .as_deref(),
            Some(r#"{"a":{"c":null,"d":2},"b":"1"}"#)
        );
        assert_eq!(canonical(Some("null")).unwrap(), None);
    }
}
