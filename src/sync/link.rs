//! The edge to the hub: one signed HTTP request at a time. `HttpsLink` speaks HTTPS with
//! ureq and rustls; tests use the real hub on loopback, and the uploader's decisions are tested with
//! `FakeLink`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
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
    pub path: String,
    pub body: Vec<u8>,
    pub device_id: String,
    pub signature: String,
    pub if_none_match: Option<String>,
    /// Bytes `first..=last` of the answer (`Range: bytes=first-last`), for a download in parts.
    pub range: Option<(u64, u64)>,
}

/// What the hub answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubReply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub etag: Option<String>,
    /// `Content-Range` of a 206 (`bytes first-last/size`).
    pub content_range: Option<String>,
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

/// The real link: HTTPS (or HTTP to this machine) with ureq and rustls (the `ring` provider).
pub struct HttpsLink {
    agent: ureq::Agent,
    base: url::Url,
}

impl HttpsLink {
    pub fn new(hub: &crate::config::Hub) -> Result<HttpsLink, String> {
        HttpsLink::with_timeouts(hub, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// The link with other time-outs (tests use short ones to play a slow hub).
    pub fn with_timeouts(
        hub: &crate::config::Hub,
        connect: Duration,
        request: Duration,
    ) -> Result<HttpsLink, String> {
        let url = hub
            .url
            .as_ref()
            .ok_or("no hub is configured: set [hub] url in the config")?;
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(root_certs(hub.ca_file.as_deref())?)
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(connect))
            .timeout_global(Some(request))
            .user_agent(concat!("waystation/", env!("CARGO_PKG_VERSION")))
            .https_only(url.0.scheme() == "https")
            // Every answer is the uploader's to judge (a 503 with Retry-After, a 409, ...), so
            // 4xx and 5xx come back as replies, not errors.
            .http_status_as_error(false)
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(HttpsLink {
            agent,
            base: url.0.clone(),
        })
    }
}

/// Mozilla's roots (the set reqwest's `rustls-tls` used before), and beside them the CA in
/// `hub.ca_file` for a hub whose certificate a private CA signed.
fn root_certs(ca_file: Option<&Path>) -> Result<ureq::tls::RootCerts, String> {
    let mut certs: Vec<ureq::tls::Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
        .collect();
    if let Some(ca_file) = ca_file {
        let pem = std::fs::read(ca_file)
            .map_err(|e| format!("cannot read hub.ca_file {}: {e}", ca_file.display()))?;
        let ca = ureq::tls::Certificate::from_pem(&pem).map_err(|e| {
            format!(
                "hub.ca_file {} is not a PEM certificate: {e}",
                ca_file.display()
            )
        })?;
        certs.push(ca);
    }
    Ok(ureq::tls::RootCerts::from(certs))
}

impl HubLink for HttpsLink {
    fn send(&self, request: &HubRequest) -> Result<HubReply, LinkError> {
        let url = self
            .base
            .join(request.path.trim_start_matches('/'))
            .map_err(|e| LinkError::Other(e.to_string()))?;
        let sent = match request.method {
            Method::Get => signed(self.agent.get(url.as_str()), request).call(),
            Method::Post => signed(self.agent.post(url.as_str()), request)
                .header("content-type", "application/json")
                .send(&request.body[..]),
        };
        let mut response = sent.map_err(classify)?;
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
        let content_range = header("content-range");
        // No size limit (ureq's default is 10 MB): the hub's bundle is as large as it is.
        let body = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(classify)?;
        Ok(HubReply {
            status,
            retry_after,
            etag,
            content_range,
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

/// The request with the device's headers: who sends it, its signature, the bundle's tag the
/// kiosk already has, and the part of an image it asks for.
fn signed<B>(builder: ureq::RequestBuilder<B>, request: &HubRequest) -> ureq::RequestBuilder<B> {
    let builder = builder
        .header(
            waystation_protocol::request::DEVICE_HEADER,
            &request.device_id,
        )
        .header(
            waystation_protocol::request::SIGNATURE_HEADER,
            &request.signature,
        );
    let builder = match &request.if_none_match {
        Some(etag) => builder.header("if-none-match", etag),
        None => builder,
    };
    match request.range {
        Some((first, last)) => builder.header("range", format!("bytes={first}-{last}")),
        None => builder,
    }
}

/// Sorts a ureq error into what the uploader needs to decide, reading the whole chain of
/// causes (a TLS reason can sit inside an I/O error).
fn classify(error: ureq::Error) -> LinkError {
    let mut chain = error.to_string();
    let io = match &error {
        ureq::Error::Io(io) => Some(io),
        _ => None,
    };
    let mut source = io
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.source());
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    let lower = chain.to_lowercase();
    let tls = matches!(error, ureq::Error::Tls(_) | ureq::Error::Rustls(_));
    let io_timeout = io.is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        )
    });
    if tls || lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        LinkError::Tls(chain)
    } else if matches!(error, ureq::Error::Timeout(_)) || io_timeout {
        LinkError::TimedOut(chain)
    } else if matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)
    ) {
        // No connection, or it broke during the exchange (refused, reset, closed half-way): the
        // hub may or may not have committed.
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
