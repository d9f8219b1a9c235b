//! SQL aggregate and operator semantics the OpenShift-on-AWS steps rely on: `max` over text
//! (NULLs ignored, bytes compared), `max` / `sum` over doubles (NULLs ignored, NULL when every
//! value is; NaN is the largest double, as in Trino and DuckDB), and NULL-propagating arithmetic.

/// `max(text)`.
pub fn max_text(acc: &mut Option<String>, v: Option<&str>) {
    if let Some(v) = v {
        if acc.as_deref().is_none_or(|a| v.as_bytes() > a.as_bytes()) {
            *acc = Some(v.to_string());
        }
    }
}

/// `max(text)` over borrowed texts.
pub fn max_str<'a>(acc: &mut Option<&'a str>, v: Option<&'a str>) {
    if let Some(v) = v {
        if acc.is_none_or(|a| v.as_bytes() > a.as_bytes()) {
            *acc = Some(v);
        }
    }
}

/// `max(double)`.
pub fn max_f64(acc: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v {
        *acc = Some(match *acc {
            None => v,
            Some(a) if a.is_nan() => a,
            Some(_) if v.is_nan() => v,
            Some(a) => a.max(v),
        });
    }
}

/// `max(integer)`.
pub fn max_i64(acc: &mut Option<i64>, v: Option<i64>) {
    if let Some(v) = v {
        *acc = Some(acc.map_or(v, |a| a.max(v)));
    }
}

/// `sum(double)`.
pub fn sum_f64(acc: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v {
        *acc = Some(acc.unwrap_or(0.0) + v);
    }
}

/// `a * b` etc. with NULL propagation.
pub fn op(a: Option<f64>, b: Option<f64>, f: impl Fn(f64, f64) -> f64) -> Option<f64> {
    Some(f(a?, b?))
}

/// `strpos(haystack, needle) > 0` (NULL on either side is not a match).
pub fn contains(haystack: Option<&str>, needle: Option<&str>) -> bool {
    matches!((haystack, needle), (Some(h), Some(n)) if h.contains(n))
}

/// `nullif(s, '')`.
pub fn nullif_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_ignore_null() {
        let mut t = None;
        max_text(&mut t, Some("b"));
        max_text(&mut t, None);
        max_text(&mut t, Some("a"));
        assert_eq!(t.as_deref(), Some("b"));
        let mut m = None;
        max_f64(&mut m, Some(1.0));
        max_f64(&mut m, Some(f64::NAN));
        max_f64(&mut m, Some(2.0));
        assert!(m.unwrap().is_nan());
        let mut s = None;
        sum_f64(&mut s, None);
        assert_eq!(s, None);
        sum_f64(&mut s, Some(1.5));
        sum_f64(&mut s, Some(2.0));
        assert_eq!(s, Some(3.5));
        assert_eq!(op(Some(1.0), None, |a, b| a * b), None);
        assert!(contains(Some("vol-123"), Some("123")));
        assert!(!contains(None, Some("")));
    }
}
