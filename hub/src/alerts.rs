//! Passing a worker's call for station staff on to the people who can go: the centre sets a
//! webhook (`waystation-hub alerts set-webhook URL [--format json|wecom]`), and every
//! `staff_alert` record that arrives over the network is posted to it once, at once, with the
//! station, the alert's kind and its time, and nothing else.
//!
//! The hub answers the kiosk whether the alert was passed on (the `forwarded` field of the
//! record's result), so that the kiosk's screen says "the staff have been told" only when
//! they were. An alert that could not be passed on is still stored, like every record, and
//! `waystation-hub alerts retry` tries again.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use waystation_protocol::BatchReply;

use crate::HubError;
use crate::ingest::{Ingested, Receiver, now_ms};
use crate::storage::{FleetProblem, ForwardNote, StoredRecord, Via};

/// How long the hub waits for the webhook to accept a connection, and for the whole post.
/// The kiosk's screen gives up waiting after 20 s; the hub's answer must come well before.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// An alert older than this when it arrives is stored but not posted: a kiosk that was
/// offline for hours should not send staff running to a call long over. It is listed by
/// `alerts show`, and `alerts retry` can still post it.
pub const FRESH_FOR_MS: i64 = 30 * 60 * 1000;

/// `alerts retry` posts the alerts of the last day that were not passed on; older ones are
/// history, not calls anyone can still answer.
pub const RETRY_WITHIN_MS: i64 = 24 * 60 * 60 * 1000;

/// Why an alert carried on a USB stick is not posted.
pub(crate) const IMPORTED: &str = "it arrived in an export file, long after it was made";
/// Why an alert is not posted when the centre has set no webhook.
pub(crate) const NO_WEBHOOK: &str = "no webhook is set (waystation-hub alerts set-webhook)";
/// Why an alert that arrived late is not posted.
pub(crate) const TOO_OLD: &str = "it was older than 30 minutes when it arrived";

/// The reasons for holding an alert back, in the order of the dashboard's words for them
/// (`Words::held_back`); any other reason is the webhook's failure, shown as it is.
pub(crate) const HELD_BACK: [&str; 3] = [NO_WEBHOOK, TOO_OLD, IMPORTED];

/// The longest station or kind text passed on: a registered kiosk cannot fill a message.
const MAX_TEXT: usize = 64;

/// How the alert is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// `{"station": …, "kind": …, "time": "2026-11-28T14:03:05+08:00"}`
    Json,
    /// A WeCom (企业微信) group robot's text message:
    /// `{"msgtype": "text", "text": {"content": "…"}}`.
    Wecom,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Wecom => "wecom",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookFormat> {
        match text {
            "json" => Some(WebhookFormat::Json),
            "wecom" => Some(WebhookFormat::Wecom),
            _ => None,
        }
    }
}

/// Where alerts are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub format: WebhookFormat,
}

impl Webhook {
    /// A webhook to an `http` or `https` address.
    pub fn new(url: &str, format: WebhookFormat) -> Result<Webhook, HubError> {
        let url = url.trim();
        let bad = |reason: &str| HubError::BadWebhook(reason.to_string());
        let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("it must be an http:// or https:// address"));
        }
        Ok(Webhook {
            url: url.to_string(),
            format,
        })
    }

    /// The address as shown to people: scheme, host and port only. A group robot's path or
    /// query holds its key, and anyone with the key can post to the group.
    pub fn shown(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(url) => {
                let origin = url.origin().ascii_serialization();
                let hidden = url.path() != "/" || url.query().is_some();
                if hidden {
                    format!("{origin}/… (path and key not shown)")
                } else {
                    origin
                }
            }
            Err(_) => "(not a valid address)".into(),
        }
    }
}

/// A stored alert and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub record_id: String,
    pub device_id: String,
    /// The station the kiosk says it stands in, or the one it was registered with.
    pub station: String,
    /// What kind of alert: `staff_call` for a worker's call.
    pub kind: String,
    /// The best time for the alert (the record's corrected time), ms since the epoch.
    pub at_ms: i64,
    pub received_ms: i64,
    pub via: Via,
    /// When the webhook accepted it, if it did.
    pub forwarded_ms: Option<i64>,
    /// How many posts were tried.
    pub attempts: u32,
    /// Why it was not passed on (the last time it was tried or considered).
    pub last_error: Option<String>,
    /// When someone at the centre marked it seen and handled in the dashboard, and who.
    pub acknowledged: Option<(i64, String)>,
    /// For an alert the hub raised itself: when its problem was no longer found.
    pub cleared_ms: Option<i64>,
}

