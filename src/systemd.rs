//! systemd's service notifications (the `sd_notify` protocol), written out here so the kiosk
//! needs neither libsystemd nor another crate.
//!
//! A `Type=notify` service is handed a datagram socket in `NOTIFY_SOCKET`; the service sends
//! newline-separated `KEY=VALUE` lines to it. The kiosk sends `READY=1` once its window is up,
//! `WATCHDOG=1` from its UI event loop (so a frozen screen stops the pings and systemd restarts
//! it) and `STOPPING=1` on its way out. Outside systemd (a developer's desktop, the tests, the
//! command line) there is no socket and every call here does nothing.
//!
//! The protocol is described in sd_notify(3) and in systemd's "Notification Socket" notes;
//! `WATCHDOG_USEC` and `WATCHDOG_PID` in sd_watchdog_enabled(3).

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Tells systemd the kiosk is up (its window is shown). Returns whether a message was sent.
pub fn ready() -> io::Result<bool> {
    notify("READY=1\nSTATUS=showing the kiosk")
}

/// One keep-alive ping for systemd's watchdog.
pub fn watchdog() -> io::Result<bool> {
    notify("WATCHDOG=1")
}

/// Tells systemd the kiosk is shutting down on purpose.
pub fn stopping() -> io::Result<bool> {
    notify("STOPPING=1\nSTATUS=stopping")
}

/// Sends `state` (lines of `KEY=VALUE`) to the socket named by `NOTIFY_SOCKET`, if any.
pub fn notify(state: &str) -> io::Result<bool> {
    match std::env::var_os("NOTIFY_SOCKET") {
        Some(socket) => notify_to(&socket, state).map(|()| true),
        None => Ok(false),
    }
}

/// How often systemd expects a watchdog ping, when it expects any at all. The caller should
/// ping at half this interval, as sd_watchdog_enabled(3) advises, so that one late tick does not
/// count as a hang.
pub fn watchdog_interval() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    watchdog_interval_from(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// The rule behind [`watchdog_interval`], with the environment passed in so it can be tested:
/// a positive `WATCHDOG_USEC`, and a `WATCHDOG_PID` that, when set, names this process (systemd
/// sets it so that a child which inherited the environment does not ping on its parent's
/// behalf).
pub fn watchdog_interval_from(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok()?;
    if usec == 0 {
        return None;
    }
    if let Some(pid) = pid {
        let pid: u32 = pid.trim().parse().ok()?;
        if pid != me {
            return None;
        }
    }
    Some(Duration::from_micros(usec))
}

/// Sends one notification datagram to `socket`: a path, or an abstract socket name written
/// with a leading `@` (systemd uses abstract names for some services and in containers).
pub fn notify_to(socket: &OsStr, state: &str) -> io::Result<()> {
    let bytes = socket.as_bytes();
    let address = match bytes.first() {
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "NOTIFY_SOCKET is empty",
            ));
        }
        Some(b'@') => abstract_address(&bytes[1..])?,
        Some(b'/') => SocketAddr::from_pathname(socket)?,
        Some(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "NOTIFY_SOCKET is neither an absolute path nor an abstract name (@...)",
            ));
        }
    };
    let sender = UnixDatagram::unbound()?;
    let sent = sender.send_to_addr(state.as_bytes(), &address)?;
    if sent != state.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the notification was cut short",
        ));
    }
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_address(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist only on Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receive(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).expect("a notification arrives");
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn a_notification_reaches_a_socket_at_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        notify_to(path.as_os_str(), "READY=1\nSTATUS=up").unwrap();
        assert_eq!(receive(&listener), "READY=1\nSTATUS=up");
        notify_to(path.as_os_str(), "WATCHDOG=1").unwrap();
        assert_eq!(receive(&listener), "WATCHDOG=1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_notification_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!(
            "waystation-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        );
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&address).unwrap();
        notify_to(OsStr::new(&format!("@{name}")), "STOPPING=1").unwrap();
        assert_eq!(receive(&listener), "STOPPING=1");
    }

    #[test]
    fn a_missing_listener_or_a_bad_name_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        assert!(notify_to(dir.path().join("nobody").as_os_str(), "READY=1").is_err());
        assert!(notify_to(OsStr::new(""), "READY=1").is_err());
        assert!(notify_to(OsStr::new("relative/path"), "READY=1").is_err());
    }

    #[test]
    fn the_watchdog_interval_follows_the_environment_rules() {
        let me = 4242;
        assert_eq!(watchdog_interval_from(None, None, me), None);
        assert_eq!(
            watchdog_interval_from(Some("30000000"), None, me),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            watchdog_interval_from(Some("30000000"), Some("4242"), me),
            Some(Duration::from_secs(30))
        );
        // Another process's watchdog (an inherited environment) is not ours to feed.
        assert_eq!(
            watchdog_interval_from(Some("30000000"), Some("1"), me),
            None
        );
        assert_eq!(watchdog_interval_from(Some("0"), None, me), None);
        assert_eq!(watchdog_interval_from(Some("soon"), None, me), None);
        assert_eq!(
            watchdog_interval_from(Some("30000000"), Some("x"), me),
            None
        );
    }

    #[test]
    fn without_systemd_nothing_is_sent() {
        // The test runner is not a notify service; if it ever runs under one, skip.
        if std::env::var_os("NOTIFY_SOCKET").is_none() {
            assert!(!ready().unwrap());
            assert!(!watchdog().unwrap());
            assert!(!stopping().unwrap());
        }
    }
}
