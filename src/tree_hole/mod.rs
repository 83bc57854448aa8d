//! The tree hole (树洞), "写下来 / Write it down": a worker writes what weighs on them, and the
//! text never leaves the session. Pure rules only, as the other capabilities: what the screen
//! does with the words is in the UI's adapter.
//!
//! - `despair`: the phrases of despair that bring up the help card beside the text, matched on
//!   the kiosk only (`assets/care/despair-phrases.toml`, every phrase with its source).
//! - `page`: one page's text, held in memory only and overwritten when it ends; the card at
//!   most once per page; how the page ended, the only thing that may be counted.

pub mod despair;
pub mod page;
