//! Slow work off the UI thread: a print job (rasterising the slip, the device), and Argon2id
//! for a staff PIN or a personal code (tens of milliseconds on a desktop core, several times
//! that on a Pi: inside a callback it would freeze the screen). A job runs on its own thread;
//! its result comes back over a channel that the quarter-second tick drains, and the screen
//! says it is printing or checking meanwhile.

use std::sync::mpsc::{Receiver, Sender};

/// Jobs of one kind whose results are `T`.
pub(crate) struct SlowWork<T> {
    tx: Sender<(u64, T)>,
    rx: Receiver<(u64, T)>,
    next: u64,
    running: usize,
}

impl<T: Send + 'static> SlowWork<T> {
    pub(crate) fn new() -> SlowWork<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        SlowWork {
            tx,
            rx,
            next: 0,
            running: 0,
        }
    }

    /// Runs `job` on a thread of its own and returns its number.
    pub(crate) fn spawn(&mut self, job: impl FnOnce() -> T + Send + 'static) -> u64 {
        self.next += 1;
        self.running += 1;
        let (id, tx) = (self.next, self.tx.clone());
        std::thread::spawn(move || {
            // The kiosk may have closed meanwhile; then nobody is waiting.
            let _ = tx.send((id, job()));
        });
        id
    }

    /// The results that have come back since the last call, oldest first.
    pub(crate) fn finished(&mut self) -> Vec<(u64, T)> {
        let done: Vec<(u64, T)> = self.rx.try_iter().collect();
        self.running = self.running.saturating_sub(done.len());
        done
    }

    /// Whether a job is still running.
    pub(crate) fn busy(&self) -> bool {
        self.running > 0
    }
}
