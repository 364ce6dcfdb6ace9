//! A process-wide budget (a counting semaphore on bytes) for unpacked programs held at the
//! same time: two big packed files scanned in parallel must not add up their unpacked
//! sizes in memory. A request larger than the whole budget is granted once nothing else
//! is held, so one program of any accepted size always proceeds.
//!
//! A program is charged what it keeps resident ([`charge`]): on the heap, its size; spilled
//! to a mapped file, its working set, since the decoder and the catalogers release the
//! map's pages behind themselves. So two big programs decode side by side (the second core
//! is otherwise idle while one block decodes alone), and at most two do.

use std::sync::{Condvar, Mutex};

/// Bytes of unpacked programs that may be held at once.
pub const BUDGET: u64 = 256 << 20;

static HELD: Mutex<u64> = Mutex::new(0);
static RELEASED: Condvar = Condvar::new();

/// What a spilled program is charged: its decoding threads' LZMA dictionaries and the
/// steps of input and output in flight (8 MiB each), plus what one cataloger holds while
/// it reads (a DWARF summary, a window of a byte search). Measured: 50–80 MiB above the
/// process's own for the 99 and 126 MB programs of docs/performance.md.
pub const SPILLED_CHARGE: u64 = 96 << 20;

// Two spilled programs and one on the heap fit the budget; a third spilled one waits.
const _: () = assert!(
    2 * SPILLED_CHARGE + crate::spill::IN_MEMORY_LIMIT <= BUDGET && 3 * SPILLED_CHARGE > BUDGET
);

/// The share of the budget a program of `unpacked` bytes takes: its size on the heap, at
/// most [`SPILLED_CHARGE`] when it is spilled (beyond `heap_limit`).
pub fn charge(unpacked: u64, heap_limit: u64) -> u64 {
    if unpacked > heap_limit {
        unpacked.min(SPILLED_CHARGE)
    } else {
        unpacked
    }
}

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

    #[test]
    fn spilled_programs_are_charged_their_working_set_so_two_fit_and_a_third_waits() {
        let heap = 64 << 20;
        assert_eq!(charge(10 << 20, heap), 10 << 20);
        assert_eq!(charge(heap, heap), heap);
        assert_eq!(charge(300 << 20, heap), SPILLED_CHARGE);
        assert_eq!(charge(70 << 20, heap), 70 << 20);
    }
}