/// The station and kind an alert record carries, cleaned up: at most [`MAX_TEXT`]
/// characters, no control characters. A missing kind is a staff call (the only kind a kiosk
/// sends today); a missing station is left for the storage to fill from the registration.
pub(crate) fn fields(record: &StoredRecord) -> (Option<String>, String) {
    let clean = |key: &str| {
        record
            .payload
            .get(key)
            .and_then(|v| v.as_str())
            .map(|text| {
                text.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_TEXT)
                    .collect::<String>()
            })
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    (
        clean("station"),
        clean("kind").unwrap_or_else(|| "staff_call".into()),
    )
}

/// What a kind means, in the words staff read on their phones.
fn kind_words(kind: &str) -> String {
    match kind {
        "staff_call" => "有人在自助机上呼叫驿站工作人员，请尽快过去看看。".into(),
        "kiosk_silent" => "自助机已超过一天没有联系中心，请看看它是否开着、网络是否正常。".into(),
        "paper_out" => "自助机的打印机缺纸，请换上新纸卷。".into(),
        "printer_fault" => "自助机的打印机出了故障（盖子打开、离线或无应答），请检查。".into(),
        "directory_expired" => "自助机上的服务目录已过期，请中心发布新的目录。".into(),
        other => format!("自助机发来提醒（{other}），请过去看看。"),
    }
}

/// The body posted for `alert`: station, kind and time only.
pub fn body(format: WebhookFormat, alert: &Alert) -> serde_json::Value {
    let time = crate::station_time::local(alert.at_ms);
    match format {
        WebhookFormat::Json => serde_json::json!({
            "station": alert.station,
            "kind": alert.kind,
            "time": time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
        }),
        WebhookFormat::Wecom => {
            let when = time
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "不详".into());
            // A worker's call, or a problem the hub found itself.
            let (title, time_label) = if alert.via == Via::Watch {
                ("终端提醒", "发现时间")
            } else {
                ("驿站呼叫", "呼叫时间")
            };
            let content = format!(
                "【{title}】{}：{}{time_label}：{when}（北京时间）。",
                alert.station,
                kind_words(&alert.kind)
            );
            serde_json::json!({ "msgtype": "text", "text": { "content": content } })
        }
    }
}

/// Whether an alert that just arrived should be posted now, or why not.
pub(crate) fn due(alert: &Alert, webhook: Option<&Webhook>, now_ms: i64) -> Result<(), String> {
    if alert.via == Via::Import {
        return Err(IMPORTED.into());
    }
    if webhook.is_none() {
        return Err(NO_WEBHOOK.into());
    }
    if now_ms.saturating_sub(alert.at_ms) > FRESH_FOR_MS {
        return Err(TOO_OLD.into());
    }
    Ok(())
}

/// Posts alerts; one client for the hub's life, with the time-outs above.
pub(crate) struct Forwarder {
    client: reqwest::Client,
}

impl Forwarder {
    pub fn new() -> Result<Forwarder, HubError> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(FORWARD_TIMEOUT)
            .user_agent(concat!("waystation-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HubError::Storage(format!("cannot set up the webhook client: {e}")))?;
        Ok(Forwarder { client })
    }

    /// Posts one alert. Success is a 2xx answer, and for WeCom also `errcode` 0 in the
    /// answer (the robot answers 200 with an error code when it refuses a message). The error
    /// never names the webhook's address, which holds its key.
    async fn post(client: reqwest::Client, webhook: Webhook, alert: Alert) -> Result<(), String> {
        let body = serde_json::to_vec(&body(webhook.format, &alert)).unwrap_or_default();
        let response = client
            .post(&webhook.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("the webhook answered {}", status.as_u16()));
        }
        let errcode = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("errcode").and_then(|c| c.as_i64()));
        match (webhook.format, errcode) {
            (_, Some(0)) | (WebhookFormat::Json, None) => Ok(()),
            (_, Some(code)) => Err(format!("the webhook refused it (errcode {code})")),
            (WebhookFormat::Wecom, None) => Err("the webhook's answer has no errcode".into()),
        }
    }

    /// Posts every alert at once (so a batch with several takes one time-out, not several)
    /// and returns each outcome, in order.
    pub async fn post_all(&self, webhook: &Webhook, alerts: &[Alert]) -> Vec<Result<(), String>> {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, alert) in alerts.iter().enumerate() {
            let post = Forwarder::post(self.client.clone(), webhook.clone(), alert.clone());
            tasks.spawn(async move { (index, post.await) });
        }
        let mut outcomes: Vec<Result<(), String>> =
            vec![Err("the post did not finish".into()); alerts.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, outcome)) = joined {
                outcomes[index] = outcome;
            }
        }
        outcomes
    }
}

