//! `resourcetags` and `costcategory`: masu's JSON text built from the `resourceTags/user:*` and
//! `costCategory/*` columns.
//!
//! Followed: `koku/masu/util/aws/aws_post_processor.py` @ b484555,
//! `handle_user_defined_json_columns` and `scrub_resource_col_name` (lines 25–42 of that file):
//!
//! ```python
//! columns_of_interest = [column for column in columns if column_prefix in column]
//! unique_keys = {scrub_resource_col_name(column, column_prefix) for column in columns_of_interest}
//! column_dict = df.apply(lambda row: {scrub(column): value for column, value in row.items() if value}, axis=1)
//! column_dict = column_dict.where(column_dict.notna(), lambda _: [{}])
//! return column_dict.apply(json.dumps), unique_keys
//! ```
//!
//! So: the columns whose name *contains* the prefix, in the order of `columns`, which
//! `process_dataframe` made `sorted(set(TRINO_REQUIRED_COLUMNS) | set(df))` (Python string
//! order = code point order); the key is the name with every occurrence of the prefix removed
//! (`str.replace`); empty cells are left out (`if value` on the `str`-converted text); the text is
//! `json.dumps` with its defaults (`{"k": "v", "k2": "v2"}`, `", "` and `": "`, non-ASCII as
//! `\uXXXX`), and `{}` when no cell is set. The keys are what masu records as enabled tag keys
//! (`enabled_tag_keys`) and categories (`enabled_categories`).

use crate::masu_json::py_json_labels;

/// The JSON columns of one CUR file: which header positions feed them, with their keys.
#[derive(Debug, Clone, Default)]
pub struct JsonColumns {
    /// (header index, key), sorted as masu's `columns` list.
    pub sources: Vec<(usize, String)>,
}

impl JsonColumns {
    /// Picks the columns of `names` (index, kept header name) that contain `prefix`.
    pub fn new(names: &[(usize, &str)], prefix: &str) -> JsonColumns {
        let mut cols: Vec<(&str, usize)> = names
            .iter()
            .filter(|(_, n)| n.contains(prefix))
            .map(|(i, n)| (*n, *i))
            .collect();
        cols.sort();
        JsonColumns {
            sources: cols
                .into_iter()
                .map(|(n, i)| (i, n.replace(prefix, "")))
                .collect(),
        }
    }

    /// The keys masu records (its `unique_keys`).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|(_, k)| k.as_str())
    }

    /// The JSON text of one row; `field(i)` is the CSV text of header index `i`.
    pub fn json<'a>(&self, field: impl Fn(usize) -> &'a str) -> String {
        let pairs: Vec<(&str, &str)> = self
            .sources
            .iter()
            .map(|(i, k)| (k.as_str(), field(*i)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        py_json_labels(&pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::columns::{COST_CATEGORY_PREFIX, TAG_PREFIX_USER};

    fn build(headers: &[&str], row: &[&str], prefix: &str) -> String {
        let names: Vec<(usize, &str)> = headers.iter().copied().enumerate().collect();
        JsonColumns::new(&names, prefix).json(|i| row[i])
    }

    #[test]
    fn sorted_keys_python_spacing_and_empty_cells_left_out() {
        let h = [
            "lineItem/ResourceId",
            "resourceTags/user:openshift_project",
            "resourceTags/user:Environment",
            "resourceTags/aws:createdBy",
            "resourceTags/user:app",
        ];
        let r = ["i-1", "payments", "", "AssumedRole:x", "web"];
        // "E" < "a" < "o": code point order of the full column names; the empty one is left out;
        // aws: tags are not user tags.
        assert_eq!(
            build(&h, &r, TAG_PREFIX_USER),
            r#"{"app": "web", "openshift_project": "payments"}"#
        );
        let r = ["i-1", "", "", "", ""];
        assert_eq!(build(&h, &r, TAG_PREFIX_USER), "{}");
        assert_eq!(build(&["a"], &["x"], TAG_PREFIX_USER), "{}");
    }

    #[test]
    fn escapes_like_json_dumps() {
        let h = ["resourceTags/user:team", "resourceTags/user:q"];
        assert_eq!(
            build(&h, &["équipe", "a\"b\\c"], TAG_PREFIX_USER),
            r#"{"q": "a\"b\\c", "team": "\u00e9quipe"}"#
        );
    }

    #[test]
    fn cost_categories_and_keys() {
        let h = [
            "costCategory/team",
            "costCategory/env",
            "resourceTags/user:x",
        ];
        let names: Vec<(usize, &str)> = h.iter().copied().enumerate().collect();
        let j = JsonColumns::new(&names, COST_CATEGORY_PREFIX);
        assert_eq!(j.keys().collect::<Vec<_>>(), ["env", "team"]);
        assert_eq!(
            j.json(|i| ["blue", "prod", "1"][i]),
            r#"{"env": "prod", "team": "blue"}"#
        );
        // every occurrence of the prefix is removed from the key, as `str.replace` does
        let h = ["resourceTags/user:a-resourceTags/user:b"];
        assert_eq!(build(&h, &["v"], TAG_PREFIX_USER), r#"{"a-b": "v"}"#);
    }
}
