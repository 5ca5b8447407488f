//! A clock for tests of time itself: the system clock plus an offset that a file holds, so a
//! test can make a year pass for a running kmipd (and for the real clients talking to it)
//! without waiting for one. `[testing] clock_offset_file` turns it on, and kmipd warns at
//! every start while it is on: a server whose clock can be moved by a file is no server to
//! trust with keys.
//!
//! The file holds whole seconds, as decimal text (`31536000` for a year). No file, or one
//! that does not parse, is an offset of 0 (and a warning, once per change).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kmip_ops::{Clock, SystemClock};

/// How long an offset read from the file is used before the file is read again: often
/// enough for a test that writes it and then waits a sweep, rarely enough to cost nothing.
const REREAD: Duration = Duration::from_millis(200);

/// The system clock plus the offset in a file.
#[derive(Debug)]
pub struct OffsetFileClock {
    path: PathBuf,
    /// The offset, and when it was read.
    cached: Mutex<Option<(Instant, i64)>>,
}

impl OffsetFileClock {
    /// A clock that follows the offset in `path`.
    pub fn new(path: PathBuf) -> Self {
        OffsetFileClock { path, cached: Mutex::new(None) }
    }

    fn read(&self) -> i64 {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text.trim().parse().unwrap_or_else(|_| {
                tracing::warn!(path = %self.path.display(), "the clock offset file does not hold whole seconds");
                0
            }),
            Err(_) => 0,
        }
    }

    fn offset(&self) -> i64 {
        // The guarded value is a cache: a poisoned lock holds a usable one.
        let mut cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match *cached {
            Some((at, offset)) if at.elapsed() < REREAD => offset,
            _ => {
                let offset = self.read();
                *cached = Some((Instant::now(), offset));
                offset
            }
        }
    }
}

impl Clock for OffsetFileClock {
    fn now(&self) -> i64 {
        SystemClock.now().saturating_add(self.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_moves_the_clock() {
        let dir = std::env::temp_dir().join(format!("kmip-offset-clock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("offset");
        let clock = OffsetFileClock::new(path.clone());
        let real = SystemClock.now();
        assert!((clock.now() - real).abs() <= 1, "no file, no offset");
        std::fs::write(&path, "86400\n").expect("write");
        std::thread::sleep(REREAD + Duration::from_millis(50));
        assert!((clock.now() - real - 86_400).abs() <= 2, "a day ahead");
        std::fs::write(&path, "soon").expect("write");
        std::thread::sleep(REREAD + Duration::from_millis(50));
        assert!((clock.now() - real).abs() <= 2, "nonsense is no offset");
    }
}
