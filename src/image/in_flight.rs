//! The bound on file bytes read from an image's layers but not yet applied to its
//! filesystem, shared by every layer streaming at once ([`super::layers`]).
//!
//! Layers are applied in order, so bytes held by a later layer are released only after the
//! layer being applied (the front) is done. To never wait on itself, the front may always
//! take a file when it holds none (one file larger than the bound is then the only one of
//! the front's), while later layers may only fill half the bound: the front never waits for
//! them beyond that half. Heap-buffered files are at most 64 MiB each (beyond, they are
//! spilled and mapped), so heap bytes in flight stay within the bound.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};

pub struct Budget {
    state: Mutex<State>,
    changed: Condvar,
    max_bytes: u64,
    max_files: usize,
}

#[derive(Default)]
struct State {
    /// The layer being applied.
    front: usize,
    bytes: u64,
    files: usize,
    /// Per layer: bytes and files held.
    held: BTreeMap<usize, (u64, usize)>,
    /// The scan stopped (an error): nobody waits any more.
    cancelled: bool,
}

impl Budget {
    pub fn new(max_bytes: u64, max_files: usize) -> Budget {
        Budget {
            state: Mutex::default(),
            changed: Condvar::new(),
            max_bytes,
            max_files: max_files.max(2),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a file of `bytes` from `layer` fits, then counts it.
    pub fn acquire(&self, layer: usize, bytes: u64) -> anyhow::Result<()> {
        let mut s = self.lock();
        loop {
            if s.cancelled {
                anyhow::bail!("the scan stopped");
            }
            let fits = if layer <= s.front {
                let holds_none = s.held.get(&layer).is_none_or(|h| h.1 == 0);
                holds_none
                    || (s.bytes.saturating_add(bytes) <= self.max_bytes && s.files < self.max_files)
            } else {
                s.bytes.saturating_add(bytes) <= self.max_bytes / 2 && s.files < self.max_files / 2
            };
            if fits {
                s.bytes = s.bytes.saturating_add(bytes);
                s.files += 1;
                let h = s.held.entry(layer).or_default();
                h.0 = h.0.saturating_add(bytes);
                h.1 += 1;
                return Ok(());
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A file of `layer` was applied: its bytes are free.
    pub fn release(&self, layer: usize, bytes: u64) {
        let mut s = self.lock();
        s.bytes = s.bytes.saturating_sub(bytes);
        s.files = s.files.saturating_sub(1);
        if let Some(h) = s.held.get_mut(&layer) {
            h.0 = h.0.saturating_sub(bytes);
            h.1 = h.1.saturating_sub(1);
        }
        drop(s);
        self.changed.notify_all();
    }

    /// `layer` is now the one being applied.
    pub fn advance(&self, layer: usize) {
        self.lock().front = layer;
        self.changed.notify_all();
    }

    /// Wakes every waiter with an error (the scan failed).
    pub fn cancel(&self) {
        self.lock().cancelled = true;
        self.changed.notify_all();
    }

    #[cfg(test)]
    fn held(&self) -> (u64, usize) {
        let s = self.lock();
        (s.bytes, s.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn later_layers_fill_half_and_the_front_always_proceeds() {
        let b = Arc::new(Budget::new(100, 4));
        b.acquire(1, 40).unwrap(); // a later layer: within half
        assert_eq!(b.held(), (40, 1));
        // A second later-layer file would pass half the bound: it waits until the front
        // moves on and the first is released.
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || b.acquire(1, 20))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(b.held(), (40, 1), "still waiting");
        // The front holds nothing: a file larger than the bound still goes.
        b.acquire(0, 500).unwrap();
        assert!(b.held().0 >= 540);
        b.release(0, 500);
        b.advance(1);
        waiter.join().unwrap().unwrap();
        assert_eq!(b.held(), (60, 2));
        b.release(1, 40);
        b.release(1, 20);
        assert_eq!(b.held(), (0, 0));
    }

    #[test]
    fn a_cancelled_budget_wakes_waiters_with_an_error() {
        let b = Arc::new(Budget::new(10, 4));
        b.acquire(0, 8).unwrap();
        let waiter = {
            let b = b.clone();
            std::thread::spawn(move || b.acquire(0, 8))
        };
        std::thread::sleep(Duration::from_millis(20));
        b.cancel();
        assert!(waiter.join().unwrap().is_err());
    }
}
