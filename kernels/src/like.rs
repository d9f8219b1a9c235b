//! SQL `LIKE` matching (Trino / PostgreSQL semantics, no `ESCAPE`): `%` matches any run of
//! characters including none, `_` exactly one character, everything else itself, case-sensitive.
//!
//! Koku's cost-model and filter SQL uses `LIKE` on namespaces and node names. The pattern is
//! compiled once into `%`-separated segments; common shapes (`abc`, `abc%`, `%abc`, `a%b`,
//! `%abc%`) get a dedicated comparison, and the general case anchors the first and last segment
//! and finds each middle segment leftmost in turn. Every segment covers a fixed number of
//! characters, so the leftmost match is always the best choice and the walk never backtracks
//! past a `%`: worst case O(len(s) * len(pattern)), never exponential.
//!
//! `_` means one UTF-8 code point. `matches` takes bytes; for valid UTF-8 the result is exact.
//! On invalid UTF-8 `_` steps over a lead byte and the continuation bytes after it, or one stray
//! byte: deterministic and panic-free, but not a statement about any SQL engine.

use memchr::memmem::Finder;

/// A compiled `LIKE` pattern.
#[derive(Clone, Debug)]
pub struct LikePattern {
    kind: Kind,
}

// One `Kind` per compiled pattern, not per row: its size does not matter, and keeping the finder
// inline saves a pointer chase on the `%abc%` fast path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Kind {
    /// No wildcard: byte equality.
    Exact(Vec<u8>),
    /// `abc%` (also `%`, with an empty prefix).
    Prefix(Vec<u8>),
    /// `%abc`.
    Suffix(Vec<u8>),
    /// `ab%cd`.
    PrefixSuffix(Vec<u8>, Vec<u8>),
    /// `%abc%`.
    Contains(Finder<'static>),
    General(Box<General>),
}

#[derive(Clone, Debug)]
enum Atom {
    /// Literal bytes, a range of `General::literals`.
    Lit(usize, usize),
    /// `n` consecutive `_`.
    Any(usize),
}

#[derive(Clone, Debug)]
struct Segment {
    /// Range of `General::atoms`.
    atoms: (usize, usize),
    /// Finder for the first atom when it is a literal, to jump between candidate starts.
    finder: Option<Finder<'static>>,
}

#[derive(Clone, Debug)]
struct General {
    literals: Vec<u8>,
    atoms: Vec<Atom>,
    /// Matched at the start of the string.
    first: Segment,
    /// Between `%`s, in order; empty segments dropped.
    middle: Vec<Segment>,
    /// Matched at the end of the string; `None` when the pattern has no `%`.
    last: Option<Segment>,
}

impl LikePattern {
    /// Compiles `pattern`.
    #[must_use]
    pub fn new(pattern: &str) -> Self {
        let parts: Vec<&str> = pattern.split('%').collect();
        let no_any = !pattern.contains('_');
        let owned = |s: &str| s.as_bytes().to_vec();
        let kind = match parts.as_slice() {
            [only] if no_any => Kind::Exact(owned(only)),
            [first, last] if no_any && last.is_empty() => Kind::Prefix(owned(first)),
            [first, last] if no_any && first.is_empty() => Kind::Suffix(owned(last)),
            [first, last] if no_any => Kind::PrefixSuffix(owned(first), owned(last)),
            [first, middle, last] if no_any && first.is_empty() && last.is_empty() => {
                if middle.is_empty() {
                    Kind::Prefix(Vec::new())
                } else {
                    Kind::Contains(Finder::new(middle.as_bytes()).into_owned())
                }
            }
            _ => Kind::General(Box::new(General::new(&parts))),
        };
        Self { kind }
    }

    /// Whether `s` (UTF-8 text) matches the pattern.
    #[must_use]
    pub fn matches(&self, s: &[u8]) -> bool {
        match &self.kind {
            Kind::Exact(lit) => s == lit.as_slice(),
            Kind::Prefix(p) => s.starts_with(p),
            Kind::Suffix(p) => s.ends_with(p),
            Kind::PrefixSuffix(a, b) => {
                s.len() >= a.len() + b.len() && s.starts_with(a) && s.ends_with(b)
            }
            Kind::Contains(finder) => finder.find(s).is_some(),
            Kind::General(g) => g.matches(s),
        }
    }
}

impl General {
    fn new(parts: &[&str]) -> Self {
        let mut g = Self {
            literals: Vec::new(),
            atoms: Vec::new(),
            first: Segment {
                atoms: (0, 0),
                finder: None,
            },
            middle: Vec::new(),
            last: None,
        };
        g.first = g.segment(parts[0]);
        if parts.len() > 1 {
            for part in &parts[1..parts.len() - 1] {
                if !part.is_empty() {
                    let seg = g.segment(part);
                    g.middle.push(seg);
                }
            }
            g.last = Some(g.segment(parts[parts.len() - 1]));
        }
        g
    }

