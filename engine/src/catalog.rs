//! The run's shared string and label-set tables.
//!
//! Every string the pipeline keeps (namespace, node, resource id, label text) is interned once into
//! a dense `u32`; every distinct label string is parsed once into a filtered, sorted label set and
//! interned again as a set id. The string tables are [`SharedInterner`]s: a worker finds a
//! dictionary page's strings without a lock and takes the writers' mutex only for the strings no
//! one has added yet, once per page, so ids stay global without a merge step. The merging thread
//! reads strings through the same table while it builds a batch, holding nothing.
//!
//! Label texts read only for their label sets live in a table of their own
//! ([`TextTable::LabelTexts`]): their ids never reach a row, so the ids the batches rank and
//! capture stay few (at 15 labels a pod the label texts are most of the string bytes).

use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{EnabledKeys, Label, LabelParser, LabelSets, ParsedLabels};
use ocp_summary_kernels::shared_intern::SharedInterner;
use ocp_summary_kernels::KernelError;
use std::collections::HashMap;
use std::sync::Mutex;

/// The id standing for a NULL string.
pub const NULL_ID: u32 = u32::MAX;
/// The id of the empty string, interned first so every worker knows it up front (E1: node `''`).
pub const EMPTY_ID: u32 = 0;
/// The set id standing for a NULL label map (NULL text or JSON `null`; spec E5).
pub const NULL_SET: u32 = u32::MAX;

/// A label string that is not a JSON object of strings.
#[derive(Debug)]
pub struct BadLabels {
    pub preview: String,
    pub reason: String,
}

/// The text of string id `id`, `None` for NULL: for the few rows rendered as owned strings.
pub fn id_text(strings: &SharedInterner, id: u32) -> Option<String> {
    (id != NULL_ID).then(|| String::from_utf8_lossy(strings.get(id)).into_owned())
}

/// Which table a label column's raw text ids index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTable {
    /// The global string table: a label column also read as raw text (the VM temp table's
    /// `json_extract_scalar` on `pod_labels`), through a shared read.
    Strings = 0,
    /// The label-text table: a column decoded straight to label sets.
    LabelTexts = 1,
}

pub struct Catalog {
    strings: SharedInterner,
    /// Label texts decoded straight to label sets ([`TextTable::LabelTexts`]).
    label_texts: SharedInterner,
    labels: Mutex<LabelTable>,
    /// `--label-memo on`: label strings resolve per distinct string (and per dictionary entry).
    label_memo: bool,
    enabled: EnabledKeys,
}

/// A worker's label set for each text id it has resolved ([`Catalog::resolve_labels_cached`]).
/// One cache serves one [`TextTable`]: ids of the two tables overlap.
#[derive(Default)]
pub struct LabelCache {
    set_of: Vec<Option<u32>>,
    misses: Vec<u32>,
    /// The table whose ids this cache holds, fixed by its first use (checked in debug builds).
    table: Option<TextTable>,
}

impl LabelCache {
    fn get(&self, id: u32) -> Option<u32> {
        self.set_of.get(id as usize).copied().flatten()
    }

    /// Notes `sets[i]` as the set of `ids[i]`; `ids` is sorted.
    fn insert(&mut self, ids: &[u32], sets: &[u32]) {
        let top = ids.last().map_or(0, |&m| m as usize + 1);
        if self.set_of.len() < top {
            self.set_of.resize(top, None);
        }
        for (&id, &set) in ids.iter().zip(sets) {
            self.set_of[id as usize] = Some(set);
        }
    }
}

/// Label sets after the run, for building output rows.
pub struct LabelTable {
    parser: LabelParser,
    pub values: Interner,
    pub sets: LabelSets,
    /// The set of each text id parsed so far, one map per [`TextTable`].
    by_text: [HashMap<u32, u32>; 2],
    scratch: Vec<Label>,
    /// Memoise label parsing per string and label merges per combination (`--label-memo`).
    pub memo: bool,
    /// Label strings parsed so far: once per distinct string with the memo, once per row without
    /// (the run report shows it; tests check it).
    pub parses: usize,
}

impl Catalog {
    pub fn new(enabled: EnabledKeys) -> Self {
        Self::with_strings(enabled, SharedInterner::new())
    }

