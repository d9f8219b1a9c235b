//! Which entity is active in which hour: a global row index of a report ↔ `(hour, entity)`.

/// Which entities are active in which hour, and the cumulative row count per hour.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub start: Vec<u32>,
    pub end: Vec<u32>,
    /// `cum[h]` = rows before hour `h`; length `hours + 1`.
    pub cum: Vec<u64>,
}

impl Stream {
    pub(super) fn new(start: Vec<u32>, end: Vec<u32>, hours: u32) -> Self {
        let mut diff = vec![0i64; hours as usize + 1];
        for (&s, &e) in start.iter().zip(&end) {
            let (s, e) = (s.min(hours), e.min(hours));
            if s < e {
                diff[s as usize] += 1;
                diff[e as usize] -= 1;
            }
        }
        let mut cum = Vec::with_capacity(hours as usize + 1);
        let (mut active, mut total) = (0i64, 0u64);
        cum.push(0);
        for d in diff.iter().take(hours as usize) {
            active += d;
            total += active as u64;
            cum.push(total);
        }
        Stream { start, end, cum }
    }

    pub fn rows_between(&self, h0: u32, h1: u32) -> u64 {
        self.cum[h1 as usize] - self.cum[h0 as usize]
    }

    /// Appends the `n` rows starting at global row `first` as `(hour, entity)` pairs, in order
    /// (hour ascending, entity index ascending).
    pub fn collect(&self, first: u64, n: usize, out: &mut Vec<(u32, u32)>) {
        if n == 0 {
            return;
        }
        let mut h = self.cum.partition_point(|&c| c <= first) - 1;
        let mut skip = first - self.cum[h];
        let target = out.len() + n;
        while out.len() < target && h + 1 < self.cum.len() {
            let hh = h as u32;
            for (e, (&s, &en)) in self.start.iter().zip(&self.end).enumerate() {
                if s <= hh && hh < en {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    out.push((hh, e as u32));
                    if out.len() == target {
                        return;
                    }
                }
            }
            h += 1;
        }
        assert_eq!(out.len(), target, "stream exhausted");
    }
}
