//! The columns only Koku's `rates_to_usage` has beyond a cost row: the rate's identity and the
//! labels' hash. Both the direct-twin steps and the `_rtu`-only steps fill them, so they live below
//! both.

use super::rates::RtuParams;
use sha2::{Digest, Sha256};

/// The columns only `rates_to_usage` has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RtuFields {
    pub params: RtuParams,
    /// `to_hex(sha256(to_utf8(...)))` of the labels; NULL on the distribution rows.
    pub label_hash: Option<String>,
}

/// Trino's `json_format(CAST(x AS json))`: compact, keys sorted.
fn canonical_json(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string(&v).ok()
}

/// `to_hex(sha256(to_utf8(COALESCE(json_format(pod), '') || '|' || '' || '|' ||
/// COALESCE(json_format(all), ''))))`: upper-case hex.
pub fn label_hash(pod: Option<&str>, all: Option<&str>) -> String {
    let part = |t: Option<&str>| t.and_then(canonical_json).unwrap_or_default();
    let text = format!("{}||{}", part(pod), part(all));
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_hash_is_sha256_of_sorted_compact_json() {
        // sha256("{\"a\":\"1\",\"b\":\"2\"}||{\"a\":\"1\",\"b\":\"2\"}")
        let h = label_hash(
            Some(r#"{"b": "2", "a": "1"}"#),
            Some(r#"{"a":"1","b":"2"}"#),
        );
        assert_eq!(h.len(), 64);
        assert_eq!(h, h.to_uppercase());
        let expected: String = Sha256::digest(br#"{"a":"1","b":"2"}||{"a":"1","b":"2"}"#)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(h, expected);
        assert_eq!(label_hash(None, None), label_hash(Some("not json"), None));
    }
}
