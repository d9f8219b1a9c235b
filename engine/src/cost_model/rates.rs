//! Koku's cost model, as masu's `CostModelDBAccessor` reads it
//! (`koku/masu/database/cost_model_db_accessor.py`).
//!
//! The input is the `cost_model` row: `rates` (a list of `{metric: {name}, cost_type,
//! tiered_rates | tag_rates}`), `distribution_info` and `markup`. It comes from the tenant's
//! `cost_model` table through `cost_model_map`, or from a JSON/TOML file of the same shape.
//!
//! Values keep the form they had: a JSON number is a Python `float` to masu, a string a `str`.
//! That matters, because masu binds them to Trino as `DOUBLE` or `VARCHAR` and amortises monthly
//! rates with `Decimal(value)`, which is exact for a string and the binary expansion for a float.

use super::decimal::Dec;
use serde_json::Value;

pub const INFRASTRUCTURE: &str = "Infrastructure";
pub const SUPPLEMENTARY: &str = "Supplementary";

pub const VM_HOUR: &str = "vm_cost_per_hour";
pub const VM_CORE_HOUR: &str = "vm_core_cost_per_hour";
pub const VM_CORE_MONTH: &str = "vm_core_cost_per_month";
pub const GPU_MONTH: &str = "gpu_cost_per_month";
pub const PROJECT_MONTH: &str = "project_per_month";

/// A rate value as masu holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum RateValue {
    /// A JSON number: a Python `float`.
    Float(f64),
    /// A JSON string: a Python `str`.
    Text(String),
}

impl RateValue {
    fn from_json(v: &Value) -> Option<RateValue> {
        match v {
            Value::Number(n) => n.as_f64().map(RateValue::Float),
            Value::String(s) => Some(RateValue::Text(s.clone())),
            _ => None,
        }
    }

    /// Python truthiness (`if rate:`): zero and the empty string are false.
    pub fn truthy(&self) -> bool {
        match self {
            RateValue::Float(f) => *f != 0.0,
            RateValue::Text(s) => !s.is_empty(),
        }
    }

    /// `CAST(<bound value> AS DECIMAL(p, scale))`: a bound double casts from its shortest
    /// decimal, a bound varchar from its text.
    pub fn cast(&self, scale: u32) -> Option<Dec> {
        let d = match self {
            RateValue::Float(f) => Dec::shortest(*f)?,
            RateValue::Text(s) => Dec::parse(s)?,
        };
        Some(d.rescale(scale))
    }

    /// masu's `get_amortized_monthly_cost_model_rate`: `Decimal(value) / days_in_month`.
    pub fn amortized(&self, days: u32) -> Option<Dec> {
        let d = match self {
            RateValue::Float(f) => Dec::exact(*f)?,
            RateValue::Text(s) => Dec::parse(s)?,
        };
        Some(d.div_python(days))
    }
}

/// One tag rate of a metric, as `metric_to_tag_params_map` builds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TagRate {
    pub rate_type: String,
    pub tag_key: String,
    /// The `default: true` value (`float(...)`), if any.
    pub default_rate: Option<f64>,
    /// Tag value → rate (`float(...)`), in the cost model's order. Empty means not defined.
    pub value_rates: Vec<(String, f64)>,
    /// What the `_rtu` files record of the rate.
    pub rtu: RtuParams,
}

/// The parameters only the `_rtu` files bind (`cost_model_id`, `custom_name`, `metric_type`,
/// `rate_uuid`). Koku's RTU accessor is not in our snapshot, so where they come from is ours: the
/// cost model's `uuid`, and the rate entry's `custom_name`, `metric.metric_type` (else the
/// metric's name) and `rate_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RtuParams {
    pub cost_model_id: Option<String>,
    pub custom_name: Option<String>,
    pub metric_type: Option<String>,
    pub rate_id: Option<String>,
}

impl RtuParams {
    fn of(rate: &Value, metric: &str, cost_model_id: &Option<String>) -> RtuParams {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        RtuParams {
            cost_model_id: cost_model_id.clone(),
            custom_name: text(rate.get("custom_name")),
            metric_type: text(rate.get("metric").and_then(|m| m.get("metric_type")))
                .or_else(|| Some(metric.to_string())),
            rate_id: text(rate.get("rate_id")),
        }
    }
}

/// The cost model of one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostModel {
    /// `cost_model.uuid`, if known.
    pub uuid: Option<String>,
    rates: Vec<Value>,
    pub distribution_type: String,
    /// `distribution_info["gpu_unallocated"]`: distribute the unallocated GPU cost.
    pub gpu_unallocated: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cost model: {0}")]
