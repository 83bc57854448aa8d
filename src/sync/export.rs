//! Carrying records on a USB stick: the waiting sealed records are written as export files,
//! each exactly the body and signature the kiosk would have posted, so the hub checks them the
//! same way (`waystation-hub import DIR`).

use std::path::{Path, PathBuf};

use waystation_protocol::wire::{BATCH_PATH, EXPORT_FORMAT};
use waystation_protocol::{DAY_SUMMARY_KIND, DeviceKey, ExportFile};

use super::uploader::{batch_body, sent_stamp};
use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub files: Vec<PathBuf>,
    pub records: usize,
}

/// Writes every waiting sealed record to `dir`, `per_file` records a file. Records stay in the
/// queue: the hub stores each once however often it arrives.
pub fn export(
    store: &Store,
    key: &DeviceKey,
    clock: &dyn Clock,
    dir: &Path,
    per_file: usize,
) -> Result<ExportSummary, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let device_id = key.device_id();
    let mut summary = ExportSummary {
        files: Vec::new(),
        records: 0,
    };
    let mut after = 0;
    loop {
        let records = store
            .waiting_sealed(after, per_file.max(1))
            .map_err(|e| e.to_string())?;
        let Some(first) = records.first() else {
            break;
        };
        // Day summaries go in files of their own, as they go in batches of their own, so
        // the other records keep the clock readings the hub places them in time with.
        let summaries = first.kind == DAY_SUMMARY_KIND;
        let run = records
            .iter()
            .take_while(|r| (r.kind == DAY_SUMMARY_KIND) == summaries)
            .count();
        let records = &records[..run];
        let last = &records[run - 1];
        let body = batch_body(&device_id, sent_stamp(&clock.read(), records), records);
        let file = ExportFile {
            format: EXPORT_FORMAT.into(),
            device_id: device_id.clone(),
            signature: waystation_protocol::sign_request(key, "POST", BATCH_PATH, &body),
            batch: String::from_utf8(body).expect("JSON is UTF-8"),
        };
        let path = dir.join(format!(
            "waystation-{device_id}-{:010}-{:010}.json",
            first.seq, last.seq
        ));
        // Whole or absent after a power cut or a pulled stick, which is most likely FAT.
        waystation_durable::write_atomically(
            &path,
            &serde_json::to_vec(&file).expect("serialises"),
            None,
        )
        .map_err(|e| e.to_string())?;
        summary.records += records.len();
        summary.files.push(path);
        after = last.seq;
    }
    Ok(summary)
}

/// The folder on a stick that the export files go in (`waystation-hub import` takes it).
pub const STICK_FOLDER: &str = "waystation-export";

/// Exports to a USB stick through root's side (`crate::usb_stick` is the contract): asks root
/// to mount the stick by writing `usb-stick/request` in `data_dir`, waits for root's status to
/// say it is mounted at `mount`, runs `write` there, withdraws the request and waits for root
/// to say the stick is unmounted. Returns the records written, or why it did not work; the
/// request is withdrawn on every way out, so root never keeps a stick mounted for nothing.
pub fn to_stick(
    data_dir: &Path,
    mount: &Path,
    clock: &dyn Clock,
    poll: std::time::Duration,
    request: u32,
    write: &mut dyn FnMut(&Path) -> Result<usize, String>,
    progress: &mut dyn FnMut(crate::usb_stick::Export),
) -> Result<usize, String> {
    use crate::usb_stick::{self, Action, Export};
    let folder = data_dir.join(usb_stick::FOLDER);
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let request_file = folder.join(usb_stick::REQUEST_FILE);
    waystation_durable::write_atomically(
        &request_file,
        usb_stick::request_text(request).as_bytes(),
        Some(0o644),
    )
    .map_err(|e| e.to_string())?;
    let mut step = Export::Waiting {
        request,
        since: clock.monotonic(),
    };
    progress(step);
    let mut write_error = None;
    loop {
        let status = std::fs::read_to_string(folder.join(usb_stick::STATUS_FILE))
            .ok()
            .and_then(|text| usb_stick::RootStatus::parse(&text));
        let (next, action) = step.on_status(status.as_ref(), clock.monotonic());
        let (next, action) = match action {
            Action::StartExport => {
                progress(next);
                let written = write(mount).map_err(|e| write_error = Some(e));
                next.on_exported(written, clock.monotonic())
            }
            other => (next, other),
        };
        if next != step {
            progress(next);
        }
        if action == Action::RemoveRequest {
            let _ = std::fs::remove_file(&request_file);
        }
        step = next;
        match step {
            Export::Done { records } => return Ok(records),
            Export::Failed(why) => return Err(failure(why, status, write_error)),
            _ => std::thread::sleep(poll),
        }
    }
}

