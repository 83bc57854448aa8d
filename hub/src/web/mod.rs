//! The service centre's dashboard (issue 18): server-rendered pages from the templates in
//! `hub/templates`, forms that work without JavaScript, sign-in with sessions and CSRF tokens
//! (`auth.rs`), Chinese first with an English switch (`words.rs`).
//!
//! Served beside the kiosks' endpoints by `waystation-hub serve`. What is here so far: sign-in,
//! sign-out and the overview; the other pages of the issue are still to come.

pub mod auth;
pub mod csv;
pub mod directory;
pub mod figures;
pub mod fleet;
mod remote_help;
mod rollouts;
pub mod words;

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::HubError;
use crate::ingest::{Receiver, now_ms};
use crate::users::{AuditEntry, Role, Session, User, verify_password};
use words::{Language, Words};

/// The dashboard's routes; the server gives them the hub as their state.
pub(crate) fn router() -> Router<Arc<Receiver>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/overview", get(overview_page))
        .route("/stations", get(stations_page))
        .route("/fleet", get(fleet_page))
        .route("/alerts", get(alerts_page))
        .route("/kiosks", get(kiosks_page))
        .route("/directory", get(directory_page).post(set_directory))
        .route("/accounts", get(accounts_page).post(add_account))
        .route(
            "/updates",
            get(rollouts::updates_page).post(rollouts::roll_out),
        )
        .route(
            "/remote-help",
            get(remote_help::remote_help_page).post(remote_help::switch_on),
        )
        .route(
            "/remote-help/off",
            axum::routing::post(remote_help::switch_off),
        )
        .route("/accounts/remove", axum::routing::post(remove_account))
        .route("/kiosks/register", axum::routing::post(register_kiosk))
        .route("/kiosks/revoke", axum::routing::post(revoke_kiosk))
        .route(
            "/alerts/acknowledge",
            axum::routing::post(acknowledge_alert),
        )
        .route("/export/overview.csv", get(overview_csv))
        .route("/export/stations.csv", get(stations_csv))
        .route("/dashboard.css", get(style_sheet))
}

/// The `?lang=` of a request, which also sets the language cookie.
#[derive(Deserialize)]
struct LanguageChoice {
    lang: Option<String>,
}

/// The page's language: the one just chosen, else the one chosen before, else Chinese.
fn language(headers: &HeaderMap, choice: &LanguageChoice) -> Language {
    choice
        .lang
        .as_deref()
        .and_then(Language::from_code)
        .or_else(|| cookie(headers, auth::LANGUAGE_COOKIE).and_then(|c| Language::from_code(&c)))
        .unwrap_or(Language::Chinese)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| auth::cookie(h, name).map(String::from))
}

/// A page with the headers every page gets: no caching of figures, no framing, nothing loaded
/// from elsewhere, and the language cookie when the reader just chose one.
fn page(html: String, choice: &LanguageChoice, extra_cookies: &[String]) -> Response {
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    let chosen = choice
        .lang
        .as_deref()
        .and_then(Language::from_code)
        .map(|l| {
            let code = if l == Language::English { "en" } else { "zh" };
            auth::set_cookie(auth::LANGUAGE_COOKIE, code, 365 * 86_400)
        });
    for set in extra_cookies.iter().cloned().chain(chosen) {
        if let Ok(value) = HeaderValue::from_str(&set) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for set in cookies {
        if let Ok(value) = HeaderValue::from_str(set) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn failed(e: HubError) -> Response {
    tracing::error!("dashboard: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the hub could not read its database; see its log",
    )
        .into_response()
}

fn random_token() -> Result<[u8; 32], HubError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| HubError::Storage(format!("no randomness: {e}")))?;
    Ok(bytes)
}

async fn on_storage<T: Send + 'static>(
    hub: &Arc<Receiver>,
    work: impl FnOnce(&mut dyn crate::Storage) -> Result<T, HubError> + Send + 'static,
) -> Result<T, HubError> {
    let hub = hub.clone();
    tokio::task::spawn_blocking(move || work(hub.storage().as_mut()))
        .await
        .unwrap_or_else(|e| Err(HubError::Storage(format!("the work failed: {e}"))))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    lang: &'static str,
    w: &'static Words,
    csrf: &'a str,
    name: &'a str,
    problem: Option<&'static str>,
    /// A kiosk key scanned before signing in, carried to the kiosks page after (or "").
    register: &'a str,
}

/// A kiosk's public key as scanned from its QR code or pasted, if it is one: the only text a
/// link may carry into the sign-in form and the kiosks page.
fn kiosk_key(text: Option<&str>) -> Option<String> {
    let key = text?.trim();
    waystation_protocol::device_id(key).ok()?;
    Some(key.to_string())
}

/// The sign-in form, with a fresh CSRF token in it and in a cookie.
fn sign_in_form(
    language: Language,
    choice: &LanguageChoice,
    name: &str,
    register: &str,
    problem: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let token = match random_token() {
        Ok(random) => auth::token(random),
        Err(e) => return failed(e),
    };
    let html = SignInPage {
        lang: language.code(),
        w: language.words(),
        csrf: &token,
        name,
        problem,
        register,
    }
    .render();
    match html {
        Ok(html) => {
            let cookie = auth::set_cookie(auth::SIGN_IN_COOKIE, &token, 3600);
            let mut response = page(html, choice, &[cookie]);
            *response.status_mut() = status;
            response
        }
        Err(e) => failed(HubError::Storage(format!("template: {e}"))),
    }
}

#[derive(Deserialize)]
struct SignInQuery {
    lang: Option<String>,
    /// A kiosk key scanned from its QR code before signing in.
    register: Option<String>,
}

async fn sign_in_page(headers: HeaderMap, Query(query): Query<SignInQuery>) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    let register = kiosk_key(query.register.as_deref()).unwrap_or_default();
    sign_in_form(
        language(&headers, &choice),
        &choice,
        "",
        &register,
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    register: String,
}

