//! A pretend kiosk and a small HTTP/1.1 client, so that the tests talk to a real hub over a
//! real socket exactly as a kiosk would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use tempfile::TempDir;
use waystation_hub::RunningHub;
use waystation_protocol::request::{DEVICE_HEADER, SIGNATURE_HEADER};
use waystation_protocol::wire::{BATCH_PATH, BUNDLE_PATH, EXPORT_FORMAT, PROTOCOL_VERSION};
use waystation_protocol::{
    Batch, BatchReply, CentrePublicKey, ClockStamp, DeviceKey, ExportFile, SealBinding, SealedBody,
    WireRecord, sign_request,
};

/// Some time in November 2026, in ms since the epoch.
pub const NOV_2026: i64 = 1_795_000_000_000;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn reply(&self) -> BatchReply {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The `error` field of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {}", String::from_utf8_lossy(&self.body)))
            .to_string()
    }
}

/// Sends a request with `Connection: close` and reads the whole response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    send_raw(addr, head.as_bytes(), body)
}

/// Sends bytes as they are (a head that may lie about the body) and reads the response.
pub fn send_raw(addr: SocketAddr, head: &[u8], body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("the hub accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(head).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("a response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        let start = line_end + 2;
        body.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
}

/// 2026-11-28 00:00 in Shanghai, the day the test kiosks make their day summaries.
pub const NOV_28_MIDNIGHT: i64 = 1_795_795_200_000;

/// The stamp a kiosk gives a day summary: the Shanghai midnight of the day it made it, and
/// nothing finer (no boot, no time since boot).
pub fn day_stamp(midnight_ms: i64) -> ClockStamp {
    ClockStamp {
        wall_ms: midnight_ms,
        synced: true,
        boot_id: String::new(),
        monotonic_ms: 0,
    }
}

/// A day summary's payload for 2026-11-26 and 27, over `visits` visits: 5 mood check-ins, 3
/// self-checks, the crisis screen reached once and 3 slips.
pub fn summary_payload(visits: u64) -> Value {
    serde_json::json!({
        "first_day": "2026-11-26",
        "last_day": "2026-11-27",
        "counts": {
            "visit": { "started": visits, "finished": visits - 2 },
            "mood_word": { "calm/relaxed": 3, "low/tired": 2 },
            "band": { "phq9/mild": 2, "gad7/minimal": 1 },
            "answer": { "phq9/9/0": 2 },
            "crisis": { "reached": 1, "asked_staff": 1 },
            "slip": { "normal": 2, "crisis": 1 },
        },
    })
}

/// A synced clock reading in boot `boot-1`.
pub fn synced(wall_ms: i64, monotonic_ms: i64) -> ClockStamp {
    ClockStamp {
        wall_ms,
        synced: true,
        boot_id: "boot-1".into(),
        monotonic_ms,
    }
}

/// A reading before NTP set the clock, in the given boot.
pub fn unsynced(wall_ms: i64, boot: &str, monotonic_ms: i64) -> ClockStamp {
    ClockStamp {
        wall_ms,
        synced: false,
        boot_id: boot.into(),
        monotonic_ms,
    }
}

/// A kiosk: its device key and the centre's public key it seals to.
pub struct Kiosk {
    pub number: u16,
    pub key: DeviceKey,
    pub centre: CentrePublicKey,
}

impl Kiosk {
    /// Kiosk `number`: the same key every run (numbers above 255 are for the fleet benchmark).
    pub fn new(number: u16, centre_public_b64: &str) -> Kiosk {
        let secret = match u8::try_from(number) {
            Ok(small) => [small; 32],
            Err(_) => {
                let mut secret = [0xa5; 32];
                secret[..2].copy_from_slice(&number.to_be_bytes());
                secret
            }
        };
        Kiosk {
            number,
            key: DeviceKey::from_secret(secret),
            centre: CentrePublicKey::from_base64(centre_public_b64).unwrap(),
        }
    }

    pub fn id(&self) -> String {
        self.key.device_id()
    }

    /// The id of this kiosk's `n`th record: a UUID no other test kiosk uses.
    pub fn record_id(&self, n: u64) -> String {
        uuid::Uuid::from_u128((u128::from(self.number) << 64) | u128::from(n)).to_string()
    }

    /// Seals `plaintext` for the given binding, as base64.
    pub fn seal(
        &self,
        record_id: &str,
        kind: &str,
        schema_version: u32,
        plaintext: &[u8],
    ) -> String {
        let device_id = self.id();
        let binding = SealBinding {
            record_id,
            device_id: &device_id,
            kind,
            schema_version,
        };
        B64.encode(self.centre.seal(&binding, plaintext).unwrap())
    }

    /// Record `n`, sealed properly.
    pub fn record(&self, n: u64, kind: &str, created: ClockStamp, payload: Value) -> WireRecord {
        let id = self.record_id(n);
        let body = serde_json::to_vec(&SealedBody { created, payload }).unwrap();
        WireRecord {
            sealed: self.seal(&id, kind, 1, &body),
            id,
            seq: n as i64,
            kind: kind.into(),
            schema_version: 1,
            day: "2026-11-28".into(),
        }
    }

    pub fn batch(&self, records: Vec<WireRecord>, sent: ClockStamp) -> Vec<u8> {
        serde_json::to_vec(&Batch {
            protocol: PROTOCOL_VERSION,
            device_id: self.id(),
            sent,
            records,
        })
        .unwrap()
    }

    /// Posts a batch body, signed.
    pub fn post(&self, addr: SocketAddr, body: &[u8]) -> Response {
        let signature = sign_request(&self.key, "POST", BATCH_PATH, body);
        let id = self.id();
        request(
            addr,
            "POST",
            BATCH_PATH,
            &[(DEVICE_HEADER, &id), (SIGNATURE_HEADER, &signature)],
            body,
        )
    }

    /// The export file a kiosk without network would write for this batch body.
    pub fn export(&self, body: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&ExportFile {
            format: EXPORT_FORMAT.into(),
            device_id: self.id(),
            batch: String::from_utf8(body.to_vec()).unwrap(),
            signature: sign_request(&self.key, "POST", BATCH_PATH, body),
        })
        .unwrap()
    }

    /// A signed GET of `path`, with extra headers.
    pub fn get_signed(&self, addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Response {
        let signature = sign_request(&self.key, "GET", path, b"");
        let id = self.id();
        let mut headers = vec![(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
        headers.extend_from_slice(extra);
        request(addr, "GET", path, &headers, b"")
    }

    /// Asks for the bundle, signed, optionally with an `If-None-Match`.
    pub fn get_bundle(&self, addr: SocketAddr, if_none_match: Option<&str>) -> Response {
        let signature = sign_request(&self.key, "GET", BUNDLE_PATH, b"");
        let id = self.id();
        let mut headers = vec![(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
        if let Some(tag) = if_none_match {
            headers.push(("If-None-Match", tag));
        }
        request(addr, "GET", BUNDLE_PATH, &headers, b"")
    }
}

/// A data folder with a centre key and one registered kiosk, and a hub serving it.
pub struct Setup {
    pub dir: TempDir,
    pub hub: RunningHub,
    pub kiosk: Kiosk,
}

impl Setup {
    pub fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let centre = waystation_hub::keygen(dir.path()).unwrap();
        let kiosk = Kiosk::new(1, &centre);
        let id = waystation_hub::add_device(
            dir.path(),
            &kiosk.key.public_base64(),
            Some("jingan-1"),
            None,
        )
        .unwrap();
        assert_eq!(id, kiosk.id());
        let hub = start(dir.path());
        Setup { dir, hub, kiosk }
    }

    pub fn addr(&self) -> SocketAddr {
        self.hub.addr()
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// Another kiosk sealing to the same centre, not registered unless the test does so.
    pub fn stranger(&self, number: u16) -> Kiosk {
        let centre = std::fs::read_to_string(self.data().join(waystation_hub::PUB_FILE)).unwrap();
        Kiosk::new(number, &centre)
    }
}

/// Starts a hub for the folder on a free port of 127.0.0.1.
pub fn start(data: &Path) -> RunningHub {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    waystation_hub::start(data, listener).unwrap()
}

/// The outcome names of a reply, in order: "stored", "duplicate" or "rejected".
pub fn outcomes(reply: &BatchReply) -> Vec<&'static str> {
    reply
        .results
        .iter()
        .map(|r| match r.outcome {
            waystation_protocol::Outcome::Stored => "stored",
            waystation_protocol::Outcome::Duplicate => "duplicate",
            waystation_protocol::Outcome::Rejected { .. } => "rejected",
        })
        .collect()
}

/// What a pretend webhook answers.
#[derive(Clone)]
pub enum HookAnswer {
    /// A status and a body, at once.
    Reply(u16, &'static str),
    /// Nothing for this long, then 200 (a webhook that hangs).
    Stall(Duration),
}

/// A webhook on loopback that keeps every POST it receives (path and JSON body) and answers
/// as told: a stand-in for a WeCom group robot or the centre's own endpoint.
pub struct Hook {
    pub addr: SocketAddr,
    pub posts: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
    answer: std::sync::Arc<std::sync::Mutex<HookAnswer>>,
}

impl Hook {
    pub fn start(answer: HookAnswer) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let posts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let answer = std::sync::Arc::new(std::sync::Mutex::new(answer));
        let (kept, told) = (posts.clone(), answer.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, told) = (kept.clone(), told.clone());
                std::thread::spawn(move || serve_hook(stream, &kept, &told));
            }
        });
        Hook {
            addr,
            posts,
            answer,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn answer(&self, answer: HookAnswer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn posts(&self) -> Vec<(String, Value)> {
        self.posts.lock().unwrap().clone()
    }
}

fn serve_hook(
    mut stream: TcpStream,
    kept: &std::sync::Mutex<Vec<(String, Value)>>,
    told: &std::sync::Mutex<HookAnswer>,
) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    // Read the head, then as much body as it declares.
    let (head_end, length) = loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while raw.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let path = head.split(' ').nth(1).unwrap_or("").to_string();
    let body = serde_json::from_slice(&raw[head_end..head_end + length]).unwrap_or(Value::Null);
    kept.lock().unwrap().push((path, body));
    let answer = told.lock().unwrap().clone();
    let (status, text) = match answer {
        HookAnswer::Reply(status, text) => (status, text),
        HookAnswer::Stall(for_how_long) => {
            std::thread::sleep(for_how_long);
            (200, "{}")
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

/// Now, in ms since the epoch: alerts must be fresh to be passed on.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
