//! The run's shared string and label-set tables.
//!
//! Every string the pipeline keeps (namespace, node, resource id, label text) is interned once into
//! a dense `u32`; every distinct label string is parsed once into a filtered, sorted label set and
//! interned again as a set id. Workers take the locks once per dictionary page, not per row, so two
//! mutexes are cheap here and keep ids global without a merge step.

use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{EnabledKeys, Label, LabelParser, LabelSets, ParsedLabels};
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
pub fn id_text(strings: &Interner, id: u32) -> Option<String> {
    (id != NULL_ID).then(|| String::from_utf8_lossy(strings.get(id)).into_owned())
}

pub struct Catalog {
    strings: Mutex<Interner>,
    labels: Mutex<LabelTable>,
    /// `--label-memo on`: label strings resolve per distinct string (and per dictionary entry).
    label_memo: bool,
    enabled: EnabledKeys,
}

/// Label sets after the run, for building output rows.
pub struct LabelTable {
    parser: LabelParser,
    pub values: Interner,
    pub sets: LabelSets,
    by_string: HashMap<u32, u32>,
    scratch: Vec<Label>,
    /// Memoise label parsing per string and label merges per combination (`--label-memo`).
    pub memo: bool,
    /// Label strings parsed so far: once per distinct string with the memo, once per row without
    /// (the run report shows it; tests check it).
    pub parses: usize,
}

impl Catalog {
    pub fn new(enabled: EnabledKeys) -> Self {
        let mut strings = Interner::new();
        let empty = strings.intern(b"");
        debug_assert_eq!(empty, EMPTY_ID);
        Catalog {
            strings: Mutex::new(strings),
            labels: Mutex::new(LabelTable {
                parser: LabelParser::default(),
                values: Interner::new(),
                sets: LabelSets::new(),
                by_string: HashMap::new(),
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

    /// Whether label strings resolve once per distinct string.
    pub fn label_memo(&self) -> bool {
        self.label_memo
    }

    /// A catalog whose string table stops at `limit` distinct strings, to test the overflow path
    /// without four billion strings.
    #[cfg(test)]
    pub(crate) fn with_string_limit(enabled: EnabledKeys, limit: u32) -> Self {
        let catalog = Catalog::new(enabled);
        let mut strings = Interner::with_limit(limit);
        strings.intern(b"");
        *catalog.strings.lock().expect("fresh") = strings;
        catalog
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
        let mut strings = self.strings.lock().expect("string table poisoned");
        let mut full = None;
        each(&mut |s| match strings.try_intern(s) {
            Ok(id) => out.push(id),
            Err(e) => {
                full.get_or_insert(e);
            }
        })?;
        full.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Replaces each global string id in `ids` by its label set id, parsing strings seen first here.
    pub fn resolve_labels(&self, ids: &mut [u32]) -> Result<(), BadLabels> {
        let strings = self.strings.lock().expect("string table poisoned");
        let mut table = self.labels.lock().expect("label table poisoned");
        for id in ids.iter_mut() {
            if *id == NULL_ID {
                *id = NULL_SET;
                continue;
            }
            if let Some(&set) = table.by_string.get(id) {
                *id = set;
                continue;
            }
            let text = strings.get(*id);
            let set = table.parse(text, &self.enabled)?;
            if table.memo {
                table.by_string.insert(*id, set);
            }
            *id = set;
        }
        Ok(())
    }

    /// Orders two interned strings by bytes (SQL `max` on varchar).
    pub fn compare(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let strings = self.strings.lock().expect("string table poisoned");
        strings.get(a).cmp(strings.get(b))
    }

    /// Looks up a string interned earlier.
    pub fn lookup(&self, s: &[u8]) -> Option<u32> {
        self.strings
            .lock()
            .expect("string table poisoned")
            .lookup(s)
    }

    /// Runs `f` with both tables locked: building a batch's rows merges and interns label sets,
    /// and rendering reads strings. Workers wait only if they need a lock meanwhile, once per
    /// dictionary page.
    pub fn with_tables<T>(
        &self,
        f: impl FnOnce(&mut Interner, &mut LabelTable, &EnabledKeys) -> T,
    ) -> T {
        let mut strings = self.strings.lock().expect("string table poisoned");
        let mut labels = self.labels.lock().expect("label table poisoned");
        f(&mut strings, &mut labels, &self.enabled)
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