    fn with_strings(enabled: EnabledKeys, strings: SharedInterner) -> Self {
        let empty = strings.intern(b"");
        debug_assert_eq!(empty, EMPTY_ID);
        Catalog {
            strings,
            label_texts: SharedInterner::new(),
            labels: Mutex::new(LabelTable {
                parser: LabelParser::default(),
                values: Interner::new(),
                sets: LabelSets::new(),
                by_text: [HashMap::new(), HashMap::new()],
                scratch: Vec::new(),
                memo: true,
                parses: 0,
            }),
            label_memo: true,
            enabled,
        }
    }

    /// The catalog with label memoisation on or off (`--label-memo`). Off, every row's label
    /// text is parsed and every merge computed again: slower, the same label sets.
    pub fn with_label_memo(mut self, on: bool) -> Self {
        self.label_memo = on;
        self.labels.get_mut().expect("fresh catalog").memo = on;
        self
    }

    /// The label keys kept (`--enabled-keys`).
    pub fn enabled(&self) -> &EnabledKeys {
        &self.enabled
    }

    /// Whether nobody holds the label table now (for tests of who holds it when).
    #[cfg(test)]
    pub(crate) fn label_table_is_free(&self) -> bool {
        self.labels.try_lock().is_ok()
    }

    /// Whether label strings resolve once per distinct string.
    pub fn label_memo(&self) -> bool {
        self.label_memo
    }

    /// A catalog whose string table stops at `limit` distinct strings, to test the overflow path
    /// without four billion strings.
    #[cfg(test)]
    pub(crate) fn with_string_limit(enabled: EnabledKeys, limit: u32) -> Self {
        Self::with_strings(enabled, SharedInterner::with_limit(limit))
    }