/// A reqwest error in one line, without the address.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "the webhook did not answer in time"
    } else if error.is_connect() {
        "cannot connect to the webhook"
    } else {
        "the post to the webhook failed"
    };
    let mut cause = std::error::Error::source(error);
    let mut last = None;
    while let Some(inner) = cause {
        last = Some(inner.to_string());
        cause = inner.source();
    }
    match last {
        Some(reason) => format!("{what}: {reason}"),
        None => what.to_string(),
    }
}

/// What became of one alert just received: whether a post was tried, and its outcome (or why
/// it was held back).
type Fate = (Alert, bool, Result<(), String>);

/// After a batch is stored: posts the alerts it brought, notes what happened to each, and
/// fills in `forwarded` for them in the reply. A storage failure here is logged and the
/// alerts are answered "not forwarded" (they are stored; `alerts retry` can post them).
pub(crate) async fn forward_new(hub: &Arc<Receiver>, ingested: Ingested) -> BatchReply {
    let Ingested {
        device_id,
        mut reply,
        new_alerts,
    } = ingested;
    if new_alerts.is_empty() {
        return reply;
    }
    let now = now_ms();
    let ids: Vec<String> = new_alerts.iter().map(|(_, id)| id.clone()).collect();
    let fates = match load(hub, device_id, ids).await {
        Ok((webhook, alerts)) => post_due(hub, webhook, alerts, now).await,
        Err(e) => {
            tracing::error!("cannot read the alerts just stored: {e}");
            vec![]
        }
    };
    for (index, id) in &new_alerts {
        let forwarded = fates
            .iter()
            .any(|(alert, _, outcome)| alert.record_id == *id && outcome.is_ok());
        reply.results[*index].forwarded = Some(forwarded);
    }
    note(hub, fates).await;
    reply
}

/// Notes what became of each alert. A failure is logged: what was posted was posted, only
/// the hub's own note of it is missing.
async fn note(hub: &Arc<Receiver>, fates: Vec<Fate>) {
    if fates.is_empty() {
        return;
    }
    let hub = hub.clone();
    let noted = crate::server::blocking(move || {
        let notes: Vec<ForwardNote<'_>> = fates
            .iter()
            .map(|(alert, attempted, outcome)| ForwardNote {
                device_id: &alert.device_id,
                record_id: &alert.record_id,
                attempted: *attempted,
                outcome: outcome.as_ref().map(|_| ()).map_err(String::as_str),
            })
            .collect();
        hub.storage().note_forwards(&notes, now_ms())?;
        Ok(())
    })
    .await;
    if let Err(e) = noted {
        tracing::error!("cannot note what became of the alerts: {e}");
    }
}

/// How often the running hub looks over the fleet for problems that raise alerts.
pub const WATCH_EVERY: Duration = Duration::from_secs(5 * 60);

/// What one pass of the fleet watch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchSummary {
    /// The alerts raised, each for a problem not alerted before while it lasts.
    pub raised: Vec<Alert>,
    /// How many of them the webhook accepted.
    pub forwarded: usize,
}

/// The problems of the registered kiosks that raise alerts, as of `now_ms`.
fn alerted_problems(
    devices: &[crate::storage::Device],
    heartbeats: &[StoredRecord],
    now_ms: i64,
) -> Vec<FleetProblem> {
    let mut found = Vec::new();
    for kiosk in crate::web::fleet::kiosks(devices, heartbeats, now_ms) {
        for problem in &kiosk.problems {
            if let Some(kind) = problem.alert_kind() {
                found.push(FleetProblem {
                    device_id: kiosk.device_id.clone(),
                    station: if kiosk.station.is_empty() {
                        kiosk.device_id.clone()
                    } else {
                        kiosk.station.clone()
                    },
                    kind,
                });
            }
        }
    }
    found
}

