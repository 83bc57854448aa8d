//! The store's side of staff mode: the PIN hash, wrong-PIN failures, restocks, the printer's
//! last status, and the audit log. Every sign-in, failure and staff action is one
//! `staff_audit` record in the outbox and one row in `staff_audit`, in one transaction.

use rusqlite::OptionalExtension;

use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};

/// The `kiosk_secret` row holding the station PIN's Argon2id hash (PHC text).
const PIN_HASH: &str = "staff_pin";

/// A staff action for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    WrongPin,
    Unlocked,
    PinSet,
    TestPrint,
    SyncNow,
    SignOut,
    /// A worker's call for staff was answered at the kiosk (detail: `button` or `sign_in`).
    CallAnswered,
    /// An export to a USB stick ended (detail: `N records`, or `failed: ` and a fixed word).
    UsbExport,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::WrongPin => "wrong_pin",
            Action::Unlocked => "unlocked",
            Action::PinSet => "pin_set",
            Action::TestPrint => "test_print",
            Action::SyncNow => "sync_now",
            Action::SignOut => "sign_out",
            Action::CallAnswered => "call_answered",
            Action::UsbExport => "usb_export",
        }
    }
}

/// One line of the audit log, newest first when listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub wall_ms: i64,
    pub action: String,
    pub detail: Option<String>,
}

/// Brochures of one kind as recorded by staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrochureRestocks {
    pub kind: String,
    pub last_wall_ms: i64,
    pub last_count: i64,
}

