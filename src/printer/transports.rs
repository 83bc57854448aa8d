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

/// A serial or UART printer (on the Pi, e.g. `/dev/ttyS1` or `/dev/serial0`), through rppal's
/// UART. rppal is no longer maintained upstream, so it stays behind this one type.
pub struct SerialTransport {
    uart: rppal::uart::Uart,
}

impl SerialTransport {
    pub fn open(path: &Path, baud: u32) -> io::Result<SerialTransport> {
        let to_io = |e: rppal::uart::Error| io::Error::other(e.to_string());
        let mut uart = rppal::uart::Uart::with_path(path, baud, rppal::uart::Parity::None, 8, 1)
            .map_err(to_io)?;
        // Reads return after one byte or the time-out; writes wait until sent.
        uart.set_read_mode(0, TIMEOUT).map_err(to_io)?;
        uart.set_write_mode(true).map_err(to_io)?;
        Ok(SerialTransport { uart })
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = self
                .uart
                .write(bytes)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the printer did not take data",
                ));
            }
            bytes = &bytes[n..];
        }
        Ok(())
    }
    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        self.send(question)?;
        let mut byte = [0u8; 1];
        let n = self
            .uart
            .read(&mut byte)
            .map_err(|e| io::Error::other(e.to_string()))?;
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
