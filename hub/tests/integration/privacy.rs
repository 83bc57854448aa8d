//! Privacy by design at the hub: dedupe per device, revoked devices, a private data folder,
//! and centre keys that can be rolled over while old records still open.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use waystation_protocol::wire::IMPORT_PATH;
use waystation_protocol::{SealedBody, WireRecord};

use crate::support::{Kiosk, NOV_2026, Setup, outcomes, request, start, synced};

fn hub(args: &[&str]) -> Output {
    hub_with_umask(None, args)
}

/// Runs the hub's command line, under `umask` if given (set by a shell that then becomes the
/// hub, so that the test process's own umask is untouched).
fn hub_with_umask(umask: Option<&str>, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_waystation-hub");
    let mut command = match umask {
        Some(mask) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
                .arg(bin);
            sh
        }
        None => Command::new(bin),
    };
    command.args(args).env_remove("RUST_LOG").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A record of `kiosk` that carries the id `id` (perhaps another kiosk's), properly sealed.
fn record_with_id(kiosk: &Kiosk, id: &str, seq: i64, word: &str) -> WireRecord {
    let body = serde_json::to_vec(&SealedBody {
        created: synced(NOV_2026, seq),
        payload: json!({ "word": word }),
    })
    .unwrap();
    WireRecord {
        id: id.into(),
        seq,
        kind: "mood_check_in".into(),
        schema_version: 1,
        day: "2026-11-28".into(),
        sealed: kiosk.seal(id, "mood_check_in", 1, &body),
    }
}

#[test]
fn another_kiosk_sending_a_record_id_first_does_not_hide_the_owners_record() {
    let setup = Setup::new();
    let owner = &setup.kiosk;
    let other = setup.stranger(2);
    waystation_hub::add_device(setup.data(), &other.key.public_base64(), None, None).unwrap();
    let id = owner.record_id(1);

    let first = other.batch(
        vec![record_with_id(&other, &id, 1, "theirs")],
        synced(NOV_2026, 9),
    );
    assert_eq!(
        outcomes(&other.post(setup.addr(), &first).reply()),
        ["stored"]
    );
    let mine = owner.batch(
        vec![record_with_id(owner, &id, 1, "mine")],
        synced(NOV_2026, 9),
    );
    assert_eq!(
        outcomes(&owner.post(setup.addr(), &mine).reply()),
        ["stored"]
    );
    // Resends are still duplicates, each for its own device.
    assert_eq!(
        outcomes(&owner.post(setup.addr(), &mine).reply()),
        ["duplicate"]
    );
    assert_eq!(
        outcomes(&other.post(setup.addr(), &first).reply()),
        ["duplicate"]
    );

    let stored = waystation_hub::records(setup.data()).unwrap();
    let mut found: Vec<(String, Value)> = stored
        .iter()
        .filter(|r| r.id == id)
        .map(|r| (r.device_id.clone(), r.payload.clone()))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (owner.id(), json!({ "word": "mine" })),
        (other.id(), json!({ "word": "theirs" })),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(found, expected);
    let counts = waystation_hub::counts(setup.data()).unwrap();
    assert_eq!(counts.len(), 2);
    assert!(counts.iter().all(|c| c.records == 1), "{counts:?}");
}

#[test]
fn a_revoked_kiosk_is_refused_with_403_everywhere_and_its_records_are_kept() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    std::fs::write(setup.data().join("bundle.json"), b"{}").unwrap();
    let record = |n| kiosk.record(n, "mood_check_in", synced(NOV_2026, n as i64), json!({}));
    let body = kiosk.batch(vec![record(1)], synced(NOV_2026, 9));
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["stored"]
    );
    assert_eq!(kiosk.get_bundle(setup.addr(), None).status, 200);

    let at = waystation_hub::revoke_device(setup.data(), &kiosk.id()).unwrap();
    // Revoking again keeps the first time.
    assert_eq!(
        waystation_hub::revoke_device(setup.data(), &kiosk.id()).unwrap(),
        at
    );

    let later = kiosk.batch(vec![record(2)], synced(NOV_2026, 10));
    let refused = kiosk.post(setup.addr(), &later);
    assert_eq!(refused.status, 403, "{}", refused.error());
    let reason = refused.error();
    assert!(
        reason.contains("revoked") && !reason.contains('\n'),
        "{reason}"
    );
    assert_eq!(kiosk.get_bundle(setup.addr(), None).status, 403);
    let export = kiosk.export(&later);
    let imported = request(setup.addr(), "POST", IMPORT_PATH, &[], &export);
    assert_eq!(imported.status, 403, "{}", imported.error());
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("export.json"), &export).unwrap();
    let summary = waystation_hub::import_dir(setup.data(), folder.path()).unwrap();
    assert_eq!(summary.files, 0);
    assert!(summary.refused[0].reason.contains("revoked"), "{summary:?}");

    let stored = waystation_hub::records(setup.data()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, kiosk.record_id(1));
    let devices = waystation_hub::devices(setup.data()).unwrap();
    assert_eq!(devices[0].revoked_ms, Some(at));

    // Registering the key again does not let it back in; an unknown id is an error.
    let again = waystation_hub::add_device(setup.data(), &kiosk.key.public_base64(), None, None);
    assert!(matches!(
        again,
        Err(waystation_hub::HubError::DeviceRevoked(_))
    ));
    assert_eq!(kiosk.post(setup.addr(), &later).status, 403);
    let unknown = waystation_hub::revoke_device(setup.data(), "ws-0000000000000000");
    assert!(matches!(
        unknown,
        Err(waystation_hub::HubError::UnknownDevice(_))
    ));
}

