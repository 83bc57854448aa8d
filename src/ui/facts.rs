//! The staff status's facts (six database queries, the free space on the card, the board's
//! temperature from /sys) are gathered on a thread of their own, with its own database
//! connection, every few seconds; the UI keeps the latest and never waits for them.
//!
//! A kiosk without a data folder (tests, screenshots: an in-memory store no other connection
//! can open) gathers them on the UI thread instead; a kiosk in the field always has one.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

use crate::clock::ClockReading;
use crate::config::Config;
use crate::staff::status::Facts;
use crate::status::ServedDirectory;

/// What the gathering thread needs to know from the UI's side each time (the config, which
/// does not change while the kiosk runs, it is given once).
pub(crate) struct Ask {
    pub(crate) directory: ServedDirectory,
    pub(crate) clock: ClockReading,
    pub(crate) paper_sensor: Option<bool>,
}

pub(crate) struct FactsGatherer {
    asks: Sender<Ask>,
    replies: Receiver<Facts>,
    waiting: bool,
}

impl FactsGatherer {
    /// Starts the thread for the database in `data_dir`; it ends when the gatherer is dropped.
    pub(crate) fn start(
        data_dir: PathBuf,
        config: Config,
        machine: std::sync::Arc<dyn crate::machine::Machine>,
    ) -> FactsGatherer {
        let (asks, asked) = std::sync::mpsc::channel::<Ask>();
        let (reply, replies) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut store = None;
            for ask in asked {
                if store.is_none() {
                    store = crate::store::Store::open(&data_dir)
                        .map_err(|e| tracing::error!("staff facts: {e}"))
                        .ok();
                }
                let facts = crate::status::staff_facts(
                    &config,
                    store.as_ref(),
                    ask.directory,
                    Some(&data_dir),
                    &ask.clock,
                    ask.paper_sensor,
                    machine.as_ref(),
                );
                if reply.send(facts).is_err() {
                    return;
                }
            }
        });
        FactsGatherer {
            asks,
            replies,
            waiting: false,
        }
    }

    /// Asks for fresh facts, unless an answer is still on its way.
    pub(crate) fn ask(&mut self, ask: Ask) {
        if !self.waiting && self.asks.send(ask).is_ok() {
            self.waiting = true;
        }
    }

    /// The newest facts that came back since the last call.
    pub(crate) fn newest(&mut self) -> Option<Facts> {
        let newest = self.replies.try_iter().last();
        if newest.is_some() {
            self.waiting = false;
        }
        newest
    }

    pub(crate) fn waiting(&self) -> bool {
        self.waiting
    }
}
