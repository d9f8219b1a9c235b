//! Differential fuzzing of `LabelParser::parse_filtered` against serde_json.
//!
//! Byte 0 picks which of a fixed set of keys are enabled; the rest is the label JSON. Where
//! serde_json reads `null` or an object of strings, the parser must return the same filtered map
//! (duplicates: last wins in both); anything else serde_json reads or rejects must be an error.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{EnabledKeys, LabelParser, ParsedLabels};

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

    let want: Option<(ParsedLabels, BTreeMap<Vec<u8>, Vec<u8>>)> =
        match serde_json::from_slice::<serde_json::Value>(json) {
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
            let map: BTreeMap<Vec<u8>, Vec<u8>> = out
                .iter()
                .map(|&(k, v)| (enabled.name(k).to_vec(), values.get(v.0).to_vec()))
                .collect();
            assert_eq!(map, want_map);
        }
        (Err(_), None) => {}
        (got, want) => panic!("parser {got:?} vs serde_json {want:?}"),
    }
});
