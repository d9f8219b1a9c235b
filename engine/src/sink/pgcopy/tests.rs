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