/// What became of a sign-in attempt.
enum SignIn {
    In(String),
    Wrong,
    Locked,
}

async fn sign_in(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let language = language(&headers, &choice);
    let w = language.words();
    let register = kiosk_key(Some(&form.register)).unwrap_or_default();
    let expected = cookie(&headers, auth::SIGN_IN_COOKIE).unwrap_or_default();
    if !auth::csrf_matches(&expected, &form.csrf) {
        return sign_in_form(
            language,
            &choice,
            "",
            &register,
            Some(w.form_expired),
            StatusCode::FORBIDDEN,
        );
    }
    let name = form.name.trim().to_string();
    let (cookie_random, csrf_random) = match (random_token(), random_token()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let attempt = {
        let name = name.clone();
        on_storage(&hub, move |storage| {
            attempt_sign_in(
                storage,
                &name,
                &form.password,
                cookie_random,
                csrf_random,
                now_ms(),
            )
        })
        .await
    };
    match attempt {
        Ok(SignIn::In(cookie)) => see_other(
            &if register.is_empty() {
                "/overview".to_string()
            } else {
                format!("/kiosks?key={}", query_text(&register))
            },
            &[
                auth::set_cookie(auth::SESSION_COOKIE, &cookie, auth::SESSION_MS / 1000),
                auth::set_cookie(auth::SIGN_IN_COOKIE, "", 0),
            ],
        ),
        Ok(SignIn::Wrong) => sign_in_form(
            language,
            &choice,
            &name,
            &register,
            Some(w.wrong_password),
            StatusCode::UNAUTHORIZED,
        ),
        Ok(SignIn::Locked) => sign_in_form(
            language,
            &choice,
            &name,
            &register,
            Some(w.locked),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => failed(e),
    }
}

/// Checks the throttle and the password, and on success keeps a new session; every outcome is
/// a line in the audit log.
fn attempt_sign_in(
    storage: &mut dyn crate::Storage,
    name: &str,
    password: &str,
    cookie_random: [u8; 32],
    csrf_random: [u8; 32],
    now: i64,
) -> Result<SignIn, HubError> {
    let audit = |storage: &mut dyn crate::Storage, action: &str| {
        storage.audit(&AuditEntry {
            at_ms: now,
            actor: name.chars().take(40).collect(),
            action: action.into(),
            detail: String::new(),
        })
    };
    let wrong = storage.wrong_passwords(name, now - auth::WRONG_WINDOW_MS)?;
    if auth::locked_until(&wrong, now).is_some() {
        audit(storage, "sign-in refused: too many wrong passwords")?;
        return Ok(SignIn::Locked);
    }
    let user = storage.user(name)?;
    // A name with no account is checked against a fixed hash, so that it takes as long as a
    // wrong password and the answer cannot tell which names exist.
    let hash = match &user {
        Some(u) => u.password_hash.as_str(),
        None => no_account_hash()?,
    };
    if !verify_password(password, hash) || user.is_none() {
        storage.note_wrong_password(name, now)?;
        audit(storage, "sign-in refused: wrong password")?;
        return Ok(SignIn::Wrong);
    }
    let (session, cookie) = auth::new_session(name, cookie_random, csrf_random, now);
    storage.add_session(&session)?;
    audit(storage, "signed in")?;
    Ok(SignIn::In(cookie))
}

/// An Argon2id hash with the parameters real accounts use, made once per process; no sign-in
/// can pass with it (the caller also requires an account).
fn no_account_hash() -> Result<&'static str, HubError> {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let random = random_token()?;
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&random[..16]);
    let hash = crate::users::hash_password("no account has this password", salt)?;
    Ok(HASH.get_or_init(|| hash))
}

/// The signed-in account of a request, if its session is current.
async fn signed_in(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
) -> Result<Option<(Session, User)>, HubError> {
    let Some(token) = cookie(headers, auth::SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::token_hash(&token);
    on_storage(hub, move |storage| storage.session(&hash, now_ms())).await
}

/// The signed-in account of a request, or the response to give instead: to the sign-in page
/// without a current session, an error page if the database failed.
async fn account(hub: &Arc<Receiver>, headers: &HeaderMap) -> Result<(Session, User), Response> {
    match signed_in(hub, headers).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(see_other("/sign-in", &[])),
        Err(e) => Err(failed(e)),
    }
}

/// The signed-in account of a request if its role is `needed` or above and, for a form, the
/// form carries its session's CSRF token; else the response to give instead (sign in, a
/// forged form refused, or the page saying the account may not see it).
async fn allowed(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    needed: Role,
    form_token: Option<&str>,
) -> Result<(Session, User), Response> {
    let (session, user) = account(hub, headers).await?;
    if let Some(refused) = form_token.and_then(|token| forged_form(&session, token)) {
        return Err(refused);
    }
    if user.role < needed {
        return Err(forbidden(
            language(headers, choice),
            choice,
            &user,
            &session,
        ));
    }
    Ok((session, user))
}