    /// Interns each string yielded by `each` (called with a sink), appending global ids to `out`.
    ///
    /// Fails once the table holds as many distinct strings as ids can name: the last id is the
    /// NULL id, so an input with more strings must stop the run rather than alias NULL. `out`
    /// is then incomplete and must not be used.
    pub fn intern_many<E: From<KernelError>>(
        &self,
        out: &mut Vec<u32>,
        each: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), E>,
    ) -> Result<(), E> {
        self.intern_into(TextTable::Strings, out, each)
    }

    /// [`Self::intern_many`] into the label-text table: ids for
    /// [`Self::resolve_labels_cached`] with [`TextTable::LabelTexts`], and for nothing else.
    pub fn intern_label_texts<E: From<KernelError>>(
        &self,
        out: &mut Vec<u32>,
        each: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), E>,
    ) -> Result<(), E> {
        self.intern_into(TextTable::LabelTexts, out, each)
    }

    fn table(&self, table: TextTable) -> &SharedInterner {
        match table {
            TextTable::Strings => &self.strings,
            TextTable::LabelTexts => &self.label_texts,
        }
    }

    /// Finds each value without a lock until one is missing; from there to the end of the page
    /// it holds the writers' mutex, once, and adds what is new. A page of known strings (most
    /// pages, once the first row groups are read) takes no lock at all.
    fn intern_into<E: From<KernelError>>(
        &self,
        table: TextTable,
        out: &mut Vec<u32>,
        each: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), E>,
    ) -> Result<(), E> {
        let strings = self.table(table);
        let mut writer = None;
        let mut full = None;
        // A page's values mostly follow one another as they did when first interned (see
        // `Interner::try_intern_after`), so each value's id is first guessed from the one before.
        let mut prev = None;
        each(&mut |s| {
            let id = match strings.lookup_after(s, prev) {
                Some(id) => Ok(id),
                None => writer.get_or_insert_with(|| strings.writer()).try_intern(s),
            };
            match id {
                Ok(id) => {
                    out.push(id);
                    prev = Some(id);
                }
                Err(e) => {
                    full.get_or_insert(e);
                }
            }
        })?;
        full.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Replaces each text id of `texts` in `ids` by its label set id, parsing texts seen first
    /// here.
    ///
    /// The texts are read from their table without a lock before the label table is taken, so
    /// a worker waiting here for the merging thread (which takes the label table per new merge)
    /// holds nothing another worker needs.
    pub fn resolve_labels(&self, texts: TextTable, ids: &mut [u32]) -> Result<(), BadLabels> {
        let unseen = self.sets_seen_before(texts, ids);
        if unseen.is_empty() {
            return Ok(());
        }
        let (bytes, ends) = self.texts_of(texts, unseen.iter().map(|&i| ids[i]));
        let mut table = self.labels.lock().expect("label table poisoned");
        let mut start = 0;
        for (&i, &end) in unseen.iter().zip(&ends) {
            let text = &bytes[start..end];
            start = end;
            // Another worker may have parsed the same string since the first look.
            if let Some(&set) = table.by_text[texts as usize].get(&ids[i]) {
                ids[i] = set;
                continue;
            }
            let set = table.parse(text, &self.enabled)?;
            if table.memo {
                table.by_text[texts as usize].insert(ids[i], set);
            }
            ids[i] = set;
        }
        Ok(())
    }

    /// [`Self::resolve_labels`] through a worker's own memo: a string the worker resolved before
    /// costs one indexed load and no lock, so a worker meets the label table (which the merging
    /// thread holds while it builds a batch) once per distinct label string it reads, not once
    /// per dictionary page. Without the label memo (`--label-memo off`) every id goes to the
    /// catalog, which then parses every row's text.
    pub fn resolve_labels_cached(
        &self,
        texts: TextTable,
        ids: &mut [u32],
        cache: &mut LabelCache,
    ) -> Result<(), BadLabels> {
        debug_assert_eq!(
            *cache.table.get_or_insert(texts),
            texts,
            "a label cache serves one text table"
        );
        if !self.label_memo {
            return self.resolve_labels(texts, ids);
        }
        let mut misses = std::mem::take(&mut cache.misses);
        misses.clear();
        misses.extend(
            ids.iter()
                .filter(|&&id| id != NULL_ID && cache.get(id).is_none()),
        );
        if !misses.is_empty() {
            misses.sort_unstable();
            misses.dedup();
            let mut sets = misses.clone();
            self.resolve_labels(texts, &mut sets)?;
            cache.insert(&misses, &sets);
        }
        cache.misses = misses;
        for id in ids.iter_mut() {
            *id = match *id {
                NULL_ID => NULL_SET,
                id => cache.get(id).expect("resolved above"),
            };
        }
        Ok(())
    }

    /// Maps the ids whose label set is known (NULL and strings parsed before); returns the
    /// positions of the rest.
    fn sets_seen_before(&self, texts: TextTable, ids: &mut [u32]) -> Vec<usize> {
        let table = self.labels.lock().expect("label table poisoned");
        let by_text = &table.by_text[texts as usize];
        let mut unseen = Vec::new();
        for (i, id) in ids.iter_mut().enumerate() {
            if *id == NULL_ID {
                *id = NULL_SET;
            } else if let Some(&set) = by_text.get(id) {
                *id = set;
            } else {
                unseen.push(i);
            }
        }
        unseen
    }

    /// The texts of `ids`, concatenated, with the end of each.
    fn texts_of(&self, table: TextTable, ids: impl Iterator<Item = u32>) -> (Vec<u8>, Vec<usize>) {
        let strings = self.table(table);
        let (mut texts, mut ends) = (Vec::new(), Vec::new());
        for id in ids {
            texts.extend_from_slice(strings.get(id));
            ends.push(texts.len());
        }
        (texts, ends)
    }

    /// The run's string table, read without a lock (ids from [`Self::intern_many`]).
    pub fn strings(&self) -> &SharedInterner {
        &self.strings
    }

    /// Orders two interned strings by bytes (SQL `max` on varchar), without a lock.
    pub fn compare(&self, a: u32, b: u32) -> std::cmp::Ordering {
        self.strings.get(a).cmp(self.strings.get(b))
    }

    /// Looks up a string interned earlier.
    pub fn lookup(&self, s: &[u8]) -> Option<u32> {
        self.strings.lookup(s)
    }

    /// Runs `f` with the label table locked (the strings need no lock: [`Self::strings`]).
    pub fn with_labels<T>(&self, f: impl FnOnce(&mut LabelTable, &EnabledKeys) -> T) -> T {
        let mut labels = self.labels.lock().expect("label table poisoned");
        f(&mut labels, &self.enabled)
    }

    /// Distinct label texts read straight to label sets ([`TextTable::LabelTexts`]).
    pub fn label_text_count(&self) -> usize {
        self.label_texts.len()
    }
}

