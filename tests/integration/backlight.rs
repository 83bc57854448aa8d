//! Night dimming end to end: the kiosk's tick asking its backlight for levels through a night
//! and a visit, and root's `waystation-backlight` applying the kiosk's request file to a
//! stand-in for /sys/class/backlight.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use waystation::backlight::FakeBacklight;
use waystation::config::Config;

use crate::ui::{kiosk_with, shown, touch, wait};

/// The demo station with night hours around the fake clock's moment (02:13 station time).
fn night_config(start: &str, end: &str) -> Config {
    let text = format!(
        "{}\n[screen.night]\nstart = \"{start}\"\nend = \"{end}\"\nbrightness_percent = 30\n",
        waystation::config::DEMO_CONFIG
    );
    Config::parse(&text, "night.toml").unwrap()
}

#[test]
fn the_attract_screen_dims_at_night_a_visit_is_bright_and_the_wipe_dims_again() {
    let (kiosk, clock) = kiosk_with(night_config("22:00", "06:00"));
    let backlight = FakeBacklight::default();
    kiosk.attach_backlight(Box::new(backlight.clone()));
    kiosk.tick_idle();
    kiosk.tick_idle();
    assert_eq!(
        backlight.levels(),
        vec![30],
        "dimmed once, not once per tick"
    );
    touch(&kiosk, "点击开始");
    kiosk.tick_idle();
    assert_ne!(shown(&kiosk), waystation::ui::Screen::Attract);
    assert_eq!(backlight.levels(), vec![30, 100]);
    // Nobody touches the screen: the idle countdown runs out and the session is wiped.
    for _ in 0..4 {
        wait(&clock, Duration::from_secs(60));
        kiosk.tick_idle();
    }
    assert_eq!(shown(&kiosk), waystation::ui::Screen::Attract);
    assert_eq!(backlight.levels(), vec![30, 100, 30]);
}

#[test]
fn by_day_or_without_night_hours_nothing_is_dimmed() {
    let (kiosk, _clock) = kiosk_with(night_config("08:00", "20:00"));
    let backlight = FakeBacklight::default();
    kiosk.attach_backlight(Box::new(backlight.clone()));
    kiosk.tick_idle();
    kiosk.tick_idle();
    assert_eq!(backlight.levels(), vec![100]);
}

/// A stand-in for /sys with backlights whose largest levels are `maxima`, each a link in
/// class/backlight to its device's folder, as the kernel lays them out.
fn fake_sysfs(root: &Path, maxima: &[(&str, u32)]) {
    std::fs::create_dir_all(root.join("class/backlight")).unwrap();
    for (name, max) in maxima {
        let device = root
            .join("devices/platform")
            .join(name)
            .join("backlight")
            .join(name);
        std::fs::create_dir_all(&device).unwrap();
        std::fs::write(device.join("max_brightness"), format!("{max}\n")).unwrap();
        std::fs::write(device.join("brightness"), format!("{max}\n")).unwrap();
        std::os::unix::fs::symlink(&device, root.join("class/backlight").join(name)).unwrap();
    }
}

fn brightness(root: &Path, name: &str) -> String {
    let path = root.join("class/backlight").join(name).join("brightness");
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

fn apply(data: &Path, sysfs: &Path) -> std::process::Output {
    let script: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "deploy/image/rootfs/usr/local/sbin/waystation-backlight",
    ]
    .iter()
    .collect();
    Command::new("bash")
        .arg(script)
        .arg("apply")
        .env("WAYSTATION_DATA", data)
        .env("WAYSTATION_SYSFS", sysfs)
        .output()
        .unwrap()
}

#[test]
fn root_sets_every_backlight_to_the_requested_share_of_its_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let (data, sysfs) = (dir.path().join("data"), dir.path().join("sys"));
    fake_sysfs(&sysfs, &[("rpi_backlight", 255), ("10-0045", 31)]);
    let folder = data.join(waystation::backlight::FOLDER);
    let level = |p| waystation::kiosk::backlight::Percent::new(p).unwrap();
    waystation::backlight::write_request(&folder, level(30)).unwrap();
    let out = apply(&data, &sysfs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 30 % of 255 is 76.5 and of 31 is 9.3: rounded up, never down to dark.
    assert_eq!(brightness(&sysfs, "rpi_backlight"), "77");
    assert_eq!(brightness(&sysfs, "10-0045"), "10");
    waystation::backlight::write_request(&folder, waystation::kiosk::backlight::Percent::FULL)
        .unwrap();
    assert!(apply(&data, &sysfs).status.success());
    assert_eq!(brightness(&sysfs, "rpi_backlight"), "255");
    assert_eq!(brightness(&sysfs, "10-0045"), "31");
}

#[test]
fn root_changes_nothing_for_a_request_that_is_not_a_level() {
    let dir = tempfile::tempdir().unwrap();
    let (data, sysfs) = (dir.path().join("data"), dir.path().join("sys"));
    fake_sysfs(&sysfs, &[("panel", 200)]);
    let request = data.join("backlight/level");
    std::fs::create_dir_all(request.parent().unwrap()).unwrap();
    for text in [
        "0\n",
        "101\n",
        "-5\n",
        "abc\n",
        "",
        "1e2\n",
        "30; reboot\n",
        "99999\n",
    ] {
        std::fs::write(&request, text).unwrap();
        let out = apply(&data, &sysfs);
        assert!(out.status.success(), "{text:?}");
        assert_eq!(brightness(&sysfs, "panel"), "200", "{text:?}");
    }
    // A link in place of the request is not followed, even to a good number.
    std::fs::remove_file(&request).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "20\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &request).unwrap();
    assert!(apply(&data, &sysfs).status.success());
    assert_eq!(brightness(&sysfs, "panel"), "200");
    // No request at all, and no backlight at all: nothing to do, and no failure.
    std::fs::remove_file(&request).unwrap();
    assert!(apply(&data, &sysfs).status.success());
    let empty = dir.path().join("empty-sys");
    std::fs::create_dir_all(empty.join("class/backlight")).unwrap();
    std::fs::write(&request, "30\n").unwrap();
    assert!(apply(&data, &empty).status.success());
}
