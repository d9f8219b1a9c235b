//! masu's daily roll-up of an AWS frame (`AWSPostProcessor._generate_daily_data`,
//! `koku/masu/util/aws/aws_post_processor.py` @ b484555).
//!
//! `df.groupby([...19 keys, the start date floored to the day...], dropna=False).agg({...})`,
//! then `reset_index()` and a random `row_uuid` per row. The output columns are the keys in
//! group-by order, the aggregates in dict order, then `row_uuid`; the rows come in pandas'
//! `sort=True` order of the key tuples (strings by code point, the day as a timestamp).
//! `sum` skips NaN and adds with Kahan compensation (pandas' `group_sum`); `max` skips NaN (NaN
//! when every value is NaN); `max` of text columns is Python's string `max`.

use std::collections::BTreeMap;

use super::frame::{Col, Frame};

/// The group-by keys; `lineitem_usagestartdate` is floored to the day (`pd.Grouper(freq="D")`).
pub const GROUP_BY: &[&str] = &[
    "lineitem_resourceid",
    "lineitem_usagestartdate",
    "bill_payeraccountid",
    "lineitem_usageaccountid",
    "lineitem_legalentity",
    "lineitem_lineitemdescription",
    "bill_billingentity",
    "lineitem_productcode",
    "lineitem_availabilityzone",
    "lineitem_lineitemtype",
    "lineitem_usagetype",
    "lineitem_operation",
    "product_productfamily",
    "product_operatingsystem",
    "product_instancetype",
    "product_region",
    "pricing_unit",
    "resourcetags",
    "costcategory",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Sum,
    Max,
}

/// The aggregations, in masu's dict order.
pub const AGGREGATES: &[(&str, Agg)] = &[
    ("lineitem_usageamount", Agg::Sum),
    ("lineitem_normalizationfactor", Agg::Max),
    ("lineitem_normalizedusageamount", Agg::Sum),
    ("lineitem_currencycode", Agg::Max),
    ("lineitem_unblendedrate", Agg::Max),
    ("lineitem_unblendedcost", Agg::Sum),
    ("lineitem_blendedrate", Agg::Max),
    ("lineitem_blendedcost", Agg::Sum),
    ("pricing_publicondemandcost", Agg::Sum),
    ("pricing_publicondemandrate", Agg::Max),
    ("savingsplan_savingsplaneffectivecost", Agg::Sum),
    ("bill_invoiceid", Agg::Max),
    ("product_productname", Agg::Max),
    ("product_vcpu", Agg::Max),
    ("product_memory", Agg::Max),
];

const DAY_MS: i64 = 86_400_000;

/// A group key part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Ts(i64),
    Str(String),
    /// A float key (no AWS key column is one; kept total for the type's sake): its bits.
    F(u64),
}

fn key_of(col: &Col, r: usize, floor_day: bool) -> Key {
    match col {
        Col::Str(v) => Key::Str(v[r].clone()),
        Col::Ts(v, _) => Key::Ts(if floor_day {
            v[r].div_euclid(DAY_MS) * DAY_MS
        } else {
            v[r]
        }),
        Col::F64(v) => Key::F(v[r].to_bits()),
    }
}

/// Kahan-compensated sum skipping NaN, as pandas' `group_sum`.
fn kahan_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for v in values {
        if v.is_nan() {
            continue;
        }
        let y = v - comp;
        let t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    sum
}

