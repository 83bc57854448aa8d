//! The HTTP side: routes, request checks, and running the server on its own thread.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use waystation_protocol::BatchReply;
use waystation_protocol::remote_help::REMOTE_HELP_PATH;
use waystation_protocol::request::{DEVICE_HEADER, SIGNATURE_HEADER};
use waystation_protocol::update::{IMAGE_PATH_PREFIX, UPDATE_PATH, image_path, version_ok};
use waystation_protocol::wire::{BATCH_PATH, BUNDLE_PATH, IMPORT_PATH, MAX_BATCH_BYTES};

use crate::ingest::{
    MAX_IMPORT_BYTES, Receiver, Refusal, Tally, now_ms, revoked, too_large, unknown_device,
};
use crate::{HubError, Place};

/// The unsigned path for monitoring.
pub const HEALTH_PATH: &str = "/v1/health";

/// How long a stopping server waits for requests in progress before dropping them.
const GRACE: Duration = Duration::from_secs(10);

/// A hub serving on its own thread. Dropping it stops the server as [`RunningHub::stop`] does.
pub struct RunningHub {
    addr: SocketAddr,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHub {
    /// The address the hub listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets the requests in progress finish (for up to ten
    /// seconds) and waits for the server's thread to end.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take()
            && let Err(panic) = thread.join()
            && !std::thread::panicking()
        {
            // A bug in the hub should fail the test that runs it, not vanish with the thread.
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Starts a hub for the data folder on `listener`, on a thread of its own with its own tokio
/// runtime, and returns once it is accepting connections. Everything that can be wrong with
/// the folder (no centre key, a database that does not open) is reported here, not later.
pub fn start(
    place: impl Into<Place>,
    listener: std::net::TcpListener,
) -> Result<RunningHub, HubError> {
    let receiver = Arc::new(Receiver::open(&place.into())?);
    let addr = listener.local_addr().map_err(HubError::Server)?;
    listener.set_nonblocking(true).map_err(HubError::Server)?;
    let runtime = runtime()?;
    // Registering the socket with tokio needs the runtime's context, which exists here before
    // the thread starts, so that a failure is returned to the caller.
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(HubError::Server)?
    };
    let (stop, stopped) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("waystation-hub".into())
        .spawn(move || {
            let kept = receiver.clone();
            if let Err(e) = runtime.block_on(run(listener, receiver, stopped)) {
                tracing::error!("the hub stopped with an error: {e}");
            }
            close_outside_the_runtime(runtime, kept);
        })
        .map_err(HubError::Server)?;
    tracing::info!(%addr, "hub listening");
    Ok(RunningHub {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Serves the data folder on `listen` until Ctrl-C or SIGTERM, then stops gracefully.
pub fn serve(place: &Place, listen: SocketAddr) -> Result<(), HubError> {
    let receiver = Arc::new(Receiver::open(place)?);
    let kept = receiver.clone();
    let runtime = runtime()?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| HubError::Listen {
                addr: listen,
                source,
            })?;
        // With port 0 the system picks the port; the log names the one it picked.
        let addr = listener.local_addr().map_err(HubError::Server)?;
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping: finishing the requests in progress");
            let _ = stop.send(true);
        });
        tracing::info!(
            %addr,
            data = %place.dir.display(),
            database = if place.database.is_some() { "PostgreSQL" } else { "SQLite" },
            "hub listening"
        );
        run(listener, receiver, stopped)
            .await
            .map_err(HubError::Server)?;
        tracing::info!("hub stopped");
        Ok(())
    });
    close_outside_the_runtime(runtime, kept);
    served
}

/// Stops the runtime (its tasks dropped), then closes the storage: PostgreSQL's client blocks
/// to say goodbye, which it may not do on one of the runtime's threads.
fn close_outside_the_runtime(runtime: tokio::runtime::Runtime, receiver: Arc<Receiver>) {
    drop(runtime);
    drop(receiver);
}

