//! Read buffers lent out as [`Bytes`] and taken back when the last view of one drops.
//!
//! A local read used to fill a fresh zeroed `Vec` per column-chunk range: at L, zeroing and
//! faulting that memory in was about 2.5% of the run's CPU, because the allocator returns freed
//! memory to the OS before the next row group asks for it again. A [`BufferPool`] keeps a few
//! buffers instead. Each stays at the largest length it has had, so reusing one zeroes nothing;
//! only growth is zeroed, and only once.

use bytes::Bytes;
use std::sync::{Arc, Mutex};

/// Buffers kept for reuse. Workers each hold one or two ranges at a time; more idle buffers
/// than this would only be memory held for nothing.
const MAX_IDLE: usize = 8;

/// A buffer bigger than this goes back to the allocator instead of the pool, so one huge row
/// group does not pin its size in memory for the rest of the run.
const MAX_KEPT_BYTES: usize = 64 << 20;

#[derive(Default)]
pub struct BufferPool {
    idle: Mutex<Vec<Vec<u8>>>,
}

impl std::fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle.lock().map(|v| v.len()).unwrap_or(0);
        f.debug_struct("BufferPool").field("idle", &idle).finish()
    }
}

impl BufferPool {
    /// Fills `len` bytes with `fill` and returns them; the buffer comes back to `pool` when the
    /// returned `Bytes` and every slice of it have dropped.
    pub fn read<E>(
        pool: &Arc<BufferPool>,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Bytes, E> {
        let mut buf = pool.take(len);
        if buf.len() < len {
            buf.resize(len, 0);
        }
        fill(&mut buf[..len])?;
        let lent = Lent {
            buf,
            pool: Arc::clone(pool),
        };
        Ok(Bytes::from_owner(lent).slice(..len))
    }

    /// An idle buffer, the smallest that holds `len` bytes if any does, else the largest.
    fn take(&self, len: usize) -> Vec<u8> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let fits = (0..idle.len())
            .filter(|&i| idle[i].len() >= len)
            .min_by_key(|&i| idle[i].len());
        let pick = fits.or_else(|| (0..idle.len()).max_by_key(|&i| idle[i].len()));
        pick.map(|i| idle.swap_remove(i)).unwrap_or_default()
    }

    fn give_back(&self, buf: Vec<u8>) {
        if buf.len() > MAX_KEPT_BYTES {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(buf);
        }
    }

    #[cfg(test)]
    fn idle(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.idle.lock().unwrap().iter().map(Vec::len).collect();
        v.sort();
        v
    }
}

/// The owner behind a lent `Bytes`.
struct Lent {
    buf: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_with(v: u8) -> impl FnOnce(&mut [u8]) -> Result<(), ()> {
        move |b| {
            b.fill(v);
            Ok(())
        }
    }

    #[test]
    fn a_buffer_comes_back_when_its_last_slice_drops_and_is_reused() {
        let pool = Arc::new(BufferPool::default());
        let a = BufferPool::read(&pool, 100, fill_with(1)).unwrap();
        assert_eq!(&a[..], &[1u8; 100][..]);
        let half = a.slice(10..20);
        drop(a);
        assert!(pool.idle().is_empty(), "a slice still holds it");
        drop(half);
        assert_eq!(pool.idle(), vec![100]);
        // A shorter read reuses it (and sees only its own bytes); a longer one grows it.
        let b = BufferPool::read(&pool, 40, fill_with(2)).unwrap();
        assert_eq!(&b[..], &[2u8; 40][..]);
        assert!(pool.idle().is_empty());
        drop(b);
        let c = BufferPool::read(&pool, 300, fill_with(3)).unwrap();
        assert_eq!(c.len(), 300);
        assert!(c.iter().all(|&x| x == 3));
        drop(c);
        assert_eq!(pool.idle(), vec![300]);
    }

    #[test]
    fn the_smallest_buffer_that_fits_is_taken_and_the_pool_is_bounded() {
        let pool = Arc::new(BufferPool::default());
        let held: Vec<Bytes> = [50, 10, 30]
            .iter()
            .map(|&n| BufferPool::read(&pool, n, fill_with(0)).unwrap())
            .collect();
        drop(held);
        assert_eq!(pool.idle(), vec![10, 30, 50]);
        let b = BufferPool::read(&pool, 20, fill_with(0)).unwrap();
        assert_eq!(pool.idle(), vec![10, 50], "30 was the best fit");
        drop(b);
        let many: Vec<Bytes> = (0..MAX_IDLE + 4)
            .map(|_| BufferPool::read(&pool, 8, fill_with(0)).unwrap())
            .collect();
        drop(many);
        assert_eq!(pool.idle().len(), MAX_IDLE);
    }

    #[test]
    fn a_failed_fill_keeps_nothing_and_huge_buffers_are_not_kept() {
        let pool = Arc::new(BufferPool::default());
        let err = BufferPool::read(&pool, 10, |_| Err("short read"));
        assert_eq!(err.unwrap_err(), "short read");
        assert!(pool.idle().is_empty());
        let big = BufferPool::read(&pool, MAX_KEPT_BYTES + 1, fill_with(0)).unwrap();
        drop(big);
        assert!(pool.idle().is_empty());
    }
}
