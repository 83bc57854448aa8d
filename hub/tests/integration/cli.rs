//! The `waystation-hub` command line, run as a separate process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use waystation_protocol::DAY_SUMMARY_KIND;

use crate::support::{
    Kiosk, NOV_28_MIDNIGHT, NOV_2026, day_stamp, request, summary_payload, synced,
};

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waystation-hub"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failure: the given exit code, one line on stderr naming the program, and no panic.
fn assert_fails(output: &Output, code: i32) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("waystation-hub: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn keygen_devices_import_and_count_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();

    let output = hub(&["keygen", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let public = stdout.lines().next().unwrap();
    assert_eq!(
        std::fs::read_to_string(data.join("centre.pub"))
            .unwrap()
            .trim(),
        public
    );
    assert!(stdout.contains("centre.key"), "{stdout}");

    let kiosk = Kiosk::new(3, public);
    let key = kiosk.key.public_base64();
    for _ in 0..2 {
        let output = hub(&[
            "devices",
            "add",
            "--data",
            data_arg,
            "--key",
            &key,
            "--station",
            "pudong-2",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(text(&output.stdout).trim(), kiosk.id());
    }
    let stderr = assert_fails(
        &hub(&["devices", "add", "--data", data_arg, "--key", "not-a-key"]),
        2,
    );
    assert!(stderr.contains("not a device public key"), "{stderr}");
    let nowhere = dir.path().join("typo");
    let stderr = assert_fails(
        &hub(&[
            "devices",
            "add",
            "--data",
            nowhere.to_str().unwrap(),
            "--key",
            &key,
        ]),
        2,
    );
    assert!(stderr.contains("no hub data folder"), "{stderr}");
    assert!(!nowhere.exists());

    // The district and kind given later join the station given before.
    let output = hub(&[
        "devices",
        "add",
        "--data",
        data_arg,
        "--key",
        &key,
        "--district",
        "浦东新区",
        "--kind",
        "工会司机之家",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = hub(&["devices", "list", "--data", data_arg, "--json"]);
    let devices: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(devices[0]["device_id"], json!(kiosk.id()));
    assert_eq!(devices[0]["station"], json!("pudong-2"));
    assert_eq!(devices[0]["district"], json!("浦东新区"));
    assert_eq!(devices[0]["station_kind"], json!("工会司机之家"));
    let listed = text(&hub(&["devices", "list", "--data", data_arg]).stdout);
    assert!(
        listed.contains("浦东新区") && listed.contains("工会司机之家"),
        "{listed}"
    );
    // The fleet watch by hand: a kiosk never heard from raises nothing.
    let watched = hub(&["alerts", "watch", "--data", data_arg]);
    assert!(watched.status.success(), "{}", text(&watched.stderr));
    assert_eq!(text(&watched.stdout).trim(), "raised 0, forwarded 0");

    let folder = dir.path().join("usb");
    std::fs::create_dir(&folder).unwrap();
    let body = kiosk.batch(
        vec![
            kiosk.record(
                1,
                "mood_check_in",
                synced(NOV_2026, 1),
                json!({ "word": "ok" }),
            ),
            kiosk.record(
                2,
                "mood_check_in",
                synced(NOV_2026, 2),
                json!({ "word": "ok" }),
            ),
            kiosk.record(3, "slip_printed", synced(NOV_2026, 3), json!({})),
        ],
        synced(NOV_2026, 4),
    );
    std::fs::write(folder.join("export.json"), kiosk.export(&body)).unwrap();
    let folder_arg = folder.to_str().unwrap();
    let output = hub(&["import", "--data", data_arg, folder_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout).trim(),
        "files 1, stored 3, duplicate 0, rejected 0"
    );
    let output = hub(&["import", "--data", data_arg, folder_arg]);
    assert_eq!(
        text(&output.stdout).trim(),
        "files 1, stored 0, duplicate 3, rejected 0"
    );

    let output = hub(&["records", "count", "--data", data_arg, "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let counts: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        counts,
        json!([
            { "device_id": kiosk.id(), "kind": "mood_check_in", "records": 2 },
            { "device_id": kiosk.id(), "kind": "slip_printed", "records": 1 },
        ])
    );
    let table = text(&hub(&["records", "count", "--data", data_arg]).stdout);
    assert!(table.starts_with("DEVICE"), "{table}");
    assert!(table.contains("slip_printed"), "{table}");

    // A refused file is named, and the exit code says not everything went in.
    std::fs::write(folder.join("broken.json"), b"not json").unwrap();
    let output = hub(&["import", "--data", data_arg, folder_arg]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("broken.json"));

    let not_json = dir.path().join("bundle.txt");
    std::fs::write(&not_json, b"hello").unwrap();
    assert_fails(
        &hub(&[
            "bundle",
            "set",
            "--data",
            data_arg,
            not_json.to_str().unwrap(),
        ]),
        2,
    );
}

#[test]
fn summaries_one_line_each_or_in_full_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();
    let public = waystation_hub::keygen(&data).unwrap();
    let kiosk = Kiosk::new(6, &public);
    let key = kiosk.key.public_base64();
    waystation_hub::add_device(&data, &key, Some("pudong-2"), None).unwrap();
    let output = hub(&["summaries", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), "no summaries yet");

    let folder = dir.path().join("usb");
    write_summary_export(&kiosk, &folder);
    let output = hub(&["import", "--data", data_arg, folder.to_str().unwrap()]);
    assert_eq!(
        text(&output.stdout).trim(),
        "files 1, stored 2, duplicate 0, rejected 0"
    );

    let output = hub(&["summaries", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("DEVICE"), "{table}");
    // Device, station, days, visits, mood check-ins, self-checks, crisis reached, slips.
    let cells: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        cells,
        [
            kiosk.id().as_str(),
            "pudong-2",
            "2026-11-26..2026-11-27",
            "14",
            "5",
            "3",
            "1",
            "3"
        ]
    );
    assert_eq!(lines.next(), None, "{table}");

    let output = hub(&["summaries", "--data", data_arg, "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        listed,
        json!([{
            "device_id": kiosk.id(),
            "record_id": kiosk.record_id(1),
            "station": "pudong-2",
            "district": null,
            "station_kind": null,
            "received_day": listed[0]["received_day"],
            "visits": 14,
            "first_day": "2026-11-26",
            "last_day": "2026-11-27",
            "counts": summary_payload(14)["counts"],
        }])
    );
    assert!(
        listed[0]["received_day"]
            .as_str()
            .is_some_and(|d| d.len() == 10),
        "{listed}"
    );
    let output = hub(&["records", "count", "--data", data_arg, "--json"]);
    let counts: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        counts,
        json!([
            { "device_id": kiosk.id(), "kind": "day_summary", "records": 1 },
            { "device_id": kiosk.id(), "kind": "printer_fault", "records": 1 },
        ])
    );
}

#[test]
fn serve_refuses_without_a_key_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let data_arg = data.to_str().unwrap();
    let stderr = assert_fails(
        &hub(&["serve", "--data", data_arg, "--listen", "127.0.0.1:0"]),
        1,
    );
    assert!(stderr.contains("keygen"), "{stderr}");
    let output = hub(&["serve", "--data", data_arg, "--listen", "nowhere"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));

    waystation_hub::keygen(data).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_waystation-hub"))
        .args(["serve", "--data", data_arg, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = log
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.contains("hub listening")
                .then(|| {
                    line.split_whitespace()
                        .find_map(|w| w.strip_prefix("addr="))
                        .map(String::from)
                })
                .flatten()
        })
        .expect("the hub logs where it listens");
    let addr = addr.parse().unwrap();
    let health = request(addr, "GET", "/v1/health", &[], b"");
    assert_eq!(health.status, 200);

    terminate(child.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the hub did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let rest: Vec<String> = log.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopping")), "{rest:?}");
    assert!(Path::new(&data.join("hub.db")).exists());
}

fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn alerts_set_show_retry_and_clear_the_webhook_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let data_arg = data.to_str().unwrap();
    waystation_hub::keygen(data).unwrap();

    let output = hub(&["alerts", "show", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert!(
        shown.contains("none set") && shown.contains("no alerts yet"),
        "{shown}"
    );
    let stderr = assert_fails(&hub(&["alerts", "retry", "--data", data_arg]), 1);
    assert!(stderr.contains("no webhook"), "{stderr}");

    let hook = crate::support::Hook::start(crate::support::HookAnswer::Reply(
        200,
        r#"{"errcode":0,"errmsg":"ok"}"#,
    ));
    let url = hook.url("/cgi-bin/webhook/send?key=the-robots-key");
    let output = hub(&[
        "alerts",
        "set-webhook",
        "--data",
        data_arg,
        &url,
        "--format",
        "wecom",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let said = text(&output.stdout);
    assert!(
        said.contains("wecom") && !said.contains("the-robots-key"),
        "{said}"
    );
    let webhook = waystation_hub::webhook(data).unwrap().unwrap();
    assert_eq!(
        (webhook.url.as_str(), webhook.format),
        (url.as_str(), waystation_hub::WebhookFormat::Wecom)
    );
    let shown = text(&hub(&["alerts", "show", "--data", data_arg]).stdout);
    assert!(
        shown.contains("(wecom)") && !shown.contains("the-robots-key"),
        "{shown}"
    );
    let json_shown = hub(&["alerts", "show", "--data", data_arg, "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json_shown.stdout).unwrap();
    assert_eq!(value["webhook"]["format"], "wecom");
    assert!(!text(&json_shown.stdout).contains("the-robots-key"));

    // An alert that arrived while the webhook was down, posted by `retry`.
    let kiosk = Kiosk::new(
        4,
        &std::fs::read_to_string(data.join("centre.pub")).unwrap(),
    );
    waystation_hub::add_device(data, &kiosk.key.public_base64(), Some("minhang-3"), None).unwrap();
    let stick = dir.path().join("stick");
    std::fs::create_dir(&stick).unwrap();
    let now = crate::support::now_ms();
    let body = kiosk.batch(
        vec![kiosk.record(
            1,
            waystation_protocol::wire::STAFF_ALERT_KIND,
            synced(now, 1),
            json!({ "station": "minhang-3", "kind": "staff_call" }),
        )],
        synced(now, 2),
    );
    std::fs::write(stick.join("a.json"), kiosk.export(&body)).unwrap();
    assert!(
        hub(&["import", "--data", data_arg, stick.to_str().unwrap()])
            .status
            .success()
    );
    let output = hub(&["alerts", "retry", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), "forwarded 1, failed 0");
    assert_eq!(hook.posts().len(), 1);
    let shown = text(&hub(&["alerts", "show", "--data", data_arg]).stdout);
    assert!(
        shown.contains("minhang-3") && shown.contains("yes,"),
        "{shown}"
    );

    let output = hub(&["alerts", "clear-webhook", "--data", data_arg]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(waystation_hub::webhook(data).unwrap(), None);
    let stderr = assert_fails(
        &hub(&[
            "alerts",
            "set-webhook",
            "--data",
            data_arg,
            "ftp://example.org/x",
        ]),
        2,
    );
    assert!(stderr.contains("not a webhook address"), "{stderr}");
    let output = hub(&[
        "alerts",
        "set-webhook",
        "--data",
        data_arg,
        &url,
        "--format",
        "sms",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

/// A new `folder` holding one export file from `kiosk`: a day summary of 14 visits and a
/// printer fault.
fn write_summary_export(kiosk: &Kiosk, folder: &Path) {
    std::fs::create_dir(folder).unwrap();
    let body = kiosk.batch(
        vec![
            kiosk.record(
                1,
                DAY_SUMMARY_KIND,
                day_stamp(NOV_28_MIDNIGHT),
                summary_payload(14),
            ),
            kiosk.record(2, "printer_fault", synced(NOV_2026, 2), json!({})),
        ],
        synced(NOV_2026, 4),
    );
    std::fs::write(folder.join("export.json"), kiosk.export(&body)).unwrap();
}

/// Runs `waystation-hub` with its standard output a pipe whose reader is already closed (as
/// `waystation-hub keys list | head -1` once `head` has its line): it must end quietly with
/// status 0, as ripgrep does, never with a panic or a "Broken pipe" message.
fn assert_quiet_when_nobody_reads(args: &[&str]) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_waystation-hub"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(
        !stderr.to_lowercase().contains("broken pipe"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn every_command_that_prints_ends_quietly_when_its_reader_has_gone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();
    assert_quiet_when_nobody_reads(&["keygen", "--data", data_arg]);
    // A second key, so that there is an old one to list and to mention.
    assert_quiet_when_nobody_reads(&["keygen", "--data", data_arg]);
    let public = std::fs::read_to_string(data.join("centre.pub")).unwrap();
    let kiosk = Kiosk::new(5, public.trim());
    let key = kiosk.key.public_base64();
    let stranger = Kiosk::new(6, public.trim());
    let stranger_key = stranger.key.public_base64();
    let usb = dir.path().join("usb");
    write_summary_export(&kiosk, &usb);
    let bundle = dir.path().join("bundle.json");
    std::fs::write(&bundle, r#"{"signed": "as the kiosk's bundle"}"#).unwrap();
    let (usb_arg, bundle_arg) = (usb.to_str().unwrap(), bundle.to_str().unwrap());

    for args in [
        &["--help"][..],
        &["--version"],
        &["keys", "list", "--data", data_arg],
        &["keys", "list", "--data", data_arg, "--json"],
        &[
            "devices",
            "add",
            "--data",
            data_arg,
            "--key",
            &key,
            "--station",
            "pudong-2",
        ],
        &["devices", "add", "--data", data_arg, "--key", &stranger_key],
        &["devices", "revoke", "--data", data_arg, &stranger.id()],
        &["devices", "list", "--data", data_arg],
        &["devices", "list", "--data", data_arg, "--json"],
        &["import", "--data", data_arg, usb_arg],
        &["records", "count", "--data", data_arg],
        &["records", "count", "--data", data_arg, "--json"],
        &["summaries", "--data", data_arg],
        &["summaries", "--data", data_arg, "--json"],
        &["bundle", "set", "--data", data_arg, bundle_arg],
        &[
            "alerts",
            "set-webhook",
            "--data",
            data_arg,
            "http://127.0.0.1:9/hook",
        ],
        &["alerts", "show", "--data", data_arg],
        &["alerts", "show", "--data", data_arg, "--json"],
        &["alerts", "retry", "--data", data_arg],
        &["alerts", "clear-webhook", "--data", data_arg],
    ] {
        assert_quiet_when_nobody_reads(args);
    }
    // Each of them did its work before it met the closed pipe.
    let devices = waystation_hub::devices(&data).unwrap();
    assert_eq!(devices.len(), 2);
    assert!(devices.iter().any(|d| d.revoked_ms.is_some()));
    assert_eq!(waystation_hub::summaries(&data).unwrap().len(), 1);
    assert_eq!(waystation_hub::keys(&data).unwrap().len(), 2);
}

fn hub_with_input(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_waystation-hub"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads its input (a bad role) may have exited already: the
    // write then meets a closed pipe, which is not this test's concern.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn staff_accounts_are_added_with_a_password_from_standard_input_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data_arg = data.to_str().unwrap();
    assert!(hub(&["keygen", "--data", data_arg]).status.success());

    let output = hub_with_input(
        &[
            "users", "add", "li.wei", "--role", "operator", "--data", data_arg,
        ],
        "a long enough passphrase\n",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "li.wei added as operator\n");

    // Too short, a name with a space, the same name again, a role that does not exist: each
    // a one-line refusal, and nothing more is stored.
    let short = hub_with_input(
        &[
            "users", "add", "wang", "--role", "viewer", "--data", data_arg,
        ],
        "short\n",
    );
    assert!(assert_fails(&short, 2).contains("at least 12 characters"));
    let spaced = hub_with_input(
        &[
            "users",
            "add",
            "wang fang",
            "--role",
            "viewer",
            "--data",
            data_arg,
        ],
        "a long enough passphrase\n",
    );
    assert!(assert_fails(&spaced, 2).contains("not an account name"));
    let twice = hub_with_input(
        &[
            "users", "add", "li.wei", "--role", "admin", "--data", data_arg,
        ],
        "another long passphrase\n",
    );
    assert!(assert_fails(&twice, 2).contains("already exists"));
    let no_role = hub_with_input(
        &["users", "add", "zhao", "--role", "root", "--data", data_arg],
        "a long enough passphrase\n",
    );
    assert_eq!(no_role.status.code(), Some(2));

    let list = text(&hub(&["users", "list", "--data", data_arg]).stdout);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.lines().nth(1).unwrap().starts_with("li.wei"), "{list}");
    assert!(list.contains("operator"), "{list}");
    assert!(
        !list.contains("passphrase") && !list.contains("argon2"),
        "{list}"
    );

    let audit = text(&hub(&["users", "audit", "--data", data_arg]).stdout);
    assert!(
        audit.contains("command line") && audit.contains("account added"),
        "{audit}"
    );
    assert!(audit.contains("li.wei (operator)"), "{audit}");
    assert_eq!(audit.lines().count(), 2, "{audit}");

    // The database holds the hash, never the password.
    let db = std::fs::read(data.join("hub.db")).unwrap();
    let needle = b"a long enough passphrase";
    assert!(!db.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn remote_help_is_switched_on_listed_and_off_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let centre = waystation_hub::keygen(dir.path()).unwrap();
    let kiosk = Kiosk::new(4, &centre);
    let id =
        waystation_hub::add_device(dir.path(), &kiosk.key.public_base64(), None, None).unwrap();
    // No heartbeat says the kiosk has a jump host: refused, in one line.
    let refused = hub(&["remote-help", "on", &id, "--minutes", "60", "--data", data]);
    assert!(assert_fails(&refused, 2).contains("no jump host"));
    let running = crate::support::start(dir.path());
    let beat = kiosk.record(
        1,
        "heartbeat",
        synced(NOV_2026, 1),
        json!({"remote_help": {"available": true, "tunnel": "up", "client_key": null}}),
    );
    kiosk
        .post(
            running.addr(),
            &kiosk.batch(vec![beat], synced(NOV_2026, 2)),
        )
        .reply();
    running.stop();
    for minutes in ["0", "481"] {
        let bad = hub(&[
            "remote-help",
            "on",
            &id,
            "--minutes",
            minutes,
            "--data",
            data,
        ]);
        assert!(assert_fails(&bad, 2).contains("1 to 480 minutes"));
    }
    // Not a number: clap's own refusal, status 2 as for every bad argument.
    let soon = hub(&[
        "remote-help",
        "on",
        &id,
        "--minutes",
        "soon",
        "--data",
        data,
    ]);
    assert_eq!(soon.status.code(), Some(2));
    let unknown = hub(&[
        "remote-help",
        "on",
        "ws-ffffffffffffffff",
        "--minutes",
        "5",
        "--data",
        data,
    ]);
    assert!(assert_fails(&unknown, 2).contains("no device"));

    let on = hub(&["remote-help", "on", &id, "--minutes", "90", "--data", data]);
    assert!(on.status.success(), "{}", text(&on.stderr));
    assert!(text(&on.stdout).contains(&format!("remote help on for {id} until")));
    let list = hub(&["remote-help", "list", "--data", data]);
    let listed = text(&list.stdout);
    assert!(
        listed.contains(&id) && listed.contains("command line") && listed.contains("up"),
        "{listed}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&hub(&["remote-help", "list", "--json", "--data", data]).stdout)
            .unwrap();
    assert_eq!(json[0]["help"]["device_id"], id.as_str());
    let left = json[0]["help"]["until_ms"].as_i64().unwrap()
        - json[0]["help"]["granted_ms"].as_i64().unwrap();
    assert_eq!(left, 90 * 60_000);

    let off = hub(&["remote-help", "off", &id, "--data", data]);
    assert!(
        text(&off.stdout).contains("remote help off"),
        "{}",
        text(&off.stdout)
    );
    let again = hub(&["remote-help", "off", &id, "--data", data]);
    assert!(
        text(&again.stdout).contains("was not on"),
        "{}",
        text(&again.stdout)
    );
    assert!(
        text(&hub(&["remote-help", "list", "--data", data]).stdout)
            .lines()
            .count()
            <= 1
    );
    let audit = waystation_hub::audit_log(dir.path(), 5).unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["remote help off", "remote help on"]);
}
