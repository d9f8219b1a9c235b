//! The daily rollup's machinery, shared by every report: pandas' Kahan-compensated `group_sum`,
//! a (group, day) → accumulator map, and the daily frame's window over the sorted accumulators.

/// pandas' `group_sum` (Kahan-compensated, in row order).
#[derive(Debug, Clone, Copy, Default)]
pub struct Kahan {
    sum: f64,
    comp: f64,
}

impl Kahan {
    #[inline]
    pub fn add(&mut self, v: f64) {
        let y = v - self.comp;
        let t = self.sum + y;
        self.comp = t - self.sum - y;
        if self.comp.is_nan() {
            self.comp = 0.0;
        }
        self.sum = t;
    }

    #[inline]
    pub fn get(&self) -> f64 {
        self.sum
    }
}

/// Maps (group, day) to an accumulator slot; rows arrive day by day (hour-ordered), so a dense
/// per-group slot table reset at each day change suffices.
struct Grouper {
    slot: Vec<u32>,
    touched: Vec<u32>,
    day: u32,
}

impl Grouper {
    fn new(groups: usize) -> Self {
        Grouper {
            slot: vec![u32::MAX; groups],
            touched: Vec::new(),
            day: u32::MAX,
        }
    }

    /// Slot of `(group, day)`; `fresh` is called (and must push one accumulator) on first sight.
    #[inline]
    fn get(&mut self, group: u32, day: u32, len: usize, fresh: impl FnOnce()) -> usize {
        if day != self.day {
            for &g in &self.touched {
                self.slot[g as usize] = u32::MAX;
            }
            self.touched.clear();
            self.day = day;
        }
        let s = &mut self.slot[group as usize];
        if *s == u32::MAX {
            *s = len as u32;
            self.touched.push(group);
            fresh();
        }
        *s as usize
    }
}

/// Daily rollup state of one chunk: accumulators in first-seen order, sorted at the end.
pub(super) struct Rollup<T> {
    grouper: Grouper,
    pub(super) days: Vec<T>,
}

impl<T> Rollup<T> {
    pub(super) fn new(groups: usize) -> Self {
        Rollup {
            grouper: Grouper::new(groups),
            days: Vec::new(),
        }
    }

    #[inline]
    pub(super) fn slot(&mut self, group: u32, day: u32, fresh: impl FnOnce() -> T) -> &mut T {
        let n = self.days.len();
        let days = &mut self.days;
        let i = self.grouper.get(group, day, n, || days.push(fresh()));
        &mut self.days[i]
    }
}

/// A daily frame over sorted accumulators: `off..off + len` is the current row group.
pub(super) struct DailyWindow<'a, T> {
    all: &'a [T],
    off: usize,
    len: usize,
}

impl<'a, T> DailyWindow<'a, T> {
    pub(super) fn new(all: &'a [T]) -> Self {
        DailyWindow {
            all,
            off: 0,
            len: 0,
        }
    }

    pub(super) fn load(&mut self, start: usize, len: usize) {
        self.off = start;
        self.len = len;
    }

    pub(super) fn rows(&self, lo: usize, hi: usize) -> &'a [T] {
        &self.all[self.off..self.off + self.len][lo..hi]
    }
}
