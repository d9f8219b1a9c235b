//! The memory budget of a run (`--memory-limit`).
//!
//! The engine's memory is the decode buffers of the row groups in flight plus the aggregate tables,
//! which grow with the output (groups), not with the input rows. The budget caps the first by
//! choosing how many row groups are decoded at once, and guards the second by checking the
//! process's resident size while partials are merged: a run that would pass the limit stops with a
//! clear error instead of being killed by the OOM killer halfway through a load. Reads started
//! ahead on S3 (`source::readahead`) hold their bytes from the request until their row group is
//! decoded; they get their own share, [`read_ahead_budget`].

/// Parses `4G`, `512M`, `800K` or plain bytes (binary units).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], s[i..].trim().to_ascii_uppercase()),
        None => (s, String::new()),
    };
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    (n >= 0.0).then_some((n * scale as f64) as u64)
}

/// The default budget: 80% of the smaller of physical memory and the cgroup limit.
pub fn default_limit() -> u64 {
    let total = meminfo_total().unwrap_or(8 << 30);
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    total.min(cgroup) / 5 * 4
}

fn meminfo_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// The process's resident size now, from `/proc/self/statm`.
pub fn current_rss() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The kernel's page size, the unit of `/proc/self/statm`: 4 KiB on x86-64, but 16 or 64 KiB on
/// some arm64 and ppc64le kernels, where assuming 4 KiB would under-report RSS by 4-16x.
pub fn page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value; _SC_PAGESIZE is valid on every Linux.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

/// Workers such that the row groups in flight (two per worker: one decoding, one queued)
/// take at most a quarter of the budget.
pub fn workers_within(limit: u64, per_row_group: u64, wanted: usize) -> usize {
    let fit = (limit / 4) / per_row_group.max(1) / 2;
    wanted.min(fit.max(1) as usize)
}

/// Bytes the S3 read-ahead may hold (requested and not yet decoded): an eighth of the budget, next
/// to the quarter the decode buffers may take, so both together stay well inside it.
pub fn read_ahead_budget(limit: u64) -> u64 {
    limit / 8
}

/// Stops the run when the process has outgrown the budget during `stage`.
pub fn check(limit: u64, stage: &'static str) -> Result<(), crate::error::MemoryError> {
    match current_rss() {
        Some(rss) if rss > limit => Err(crate::error::MemoryError { stage, rss, limit }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("1.5g"), Some(3 << 29));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("12X"), None);
        assert_eq!(workers_within(1 << 30, 100 << 20, 8), 1);
        assert_eq!(workers_within(16 << 30, 10 << 20, 8), 8);
    }

    #[test]
    fn rss_is_counted_in_real_pages() {
        let page = page_size();
        assert!(page.is_power_of_two() && page >= 4096, "{page}");
        // A fresh 64 MiB touched page by page must show up in RSS, whatever the page size.
        let before = current_rss().unwrap();
        let block = vec![1u8; 64 << 20];
        let after = current_rss().unwrap();
        assert!(after >= before + (48 << 20), "{before} -> {after}");
        drop(block);
    }
}
