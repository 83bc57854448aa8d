//! `waystation remote-help plan`: root's `waystation-remote-help` hands it the request file
//! the kiosk wrote, and gets back the tunnel's end and the ssh command line, built and checked
//! here (`crate::remote_help`) rather than in shell, so that nothing the kiosk's user wrote
//! reaches ssh unchecked. It also writes root's known_hosts file with the jump host's key.

use std::path::Path;

use super::{Failure, bad_input};
use crate::remote_help::{Request, known_hosts, ssh_args};

/// The longest request file read: a real one is about 250 bytes.
const MOST_BYTES: u64 = 4096;

/// Reads the request as root would: never through a symbolic link, only a plain file, and
/// only its first few KiB, since the kiosk's user chose what is at that path.
fn read_request(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a plain file"));
    }
    let mut text = String::new();
    file.take(MOST_BYTES).read_to_string(&mut text)?;
    Ok(text)
}

/// Prints the tunnel's end (seconds since the epoch) on the first line and then ssh's
/// arguments, one a line (no value can hold a line break: each was checked).
pub(super) fn plan(
    request: &Path,
    identity: &Path,
    known_hosts_file: &Path,
) -> Result<(), Failure> {
    let text = read_request(request)
        .map_err(|e| bad_input(format!("cannot read {}: {e}", request.display())))?;
    let request =
        Request::parse(&text).map_err(|e| bad_input(format!("{}: {e}", request.display())))?;
    waystation_durable::write_atomically(
        known_hosts_file,
        known_hosts(&request.jump).as_bytes(),
        Some(0o600),
    )
    .map_err(|e| Failure::from(e.to_string()))?;
    outln!("{}", request.until.timestamp())?;
    for arg in ssh_args(&request, identity, known_hosts_file) {
        outln!("{arg}")?;
    }
    Ok(())
}
