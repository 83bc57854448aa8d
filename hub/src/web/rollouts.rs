//! The image updates page (`/updates`, admins): the bundles the hub holds, the rollouts made,
//! and a form to roll a version out to all kiosks, a district or one kiosk, as
//! `waystation-hub update rollout` does. Bundles are added with `update add` on the hub's
//! machine only: a page upload of hundreds of MiB is not what a browser form is for.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::words::Words;
use super::{LanguageChoice, allowed, failed, language, on_storage, rendered, see_other};
use crate::HubError;
use crate::ingest::{Receiver, now_ms};
use crate::storage::Scope;
use crate::users::{AuditEntry, Role};

#[derive(Template)]
#[template(path = "updates.html")]
struct UpdatesPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    done: bool,
    problem: Option<&'static str>,
    /// Version, size, SHA-256 and when added, per image.
    images: Vec<[String; 4]>,
    /// Version, to whom and when, per rollout, newest first.
    rollouts: Vec<[String; 3]>,
}

#[derive(Deserialize)]
pub(super) struct UpdatesQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// A rollout's scope in the page's words.
fn scope_words(scope: &Scope, w: &Words) -> String {
    match scope {
        Scope::All => w.rollout_scopes[0].to_string(),
        Scope::District(name) => format!("{} {name}", w.rollout_scopes[1]),
        Scope::Kiosk(id) => format!("{} {id}", w.rollout_scopes[2]),
    }
}

async fn updates_view(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    done: bool,
    problem: Option<fn(&Words) -> &'static str>,
) -> Response {
    let (session, user) = match allowed(hub, headers, choice, Role::Admin, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let read = on_storage(hub, |storage| Ok((storage.images()?, storage.rollouts()?))).await;
    let (images, rollouts) = match read {
        Ok(read) => read,
        Err(e) => return failed(e),
    };
    let w = language(headers, choice).words();
    let minute = |ms: i64| crate::station_time::minute(ms).unwrap_or_default();
    let html = UpdatesPage {
        lang: language(headers, choice).code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: true,
        csrf: &session.csrf,
        done,
        problem: problem.map(|p| p(w)),
        images: images
            .into_iter()
            .map(|i| [i.version, i.size.to_string(), i.sha256, minute(i.added_ms)])
            .collect(),
        rollouts: rollouts
            .into_iter()
            .rev()
            .map(|r| [r.version, scope_words(&r.scope, w), minute(r.created_ms)])
            .collect(),
    }
    .render();
    let mut response = rendered(html, choice);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

pub(super) async fn updates_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<UpdatesQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    updates_view(&hub, &headers, &choice, query.done.is_some(), None).await
}

#[derive(Deserialize)]
pub(super) struct RolloutForm {
    csrf: String,
    version: String,
    /// `all`, `district` or `kiosk`.
    scope: String,
    #[serde(default)]
    name: String,
}

/// The scope a form asks for, or the problem with it.
fn form_scope(scope: &str, name: &str) -> Result<Scope, fn(&Words) -> &'static str> {
    let name = name.trim();
    match (scope, name.is_empty()) {
        ("all", _) => Ok(Scope::All),
        ("district", false) => Ok(Scope::District(name.to_string())),
        ("kiosk", false) => Ok(Scope::Kiosk(name.to_string())),
        _ => Err(|w| w.rollout_needs_name),
    }
}

pub(super) async fn roll_out(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<RolloutForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let scope = match form_scope(&form.scope, &form.name) {
        Ok(scope) => scope,
        Err(problem) => return updates_view(&hub, &headers, &choice, false, Some(problem)).await,
    };
    let version = form.version.trim().to_string();
    let done = on_storage(&hub, move |storage| {
        let now = now_ms();
        crate::updates::roll_out(storage, &version, std::slice::from_ref(&scope), now)?;
        storage.audit(&AuditEntry {
            at_ms: now,
            actor: user.name,
            action: "image rolled out".into(),
            detail: format!("{version} {scope:?}"),
        })
    })
    .await;
    let problem: fn(&Words) -> &'static str = match done {
        Ok(()) => return see_other("/updates?done=1", &[]),
        Err(HubError::NoSuchImage(_)) => |w| w.rollout_no_image,
        Err(HubError::UnknownDevice(_)) => |w| w.rollout_no_kiosk,
        Err(e) => return failed(e),
    };
    updates_view(&hub, &headers, &choice, false, Some(problem)).await
}