    /// Compiles one `%`-free piece into atoms.
    fn segment(&mut self, part: &str) -> Segment {
        let start = self.atoms.len();
        for (i, piece) in part.split('_').enumerate() {
            if i > 0 {
                let in_segment = self.atoms.len() > start;
                match self.atoms.last_mut() {
                    Some(Atom::Any(n)) if in_segment => *n += 1,
                    _ => self.atoms.push(Atom::Any(1)),
                }
            }
            if !piece.is_empty() {
                let at = self.literals.len();
                self.literals.extend_from_slice(piece.as_bytes());
                self.atoms.push(Atom::Lit(at, self.literals.len()));
            }
        }
        let finder = match self.atoms.get(start) {
            Some(&Atom::Lit(a, b)) => Some(Finder::new(&self.literals[a..b]).into_owned()),
            _ => None,
        };
        Segment {
            atoms: (start, self.atoms.len()),
            finder,
        }
    }

    fn matches(&self, s: &[u8]) -> bool {
        let Some(mut pos) = self.match_forward(&self.first, s, 0) else {
            return false;
        };
        let Some(last) = &self.last else {
            return pos == s.len();
        };
        // The last segment is pinned to the end; the middle ones must fit before it.
        let Some(end) = self.match_backward(last, s, s.len()) else {
            return false;
        };
        if end < pos {
            return false;
        }
        let hay = &s[..end];
        for seg in &self.middle {
            match self.find(seg, hay, pos) {
                Some(next) => pos = next,
                None => return false,
            }
        }
        true
    }

    fn atoms(&self, seg: &Segment) -> &[Atom] {
        &self.atoms[seg.atoms.0..seg.atoms.1]
    }

    /// End of `seg` matched at `pos`, if it matches there.
    fn match_forward(&self, seg: &Segment, s: &[u8], mut pos: usize) -> Option<usize> {
        for atom in self.atoms(seg) {
            match *atom {
                Atom::Lit(a, b) => {
                    let lit = &self.literals[a..b];
                    if !s.get(pos..)?.starts_with(lit) {
                        return None;
                    }
                    pos += lit.len();
                }
                Atom::Any(n) => {
                    for _ in 0..n {
                        if pos >= s.len() {
                            return None;
                        }
                        pos += char_len(s, pos);
                    }
                }
            }
        }
        Some(pos)
    }

    /// Start of `seg` matched so that it ends at `end`, if it matches there.
    fn match_backward(&self, seg: &Segment, s: &[u8], mut end: usize) -> Option<usize> {
        for atom in self.atoms(seg).iter().rev() {
            match *atom {
                Atom::Lit(a, b) => {
                    let lit = &self.literals[a..b];
                    if !s[..end].ends_with(lit) {
                        return None;
                    }
                    end -= lit.len();
                }
                Atom::Any(n) => {
                    for _ in 0..n {
                        if end == 0 {
                            return None;
                        }
                        end = prev_char_start(s, end);
                    }
                }
            }
        }
        Some(end)
    }

    /// End of the leftmost match of `seg` in `hay` starting at or after `from`.
    fn find(&self, seg: &Segment, hay: &[u8], from: usize) -> Option<usize> {
        let mut start = from;
        if let Some(finder) = &seg.finder {
            while let Some(i) = finder.find(&hay[start..]) {
                if let Some(end) = self.match_forward(seg, hay, start + i) {
                    return Some(end);
                }
                start += i + 1;
            }
            None
        } else {
            loop {
                if let Some(end) = self.match_forward(seg, hay, start) {
                    return Some(end);
                }
                if start >= hay.len() {
                    return None;
                }
                start += char_len(hay, start);
            }
        }
    }
}

/// Length of the code point starting at `pos` (< `s.len()`): its lead byte's length, counting
/// only continuation bytes that are there; a stray byte counts as one.
#[inline]
fn char_len(s: &[u8], pos: usize) -> usize {
    let lead = s[pos];
    let want = match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    };
    let mut len = 1;
    while len < want && s.get(pos + len).is_some_and(|&b| b & 0xC0 == 0x80) {
        len += 1;
    }
    len
}