/// The refusal of a form that does not carry its session's CSRF token, if it does not.
fn forged_form(session: &Session, token: &str) -> Option<Response> {
    (!auth::csrf_matches(&session.csrf, token)).then(|| {
        (
            StatusCode::FORBIDDEN,
            "the form had expired: reload the page",
        )
            .into_response()
    })
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (session, user) = match account(&hub, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Some(refused) = forged_form(&session, &form.csrf) {
        return refused;
    }
    let ended = on_storage(&hub, move |storage| {
        storage.end_session(&session.token_hash)?;
        storage.audit(&AuditEntry {
            at_ms: now_ms(),
            actor: user.name,
            action: "signed out".into(),
            detail: String::new(),
        })
    })
    .await;
    match ended {
        Ok(()) => see_other("/sign-in", &[auth::set_cookie(auth::SESSION_COOKIE, "", 0)]),
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    chart: String,
    rows: Vec<Row>,
    late: u64,
}

#[derive(Template)]
#[template(path = "stations.html")]
struct StationsPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    week: String,
    weeks: Vec<(String, bool)>,
    /// The view's query value and whether it is the one shown, with its words.
    views: Vec<(&'static str, &'static str, bool)>,
    by: &'static str,
    place_columns: Vec<&'static str>,
    rows: Vec<PlaceRow>,
    totals: Vec<String>,
}

/// A row of the stations page: where it counts (district, kind, station, as far as the view
/// goes) and its figures.
struct PlaceRow {
    places: Vec<String>,
    cells: Vec<String>,
}

/// The ways the stations page adds a week up, as asked in `?by=`.
const VIEWS: [(&str, figures::View); 3] = [
    ("station", figures::View::Stations),
    ("kind", figures::View::KindsInDistricts),
    ("district", figures::View::Districts),
];

fn view_asked(asked: Option<&str>) -> (&'static str, figures::View) {
    VIEWS
        .into_iter()
        .find(|(name, _)| Some(*name) == asked)
        .unwrap_or(VIEWS[0])
}

/// The headings of the place columns and the rows of a week in a view: the one place the
/// page and its CSV take them from.
fn place_rows(
    week: &figures::WeekTable,
    view: figures::View,
    w: &Words,
) -> (Vec<&'static str>, Vec<PlaceRow>) {
    let columns = match view {
        figures::View::Stations => vec![w.district, w.station_kind, w.station],
        figures::View::KindsInDistricts => vec![w.district, w.station_kind],
        figures::View::Districts => vec![w.district],
    };
    let named = |text: &str| {
        if text.is_empty() {
            w.not_given.to_string()
        } else {
            text.to_string()
        }
    };
    let rows = week
        .rows(view)
        .into_iter()
        .map(|row| {
            let parts = [&row.place.district, &row.place.kind, &row.place.station];
            PlaceRow {
                places: parts[..columns.len()].iter().map(|p| named(p)).collect(),
                cells: row.cells.iter().copied().map(figure).collect(),
            }
        })
        .collect();
    (columns, rows)
}

struct Row {
    label: String,
    cells: Vec<String>,
}

/// A shown count, or the mark of a hidden one.
fn figure(shown: Option<u64>) -> String {
    shown.map_or_else(|| "<11".to_string(), |n| n.to_string())
}

/// What every page of figures starts from: the account, its session and today's date in
/// Shanghai.
struct Signed {
    session: Session,
    user: User,
    today: chrono::NaiveDate,
}

async fn signed_for_figures(hub: &Arc<Receiver>, headers: &HeaderMap) -> Result<Signed, Response> {
    let (session, user) = account(hub, headers).await?;
    Ok(Signed {
        session,
        user,
        today: crate::station_time::date(now_ms()),
    })
}

/// The overview's weeks, newest first, and how many of their summaries came too late.
async fn overview_weeks(
    hub: &Arc<Receiver>,
    today: chrono::NaiveDate,
) -> Result<(Vec<Arc<figures::WeekTable>>, u64), Response> {
    let weeks = hub.clone();
    on_storage(hub, move |storage| {
        let tables = weeks.weeks.overview(storage, today)?;
        let mondays: Vec<_> = tables.iter().map(|t| t.monday).collect();
        Ok((tables, figures::late(storage, &mondays)?))
    })
    .await
    .map_err(failed)
}

/// Works out the weeks the overview shows ahead of time, so that the first person to open it
/// after the hub starts, or after a week settles, does not wait while a year of summaries is
/// read (over a second for a thousand kiosks; docs/benchmarks.md). The running hub calls it
/// with each pass of the fleet watch; a week already kept costs nothing.
pub(crate) async fn warm_the_weeks(hub: &Arc<Receiver>) {
    let today = crate::station_time::date(now_ms());
    let weeks = hub.clone();
    let worked = on_storage(hub, move |storage| weeks.weeks.overview(storage, today)).await;
    if let Err(e) = worked {
        tracing::error!("cannot work out the overview's weeks ahead: {e}");
    }
}

/// One settled week's table.
async fn one_week(
    hub: &Arc<Receiver>,
    monday: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<Arc<figures::WeekTable>, Response> {
    let weeks = hub.clone();
    on_storage(hub, move |storage| weeks.weeks.week(storage, monday, today))
        .await
        .map_err(failed)
}

fn rendered(html: Result<String, askama::Error>, choice: &LanguageChoice) -> Response {
    match html {
        Ok(html) => page(html, choice, &[]),
        Err(e) => failed(HubError::Storage(format!("template: {e}"))),
    }
}

async fn overview_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(choice): Query<LanguageChoice>,
) -> Response {
    let signed = match signed_for_figures(&hub, &headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let language = language(&headers, &choice);
    let (weeks, late) = match overview_weeks(&hub, signed.today).await {
        Ok(weeks) => weeks,
        Err(response) => return response,
    };
    let rows = weeks
        .iter()
        .map(|week| Row {
            label: week.monday.format("%Y-%m-%d").to_string(),
            cells: week
                .shown
                .column_totals
                .iter()
                .copied()
                .map(figure)
                .collect(),
        })
        .collect();
    let visits: Vec<(String, Option<u64>)> = weeks
        .iter()
        .rev()
        .map(|week| {
            (
                week.monday.format("%m-%d").to_string(),
                week.shown.column_totals[0],
            )
        })
        .collect();
    let html = OverviewPage {
        lang: language.code(),
        w: language.words(),
        user: &signed.user.name,
        may_run_fleet: signed.user.role.may_run_the_fleet(),
        may_administer: signed.user.role.may_administer(),
        csrf: &signed.session.csrf,
        chart: chart::bars(&visits),
        rows,
        late,
    }
    .render();
    rendered(html, &choice)
}

#[derive(Deserialize)]
struct StationsQuery {
    lang: Option<String>,
    week: Option<String>,
    by: Option<String>,
}

async fn stations_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<StationsQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    let signed = match signed_for_figures(&hub, &headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let language = language(&headers, &choice);
    let settled = figures::settled_weeks(signed.today);
    let monday = chosen_week(&signed, query.week);
    let week = match one_week(&hub, monday, signed.today).await {
        Ok(week) => week,
        Err(response) => return response,
    };
    let w = language.words();
    let (by, view) = view_asked(query.by.as_deref());
    let (place_columns, rows) = place_rows(&week, view, w);
    let html = StationsPage {
        lang: language.code(),
        w,
        user: &signed.user.name,
        may_run_fleet: signed.user.role.may_run_the_fleet(),
        may_administer: signed.user.role.may_administer(),
        csrf: &signed.session.csrf,
        week: monday.format("%Y-%m-%d").to_string(),
        weeks: settled
            .iter()
            .map(|m| (m.format("%Y-%m-%d").to_string(), *m == monday))
            .collect(),
        views: VIEWS
            .iter()
            .zip(w.views)
            .map(|((name, _), words)| (*name, words, *name == by))
            .collect(),
        by,
        place_columns,
        rows,
        totals: week
            .shown
            .column_totals
            .iter()
            .copied()
            .map(figure)
            .collect(),
    }
    .render();
    rendered(html, &choice)
}

#[derive(Template)]
#[template(path = "fleet.html")]
struct FleetPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    attention_only: bool,
    kiosks: Vec<FleetRow>,
}

struct FleetRow {
    station: String,
    device_id: String,
    /// Each cell's lines.
    cells: Vec<Vec<String>>,
    problems: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "forbidden.html")]
