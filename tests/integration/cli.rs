//! The `waystation` binary as the field team, scripts and CI use it.

use std::path::Path;
use std::process::{Command, Output};

fn waystation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(args)
        // No inherited data directory, and no real /etc config on a developer's machine should
        // matter: every test names its own.
        .env_remove("WAYSTATION_DATA_DIR")
        .output()
        .expect("the waystation binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failure is one line on stderr, starting with the program's name, and a non-zero exit.
fn assert_one_line_error(output: &Output, containing: &str) {
    assert!(!output.status.success(), "expected failure, got success");
    let err = stderr(output);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("waystation: "), "{err:?}");
    assert!(err.contains(containing), "{err:?} lacks {containing:?}");
    assert!(!err.contains("panicked"), "{err:?}");
}

fn demo_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/config/demo-station.toml")
        .display()
        .to_string()
}

#[test]
fn help_lists_every_command() {
    let output = waystation(&["--help"]);
    assert!(output.status.success());
    let text = stdout(&output);
    for command in [
        "run",
        "screenshot",
        "screens",
        "status",
        "config",
        "privacy",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(command)),
            "--help lacks {command}:\n{text}"
        );
    }
}

#[test]
fn screens_lists_every_screen_and_each_one_renders() {
    let output = waystation(&["screens"]);
    assert!(output.status.success());
    let names: Vec<String> = stdout(&output)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let mut expected: Vec<String> = waystation::kiosk::Screen::ALL
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    for extra in [
        "idle",
        "staff-problems",
        "result-after-crisis",
        "mood-distress",
        "staff-call-notified",
        "crisis-asked",
        "staff-usb-done",
        "writing-english",
        "writing-symbols",
        "writing-handwriting",
        "writing-card",
        "writing-page",
        "writing-fuzzy",
        "out-of-service",
    ] {
        expected.push(extra.into());
    }
    assert_eq!(names, expected);
    let dir = tempfile::tempdir().unwrap();
    for name in &names {
        let out = dir.path().join(format!("{name}.png"));
        let output = waystation(&[
            "screenshot",
            "--screen",
            name,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert_eq!(read_png(&out).0, 800, "{name}");
    }
}

fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn screenshot_renders_a_png_of_the_asked_size_with_content_and_language() {
    let dir = tempfile::tempdir().unwrap();
    let zh = dir.path().join("home-zh.png");
    let en = dir.path().join("home-en.png");
    for (lang, out) in [("zh", &zh), ("en", &en)] {
        let output = waystation(&[
            "screenshot",
            "--screen",
            "home",
            "--lang",
            lang,
            "--size",
            "800x480",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let (w, h, zh_pixels) = read_png(&zh);
    assert_eq!((w, h), (800, 480));
    // A drawn screen has many colours (text anti-aliasing, tiles); a blank one has one or two.
    let colours: std::collections::HashSet<&[u8]> = zh_pixels.chunks(3).collect();
    assert!(
        colours.len() > 50,
        "only {} colours: is the screen blank?",
        colours.len()
    );
    let (_, _, en_pixels) = read_png(&en);
    assert_ne!(
        zh_pixels, en_pixels,
        "Chinese and English screenshots are identical"
    );
}

/// The markers around the part of docs/privacy.md that `waystation privacy` writes.
const PRIVACY_BEGIN: &str =
    "<!-- begin: the output of `waystation privacy`; do not edit by hand -->\n";
const PRIVACY_END: &str = "<!-- end: the output of `waystation privacy` -->";

#[test]
fn docs_privacy_md_holds_exactly_what_waystation_privacy_prints() {
    let output = waystation(&["privacy"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(printed.starts_with("## The data inventory"), "{printed}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/privacy.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(PRIVACY_BEGIN)
        .expect("docs/privacy.md lacks the begin marker")
        + PRIVACY_BEGIN.len();
    let stop = doc
        .find(PRIVACY_END)
        .expect("docs/privacy.md lacks the end marker");
    let written = &doc[start..stop];
    let first_difference = written
        .lines()
        .zip(printed.lines())
        .find(|(w, p)| w != p)
        .map(|(w, p)| format!("docs: {w}\ncommand: {p}"));
    assert!(
        written == printed,
        "docs/privacy.md differs from `waystation privacy`; paste the command's output between \
         the markers.\n{}",
        first_difference.unwrap_or_else(|| "(one is longer)".into())
    );
}

#[test]
fn screenshot_takes_other_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("about.png");
    let output = waystation(&[
        "screenshot",
        "--screen",
        "about",
        "--lang",
        "en",
        "--size",
        "1280x800",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read_png(&out).0, 1280);
}

#[test]
fn screenshot_refuses_unknown_screens_languages_and_sizes_in_one_line() {
    let out = "/tmp/never-written.png";
    assert_one_line_error(
        &waystation(&["screenshot", "--screen", "nope", "--out", out]),
        "no screen named 'nope'",
    );
    assert_one_line_error(
        &waystation(&[
            "screenshot",
            "--screen",
            "home",
            "--size",
            "10x10",
            "--out",
            out,
        ]),
        "too small",
    );
    let bad_lang = waystation(&[
        "screenshot",
        "--screen",
        "home",
        "--lang",
        "fr",
        "--out",
        out,
    ]);
    assert!(!bad_lang.status.success());
    assert!(stderr(&bad_lang).contains("unknown language 'fr'"));
    assert_one_line_error(
        &waystation(&[
            "screenshot",
            "--screen",
            "home",
            "--out",
            "/nonexistent-dir/x.png",
        ]),
        "cannot write /nonexistent-dir/x.png",
    );
}

#[test]
fn config_check_accepts_the_demo_and_names_the_bad_field_and_line() {
    let ok = waystation(&["config", "check", &demo_config()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("ok, station demo-0001 (a demo station)"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(demo_config()).unwrap().replace(
        "idle_seconds = 90",
        "idle_seconds = 90\nscreen_saver = true",
    );
    std::fs::write(&bad, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("screen_saver"))
        .unwrap()
        + 1;
    let output = waystation(&["config", "check", bad.to_str().unwrap()]);
    assert_one_line_error(
        &output,
        &format!("bad.toml:{line}:1: unknown field `screen_saver`"),
    );

    assert_one_line_error(
        &waystation(&["config", "check", "/nonexistent.toml"]),
        "cannot read config",
    );
}

#[test]
fn a_bad_config_stops_every_command_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[station]\nid = \"Bad Id\"\n").unwrap();
    let data = dir.path().join("data");
    let output = waystation(&[
        "--config",
        bad.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "run",
        "--windowed",
    ]);
    assert_one_line_error(&output, "bad.toml:2:6:");
    assert!(
        !data.exists(),
        "a half-configured start must not create the store"
    );
}

#[test]
fn status_reports_the_store_without_creating_it_and_honours_the_data_dir_variable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("store");
    let output = waystation(&[
        "status",
        "--json",
        "--config",
        &demo_config(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["station_id"], "demo-0001");
    assert_eq!(json["database"]["exists"], false);
    assert!(!data.exists());

    // Write one record through the library, as the kiosk does at start-up.
    let mut store = waystation::store::Store::open(&data).unwrap();
    let clock = waystation::clock::SystemClock::new();
    let record = waystation::store::NewRecord {
        kind: waystation::store::RecordKind::KioskStarted,
        stamp: waystation::store::RecordStamp::now(&clock, &waystation::entropy::SystemEntropy)
            .unwrap(),
        payload: serde_json::json!({"version": "test"}),
    };
    store.commit_record(&record, |_| Ok(())).unwrap();
    drop(store);

    let output = Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(["status", "--config", &demo_config()])
        .env("WAYSTATION_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("data dir     {}", data.display())),
        "{text}"
    );
    assert!(
        text.contains("outbox       1 pending, 0 in_flight, 0 acked, 0 quarantined"),
        "{text}"
    );
}

#[test]
fn status_shows_the_image_slot_and_the_last_update_and_says_when_root_s_file_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let status = |dir: &Path| {
        let output = waystation(&[
            "status",
            "--config",
            &demo_config(),
            "--data-dir",
            dir.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert!(
        !status(dir.path()).contains("image slot"),
        "no A/B image, no lines"
    );
    std::fs::write(
        dir.path().join("update-status.json"),
        r#"{"slot": "A", "last": {"version": "2026.12.3", "outcome": "rolled_back",
            "detail": "slot B did not become healthy", "at": "2026-12-03T14:00:00Z"}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("updates")).unwrap();
    std::fs::write(dir.path().join("updates/2026.12.4.raucb.part"), b"12345").unwrap();
    let text = status(dir.path());
    assert!(text.contains("image slot   A\n"), "{text}");
    assert!(
        text.contains(
            "last update  2026.12.3 rolled_back at 2026-12-03T14:00:00Z: slot B did not become healthy"
        ),
        "{text}"
    );
    assert!(
        text.contains("update file  2026.12.4.raucb.part (5 bytes)"),
        "{text}"
    );
    std::fs::write(dir.path().join("update-status.json"), "{\"slot\": 7}").unwrap();
    let text = status(dir.path());
    assert!(text.contains("update-status.json cannot be read"), "{text}");
}

#[test]
fn run_without_a_display_fails_in_one_line_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args([
            "--config",
            &demo_config(),
            "--data-dir",
            dir.path().to_str().unwrap(),
            "run",
            "--windowed",
        ])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("SLINT_BACKEND")
        .output()
        .unwrap();
    assert_one_line_error(&output, "no display");
}

#[test]
fn assess_prints_the_published_scoring_as_json() {
    let output = waystation(&["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,1", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["instrument"], "phq9");
    assert_eq!(json["total"], 1);
    assert_eq!(json["band"], "minimal");
    assert_eq!(json["crisis"], true);
    assert_eq!(json["suggest"], serde_json::json!([]));

    let phq4 = waystation(&["assess", "phq4", "--answers", "2,1,0,3", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&phq4.stdout).unwrap();
    assert_eq!(
        json["subscales"],
        serde_json::json!({"anxiety": 3, "depression": 3})
    );
    assert_eq!(json["suggest"], serde_json::json!(["gad7", "phq9"]));
    assert_eq!(json["band"], "moderate");

    let who5 = waystation(&["assess", "who5", "--answers", "3,3,2,2,2", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&who5.stdout).unwrap();
    assert_eq!(
        (json["total"].as_u64(), json["percent"].as_u64()),
        (Some(12), Some(48))
    );
    assert_eq!(json["band"], "low");
    assert_eq!(json["suggest"], serde_json::json!(["phq9"]));

    let gad7 = waystation(&["assess", "gad7", "--answers", "3,3,3,1,0,0,0"]);
    assert_eq!(
        stdout(&gad7).trim(),
        "gad7: total 10, band moderate, talk to a professional"
    );
}

#[test]
fn assess_refuses_bad_answers_with_status_2_and_one_line() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["assess", "gad7", "--answers", "1,2"],
            "gad7 has 7 items, but 2 answers were given",
        ),
        (
            &["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,4"],
            "answer 4 to item 9 is out of range (0 to 3)",
        ),
        (
            &["assess", "who5", "--answers", "1,2,x,1,1"],
            "answer 'x' is not a whole number",
        ),
        (
            &["assess", "k10", "--answers", "1"],
            "unknown instrument 'k10'",
        ),
    ];
    for (args, message) in cases {
        let output = waystation(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_one_line_error(&output, message);
    }
}

#[test]
fn assess_uses_the_stations_referral_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("station.toml");
    let text = std::fs::read_to_string(demo_config())
        .unwrap()
        .replace("refer_at_gad7 = 10", "refer_at_gad7 = 12");
    std::fs::write(&config, text).unwrap();
    let output = waystation(&[
        "--config",
        config.to_str().unwrap(),
        "assess",
        "gad7",
        "--answers",
        "3,3,3,1,0,0,0",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["refer"], false);
}

#[test]
fn mood_add_counts_the_check_in_and_week_hides_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let add = |args: &[&str]| {
        let mut all = vec!["--data-dir", data, "mood", "add"];
        all.extend_from_slice(args);
        waystation(&all)
    };
    let output = add(&[
        "--quadrant",
        "blue",
        "--pleasantness",
        "-1",
        "--energy",
        "-2",
        "--word",
        "tired",
        "--tags",
        "sleep,income",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Counted for its day, and nothing of it queued to leave on its own.
    assert!(
        stdout(&output).starts_with("counted on 20"),
        "{}",
        stdout(&output)
    );
    let conn = rusqlite::Connection::open(dir.path().join(waystation::store::DB_FILE)).unwrap();
    let counted: i64 = conn
        .query_row(
            "SELECT SUM(count) FROM day_count WHERE metric = 'mood_word' AND key = 'blue/tired'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(counted, 1);
    let queued: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 0);

    let week = || {
        let out = waystation(&["--data-dir", data, "mood", "week", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        week()["total_about"],
        serde_json::Value::Null,
        "one check-in must not be shown"
    );
    for _ in 0..12 {
        assert!(
            add(&[
                "--quadrant",
                "green",
                "--pleasantness",
                "1",
                "--energy",
                "-1",
                "--word",
                "calm"
            ])
            .status
            .success()
        );
    }
    for _ in 0..11 {
        assert!(
            add(&[
                "--quadrant",
                "red",
                "--pleasantness",
                "-1",
                "--energy",
                "1",
                "--word",
                "tense"
            ])
            .status
            .success()
        );
    }
    // This week's check-ins are never shown, however many.
    assert_eq!(week()["total_about"], serde_json::Value::Null);
    // A week later they are last week's: move the day counts back seven days, as time would.
    conn.execute("UPDATE day_count SET day = date(day, '-7 days')", [])
        .unwrap();
    // Blue's single check-in is hidden; with yellow's 0 it still adds up to 1, so red's 11 is
    // hidden as well, and only green shows, rounded.
    let text = stdout(&waystation(&["--data-dir", data, "mood", "week"]));
    assert!(text.contains("about 20 check-ins"), "{text}");
    assert!(
        text.contains("green   Calm, relaxed      about 50%"),
        "{text}"
    );
    assert!(text.contains("blue    Tired, down        hidden"), "{text}");
    assert!(text.contains("red     Tense, irritated   hidden"), "{text}");
    let json = week();
    assert_eq!(json["total_about"], 20);
    assert!(
        json.to_string().find("\"count\"").is_none(),
        "no exact count: {json}"
    );
}

#[test]
fn mood_add_refuses_bad_values_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--quadrant",
                "purple",
                "--pleasantness",
                "1",
                "--energy",
                "1",
                "--word",
                "happy",
            ],
            "unknown quadrant 'purple'",
        ),
        (
            &[
                "--quadrant",
                "yellow",
                "--pleasantness",
                "0",
                "--energy",
                "1",
                "--word",
                "happy",
            ],
            "pleasantness must be one of",
        ),
        (
            &[
                "--quadrant",
                "yellow",
                "--pleasantness",
                "1",
                "--energy",
                "1",
                "--word",
                "tired",
            ],
            "belongs to the blue quadrant",
        ),
        (
            &[
                "--quadrant",
                "yellow",
                "--pleasantness",
                "1",
                "--energy",
                "1",
                "--word",
                "happy",
                "--tags",
                "boss",
            ],
            "unknown tag 'boss'",
        ),
        (
            &[
                "--quadrant",
                "red",
                "--pleasantness",
                "1",
                "--energy",
                "1",
                "--word",
                "happy",
            ],
            "in the yellow quadrant, not red",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["--data-dir", data, "mood", "add"];
        all.extend_from_slice(args);
        let output = waystation(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_one_line_error(&output, message);
    }
    assert!(
        !dir.path().join(waystation::store::DB_FILE).exists(),
        "bad input must not even open the store"
    );
}

/// A jump host's public key for the remote help tests (any valid ed25519 key).
const JUMP_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtSJIDA5TRR/SvyIhGj4+VYe9Nl8nemsKyJ8spatEOr";

fn remote_help_request(until: &str, host: &str) -> String {
    format!(
        "until={until}\ndevice=ws-0011223344556677\nhost={host}\nport=2222\nuser=tunnel\n\
         host_key={JUMP_KEY}\nsocket_dir=/run/waystation-help\n"
    )
}

#[test]
fn remote_help_plan_checks_the_request_for_root_and_prints_the_ssh_command() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request");
    let known_hosts = dir.path().join("known_hosts");
    let plan = |request: &Path| {
        waystation(&[
            "remote-help",
            "plan",
            "--request",
            request.to_str().unwrap(),
            "--identity",
            "/var/lib/waystation/system/ssh/remote_help_ed25519",
            "--known-hosts",
            known_hosts.to_str().unwrap(),
        ])
    };
    std::fs::write(
        &request,
        remote_help_request("2026-12-03T20:00:00Z", "jump.example"),
    )
    .unwrap();
    let output = plan(&request);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines[0], "1796328000",
        "the end, in seconds since the epoch"
    );
    assert!(lines.contains(&"/run/waystation-help/ws-0011223344556677.sock:127.0.0.1:22"));
    assert_eq!(lines[lines.len() - 2..], ["--", "jump.example"]);
    assert_eq!(
        std::fs::read_to_string(&known_hosts).unwrap(),
        format!("waystation-jump {JUMP_KEY}\n")
    );
    let mode = std::fs::metadata(&known_hosts)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A host ssh would read as an option: refused in one line, nothing printed.
    std::fs::write(
        &request,
        remote_help_request("2026-12-03T20:00:00Z", "-oProxyCommand=sh"),
    )
    .unwrap();
    let refused = plan(&request);
    assert_one_line_error(&refused, "not a host name");
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    // A link in the kiosk's folder is not followed, whatever it points at.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
    assert_one_line_error(&plan(&link), "cannot read");
}

#[test]
fn status_says_whether_remote_help_is_on_and_how_roots_tunnel_stands() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("station.toml");
    let demo = std::fs::read_to_string(demo_config()).unwrap();
    std::fs::write(
        &config,
        format!(
            "{demo}\n[remote_help]\njump_host = \"jump.example\"\njump_user = \"tunnel\"\n\
             jump_host_key = \"{JUMP_KEY}\"\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let status = || {
        let output = waystation(&[
            "status",
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    std::fs::create_dir_all(&data).unwrap();
    let text = status();
    assert!(
        text.contains("jump host    tunnel@jump.example:22"),
        "{text}"
    );
    assert!(text.contains("remote help  unavailable"), "{text}");

    let folder = data.join("remote-help");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("client-key.pub"),
        format!("{JUMP_KEY} root@ws\n"),
    )
    .unwrap();
    std::fs::write(
        folder.join("request"),
        remote_help_request("2026-12-03T20:00:00Z", "jump.example"),
    )
    .unwrap();
    std::fs::write(
        folder.join("status"),
        r#"{"tunnel": "error", "detail": "Connection refused", "at": "2026-12-03T12:00:00Z"}"#,
    )
    .unwrap();
    let text = status();
    assert!(
        text.contains("remote help  on until 2026-12-03T20:00:00Z (UTC)"),
        "{text}"
    );
    assert!(
        text.contains("tunnel       error (Connection refused)"),
        "{text}"
    );
    assert!(!text.contains("key is missing"), "{text}");
}

/// `waystation health …` in a data folder of its own, with systemd's word about the kiosk's
/// failure in the environment when given.
fn health(dir: &Path, args: &[&str], service_result: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waystation"));
    command
        .arg("--data-dir")
        .arg(dir)
        .arg("health")
        .args(args)
        .env_remove("MONITOR_SERVICE_RESULT");
    if let Some(result) = service_result {
        command.env("MONITOR_SERVICE_RESULT", result);
    }
    command.output().expect("the waystation binary runs")
}

fn shown_health(dir: &Path) -> serde_json::Value {
    let output = health(dir, &["show"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn health_tells_the_boots_apart_counts_starts_and_decides_about_crash_loops() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for args in [&["boot"][..], &["start"], &["start"]] {
        assert!(health(dir, args, None).status.success());
    }
    let shown = shown_health(dir);
    assert_eq!(shown["boot_reason"], "first");
    assert_eq!(shown["starts_this_boot"], 2);
    // Root's own state is closed to the kiosk's user; its copy is readable.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        (mode("system/health"), mode("health-status.json")),
        (0o700, 0o644)
    );
    // An orderly stop, then the next boot (the same boot id here: a stop ended it).
    assert!(health(dir, &["stop"], None).status.success());
    assert!(health(dir, &["boot"], None).status.success());
    assert_eq!(shown_health(dir)["boot_reason"], "orderly");
    assert_eq!(shown_health(dir)["starts_this_boot"], 0);
    // A failure between restarts is not a crash loop.
    let output = health(dir, &["crash-loop"], Some("exit-code"));
    assert!(
        stdout(&output).starts_with("restart"),
        "{}",
        stdout(&output)
    );
    assert_eq!(shown_health(dir)["crash_loops"], serde_json::json!([]));
    // The start limit: the first reboots, the next within hours goes out of service.
    let output = health(dir, &["crash-loop"], Some("start-limit-hit"));
    assert_eq!(stdout(&output).trim(), "reboot");
    let output = health(dir, &["crash-loop"], None);
    assert_eq!(stdout(&output).trim(), "out-of-service");
    assert_eq!(
        shown_health(dir)["crash_loops"].as_array().unwrap().len(),
        2
    );
    // A boot whose "running" mark another boot left behind ended without a stop.
    let state = dir.join("system/health/state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["running"] = serde_json::json!("an-earlier-boot");
    std::fs::write(&state, value.to_string()).unwrap();
    assert!(health(dir, &["boot"], None).status.success());
    assert_eq!(shown_health(dir)["boot_reason"], "unclean");
}

#[test]
fn health_with_a_bad_status_file_fails_in_one_line_and_bad_state_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert_one_line_error(&health(dir, &["show"], None), "health-status.json");
    std::fs::write(dir.join("health-status.json"), "{\"boot_reason\": 7}").unwrap();
    let output = health(dir, &["show"], None);
    assert_one_line_error(&output, "health-status.json");
    assert_eq!(output.status.code(), Some(2));
    std::fs::create_dir_all(dir.join("system/health")).unwrap();
    std::fs::write(dir.join("system/health/state.json"), "garbage").unwrap();
    assert!(health(dir, &["boot"], None).status.success());
    assert_eq!(shown_health(dir)["boot_reason"], "first");
}

/// Without the centre's key nothing can be sealed, so `queue export-usb` refuses before it asks
/// root for a stick (no request is left behind for root to act on).
#[test]
fn export_usb_without_a_centre_key_refuses_before_asking_for_a_stick() {
    let data = tempfile::tempdir().unwrap();
    let config = demo_config();
    let output = waystation(&[
        "--config",
        &config,
        "--data-dir",
        data.path().to_str().unwrap(),
        "queue",
        "export-usb",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_one_line_error(&output, "no centre key is configured");
    assert!(!data.path().join("usb-stick/request").exists());
}
