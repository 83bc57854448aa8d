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
/// partition `sda1`, as the kernel lays it out) and a `mount`/`umount` that log their
/// arguments and succeed unless told `fail`.
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
    for (name, result) in [("mount", mount_result), ("umount", "ok")] {
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
    assert!(
        mounted.starts_with("mount -t vfat,exfat -o nodev,nosuid,noexec,noatime,"),
        "{mounted}"
    );
    assert!(mounted.contains("umask=0077 /dev/sda1 "), "{mounted}");
    assert!(!mounted.contains("umount"), "{mounted}");
    std::fs::remove_file(&request).unwrap();
    wait_for(&root, 7, Stick::Unmounted);
    assert!(finished(&mut child));
    assert!(log(&root).contains(&format!("umount {}", root.data.join("mnt").display())));
}

#[test]
fn no_stick_or_one_that_will_not_mount_is_a_failure_with_its_reason() {
    use waystation::usb_stick::Stick;
    let root = machine(false, "ok");
    let request = ask(&root, 3);
    let mut child = start(&root);
    wait_for(&root, 3, Stick::Failed);
    assert!(status(&root).unwrap().detail.contains("no USB stick"));
    std::fs::remove_file(&request).unwrap();
    assert!(finished(&mut child));
    assert!(log(&root).is_empty(), "nothing mounted: {}", log(&root));

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