pub struct CostModelError(pub String);

fn metric_name(rate: &Value) -> Option<&str> {
    rate.get("metric")?.get("name")?.as_str()
}

/// The metric's default cost type (`get_cost_model_metrics_map`, `api/metrics/constants.py`):
/// every metric these steps price defaults to Infrastructure.
fn default_cost_type(_metric: &str) -> &'static str {
    INFRASTRUCTURE
}

impl CostModel {
    /// The `cost_model` row as JSON (`{"uuid", "rates", "distribution_info", "markup"}`), or a
    /// bare `rates` list.
    pub fn from_json(v: &Value) -> Result<CostModel, CostModelError> {
        let gpu_unallocated = v
            .get("distribution_info")
            .and_then(|d| d.get("gpu_unallocated"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (rates, uuid, distribution) = match v {
            Value::Array(rates) => (rates.clone(), None, None),
            Value::Object(o) => (
                match o.get("rates") {
                    Some(Value::Array(r)) => r.clone(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => return Err(CostModelError("`rates` is not a list".into())),
                },
                o.get("uuid").and_then(Value::as_str).map(str::to_string),
                o.get("distribution_info")
                    .and_then(|d| d.get("distribution_type"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ),
            _ => {
                return Err(CostModelError(
                    "expected an object or a list of rates".into(),
                ))
            }
        };
        for (i, r) in rates.iter().enumerate() {
            if metric_name(r).is_none() {
                return Err(CostModelError(format!("rate {i} has no metric.name")));
            }
        }
        Ok(CostModel {
            uuid,
            rates,
            distribution_type: distribution.unwrap_or_else(|| "cpu".into()),
            gpu_unallocated,
        })
    }

    /// A JSON or TOML file (by extension; TOML has `[[rates]]` tables).
    pub fn from_file(path: &std::path::Path) -> Result<CostModel, CostModelError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CostModelError(format!("{}: {e}", path.display())))?;
        let value: Value = if path.extension().is_some_and(|e| e == "toml") {
            let t: toml::Value = toml::from_str(&text)
                .map_err(|e| CostModelError(format!("{}: {e}", path.display())))?;
            serde_json::to_value(t).map_err(|e| CostModelError(e.to_string()))?
        } else {
            serde_json::from_str(&text)
                .map_err(|e| CostModelError(format!("{}: {e}", path.display())))?
        };
        CostModel::from_json(&value)
            .map_err(|e| CostModelError(format!("{}: {}", path.display(), e.0)))
    }

    fn cost_type(rate: &Value, metric: &str) -> String {
        rate.get("cost_type")
            .and_then(Value::as_str)
            .unwrap_or_else(|| default_cost_type(metric))
            .to_string()
    }

    /// `infrastructure_rates` / `supplementary_rates`: the first tier's value of each metric's
    /// tiered rates of that cost type. Two rates of one metric and type add up as floats, as
    /// `price_list` does.
    pub fn tiered(&self, rate_type: &str, metric: &str) -> Option<RateValue> {
        self.tiered_with_rtu(rate_type, metric).map(|(v, _)| v)
    }

    /// [`CostModel::tiered`], with the RTU parameters of the first entry that supplied it.
    pub fn tiered_with_rtu(&self, rate_type: &str, metric: &str) -> Option<(RateValue, RtuParams)> {
        let mut found: Option<RateValue> = None;
        let mut rtu: Option<RtuParams> = None;
        for rate in &self.rates {
            if metric_name(rate) != Some(metric) || Self::cost_type(rate, metric) != rate_type {
                continue;
            }
            let Some(tiers) = rate.get("tiered_rates").and_then(Value::as_array) else {
                continue;
            };
            let Some(v) = tiers
                .first()
                .and_then(|t| t.get("value"))
                .and_then(RateValue::from_json)
            else {
                continue;
            };
            found = Some(match found {
                None => v,
                Some(prev) => RateValue::Float(as_float(&prev) + as_float(&v)),
            });
            rtu.get_or_insert_with(|| RtuParams::of(rate, metric, &self.uuid));
        }
        found.zip(rtu)
    }

    /// Whether `distribution_info` asks to distribute the unallocated GPU cost
    /// (`metric_constants.GPU_UNALLOCATED`).
    pub fn distributes_gpu(&self) -> bool {
        self.gpu_unallocated
    }

    /// Whether any rate is tag based (masu runs the tag steps only then).
    pub fn has_tag_rates(&self) -> bool {
        self.rates
            .iter()
            .any(|r| r.get("tag_rates").is_some_and(|t| !t.is_null()))
    }

    /// `metric_to_tag_params_map[metric]`, in the cost model's order.
    pub fn tag_rates(&self, metric: &str) -> Vec<TagRate> {
        let mut out = Vec::new();
        for rate in &self.rates {
            if metric_name(rate) != Some(metric) {
                continue;
            }
            let Some(tag) = rate.get("tag_rates").filter(|t| t.is_object()) else {
                continue;
            };
            let mut param = TagRate {
                rate_type: Self::cost_type(rate, metric),
                tag_key: tag
                    .get("tag_key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                default_rate: None,
                value_rates: Vec::new(),
                rtu: RtuParams::of(rate, metric, &self.uuid),
            };
            for tv in tag
                .get("tag_values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let value = tv
                    .get("value")
                    .and_then(RateValue::from_json)
                    .map(|v| as_float(&v));
                let Some(value) = value else { continue };
                if tv.get("default").and_then(Value::as_bool).unwrap_or(false) {
                    param.default_rate = Some(value);
                } else {
                    let name = tv.get("tag_value").and_then(Value::as_str).unwrap_or("");
                    match param.value_rates.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = value, // a dict keeps the last assignment
                        None => param.value_rates.push((name.to_string(), value)),
                    }
                }
            }
            out.push(param);
        }
        out
    }
}

/// Python's `float(value)`.
fn as_float(v: &RateValue) -> f64 {
    match v {
        RateValue::Float(f) => *f,
        RateValue::Text(s) => s.trim().parse().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> CostModel {
        CostModel::from_json(&json!({
            "uuid": "5a5f5c6e-0000-4000-8000-000000000001",
            "rates": [
                {"metric": {"name": "vm_cost_per_hour"}, "cost_type": "Infrastructure",
                 "tiered_rates": [{"value": "0.25", "unit": "USD"}]},
                {"metric": {"name": "vm_cost_per_hour"}, "cost_type": "Infrastructure",
                 "tiered_rates": [{"value": 0.5, "unit": "USD"}]},
                {"metric": {"name": "vm_core_cost_per_month"},
                 "tiered_rates": [{"value": 31, "unit": "USD"}]},
                {"metric": {"name": "gpu_cost_per_month"}, "cost_type": "Infrastructure",
                 "tag_rates": {"tag_key": "nvidia", "tag_values": [
                     {"tag_value": "Tesla T4", "value": "100", "default": false},
                     {"tag_value": "", "value": 7, "default": true}]}}
            ],
            "distribution_info": {"distribution_type": "memory"}
        }))
        .unwrap()
    }

    #[test]
    fn tiered_rates_add_up_per_metric_and_type() {
        let m = model();
        assert_eq!(
            m.tiered(INFRASTRUCTURE, VM_HOUR),
            Some(RateValue::Float(0.75))
        );
        assert_eq!(m.tiered(SUPPLEMENTARY, VM_HOUR), None);
        // No cost_type: the metric's default, Infrastructure.
        assert_eq!(
            m.tiered(INFRASTRUCTURE, VM_CORE_MONTH),
            Some(RateValue::Float(31.0))
        );
        assert_eq!(m.tiered(SUPPLEMENTARY, VM_CORE_MONTH), None);
        assert_eq!(m.distribution_type, "memory");
    }

    #[test]
    fn tag_rates_split_default_and_values() {
        let t = model().tag_rates(GPU_MONTH);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rate_type, INFRASTRUCTURE);
        assert_eq!(t[0].tag_key, "nvidia");
        assert_eq!(t[0].default_rate, Some(7.0));
        assert_eq!(t[0].value_rates, vec![("Tesla T4".to_string(), 100.0)]);
        assert!(model().has_tag_rates());
    }

    #[test]
    fn amortised_rates_follow_python_decimal() {
        // Decimal(31.0) / 31 == 1; Decimal('0.1') / 3 vs Decimal(0.1) / 3 differ at the 18th place.
        let one = RateValue::Float(31.0).amortized(31).unwrap().rescale(15);
        assert_eq!(one.text(), "1.000000000000000");
        let s = RateValue::Text("0.1".into()).amortized(3).unwrap();
        assert_eq!(s.text(), "0.03333333333333333333333333333");
        let f = RateValue::Float(0.1).amortized(3).unwrap();
        assert_eq!(f.text(), "0.03333333333333333518370504104");
    }

    #[test]
    fn bad_models_are_refused() {
        assert!(CostModel::from_json(&json!({"rates": 3})).is_err());
        assert!(CostModel::from_json(&json!([{"metric": {}}])).is_err());
        assert!(CostModel::from_json(&json!("x")).is_err());
    }
}