fn runtime() -> Result<tokio::runtime::Runtime, HubError> {
    // Two workers are plenty: the work is a database write per batch, done on the blocking
    // pool, and the hub shares its machine with other services.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("waystation-hub-worker")
        .enable_all()
        .build()
        .map_err(HubError::Server)
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the hub");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// Serves until `stopped` turns true (or its sender is dropped), then drains.
async fn run(
    listener: tokio::net::TcpListener,
    receiver: Arc<Receiver>,
    mut stopped: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut graceful = stopped.clone();
    let server =
        axum::serve(listener, router(receiver.clone())).with_graceful_shutdown(async move {
            let _ = graceful.wait_for(|stop| *stop).await;
        });
    let mut server = tokio::spawn(server.into_future());
    let watcher = tokio::spawn(watch_the_fleet(receiver.clone()));
    let joined = |joined: Result<std::io::Result<()>, tokio::task::JoinError>| {
        joined.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    };
    tokio::select! {
        result = &mut server => {
            watcher.abort();
            return joined(result);
        }
        _ = stopped.wait_for(|stop| *stop) => watcher.abort(),
    }
    // Graceful shutdown waits for every open connection; a client that stalls mid-request
    // must not keep the hub from stopping.
    match tokio::time::timeout(GRACE, &mut server).await {
        Ok(result) => joined(result),
        Err(_) => {
            tracing::warn!("requests still open after {GRACE:?}; dropping them");
            server.abort();
            Ok(())
        }
    }
}

/// The fleet watch (`alerts::watch`), at once and then every [`crate::alerts::WATCH_EVERY`],
/// for as long as the hub runs, each pass after working out the overview's weeks ahead. A
/// failed pass is logged and the next one tries again.
async fn watch_the_fleet(receiver: Arc<Receiver>) {
    let mut every = tokio::time::interval(crate::alerts::WATCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        crate::web::warm_the_weeks(&receiver).await;
        match crate::alerts::watch(&receiver, crate::ingest::now_ms()).await {
            Ok(summary) if !summary.raised.is_empty() => tracing::info!(
                raised = summary.raised.len(),
                forwarded = summary.forwarded,
                "the fleet watch raised alerts"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!("the fleet watch failed: {e}"),
        }
    }
}

fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route(
            BATCH_PATH,
            post(post_batch).layer(DefaultBodyLimit::max(MAX_BATCH_BYTES)),
        )
        .route(
            IMPORT_PATH,
            post(post_import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route(BUNDLE_PATH, get(get_bundle))
        .route(UPDATE_PATH, get(get_update))
        .route(REMOTE_HELP_PATH, get(get_remote_help))
        .route(&format!("{IMAGE_PATH_PREFIX}{{version}}"), get(get_image))
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .merge(crate::web::router())
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(receiver)
}

async fn post_batch(State(hub): State<Arc<Receiver>>, request: Request) -> Response {
    let (device, signature) = match credentials(request.headers()) {
        Ok(credentials) => credentials,
        Err(refusal) => return refuse("-", BATCH_PATH, refusal),
    };
    // Refuse a device the hub does not know, or has revoked, before reading up to 8 MiB
    // from it.
    let known = {
        let (hub, device) = (hub.clone(), device.clone());
        blocking(move || Ok(hub.storage().device(&device)?)).await
    };
    match known {
        Ok(Some(found)) => {
            if let Some(revoked_ms) = found.revoked_ms {
                return refuse(&device, BATCH_PATH, revoked(&device, revoked_ms));
            }
        }
        Ok(None) => return refuse(&device, BATCH_PATH, unknown_device(&device)),
        Err(refusal) => return refuse(&device, BATCH_PATH, refusal),
    }
    let body = match read_body(request, MAX_BATCH_BYTES).await {
        Ok(body) => body,
        Err(refusal) => return refuse(&device, BATCH_PATH, refusal),
    };
    let received = now_ms();
    let result = {
        let device = device.clone();
        let hub = hub.clone();
        blocking(move || {
            hub.verify(&device, &signature, "POST", BATCH_PATH, &body)?;
            hub.ingest(&device, &body, Some(received))
        })
        .await
    };
    match result {
        // The batch is committed; a worker's call for staff it brought is passed on before
        // the kiosk hears back, so that the reply can say whether it was.
        Ok(ingested) => {
            let reply = crate::alerts::forward_new(&hub, ingested).await;
            accepted(&device, BATCH_PATH, reply)
        }
        Err(refusal) => refuse(&device, BATCH_PATH, refusal),
    }
}

async fn post_import(State(hub): State<Arc<Receiver>>, request: Request) -> Response {
    let body = match read_body(request, MAX_IMPORT_BYTES).await {
        Ok(body) => body,
        Err(refusal) => return refuse("-", IMPORT_PATH, refusal),
    };
    match blocking(move || hub.accept_export(&body)).await {
        Ok((device, reply)) => accepted(&device, IMPORT_PATH, reply),
        Err(refusal) => refuse("-", IMPORT_PATH, refusal),
    }
}

async fn get_bundle(State(hub): State<Arc<Receiver>>, headers: HeaderMap) -> Response {
    let (device, signature) = match credentials(&headers) {
        Ok(credentials) => credentials,
        Err(refusal) => return refuse("-", BUNDLE_PATH, refusal),
    };
    let result = {
        let device = device.clone();
        blocking(move || {
            hub.verify(&device, &signature, "GET", BUNDLE_PATH, b"")?;
            Ok(hub.storage().bundle()?)
        })
        .await
    };
    let bytes = match result {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            tracing::info!(device, status = 404, "bundle: none set");
            return json_error(StatusCode::NOT_FOUND, "no bundle has been set at this hub");
        }
        Err(refusal) => return refuse(&device, BUNDLE_PATH, refusal),
    };
    let tag = etag(&bytes);
    let tag_header = HeaderValue::from_str(&tag).expect("an ETag of hex digits is a valid header");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| none_match_hits(value, &tag));
    if unchanged {
        tracing::info!(device, status = 304, "bundle: unchanged");
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_header)]).into_response();
    }
    tracing::info!(device, status = 200, bytes = bytes.len(), "bundle: sent");
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, tag_header),
        ],
        bytes,
    )
        .into_response()
}

