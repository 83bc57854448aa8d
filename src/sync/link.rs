//! The edge to the hub: one signed HTTP request at a time. `ReqwestLink` speaks HTTPS with
//! rustls; tests use the real hub on loopback, and the uploader's decisions are tested with
//! `FakeLink`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long to wait for the hub to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take, the hub's reply included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request to the hub, already signed by the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRequest {
    pub method: Method,
    pub path: &'static str,
    pub body: Vec<u8>,
    pub device_id: String,
    pub signature: String,
    pub if_none_match: Option<String>,
}

/// What the hub answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("hub unreachable: {0}")]
    Unreachable(String),
    #[error("hub did not answer in time: {0}")]
    TimedOut(String),
    /// The secure connection failed. Before NTP has set the clock this is usually the clock:
    /// every certificate looks "not yet valid" to a kiosk that thinks it is 1970.
    #[error("secure connection to the hub failed: {0}")]
    Tls(String),
    #[error("{0}")]
    Other(String),
}

pub trait HubLink {
    fn send(&self, request: &HubRequest) -> Result<HubReply, LinkError>;

    /// Whether the hub accepts a connection right now: a cheap check, used while waiting after
    /// a failure so the kiosk retries as soon as the link is back.
    fn reachable(&self) -> bool;
}

/// The real link: HTTPS (or HTTP to this machine) with reqwest and rustls.
pub struct ReqwestLink {
    client: reqwest::blocking::Client,
    base: reqwest::Url,
}

impl ReqwestLink {
    pub fn new(hub: &crate::config::Hub) -> Result<ReqwestLink, String> {
        ReqwestLink::with_timeouts(hub, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// The link with other time-outs (tests use short ones to play a slow hub).
    pub fn with_timeouts(
        hub: &crate::config::Hub,
        connect: Duration,
        request: Duration,
    ) -> Result<ReqwestLink, String> {
        let url = hub
            .url
            .as_ref()
            .ok_or("no hub is configured: set [hub] url in the config")?;
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .user_agent(concat!("waystation/", env!("CARGO_PKG_VERSION")))
            .https_only(url.0.scheme() == "https");
        if let Some(ca_file) = &hub.ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|e| format!("cannot read hub.ca_file {}: {e}", ca_file.display()))?;
            let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                format!(
                    "hub.ca_file {} is not a PEM certificate: {e}",
                    ca_file.display()
                )
            })?;
            builder = builder.add_root_certificate(ca);
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTPS client: {e}"))?;
        Ok(ReqwestLink {
            client,
            base: url.0.clone(),
        })
    }
}

impl HubLink for ReqwestLink {
    fn send(&self, request: &HubRequest) -> Result<HubReply, LinkError> {
        let url = self
            .base
            .join(request.path.trim_start_matches('/'))
            .map_err(|e| LinkError::Other(e.to_string()))?;
        let mut builder = match request.method {
            Method::Get => self.client.get(url),
            Method::Post => self
                .client
                .post(url)
                .header("content-type", "application/json")
                .body(request.body.clone()),
        }
        .header(
            waystation_protocol::request::DEVICE_HEADER,
            &request.device_id,
        )
        .header(
            waystation_protocol::request::SIGNATURE_HEADER,
            &request.signature,
        );
        if let Some(etag) = &request.if_none_match {
            builder = builder.header("if-none-match", etag);
        }
        let response = builder.send().map_err(classify)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let retry_after = header("retry-after");
        let etag = header("etag");
        let body = response.bytes().map_err(classify)?.to_vec();
        Ok(HubReply {
            status,
            retry_after,
            etag,
            body,
        })
    }

    fn reachable(&self) -> bool {
        let (Some(host), Some(port)) = (self.base.host_str(), self.base.port_or_known_default())
        else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok())
    }
}

/// Sorts a reqwest error into what the uploader needs to decide, reading the whole chain of
/// causes (the TLS reason sits several levels down).
fn classify(error: reqwest::Error) -> LinkError {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    let lower = chain.to_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        LinkError::Tls(chain)
    } else if error.is_timeout() {
        LinkError::TimedOut(chain)
    } else if error.is_connect() {
        LinkError::Unreachable(chain)
    } else if error.is_body() || error.is_decode() || error.is_request() {
        // The connection broke during the exchange: the hub may or may not have committed.
        LinkError::Unreachable(chain)
    } else {
        LinkError::Other(chain)
    }
}

/// A link that answers from a script and remembers what it was sent, for the uploader's
/// decision tests.
#[derive(Default)]
pub struct FakeLink {
    pub replies: RefCell<VecDeque<Result<HubReply, LinkError>>>,
    pub sent: RefCell<Vec<HubRequest>>,
    pub up: std::cell::Cell<bool>,
}

impl FakeLink {
    pub fn new(replies: Vec<Result<HubReply, LinkError>>) -> FakeLink {
        FakeLink {
            replies: RefCell::new(replies.into()),
            sent: RefCell::default(),
            up: std::cell::Cell::new(true),
        }
    }
}

impl HubLink for FakeLink {
    fn send(&self, request: &HubRequest) -> Result<HubReply, LinkError> {
        self.sent.borrow_mut().push(request.clone());
        self.replies
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(LinkError::Unreachable("the script has ended".into())))
    }

    fn reachable(&self) -> bool {
        self.up.get()
    }
}
