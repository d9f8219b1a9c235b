//! Which CUR columns masu keeps, what they are called in Parquet and how each cell is converted.
//!
//! Followed, in `project-koku/koku`:
//! - `koku/masu/util/aws/common.py` @ 00b77a1 (`RECOMMENDED_COLUMNS`, `RECOMMENDED_ALT_COLUMNS`,
//!   `OPTIONAL_COLS`, `OPTIONAL_ALT_COLS`): the columns `create_daily_archives` reads when it
//!   splits the downloaded CUR into daily CSVs, plus the `resourcetags*` / `costcategory*`
//!   columns `fetch_optional_columns` adds (lower-cased prefix match; columns empty in every row
//!   of the file are dropped there).
//! - `koku/masu/util/aws/aws_post_processor.py` @ b484555: `CSV_COLUMN_PREFIX` (the second,
//!   case-sensitive `usecols` filter of the Parquet step), `COL_TRANSLATION` (snake-case "alt"
//!   names → `category/Name`), `get_column_converters` (dates and floats; everything else `str`),
//!   and `TRINO_REQUIRED_COLUMNS` (`koku/reporting/provider/aws/models.py` @ 00134d5) with their
//!   defaults for missing columns.
//! - `koku/masu/util/common.py` @ aa53670, `strip_characters_from_column_name`:
//!   `re.sub(r"\W+", "_", name).lower()`.

/// `RECOMMENDED_COLUMNS` ∪ `OPTIONAL_COLS` (common.py).
pub const KEPT_COLUMNS: &[&str] = &[
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "bill/InvoiceId",
    "identity/TimeInterval",
    "lineItem/LineItemType",
    "lineItem/LegalEntity",
    "lineItem/LineItemDescription",
    "lineItem/UsageAccountId",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/NormalizationFactor",
    "lineItem/NormalizedUsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/BlendedRate",
    "lineItem/BlendedCost",
    "savingsPlan/SavingsPlanEffectiveCost",
    "lineItem/TaxType",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "reservation/AmortizedUpfrontFeeForBillingPeriod",
    "reservation/AmortizedUpfrontCostForUsage",
    "reservation/RecurringFeeForUsage",
    "reservation/UnusedQuantity",
    "reservation/UnusedRecurringFee",
    "pricing/term",
    "pricing/unit",
    "product/sku",
    "product/ProductName",
    "product/productFamily",
    "product/servicecode",
    "product/region",
    "reservation/NumberOfReservations",
    "reservation/UnitsPerReservation",
    "reservation/StartTime",
    "reservation/EndTime",
    // OPTIONAL_COLS
    "product/physicalCores",
    "product/instanceType",
    "product/vcpu",
    "product/memory",
    "product/operatingSystem",
];

/// `RECOMMENDED_ALT_COLUMNS` ∪ `OPTIONAL_ALT_COLS` (common.py), for CURs with snake-case headers.
pub const KEPT_ALT_COLUMNS: &[&str] = &[
    "bill_billing_entity",
    "bill_bill_type",
    "bill_payer_account_id",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "bill_invoice_id",
    "identity_time_interval",
    "line_item_legal_entity",
    "line_item_line_item_description",
    "line_item_line_item_type",
    "line_item_usage_account_id",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_operation",
    "line_item_availability_zone",
    "line_item_resource_id",
    "line_item_usage_amount",
    "line_item_normalization_factor",
    "line_item_normalized_usage_amount",
    "line_item_currency_code",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "line_item_blended_rate",
    "line_item_blended_cost",
    "savings_plan_savings_plan_effective_cost",
    "line_item_tax_type",
    "pricing_public_on_demand_cost",
    "pricing_public_on_demand_rate",
    "reservation_amortized_upfront_fee_for_billing_period",
    "reservation_amortized_upfront_cost_for_usage",
    "reservation_recurring_fee_for_usage",
    "reservation_unused_quantity",
    "reservation_unused_recurring_fee",
    "pricing_term",
    "pricing_unit",
    "product_sku",
    "product_product_name",
    "product_product_family",
    "product_servicecode",
    "product_region",
    "reservation_number_of_reservations",
    "reservation_units_per_reservation",
    "reservation_start_time",
    "reservation_end_time",
    // OPTIONAL_ALT_COLS
    "product_physical_cores",
    "product_instancetype",
    "product_vcpu",
    "product_memory",
    "product_operating_system",
];

