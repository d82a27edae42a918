//! The disk reserve of a SQLite shop. When the folder holding the database has less free space
//! than the reserve, the shop takes no more changes (every write is refused with a page saying so)
//! while pages that only read go on; once space is back it takes changes again by itself.
//!
//! Stopping short of a full disk is what keeps the database usable: SQLite copies its log into
//! the file at a checkpoint, which needs room for the file to grow, so a disk filled to the last
//! byte left every write failing even after a little space was freed and the shop restarted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a reading of the free space stands: the disk is asked at most this often, and a
/// reserve crossed is seen within it.
const FRESH: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct DiskReserve {
    folder: PathBuf,
    min_free: u64,
    low: AtomicBool,
    free: AtomicU64,
    /// Milliseconds since `started` at the last reading; 0: never read.
    read_at: AtomicU64,
    started: Instant,
}

impl DiskReserve {
    pub fn new(folder: &Path, min_free_bytes: u64) -> DiskReserve {
        DiskReserve {
            folder: folder.to_path_buf(),
            min_free: min_free_bytes,
            low: AtomicBool::new(false),
            free: AtomicU64::new(u64::MAX),
            read_at: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Whether the free space is below the reserve, as read within the last half second.
    pub fn is_low(&self) -> bool {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
        let read_at = self.read_at.load(Ordering::Relaxed);
        let stale = read_at == 0 || now.saturating_sub(read_at) >= FRESH.as_millis() as u64;
        // One caller reads the disk; the others go by the last reading meanwhile.
        if stale && self.read_at.compare_exchange(read_at, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.read_now();
        }
        self.low.load(Ordering::Relaxed)
    }

    /// Reads the free space now; an unreadable folder counts as having none.
    pub fn read_now(&self) -> u64 {
        let free = free_bytes(&self.folder).unwrap_or(0);
        let was_low = self.low.swap(free < self.min_free, Ordering::Relaxed);
        self.free.store(free, Ordering::Relaxed);
        match (was_low, free < self.min_free) {
            (false, true) => tracing::error!(
                free_mb = free / MB,
                reserve_mb = self.min_free / MB,
                folder = %self.folder.display(),
                "the data folder's disk is nearly full: the shop takes no changes until space is freed"
            ),
            (true, false) => tracing::warn!(free_mb = free / MB, "disk space is back: the shop takes changes again"),
            _ => {}
        }
        free
    }

    /// The free space at the last reading (bytes).
    pub fn free(&self) -> u64 {
        self.free.load(Ordering::Relaxed)
    }

    pub fn min_free(&self) -> u64 {
        self.min_free
    }
}

const MB: u64 = 1024 * 1024;

/// Bytes an unprivileged process may still write in the file system holding `folder`.
pub fn free_bytes(folder: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(folder)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_above_the_free_space_is_low_and_one_below_is_not() {
        let dir = std::env::temp_dir();
        let free = free_bytes(&dir).expect("statvfs");
        assert!(free > 0);
        assert!(DiskReserve::new(&dir, u64::MAX).is_low());
        assert!(!DiskReserve::new(&dir, 0).is_low());
        assert!(DiskReserve::new(Path::new("/no/such/folder"), 1).is_low(), "an unreadable folder has no room");
    }
}
