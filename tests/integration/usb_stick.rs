//! Root's `waystation-usb-stick` against a stand-in for /sys and a logging `mount`: the stick's
//! first partition mounted nodev, nosuid, noexec while the kiosk's request stands, then synced,
//! unmounted and said to be safe; no stick, a failed mount and a stale request.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

struct Root {
    _dir: tempfile::TempDir,
    data: PathBuf,
    sysfs: PathBuf,
    log: PathBuf,
    bin: PathBuf,
}

/// A stand-in for the machine: a data folder, /sys with `sticks` (a USB disk `sda` with a
/// partition `sda1`, as the kernel lays it out) and a `mount`/`umount`/`modprobe` that log
/// their arguments and succeed (but `mount` fails when told `fail`).
fn machine(stick: bool, mount_result: &str) -> Root {
    let dir = tempfile::tempdir().unwrap();
    let (data, sysfs, bin) = (
        dir.path().join("data"),
        dir.path().join("sys"),
        dir.path().join("bin"),
    );
    let log = dir.path().join("log");
    std::fs::create_dir_all(data.join("usb-stick")).unwrap();
    std::fs::create_dir_all(sysfs.join("class/block")).unwrap();
    // The SD card is never a stick.
    let mmc = sysfs.join("devices/platform/emmc2/mmc_host/mmc0/block/mmcblk0");
    std::fs::create_dir_all(&mmc).unwrap();
    std::os::unix::fs::symlink(&mmc, sysfs.join("class/block/mmcblk0")).unwrap();
    if stick {
        let disk = sysfs.join("devices/platform/scb/pcie/usb2/2-1/2-1:1.0/host0/block/sda");
        std::fs::create_dir_all(disk.join("sda1")).unwrap();
        std::fs::write(disk.join("sda1/partition"), "1\n").unwrap();
        std::os::unix::fs::symlink(&disk, sysfs.join("class/block/sda")).unwrap();
        std::os::unix::fs::symlink(disk.join("sda1"), sysfs.join("class/block/sda1")).unwrap();
    }
    std::fs::create_dir_all(&bin).unwrap();
    for (name, result) in [
        ("mount", mount_result),
        ("umount", "ok"),
        ("modprobe", "ok"),
    ] {
        let script = format!(
            "#!/bin/sh\necho \"{name} $*\" >>'{}'\n[ {result} = ok ] || {{ echo 'unknown filesystem type ntfs' >&2; exit 32; }}\n",
            log.display()
        );
        std::fs::write(bin.join(name), script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    Root {
        _dir: dir,
        data,
        sysfs,
        log,
        bin,
    }
}

fn start(root: &Root) -> Child {
    let script: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "deploy/image/rootfs/usr/local/sbin/waystation-usb-stick",
    ]
    .iter()
    .collect();
    Command::new("bash")
        .arg(script)
        .arg("run")
        .env("WAYSTATION_DATA", &root.data)
        .env("WAYSTATION_SYSFS", &root.sysfs)
        .env("WAYSTATION_DEV", "/dev")
        .env("WAYSTATION_USB_MOUNT", root.data.join("mnt"))
        .env("WAYSTATION_MOUNT", root.bin.join("mount"))
        .env("WAYSTATION_UMOUNT", root.bin.join("umount"))
        .env("WAYSTATION_MODPROBE", root.bin.join("modprobe"))
        .env("WAYSTATION_ROOT_SOURCE", "/dev/mmcblk0p2")
        .env("WAYSTATION_USB_WAIT_S", "2")
        .env("WAYSTATION_USB_MAX_S", "20")
        .spawn()
        .unwrap()
}

fn status(root: &Root) -> Option<waystation::usb_stick::RootStatus> {
    let text = std::fs::read_to_string(root.data.join("usb-stick/status")).ok()?;
    waystation::usb_stick::RootStatus::parse(&text)
}

/// Waits up to ten seconds for root's status to say `stick` about request `id`.
fn wait_for(root: &Root, id: u32, stick: waystation::usb_stick::Stick) {
    let seen = (0..1000).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        status(root).is_some_and(|s| s.request == id && s.stick == stick)
    });
    assert!(
        seen,
        "never {stick:?} for {id}; last status {:?}",
        status(root)
    );
}

fn ask(root: &Root, id: u32) -> PathBuf {
    let request = root.data.join("usb-stick/request");
    std::fs::write(&request, waystation::usb_stick::request_text(id)).unwrap();
    request
}