struct ForbiddenPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
}

/// The page a signed-in account gets for a page its role may not see.
fn forbidden(
    language: Language,
    choice: &LanguageChoice,
    user: &User,
    session: &Session,
) -> Response {
    let html = ForbiddenPage {
        lang: language.code(),
        w: language.words(),
        user: &user.name,
        may_run_fleet: user.role.may_run_the_fleet(),
        may_administer: user.role.may_administer(),
        csrf: &session.csrf,
    }
    .render();
    let mut response = rendered(html, choice);
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    alerts: Vec<AlertRow>,
}

struct AlertRow {
    device_id: String,
    record_id: String,
    time: String,
    station: String,
    what: String,
    passed_on: String,
    handled: Option<String>,
}

fn alert_row(alert: crate::Alert, w: &Words) -> AlertRow {
    let minute = |ms: i64| crate::station_time::minute(ms).unwrap_or_default();
    let passed_on = match (alert.forwarded_ms, &alert.last_error) {
        (Some(at), _) => format!("{} {}", w.passed_on, minute(at)),
        (None, Some(why)) => match crate::alerts::HELD_BACK.iter().position(|r| r == why) {
            Some(index) => w.held_back[index].to_string(),
            // The webhook's own error (its status, a time-out): technical, shown as it is.
            None => format!("{}{why}", w.webhook_failed),
        },
        (None, None) => w.not_passed_on.to_string(),
    };
    AlertRow {
        time: minute(alert.at_ms),
        // A worker's call, a problem the fleet watch found (and whether it is gone), or a kind
        // this hub does not know, as it came.
        what: match (
            alert.kind.as_str(),
            fleet::Problem::of_alert_kind(&alert.kind),
        ) {
            ("staff_call", _) => w.staff_call.to_string(),
            (_, Some(problem)) => match alert.cleared_ms {
                Some(at) => format!("{} ({} {})", w.problem(problem), w.cleared, minute(at)),
                None => w.problem(problem).to_string(),
            },
            (kind, None) => kind.to_string(),
        },
        handled: alert
            .acknowledged
            .map(|(at, by)| format!("{} · {by} · {}", w.handled, minute(at))),
        passed_on,
        station: alert.station,
        device_id: alert.device_id,
        record_id: alert.record_id,
    }
}

async fn alerts_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(choice): Query<LanguageChoice>,
) -> Response {
    let (session, user) = match allowed(&hub, &headers, &choice, Role::Operator, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let language = language(&headers, &choice);
    let alerts = match on_storage(&hub, |storage| storage.alerts(None, 100)).await {
        Ok(alerts) => alerts,
        Err(e) => return failed(e),
    };
    let w = language.words();
    let html = AlertsPage {
        lang: language.code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: user.role.may_administer(),
        csrf: &session.csrf,
        alerts: alerts.into_iter().map(|a| alert_row(a, w)).collect(),
    }
    .render();
    rendered(html, &choice)
}

#[derive(Deserialize)]
struct AcknowledgeForm {
    csrf: String,
    device_id: String,
    record_id: String,
}

async fn acknowledge_alert(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<AcknowledgeForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Operator, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let marked = on_storage(&hub, move |storage| {
        storage.acknowledge_alert(&form.device_id, &form.record_id, &user.name, now_ms())
    })
    .await;
    match marked {
        // Marked now or before: either way the list shows who handled it.
        Ok(_) => see_other("/alerts", &[]),
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "kiosks.html")]
struct KiosksPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    notice: Option<String>,
    problem: Option<&'static str>,
    kiosks: Vec<KioskRow>,
    /// The key the form comes filled in with (or "").
    key: String,
}

struct KioskRow {
    station: String,
    device_id: String,
    status: String,
    added: String,
    active: bool,
}

#[derive(Deserialize)]
struct KiosksQuery {
    lang: Option<String>,
    registered: Option<String>,
    revoked: Option<String>,
    /// A kiosk's public key, from the link its QR code in staff mode holds: the form comes
    /// filled in with it.
    key: Option<String>,
}