impl Store {
    pub fn pin_hash(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM kiosk_secret WHERE name = ?1",
                [PIN_HASH],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()
            .map(|v| v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
            .map_err(self.sqlite_error_fn())
    }

    /// Sets (or replaces) the station PIN's hash, clears the failure count, and logs it.
    pub fn set_pin_hash(&mut self, phc: &str, stamp: RecordStamp) -> Result<(), StoreError> {
        self.audit_with(stamp, Action::PinSet, None, |tx| {
            tx.execute(
                "INSERT INTO kiosk_secret (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = ?2",
                rusqlite::params![PIN_HASH, phc.as_bytes()],
            )?;
            tx.execute("UPDATE staff_lock SET failures = 0 WHERE id = 1", [])
        })
    }

    /// Wrong PINs in a row, kept across restarts.
    pub fn pin_failures(&self) -> Result<u32, StoreError> {
        self.conn
            .query_row("SELECT failures FROM staff_lock WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(self.sqlite_error_fn())
    }

    /// Logs a wrong PIN (and a lock, when it locks) and counts it.
    pub fn record_wrong_pin(&mut self, stamp: RecordStamp) -> Result<(), StoreError> {
        self.audit_with(stamp, Action::WrongPin, None, |tx| {
            tx.execute(
                "UPDATE staff_lock SET failures = failures + 1 WHERE id = 1",
                [],
            )
        })
    }

    /// Logs a sign-in (or the field team's unlock) and clears the failure count.
    pub fn record_pin_accepted(
        &mut self,
        stamp: RecordStamp,
        action: Action,
    ) -> Result<(), StoreError> {
        self.audit_with(stamp, action, None, |tx| {
            tx.execute("UPDATE staff_lock SET failures = 0 WHERE id = 1", [])
        })
    }

    /// Logs a staff action that changes nothing else (test print, sync now, sign out).
    pub fn audit(
        &mut self,
        stamp: RecordStamp,
        action: Action,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.audit_with(stamp, action, detail, |_| Ok(0))
    }

    fn audit_with(
        &mut self,
        stamp: RecordStamp,
        action: Action,
        detail: Option<&str>,
        local: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<(), StoreError> {
        let wall_ms = stamp.clock.wall.timestamp_millis();
        let record = NewRecord {
            kind: RecordKind::StaffAudit,
            stamp,
            payload: serde_json::json!({ "action": action.name(), "detail": detail }),
        };
        self.commit_record(&record, |tx| {
            local(tx)?;
            tx.execute(
                "INSERT INTO staff_audit (wall_ms, action, detail) VALUES (?1, ?2, ?3)",
                rusqlite::params![wall_ms, action.name(), detail],
            )
        })?;
        Ok(())
    }

    /// Records a new paper roll. The printer's paper total at this moment is kept with it, so
    /// the paper left is the roll minus what was printed since.
    pub fn restock_paper(&mut self, stamp: RecordStamp) -> Result<uuid::Uuid, StoreError> {
        self.restock(stamp, "paper", None, 1)
    }

    /// Records brochures added to the rack.
    pub fn restock_brochures(
        &mut self,
        stamp: RecordStamp,
        kind: &str,
        count: u32,
    ) -> Result<uuid::Uuid, StoreError> {
        self.restock(stamp, "brochure", Some(kind), count)
    }

    fn restock(
        &mut self,
        stamp: RecordStamp,
        item: &str,
        kind: Option<&str>,
        count: u32,
    ) -> Result<uuid::Uuid, StoreError> {
        let wall_ms = stamp.clock.wall.timestamp_millis();
        let id = stamp.id;
        let record = NewRecord {
            kind: RecordKind::Restock,
            stamp,
            payload: serde_json::json!({ "item": item, "kind": kind, "count": count }),
        };
        let detail = match kind {
            Some(kind) => format!("{kind} {count}"),
            None => item.to_string(),
        };
        self.commit_record(&record, |tx| {
            tx.execute(
                "INSERT INTO restock (item, kind, count, wall_ms, paper_total_mm)
                 VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(SUM(paper_mm), 0) FROM printer_daily))",
                rusqlite::params![item, kind, count, wall_ms],
            )?;
            // Restocks belong in the audit log too, beside sign-ins and other staff actions.
            tx.execute(
                "INSERT INTO staff_audit (wall_ms, action, detail) VALUES (?1, 'restock', ?2)",
                rusqlite::params![wall_ms, detail],
            )
        })?;
        Ok(id)
    }

    /// Paper printed (mm) since the last new roll, or since the first print if no roll was
    /// ever recorded.
    pub fn paper_used_since_restock(&self) -> Result<f64, StoreError> {
        self.conn
            .query_row(
                "SELECT COALESCE((SELECT SUM(paper_mm) FROM printer_daily), 0)
                      - COALESCE((SELECT paper_total_mm FROM restock WHERE item = 'paper'
                                  ORDER BY id DESC LIMIT 1), 0)",
                [],
                |r| r.get(0),
            )
            .map_err(self.sqlite_error_fn())
    }

    /// The last brochure restock of each kind.
    pub fn brochure_restocks(&self) -> Result<Vec<BrochureRestocks>, StoreError> {
        let err = self.sqlite_error_fn();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, wall_ms, count FROM restock r
                 WHERE item = 'brochure'
                   AND id = (SELECT MAX(id) FROM restock WHERE item = 'brochure' AND kind = r.kind)
                 ORDER BY kind",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BrochureRestocks {
                    kind: r.get(0)?,
                    last_wall_ms: r.get(1)?,
                    last_count: r.get(2)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// The printer's last status, its last fault and when (from the last print attempt or
    /// test print).
    pub fn printer_last(&self) -> Result<Option<(String, Option<String>, i64)>, StoreError> {
        self.conn
            .query_row(
                "SELECT status, fault, wall_ms FROM printer_last WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.sqlite_error_fn())
    }

    /// The newest audit entries.
    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let err = self.sqlite_error_fn();
        let mut stmt = self
            .conn
            .prepare("SELECT wall_ms, action, detail FROM staff_audit ORDER BY id DESC LIMIT ?1")
            .map_err(&err)?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(AuditEntry {
                    wall_ms: r.get(0)?,
                    action: r.get(1)?,
                    detail: r.get(2)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

/// The `staff_alert` record of a call: the station and the alert's kind, nothing about the
/// worker or where on the kiosk they called from (the button and the crisis screen send the
/// same). Its time is in the sealed stamp: the centre must know when to come.
pub fn alert_record(station: &str, stamp: RecordStamp) -> NewRecord {
    NewRecord {
        kind: RecordKind::StaffAlert,
        stamp,
        payload: serde_json::json!({
            "station": station,
            "kind": "staff_call",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};

    fn stamp(clock: &FakeClock) -> RecordStamp {
        RecordStamp {
            id: uuid::Uuid::new_v4(),
            clock: clock.read(),
        }
    }

    fn print(store: &mut Store, clock: &FakeClock, mm: f32) {
        let slip = crate::slip::Slip::demo(crate::language::Language::Chinese, "示例", false);
        let outcome = crate::printer::PrintOutcome::Printed {
            after: crate::printer::PrinterStatus::Ready,
        };
        crate::store::slip::commit_print(store, stamp(clock), &slip, &outcome, mm).unwrap();
    }

    #[test]
    fn paper_used_counts_from_the_last_new_roll() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            true,
        );
        let mut store = Store::open_in_memory().unwrap();
        print(&mut store, &clock, 100.0);
        print(&mut store, &clock, 50.0);
        assert_eq!(store.paper_used_since_restock().unwrap(), 150.0);
        store.restock_paper(stamp(&clock)).unwrap();
        assert_eq!(store.paper_used_since_restock().unwrap(), 0.0);
        clock.advance(std::time::Duration::from_secs(86_400 * 2));
        print(&mut store, &clock, 120.0);
        assert_eq!(store.paper_used_since_restock().unwrap(), 120.0);
        assert_eq!(store.printer_last().unwrap().unwrap().0, "ready");
        // The restock is a record for the service centre; a slip that printed is not.
        assert_eq!(store.outbox_counts().unwrap().pending, 1);
    }

    #[test]
    fn pin_failures_survive_a_restart_and_every_attempt_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            true,
        );
        {
            let mut store = Store::open(dir.path()).unwrap();
            assert_eq!(store.pin_hash().unwrap(), None);
            store
                .set_pin_hash("$argon2id$example", stamp(&clock))
                .unwrap();
            store.record_wrong_pin(stamp(&clock)).unwrap();
            store.record_wrong_pin(stamp(&clock)).unwrap();
        }
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.pin_failures().unwrap(), 2);
        assert_eq!(
            store.pin_hash().unwrap().as_deref(),
            Some("$argon2id$example")
        );
        store
            .record_pin_accepted(stamp(&clock), Action::SignIn)
            .unwrap();
        assert_eq!(store.pin_failures().unwrap(), 0);
        let actions: Vec<String> = store
            .recent_audit(10)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        assert_eq!(actions, ["sign_in", "wrong_pin", "wrong_pin", "pin_set"]);
        assert_eq!(store.outbox_counts().unwrap().pending, 4);
    }

    #[test]
    fn the_last_brochure_restock_of_each_kind_is_listed() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            true,
        );
        let mut store = Store::open_in_memory().unwrap();
        store
            .restock_brochures(stamp(&clock), "hotline-card", 50)
            .unwrap();
        clock.advance(std::time::Duration::from_secs(60));
        store
            .restock_brochures(stamp(&clock), "hotline-card", 20)
            .unwrap();
        store
            .restock_brochures(stamp(&clock), "sleep-guide", 10)
            .unwrap();
        let restocks = store.brochure_restocks().unwrap();
        assert_eq!(restocks.len(), 2);
        assert_eq!(
            (restocks[0].kind.as_str(), restocks[0].last_count),
            ("hotline-card", 20)
        );
    }
}
