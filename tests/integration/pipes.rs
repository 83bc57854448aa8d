//! A reader that stops early (`waystation resources list | head -1`): every command that
//! prints ends quietly with status 0 when its standard output is a pipe nobody reads any more,
//! as ripgrep does, never with a panic or a "Broken pipe" message.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::sync::Pair;

/// Runs `waystation` with `args` and its standard output a pipe whose reader is already
/// closed, so its first write fails, with `input` on standard input; checks that it exits 0
/// and says nothing about the pipe on standard error.
fn assert_quiet_when_nobody_reads(args: &[&str], input: &str) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(args)
        .env_remove("WAYSTATION_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that never reads its input may be gone already; that is not the point here.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(
        !stderr.to_lowercase().contains("broken pipe"),
        "{args:?}: {stderr}"
    );
}

/// The demo station with a reachable hub and its sealing key, a directory key and a printer
/// that is a file, so that every command has what it needs to get as far as printing.
fn station_config(pair: &Pair, dir: &Path, directory_key: &str) -> String {
    let url = format!("http://{}", pair.hub_addr());
    let text = crate::sync::station_config_text(&url, &pair.centre, 10)
        .replace(
            "# public_key = \"...\"",
            &format!("public_key = \"{directory_key}\""),
        )
        .replace(
            "transport = \"none\"",
            &format!(
                "transport = \"file\"\npath = \"{}\"",
                dir.join("printer.bin").display()
            ),
        );
    assert!(
        text.contains(directory_key) && text.contains("printer.bin"),
        "the demo config changed shape"
    );
    let path = dir.join("station.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A directory bundle the station's key signs: the shipped one, newer and unexpired.
fn write_bundle(path: &Path) {
    let mut bundle: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/directory/bundle.json")).unwrap();
    bundle["version"] = 1000.into();
    bundle["expires"] = "2099-01-01".into();
    std::fs::write(path, bundle.to_string()).unwrap();
}

#[test]
fn every_command_that_prints_ends_quietly_when_its_reader_has_gone() {
    let pair = Pair::new();
    let files = tempfile::tempdir().unwrap();
    let p = |name: &str| files.path().join(name).display().to_string();
    let (directory_secret, directory_key) = waystation::directory::bundle::keygen([9; 32]);
    std::fs::write(p("directory.key"), directory_secret).unwrap();
    write_bundle(&files.path().join("bundle.json"));
    let config = station_config(&pair, files.path(), &directory_key);
    let data = pair.kiosk_dir.path().display().to_string();
    let station = ["--config", config.as_str(), "--data-dir", data.as_str()];
    let run = |args: &[&str], input: &str| {
        assert_quiet_when_nobody_reads(&[&station[..], args].concat(), input)
    };

    for args in [
        &["--help"][..],
        &["--version"],
        &["screens"],
        &["privacy"],
        &["config", "check", &config],
        &["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,1"],
        &["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,1", "--json"],
        &["slip", "--demo", "--escpos", &p("slip.bin")],
        &["printer", "status"],
        &["printer", "test"],
        &["resources", "keygen", "--secret", &p("another.key")],
        &[
            "resources",
            "sign",
            "--key",
            &p("directory.key"),
            &p("bundle.json"),
            &p("bundle.signed"),
        ],
        &["resources", "verify", &p("bundle.signed")],
        &["resources", "install", &p("bundle.signed")],
        &["resources", "list"],
        &["resources", "list", "--json"],
        &[
            "mood",
            "add",
            "--quadrant",
            "blue",
            "--pleasantness",
            "-1",
            "--energy",
            "-2",
            "--word",
            "tired",
        ],
        &["mood", "week"],
        &["mood", "week", "--json"],
        &["restock", "paper"],
        &["restock", "brochure", "hotline-card", "20"],
        &["staff", "unlock"],
        &["status"],
        &["status", "--json"],
        &["device"],
        &["device", "--json"],
        &["queue", "status"],
        &["queue", "status", "--json"],
        &["queue", "list"],
        &["queue", "list", "--json"],
        &["queue", "export", &p("stick")],
        &["queue", "export", &p("stick"), "--json"],
    ] {
        run(args, "");
    }
    for args in [&["staff", "set-pin"][..], &["staff", "hash-pin"]] {
        run(args, "246813\n");
    }

    // A record the hub refused, put back in the queue; then the queue, uploaded.
    let refused = {
        let mut store = pair.store();
        let id = store.queue_entries(None, 0, 1).unwrap().remove(0).id;
        store.quarantine(&id, "refused by the hub").unwrap();
        id
    };
    run(&["queue", "retry", &refused], "");
    run(&["sync", "--once"], "");
    assert_eq!(pair.store().outbox_counts().unwrap().pending, 0);

    // Provisioning still writes the device file for the card when nobody reads its report.
    let etc = files.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    let provisioned = files.path().join("provisioned");
    assert_quiet_when_nobody_reads(
        &[
            "--data-dir",
            &provisioned.display().to_string(),
            "provision",
            "--from",
            &config,
            "--etc",
            &etc.display().to_string(),
            "--device-info",
            &p("device.txt"),
        ],
        "",
    );
    let device = std::fs::read_to_string(p("device.txt")).unwrap();
    assert!(device.contains("register it at the hub"), "{device}");
}