/// `AWSPostProcessor.COL_TRANSLATION` (aws_post_processor.py @ b484555): applied to header names
/// without `/`.
pub const COL_TRANSLATION: &[(&str, &str)] = &[
    ("bill_billing_entity", "bill/BillingEntity"),
    ("bill_bill_type", "bill/BillType"),
    ("bill_payer_account_id", "bill/PayerAccountId"),
    (
        "bill_billing_period_start_date",
        "bill/BillingPeriodStartDate",
    ),
    ("bill_billing_period_end_date", "bill/BillingPeriodEndDate"),
    ("bill_invoice_id", "bill/InvoiceId"),
    ("line_item_line_item_type", "lineItem/LineItemType"),
    ("line_item_usage_account_id", "lineItem/UsageAccountId"),
    ("line_item_usage_start_date", "lineItem/UsageStartDate"),
    ("line_item_usage_end_date", "lineItem/UsageEndDate"),
    ("line_item_product_code", "lineItem/ProductCode"),
    ("line_item_usage_type", "lineItem/UsageType"),
    ("line_item_operation", "lineItem/Operation"),
    ("line_item_availability_zone", "lineItem/AvailabilityZone"),
    ("line_item_resource_id", "lineItem/ResourceId"),
    ("line_item_usage_amount", "lineItem/UsageAmount"),
    (
        "line_item_normalization_factor",
        "lineItem/NormalizationFactor",
    ),
    (
        "line_item_normalized_usage_amount",
        "lineItem/NormalizedUsageAmount",
    ),
    ("line_item_currency_code", "lineItem/CurrencyCode"),
    ("line_item_unblended_rate", "lineItem/UnblendedRate"),
    ("line_item_unblended_cost", "lineItem/UnblendedCost"),
    ("line_item_blended_rate", "lineItem/BlendedRate"),
    ("line_item_blended_cost", "lineItem/BlendedCost"),
    (
        "savings_plan_savings_plan_effective_cost",
        "savingsPlan/SavingsPlanEffectiveCost",
    ),
    ("line_item_tax_type", "lineItem/TaxType"),
    (
        "pricing_public_on_demand_cost",
        "pricing/publicOnDemandCost",
    ),
    (
        "pricing_public_on_demand_rate",
        "pricing/publicOnDemandRate",
    ),
    (
        "reservation_amortized_upfront_fee_for_billing_period",
        "reservation/AmortizedUpfrontFeeForBillingPeriod",
    ),
    (
        "reservation_amortized_upfront_cost_for_usage",
        "reservation/AmortizedUpfrontCostForUsage",
    ),
    (
        "reservation_recurring_fee_for_usage",
        "reservation/RecurringFeeForUsage",
    ),
    ("reservation_unused_quantity", "reservation/UnusedQuantity"),
    (
        "reservation_unused_recurring_fee",
        "reservation/UnusedRecurringFee",
    ),
    ("pricing_term", "pricing/term"),
    ("pricing_unit", "pricing/unit"),
    ("product_sku", "product/sku"),
    ("product_product_name", "product/ProductName"),
    ("product_product_family", "product/productFamily"),
    ("product_servicecode", "product/servicecode"),
    ("product_region", "product/region"),
    ("product_instance_type", "product/instanceType"),
    ("product_memory", "product/memory"),
    ("product_vcpu", "product/vcpu"),
    (
        "reservation_number_of_reservations",
        "reservation/NumberOfReservations",
    ),
    (
        "reservation_units_per_reservation",
        "reservation/UnitsPerReservation",
    ),
    ("reservation_start_time", "reservation/StartTime"),
    ("reservation_end_time", "reservation/EndTime"),
    ("product_physical_cores", "product/physicalCores"),
    ("identity_time_interval", "identity/TimeInterval"),
    ("product_operating_system", "product/operatingSystem"),
];

/// `AWSPostProcessor.CSV_COLUMN_PREFIX`: the Parquet step's `usecols` keeps a column in the
/// kept sets or starting (case-sensitively) with one of these.
pub const CSV_COLUMN_PREFIX: &[&str] = &[
    TAG_PREFIX_ALL,
    COST_CATEGORY_PREFIX,
    "bill/",
    "lineItem/",
    "pricing/",
    "discount/",
    "product/sku",
];

/// `ALL_RESOURCE_TAG_PREFIX`: every such column is dropped after the JSON columns are built.
pub const TAG_PREFIX_ALL: &str = "resourceTags/";
/// `RESOURCE_TAG_USER_PREFIX`: only user tags go into `resourcetags`.
pub const TAG_PREFIX_USER: &str = "resourceTags/user:";
/// `COST_CATEGORY_PREFIX`.
pub const COST_CATEGORY_PREFIX: &str = "costCategory/";