/// One pass of the fleet watch at `now_ms`: reads every kiosk's newest heartbeat, raises an
/// alert for each problem that cannot wait (silent for a day, paper out, printer fault,
/// directory expired) and is not alerted yet, closes those whose problem is gone, and posts
/// the new ones to the webhook. The running hub does this every [`WATCH_EVERY`];
/// `waystation-hub alerts watch` does it once.
pub(crate) async fn watch(hub: &Arc<Receiver>, now_ms: i64) -> Result<WatchSummary, HubError> {
    let reader = hub.clone();
    let read = crate::server::blocking(move || {
        let mut storage = reader.storage();
        let raised = storage.watch_fleet(now_ms, &mut |devices, heartbeats| {
            alerted_problems(devices, heartbeats, now_ms)
        })?;
        Ok((storage.webhook()?, raised))
    })
    .await;
    let (webhook, raised) = read.map_err(|refusal| match refusal {
        crate::ingest::Refusal::Failed(e) => e,
        other => HubError::Storage(other.to_string()),
    })?;
    let fates = post_due(hub, webhook, raised.clone(), now_ms).await;
    let forwarded = fates.iter().filter(|(_, _, o)| o.is_ok()).count();
    note(hub, fates).await;
    Ok(WatchSummary { raised, forwarded })
}

/// The webhook and the stored alerts of this device with these record ids.
async fn load(
    hub: &Arc<Receiver>,
    device_id: String,
    ids: Vec<String>,
) -> Result<(Option<Webhook>, Vec<Alert>), crate::ingest::Refusal> {
    let hub = hub.clone();
    crate::server::blocking(move || {
        let mut storage = hub.storage();
        let webhook = storage.webhook()?;
        let mut alerts = Vec::new();
        for id in &ids {
            alerts.extend(storage.alert(&device_id, id)?);
        }
        Ok((webhook, alerts))
    })
    .await
}

/// Posts the alerts that are due, holds back the others with the reason, and logs each.
async fn post_due(
    hub: &Receiver,
    webhook: Option<Webhook>,
    alerts: Vec<Alert>,
    now: i64,
) -> Vec<Fate> {
    let (to_post, held): (Vec<Alert>, Vec<Alert>) = alerts
        .into_iter()
        .partition(|alert| due(alert, webhook.as_ref(), now).is_ok());
    let posted = match &webhook {
        Some(webhook) => hub.forwarder().post_all(webhook, &to_post).await,
        None => vec![],
    };
    let mut fates: Vec<Fate> = to_post
        .into_iter()
        .zip(posted)
        .map(|(alert, outcome)| (alert, true, outcome))
        .collect();
    for alert in held {
        let reason = due(&alert, webhook.as_ref(), now);
        fates.push((alert, false, reason));
    }
    for (alert, _, outcome) in &fates {
        match outcome {
            Ok(()) => tracing::info!(
                device = alert.device_id,
                station = alert.station,
                kind = alert.kind,
                "alert forwarded"
            ),
            Err(reason) => tracing::warn!(
                device = alert.device_id,
                station = alert.station,
                kind = alert.kind,
                %reason,
                "alert stored but not forwarded"
            ),
        }
    }
    fates
}

/// What `alerts retry` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrySummary {
    pub forwarded: usize,
    /// The alerts that failed again, with why.
    pub failed: Vec<(Alert, String)>,
}