/// Start of the code point that ends at `end` (> 0): step back over up to three continuation
/// bytes.
#[inline]
fn prev_char_start(s: &[u8], end: usize) -> usize {
    let mut i = end - 1;
    while i > 0 && end - i < 4 && s[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    i
}

/// Reference `LIKE`: recursion over chars, memoised so long inputs stay polynomial.
pub mod naive {
    use std::collections::HashMap;

    /// Whether `s` matches the `LIKE` pattern `pattern`.
    #[must_use]
    pub fn like(pattern: &str, s: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let s: Vec<char> = s.chars().collect();
        go(&p, &s, 0, 0, &mut HashMap::new())
    }

    fn go(
        p: &[char],
        s: &[char],
        i: usize,
        j: usize,
        memo: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        if let Some(&known) = memo.get(&(i, j)) {
            return known;
        }
        let result = match p.get(i) {
            None => j == s.len(),
            // `%` matches nothing here, or one more char and stays.
            Some('%') => go(p, s, i + 1, j, memo) || (j < s.len() && go(p, s, i, j + 1, memo)),
            Some('_') => j < s.len() && go(p, s, i + 1, j + 1, memo),
            Some(&c) => s.get(j) == Some(&c) && go(p, s, i + 1, j + 1, memo),
        };
        memo.insert((i, j), result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edge_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("%", "", true),
            ("%", "anything", true),
            ("%%", "", true),
            ("_", "", false),
            ("_", "a", true),
            ("_", "é", true),
            ("_", "ab", false),
            ("__", "é", false),
            ("__", "日本", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("abc", "ABC", false),
            ("ab%", "ab", true),
            ("ab%", "abxyz", true),
            ("ab%", "a", false),
            ("%yz", "xyz", true),
            ("%yz", "yzx", false),
            ("a%a", "a", false),
            ("a%a", "aa", true),
            ("a%a", "aba", true),
            ("%ab%", "xxabyy", true),
            ("%ab%", "xxaxby", false),
            ("%a_c%", "xxabcyy", true),
            ("%a_c%", "xxacyy", false),
            ("%a_c%", "aéc", true),
            ("a_%_b", "axyb", true),
            ("a_%_b", "axb", false),
            ("%_", "", false),
            ("%_", "é", true),
            ("_%", "é", true),
            ("%b%b%", "abab", true),
            ("%b%b%", "ab", false),
            ("%aab", "aaab", true),
            ("%ab%ab", "abab", true),
            ("%ab%ab", "ab", false),
            ("openshift-%", "openshift-monitoring", true),
            ("openshift-%", "kube-system", false),
            ("kube-%", "kube-", true),
            ("%-system", "kube-system", true),
            ("%é%", "caf\u{e9}s", true),
            ("a%", "é", false),
            ("%%%a%%%", "bab", true),
        ];
        for &(pattern, s, want) in cases {
            assert_eq!(
                LikePattern::new(pattern).matches(s.as_bytes()),
                want,
                "{pattern:?} ~ {s:?}"
            );
            assert_eq!(naive::like(pattern, s), want, "{pattern:?} ~ {s:?} (naive)");
        }
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        for pattern in ["_", "%_", "_%", "%_%", "a_", "%a_b%", "_a%_"] {
            let p = LikePattern::new(pattern);
            for s in [
                &b"\xff"[..],
                b"\xe6\x97",
                b"a\x80\x80",
                b"\xf0",
                b"a\xffb",
                b"\x80a",
            ] {
                let _ = p.matches(s);
            }
        }
    }

    #[test]
    fn long_inputs_stay_fast() {
        let s = "a".repeat(20_000);
        let p = LikePattern::new(&"%a".repeat(50).add_str("%b"));
        assert!(!p.matches(s.as_bytes()));
    }

    trait AddStr {
        fn add_str(self, s: &str) -> String;
    }
    impl AddStr for String {
        fn add_str(mut self, s: &str) -> String {
            self.push_str(s);
            self
        }
    }

    fn text(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
            .prop_map(|cs| cs.into_iter().collect())
    }

    const PATTERN: &[char] = &['a', 'b', 'é', '日', '%', '_', '%', '_'];
    const TEXT: &[char] = &['a', 'b', 'é', '日', '%', '_'];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn matches_naive(pattern in text(PATTERN, 8), s in text(TEXT, 12)) {
            prop_assert_eq!(
                LikePattern::new(&pattern).matches(s.as_bytes()),
                naive::like(&pattern, &s),
                "{:?} ~ {:?}", pattern, s
            );
        }

        #[test]
        fn pattern_built_from_string_matches(s in text(TEXT, 12), cuts in proptest::collection::vec((0usize..12, 0u8..3), 0..4)) {
            // Replace some chars of `s` by `_`, or insert `%`: the result must match `s`.
            // (char, inserted): only chars of `s` may become `_`.
            let mut chars: Vec<(char, bool)> = s.chars().map(|c| (c, false)).collect();
            for (at, op) in cuts {
                let at = at.min(chars.len());
                match op {
                    0 if at < chars.len() && !chars[at].1 => chars[at].0 = '_',
                    _ => chars.insert(at, ('%', true)),
                }
            }
            let pattern: String = chars.into_iter().map(|(c, _)| c).collect();
            // Literal `%`/`_` in `s` are wildcards in the pattern, which still match themselves.
            prop_assert!(LikePattern::new(&pattern).matches(s.as_bytes()), "{:?} ~ {:?}", pattern, s);
        }
    }
}
