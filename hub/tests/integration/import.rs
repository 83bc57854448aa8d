//! Export files from kiosks without network: the import folder and `/v1/imports`.

use serde_json::json;
use waystation_hub::Via;
use waystation_protocol::TimeSource;
use waystation_protocol::wire::IMPORT_PATH;

use crate::support::{NOV_2026, Setup, outcomes, request, synced, unsynced};

#[test]
fn a_folder_of_export_files_imported_twice_is_stored_once() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let folder = setup.data().join("usb");
    std::fs::create_dir(&folder).unwrap();

    let first = kiosk.batch(
        vec![
            kiosk.record(
                1,
                "mood_check_in",
                synced(NOV_2026, 1_000),
                json!({ "n": 1 }),
            ),
            kiosk.record(
                2,
                "mood_check_in",
                synced(NOV_2026, 2_000),
                json!({ "n": 2 }),
            ),
        ],
        synced(NOV_2026, 3_000),
    );
    // Exported before the clock was ever set: the hub's clock says nothing about when this
    // was made, so the record cannot be placed.
    let second = kiosk.batch(
        vec![kiosk.record(
            3,
            "slip_printed",
            unsynced(5_000, "boot-3", 5_000),
            json!({}),
        )],
        unsynced(9_000, "boot-3", 9_000),
    );
    std::fs::write(folder.join("2026-11-28-a.json"), kiosk.export(&first)).unwrap();
    std::fs::write(folder.join("2026-11-28-b.JSON"), kiosk.export(&second)).unwrap();
    // What else turns up on a USB stick: a hidden companion file, a note, a broken file.
    std::fs::write(folder.join("._2026-11-28-a.json"), b"\0\x05\x16\x07").unwrap();
    std::fs::write(folder.join("readme.txt"), b"from station 1").unwrap();
    std::fs::write(folder.join("broken.json"), b"{\"format\":").unwrap();
    // A file from a kiosk the hub does not know.
    let stranger = setup.stranger(9);
    let unknown = stranger.batch(
        vec![stranger.record(1, "mood_check_in", synced(NOV_2026, 1), json!({}))],
        synced(NOV_2026, 2),
    );
    std::fs::write(folder.join("stranger.json"), stranger.export(&unknown)).unwrap();

    let summary = waystation_hub::import_dir(setup.data(), &folder).unwrap();
    assert_eq!(
        (
            summary.files,
            summary.stored,
            summary.duplicate,
            summary.rejected
        ),
        (2, 3, 0, 0)
    );
    let refused: Vec<_> = summary
        .refused
        .iter()
        .map(|r| r.file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(refused, ["broken.json", "stranger.json"]);
    assert!(summary.refused[0].reason.contains("not an export file"));
    assert!(summary.refused[1].reason.contains("not registered"));

    let again = waystation_hub::import_dir(setup.data(), &folder).unwrap();
    assert_eq!(
        (again.files, again.stored, again.duplicate, again.rejected),
        (2, 0, 3, 0)
    );

    let stored = waystation_hub::records(setup.data()).unwrap();
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|r| r.via == Via::Import));
    assert_eq!(stored[0].time_source, TimeSource::Synced);
    assert_eq!(
        (stored[2].corrected_ms, stored[2].time_source),
        (5_000, TimeSource::Unknown)
    );

    // The same file posted to the hub is checked the same way.
    let response = request(
        setup.addr(),
        "POST",
        IMPORT_PATH,
        &[],
        &kiosk.export(&first),
    );
    assert_eq!(outcomes(&response.reply()), ["duplicate"; 2]);
}

#[test]
fn an_export_file_that_was_changed_is_refused() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let body = kiosk.batch(
        vec![kiosk.record(1, "mood_check_in", synced(NOV_2026, 1), json!({}))],
        synced(NOV_2026, 2),
    );
    let mut file: serde_json::Value = serde_json::from_slice(&kiosk.export(&body)).unwrap();
    let batch = file["batch"]
        .as_str()
        .unwrap()
        .replace("2026-11-28", "2026-11-29");
    file["batch"] = json!(batch);
    let bytes = serde_json::to_vec(&file).unwrap();
    let response = request(setup.addr(), "POST", IMPORT_PATH, &[], &bytes);
    assert_eq!(response.status, 401);
    assert!(response.error().contains("signature"));

    let response = request(setup.addr(), "POST", IMPORT_PATH, &[], b"[]");
    assert_eq!(response.status, 400);
    assert!(waystation_hub::records(setup.data()).unwrap().is_empty());

    let missing = setup.data().join("no-such-folder");
    let err = waystation_hub::import_dir(setup.data(), &missing).unwrap_err();
    assert!(err.is_bad_input(), "{err}");
}