/// The image update meant for this kiosk: 200 with the offer, or 204 when there is none or
/// its newest heartbeat says it runs that version already.
async fn get_update(State(hub): State<Arc<Receiver>>, headers: HeaderMap) -> Response {
    let (device, signature) = match credentials(&headers) {
        Ok(credentials) => credentials,
        Err(refusal) => return refuse("-", UPDATE_PATH, refusal),
    };
    let result = {
        let device = device.clone();
        blocking(move || {
            hub.verify(&device, &signature, "GET", UPDATE_PATH, b"")?;
            let mut storage = hub.storage();
            let Some(found) = storage.device(&device)? else {
                return Err(unknown_device(&device));
            };
            let running = storage
                .latest_heartbeats()?
                .into_iter()
                .find(|beat| beat.device_id == device)
                .and_then(|beat| beat.payload["image_version"].as_str().map(String::from));
            Ok(crate::updates::offer_for(
                storage.as_mut(),
                &found,
                running.as_deref(),
            )?)
        })
        .await
    };
    match result {
        Ok(Some(offer)) => {
            tracing::info!(device, version = offer.version, "update: offered");
            (StatusCode::OK, axum::Json(offer)).into_response()
        }
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refuse_read(&device, UPDATE_PATH, refusal),
    }
}

/// Whether remote help is on for this kiosk: 200 with the grant (until when, seconds left)
/// while it is in force, 204 when it is off or its time is up.
async fn get_remote_help(State(hub): State<Arc<Receiver>>, headers: HeaderMap) -> Response {
    let (device, signature) = match credentials(&headers) {
        Ok(credentials) => credentials,
        Err(refusal) => return refuse("-", REMOTE_HELP_PATH, refusal),
    };
    let result = {
        let device = device.clone();
        blocking(move || {
            hub.verify(&device, &signature, "GET", REMOTE_HELP_PATH, b"")?;
            let mut storage = hub.storage();
            let now = now_ms();
            Ok(crate::remote_help::in_force(storage.as_mut(), now)?
                .into_iter()
                .find(|help| help.device_id == device)
                .and_then(|help| crate::remote_help::grant(&help, now)))
        })
        .await
    };
    match result {
        Ok(Some(grant)) => (StatusCode::OK, axum::Json(grant)).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refuse_read(&device, REMOTE_HELP_PATH, refusal),
    }
}

/// A bundle's bytes, whole (200) or the part a `Range: bytes=N-` or `bytes=N-M` asks for
/// (206 with `Content-Range`; 416 past the end). Kiosks always ask for parts of at most a few
/// MiB, so a part is read into memory; a whole bundle (a person with curl) is too.
async fn get_image(
    State(hub): State<Arc<Receiver>>,
    axum::extract::Path(version): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    if !version_ok(&version) {
        return json_error(StatusCode::NOT_FOUND, "no such image");
    }
    let path = image_path(&version);
    let (device, signature) = match credentials(&headers) {
        Ok(credentials) => credentials,
        Err(refusal) => return refuse("-", &path, refusal),
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map(String::from);
    let result = {
        let (device, path) = (device.clone(), path.clone());
        blocking(move || {
            hub.verify(&device, &signature, "GET", &path, b"")?;
            let images = hub.storage().images()?;
            let Some(image) = images.into_iter().find(|i| i.version == version) else {
                return Ok(None);
            };
            let file = crate::updates::image_file(hub.data_dir(), &image);
            let wanted = crate::updates::wanted(range.as_deref(), image.size);
            let bytes = match wanted {
                crate::updates::Wanted::Whole if image.size > 0 => {
                    crate::updates::read_part(&file, 0, image.size - 1)?
                }
                crate::updates::Wanted::Part { first, last } => {
                    crate::updates::read_part(&file, first, last)?
                }
                _ => Vec::new(),
            };
            Ok(Some((image.size, wanted, bytes)))
        })
        .await
    };
    match result {
        Ok(Some((size, wanted, bytes))) => image_reply(&device, size, wanted, bytes),
        Ok(None) => json_error(StatusCode::NOT_FOUND, "no such image at this hub"),
        Err(refusal) => refuse_read(&device, &path, refusal),
    }
}

/// [`refuse`] for a request that reads: the hub's own failure is not "could not store".
fn refuse_read(device: &str, path: &str, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Failed(e) => {
            tracing::error!(device, path, "cannot read: {e}");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the hub could not read what was asked; try again later",
            )
        }
        other => refuse(device, path, other),
    }
}