/// The kiosks page, with a notice of what was just done or the problem with what was asked.
async fn kiosks_view(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    notice: impl Fn(&Words) -> Option<String>,
    problem: Option<fn(&Words) -> &'static str>,
    key: Option<String>,
) -> Response {
    let (session, user) = match allowed(hub, headers, choice, Role::Operator, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let language = language(headers, choice);
    let devices = match on_storage(hub, |storage| storage.devices()).await {
        Ok(devices) => devices,
        Err(e) => return failed(e),
    };
    let w = language.words();
    let minute = |ms: i64| crate::station_time::minute(ms).unwrap_or_default();
    let html = KiosksPage {
        lang: language.code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: user.role.may_administer(),
        csrf: &session.csrf,
        notice: notice(w).or_else(|| {
            let id = waystation_protocol::device_id(key.as_deref()?).ok()?;
            Some(format!("{}{id}", w.key_scanned))
        }),
        problem: problem.map(|p| p(w)),
        key: key.unwrap_or_default(),
        kiosks: devices
            .into_iter()
            .map(|d| KioskRow {
                // District and kind before the station, where they were given.
                station: [&d.district, &d.station_kind, &d.station]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(" · "),
                status: match d.revoked_ms {
                    Some(at) => format!("{} {}", w.revoked, minute(at)),
                    None => w.active.to_string(),
                },
                added: minute(d.added_ms),
                active: d.revoked_ms.is_none(),
                device_id: d.device_id,
            })
            .collect(),
    }
    .render();
    let mut response = rendered(html, choice);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

async fn kiosks_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<KiosksQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    // Only a device id is repeated back, so that a crafted link cannot put words on the page.
    let device_id = |id: &Option<String>| {
        id.clone().filter(|id| {
            id.strip_prefix("ws-")
                .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        })
    };
    let notice = |w: &Words| match (device_id(&query.registered), device_id(&query.revoked)) {
        (Some(id), _) => Some(format!("{}{id}", w.registered)),
        (_, Some(id)) => Some(format!("{}{id}", w.revoked_now)),
        _ => None,
    };
    let key = kiosk_key(query.key.as_deref());
    // Scanned before signing in: sign in first, then come back with the key.
    if let Some(key) = &key
        && account(&hub, &headers).await.is_err()
    {
        return see_other(&format!("/sign-in?register={}", query_text(key)), &[]);
    }
    kiosks_view(&hub, &headers, &choice, notice, None, key).await
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: String,
    key: String,
    station: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    station_kind: String,
    note: String,
}

async fn register_kiosk(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Operator, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let registered = on_storage(&hub, move |storage| {
        let now = now_ms();
        let placed = crate::Registration {
            station: Some(&form.station),
            district: Some(&form.district),
            station_kind: Some(&form.station_kind),
            note: Some(&form.note),
        };
        let id = crate::register_device(storage, &form.key, &placed, now)?;
        storage.audit(&AuditEntry {
            at_ms: now,
            actor: user.name,
            action: "kiosk registered".into(),
            detail: format!("{id} {}", form.station.trim()),
        })?;
        Ok(id)
    })
    .await;
    let problem: fn(&Words) -> &'static str = match registered {
        Ok(id) => return see_other(&format!("/kiosks?registered={id}"), &[]),
        Err(HubError::BadDeviceKey(_)) => |w| w.bad_key,
        Err(HubError::DeviceRevoked(_)) => |w| w.key_was_revoked,
        Err(e) => return failed(e),
    };
    kiosks_view(&hub, &headers, &choice, |_| None, Some(problem), None).await
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    device_id: String,
    confirm: Option<String>,
}

