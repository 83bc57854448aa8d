//! The transports: how job bytes reach a printer, and how its status answers come back.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{TIMEOUT, Transport};

/// A file (for development): one-way, so the status is always unknown.
pub struct FileTransport {
    file: std::fs::File,
}

impl FileTransport {
    pub fn open(path: &Path) -> io::Result<FileTransport> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(FileTransport { file })
    }
}

impl Transport for FileTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }
    fn ask(&mut self, _question: &[u8]) -> io::Result<Option<u8>> {
        Ok(None)
    }
}

/// A network printer on raw TCP (usually port 9100), two-way, with time-outs on connect,
/// read and write.
pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    pub fn connect(address: &str) -> io::Result<TcpTransport> {
        let addr = address.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no address for {address}"),
            )
        })?;
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        Ok(TcpTransport { stream })
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }
    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        self.stream.write_all(question)?;
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// Waits until `fd` is ready for `events` (POLLIN or POLLOUT), at most [`TIMEOUT`].
fn wait_for(fd: i32, events: i16) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd, and a bounded time-out.
    let n = unsafe { libc::poll(&mut pfd, 1, TIMEOUT.as_millis() as i32) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n > 0)
    }
}

/// A USB printer class device (`/dev/usb/lp0`), opened non-blocking so every read and write
/// waits at most [`TIMEOUT`]. Status answers come back on the same device.
pub struct DeviceTransport {
    file: std::fs::File,
}

impl DeviceTransport {
    pub fn open(path: &Path) -> io::Result<DeviceTransport> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        Ok(DeviceTransport { file })
    }
}

impl Transport for DeviceTransport {
    fn send(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if !wait_for(self.file.as_raw_fd(), libc::POLLOUT)? {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the printer did not take data in time",
                ));
            }
            match self.file.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        self.send(question)?;
        if !wait_for(self.file.as_raw_fd(), libc::POLLIN)? {
            return Ok(None);
        }
        let mut byte = [0u8; 1];
        match self.file.read(&mut byte) {
            Ok(1) => Ok(Some(byte[0])),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A serial or UART printer (on the Pi `/dev/serial0` or `/dev/ttyS0`; elsewhere a USB serial
/// adapter, `/dev/ttyUSB0`), through the kernel's own terminal interface: raw 8N1 at the
/// configured rate, reads that return after one byte or the time-out, writes that block until
/// the kernel has the bytes. (Not rppal's UART: rppal stays in the board's one file.)
pub struct SerialTransport {
    port: std::fs::File,
}

/// The termios speed constant for a rate; only the standard rates have one.
fn speed(baud: u32) -> io::Result<libc::speed_t> {
    Ok(match baud {
        1200 => libc::B1200,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19_200 => libc::B19200,
        38_400 => libc::B38400,
        57_600 => libc::B57600,
        115_200 => libc::B115200,
        230_400 => libc::B230400,
        460_800 => libc::B460800,
        921_600 => libc::B921600,
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{other} baud is not a standard serial rate (9600, 19200, 38400, 115200, …)"
                ),
            ));
        }
    })
}

impl SerialTransport {
    pub fn open(path: &Path, baud: u32) -> io::Result<SerialTransport> {
        use std::os::unix::fs::OpenOptionsExt;
        let speed = speed(baud)?;
        // O_NOCTTY: the printer's port must never become the kiosk's controlling terminal.
        let port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)?;
        let fd = port.as_raw_fd();
        // SAFETY: tcgetattr fills the zeroed struct we own from an open descriptor; the calls
        // after it only read that struct or hand it back to the same descriptor.
        unsafe {
            let mut tio: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut tio) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::cfmakeraw(&mut tio);
            tio.c_cflag |= libc::CLOCAL | libc::CREAD;
            tio.c_cflag &= !(libc::CSTOPB | libc::PARENB | libc::CRTSCTS);
            // A read waits up to the time-out (tenths of a second) for its first byte.
            tio.c_cc[libc::VMIN] = 0;
            tio.c_cc[libc::VTIME] = u8::try_from(TIMEOUT.as_millis() / 100).unwrap_or(u8::MAX);
            if libc::cfsetispeed(&mut tio, speed) != 0
                || libc::cfsetospeed(&mut tio, speed) != 0
                || libc::tcsetattr(fd, libc::TCSANOW, &tio) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(SerialTransport { port })
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)?;
        // Wait until the bytes have left, so that a status question asked next is answered
        // about this job, not before it.
        // SAFETY: tcdrain only waits on the open descriptor.
        if unsafe { libc::tcdrain(self.port.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        self.send(question)?;
        let mut byte = [0u8; 1];
        let n = self.port.read(&mut byte)?;
        Ok((n == 1).then_some(byte[0]))
    }
}