/// A missing `TRINO_REQUIRED_COLUMNS` entry's default (models.py).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Str,
    Zero,
    /// `pd.NaT`: only `lineItem/UsageStartDate`, which we require anyway.
    NaT,
}

/// `TRINO_REQUIRED_COLUMNS` (models.py @ 00134d5), in its dict order: masu adds the missing ones
/// with `DataFrame.assign` in the order of a Python `set` (random per process); we use this order.
pub const TRINO_REQUIRED_COLUMNS: &[(&str, Default)] = &[
    ("bill/BillingEntity", Default::Str),
    ("lineItem/UsageStartDate", Default::NaT),
    ("lineItem/ProductCode", Default::Str),
    ("product/productFamily", Default::Str),
    ("product/ProductName", Default::Str),
    ("lineItem/UsageAccountId", Default::Str),
    ("lineItem/LegalEntity", Default::Str),
    ("lineItem/LineItemDescription", Default::Str),
    ("lineItem/LineItemType", Default::Str),
    ("lineItem/AvailabilityZone", Default::Str),
    ("product/region", Default::Str),
    ("product/instanceType", Default::Str),
    ("product/physicalCores", Default::Str),
    ("product/vcpu", Default::Str),
    ("product/memory", Default::Str),
    ("product/operatingSystem", Default::Str),
    ("pricing/unit", Default::Str),
    ("lineItem/UsageAmount", Default::Zero),
    ("lineItem/NormalizationFactor", Default::Zero),
    ("lineItem/NormalizedUsageAmount", Default::Zero),
    ("lineItem/CurrencyCode", Default::Str),
    ("lineItem/UnblendedRate", Default::Zero),
    ("lineItem/UnblendedCost", Default::Zero),
    ("lineItem/BlendedRate", Default::Zero),
    ("lineItem/BlendedCost", Default::Zero),
    ("savingsPlan/SavingsPlanEffectiveCost", Default::Zero),
    ("pricing/publicOnDemandCost", Default::Zero),
    ("pricing/publicOnDemandRate", Default::Zero),
    ("lineItem/ResourceId", Default::Str),
    ("resourceTags", Default::Str),
    ("costCategory", Default::Str),
];

/// Columns without which masu's code fails, in their `category/Name` form: the split key
/// (`identity/TimeInterval`, `create_daily_archives`), the partition and day key
/// (`lineItem/UsageStartDate`), and the daily group-by / aggregation columns that
/// `TRINO_REQUIRED_COLUMNS` does not fill (`_generate_daily_data` raises `KeyError`).
pub const REQUIRED: &[&str] = &[
    "identity/TimeInterval",
    "lineItem/UsageStartDate",
    "bill/PayerAccountId",
    "bill/InvoiceId",
    "lineItem/UsageType",
    "lineItem/Operation",
];

/// How a cell is converted (`get_column_converters`, keyed by the lower-cased header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// `ciso8601.parse_datetime`.
    Date,
    /// `safe_float`.
    Float,
    /// `str`.
    Str,
}

const DATE_COLUMNS: &[&str] = &[
    "bill/billingperiodstartdate",
    "bill/billingperiodenddate",
    "lineitem/usagestartdate",
    "lineitem/usageenddate",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
];

const FLOAT_COLUMNS: &[&str] = &[
    "lineitem/usageamount",
    "lineitem/normalizationfactor",
    "lineitem/normalizedusageamount",
    "lineitem/unblendedrate",
    "lineitem/unblendedcost",
    "lineitem/blendedrate",
    "lineitem/blendedcost",
    "pricing/publicondemandcost",
    "pricing/publicondemandrate",
    "savingsplan/savingsplaneffectivecost",
    "line_item_usage_amount",
    "line_item_normalization_factor",
    "line_item_normalized_usage_amount",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "line_item_blended_rate",
    "line_item_blended_cost",
    "pricing_public_on_demand_cost",
    "pricing_public_on_demand_rate",
    "savings_plan_savings_plan_effective_cost",
];

impl Conv {
    /// The converter of a header as it appears in the CSV.
    pub fn of(header: &str) -> Conv {
        let lower = header.to_lowercase();
        if DATE_COLUMNS.contains(&lower.as_str()) {
            Conv::Date
        } else if FLOAT_COLUMNS.contains(&lower.as_str()) {
            Conv::Float
        } else {
            Conv::Str
        }
    }
}

/// Whether the CUR uses `category/Name` headers (masu's `get_processing_date` tries
/// `bill/InvoiceId` first and falls back to the snake-case form).
pub fn slash_form(header: &[String]) -> bool {
    header.iter().any(|h| h == "bill/InvoiceId")
}