/// Posts again every alert of the last day that was not passed on. Refuses when no webhook
/// is set.
pub(crate) fn retry(
    storage: &mut dyn crate::Storage,
    forwarder: &Forwarder,
) -> Result<RetrySummary, HubError> {
    let webhook = storage.webhook()?.ok_or(HubError::NoWebhook)?;
    let now = now_ms();
    let waiting: Vec<Alert> = storage
        .alerts(Some(now - RETRY_WITHIN_MS), usize::MAX)?
        .into_iter()
        .filter(|alert| alert.forwarded_ms.is_none())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HubError::Server)?;
    let outcomes = runtime.block_on(forwarder.post_all(&webhook, &waiting));
    let mut summary = RetrySummary::default();
    for (alert, outcome) in waiting.into_iter().zip(outcomes) {
        storage.note_forward(
            &alert.device_id,
            &alert.record_id,
            now_ms(),
            true,
            outcome.as_ref().map(|_| ()).map_err(String::as_str),
        )?;
        match outcome {
            Ok(()) => summary.forwarded += 1,
            Err(reason) => summary.failed.push((alert, reason)),
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(at_ms: i64, via: Via) -> Alert {
        Alert {
            record_id: "r".into(),
            device_id: "ws-1".into(),
            station: "jingan-1".into(),
            kind: "staff_call".into(),
            at_ms,
            received_ms: at_ms,
            via,
            forwarded_ms: None,
            attempts: 0,
            last_error: None,
            acknowledged: None,
            cleared_ms: None,
        }
    }

    // 2026-11-28 06:03:05 UTC, 14:03:05 in Shanghai.
    const AT: i64 = 1_795_845_785_000;

    #[test]
    fn the_json_body_is_station_kind_and_time_only() {
        let body = body(WebhookFormat::Json, &alert(AT, Via::Network));
        assert_eq!(
            body,
            serde_json::json!({
                "station": "jingan-1",
                "kind": "staff_call",
                "time": "2026-11-28T14:03:05+08:00",
            })
        );
    }

    #[test]
    fn the_wecom_body_is_a_group_robot_text_message() {
        let body = body(WebhookFormat::Wecom, &alert(AT, Via::Network));
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 2, "{body}");
        assert_eq!(body["msgtype"], "text");
        assert_eq!(body["text"].as_object().unwrap().len(), 1, "{body}");
        let content = body["text"]["content"].as_str().unwrap();
        assert!(content.contains("jingan-1"), "{content}");
        assert!(content.contains("2026-11-28 14:03"), "{content}");
        assert!(content.contains("呼叫驿站工作人员"), "{content}");
        // A robot's text message may be at most 2048 bytes.
        let long = Alert {
            station: "站".repeat(MAX_TEXT),
            ..alert(AT, Via::Network)
        };
        let long_body = super::body(WebhookFormat::Wecom, &long);
        assert!(long_body["text"]["content"].as_str().unwrap().len() < 2048);
    }

    #[test]
    fn only_fresh_alerts_that_came_over_the_network_are_posted_and_only_with_a_webhook() {
        let webhook = Webhook::new("http://127.0.0.1:9/hook", WebhookFormat::Json).unwrap();
        let now = AT + 60_000;
        assert_eq!(due(&alert(AT, Via::Network), Some(&webhook), now), Ok(()));
        assert!(due(&alert(AT, Via::Network), None, now).is_err());
        assert!(due(&alert(AT, Via::Import), Some(&webhook), now).is_err());
        let stale = alert(now - FRESH_FOR_MS - 1, Via::Network);
        assert!(
            due(&stale, Some(&webhook), now)
                .unwrap_err()
                .contains("30 minutes")
        );
    }

    #[test]
    fn a_webhook_must_be_http_and_its_key_is_never_shown() {
        assert!(Webhook::new("ftp://example.org/x", WebhookFormat::Json).is_err());
        assert!(Webhook::new("not a url", WebhookFormat::Json).is_err());
        let wecom = Webhook::new(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key",
            WebhookFormat::Wecom,
        )
        .unwrap();
        let shown = wecom.shown();
        assert!(shown.starts_with("https://qyapi.weixin.qq.com"), "{shown}");
        assert!(
            !shown.contains("secret-key") && !shown.contains("send"),
            "{shown}"
        );
    }

    #[test]
    fn fields_are_cleaned_and_bounded() {
        let record = |payload: serde_json::Value| StoredRecord {
            id: "r".into(),
            device_id: "ws-1".into(),
            seq: 1,
            kind: waystation_protocol::wire::STAFF_ALERT_KIND.into(),
            schema_version: 1,
            day: "2026-11-28".into(),
            payload,
            created: waystation_protocol::ClockStamp {
                wall_ms: AT,
                synced: true,
                boot_id: "b".into(),
                monotonic_ms: 1,
            },
            corrected_ms: AT,
            time_source: waystation_protocol::TimeSource::Synced,
            received_ms: AT,
            via: Via::Network,
        };
        assert_eq!(
            fields(&record(
                serde_json::json!({"station": "a\nb", "kind": "staff_call"})
            )),
            (Some("ab".into()), "staff_call".into())
        );
        assert_eq!(
            fields(&record(serde_json::json!({}))),
            (None, "staff_call".into())
        );
        let (station, _) = fields(&record(serde_json::json!({"station": "x".repeat(500)})));
        assert_eq!(station.unwrap().len(), MAX_TEXT);
    }
}