fn log(root: &Root) -> String {
    std::fs::read_to_string(&root.log).unwrap_or_default()
}

fn finished(child: &mut Child) -> bool {
    (0..1000).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        child.try_wait().unwrap().is_some()
    })
}

#[test]
fn the_first_partition_is_mounted_safely_while_asked_then_unmounted() {
    use waystation::usb_stick::Stick;
    let root = machine(true, "ok");
    let request = ask(&root, 7);
    let mut child = start(&root);
    wait_for(&root, 7, Stick::Mounted);
    let mounted = log(&root);
    // The storage drivers, refused the rest of the time, are loaded by name first.
    assert!(
        mounted.starts_with(
            "modprobe -a usb_storage uas\nmount -t vfat,exfat -o nodev,nosuid,noexec,noatime,"
        ),
        "{mounted}"
    );
    assert!(mounted.contains("umask=0077 /dev/sda1 "), "{mounted}");
    assert!(!mounted.contains("umount"), "{mounted}");
    std::fs::remove_file(&request).unwrap();
    wait_for(&root, 7, Stick::Unmounted);
    assert!(finished(&mut child));
    let unmounted = log(&root);
    assert!(
        unmounted.ends_with(&format!(
            "umount {}\nmodprobe -r -a uas usb_storage\n",
            root.data.join("mnt").display()
        )),
        "unmounted, then the drivers unloaded: {unmounted}"
    );
}

#[test]
fn no_stick_or_one_that_will_not_mount_is_a_failure_with_its_reason() {
    use waystation::usb_stick::Stick;
    let root = machine(false, "ok");
    let request = ask(&root, 3);
    let mut child = start(&root);
    wait_for(&root, 3, Stick::Missing);
    assert!(status(&root).unwrap().detail.contains("no USB stick"));
    std::fs::remove_file(&request).unwrap();
    assert!(finished(&mut child));
    assert_eq!(
        log(&root),
        "modprobe -a usb_storage uas\nmodprobe -r -a uas usb_storage\n",
        "nothing mounted, the drivers unloaded again"
    );

    let root = machine(true, "fail");
    let request = ask(&root, 4);
    let mut child = start(&root);
    wait_for(&root, 4, Stick::Failed);
    assert!(
        status(&root)
            .unwrap()
            .detail
            .contains("unknown filesystem type ntfs")
    );
    std::fs::remove_file(&request).unwrap();
    assert!(finished(&mut child));
    assert!(log(&root).ends_with("modprobe -r -a uas usb_storage\n"));
}

#[test]
fn a_request_already_answered_is_removed_not_mounted_again() {
    let root = machine(true, "ok");
    let request = ask(&root, 9);
    std::fs::write(
        root.data.join("usb-stick/status"),
        "{\"request\": 9, \"stick\": \"unmounted\", \"detail\": \"safe to remove\"}\n",
    )
    .unwrap();
    let mut child = start(&root);
    assert!(finished(&mut child));
    assert!(!request.exists());
    assert!(log(&root).is_empty());
}

#[test]
fn a_request_that_is_not_one_is_removed_and_nothing_mounted() {
    let root = machine(true, "ok");
    let request = root.data.join("usb-stick/request");
    std::fs::write(&request, "export 1; reboot\n").unwrap();
    let mut child = start(&root);
    assert!(finished(&mut child));
    assert!(!request.exists());
    assert!(log(&root).is_empty());
    assert!(status(&root).is_none());
}

/// A kiosk whose data folder is `root`'s, sealing to a centre key as a configured kiosk does,
/// with the station PIN set and staff signed in, and root's mount point where the test's
/// `mount` leaves it (a folder).
fn staff_at_kiosk(root: &Root) -> (waystation::Kiosk, waystation::clock::FakeClock) {
    use waystation::clock::FakeClock;
    let hub = tempfile::tempdir().unwrap();
    let centre = waystation_hub::keygen(hub.path()).unwrap();
    let mut config = waystation::config::Config::demo();
    config.hub = toml::from_str(&format!(
        "url = 'http://127.0.0.1:9/'\npublic_key = '{centre}'"
    ))
    .unwrap();
    let mut store = waystation::store::Store::open(&root.data).unwrap();
    store
        .enable_sealing(waystation_protocol::CentrePublicKey::from_base64(&centre).unwrap())
        .unwrap();
    let clock = FakeClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        true,
    );
    let hash = waystation::staff::pin::hash(crate::staff::PIN, [3; 16]).unwrap();
    let stamp = waystation::store::RecordStamp::now(&clock, &waystation::entropy::SystemEntropy);
    store.set_pin_hash(&hash, stamp.unwrap()).unwrap();
    let (kiosk, clock) = crate::ui::kiosk_on(config, store);
    kiosk.set_data_dir(root.data.clone());
    kiosk.set_usb_stick_mount(root.data.join("mnt"));
    crate::staff::hold_corner(&kiosk, &clock, Duration::from_secs(4));
    crate::staff::type_pin(&kiosk, crate::staff::PIN);
    assert_eq!(crate::ui::shown(&kiosk), waystation::ui::Screen::Staff);
    (kiosk, clock)
}

