//! A small HTTP/1.1 proxy that stands between the kiosk and a real hub on loopback and breaks
//! things on purpose: replies lost after the hub committed, 503 and 429 with `Retry-After`,
//! slow answers, reset connections.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Fault {
    /// Forward the request and pass the reply back.
    Pass,
    /// Forward the request (the hub commits), then close the connection without replying.
    LoseReply,
    /// Answer with this status and `Retry-After` without asking the hub.
    Status(u16, Option<String>),
    /// Forward the request, then wait this long before replying.
    DelayReply(Duration),
    /// Close the connection without reading on.
    Reset,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Fault>>>,
    /// Requests that reached the hub.
    pub forwarded: Arc<AtomicUsize>,
    /// Requests seen at all.
    pub seen: Arc<AtomicUsize>,
    default: Arc<Mutex<Fault>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        FaultProxy::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), upstream)
    }

    pub fn start_on(listener: TcpListener, upstream: SocketAddr) -> FaultProxy {
        listener.set_nonblocking(true).unwrap();
        let proxy = FaultProxy {
            addr: listener.local_addr().unwrap(),
            script: Arc::default(),
            forwarded: Arc::default(),
            seen: Arc::default(),
            default: Arc::new(Mutex::new(Fault::Pass)),
            stop: Arc::default(),
        };
        let (script, forwarded, seen, default, stop) = (
            proxy.script.clone(),
            proxy.forwarded.clone(),
            proxy.seen.clone(),
            proxy.default.clone(),
            proxy.stop.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let (script, forwarded, seen, default) = (
                            script.clone(),
                            forwarded.clone(),
                            seen.clone(),
                            default.clone(),
                        );
                        std::thread::spawn(move || {
                            serve(client, upstream, &script, &forwarded, &seen, &default)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        proxy
    }

    /// Faults for the next requests, in order; after them, the default.
    pub fn then(&self, faults: impl IntoIterator<Item = Fault>) {
        self.script.lock().unwrap().extend(faults);
    }

    pub fn set_default(&self, fault: Fault) {
        *self.default.lock().unwrap() = fault;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    script: &Mutex<VecDeque<Fault>>,
    forwarded: &AtomicUsize,
    seen: &AtomicUsize,
    default: &Mutex<Fault>,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    // One connection may carry many requests (keep-alive).
    while let Some(request) = read_message(&mut reader, true) {
        seen.fetch_add(1, Ordering::SeqCst);
        let fault = script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| default.lock().unwrap().clone());
        match fault {
            Fault::Reset => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::Status(status, retry_after) => {
                let retry = retry_after
                    .map(|r| format!("retry-after: {r}\r\n"))
                    .unwrap_or_default();
                let body = r#"{"error":"injected"}"#;
                let reply = format!(
                    "HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n{retry}content-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if client.write_all(reply.as_bytes()).is_err() {
                    return;
                }
            }
            Fault::Pass | Fault::LoseReply | Fault::DelayReply(_) => {
                let Some(reply) = forward(&request, upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    return;
                };
                forwarded.fetch_add(1, Ordering::SeqCst);
                match fault {
                    Fault::LoseReply => {
                        let _ = client.shutdown(Shutdown::Both);
                        return;
                    }
                    Fault::DelayReply(wait) => std::thread::sleep(wait),
                    _ => {}
                }
                if client.write_all(&reply).is_err() {
                    return;
                }
            }
        }
    }
}

fn forward(request: &[u8], upstream: SocketAddr) -> Option<Vec<u8>> {
    let mut hub = TcpStream::connect(upstream).ok()?;
    hub.write_all(request).ok()?;
    let mut reader = BufReader::new(hub);
    read_message(&mut reader, false)
}

/// Reads one HTTP/1.1 message (head and a `content-length` body) and returns its bytes, or
/// `None` at the end of the stream.
fn read_message(reader: &mut BufReader<TcpStream>, is_request: bool) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut length = 0usize;
    let mut no_body = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if head.is_empty() && !is_request {
            // 204 and 304 replies have no body.
            no_body = line.contains(" 304 ") || line.contains(" 204 ");
        }
        head.extend_from_slice(line.as_bytes());
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        assert!(
            !lower.starts_with("transfer-encoding"),
            "the fault proxy reads content-length bodies only"
        );
        if line == "\r\n" {
            break;
        }
    }
    if no_body {
        length = 0;
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.extend_from_slice(&body);
    Some(head)
}
