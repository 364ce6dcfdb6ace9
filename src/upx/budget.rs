//! A process-wide budget (a counting semaphore on bytes) for unpacked programs held at the
//! same time: two big packed files scanned in parallel must not add up their unpacked
//! sizes in memory. A request larger than the whole budget is granted once nothing else
//! is held, so one program of any accepted size always proceeds.

use std::sync::{Condvar, Mutex};

/// Bytes of unpacked programs that may be held at once.
pub const BUDGET: u64 = 256 << 20;

static HELD: Mutex<u64> = Mutex::new(0);
static RELEASED: Condvar = Condvar::new();

/// Held bytes of the budget; returned when dropped.
#[derive(Debug)]
pub struct Permit {
    bytes: u64,
}

/// Waits until `bytes` (capped at the whole budget) fit, then takes them.
pub fn acquire(bytes: u64) -> Permit {
    let bytes = bytes.min(BUDGET);
    // A poisoned lock only means another thread panicked while counting; the count
    // itself is still consistent (updates are single statements).
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    while *held + bytes > BUDGET {
        held = RELEASED.wait(held).unwrap_or_else(|p| p.into_inner());
    }
    *held += bytes;
    Permit { bytes }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        *held -= self.bytes;
        RELEASED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_big_request_waits_for_the_first() {
        let first = acquire(BUDGET * 2);
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _second = acquire(BUDGET / 2);
            tx.send(()).unwrap();
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err());
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("granted after release");
        waiter.join().unwrap();
    }
}