/// Whether masu keeps a header (both `usecols` filters; the all-empty tag-column drop is
/// applied by the caller, which sees the data).
pub fn kept(header: &str, slash: bool) -> bool {
    let split_step = if slash {
        KEPT_COLUMNS.contains(&header) || is_json_source(header)
    } else {
        KEPT_ALT_COLUMNS.contains(&header) || is_json_source(header)
    };
    let parquet_step = KEPT_COLUMNS.contains(&header)
        || KEPT_ALT_COLUMNS.contains(&header)
        || CSV_COLUMN_PREFIX.iter().any(|p| header.starts_with(p));
    split_step && parquet_step
}

/// `fetch_optional_columns(..., ["resourcetags", "costcategory"])` for slash CURs and
/// `["resource_tags", "cost_category"]` for snake-case ones: a lower-cased prefix match.
pub fn is_json_source(header: &str) -> bool {
    let l = header.to_lowercase();
    [
        "resourcetags",
        "costcategory",
        "resource_tags",
        "cost_category",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// `COL_TRANSLATION` for a header without `/`; others are kept as they are.
pub fn translate(header: &str) -> &str {
    if header.contains('/') {
        return header;
    }
    COL_TRANSLATION
        .iter()
        .find(|(alt, _)| *alt == header)
        .map_or(header, |(_, to)| to)
}

/// masu's `strip_characters_from_column_name`: every run of non-word characters (Python's
/// Unicode `\W`) becomes one `_`, then the name is lower-cased.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out.to_lowercase()
}

/// Whether masu drops the column after building the JSON columns
/// (`ALL_RESOURCE_TAG_PREFIX in column or COST_CATEGORY_PREFIX in column`).
pub fn dropped_after_json(name: &str) -> bool {
    name.contains(TAG_PREFIX_ALL) || name.contains(COST_CATEGORY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_like_strip_characters_from_column_name() {
        assert_eq!(
            normalise("lineItem/UsageStartDate"),
            "lineitem_usagestartdate"
        );
        assert_eq!(
            normalise("savingsPlan/SavingsPlanEffectiveCost"),
            "savingsplan_savingsplaneffectivecost"
        );
        assert_eq!(normalise("resourceTags"), "resourcetags");
        assert_eq!(normalise("costCategory"), "costcategory");
        // runs of non-word characters collapse into one `_`
        assert_eq!(normalise("resourceTags/user:app"), "resourcetags_user_app");
        assert_eq!(normalise("a/:-b"), "a_b");
        assert_eq!(normalise("/lead"), "_lead");
        // snake-case names stay, underscores are word characters
        assert_eq!(
            normalise("line_item_legal_entity"),
            "line_item_legal_entity"
        );
        // Unicode letters are word characters, as in Python 3's `\W`
        assert_eq!(normalise("product/Région"), "product_région");
    }

    #[test]
    fn kept_columns_follow_both_usecols() {
        assert!(kept("lineItem/UsageAmount", true));
        assert!(kept("product/instanceType", true));
        assert!(kept("resourceTags/user:app", true));
        assert!(kept("resourceTags/aws:createdBy", true));
        assert!(kept("costCategory/team", true));
        // kept by the split, dropped by the case-sensitive Parquet filter
        assert!(!kept("resourcetags/user:app", true));
        // dropped by the split step's column list
        assert!(!kept("reservation/EffectiveCost", true));
        assert!(!kept("savingsPlan/SavingsPlanARN", true));
        assert!(!kept("identity/LineItemId", true));
        assert!(!kept("discount/TotalDiscount", true));
        assert!(!kept("pricing/LeaseContractLength", true));
        // snake-case CURs
        assert!(kept("line_item_usage_amount", false));
        assert!(kept("product_instancetype", false));
        assert!(!kept("product_instance_type", false));
        assert!(!kept("resource_tags_user_app", false));
    }

    #[test]
    fn translation_and_converters() {
        assert_eq!(translate("line_item_usage_amount"), "lineItem/UsageAmount");
        assert_eq!(
            translate("line_item_legal_entity"),
            "line_item_legal_entity"
        );
        assert_eq!(translate("lineItem/UsageAmount"), "lineItem/UsageAmount");
        assert_eq!(Conv::of("lineItem/UsageStartDate"), Conv::Date);
        assert_eq!(Conv::of("LINEITEM/UNBLENDEDCOST"), Conv::Float);
        assert_eq!(
            Conv::of("savings_plan_savings_plan_effective_cost"),
            Conv::Float
        );
        assert_eq!(Conv::of("reservation/UnusedQuantity"), Conv::Str);
    }
}
