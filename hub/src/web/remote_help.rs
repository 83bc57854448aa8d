//! The remote help page (`/remote-help`, admins): the kiosks remote help is on for, until
//! when, who switched it on and how their tunnel is, a form to switch it on for one kiosk and
//! a button to switch it off, as `waystation-hub remote-help on/off` do. Plain forms with the
//! session's CSRF token, so the page works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use waystation_protocol::remote_help::MAX_MINUTES;

use super::words::Words;
use super::{LanguageChoice, allowed, failed, language, on_storage, rendered, see_other};
use crate::HubError;
use crate::ingest::{Receiver, now_ms};
use crate::remote_help::{KioskSide, RemoteHelp};
use crate::users::Role;

#[derive(Template)]
#[template(path = "remote_help.html")]
struct RemoteHelpPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    notice: Option<&'static str>,
    problem: Option<&'static str>,
    max_minutes: u32,
    /// Kiosk, until, by whom, tunnel, per kiosk remote help is on for.
    helps: Vec<[String; 4]>,
}

#[derive(Deserialize)]
pub(super) struct RemoteHelpQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// What the page says happened: `done=on` or `done=off` after a form.
fn notice(done: Option<&str>, w: &Words) -> Option<&'static str> {
    match done {
        Some("on") => Some(w.remote_help_on_done),
        Some("off") => Some(w.remote_help_off_done),
        _ => None,
    }
}

/// A kiosk's tunnel in the page's words, from its newest heartbeat.
fn tunnel_words(side: &KioskSide, w: &Words) -> String {
    let state = match side.tunnel.as_deref() {
        Some("connecting") => w.tunnel_states[0],
        Some("up") => w.tunnel_states[1],
        Some("down") => w.tunnel_states[2],
        Some("error") => w.tunnel_states[3],
        _ => return "—".into(),
    };
    match &side.detail {
        Some(detail) if !detail.is_empty() => format!("{state}: {detail}"),
        _ => state.to_string(),
    }
}

async fn remote_help_view(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    done: Option<&str>,
    problem: Option<fn(&Words) -> &'static str>,
) -> Response {
    let (session, user) = match allowed(hub, headers, choice, Role::Admin, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let read = on_storage(hub, |storage| {
        let helps = crate::remote_help::in_force(storage, now_ms())?;
        Ok((helps, storage.latest_heartbeats()?))
    })
    .await;
    let (helps, beats) = match read {
        Ok(read) => read,
        Err(e) => return failed(e),
    };
    let w = language(headers, choice).words();
    let minute = |ms: i64| crate::station_time::minute(ms).unwrap_or_default();
    let row = |help: RemoteHelp| {
        let side = beats
            .iter()
            .find(|beat| beat.device_id == help.device_id)
            .map(|beat| crate::remote_help::kiosk_side(&beat.payload))
            .unwrap_or_else(|| crate::remote_help::kiosk_side(&serde_json::Value::Null));
        [
            help.device_id,
            minute(help.until_ms),
            help.granted_by,
            tunnel_words(&side, w),
        ]
    };
    let html = RemoteHelpPage {
        lang: language(headers, choice).code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: true,
        csrf: &session.csrf,
        notice: notice(done, w),
        problem: problem.map(|p| p(w)),
        max_minutes: MAX_MINUTES,
        helps: helps.into_iter().map(row).collect(),
    }
    .render();
    let mut response = rendered(html, choice);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

pub(super) async fn remote_help_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<RemoteHelpQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    remote_help_view(&hub, &headers, &choice, query.done.as_deref(), None).await
}

#[derive(Deserialize)]
pub(super) struct SwitchOnForm {
    csrf: String,
    kiosk: String,
    /// Text, so that a value that is not a number is the page's problem, not axum's 422.
    minutes: String,
}

pub(super) async fn switch_on(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<SwitchOnForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(minutes) = form.minutes.trim().parse::<u32>() else {
        let problem: fn(&Words) -> &'static str = |w| w.remote_help_bad_minutes;
        return remote_help_view(&hub, &headers, &choice, None, Some(problem)).await;
    };
    let kiosk = form.kiosk.trim().to_string();
    let done = on_storage(&hub, move |storage| {
        crate::remote_help::switch_on(storage, &kiosk, minutes, &user.name, now_ms())
    })
    .await;
    let problem: fn(&Words) -> &'static str = match done {
        Ok(_) => return see_other("/remote-help?done=on", &[]),
        Err(HubError::BadMinutes(_)) => |w| w.remote_help_bad_minutes,
        Err(HubError::UnknownDevice(_) | HubError::DeviceRevoked(_)) => |w| w.remote_help_no_kiosk,
        Err(HubError::NoJumpHost(_)) => |w| w.remote_help_no_jump_host,
        Err(e) => return failed(e),
    };
    remote_help_view(&hub, &headers, &choice, None, Some(problem)).await
}

#[derive(Deserialize)]
pub(super) struct SwitchOffForm {
    csrf: String,
    kiosk: String,
}

pub(super) async fn switch_off(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<SwitchOffForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let kiosk = form.kiosk.trim().to_string();
    let done = on_storage(&hub, move |storage| {
        crate::remote_help::switch_off(storage, &kiosk, &user.name, now_ms())
    })
    .await;
    match done {
        Ok(_) => see_other("/remote-help?done=off", &[]),
        Err(e) => failed(e),
    }
}
