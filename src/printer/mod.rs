//! The thermal printer: a small [`Transport`] trait (serial UART, USB printer class device,
//! raw TCP, a file, none, and a fake), the ESC/POS status questions (`DLE EOT n`), and one
//! print procedure with time-outs everywhere, so a dead printer never freezes the kiosk.
//!
//! A transport that cannot answer (a file, a one-way cable, a silent printer) reports
//! [`PrinterStatus::Unknown`], never "ready".

pub mod status;
mod transports;

use std::io;
use std::time::Duration;

pub use status::PrinterStatus;
pub use transports::{
    DeviceTransport, FakeBehaviour, FakePrinter, FileTransport, SerialTransport, TcpTransport,
};

/// The way bytes reach the printer.
pub trait Transport: Send {
    /// Sends all bytes or fails (a time-out is a failure).
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Sends a status question and waits (bounded) for the one-byte answer. `Ok(None)` when the
    /// transport cannot carry answers back.
    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>>;
}

const DLE_EOT: [u8; 2] = [0x10, 0x04];

/// Every real-time status byte has bit 1 and bit 4 set and bits 0 and 7 clear.
fn valid(byte: u8) -> bool {
    byte & 0x93 == 0x12
}

fn ask(t: &mut dyn Transport, n: u8) -> Option<u8> {
    match t.ask(&[DLE_EOT[0], DLE_EOT[1], n]) {
        Ok(Some(b)) if valid(b) => Some(b),
        _ => None,
    }
}