/// The daily frame; `new_uuid` gives each output row its `row_uuid`. Every column named in
/// [`GROUP_BY`] and [`AGGREGATES`] must exist (the caller checked the CUR's required columns).
pub fn daily_rollup(f: &Frame, mut new_uuid: impl FnMut() -> String) -> anyhow::Result<Frame> {
    let col = |name: &str| {
        f.col(name)
            .ok_or_else(|| anyhow::anyhow!("the daily roll-up needs the column {name}"))
    };
    let keys: Vec<&Col> = GROUP_BY.iter().map(|n| col(n)).collect::<Result<_, _>>()?;
    let aggs: Vec<&Col> = AGGREGATES
        .iter()
        .map(|(n, _)| col(n))
        .collect::<Result<_, _>>()?;
    let mut groups: BTreeMap<Vec<Key>, Vec<usize>> = BTreeMap::new();
    for r in 0..f.rows {
        let k: Vec<Key> = keys
            .iter()
            .enumerate()
            .map(|(i, c)| key_of(c, r, GROUP_BY[i] == "lineitem_usagestartdate"))
            .collect();
        groups.entry(k).or_default().push(r);
    }
    let mut out = Frame {
        names: GROUP_BY
            .iter()
            .chain(AGGREGATES.iter().map(|(n, _)| n))
            .map(|n| n.to_string())
            .collect(),
        cols: Vec::new(),
        rows: groups.len(),
    };
    out.names.push("row_uuid".into());
    for (i, c) in keys.iter().enumerate() {
        let day = GROUP_BY[i] == "lineitem_usagestartdate";
        out.cols.push(match c {
            Col::Str(_) => Col::Str(
                groups
                    .keys()
                    .map(|k| match &k[i] {
                        Key::Str(s) => s.clone(),
                        _ => unreachable!(),
                    })
                    .collect(),
            ),
            Col::Ts(_, utc) => Col::Ts(
                groups
                    .keys()
                    .map(|k| match k[i] {
                        Key::Ts(t) => t,
                        _ => unreachable!(),
                    })
                    .collect(),
                *utc,
            ),
            Col::F64(_) => {
                debug_assert!(!day);
                Col::F64(
                    groups
                        .keys()
                        .map(|k| match k[i] {
                            Key::F(b) => f64::from_bits(b),
                            _ => unreachable!(),
                        })
                        .collect(),
                )
            }
        });
    }
    for (c, (name, agg)) in aggs.iter().zip(AGGREGATES) {
        out.cols.push(match (c, agg) {
            (Col::F64(v), Agg::Sum) => Col::F64(
                groups
                    .values()
                    .map(|rows| kahan_sum(rows.iter().map(|&r| v[r])))
                    .collect(),
            ),
            (Col::F64(v), Agg::Max) => Col::F64(
                groups
                    .values()
                    .map(|rows| {
                        rows.iter()
                            .map(|&r| v[r])
                            .filter(|x| !x.is_nan())
                            .reduce(f64::max)
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            ),
            (Col::Str(v), Agg::Max) => Col::Str(
                groups
                    .values()
                    .map(|rows| {
                        rows.iter()
                            .map(|&r| &v[r])
                            .max()
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect(),
            ),
            _ => anyhow::bail!("the daily roll-up cannot aggregate the column {name}"),
        });
    }
    out.cols
        .push(Col::Str((0..out.rows).map(|_| new_uuid()).collect()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: usize, over: &[(&str, Col)]) -> Frame {
        let mut f = Frame {
            rows,
            ..Frame::default()
        };
        for n in GROUP_BY.iter().chain(AGGREGATES.iter().map(|(n, _)| n)) {
            let c = over
                .iter()
                .find(|(o, _)| o == n)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| {
                    if n.contains("amount")
                        || n.contains("cost")
                        || n.contains("rate")
                        || n.contains("factor")
                    {
                        Col::F64(vec![1.0; rows])
                    } else if *n == "lineitem_usagestartdate" {
                        Col::Ts(vec![0; rows], true)
                    } else {
                        Col::Str(vec![String::new(); rows])
                    }
                });
            f.names.push(n.to_string());
            f.cols.push(c);
        }
        f
    }

    #[test]
    fn groups_by_day_sums_and_maxes() {
        let h = 3_600_000;
        let f = frame(
            4,
            &[
                (
                    "lineitem_resourceid",
                    Col::Str(vec!["i-b".into(), "i-a".into(), "i-b".into(), "i-b".into()]),
                ),
                (
                    "lineitem_usagestartdate",
                    Col::Ts(vec![0, h, 2 * h, DAY_MS + h], true),
                ),
                (
                    "lineitem_unblendedcost",
                    Col::F64(vec![1.5, 2.0, f64::NAN, 4.0]),
                ),
                ("lineitem_unblendedrate", Col::F64(vec![0.1, 0.2, 0.3, 0.4])),
                (
                    "product_vcpu",
                    Col::Str(vec!["16".into(), "4".into(), "8".into(), "8".into()]),
                ),
            ],
        );
        let mut n = 0;
        let d = daily_rollup(&f, || {
            n += 1;
            format!("u{n}")
        })
        .unwrap();
        assert_eq!(d.rows, 3);
        assert_eq!(
            d.col("lineitem_resourceid"),
            Some(&Col::Str(vec!["i-a".into(), "i-b".into(), "i-b".into()]))
        );
        assert_eq!(
            d.col("lineitem_usagestartdate"),
            Some(&Col::Ts(vec![0, 0, DAY_MS], true))
        );
        assert_eq!(
            d.col("lineitem_unblendedcost"),
            Some(&Col::F64(vec![2.0, 1.5, 4.0]))
        );
        assert_eq!(
            d.col("lineitem_unblendedrate"),
            Some(&Col::F64(vec![0.2, 0.3, 0.4]))
        );
        // Python's string max: "8" > "16"
        assert_eq!(
            d.col("product_vcpu"),
            Some(&Col::Str(vec!["4".into(), "8".into(), "8".into()]))
        );
        assert_eq!(d.names.last().map(String::as_str), Some("row_uuid"));
        assert_eq!(d.names.len(), GROUP_BY.len() + AGGREGATES.len() + 1);
    }
}
