//! Differential fuzzing of `LabelParser::parse_filtered` against serde_json.
//!
//! Byte 0 picks which of a fixed set of keys are enabled; the rest is the label JSON. Where
//! serde_json reads `null` or an object of strings with unique keys, the parser must return the
//! same filtered map; anything serde_json rejects, or reads as another type, must be an error.
//! With duplicate keys serde_json keeps only the last value, so a non-string value that a later
//! duplicate hides goes unseen: there the parser may also error, and if it succeeds its map
//! must still match (last wins in both).
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{EnabledKeys, LabelParser, ParsedLabels};

/// Whether a top-level JSON object repeats a key.
struct HasDuplicateKeys(bool);

impl<'de> serde::Deserialize<'de> for HasDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HasDuplicateKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = BTreeSet::new();
                let mut dup = false;
                while let Some((k, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    dup |= !seen.insert(k);
                }
                Ok(HasDuplicateKeys(dup))
            }
        }
        d.deserialize_map(V)
    }
}

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

const KEYS: [&str; 8] = ["app", "tier", "a", "b", "", "é", "x\"y", "k\\"];

fuzz_target!(|data: &[u8]| {
    let Some((&mask, json)) = data.split_first() else {
        return;
    };
    let enabled = EnabledKeys::new(
        KEYS.iter()
            .enumerate()
            .filter(|(i, _)| mask >> i & 1 == 1)
            .map(|(_, k)| *k),
    );
    let mut parser = LabelParser::new();
    let mut values = Interner::new();
    let mut out = Vec::new();
    let got = parser.parse_filtered(json, &enabled, &mut values, &mut out);

    let want: Option<(ParsedLabels, Map)> = match serde_json::from_slice::<serde_json::Value>(json)
    {
        Ok(serde_json::Value::Null) => Some((ParsedLabels::Null, BTreeMap::new())),
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
            .collect::<Option<Vec<_>>>()
            .map(|pairs| {
                let kept = pairs
                    .into_iter()
                    .filter(|(k, _)| enabled.lookup(k.as_bytes()).is_some())
                    .map(|(k, v)| (k.into_bytes(), v.into_bytes()))
                    .collect();
                (ParsedLabels::Map, kept)
            }),
        _ => None,
    };

    match (got, want) {
        (Ok(parsed), Some((want_parsed, want_map))) => {
            assert_eq!(parsed, want_parsed);
            assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "sorted by key");
            let map: Map = out
                .iter()
                .map(|&(k, v)| (enabled.name(k).to_vec(), values.get(v.0).to_vec()))
                .collect();
            assert_eq!(map, want_map);
        }
        (Err(_), None) => {}
        (Err(_), Some((ParsedLabels::Map, _)))
            if serde_json::from_slice::<HasDuplicateKeys>(json).is_ok_and(|d| d.0) => {}
        (got, want) => panic!("parser {got:?} vs serde_json {want:?}"),
    }
});