/// How the fake printer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeBehaviour {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    /// Never answers a status question (like a one-way cable).
    Silent,
    /// Answers with bytes that are not status bytes.
    Garbage,
    /// Ready, but stops taking data after this many bytes (the write times out).
    StopsAfter(usize),
}

/// A printer for tests: answers as told and keeps what it received.
#[derive(Clone)]
pub struct FakePrinter {
    behaviour: FakeBehaviour,
    received: Arc<Mutex<Vec<u8>>>,
}

impl FakePrinter {
    pub fn new(behaviour: FakeBehaviour) -> FakePrinter {
        FakePrinter {
            behaviour,
            received: Arc::default(),
        }
    }

    /// The job bytes received (status questions are not counted).
    pub fn received(&self) -> Vec<u8> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Transport for FakePrinter {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut received = self
            .received
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        if let FakeBehaviour::StopsAfter(limit) = self.behaviour
            && received.len() + bytes.len() > limit
        {
            // What a stalled printer looks like from here: the write waits, then times out.
            std::thread::sleep(Duration::from_millis(20));
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the printer timed out taking data",
            ));
        }
        received.extend_from_slice(bytes);
        Ok(())
    }

    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        let n = question.get(2).copied().unwrap_or(0);
        // Fixed bits of every status byte: bit 1 and bit 4.
        const BASE: u8 = 0x12;
        let answer = match (self.behaviour, n) {
            (FakeBehaviour::Silent, _) => return Ok(None),
            (FakeBehaviour::Garbage, _) => 0xff,
            (FakeBehaviour::CoverOpen | FakeBehaviour::Offline, 1) => BASE | 0x08,
            (FakeBehaviour::CoverOpen, 2) => BASE | 0x04,
            (FakeBehaviour::Offline, 2) => BASE | 0x40,
            (FakeBehaviour::PaperOut, 4) => BASE | 0x60,
            (FakeBehaviour::PaperNearEnd, 4) => BASE | 0x0c,
            _ => BASE,
        };
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::FromRawFd;

    use super::*;

    /// A pseudo-terminal pair: the kernel's own terminal driver, as a serial port has, with the
    /// test on the printer's end.
    fn pty() -> (std::fs::File, std::path::PathBuf) {
        // SAFETY: each call gets or checks the master descriptor we just opened; ptsname_r
        // writes a NUL-terminated name into the buffer we own, which is read only after it
        // succeeded; from_raw_fd takes the descriptor, which nothing else owns.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(
                master >= 0,
                "no pseudo-terminal: {}",
                io::Error::last_os_error()
            );
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let path = std::ffi::CStr::from_ptr(name.as_ptr())
                .to_str()
                .unwrap()
                .into();
            (std::fs::File::from_raw_fd(master), path)
        }
    }

    #[test]
    fn a_serial_printer_gets_the_job_unchanged_and_its_status_answer_comes_back() {
        let (mut printer, path) = pty();
        let mut port = SerialTransport::open(&path, 19_200).unwrap();
        // Raw mode: bytes a terminal would translate (CR, LF, ^C) pass as they are.
        let job = b"\x1b@\r\n\x03\x1dV\x00";
        port.send(job).unwrap();
        let mut got = [0u8; 8];
        printer.read_exact(&mut got).unwrap();
        assert_eq!(&got, job);
        printer.write_all(&[0x12]).unwrap();
        assert_eq!(port.ask(&[0x10, 0x04, 1]).unwrap(), Some(0x12));
        let mut question = [0u8; 3];
        printer.read_exact(&mut question).unwrap();
        assert_eq!(question, [0x10, 0x04, 1]);
    }

    #[test]
    fn a_silent_serial_printer_is_no_answer_after_the_time_out() {
        let (_printer, path) = pty();
        let mut port = SerialTransport::open(&path, 9600).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(port.ask(&[0x10, 0x04, 1]).unwrap(), None);
        assert!(started.elapsed() >= TIMEOUT - Duration::from_millis(200));
    }

    #[test]
    fn a_rate_with_no_standard_speed_is_refused_in_words() {
        let (_printer, path) = pty();
        let e = SerialTransport::open(&path, 12_345).err().unwrap();
        assert!(
            e.to_string().contains("12345 baud is not a standard"),
            "{e}"
        );
    }
}
