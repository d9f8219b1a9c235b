//! Cost categories: namespace LIKE pattern joins (spec §6, E3).
//!
//! The join is per namespace, so each distinct namespace is matched once against every pattern. A
//! namespace matching `m` patterns joins `m` times: its sums are multiplied by `m` and its category
//! is the max id; no match joins once with a NULL category.

use crate::catalog::NULL_ID;
use crate::plan::lookups::CostCategory;
use hashbrown::HashMap;
use ocp_summary_kernels::like::LikePattern;
use ocp_summary_kernels::shared_intern::SharedInterner;

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
    pub fn get(&mut self, ns: u32, strings: &SharedInterner) -> CategoryMatch {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{sql_like, Rng};

    fn category(pattern: &str, id: i32) -> CostCategory {
        CostCategory {
            pattern: pattern.to_string(),
            id,
        }
    }

    /// Spec §6/E3 with a plain LIKE: `m` = number of matching patterns (a miss joins once),
    /// id = max id of the matches (NULL without a match).
    fn reference(categories: &[CostCategory], ns: Option<&str>) -> CategoryMatch {
        let ids: Vec<i32> = match ns {
            None => Vec::new(),
            Some(ns) => categories
                .iter()
                .filter(|c| sql_like(&c.pattern, ns))
                .map(|c| c.id)
                .collect(),
        };
        CategoryMatch {
            multiplicity: (ids.len() as u32).max(1),
            id: ids.iter().copied().max(),
        }
    }

    fn check(categories: &[CostCategory], namespaces: &[Option<&str>]) {
        let strings = SharedInterner::new();
        let ids: Vec<u32> = namespaces
            .iter()
            .map(|ns| ns.map_or(NULL_ID, |s| strings.intern(s.as_bytes())))
            .collect();
        let mut matcher = CategoryMatcher::new(categories);
        for _ in 0..2 {
            // Twice: the second round comes from the cache.
            for (ns, &id) in namespaces.iter().zip(&ids) {
                let want = reference(categories, *ns);
                assert_eq!(matcher.get(id, &strings), want, "{ns:?}");
                if let Some(ns) = ns {
                    let all = match_text(categories, ns);
                    assert_eq!(want.multiplicity, (all.len() as u32).max(1));
                    assert_eq!(all.iter().copied().max(), want.id);
                    let expected: Vec<i32> = categories
                        .iter()
                        .filter(|c| sql_like(&c.pattern, ns))
                        .map(|c| c.id)
                        .collect();
                    assert_eq!(all, expected, "{ns}");
                }
            }
        }
    }

    #[test]
    fn koku_seeds_and_overlapping_patterns() {
        let categories = [
            category("openshift-%", 1),
            category("kube-%", 1),
            category("Platform unallocated", 1),
            category("openshift", 1),
            category("openshift%", 3),
            category("%-monitoring", 2),
            category("a_c", 4),
            category("100%", 5),
            category("Open%", 6),
        ];
        let namespaces = [
            Some("openshift-monitoring"), // three patterns: m = 3, id 3
            Some("openshift"),            // two
            Some("kube-system"),
            Some("OpenShift-x"), // case-sensitive: only Open%
            Some("abc"),
            Some("a.c"), // `.` is no wildcard, `_` is
            Some("ac"),
            Some("añc"), // `_` is one character, not one byte
            Some("1000"),
            Some("Platform unallocated"),
            Some("Worker unallocated"),
            Some(""),
            None,
        ];
        check(&categories, &namespaces);
        let strings = SharedInterner::new();
        let id = strings.intern(b"openshift-monitoring");
        assert_eq!(
            CategoryMatcher::new(&categories).get(id, &strings),
            CategoryMatch {
                multiplicity: 3,
                id: Some(3)
            }
        );
        assert_eq!(
            CategoryMatcher::new(&categories).get(NULL_ID, &strings),
            CategoryMatch {
                multiplicity: 1,
                id: None
            }
        );
        assert_eq!(
            match_text(&categories, "Worker unallocated"),
            Vec::<i32>::new()
        );
        assert_eq!(match_text(&categories, "Platform unallocated"), vec![1]);
    }

    #[test]
    fn random_patterns_match_like_a_plain_like() {
        let mut rng = Rng::new(71);
        let alphabet = ['a', 'b', '-', '.', 'é', '%', '_'];
        let word = |rng: &mut Rng, wild: bool| -> String {
            let n = rng.below(7);
            (0..n)
                .map(|_| rng.pick(&alphabet[..if wild { 7 } else { 5 }]))
                .collect()
        };
        for _ in 0..200 {
            let categories: Vec<CostCategory> = (0..rng.below(5))
                .map(|i| category(&word(&mut rng, true), rng.below(4) as i32 + i as i32))
                .collect();
            let texts: Vec<String> = (0..20).map(|_| word(&mut rng, false)).collect();
            let namespaces: Vec<Option<&str>> = texts.iter().map(|s| Some(s.as_str())).collect();
            check(&categories, &namespaces);
        }
    }
}
