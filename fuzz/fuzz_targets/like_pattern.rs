//! Differential fuzzing of `LikePattern` against the recursive `like::naive::like`.
//!
//! The input splits at its first 0xFF byte into pattern and string (0xFF never occurs in UTF-8).
//! Both are cut to 64 chars to keep the reference cheap. A string that is not UTF-8 is only
//! checked not to panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocp_summary_kernels::like::{naive, LikePattern};

fn cut(s: &str) -> &str {
    s.char_indices().nth(64).map_or(s, |(i, _)| &s[..i])
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0xFF).unwrap_or(data.len());
    let Ok(pattern) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let pattern = cut(pattern);
    let text = data.get(split + 1..).unwrap_or(&[]);
    let compiled = LikePattern::new(pattern);
    match std::str::from_utf8(text) {
        Ok(s) => {
            let s = cut(s);
            assert_eq!(
                compiled.matches(s.as_bytes()),
                naive::like(pattern, s),
                "{pattern:?} ~ {s:?}"
            );
        }
        Err(_) => {
            let _ = compiled.matches(&text[..text.len().min(256)]);
        }
    }
});
