//! Cost categories: namespace LIKE pattern joins (spec §6, E3).
//!
//! The join is per namespace, so each distinct namespace is matched once against every pattern. A
//! namespace matching `m` patterns joins `m` times: its sums are multiplied by `m` and its category
//! is the max id; no match joins once with a NULL category.

use crate::catalog::NULL_ID;
use crate::plan::lookups::CostCategory;
use hashbrown::HashMap;
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::like::LikePattern;

/// Join multiplicity and `max(cost_category_id)` for one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryMatch {
    pub multiplicity: u32,
    pub id: Option<i32>,
}

pub struct CategoryMatcher {
    patterns: Vec<(LikePattern, i32)>,
    cache: HashMap<u32, CategoryMatch>,
}

impl CategoryMatcher {
    pub fn new(categories: &[CostCategory]) -> Self {
        CategoryMatcher {
            patterns: categories
                .iter()
                .map(|c| (LikePattern::new(&c.pattern), c.id))
                .collect(),
            cache: HashMap::new(),
        }
    }

    /// Matches the namespace with string id `ns`.
    pub fn get(&mut self, ns: u32, strings: &Interner) -> CategoryMatch {
        let patterns = &self.patterns;
        *self.cache.entry(ns).or_insert_with(|| {
            if ns == NULL_ID {
                return CategoryMatch {
                    multiplicity: 1,
                    id: None,
                };
            }
            match_bytes(patterns, strings.get(ns))
        })
    }
}

fn match_bytes(patterns: &[(LikePattern, i32)], s: &[u8]) -> CategoryMatch {
    let mut m = CategoryMatch {
        multiplicity: 0,
        id: None,
    };
    for (p, id) in patterns {
        if p.matches(s) {
            m.multiplicity += 1;
            m.id = Some(m.id.map_or(*id, |cur| cur.max(*id)));
        }
    }
    m.multiplicity = m.multiplicity.max(1);
    m
}

/// Matches a namespace given as text (unallocated rows use computed namespaces).
pub fn match_text(categories: &[CostCategory], s: &str) -> Vec<i32> {
    categories
        .iter()
        .filter(|c| LikePattern::new(&c.pattern).matches(s.as_bytes()))
        .map(|c| c.id)
        .collect()
}
