use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;

/// The files in `dir` whose names say they are temporary.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

/// The steps a write takes on the file system that holds `dir`.
fn expected_steps(dir: &Path) -> Vec<Step> {
    let mut steps = vec![
        Step::Written,
        Step::FileSynced,
        Step::Renamed,
        Step::FolderSynced,
    ];
    if needs_syncfs(file_system_of(&File::open(dir).unwrap())) {
        steps.push(Step::FileSystemSynced);
    }
    steps
}

#[test]
fn a_new_file_appears_whole_with_the_mode_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("centre.key");
    write_atomically(&path, b"secret\n", Some(0o600)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"secret\n");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn an_existing_file_is_replaced_by_a_new_one_not_rewritten_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "old, and longer than the new content\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::metadata(&path).unwrap().ino();
    write_atomically(&path, b"new\n", Some(0o600)).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
    let after = std::fs::metadata(&path).unwrap();
    // Another inode: the old file was swapped out, so no reader ever saw it half rewritten.
    assert_ne!(after.ino(), before);
    assert_eq!(after.permissions().mode() & 0o777, 0o600);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_file_named_without_a_folder_goes_in_the_current_one() {
    assert_eq!(folder_of(Path::new("bundle.json")), Path::new("."));
    assert_eq!(
        folder_of(Path::new("/data/bundle.json")),
        Path::new("/data")
    );
}

/// Between any two steps the target is the old file or the new one, whole; the folder is synced
/// after the rename, and nothing is left beside it.
#[test]
fn the_folder_is_synced_after_the_rename_and_a_reader_sees_old_or_new_between_steps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, "old").unwrap();
    let mut seen = Vec::new();
    write_watched(&path, b"new", None, &mut |step| {
        seen.push((step, std::fs::read_to_string(&path).unwrap()));
        Ok(())
    })
    .unwrap();
    let steps: Vec<Step> = seen.iter().map(|(step, _)| *step).collect();
    assert_eq!(steps, expected_steps(dir.path()));
    for (step, content) in &seen {
        let expected = if *step >= Step::Renamed { "new" } else { "old" };
        assert_eq!(content, expected, "after {step:?}");
    }
    assert!(leftovers(dir.path()).is_empty());
}

/// A failure at any step (a full disk, a pulled stick) leaves the old file whole if it came
/// before the rename, the new one whole if after, never a temporary file, and an error that
/// names the target and the step.
#[test]
fn a_failure_at_any_step_leaves_one_whole_file_and_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    for failing in expected_steps(dir.path()) {
        let path = dir.path().join(format!("{failing:?}.json"));
        std::fs::write(&path, "old").unwrap();
        let err = write_watched(&path, b"new", None, &mut |step| {
            if step == failing {
                Err(io::Error::other("injected"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        let (content, action) = match failing {
            Step::Written | Step::FileSynced => ("old", "write"),
            Step::Renamed => ("new", "replace"),
            Step::Removed => unreachable!("a write removes nothing"),
            Step::FolderSynced | Step::FileSystemSynced => ("new", "sync"),
        };
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            content,
            "{failing:?}"
        );
        assert_eq!(err.action, action, "{failing:?}");
        assert_eq!(err.path, path);
        assert_eq!(
            err.to_string(),
            format!("cannot {action} {}: injected", path.display())
        );
        assert!(leftovers(dir.path()).is_empty(), "{failing:?}");
    }
}

#[test]
fn a_missing_folder_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder").join("x.json");
    let err = write_atomically(&path, b"x", None).unwrap_err();
    assert_eq!(err.action, "write");
    assert_eq!(err.source.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("no-such-folder/x.json"), "{err}");
}

/// Versions of 64 KiB, each one byte repeated: any mix or truncation shows.
fn version(n: u8) -> Vec<u8> {
    vec![n; 64 * 1024]
}

fn assert_whole(bytes: &[u8]) {
    assert_eq!(bytes.len(), 64 * 1024, "a short read: half a file");
    assert!(bytes.iter().all(|b| *b == bytes[0]), "two versions mixed");
}

/// Another process reading while the file is replaced again and again only ever reads a
/// whole version. (Rewriting the file in place fails this at once.)
#[test]
fn a_reader_never_sees_half_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    write_atomically(&path, &version(0), None).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                assert_whole(&std::fs::read(&path).unwrap());
                reads += 1;
            }
            reads
        })
    };
    for n in 1..=40 {
        write_atomically(&path, &version(n), None).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(std::fs::read(&path).unwrap(), version(40));
}

/// Threads writing one file at the same time (the kiosk's uploader and a command, say) each
/// get their own temporary file, so every write succeeds and one of them is what stays.
#[test]
fn writers_at_the_same_time_never_share_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.signed.json");
    let writers: Vec<_> = (1..=6u8)
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    write_atomically(&path, &version(n), None).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_whole(&std::fs::read(&path).unwrap());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn fat_and_exfat_need_the_whole_file_system_synced_and_journalled_ones_do_not() {
    assert!(needs_syncfs(Some(0x4d44)), "FAT");
    assert!(needs_syncfs(Some(0x2011_bab0)), "exFAT");
    assert!(needs_syncfs(None), "unknown");
    assert!(!needs_syncfs(Some(0xef53)), "ext4");
    assert!(!needs_syncfs(Some(0x5846_5342)), "xfs");
    assert!(!needs_syncfs(Some(0x0102_1994)), "tmpfs");
}

#[test]
fn a_removed_file_is_gone_once_the_folder_is_synced_and_a_missing_one_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waystation-provision.toml");
    std::fs::write(&path, "[station]\n").unwrap();
    let mut seen = Vec::new();
    remove_watched(&path, &mut |step| {
        // Gone from the folder before the folder is synced, so the sync makes the removal last.
        assert!(!path.exists(), "{step:?}");
        seen.push(step);
        Ok(())
    })
    .unwrap();
    let mut expected = expected_steps(dir.path());
    expected.splice(0..3, [Step::Removed]);
    assert_eq!(seen, expected);
    remove_durably(&path).unwrap();
    // Anything else that stops the removal is named: here a folder in the file's place.
    std::fs::create_dir(&path).unwrap();
    let err = remove_durably(&path).unwrap_err();
    assert_eq!(err.action, "remove");
    assert!(
        err.to_string().contains("waystation-provision.toml"),
        "{err}"
    );
}