/// Presses Start export, then plays systemd's path unit: starts root's script once the
/// kiosk's request is there. Ticks the kiosk until the screen's first line is `until` (or
/// twenty seconds pass), and waits for the script to finish.
fn export_until(kiosk: &waystation::Kiosk, root: &Root, until: &str) {
    use crate::ui::{said_by, touch};
    touch(kiosk, "开始导出");
    let request = root.data.join("usb-stick/request");
    let mut script = None;
    for _ in 0..2000 {
        kiosk.tick_idle();
        if script.is_none() && request.exists() {
            script = Some(start(root));
        }
        if said_by(kiosk, "StaffUsbScreen::step") == until {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(said_by(kiosk, "StaffUsbScreen::step"), until);
    let mut script = script.expect("the kiosk asked root for a stick");
    assert!(finished(&mut script));
}

/// Staff's button, end to end with root's real script: the kiosk asks, root loads the drivers
/// and mounts the stick, the kiosk writes the export files on it and withdraws its request,
/// root unmounts the stick and unloads the drivers, and the screen says how many records are
/// on it and that it can be pulled out. The files are those `waystation-hub import` takes.
#[test]
fn the_staff_screen_s_usb_export_writes_the_records_and_says_when_to_pull_the_stick_out() {
    use crate::ui::{said_by, shown, touch, visible};
    let root = machine(true, "ok");
    let (kiosk, _clock) = staff_at_kiosk(&root);
    touch(&kiosk, "U盘导出");
    assert_eq!(shown(&kiosk), waystation::ui::Screen::StaffUsb);
    assert!(visible(&kiosk, "1. 按“开始导出”。"));
    // The two records waiting: the PIN set, and staff signing in.
    export_until(&kiosk, &root, "U盘上已有 2 条记录，现在可以拔出。");
    assert!(visible(&kiosk, "再导出一次"));
    let folder = root.data.join("mnt").join("waystation-export");
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
    assert_eq!(files.len(), 1, "{folder:?}");
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let file: waystation_protocol::ExportFile = serde_json::from_str(&text).unwrap();
    assert_eq!(file.format, waystation_protocol::wire::EXPORT_FORMAT);
    let steps: Vec<String> = log(&root)
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        ["modprobe", "mount", "umount", "modprobe"],
        "{}",
        log(&root)
    );
    assert!(!root.data.join("usb-stick/request").exists());
    assert_eq!(
        crate::staff::audit(&root.data),
        ["pin_set", "sign_in", "usb_export"]
    );
    assert_eq!(
        said_by(&kiosk, "StaffUsbScreen::advice"),
        "请把U盘交给服务中心，由中心导入其中的 waystation-export 文件夹（waystation-hub import）。"
    );
}

/// No stick put in while root waits: the screen says so in staff's words, and the next try
/// starts from the beginning.
#[test]
fn the_staff_screen_says_when_no_stick_came() {
    use crate::ui::{said_by, touch};
    let root = machine(false, "ok");
    let (kiosk, _clock) = staff_at_kiosk(&root);
    touch(&kiosk, "U盘导出");
    export_until(&kiosk, &root, "导出没有成功。");
    assert!(
        said_by(&kiosk, "StaffUsbScreen::advice").starts_with("两分钟内没有找到U盘"),
        "{}",
        said_by(&kiosk, "StaffUsbScreen::advice")
    );
    assert!(
        log(&root).lines().all(|l| l.starts_with("modprobe")),
        "{}",
        log(&root)
    );
    assert_eq!(
        crate::staff::audit(&root.data).last().map(String::as_str),
        Some("usb_export")
    );
}
