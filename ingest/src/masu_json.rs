//! Koku's label JSON text: Python `json.dumps(dict)` with default settings.
//!
//! Separators `", "` and `": "`, keys in insertion order, `ensure_ascii=True` (every character outside
//! `' '..='~'` is written as `\uXXXX` with lowercase hex, astral characters as surrogate pairs), and the
//! short escapes `\" \\ \n \r \t \b \f`. An empty dict is `{}`.

/// Appends `s` as a Python `json.dumps` string literal (with quotes).
pub fn push_py_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `json.dumps({k: v, ...})` for string keys/values in the given (insertion) order.
/// Later duplicates of a key overwrite the earlier value in place, like a Python dict.
pub fn py_json_labels<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut uniq: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        match uniq.iter_mut().find(|(uk, _)| *uk == k) {
            Some(slot) => slot.1 = v,
            None => uniq.push((k, v)),
        }
    }
    let mut out = String::with_capacity(2 + uniq.len() * 24);
    out.push('{');
    for (i, (k, v)) in uniq.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_py_json_str(&mut out, k);
        out.push_str(": ");
        push_py_json_str(&mut out, v);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_json_dumps() {
        // json.dumps({"key1": "label_value1", "key2": "label_value2"})
        assert_eq!(
            py_json_labels(&[("key1", "label_value1"), ("key2", "label_value2")]),
            r#"{"key1": "label_value1", "key2": "label_value2"}"#
        );
        assert_eq!(py_json_labels::<&str, &str>(&[]), "{}");
        // insertion order, not sorted
        assert_eq!(
            py_json_labels(&[("b", "1"), ("a", "2")]),
            r#"{"b": "1", "a": "2"}"#
        );
        // json.dumps({"team": "équipe", "r": "🚀", "q": "a\"b\\c", "d": "\x7f"})
        assert_eq!(
            py_json_labels(&[
                ("team", "équipe"),
                ("r", "🚀"),
                ("q", "a\"b\\c"),
                ("d", "\x7f")
            ]),
            r#"{"team": "\u00e9quipe", "r": "\ud83d\ude80", "q": "a\"b\\c", "d": "\u007f"}"#
        );
        // duplicate keys: last value wins, first position kept
        assert_eq!(
            py_json_labels(&[("a", "1"), ("b", "2"), ("a", "3")]),
            r#"{"a": "3", "b": "2"}"#
        );
    }
}
