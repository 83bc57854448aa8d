//! Replacing a file so that whoever reads it, and whatever a power cut or a pulled USB stick
//! leaves behind, finds the old content or the new, never half of either.
//!
//! The kiosk (its config and device report at provisioning, export files for a USB stick, the
//! installed directory bundle) and the hub (its centre keys and the bundle it serves) both need
//! this, and they are separate crates. It is a crate of its own because the one they already
//! share, `waystation-protocol`, promises to do no I/O.
//!
//! The steps: a temporary file beside the target, written and synced; renamed over the target
//! (a rename within one folder is atomic); the folder synced, so that the rename itself is on
//! the disk; and on FAT and exFAT, which keep no journal (the boot partition of a kiosk, most
//! USB sticks), the whole file system synced as well.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A write that failed: what was being done, to which file, and why.
#[derive(Debug)]
pub struct WriteError {
    /// What failed: "write" (the new content), "replace" (the rename), "remove", "sync" (the
    /// folder or file system), or what a caller did around the write (e.g. "create" for a folder).
    pub action: &'static str,
    /// The file being replaced; never the temporary file, which nobody asked about.
    pub path: PathBuf,
    pub source: io::Error,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl WriteError {
    /// For `map_err`: the I/O error of `action` on `path`.
    fn at<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
        move |source| WriteError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Replaces `path` (or creates it) with `bytes`, so that a reader at any moment, and the disk
/// after a power cut at any moment, holds the old file or the new one whole. `mode` is the new
/// file's Unix permissions before the umask (`None`: 0o666, as `File::create`). The folder
/// must exist. On an error before the rename the old file is untouched and the temporary file
/// is removed; an error while syncing after it means the new file is in place but may not
/// survive a power cut.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), WriteError> {
    write_watched(path, bytes, mode, &mut |_| Ok(()))
}

/// Removes `path` so that a power cut afterwards cannot bring it back: the folder is synced, and
/// on FAT the whole file system (a provision file taken from the boot partition must stay gone,
/// or the next boot would apply it again). A file already gone is not an error.
pub fn remove_durably(path: &Path) -> Result<(), WriteError> {
    remove_watched(path, &mut |_| Ok(()))
}

fn remove_watched(
    path: &Path,
    after: &mut dyn FnMut(Step) -> io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |action| WriteError::at(action, path);
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(fail("remove")(e)),
    }
    after(Step::Removed).map_err(fail("remove"))?;
    sync_folder(folder_of(path), after).map_err(fail("sync"))
}

/// The steps of a write, declared (and so ordered) as they happen. The tests watch them, read
/// the target between them, and make each one fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Written,
    FileSynced,
    Renamed,
    /// (A removal's first step, in place of the three above.)
    Removed,
    FolderSynced,
    FileSystemSynced,
}

/// `write_atomically`, calling `after` once each step is done; an error from `after` counts
/// as that step failing.
fn write_watched(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    after: &mut dyn FnMut(Step) -> io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |action| WriteError::at(action, path);
    let folder = folder_of(path);
    let (temporary, mut file) = create_temporary(path, folder, mode).map_err(fail("write"))?;
    let placed = write_and_sync(&mut file, bytes, after)
        .map_err(fail("write"))
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temporary, path)
                .and_then(|()| after(Step::Renamed))
                .map_err(fail("replace"))
        });
    if placed.is_err() {
        // Gone already if the rename itself succeeded; otherwise it must not linger.
        let _ = std::fs::remove_file(&temporary);
        return placed;
    }
    sync_folder(folder, after).map_err(fail("sync"))
}

/// The folder a file is in; a bare file name is in the current folder.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// Opens a new temporary file beside `path`, hidden by its leading dot and named for this
/// process and a counter, so that two writers (a server and a command, or two threads) never
/// share one. `create_new` never opens someone else's file: a name already taken (left by an
/// earlier boot's process with the same id, as process ids repeat from boot to boot) is
/// skipped.
fn create_temporary(path: &Path, folder: &Path, mode: Option<u32>) -> io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
        .to_string_lossy();
    let mut taken = 0;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temporary = folder.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode.unwrap_or(0o666))
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && taken < 64 => taken += 1,
            Err(e) => return Err(e),
        }
    }
}

fn write_and_sync(
    file: &mut File,
    bytes: &[u8],
    after: &mut dyn FnMut(Step) -> io::Result<()>,
) -> io::Result<()> {
    file.write_all(bytes)?;
    after(Step::Written)?;
    file.sync_all()?;
    after(Step::FileSynced)
}

/// Makes the rename durable. Syncing the folder is enough on a journalling file system (ext4 on
/// the data partition, the hub's disk). It is not on FAT: in the image's smoke test a power cut
/// after it left a zero-length file on the boot partition. There, syncing the whole file system
/// (`syncfs`) writes the directory entries and the allocation table as well; FAT folders are
/// small and idle (a boot partition, a USB stick for an export), so that costs little, and it
/// is skipped elsewhere because on a busy disk it would wait for every other program's writes.
fn sync_folder(folder: &Path, after: &mut dyn FnMut(Step) -> io::Result<()>) -> io::Result<()> {
    let dir = File::open(folder)?;
    if !needs_syncfs(file_system_of(&dir)) {
        dir.sync_all()?;
        return after(Step::FolderSynced);
    }
    // Some FAT drivers refuse to sync a folder; syncfs below covers what it would have done.
    if dir.sync_all().is_ok() {
        after(Step::FolderSynced)?;
    }
    sync_file_system(&dir)?;
    after(Step::FileSystemSynced)
}

/// The `f_type` of FAT12/16/32 (msdos and vfat alike), from the kernel's `magic.h`.
const MSDOS_SUPER_MAGIC: i64 = 0x4d44;
/// The `f_type` of exFAT (USB sticks over 32 GB), from the kernel's exFAT driver.
const EXFAT_SUPER_MAGIC: i64 = 0x2011_bab0;

/// Whether a file system of this `f_type` needs `syncfs` to make a rename durable. `None`
/// (the type could not be read) does, to be safe.
fn needs_syncfs(kind: Option<i64>) -> bool {
    kind.is_none_or(|kind| kind == MSDOS_SUPER_MAGIC || kind == EXFAT_SUPER_MAGIC)
}

/// The `f_type` of the file system that holds `file`, or `None` if it cannot be read.
fn file_system_of(file: &File) -> Option<i64> {
    let mut stat = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: the descriptor is open for the whole call and `stat` is large enough for the
    // kernel's answer; fstatfs writes only into it.
    if unsafe { libc::fstatfs(file.as_raw_fd(), stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstatfs succeeded, so it filled `stat` (and zeroed memory is a valid statfs).
    let stat = unsafe { stat.assume_init() };
    // `f_type` is 32 bits wide on some targets and 64 on others.
    #[allow(clippy::unnecessary_cast)]
    Some(stat.f_type as i64)
}

/// Writes out everything pending on the file system that holds `file`.
fn sync_file_system(file: &File) -> io::Result<()> {
    // SAFETY: the descriptor is open for the whole call; syncfs only reads it.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests;
