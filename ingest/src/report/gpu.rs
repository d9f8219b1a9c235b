//! masu's GPU post-processing (`OCPPostProcessor.process_dataframe` for `gpu_usage`), applied to
//! each chunk before its daily roll-up: the vendor rename and the MIG fields derived from
//! `mig_profile` and `gpu_model_name` (`_populate_mig_fields_from_profile`, `parse_mig_profile`,
//! `get_gpu_max_slices`, `GPU_MAX_SLICES_BY_MODEL`).

use super::safe_int_or_none;
use super::table::{static_name, Col, Table};

/// `GPU_MAX_SLICES_BY_MODEL`, in its order (the substring match takes the first hit).
const GPU_MAX_SLICES_BY_MODEL: &[(&str, i64)] = &[
    ("A30", 4),
    ("A100", 7),
    ("H100", 7),
    ("H200", 7),
    ("B200", 7),
    ("RTX PRO 6000", 4),
    ("RTX PRO 5000", 2),
];

/// `data_frame["gpu_vendor_name"].replace("nvidia_com_gpu", "nvidia")` (whole values only).
pub(super) fn replace_vendor(table: &mut Table) {
    if let Some(Col::Str(v)) = table.col_mut("gpu_vendor_name") {
        for x in v.iter_mut().flatten() {
            if x == "nvidia_com_gpu" {
                *x = "nvidia".to_string();
            }
        }
    }
}

/// `parse_mig_profile`: `"{compute}g.{memory}gb"` → (slice count, memory in MiB), both or neither.
pub(crate) fn parse_mig_profile(profile: &str) -> (Option<i64>, Option<i64>) {
    let p = profile.trim().to_lowercase();
    if p.is_empty() {
        return (None, None);
    }
    let parts: Vec<&str> = p.split('.').collect();
    if parts.len() != 2 {
        return (None, None);
    }
    let Some(compute) = parts[0].strip_suffix('g') else {
        return (None, None);
    };
    let Some(slices) = safe_int_or_none(compute) else {
        return (None, None);
    };
    let Some(memory) = parts[1].strip_suffix("gb") else {
        return (None, None);
    };
    let Some(gb) = safe_int_or_none(memory) else {
        return (None, None);
    };
    (Some(slices), Some(gb * 1024))
}

/// `get_gpu_max_slices`: exact, then substring match of the upper-cased, stripped model name.
pub(crate) fn gpu_max_slices(model: Option<&str>) -> Option<i64> {
    let model = model.filter(|m| !m.is_empty())?;
    let upper = model.to_uppercase();
    let upper = upper.trim();
    if let Some((_, n)) = GPU_MAX_SLICES_BY_MODEL.iter().find(|(k, _)| *k == upper) {
        return Some(*n);
    }
    GPU_MAX_SLICES_BY_MODEL
        .iter()
        .find(|(k, _)| upper.contains(k))
        .map(|(_, n)| *n)
}

fn ints(table: &Table, name: &str) -> Vec<Option<i64>> {
    match table.col(name) {
        Some(Col::I64(v)) => v.clone(),
        _ => vec![None; table.rows],
    }
}

fn strs(table: &Table, name: &str) -> Option<Vec<Option<String>>> {
    match table.col(name) {
        Some(Col::Str(v)) => Some(v.clone()),
        _ => None,
    }
}

fn set(table: &mut Table, name: &str, col: Col) {
    match table.names.iter().position(|n| *n == name) {
        Some(i) => table.cols[i] = col,
        None => {
            table.names.push(static_name(name));
            table.cols.push(col);
        }
    }
}

/// `_populate_mig_fields_from_profile`: for rows with a non-empty `mig_profile`, fill
/// `mig_slice_count` and `mig_memory_capacity_mib` from the profile where NULL, and
/// `gpu_max_slices` from the model where NULL; a model not in the table clears every MIG field of
/// the row (a dedicated GPU). Without any such row the frame is left as it is (the three derived
/// columns are then only added, as NULL, to the daily frame).
pub(super) fn populate_mig_fields(table: &mut Table) {
    let Some(mut profile) = strs(table, "mig_profile") else {
        return;
    };
    let mig: Vec<usize> = (0..table.rows)
        .filter(|&r| profile[r].as_deref().is_some_and(|p| !p.is_empty()))
        .collect();
    if mig.is_empty() {
        return;
    }
    // `_ensure_mig_columns`, in its order.
    let mut slices = ints(table, "mig_slice_count");
    let mut memory = ints(table, "mig_memory_capacity_mib");
    let mut max_slices = ints(table, "gpu_max_slices");
    let model = strs(table, "gpu_model_name");
    let mut instance = strs(table, "mig_instance_id");
    for &r in &mig {
        let (s, m) = parse_mig_profile(profile[r].as_deref().unwrap_or(""));
        if slices[r].is_none() && s.is_some() {
            slices[r] = s;
        }
        if memory[r].is_none() && m.is_some() {
            memory[r] = m;
        }
    }
    for &r in &mig {
        if max_slices[r].is_some() {
            continue;
        }
        match gpu_max_slices(model.as_ref().and_then(|m| m[r].as_deref())) {
            Some(n) => max_slices[r] = Some(n),
            None => {
                profile[r] = None;
                slices[r] = None;
                memory[r] = None;
                if let Some(i) = instance.as_mut() {
                    i[r] = None;
                }
            }
        }
    }
    set(table, "mig_slice_count", Col::I64(slices));
    set(table, "mig_memory_capacity_mib", Col::I64(memory));
    set(table, "gpu_max_slices", Col::I64(max_slices));
    set(table, "mig_profile", Col::Str(profile));
    if let Some(i) = instance {
        set(table, "mig_instance_id", Col::Str(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mig_profiles_like_masu() {
        assert_eq!(parse_mig_profile("1g.5gb"), (Some(1), Some(5120)));
        assert_eq!(parse_mig_profile("4g.40gb"), (Some(4), Some(40960)));
        assert_eq!(parse_mig_profile("7g.80gb"), (Some(7), Some(81920)));
        assert_eq!(parse_mig_profile("1G.5GB"), (Some(1), Some(5120)));
        for bad in ["", "   ", "invalid", "1g", "5gb", "1g.5", "1.5gb", "1g5gb"] {
            assert_eq!(parse_mig_profile(bad), (None, None), "{bad}");
        }
    }

    #[test]
    fn max_slices_like_masu() {
        for (m, n) in [
            ("A100", 7),
            ("a100", 7),
            ("A100-80GB", 7),
            ("H100", 7),
            ("A30", 4),
            ("NVIDIA A100-80GB-PCIe", 7),
            ("NVIDIA-A100-SXM4", 7),
            ("H100-SXM5-80GB", 7),
            ("NVIDIA RTX PRO 5000", 2),
        ] {
            assert_eq!(gpu_max_slices(Some(m)), Some(n), "{m}");
        }
        assert_eq!(gpu_max_slices(Some("UnknownGPU")), None);
        assert_eq!(gpu_max_slices(Some("Tesla T4")), None);
        assert_eq!(gpu_max_slices(None), None);
    }

    #[test]
    fn safe_int_like_python() {
        assert_eq!(safe_int_or_none("7"), Some(7));
        assert_eq!(safe_int_or_none(" -3 "), Some(-3));
        assert_eq!(safe_int_or_none("1_000"), Some(1000));
        for bad in ["", "7.0", "abc", "_1", "1_", "1__0", "+"] {
            assert_eq!(safe_int_or_none(bad), None, "{bad}");
        }
    }
}