async fn revoke_kiosk(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Operator, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.confirm.as_deref() != Some("yes") {
        return kiosks_view(
            &hub,
            &headers,
            &choice,
            |_| None,
            Some(|w| w.not_confirmed),
            None,
        )
        .await;
    }
    let device_id = form.device_id.clone();
    let revoked = on_storage(&hub, move |storage| {
        let now = now_ms();
        let Some(_) = storage.revoke_device(&form.device_id, now)? else {
            return Err(HubError::UnknownDevice(form.device_id));
        };
        storage.audit(&AuditEntry {
            at_ms: now,
            actor: user.name,
            action: "kiosk revoked".into(),
            detail: form.device_id,
        })
    })
    .await;
    match revoked {
        Ok(()) => see_other(&format!("/kiosks?revoked={device_id}"), &[]),
        Err(HubError::UnknownDevice(_)) => (StatusCode::NOT_FOUND, "no such kiosk").into_response(),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct FleetQuery {
    lang: Option<String>,
    attention: Option<String>,
}

async fn fleet_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<FleetQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    let (session, user) = match allowed(&hub, &headers, &choice, Role::Operator, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let language = language(&headers, &choice);
    let w = language.words();
    let read = on_storage(&hub, |storage| {
        Ok((
            storage.devices()?,
            storage.latest_heartbeats()?,
            storage.rollouts()?,
        ))
    })
    .await;
    let (devices, heartbeats, rollouts) = match read {
        Ok(read) => read,
        Err(e) => return failed(e),
    };
    let attention_only = query.attention.is_some();
    let mut kiosks: Vec<fleet::Kiosk> = fleet::kiosks(&devices, &heartbeats, now_ms())
        .into_iter()
        .filter(|k| !attention_only || !k.problems.is_empty())
        .collect();
    for (kiosk, device) in kiosks.iter_mut().filter_map(|k| {
        let device = devices.iter().find(|d| d.device_id == k.device_id)?;
        Some((k, device))
    }) {
        kiosk.target_version = crate::updates::target(device, &rollouts).map(|r| r.version.clone());
    }
    // The most urgent first; kiosks that are well last.
    kiosks.sort_by_key(|k| (k.problems.is_empty(), k.problems.first().copied()));
    let kiosks = kiosks.into_iter().map(|k| fleet_row(k, language)).collect();
    let html = FleetPage {
        lang: language.code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: user.role.may_administer(),
        csrf: &session.csrf,
        attention_only,
        kiosks,
    }
    .render();
    rendered(html, &choice)
}

/// A kiosk's cells in the fleet table's column order, in the page's language.
fn fleet_row(k: fleet::Kiosk, language: Language) -> FleetRow {
    let w = language.words();
    // Each cell is one or more lines; what a kiosk did not report is a dash. The table's
    // cells may wrap, so a number and its unit are held together by a no-break space.
    let lines = |v: Vec<Option<String>>| -> Vec<String> {
        let present: Vec<String> = v.into_iter().flatten().collect();
        if present.is_empty() {
            vec!["-".to_string()]
        } else {
            present
        }
    };
    let last_seen = if k.revoked {
        vec![w.revoked.to_string()]
    } else {
        // The date over the time, to keep the column narrow.
        k.last_seen_ms
            .and_then(crate::station_time::minute)
            .map_or_else(
                || vec![w.never.to_string()],
                |at| at.split(' ').map(str::to_string).collect(),
            )
    };
    let brochures = k
        .brochures_due
        .into_iter()
        .map(|(zh, en)| match language {
            Language::Chinese => Some(zh),
            Language::English => Some(en),
        })
        .collect();
    FleetRow {
        station: k.station,
        device_id: k.device_id,
        cells: vec![
            last_seen,
            lines(vec![k.version, k.image_version]),
            lines(vec![
                k.printer.map(|p| w.printer_state(&p)),
                k.paper_left_mm
                    .map(|mm| format!("{:.0}\u{a0}{}", mm / 1000.0, w.metres)),
            ]),
            lines(brochures),
            lines(vec![
                k.oldest_waiting_s.map(|s| format!("{}\u{a0}h", s / 3600)),
            ]),
            lines(vec![
                k.directory_version,
                k.directory_expires.map(|e| format!("({e})")),
            ]),
            // The machine itself, one line each: free disk, temperature, clock.
            lines(vec![
                k.disk_free_bytes
                    .map(|b| format!("{:.1}\u{a0}GB", b as f64 / 1e9)),
                k.temperature_c.map(|c| format!("{c}\u{a0}°C")),
                k.clock_synced
                    .map(|s| if s { w.synced } else { w.not_synced }.to_string()),
            ]),
            update_lines(k.update.as_ref(), k.target_version, w),
            health_lines(k.health.as_ref(), w),
        ],
        problems: k.problems.iter().map(|&p| w.problem(p)).collect(),
    }
}

/// The fleet table's image update cell: the version to run, the last update's outcome with
/// root's words when it went wrong, a download's progress, the slot.
fn update_lines(update: Option<&fleet::Update>, target: Option<String>, w: &Words) -> Vec<String> {
    let mut lines: Vec<String> = target
        .map(|v| format!("{} {v}", w.update_target))
        .into_iter()
        .collect();
    let Some(update) = update else {
        // No report from the kiosk: the cell says so only when it says nothing else.
        if lines.is_empty() {
            lines.push("-".into());
        }
        return lines;
    };
    if update.unreadable.is_some() {
        lines.push(w.update_unreadable.into());
    }
    if let Some((version, outcome, detail)) = &update.last {
        let said = waystation_protocol::update::OUTCOMES
            .iter()
            .position(|o| o == outcome)
            .map_or(outcome.as_str(), |i| w.update_outcomes[i]);
        lines.push(format!("{said} {version}"));
        if update.failed() && !detail.is_empty() {
            lines.push(format!("({detail})"));
        }
    }
    if let Some((version, bytes, of)) = &update.downloading {
        let percent = if *of == 0 { 0 } else { bytes * 100 / of };
        lines.push(format!(
            "{} {version}: {percent}\u{a0}%",
            w.update_downloading
        ));
    }
    if let Some(slot) = &update.slot {
        lines.push(format!("{} {slot}", w.update_slot));
    }
    lines
}

/// The fleet table's health cell: how the boot began, the program's starts in it, and the
/// crash loops in the last day and week.
fn health_lines(health: Option<&fleet::Health>, w: &Words) -> Vec<String> {
    let Some(health) = health else {
        return vec!["-".into()];
    };
    let mut lines = Vec::new();
    if health.unreadable.is_some() {
        lines.push(w.health_unreadable.to_string());
    }
    if let Some(reason) = &health.boot_reason {
        let said = waystation_protocol::health::BOOT_REASONS
            .iter()
            .position(|r| r == reason)
            .map_or(reason.as_str(), |i| w.boot_reasons[i]);
        lines.push(said.to_string());
    }
    if let Some(starts) = health.starts_this_boot {
        lines.push(format!("{}: {starts}", w.starts_this_boot));
    }
    if let (Some(day), Some(week)) = (health.crash_loops_24h, health.crash_loops_7d) {
        lines.push(format!("{}: {day} / {week}", w.crash_loops));
    }
    if lines.is_empty() {
        lines.push("-".into());
    }
    lines
}

/// A CSV download, and its line in the audit log.
async fn csv_download(
    hub: &Arc<Receiver>,
    user: &User,
    file_name: String,
    rows: Vec<Vec<String>>,
) -> Response {
    let entry = AuditEntry {
        at_ms: now_ms(),
        actor: user.name.clone(),
        action: "exported".into(),
        detail: file_name.clone(),
    };
    if let Err(e) = on_storage(hub, move |storage| storage.audit(&entry)).await {
        return failed(e);
    }
    let mut response = csv::file(&rows).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A table's header: its first column's name, then the measures'.
fn header_row(first: &str, w: &Words) -> Vec<String> {
    std::iter::once(first)
        .chain(w.measures)
        .map(String::from)
        .collect()
}

async fn overview_csv(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(choice): Query<LanguageChoice>,
) -> Response {
    let signed = match signed_for_figures(&hub, &headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let w = language(&headers, &choice).words();
    let weeks = match overview_weeks(&hub, signed.today).await {
        Ok((weeks, _)) => weeks,
        Err(response) => return response,
    };
    let mut rows = vec![header_row(w.week_of, w)];
    for week in weeks {
        let label = week.monday.format("%Y-%m-%d").to_string();
        rows.push(
            std::iter::once(label)
                .chain(week.shown.column_totals.iter().copied().map(figure))
                .collect(),
        );
    }
    let name = format!("waystation-overview-{}.csv", signed.today);
    csv_download(&hub, &signed.user, name, rows).await
}

async fn stations_csv(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<StationsQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    let signed = match signed_for_figures(&hub, &headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let w = language(&headers, &choice).words();
    let monday = chosen_week(&signed, query.week);
    let week = match one_week(&hub, monday, signed.today).await {
        Ok(week) => week,
        Err(response) => return response,
    };
    let (by, view) = view_asked(query.by.as_deref());
    let (place_columns, place_rows) = place_rows(&week, view, w);
    let heading: Vec<String> = place_columns
        .iter()
        .chain(w.measures.iter())
        .map(|h| h.to_string())
        .collect();
    let mut rows = vec![heading];
    for row in place_rows {
        rows.push(row.places.into_iter().chain(row.cells).collect());
    }
    rows.push(
        std::iter::once(w.all_stations.to_string())
            .chain((1..place_columns.len()).map(|_| String::new()))
            .chain(week.shown.column_totals.iter().copied().map(figure))
            .collect(),
    );
    let name = format!("waystation-stations-{by}-week-{monday}.csv");
    csv_download(&hub, &signed.user, name, rows).await
}

/// The settled week asked for, or the newest: no other week may be shown.
fn chosen_week(signed: &Signed, asked: Option<String>) -> chrono::NaiveDate {
    let settled = figures::settled_weeks(signed.today);
    asked
        .and_then(|w| chrono::NaiveDate::parse_from_str(&w, "%Y-%m-%d").ok())
        .filter(|m| settled.contains(m))
        .unwrap_or(settled[0])
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    facts: Option<Vec<(&'static str, String)>>,
    done: bool,
    problem: Option<String>,
}

#[derive(Deserialize)]
struct DirectoryQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// The directory page, for admins: the bundle served, and a form for the next.
async fn directory_view(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    done: bool,
    problem: Option<String>,
) -> Response {
    let (session, user) = match allowed(hub, headers, choice, Role::Admin, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let language = language(headers, choice);
    let served = match on_storage(hub, |storage| storage.bundle()).await {
        Ok(served) => served,
        Err(e) => return failed(e),
    };
    let w = language.words();
    let facts = served
        .and_then(|bytes| directory::info(&bytes).ok())
        .map(|info| {
            let [version, issued, expires, entries] = w.bundle_facts;
            vec![
                (version, info.version.to_string()),
                (issued, info.issued),
                (expires, info.expires),
                (entries, info.entries.to_string()),
            ]
        });
    let bad = problem.is_some();
    let html = DirectoryPage {
        lang: language.code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: true,
        csrf: &session.csrf,
        facts,
        done,
        problem,
    }
    .render();
    let mut response = rendered(html, choice);
    if bad {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

async fn directory_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<DirectoryQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    directory_view(&hub, &headers, &choice, query.done.is_some(), None).await
}

#[derive(Deserialize)]
struct DirectoryForm {
    csrf: String,
    bundle: String,
}

async fn set_directory(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<DirectoryForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let bytes = form.bundle.trim().as_bytes().to_vec();
    let info = match directory::info(&bytes) {
        Ok(info) => info,
        Err(problem) => return directory_view(&hub, &headers, &choice, false, Some(problem)).await,
    };
    let set = on_storage(&hub, move |storage| {
        storage.set_bundle(&bytes)?;
        storage.audit(&AuditEntry {
            at_ms: now_ms(),
            actor: user.name,
            action: "directory set".into(),
            detail: format!("version {} valid to {}", info.version, info.expires),
        })
    })
    .await;
    match set {
        Ok(()) => see_other("/directory?done=1", &[]),
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage<'a> {
    lang: &'static str,
    w: &'static Words,
    user: &'a str,
    may_run_fleet: bool,
    may_administer: bool,
    csrf: &'a str,
    notice: Option<String>,
    problem: Option<&'static str>,
    accounts: Vec<AccountRow>,
    role_choices: Vec<(&'static str, &'static str)>,
}

struct AccountRow {
    name: String,
    role: &'static str,
    added: String,
    /// Every account but the admin's own can be removed here.
    removable: bool,
}

#[derive(Deserialize)]
struct AccountsQuery {
    lang: Option<String>,
    added: Option<String>,
    removed: Option<String>,
}

/// What a link back to the accounts page says was done.
enum AccountDone {
    Added(String),
    Removed(String),
}

/// The accounts page, for admins, with a notice or a problem.
async fn accounts_view(
    hub: &Arc<Receiver>,
    headers: &HeaderMap,
    choice: &LanguageChoice,
    done: Option<AccountDone>,
    problem: Option<fn(&Words) -> &'static str>,
) -> Response {
    let (session, user) = match allowed(hub, headers, choice, Role::Admin, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let language = language(headers, choice);
    let accounts = match on_storage(hub, |storage| storage.users()).await {
        Ok(accounts) => accounts,
        Err(e) => return failed(e),
    };
    let w = language.words();
    let role_words = |role: crate::users::Role| w.roles[role as usize];
    // A name from a link is repeated back only when it is true: the account added is there,
    // the account removed is not.
    let exists = |name: &String| accounts.iter().any(|a| &a.name == name);
    let notice = match done {
        Some(AccountDone::Added(name)) if exists(&name) => {
            Some(format!("{}{name}", w.account_added))
        }
        Some(AccountDone::Removed(name)) if !exists(&name) => {
            Some(format!("{}{name}", w.account_removed))
        }
        _ => None,
    };
    let html = AccountsPage {
        lang: language.code(),
        w,
        user: &user.name,
        may_run_fleet: true,
        may_administer: true,
        csrf: &session.csrf,
        notice,
        problem: problem.map(|p| p(w)),
        accounts: accounts
            .into_iter()
            .map(|a| AccountRow {
                added: crate::station_time::minute(a.added_ms).unwrap_or_default(),
                role: role_words(a.role),
                removable: a.name != user.name,
                name: a.name,
            })
            .collect(),
        role_choices: crate::users::Role::ALL
            .into_iter()
            .map(|r| (r.as_str(), role_words(r)))
            .collect(),
    }
    .render();
    let mut response = rendered(html, choice);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

async fn accounts_page(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Query(query): Query<AccountsQuery>,
) -> Response {
    let choice = LanguageChoice { lang: query.lang };
    let done = match (query.added, query.removed) {
        (Some(name), _) => Some(AccountDone::Added(name)),
        (None, Some(name)) => Some(AccountDone::Removed(name)),
        (None, None) => None,
    };
    accounts_view(&hub, &headers, &choice, done, None).await
}

#[derive(Deserialize)]
struct RemoveAccountForm {
    csrf: String,
    name: String,
    confirm: Option<String>,
}

async fn remove_account(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<RemoveAccountForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if form.confirm.as_deref() != Some("yes") {
        let problem: fn(&Words) -> &'static str = |w| w.remove_not_confirmed;
        return accounts_view(&hub, &headers, &choice, None, Some(problem)).await;
    }
    let name = form.name.clone();
    let removed = on_storage(&hub, move |storage| {
        crate::remove_account(storage, &form.name, &user.name, now_ms())
    })
    .await;
    let problem: fn(&Words) -> &'static str = match removed {
        Ok(()) => return see_other(&format!("/accounts?removed={}", query_text(&name)), &[]),
        Err(HubError::LastAdmin(_)) => |w| w.last_admin,
        Err(HubError::OwnAccount) => |w| w.own_account,
        Err(HubError::NoSuchUser(_)) => |w| w.no_such_account,
        Err(e) => return failed(e),
    };
    accounts_view(&hub, &headers, &choice, None, Some(problem)).await
}

#[derive(Deserialize)]
struct AccountForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
}

async fn add_account(
    State(hub): State<Arc<Receiver>>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    let choice = LanguageChoice { lang: None };
    let (_, user) = match allowed(&hub, &headers, &choice, Role::Admin, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(role) = crate::users::Role::parse(&form.role) else {
        return (StatusCode::BAD_REQUEST, "no such role").into_response();
    };
    let added = on_storage(&hub, move |storage| {
        crate::create_account(storage, &form.name, role, &form.password, &user.name)
    })
    .await;
    let problem: fn(&Words) -> &'static str = match added {
        Ok(account) => {
            return see_other(
                &format!("/accounts?added={}", query_text(&account.name)),
                &[],
            );
        }
        Err(HubError::BadUserName(_)) => |w| w.bad_name,
        Err(HubError::BadPassword(_)) => |w| w.weak_password,
        Err(HubError::UserExists(_)) => |w| w.name_taken,
        Err(e) => return failed(e),
    };
    accounts_view(&hub, &headers, &choice, None, Some(problem)).await
}

/// Text percent-encoded for a URL's query (account names may be Chinese).
fn query_text(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn style_sheet() -> Response {
    let mut response = include_str!("../../templates/dashboard.css").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

mod chart;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_cell_says_how_the_boot_began_and_counts_starts_and_crash_loops() {
        let w = Language::English.words();
        let health = fleet::Health {
            boot_reason: Some("crash_loop".into()),
            starts_this_boot: Some(6),
            crash_loops_24h: Some(1),
            crash_loops_7d: Some(2),
            unreadable: None,
        };
        assert_eq!(
            health_lines(Some(&health), w),
            [
                "after its own reboot for a crash loop",
                "program starts this boot: 6",
                "crash loops (24 h / 7 days): 1 / 2",
            ]
        );
        let zh = Language::Chinese.words();
        let unclean = fleet::Health {
            boot_reason: Some("unclean".into()),
            ..health.clone()
        };
        assert_eq!(
            health_lines(Some(&unclean), zh)[0],
            "上次非正常结束（断电、强制重启或看门狗）"
        );
        // A newer kiosk's word is shown as it came; nothing reported is a dash.
        let newer = fleet::Health {
            boot_reason: Some("sideways".into()),
            starts_this_boot: None,
            crash_loops_24h: None,
            crash_loops_7d: None,
            unreadable: Some("expected value".into()),
        };
        assert_eq!(
            health_lines(Some(&newer), w),
            ["health status unreadable", "sideways"]
        );
        assert_eq!(health_lines(None, w), ["-"]);
        assert_eq!(
            w.boot_reasons.len(),
            waystation_protocol::health::BOOT_REASONS.len()
        );
    }

    #[test]
    fn the_update_cell_says_what_to_run_what_happened_and_how_far_a_download_is() {
        let w = Language::English.words();
        let update = fleet::Update {
            slot: Some("A".into()),
            last: Some((
                "2026.12.3".into(),
                "rolled_back".into(),
                "slot B did not become healthy".into(),
            )),
            downloading: Some(("2026.12.4".into(), 25, 100)),
            unreadable: None,
        };
        assert_eq!(
            update_lines(Some(&update), Some("2026.12.4".into()), w),
            [
                "should run 2026.12.4",
                "rolled back from 2026.12.3",
                "(slot B did not become healthy)",
                "downloading 2026.12.4: 25\u{a0}%",
                "slot A",
            ]
        );
        let zh = Language::Chinese.words();
        let installed = fleet::Update {
            last: Some(("2026.12.3".into(), "installed".into(), "ok".into())),
            downloading: None,
            ..update
        };
        assert_eq!(
            update_lines(Some(&installed), None, zh),
            ["已安装 2026.12.3", "分区 A"],
            "root's words only when something went wrong"
        );
        assert_eq!(update_lines(None, None, w), ["-"]);
        // A target and no report yet: the target alone, no dash under it.
        assert_eq!(
            update_lines(None, Some("2026.12.4".into()), w),
            [format!("{} 2026.12.4", w.update_target)]
        );
    }
}