#[test]
fn devices_revoke_and_list_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();
    let public = text(&hub(&["keygen", "--data", data_arg]).stdout);
    let kiosk = Kiosk::new(4, public.lines().next().unwrap());
    let key = kiosk.key.public_base64();
    assert!(
        hub(&["devices", "add", "--data", data_arg, "--key", &key])
            .status
            .success()
    );
    let table = text(&hub(&["devices", "list", "--data", data_arg]).stdout);
    assert!(table.contains("active"), "{table}");

    let output = hub(&["devices", "revoke", "--data", data_arg, &kiosk.id()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("revoked"));
    let table = text(&hub(&["devices", "list", "--data", data_arg]).stdout);
    let line = table.lines().find(|l| l.contains(&kiosk.id())).unwrap();
    assert!(line.contains("revoked"), "{table}");
    let listed: Value =
        serde_json::from_slice(&hub(&["devices", "list", "--data", data_arg, "--json"]).stdout)
            .unwrap();
    assert!(listed[0]["revoked_ms"].is_i64(), "{listed}");

    for args in [
        vec![
            "devices",
            "revoke",
            "--data",
            data_arg,
            "ws-0000000000000000",
        ],
        vec!["devices", "add", "--data", data_arg, "--key", &key],
    ] {
        let output = hub(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("waystation-hub: "), "{stderr}");
    }
}

#[test]
fn the_data_folder_and_database_are_private_under_umask_000() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = hub_with_umask(Some("000"), args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        output
    };
    let public = text(&run(&["keygen", "--data", data_arg]).stdout);
    let kiosk = Kiosk::new(5, public.lines().next().unwrap());
    run(&[
        "devices",
        "add",
        "--data",
        data_arg,
        "--key",
        &kiosk.key.public_base64(),
    ]);
    run(&["keygen", "--data", data_arg]);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hub.db")), 0o600);
    assert_eq!(mode(&data.join("centre.key")), 0o600);
    assert_eq!(mode(&data.join("old-keys")), 0o700);
    for entry in std::fs::read_dir(data.join("old-keys")).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }

    // Files an older hub left open are tightened when the hub opens them, and it says so.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(data.join("hub.db"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let output = run(&["records", "count", "--data", data_arg]);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hub.db")), 0o600);
    let log = text(&output.stderr);
    assert!(
        log.contains("hub.db") && log.contains("made it 600"),
        "{log}"
    );
    assert!(text(&output.stdout).contains("no records yet"));
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/sealed-v1.json")).unwrap()
}

