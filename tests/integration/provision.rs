//! `waystation provision` as the deployment image's boot service runs it: a provision file in,
//! the kiosk's config, the device key and the registration line out, the secrets kept out of
//! the config and the output, and the file itself removed from the card once applied.

use std::path::Path;
use std::process::{Command, Output};

const PIN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$Q2F0Y2hNZUlmWW91Q2FuMTIzNDU2Nzg5MDEyMzQ";

fn waystation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(args)
        .env_remove("WAYSTATION_DATA_DIR")
        .output()
        .expect("the waystation binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A provision file like the field team's, with real keys made for the test.
fn provision_file(hub_dir: &Path) -> String {
    let centre = waystation_hub::keygen(hub_dir).unwrap();
    let (_, directory) = waystation::directory::bundle::keygen([7; 32]);
    format!(
        r#"# Provision file for a test station.
[station]
id = "pudong-0042"
name_zh = "测试驿站"
name_en = "Test waystation"
kind = "warm_new_waystation"
latitude = 31.2304
longitude = 121.4737

[hub]
url = "https://hub.example.org/"
public_key = "{centre}"

[directory]
public_key = "{directory}"

[secrets]
# The PIN's Argon2id hash, never the PIN.
pin_hash = "{PIN_HASH}"

[printer]
transport = "usb"
path = "/dev/usb/lp0"
width = 576
"#
    )
}

#[test]
fn a_provision_file_becomes_the_config_and_the_device_key_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (etc, data, fat) = (
        dir.path().join("etc"),
        dir.path().join("data"),
        dir.path().join("fat"),
    );
    for d in [&etc, &data, &fat] {
        std::fs::create_dir_all(d).unwrap();
    }
    // As on the image: the config in /etc is a link to a file on the data partition.
    std::os::unix::fs::symlink(data.join("config.toml"), etc.join("config.toml")).unwrap();
    let from = fat.join("waystation-provision.toml");
    std::fs::write(&from, provision_file(&dir.path().join("hub"))).unwrap();
    let info = fat.join("waystation-device.txt");

    let out = waystation(&[
        "--data-dir",
        data.to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        etc.to_str().unwrap(),
        "--remove-after",
        "--device-info",
        info.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("argon2") && !stderr.contains("argon2"),
        "the hash was printed"
    );

    // The link is still a link and the config behind it passes `config check`.
    assert!(
        std::fs::symlink_metadata(etc.join("config.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let config = std::fs::read_to_string(data.join("config.toml")).unwrap();
    assert!(!config.contains("argon2") && !config.contains("pin_hash"));
    assert!(config.contains("pudong-0042") && !config.contains("# The PIN"));
    let check = waystation(&["config", "check", etc.join("config.toml").to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("station pudong-0042"));

    // The device key printed is the one the kiosk keeps (`waystation device`).
    let device = waystation(&[
        "--config",
        etc.join("config.toml").to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "device",
        "--json",
    ]);
    assert!(device.status.success(), "{}", text(&device.stderr));
    let device: serde_json::Value = serde_json::from_slice(&device.stdout).unwrap();
    let key = device["public_key"].as_str().unwrap();
    assert!(stdout.contains(&format!("public key   {key}")), "{stdout}");
    assert!(stdout.contains(&format!(
        "waystation-hub devices add --data DIR --key {key} --station pudong-0042"
    )));
    assert!(stdout.contains(device["device_id"].as_str().unwrap()));
    assert_eq!(std::fs::read_to_string(&info).unwrap(), stdout);

    // The file, secrets and all, leaves the card once the kiosk has stored what it said.
    assert!(stdout.contains("staff PIN    stored"), "{stdout}");
    assert!(!from.exists(), "the provision file is still on the card");
    assert!(
        stdout.contains(&format!(
            "file         {}: removed once applied",
            from.display()
        )),
        "{stdout}"
    );
    let store = waystation::store::Store::open(&data).unwrap();
    assert_eq!(store.pin_hash().unwrap().as_deref(), Some(PIN_HASH));
    drop(store);

    // Later the field team changes a setting with a new file, without the secrets: the config
    // follows it, the device key stays, the PIN is still set, and that file goes too.
    let change = without_secrets(&provision_file(&dir.path().join("hub")))
        .replace("Test waystation", "Renamed waystation");
    std::fs::write(&from, change).unwrap();
    let again = waystation(&[
        "--data-dir",
        data.to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        etc.to_str().unwrap(),
        "--remove-after",
    ]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains(&format!("public key   {key}")));
    assert!(
        text(&again.stdout).contains("staff PIN    already set in the kiosk"),
        "{}",
        text(&again.stdout)
    );
    assert!(
        std::fs::read_to_string(data.join("config.toml"))
            .unwrap()
            .contains("Renamed waystation")
    );
    assert!(!from.exists());
}

/// A provision file with its `[secrets]` section left out.
fn without_secrets(file: &str) -> String {
    file.lines()
        .filter(|l| !l.contains("pin_hash") && *l != "[secrets]" && !l.starts_with("# The PIN"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn without_remove_after_the_file_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("p.toml");
    // As a field team checks a file on a laptop before it goes on a card.
    let plain = without_secrets(&provision_file(&dir.path().join("hub")));
    std::fs::write(&from, &plain).unwrap();
    let out = waystation(&[
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("file         {}: kept\n", from.display())),
        "{}",
        text(&out.stdout)
    );
    // A kiosk without any PIN says so plainly: its staff mode cannot be opened.
    assert!(
        text(&out.stdout).contains("staff PIN    NOT SET"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read_to_string(&from).unwrap(), plain);
    assert!(dir.path().join("config.toml").is_file());
}

#[test]
fn a_bad_provision_file_is_one_line_naming_its_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("p.toml");
    let bad = provision_file(&dir.path().join("hub")).replace("width = 576", "width = 500");
    std::fs::write(&from, bad).unwrap();
    let out = waystation(&[
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("p.toml:24:"), "{err}");
    assert!(!err.contains("argon2"), "{err}");
    assert!(!dir.path().join("config.toml").exists());
    assert!(!dir.path().join("data").exists());
}

/// The provision file of [`provision_file`] with Wi-Fi, a modem and its own time servers.
fn with_network(hub_dir: &Path, passphrase: Option<&str>) -> String {
    let mut text = provision_file(hub_dir).replace(
        "[secrets]\n",
        &format!(
            "[secrets]\n{}",
            passphrase.map_or(String::new(), |p| format!("wifi_passphrase = \"{p}\"\n"))
        ),
    );
    text.push_str(
        "\n[network]\nwifi_ssid = \"驿站-WiFi\"\nmodem_apn = \"cmnet\"\nntp = [\"ntp.aliyun.com\", \"time.example.org\"]\n",
    );
    text
}

/// Runs `waystation provision` as the image's boot service does.
fn provision(data: &Path, etc: &Path, from: &Path) -> Output {
    waystation(&[
        "--data-dir",
        data.to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        etc.to_str().unwrap(),
        "--remove-after",
    ])
}

#[test]
fn the_network_section_becomes_system_files_and_the_passphrase_stays_in_one_root_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (etc, data) = (dir.path().join("etc"), dir.path().join("data"));
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let from = dir.path().join("waystation-provision.toml");
    let passphrase = "a long wifi passphrase";
    let hub = dir.path().join("hub");
    std::fs::write(&from, with_network(&hub, Some(passphrase))).unwrap();

    let out = provision(&data, &etc, &from);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "network      wired, Wi-Fi \"驿站-WiFi\", 4G modem (APN cmnet); time from ntp.aliyun.com time.example.org"
        ),
        "{stdout}"
    );
    let network = data.join("network");
    let read = |name: &str| std::fs::read_to_string(network.join(name)).unwrap();
    let supplicant = network.join("wpa_supplicant-wlan0.conf");
    assert!(read("wpa_supplicant-wlan0.conf").contains(&format!("psk=\"{passphrase}\"")));
    assert_eq!(
        std::fs::metadata(&supplicant).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(read("timesyncd.conf").contains("NTP=ntp.aliyun.com time.example.org"));
    assert!(read("modem.env").contains("WAYSTATION_MODEM_APN=cmnet"));
    assert!(read("30-wifi.network").contains("Type=wlan"));
    // The passphrase is nowhere else: not in the config or the output, and the file is gone.
    for elsewhere in [
        std::fs::read_to_string(etc.join("config.toml")).unwrap(),
        stdout.clone(),
        text(&out.stderr),
    ] {
        assert!(!elsewhere.contains(passphrase), "{elsewhere}");
    }
    assert!(!from.exists());

    // A later file for the same network need not repeat the passphrase: the Wi-Fi stays.
    let same_network = with_network(&hub, None);
    std::fs::write(&from, &same_network).unwrap();
    let again = provision(&data, &etc, &from);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(read("wpa_supplicant-wlan0.conf").contains(&format!("psk=\"{passphrase}\"")));

    // Another network without its passphrase is refused, nothing is changed, and the file
    // stays on the card to be mended.
    let config_before = std::fs::read_to_string(etc.join("config.toml")).unwrap();
    std::fs::write(&from, same_network.replace("驿站-WiFi", "another-network")).unwrap();
    let refused = provision(&data, &etc, &from);
    assert_eq!(refused.status.code(), Some(2));
    assert!(from.exists());
    let error = text(&refused.stderr);
    assert!(error.contains("wifi_passphrase is not"), "{error}");
    assert_eq!(error.trim().lines().count(), 1, "{error}");
    assert_eq!(
        std::fs::read_to_string(etc.join("config.toml")).unwrap(),
        config_before
    );
    assert!(read("wpa_supplicant-wlan0.conf").contains("psk="));

    // Wi-Fi and modem taken out of the file: their files go.
    let wired = std::fs::read_to_string(&from)
        .unwrap()
        .replace("wifi_ssid = \"another-network\"\n", "")
        .replace("modem_apn = \"cmnet\"\n", "");
    std::fs::write(&from, wired).unwrap();
    let out = provision(&data, &etc, &from);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut left: Vec<String> = std::fs::read_dir(&network)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["timesyncd.conf"]);
}

/// The image's `waystation-network-setup`, run against a folder standing in for `/`, with
/// `networkctl` and `systemctl` replaced by scripts that note what they were asked.
#[test]
fn the_image_installs_the_provisioned_network_files_and_starts_what_they_need() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let network = root.join("var/lib/waystation/network");
    std::fs::create_dir_all(&network).unwrap();
    let config: waystation::config::Network = toml::from_str(
        "wifi_ssid = \"station\"\nmodem_apn = \"3gnet\"\nntp = [\"ntp.tencent.com\"]\n",
    )
    .unwrap();
    let files = waystation::network::system_files(
        &config,
        waystation::network::WifiSecret::Given("a passphrase"),
    )
    .unwrap();
    for file in &files {
        std::fs::write(network.join(file.name), &file.text).unwrap();
    }
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.path().join("calls");
    for tool in ["networkctl", "systemctl"] {
        let script = bin.join(tool);
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"{tool} $*\" >> {}\n", calls.display()),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let setup = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/image/rootfs/usr/local/sbin/waystation-network-setup"
    );
    let run = || {
        let out = Command::new("sh")
            .arg(setup)
            .env("WAYSTATION_ROOT", &root)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    run();
    let installed = |path: &str| root.join(path.trim_start_matches('/'));
    let supplicant = installed("/etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
    assert_eq!(
        std::fs::metadata(&supplicant).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for path in [
        "/etc/systemd/timesyncd.conf.d/waystation.conf",
        "/etc/systemd/network/30-wifi.network",
        "/etc/systemd/network/40-modem.network",
    ] {
        assert!(installed(path).is_file(), "{path}");
    }
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "networkctl reload\nsystemctl try-restart systemd-timesyncd.service\n\
         systemctl start wpa_supplicant@wlan0.service\nsystemctl start waystation-modem.service\n"
    );
    // Provisioned again without Wi-Fi or modem: their files leave /etc, nothing is started.
    for name in [
        waystation::network::WIFI_SUPPLICANT,
        waystation::network::WIFI_NETWORK,
        waystation::network::MODEM_NETWORK,
        waystation::network::MODEM_SETTINGS,
    ] {
        std::fs::remove_file(network.join(name)).unwrap();
    }
    std::fs::remove_file(&calls).unwrap();
    run();
    assert!(!supplicant.exists());
    assert!(!installed("/etc/systemd/network/40-modem.network").exists());
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "networkctl reload\nsystemctl try-restart systemd-timesyncd.service\n"
    );
}

#[test]
fn the_boot_partition_gets_the_result_and_is_written_only_when_it_changes() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (etc, data, fat) = (
        dir.path().join("etc"),
        dir.path().join("data"),
        dir.path().join("fat"),
    );
    for d in [&etc, &data, &fat] {
        std::fs::create_dir_all(d).unwrap();
    }
    let from = fat.join("waystation-provision.toml");
    let (info, result) = (
        fat.join("waystation-device.txt"),
        fat.join("waystation-provision-result.txt"),
    );
    let boot = || {
        waystation(&[
            "--data-dir",
            data.to_str().unwrap(),
            "provision",
            "--from",
            from.to_str().unwrap(),
            "--etc",
            etc.to_str().unwrap(),
            "--remove-after",
            "--device-info",
            info.to_str().unwrap(),
            "--result",
            result.to_str().unwrap(),
        ])
    };
    let file = provision_file(&dir.path().join("hub"));
    std::fs::write(&from, &file).unwrap();
    assert!(boot().status.success());
    let said = std::fs::read_to_string(&result).unwrap();
    assert!(said.starts_with("ok\nstation      pudong-0042\n"), "{said}");
    assert!(
        !from.exists(),
        "the provision file was not taken off the card"
    );
    // The same file put back: the kiosk already says all it says, so the report files are not
    // written again (a rewrite would be a new file); only the provision file goes.
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    let (info_file, result_file) = (inode(&info), inode(&result));
    std::fs::write(&from, &file).unwrap();
    assert!(boot().status.success());
    assert_eq!(inode(&info), info_file, "waystation-device.txt rewritten");
    assert_eq!(inode(&result), result_file, "the result rewritten");
    assert!(!from.exists());

    // A mistake: the result says so, with the file and line, and the exit status too; the
    // file stays for the field team to mend.
    let line = 1 + file.lines().position(|l| l == "width = 576").unwrap();
    std::fs::write(&from, file.replace("width = 576", "width = \"wide\"")).unwrap();
    let out = boot();
    assert_eq!(out.status.code(), Some(2));
    assert!(from.exists());
    let said = std::fs::read_to_string(&result).unwrap();
    let mut lines = said.lines();
    assert_eq!(lines.next(), Some("error"));
    let error = lines.next().unwrap();
    assert!(
        error.starts_with(&format!("{}:{line}:", from.display())),
        "{said}"
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn the_remote_help_key_made_by_the_image_is_written_beside_the_device_key() {
    let dir = tempfile::tempdir().unwrap();
    let (etc, data, fat) = (
        dir.path().join("etc"),
        dir.path().join("data"),
        dir.path().join("fat"),
    );
    for d in [&etc, &data, &fat, &data.join("remote-help")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let jump_key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtSJIDA5TRR/SvyIhGj4+VYe9Nl8nemsKyJ8spatEOr";
    let root_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyK1hjb3Mq2Lw2bWs6F4mG6S0u0qg6u9wYb6F6H9vXb waystation-remote-help";
    // As waystation-system-setup leaves it at boot, before provisioning.
    std::fs::write(
        data.join("remote-help/client-key.pub"),
        format!("{root_key}\n"),
    )
    .unwrap();
    let from = fat.join("waystation-provision.toml");
    let file = format!(
        "{}\n[remote_help]\njump_host = \"jump.example.org\"\njump_user = \"waystation-tunnel\"\njump_host_key = \"{jump_key}\"\n",
        provision_file(&dir.path().join("hub"))
    );
    std::fs::write(&from, file).unwrap();
    let info = fat.join("waystation-device.txt");
    let out = waystation(&[
        "--data-dir",
        data.to_str().unwrap(),
        "provision",
        "--from",
        from.to_str().unwrap(),
        "--etc",
        etc.to_str().unwrap(),
        "--device-info",
        info.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&info).unwrap();
    assert!(
        written.contains(&format!(
            "remote help  jump host waystation-tunnel@jump.example.org:22; root's key for it: {root_key}\n"
        )),
        "{written}"
    );
}
