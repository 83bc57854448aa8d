//! What a Waystation kiosk and the service centre's hub say to each other.
//!
//! Both sides depend on this crate so that the wire format, the sealing of record payloads and
//! the signing of requests exist in exactly one place. It does no I/O: no sockets, no files,
//! no clock. Randomness is only drawn where the cryptography needs it (sealing, key
//! generation). The protocol itself is described for people in `docs/protocol.md`.

pub mod clock;
pub mod health;
pub mod remote_help;
pub mod request;
pub mod sealing;
pub mod summary;
pub mod update;
pub mod wire;

pub use clock::{TimeSource, corrected_time};
pub use remote_help::RemoteHelpGrant;
pub use request::{DeviceKey, SignatureError, device_id, sign_request, verify_request};
pub use sealing::{CentrePublicKey, CentreSecretKey, KeyId, SealBinding, SealError, sealed_key_id};
pub use summary::{DAY_SUMMARY_KIND, DaySummary, MIN_VISITS, Metric};
pub use update::UpdateOffer;
pub use wire::{
    Batch, BatchReply, ClockStamp, ExportFile, Outcome, RecordResult, SealedBody, WireError,
    WireRecord,
};