/// Asks the printer how it is (DLE EOT 1, then 2 or 4). Any silence or nonsense is Unknown.
pub fn status(t: &mut dyn Transport) -> PrinterStatus {
    let Some(printer) = ask(t, 1) else {
        return PrinterStatus::Unknown;
    };
    if printer & 0x08 != 0 {
        // Offline: ask why.
        return match ask(t, 2) {
            Some(cause) if cause & 0x04 != 0 => PrinterStatus::CoverOpen,
            Some(cause) if cause & 0x20 != 0 => PrinterStatus::PaperOut,
            Some(_) => PrinterStatus::Offline,
            None => PrinterStatus::Unknown,
        };
    }
    match ask(t, 4) {
        Some(paper) if paper & 0x60 != 0 => PrinterStatus::PaperOut,
        Some(paper) if paper & 0x0c != 0 => PrinterStatus::PaperNearEnd,
        Some(_) => PrinterStatus::Ready,
        None => PrinterStatus::Unknown,
    }
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintOutcome {
    /// Sent; the status after it (Unknown on one-way transports).
    Printed { after: PrinterStatus },
    /// Not sent, because the printer said it cannot print.
    NotReady(PrinterStatus),
    /// Sending failed part-way (a time-out or a broken connection).
    Failed(String),
    /// No printer is configured.
    NoPrinter,
}

impl PrintOutcome {
    /// Whether paper (probably) came out.
    pub fn printed(&self) -> bool {
        matches!(self, PrintOutcome::Printed { .. })
    }
}

/// Sends one job: status first (refusing a printer that says it cannot print), then the bytes
/// in chunks, then status again. Never retries: a slip printed late is a slip for nobody.
pub fn print(t: &mut dyn Transport, job: &[u8]) -> PrintOutcome {
    let before = status(t);
    if !before.may_print() {
        return PrintOutcome::NotReady(before);
    }
    for chunk in job.chunks(4096) {
        if let Err(e) = t.send(chunk) {
            return PrintOutcome::Failed(e.to_string());
        }
    }
    PrintOutcome::Printed { after: status(t) }
}

/// How the kiosk gets a connection to its printer for each job: from the config in the kiosk,
/// a fake in tests. Called on the printing thread, never on the UI thread.
pub type Opener = std::sync::Arc<dyn Fn() -> io::Result<Option<Box<dyn Transport>>> + Send + Sync>;

/// The opener for the configured printer.
pub fn opener(config: &crate::config::Printer) -> Opener {
    let config = config.clone();
    std::sync::Arc::new(move || open(&config))
}

/// An opener for tests and previews: a fake printer that behaves as told.
pub fn fake_opener(printer: FakePrinter) -> Opener {
    std::sync::Arc::new(move || Ok(Some(Box::new(printer.clone()) as Box<dyn Transport>)))
}

/// An opener for a kiosk without a printer.
pub fn no_printer() -> Opener {
    std::sync::Arc::new(|| Ok(None))
}

/// Opens the configured printer, or `None` when the kiosk has none.
pub fn open(config: &crate::config::Printer) -> io::Result<Option<Box<dyn Transport>>> {
    use crate::config::PrinterTransport as T;
    let path = || config.path.clone().unwrap_or_default();
    Ok(match config.transport {
        T::None => None,
        T::File => Some(Box::new(FileTransport::open(&path())?)),
        T::Usb => Some(Box::new(DeviceTransport::open(&path())?)),
        T::Serial => Some(Box::new(SerialTransport::open(&path(), config.baud.0)?)),
        T::Tcp => Some(Box::new(TcpTransport::connect(
            config.address.as_deref().unwrap_or_default(),
        )?)),
    })
}

/// Time allowed for any one exchange with the printer.
pub const TIMEOUT: Duration = Duration::from_secs(3);

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(b: FakeBehaviour) -> FakePrinter {
        FakePrinter::new(b)
    }

    #[test]
    fn a_ready_printer_prints_the_whole_job() {
        let mut p = fake(FakeBehaviour::Ready);
        let job = vec![7u8; 10_000];
        assert_eq!(
            print(&mut p, &job),
            PrintOutcome::Printed {
                after: PrinterStatus::Ready
            }
        );
        assert_eq!(p.received(), job);
    }

    #[test]
    fn paper_out_and_cover_open_refuse_the_job_and_send_nothing() {
        for (b, s) in [
            (FakeBehaviour::PaperOut, PrinterStatus::PaperOut),
            (FakeBehaviour::CoverOpen, PrinterStatus::CoverOpen),
        ] {
            let mut p = fake(b);
            assert_eq!(print(&mut p, b"slip"), PrintOutcome::NotReady(s));
            assert!(p.received().is_empty());
        }
    }

    #[test]
    fn paper_near_end_still_prints_and_says_so() {
        let mut p = fake(FakeBehaviour::PaperNearEnd);
        assert_eq!(
            print(&mut p, b"slip"),
            PrintOutcome::Printed {
                after: PrinterStatus::PaperNearEnd
            }
        );
    }

    #[test]
    fn a_silent_or_one_way_printer_is_unknown_never_ok() {
        let mut silent = fake(FakeBehaviour::Silent);
        assert_eq!(status(&mut silent), PrinterStatus::Unknown);
        assert_eq!(
            print(&mut silent, b"slip"),
            PrintOutcome::Printed {
                after: PrinterStatus::Unknown
            }
        );
        let mut garbage = fake(FakeBehaviour::Garbage);
        assert_eq!(status(&mut garbage), PrinterStatus::Unknown);
    }

    #[test]
    fn a_printer_that_stops_answering_mid_job_fails_the_job() {
        let mut p = fake(FakeBehaviour::StopsAfter(5000));
        match print(&mut p, &vec![1u8; 20_000]) {
            PrintOutcome::Failed(reason) => assert!(reason.contains("timed out"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    /// A printer on loopback TCP that answers every status question "ready" (0x12) and keeps
    /// the rest; the job must not contain DLE EOT itself, which a real printer would not
    /// mistake inside raster data but this little server would.
    fn loopback_printer() -> (String, std::thread::JoinHandle<Vec<u8>>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut job = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                job.extend_from_slice(&buf[..n]);
                while let Some(at) = job.windows(2).position(|w| w == DLE_EOT) {
                    if job.len() < at + 3 {
                        break;
                    }
                    job.drain(at..at + 3);
                    let _ = stream.write_all(&[0x12]);
                }
            }
            job
        });
        (address, server)
    }

    #[test]
    fn a_tcp_printer_on_loopback_gets_the_job_and_answers_ready() {
        let (address, server) = loopback_printer();
        let mut t = TcpTransport::connect(&address).unwrap();
        let job = vec![0x41u8; 30_000];
        assert_eq!(
            print(&mut t, &job),
            PrintOutcome::Printed {
                after: PrinterStatus::Ready
            }
        );
        drop(t);
        assert_eq!(server.join().unwrap(), job);
    }

    #[test]
    fn an_unreachable_tcp_printer_fails_quickly_instead_of_hanging() {
        // Nothing listens on this loopback port (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = std::time::Instant::now();
        assert!(TcpTransport::connect(&format!("127.0.0.1:{port}")).is_err());
        assert!(started.elapsed() < TIMEOUT + Duration::from_secs(1));
    }

    #[test]
    fn a_file_transport_is_one_way_so_its_status_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("printer.bin");
        let mut t = FileTransport::open(&path).unwrap();
        assert_eq!(
            print(&mut t, b"job"),
            PrintOutcome::Printed {
                after: PrinterStatus::Unknown
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"job");
    }

    #[test]
    fn status_bytes_are_read_as_published() {
        assert!(valid(0x12) && valid(0x16) && !valid(0x00) && !valid(0xff));
        let mut p = fake(FakeBehaviour::Offline);
        assert_eq!(status(&mut p), PrinterStatus::Offline);
    }
}