/// The number of the next request for a stick, from root's last status in `data_dir`.
pub fn next_stick_request(data_dir: &Path) -> u32 {
    let folder = data_dir.join(crate::usb_stick::FOLDER);
    let last = std::fs::read_to_string(folder.join(crate::usb_stick::STATUS_FILE))
        .ok()
        .and_then(|text| crate::usb_stick::RootStatus::parse(&text));
    crate::usb_stick::next_request(last.as_ref())
}

/// The store in `data_dir`, sealing to the centre's key, and the device key that signs the
/// export files; refused before anything is asked of a stick when records cannot be sealed.
pub fn sealed_store(
    data_dir: &Path,
    centre: Option<waystation_protocol::CentrePublicKey>,
) -> Result<(Store, DeviceKey), String> {
    let centre = centre.ok_or(
        "no centre key is configured ([hub] public_key): records cannot be sealed for export",
    )?;
    let mut store = Store::open(data_dir).map_err(|e| e.to_string())?;
    store.enable_sealing(centre).map_err(|e| e.to_string())?;
    let key = store.device_key().map_err(|e| e.to_string())?;
    Ok((store, key))
}

/// How often the export looks at root's status while it waits.
const STICK_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// A staff export to a USB stick from start to end, as `waystation queue export-usb` and the
/// staff screen's button run it: the records waiting in the store in `data_dir`, `per_file` to
/// a file, into the stick's `STICK_FOLDER`, with each step told to `progress`. Blocks for up to
/// a few minutes (the wait for a stick): run it off the UI thread.
pub fn export_to_stick(
    data_dir: &Path,
    mount: &Path,
    centre: Option<waystation_protocol::CentrePublicKey>,
    per_file: usize,
    progress: &mut dyn FnMut(crate::usb_stick::Export),
) -> Result<ExportSummary, String> {
    let (store, key) = sealed_store(data_dir, centre)?;
    let clock = crate::clock::SystemClock::new();
    let mut files = Vec::new();
    let records = to_stick(
        data_dir,
        mount,
        &clock,
        STICK_POLL,
        next_stick_request(data_dir),
        &mut |mount| {
            let summary = export(&store, &key, &clock, &mount.join(STICK_FOLDER), per_file)?;
            files = summary.files;
            Ok(summary.records)
        },
        progress,
    )?;
    Ok(ExportSummary { files, records })
}

