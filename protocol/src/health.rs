//! The kiosk's health as kiosk and hub speak of it: how the boot it runs in began, and the
//! figures the heartbeat's `health` object carries (docs/deploy.md, "Reading a kiosk's health
//! from the centre"). Operational facts about the machine only, never about a worker.

/// How the boot a kiosk runs in began, as the heartbeat's `health.boot_reason` says it (the
/// kiosk's `health::BootReason`, in its order; the hub's fleet page words them in this order):
/// the card's first boot; after an orderly shutdown or reboot; after our own reboot for a crash
/// loop; after an orderly reboot while an image update waited for it or was being tried;
/// without an orderly end (a power cut, a hard reset, the hardware watchdog).
pub const BOOT_REASONS: [&str; 5] = ["first", "orderly", "crash_loop", "update", "unclean"];