fn image_reply(
    device: &str,
    size: u64,
    wanted: crate::updates::Wanted,
    bytes: Vec<u8>,
) -> Response {
    use crate::updates::Wanted;
    let octets = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let ranges = (header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let content_range = |text: String| {
        (
            header::CONTENT_RANGE,
            HeaderValue::from_str(&text).expect("digits and a dash are a valid header"),
        )
    };
    match wanted {
        Wanted::Whole => (StatusCode::OK, [octets, ranges], bytes).into_response(),
        Wanted::Part { first, last } => {
            tracing::debug!(device, first, last, "image: part sent");
            (
                StatusCode::PARTIAL_CONTENT,
                [
                    octets,
                    ranges,
                    content_range(format!("bytes {first}-{last}/{size}")),
                ],
                bytes,
            )
                .into_response()
        }
        Wanted::Unsatisfiable => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [content_range(format!("bytes */{size}"))],
        )
            .into_response(),
    }
}

/// The ETag the hub serves a bundle under: the SHA-256 of its bytes, quoted.
pub(crate) fn etag(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` value names `tag`: a list of tags, any of them possibly weak
/// (`W/`), or `*`.
fn none_match_hits(value: &str, tag: &str) -> bool {
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

/// The device id and signature headers of a signed request.
fn credentials(headers: &HeaderMap) -> Result<(String, String), Refusal> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| Refusal::Unauthorised(format!("the {name} header is missing")))
    };
    Ok((get(DEVICE_HEADER)?, get(SIGNATURE_HEADER)?))
}

/// Reads the whole body, refusing one over `limit` bytes with 413.
async fn read_body(request: Request, limit: usize) -> Result<Bytes, Refusal> {
    // A declared length over the limit is refused before anything is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    // The route's DefaultBodyLimit stops a body without a declared length at the limit.
    Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit)
            } else {
                Refusal::BadRequest(rejection.body_text())
            }
        })
}

/// Runs storage and cryptography off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(Refusal::Failed(HubError::Storage(format!(
            "the work failed: {e}"
        ))))
    })
}

fn accepted(device: &str, path: &str, reply: BatchReply) -> Response {
    let tally = Tally::of(&reply);
    tracing::info!(
        device,
        path,
        records = reply.results.len(),
        stored = tally.stored,
        duplicate = tally.duplicate,
        rejected = tally.rejected,
        "batch accepted"
    );
    (StatusCode::OK, axum::Json(reply)).into_response()
}

fn refuse(device: &str, path: &str, refusal: Refusal) -> Response {
    let (status, message) = match &refusal {
        Refusal::Unauthorised(reason) => (StatusCode::UNAUTHORIZED, reason.clone()),
        Refusal::Revoked(reason) => (StatusCode::FORBIDDEN, reason.clone()),
        Refusal::BadRequest(reason) => (StatusCode::BAD_REQUEST, reason.clone()),
        Refusal::TooLarge(reason) => (StatusCode::PAYLOAD_TOO_LARGE, reason.clone()),
        Refusal::Failed(e) => {
            tracing::error!(device, path, "cannot store: {e}");
            // The kiosk keeps the batch and sends it again; the details are in the hub's log.
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the hub could not store the batch; send it again later",
            );
        }
    };
    tracing::warn!(device, path, status = status.as_u16(), reason = %message, "refused");
    json_error(status, message)
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_a_star() {
        let tag = etag(b"{}");
        assert_eq!(tag.len(), 66);
        assert!(none_match_hits(&tag, &tag));
        assert!(none_match_hits(&format!("\"x\", W/{tag}"), &tag));
        assert!(none_match_hits("*", &tag));
        assert!(!none_match_hits("\"x\"", &tag));
        assert!(!none_match_hits(&etag(b"[]"), &tag));
    }
}