/// One line on why an export to a stick failed.
fn failure(
    why: crate::usb_stick::Why,
    status: Option<crate::usb_stick::RootStatus>,
    write_error: Option<String>,
) -> String {
    use crate::usb_stick::Why;
    match why {
        Why::NoStick => "no USB stick was mounted within two minutes: put one in (FAT or exFAT) and try again; on a kiosk not installed from the image nothing mounts sticks".into(),
        Why::NotMountable => format!(
            "the USB stick could not be mounted: {}",
            status.map_or_else(|| "no reason given".into(), |s| s.detail)
        ),
        Why::NotUnmounted => "the records were written, but the stick was not said to be unmounted within two minutes: wait a minute before pulling it out".into(),
        Why::WriteFailed => format!(
            "the export files could not be written to the stick ({}); it is being unmounted",
            write_error.unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use crate::usb_stick::{Export, FOLDER, REQUEST_FILE, STATUS_FILE, parse_request};
    use std::time::Duration;

    /// Root's side, played by a thread: answers each request as `answer` says, mounting by
    /// making the folder, and unmounting once the request is gone.
    fn fake_root(
        data: PathBuf,
        mount: PathBuf,
        answer: &'static str,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let folder = data.join(FOLDER);
            let status = |id: u32, stick: &str, detail: &str| {
                let text =
                    format!(r#"{{"request": {id}, "stick": "{stick}", "detail": "{detail}"}}"#);
                std::fs::write(folder.join(STATUS_FILE), text).unwrap();
            };
            let mut id = None;
            for _ in 0..2000 {
                std::thread::sleep(Duration::from_millis(5));
                let request = std::fs::read_to_string(folder.join(REQUEST_FILE)).ok();
                match (id, request.as_deref().and_then(parse_request)) {
                    (None, Some(asked)) => {
                        id = Some(asked);
                        if answer == "mount" {
                            std::fs::create_dir_all(&mount).unwrap();
                            status(asked, "mounted", "/dev/sda1 vfat");
                        } else {
                            status(asked, "failed", "unknown file system ntfs");
                            return;
                        }
                    }
                    (Some(asked), None) => {
                        status(asked, "unmounted", "");
                        return;
                    }
                    _ => {}
                }
            }
        })
    }

    fn stick(
        answer: &'static str,
        write: &mut dyn FnMut(&Path) -> Result<usize, String>,
    ) -> (Result<usize, String>, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (data, mount) = (dir.path().join("data"), dir.path().join("stick"));
        std::fs::create_dir_all(data.join(FOLDER)).unwrap();
        // An answer left from an earlier export must not be taken for this one's.
        std::fs::write(
            data.join(FOLDER).join(STATUS_FILE),
            r#"{"request": 4, "stick": "unmounted"}"#,
        )
        .unwrap();
        let root = fake_root(data.clone(), mount.clone(), answer);
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let mut steps = Vec::new();
        let result = to_stick(
            &data,
            &mount,
            &clock,
            Duration::from_millis(5),
            5,
            write,
            &mut |step| steps.push(step),
        );
        // Told of every step, in order, from the wait to its end.
        assert!(
            matches!(steps[0], Export::Waiting { request: 5, .. }),
            "{steps:?}"
        );
        assert!(steps.windows(2).all(|w| w[0] != w[1]), "{steps:?}");
        match &result {
            Ok(records) => assert_eq!(
                steps[1..],
                [
                    Export::Writing { request: 5 },
                    Export::Unmounting {
                        request: 5,
                        records: *records,
                        since: clock.monotonic()
                    },
                    Export::Done { records: *records }
                ]
            ),
            Err(_) => assert!(matches!(steps.last(), Some(Export::Failed(_))), "{steps:?}"),
        }
        root.join().unwrap();
        assert!(
            !data.join(FOLDER).join(REQUEST_FILE).exists(),
            "request withdrawn"
        );
        (result, mount)
    }

    #[test]
    fn an_export_to_a_stick_writes_on_the_mount_and_ends_unmounted() {
        let mut written = Vec::new();
        let (result, mount) = stick("mount", &mut |dir| {
            written.push(dir.to_path_buf());
            Ok(42)
        });
        assert_eq!(result, Ok(42));
        assert_eq!(written, vec![mount]);
    }

    #[test]
    fn a_stick_root_cannot_mount_or_cannot_write_is_a_one_line_reason() {
        let (result, _) = stick("fail", &mut |_| panic!("nothing is written"));
        let message = result.unwrap_err();
        assert!(message.contains("unknown file system ntfs"), "{message}");
        let (result, _) = stick("mount", &mut |_| Err("no space left on device".into()));
        let message = result.unwrap_err();
        assert!(message.contains("no space left on device"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn without_root_the_wait_ends_after_two_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        // Each poll moves the fake clock on: nobody answers, as on a kiosk without the image.
        let ticking = TickingClock { clock: &clock };
        let result = to_stick(
            dir.path(),
            dir.path(),
            &ticking,
            Duration::ZERO,
            1,
            &mut |_| Ok(1),
            &mut |_| {},
        );
        assert!(result.unwrap_err().starts_with("no USB stick was mounted"));
        assert!(!dir.path().join(FOLDER).join(REQUEST_FILE).exists());
    }

    /// A clock that moves ten seconds on every reading of its monotonic time.
    struct TickingClock<'a> {
        clock: &'a FakeClock,
    }

    impl Clock for TickingClock<'_> {
        fn read(&self) -> crate::clock::ClockReading {
            self.clock.advance(Duration::from_secs(10));
            self.clock.read()
        }
    }
}