impl LabelTable {
    fn parse(&mut self, text: &[u8], enabled: &EnabledKeys) -> Result<u32, BadLabels> {
        self.parses += 1;
        let parsed = self
            .parser
            .parse_filtered(text, enabled, &mut self.values, &mut self.scratch)
            .map_err(|e| BadLabels {
                preview: preview(text),
                reason: e.to_string(),
            })?;
        Ok(match parsed {
            ParsedLabels::Null => NULL_SET,
            ParsedLabels::Map => {
                self.sets
                    .try_intern(&self.scratch)
                    .map_err(|e| BadLabels {
                        preview: preview(text),
                        reason: e.to_string(),
                    })?
                    .0
            }
        })
    }
}

fn preview(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    let mut p: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        p.push('…');
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::catalog;
    use std::sync::mpsc;
    use std::time::Duration;

    fn intern(cat: &Catalog, texts: &[&str]) -> Vec<u32> {
        let mut ids = Vec::new();
        cat.intern_many::<KernelError>(&mut ids, |push| {
            texts.iter().for_each(|t| push(t.as_bytes()));
            Ok(())
        })
        .expect("room for the strings");
        ids
    }

    #[test]
    fn every_string_reads_back_through_the_shared_table() {
        let cat = catalog(&["app"]);
        let first = intern(&cat, &["a", "b", "a"]);
        let second = intern(&cat, &["c", "b", "d"]);
        let all = ["a", "b", "a", "c", "b", "d"];
        for (id, text) in first.iter().chain(&second).zip(all) {
            assert_eq!(cat.strings().get(*id), text.as_bytes());
        }
        assert_eq!(first[0], first[2]);
        assert_eq!(first[1], second[1]);
        assert_eq!(cat.strings().get(EMPTY_ID), b"");
        assert_eq!(cat.strings().len(), 5, "'' and four distinct strings");
    }

    /// A page whose strings are all known takes no lock: it finishes while another thread holds
    /// the writers' mutex. (A page with a new string would wait for it.)
    #[test]
    fn a_page_of_known_strings_does_not_wait_for_a_writer() {
        let cat = catalog(&["app"]);
        let ids = intern(&cat, &["node-1", "ns-1", "pod-1"]);
        let (done_tx, done_rx) = mpsc::channel();
        let finished = std::thread::scope(|s| {
            let writer = cat.strings().writer();
            s.spawn(|| {
                let again = intern(&cat, &["pod-1", "node-1", "ns-1", "node-1"]);
                let _ = done_tx.send(again);
            });
            let got = done_rx.recv_timeout(Duration::from_secs(10));
            drop(writer);
            got
        });
        let again = finished.expect("finished while the writer held the table");
        assert_eq!(again, [ids[2], ids[0], ids[1], ids[0]]);
    }

    #[test]
    fn label_texts_stay_out_of_the_strings_and_resolve_apart_from_them() {
        let cat = catalog(&["app"]);
        let global = intern(&cat, &[r#"{"app":"g"}"#]);
        let strings_before = cat.strings().len();
        let mut texts = Vec::new();
        cat.intern_label_texts::<KernelError>(&mut texts, |push| {
            push(br#"{"app":"g"}"#);
            push(br#"{"app":"t"}"#);
            Ok(())
        })
        .expect("room");
        assert_eq!(
            cat.strings().len(),
            strings_before,
            "label texts go to their own table"
        );
        assert_eq!(cat.label_text_count(), 2);
        // Id 1 is `{"app":"g"}` in the string table and `{"app":"t"}` among the label texts:
        // each table's memo and cache must keep to its own ids.
        assert_eq!(global[0], 1);
        assert_eq!(texts, [0, 1]);
        let (mut by_text, mut by_string) = (LabelCache::default(), LabelCache::default());
        let mut t = texts.clone();
        cat.resolve_labels_cached(TextTable::LabelTexts, &mut t, &mut by_text)
            .expect("valid");
        let mut g = global.clone();
        cat.resolve_labels_cached(TextTable::Strings, &mut g, &mut by_string)
            .expect("valid");
        let mut t_again = vec![1];
        cat.resolve_labels(TextTable::LabelTexts, &mut t_again)
            .expect("valid");
        assert_ne!(t[0], t[1]);
        assert_eq!(
            g[0], t[0],
            "the same text gives the same set from either table"
        );
        assert_eq!(t_again[0], t[1]);
        cat.with_labels(|labels, _| assert_eq!(labels.parses, 3));
    }

    /// Runs `work` on another thread while this one holds the label table, and says whether it
    /// finished meanwhile.
    fn finishes_while_labels_are_held(cat: &Catalog, work: impl FnOnce() + Send) -> bool {
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::scope(|s| {
            cat.with_labels(|_, _| {
                s.spawn(move || {
                    work();
                    let _ = done_tx.send(());
                });
                done_rx.recv_timeout(Duration::from_secs(10)).is_ok()
            })
        })
    }

    #[test]
    fn interning_does_not_wait_for_a_batch_build() {
        let cat = catalog(&["app"]);
        assert!(finishes_while_labels_are_held(&cat, || {
            intern(&cat, &["node-1", "ns-1"]);
        }));
    }

    #[test]
    fn cached_label_sets_equal_the_catalogs_and_take_no_lock_once_seen() {
        let cat = &catalog(&["app"]);
        let texts = [
            r#"{"app":"a","x":"1"}"#,
            "null",
            r#"{"app":"b"}"#,
            r#"{"x":"2"}"#,
        ];
        let mut raw = intern(cat, &texts);
        raw.insert(1, NULL_ID);
        raw.extend(raw.clone()); // repeats within one call
        let mut want = raw.clone();
        cat.resolve_labels(TextTable::Strings, &mut want)
            .expect("valid labels");
        let mut cache = LabelCache::default();
        let mut got = raw.clone();
        cat.resolve_labels_cached(TextTable::Strings, &mut got, &mut cache)
            .expect("valid labels");
        assert_eq!(got, want);
        assert_eq!(
            (got[1], got[2]),
            (NULL_SET, NULL_SET),
            "NULL text, JSON null"
        );
        // Seen before: resolved while another thread holds the label table.
        let mut again = raw.clone();
        let cache = &mut cache;
        let again_ref = &mut again;
        assert!(finishes_while_labels_are_held(cat, move || {
            cat.resolve_labels_cached(TextTable::Strings, again_ref, cache)
                .expect("cached");
        }));
        assert_eq!(again, want);
    }

    #[test]
    fn without_the_memo_the_cache_steps_aside_and_every_row_is_parsed() {
        let cat = catalog(&["app"]).with_label_memo(false);
        let raw = intern(&cat, &[r#"{"app":"a"}"#, r#"{"app":"a"}"#]);
        let mut cache = LabelCache::default();
        for _ in 0..2 {
            let mut ids = raw.clone();
            cat.resolve_labels_cached(TextTable::Strings, &mut ids, &mut cache)
                .expect("valid labels");
            assert_eq!(ids[0], ids[1]);
        }
        cat.with_labels(|labels, _| assert_eq!(labels.parses, 4));
    }

    #[test]
    fn a_worker_waiting_for_the_labels_leaves_the_strings_free() {
        let cat = &catalog(&["app"]);
        let mut ids = intern(cat, &[r#"{"app":"x"}"#]);
        std::thread::scope(|s| {
            let (blocked_tx, blocked_rx) = mpsc::channel();
            let resolved = cat.with_labels(|_, _| {
                // This worker blocks on the label table, which this thread holds...
                let ids = &mut ids;
                let worker = s.spawn(move || {
                    let _ = blocked_tx.send(());
                    cat.resolve_labels(TextTable::Strings, ids)
                        .expect("valid labels")
                });
                blocked_rx.recv().expect("worker started");
                std::thread::sleep(Duration::from_millis(50));
                // ...and another worker can still intern strings meanwhile.
                let (tx, rx) = mpsc::channel();
                s.spawn(move || {
                    intern(cat, &["node-2"]);
                    let _ = tx.send(());
                });
                let free = rx.recv_timeout(Duration::from_secs(10)).is_ok();
                (free, worker)
            });
            assert!(resolved.0, "interning waited for the label table");
            resolved.1.join().expect("worker finished");
        });
        assert_ne!(ids[0], NULL_SET);
        cat.with_labels(|labels, _| assert_eq!(labels.parses, 1));
    }
}
