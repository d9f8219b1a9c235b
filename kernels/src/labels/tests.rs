//! Edge-case table, and property tests against serde_json as the reference parser.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Parses and resolves ids back to strings; also checks `out` is strictly sorted by key.
fn parse(json: &[u8], enabled: &EnabledKeys) -> Result<(ParsedLabels, Pairs), KernelError> {
    let mut parser = LabelParser::new();
    let mut values = Interner::new();
    let mut out = vec![(KeyId(99), ValueId(99))];
    let parsed = parser.parse_filtered(json, enabled, &mut values, &mut out)?;
    assert!(
        out.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted, unique keys"
    );
    Ok((parsed, resolve(&out, enabled, &values)))
}

fn resolve(labels: &[Label], enabled: &EnabledKeys, values: &Interner) -> Pairs {
    labels
        .iter()
        .map(|&(k, v)| (enabled.name(k).to_vec(), values.get(v.0).to_vec()))
        .collect()
}

/// Reference: serde_json into a map (last duplicate wins), all values strings, then filter.
fn reference(json: &[u8], enabled: &EnabledKeys) -> Option<(ParsedLabels, Pairs)> {
    match serde_json::from_slice::<serde_json::Value>(json).ok()? {
        serde_json::Value::Null => Some((ParsedLabels::Null, Vec::new())),
        serde_json::Value::Object(map) => {
            let mut kept = BTreeMap::new();
            for (k, v) in map {
                let v = v.as_str()?.to_owned();
                if enabled.lookup(k.as_bytes()).is_some() {
                    kept.insert(k.into_bytes(), v.into_bytes());
                }
            }
            Some((ParsedLabels::Map, kept.into_iter().collect()))
        }
        _ => None,
    }
}

