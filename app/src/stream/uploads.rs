//! Content made on the task pool, waiting for the main thread to upload it:
//! taken a vertex budget at a time, so arrivals never stall a frame, and
//! what a frame did not handle is put back in order for the next one.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

pub struct Uploads<T> {
    tx: Sender<T>,
    rx: Mutex<Receiver<T>>,
    waiting: VecDeque<T>,
}

impl<T> Default for Uploads<T> {
    fn default() -> Self {
        let (tx, rx) = channel();
        Uploads {
            tx,
            rx: Mutex::new(rx),
            waiting: VecDeque::new(),
        }
    }
}

impl<T> Uploads<T> {
    /// Where a task sends what it made.
    pub fn sender(&self) -> Sender<T> {
        self.tx.clone()
    }

    /// The oldest arrivals, until their `cost` (vertices, bytes) reaches
    /// `budget` (at least one, so a huge item still goes).
    pub fn take(&mut self, budget: usize, cost: impl Fn(&T) -> usize) -> Vec<T> {
        if let Ok(rx) = self.rx.lock() {
            self.waiting.extend(rx.try_iter());
        }
        let mut out = Vec::new();
        let mut used = 0;
        while used < budget
            && let Some(item) = self.waiting.pop_front()
        {
            used += cost(&item);
            out.push(item);
        }
        out
    }

    /// Puts back what a frame took but did not handle, ahead of the rest
    /// and in its order; items `keep` refuses (for a layer since gone or
    /// respawned) are dropped.
    pub fn put_back(&mut self, items: Vec<T>, keep: impl Fn(&T) -> bool) {
        for item in items.into_iter().rev() {
            if keep(&item) {
                self.waiting.push_front(item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn items_go_by_budget_and_come_back_in_order() {
        let mut u = super::Uploads::<usize>::default();
        for n in [5, 5, 5, 5] {
            u.sender().send(n).unwrap();
        }
        let first = u.take(8, |n| *n);
        assert_eq!(first, vec![5, 5]);
        u.put_back(first, |_| true);
        assert_eq!(u.take(100, |n| *n), vec![5, 5, 5, 5]);
        u.sender().send(1).unwrap();
        u.put_back(vec![7, 8], |n| *n != 7);
        assert_eq!(u.take(100, |_| 1), vec![8, 1]);
    }
}

/// A layer's failed loads, told to the user once: the first is handed back
/// to become a notice, every one is logged, and all are retried quietly.
#[derive(Debug, Default)]
pub struct TellOnce(bool);

impl TellOnce {
    /// Logs `error` (from `what`: "terrain", "tileset"…) and returns it
    /// unless the layer has told one already.
    pub fn failure(&mut self, what: &str, error: String) -> Option<String> {
        bevy::log::warn!("{what}: {error}");
        (!std::mem::replace(&mut self.0, true)).then_some(error)
    }
}