#[test]
fn records_sealed_before_key_ids_and_to_old_keys_still_open_after_new_keys() {
    let fixture = fixture();
    let field = |name: &str| fixture[name].as_str().unwrap().to_string();
    // A data folder as an older hub left it: only centre.key, the key the fixture was
    // sealed to.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let data_arg = data.to_str().unwrap();
    std::fs::write(
        data.join("centre.key"),
        format!("{}\n", field("centre_secret")),
    )
    .unwrap();
    std::fs::set_permissions(
        data.join("centre.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let old_public = field("centre_public");
    let old_kiosk = Kiosk::new(9, &old_public);
    assert_eq!(old_kiosk.id(), field("device_id"));
    waystation_hub::add_device(data, &old_kiosk.key.public_base64(), None, None).unwrap();

    let output = hub(&["keygen", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let new_public = text(&output.stdout).lines().next().unwrap().to_string();
    assert_ne!(new_public, old_public);
    let listed: Value =
        serde_json::from_slice(&hub(&["keys", "list", "--data", data_arg, "--json"]).stdout)
            .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let current: Vec<&Value> = listed
        .iter()
        .filter(|k| k["current"] == json!(true))
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["public_key"], json!(new_public));
    let table = text(&hub(&["keys", "list", "--data", data_arg]).stdout);
    assert!(
        table.contains("current") && table.contains("old"),
        "{table}"
    );

    let hub_running = start(data);
    let legacy = WireRecord {
        id: field("record_id"),
        seq: 1,
        kind: field("kind"),
        schema_version: 1,
        day: "2026-11-28".into(),
        sealed: field("sealed"),
    };
    // The same kiosk, configured with the old key and then with the new one.
    let new_kiosk = Kiosk::new(9, &new_public);
    let to_old = old_kiosk.record(
        2,
        "mood_check_in",
        synced(NOV_2026, 2),
        json!({"key": "old"}),
    );
    let to_new = new_kiosk.record(
        3,
        "mood_check_in",
        synced(NOV_2026, 3),
        json!({"key": "new"}),
    );
    let sealed_to_old = B64.decode(&to_old.sealed).unwrap();
    assert_eq!(&sealed_to_old[..4], b"WSv2");
    let body = old_kiosk.batch(vec![legacy, to_old, to_new], synced(NOV_2026, 9));
    let reply = old_kiosk.post(hub_running.addr(), &body).reply();
    assert_eq!(
        outcomes(&reply),
        ["stored", "stored", "stored"],
        "{reply:?}"
    );

    // A key made while the server runs is picked up when a record names it.
    let newest = waystation_hub::keygen(data).unwrap();
    let newest_kiosk = Kiosk::new(9, &newest);
    let (_, stranger) = waystation_protocol::CentreSecretKey::generate();
    let stranger_kiosk = Kiosk::new(9, &stranger.to_base64());
    let body = old_kiosk.batch(
        vec![
            newest_kiosk.record(
                4,
                "mood_check_in",
                synced(NOV_2026, 4),
                json!({"key": "newest"}),
            ),
            stranger_kiosk.record(5, "mood_check_in", synced(NOV_2026, 5), json!({})),
        ],
        synced(NOV_2026, 10),
    );
    let reply = old_kiosk.post(hub_running.addr(), &body).reply();
    assert_eq!(outcomes(&reply), ["stored", "rejected"], "{reply:?}");
    let reason = format!("{:?}", reply.results[1].outcome);
    assert!(reason.contains(&stranger.key_id().to_string()), "{reason}");
    drop(hub_running);

    let stored = waystation_hub::records(data).unwrap();
    let payloads: Vec<&Value> = stored.iter().map(|r| &r.payload).collect();
    assert_eq!(
        payloads,
        [
            &json!({"sealed": "the old way"}),
            &json!({"key": "old"}),
            &json!({"key": "new"}),
            &json!({"key": "newest"}),
        ]
    );
    let count = hub(&["records", "count", "--data", data_arg, "--json"]);
    let counts: Value = serde_json::from_slice(&count.stdout).unwrap();
    assert_eq!(
        counts,
        json!([{ "device_id": old_kiosk.id(), "kind": "mood_check_in", "records": 4 }])
    );
}