fn p(pairs: &[(&str, &str)]) -> Pairs {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn edge_cases() {
    let enabled = EnabledKeys::new(["app", "tier", "é", "a\"b", "", "x"]);
    let ok = |pairs: &[(&str, &str)]| Some((ParsedLabels::Map, p(pairs)));
    let cases: Vec<(&str, Option<(ParsedLabels, Pairs)>)> = vec![
        ("null", Some((ParsedLabels::Null, vec![]))),
        ("  null\n", Some((ParsedLabels::Null, vec![]))),
        ("{}", ok(&[])),
        (" { } ", ok(&[])),
        (
            r#"{"app": "web", "tier": "gold"}"#,
            ok(&[("app", "web"), ("tier", "gold")]),
        ),
        (
            r#"{"tier":"gold","app":"web"}"#,
            ok(&[("app", "web"), ("tier", "gold")]),
        ),
        (r#"{"other": "1", "app": "web"}"#, ok(&[("app", "web")])),
        (r#"{"app": "a", "app": "b"}"#, ok(&[("app", "b")])),
        (
            r#"{"app": "a", "x": "1", "app": "b", "app": "c"}"#,
            ok(&[("app", "c"), ("x", "1")]),
        ),
        (r#"{"\u00e9": "caf\u00e9"}"#, ok(&[("é", "café")])),
        (r#"{"é": "😀"}"#, ok(&[("é", "😀")])),
        (r#"{"x": "\ud83d\ude00"}"#, ok(&[("x", "😀")])),
        (r#"{"a\"b": "q\"\\\/\n\t"}"#, ok(&[("a\"b", "q\"\\/\n\t")])),
        (r#"{"": ""}"#, ok(&[("", "")])),
        (r#"{"app": "web", "n": 1}"#, None),
        (r#"{"app": 1}"#, None),
        (r#"{"app": null}"#, None),
        (r#"{"app": true}"#, None),
        (r#"{"app": {}}"#, None),
        (r#"{"app": []}"#, None),
        (r#"{"app": ["a"]}"#, None),
        (r#"{"other": {"app": "x"}}"#, None),
        ("[]", None),
        (r#"["app", "web"]"#, None),
        ("1", None),
        (r#""app""#, None),
        ("true", None),
        ("nul", None),
        ("nullx", None),
        ("null null", None),
        ("", None),
        ("   ", None),
        ("{", None),
        (r#"{"app": "web""#, None),
        (r#"{"app": "web"} x"#, None),
        (r#"{"app": "web"}{}"#, None),
        (r#"{"app": "web",}"#, None),
        (r#"{app: "web"}"#, None),
        (r#"{'app': 'web'}"#, None),
        ("{}}", None),
        ("\u{feff}{}", None),
        (r#"{"x": "\ud800"}"#, None),
        (r#"{"x": "\udc00"}"#, None),
        (r#"{"x": "\ud800\u0041"}"#, None),
        (r#"{"x": "\u00"}"#, None),
        (r#"{"x": "\q"}"#, None),
        ("{\"x\": \"a\u{1}b\"}", None),
        ("{\"x\": \"a\nb\"}", None),
        ("{\"x\": \"a\tb\"}", None),
        ("{\"x\": \"a\u{7f}b\"}", ok(&[("x", "a\u{7f}b")])),
        (r#"{"x": "1"} null"#, None),
        (r#"{"x": "1"}   "#, ok(&[("x", "1")])),
        ("\u{b}{}", None),
        ("{\"x\"\u{c}: \"1\"}", None),
    ];
    for (json, want) in cases {
        let got = parse(json.as_bytes(), &enabled).ok();
        assert_eq!(got, want, "{json:?}");
        assert_eq!(
            reference(json.as_bytes(), &enabled),
            want,
            "{json:?} (reference)"
        );
    }
}

#[test]
fn invalid_utf8_is_rejected() {
    let enabled = EnabledKeys::new(["x"]);
    for json in [
        &b"{\"x\": \"\xff\"}"[..],
        b"{\"\xc3\": \"1\"}",
        b"{\"x\": \"\xed\xa0\x80\"}",
    ] {
        assert!(parse(json, &enabled).is_err(), "{json:?}");
        assert_eq!(reference(json, &enabled), None);
    }
}

#[test]
fn errors_say_what_and_where() {
    let enabled = EnabledKeys::new(["app"]);
    let err = |json: &str| parse(json.as_bytes(), &enabled).unwrap_err().to_string();
    assert_eq!(err(""), "invalid label JSON at byte 0: empty label JSON");
    assert!(err(" [1]").contains("at byte 1") && err(" [1]").contains("array"));
    let msg = err(r#"{"a": "b", "app": 12}"#);
    assert!(
        msg.contains("at byte 18") && msg.contains("\"app\"") && msg.contains("number"),
        "{msg}"
    );
    assert!(err(r#"{"a": "b"} x"#).contains("not valid JSON"));
}

#[test]
fn hidden_non_string_duplicate_is_an_error() {
    // serde_json and json.loads keep only the last "app"; every value is still checked here.
    let enabled = EnabledKeys::new(["app"]);
    assert!(parse(br#"{"app": 0, "app": "b"}"#, &enabled).is_err());
    assert!(reference(br#"{"app": 0, "app": "b"}"#, &enabled).is_some());
}

#[test]
fn empty_enabled_keys_drop_everything() {
    let enabled = EnabledKeys::new(Vec::<&str>::new());
    assert!(enabled.is_empty());
    assert_eq!(
        parse(br#"{"app": "web"}"#, &enabled),
        Ok((ParsedLabels::Map, vec![]))
    );
    assert!(parse(br#"{"app": 1}"#, &enabled).is_err());
}

#[test]
fn enabled_keys_rank_in_byte_order() {
    let enabled = EnabledKeys::new(["b", "a", "é", "b", "B"]);
    assert_eq!(enabled.len(), 4);
    let names: Vec<&[u8]> = (0..4).map(|i| enabled.name(KeyId(i))).collect();
    assert_eq!(names, [&b"B"[..], b"a", b"b", "é".as_bytes()]);
    assert_eq!(enabled.lookup(b"a"), Some(KeyId(1)));
    assert_eq!(enabled.lookup(b"c"), None);
}

#[test]
fn parser_is_reusable_and_values_interned_once() {
    let enabled = EnabledKeys::new(["app", "tier"]);
    let mut parser = LabelParser::new();
    let mut values = Interner::new();
    let mut out = Vec::new();
    for _ in 0..3 {
        parser
            .parse_filtered(
                br#"{"app": "web", "tier": "web", "skip": "x"}"#,
                &enabled,
                &mut values,
                &mut out,
            )
            .unwrap();
        assert_eq!(out, [(KeyId(0), ValueId(0)), (KeyId(1), ValueId(0))]);
        assert!(parser
            .parse_filtered(b"[", &enabled, &mut values, &mut out)
            .is_err());
        assert!(out.is_empty());
    }
    // Dropped keys and overwritten duplicates are not interned.
    parser
        .parse_filtered(
            br#"{"app": "old", "app": "new", "skip": "x"}"#,
            &enabled,
            &mut values,
            &mut out,
        )
        .unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(values.lookup(b"old"), None);
}

#[test]
fn label_sets() {
    let mut sets = LabelSets::new();
    assert_eq!(sets.len(), 1);
    assert!(!sets.is_empty());
    assert_eq!(sets.get(SetId(0)), &[]);
    assert_eq!(sets.intern(&[]), SetId(0));
    let a = [(KeyId(0), ValueId(1))];
    let b = [(KeyId(0), ValueId(1)), (KeyId(2), ValueId(0))];
    assert_eq!(sets.intern(&a), SetId(1));
    assert_eq!(sets.intern(&b), SetId(2));
    assert_eq!(sets.intern(&a), SetId(1));
    assert_eq!(sets.get(SetId(2)), &b);
    assert_eq!(sets.len(), 3);
    assert_eq!(sets.try_intern(&b), Ok(SetId(2)));
    assert_eq!(format!("{sets:?}"), "LabelSets { len: 3, pairs: 3 }");
}

#[test]
fn label_set_limit_is_an_error() {
    // Room for the empty set and one more.
    let mut sets = LabelSets::with_limit(2);
    let a = [(KeyId(0), ValueId(1))];
    let b = [(KeyId(1), ValueId(1))];
    assert_eq!(sets.try_intern(&a), Ok(SetId(1)));
    assert_eq!(
        sets.try_intern(&b),
        Err(KernelError::TooManyDistinct { limit: 2 })
    );
    assert_eq!(sets.len(), 2);
    assert_eq!(sets.try_intern(&[]), Ok(SetId(0)));
    assert_eq!(sets.intern(&a), SetId(1));
}

#[test]
#[should_panic(expected = "more than 2 distinct")]
fn label_set_intern_past_the_limit_panics() {
    let mut sets = LabelSets::with_limit(2);
    sets.intern(&[(KeyId(0), ValueId(1))]);
    sets.intern(&[(KeyId(0), ValueId(2))]);
}

#[test]
fn write_json_escapes() {
    let enabled = EnabledKeys::new(["a", "k\"\\", "\u{1}"]);
    let mut values = Interner::new();
    let mut labels = Vec::new();
    for (k, v) in [
        ("a", "x\n\t\r\u{8}\u{c}\u{1f}é"),
        ("k\"\\", "\"\\/"),
        ("\u{1}", ""),
    ] {
        labels.push((
            enabled.lookup(k.as_bytes()).unwrap(),
            ValueId(values.intern(v.as_bytes())),
        ));
    }
    labels.sort();
    let mut out = b"prefix".to_vec();
    write_json(&labels, &enabled, &values, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"prefix{"\u0001":"","a":"x\n\t\r\b\f\u001fé","k\"\\":"\"\\/"}"#
    );
    let mut empty = Vec::new();
    write_json(&[], &enabled, &values, &mut empty);
    assert_eq!(empty, b"{}");
}

/// Python's `json.dumps` default: `ensure_ascii=True`, so non-ASCII becomes `\uXXXX`
/// (surrogate pairs above the BMP).
fn python_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && c >= ' ' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "app", "tier", "env", "é", "a\"b", "", "k\\", "\u{1}", "😀"
        ])
        .prop_map(str::to_owned),
        "[a-c\"\\\\\u{0}-\u{1f}é日😀]{0,4}",
    ]
}

fn value_text() -> impl Strategy<Value = String> {
    "[a-z\"\\\\/\u{0}-\u{1f}\u{7f}é日😀\u{2028} ]{0,8}"
}

/// Serialises pairs (duplicates allowed) in one of three styles.
fn serialise(pairs: &[(String, String)], style: u8) -> String {
    let (item_sep, kv_sep) = if style == 0 { (",", ":") } else { (", ", ": ") };
    let enc = |s: &str| {
        if style == 2 {
            python_string(s)
        } else {
            serde_json::to_string(s).unwrap()
        }
    };
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}{kv_sep}{}", enc(k), enc(v)))
        .collect();
    format!("{{{}}}", body.join(item_sep))
}

fn enabled_from(pairs: &[(String, String)], mask: u64, extra: &[String]) -> EnabledKeys {
    let keys = pairs
        .iter()
        .enumerate()
        .filter(|(i, _)| mask >> (i % 64) & 1 == 1)
        .map(|(_, (k, _))| k.clone())
        .chain(extra.iter().cloned());
    EnabledKeys::new(keys.collect::<Vec<_>>())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        value_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key_text(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn matches_serde_json(
        pairs in proptest::collection::vec((key_text(), value_text()), 0..12),
        mask in any::<u64>(),
        extra in proptest::collection::vec(key_text(), 0..3),
        style in 0u8..3,
        pad in proptest::sample::select(vec!["", " ", "\n", " \t\r\n "]),
    ) {
        let enabled = enabled_from(&pairs, mask, &extra);
        let json = format!("{pad}{}{pad}", serialise(&pairs, style));
        let want = reference(json.as_bytes(), &enabled);
        prop_assert!(want.is_some(), "reference rejected {:?}", json);
        prop_assert_eq!(parse(json.as_bytes(), &enabled).ok(), want, "{:?}", json);

        // write_json of the result parses back to the same pairs.
        let mut parser = LabelParser::new();
        let mut values = Interner::new();
        let mut labels = Vec::new();
        parser.parse_filtered(json.as_bytes(), &enabled, &mut values, &mut labels).unwrap();
        let mut written = Vec::new();
        write_json(&labels, &enabled, &values, &mut written);
        let mut again = Vec::new();
        parser.parse_filtered(&written, &enabled, &mut values, &mut again).unwrap();
        prop_assert_eq!(&again, &labels);
        let reparsed: BTreeMap<String, String> = serde_json::from_slice(&written).unwrap();
        prop_assert_eq!(reparsed.len(), labels.len());
    }

    #[test]
    fn arbitrary_json_agrees_with_serde_json(value in json_value(), mask in any::<u64>(), keys in proptest::collection::vec(key_text(), 0..4)) {
        let enabled = EnabledKeys::new(keys.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, k)| k.clone()).collect::<Vec<_>>());
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(parse(json.as_bytes(), &enabled).ok(), reference(json.as_bytes(), &enabled), "{:?}", json);
    }

    #[test]
    fn mangled_json_agrees_with_serde_json(
        // Unique keys: with duplicates serde_json would not see a non-string value a mangle
        // made and a later duplicate hid (see `hidden_non_string_duplicate_is_an_error`).
        pairs in proptest::collection::btree_map(key_text(), value_text(), 0..6)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>()),
        cut in any::<prop::sample::Index>(),
        insert in proptest::option::of((any::<prop::sample::Index>(), proptest::sample::select(vec![b'{', b'}', b'"', b',', b':', b'\\', b'[', b'n', b'1', b' ', 0xff, 0xc3]))),
    ) {
        let enabled = enabled_from(&pairs, u64::MAX, &[]);
        let mut json = serialise(&pairs, 1).into_bytes();
        json.truncate(cut.index(json.len() + 1));
        if let Some((at, byte)) = insert {
            json.insert(at.index(json.len() + 1), byte);
        }
        prop_assert_eq!(parse(&json, &enabled).ok(), reference(&json, &enabled), "{:?}", String::from_utf8_lossy(&json));
    }

    #[test]
    fn label_sets_match_naive(sets in proptest::collection::vec(
        proptest::collection::btree_map(0u32..4, 0u32..3, 0..4), 0..40)) {
        let mut fast = LabelSets::new();
        let mut naive: Vec<Vec<Label>> = vec![Vec::new()];
        for set in sets {
            let labels: Vec<Label> = set.into_iter().map(|(k, v)| (KeyId(k), ValueId(v))).collect();
            let want = naive.iter().position(|s| *s == labels).unwrap_or_else(|| {
                naive.push(labels.clone());
                naive.len() - 1
            });
            prop_assert_eq!(fast.intern(&labels), SetId(want as u32));
        }
        prop_assert_eq!(fast.len(), naive.len());
        for (i, s) in naive.iter().enumerate() {
            prop_assert_eq!(fast.get(SetId(i as u32)), s.as_slice());
        }
    }
}
