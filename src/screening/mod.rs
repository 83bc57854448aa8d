//! Self-assessment: validated screening questionnaires, scored exactly as published.
//!
//! The instruments are data (`assets/instruments/*.toml`), loaded and checked once at start-up
//! by `instrument.rs`; `scoring.rs` turns an answer vector into a total, a band, the crisis
//! flag and suggestions; `flow.rs` is the session state of one visit's self-checks. All of it
//! is pure: no I/O, no clock, no Slint. Nothing here ever names a diagnosis: results are bands
//! with plain words, and a test checks every shown string for diagnostic claims.

pub mod flow;
pub mod instrument;
pub mod scoring;

pub use flow::{AfterAnswer, SelfCheck, ShownResult};
pub use instrument::{Catalogue, Instrument, Topic};
pub use scoring::{AnswerError, Score, score};
