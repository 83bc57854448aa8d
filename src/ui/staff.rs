//! Staff mode's adapter: the hidden corner that opens the PIN pad, the pad and its throttle,
//! the status screen with its actions, restocking, recent errors, this kiosk's id and
//! registration code, a worker's call for staff
//! (the button, the light and buzzer, the alert through the hub and the staff-call screen)
//! and the status LED.
//!
//! The rules are in `src/staff/` (PIN, throttle, status lines, LED pattern, the call and its
//! wording) and the records in `src/store/staff.rs`; this file only wires them to the screens
//! and the board.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Global, Model, SharedString};

use super::runtime::update;
use super::{
    AppWindow, CallState, ErrorRow, KioskState, PinPadNotice, ProvisionState, RestockRow, Shell,
    StaffAdapter, StaffCallAdapter, StaffDeviceAdapter, StaffError, StaffErrorsAdapter,
    StaffOutcome, StaffPinAdapter, StaffRestockAdapter, StatusLevel, StatusRow, set_if_changed,
};
use crate::board::{ButtonEvent, Drive};
use crate::keypad::PadKey;
use crate::kiosk::Screen;
use crate::slip::PrintState;
use crate::staff::alert::{Answer, Call, HubPath, Wording};
use crate::staff::status::{LedPattern, Level};
use crate::staff::throttle::PinGate;
use crate::staff::visit::{Checked, PadNotice, StaffDone};
use crate::store::staff::Action;

/// How long the hidden corner must be held to open the PIN pad.
pub const CORNER_HOLD: Duration = Duration::from_secs(3);
/// How often the LED pattern is worked out again from the status (it reads the database).
const LED_EVERY: Duration = Duration::from_secs(5);

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    connect_pin(window, state);
    connect_status(window, state);
    connect_restock(window, state);
}

/// A callback that applies `change` to the kiosk's state and shows the result.
fn on(
    window: &AppWindow,
    state: &Rc<RefCell<KioskState>>,
    change: fn(&mut KioskState),
) -> impl Fn() + 'static {
    let (w, s) = (window.as_weak(), state.clone());
    move || update(&w, &s, change)
}

/// The hidden corner on the attract screen, and the PIN pad it opens.
fn connect_pin(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    Shell::get(window).on_corner_held({
        let s = state.clone();
        move |held| {
            let mut st = s.borrow_mut();
            let now = st.clock.monotonic();
            let on_attract = st.session.navigation.current() == Screen::Attract;
            st.corner_held_since = (held && on_attract).then_some(now);
        }
    });
    StaffPinAdapter::get(window).on_pressed({
        let (w, s) = (weak.clone(), state.clone());
        move |key| {
            update(&w, &s, |st| {
                if let Some(key) = super::pad_key(&key) {
                    pressed_pin(st, key);
                }
            })
        }
    });
}

/// The status screen's buttons; all but leaving do nothing unless staff are signed in.
fn connect_status(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    let staff = StaffAdapter::get(window);
    staff.on_restock(on(window, state, |st| {
        if st.session.staff.signed_in {
            st.session.staff.done = None;
            st.session.navigation.open(Screen::StaffRestock);
        }
    }));
    staff.on_errors(on(window, state, |st| {
        if st.session.staff.signed_in {
            st.session.navigation.open(Screen::StaffErrors);
        }
    }));
    staff.on_device({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                if st.session.staff.signed_in {
                    st.session.navigation.open(Screen::StaffDevice);
                }
            });
            if let Some(window) = w.upgrade()
                && s.borrow().session.navigation.current() == Screen::StaffDevice
            {
                show_device(&window, &mut s.borrow_mut());
            }
        }
    });
    staff.on_usb_export(on(window, state, |st| {
        if st.session.staff.signed_in {
            super::usb_export::open(st);
        }
    }));
    staff.on_test_print(on(window, state, |st| {
        if st.session.staff.signed_in {
            super::slip::print_test(st);
            audit(st, Action::TestPrint);
        }
    }));
    staff.on_sync_now(on(window, state, |st| {
        if !st.session.staff.signed_in {
            return;
        }
        let done = match &st.sync_now {
            Some(wake) if wake.send(()).is_ok() => StaffDone::SyncAsked,
            _ => StaffDone::NoHub,
        };
        st.session.staff.done = Some(done);
        audit(st, Action::SyncNow);
    }));
    staff.on_leave({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                super::runtime::wipe(st, crate::kiosk::WipeReason::Finished)
            })
        }
    });
}

/// Fills the "This kiosk" screen, once as it opens: none of it changes while it shows.
fn show_device(window: &AppWindow, st: &mut KioskState) {
    let adapter = StaffDeviceAdapter::get(window);
    let hub = st.config.hub.url.as_ref().map(|url| &url.0);
    match st.store.device_key() {
        Ok(key) => {
            let public = key.public_base64();
            let code = crate::staff::device::registration_code(hub, &public);
            adapter.set_qr(super::slip::qr_image(&code));
            adapter.set_device_id(key.device_id().into());
            adapter.set_public_key(public.into());
        }
        Err(e) => {
            tracing::error!("no device key for the staff screen: {e}");
            adapter.set_qr(slint::Image::default());
            adapter.set_device_id("-".into());
            adapter.set_public_key("-".into());
        }
    }
    adapter.set_links_to_hub(hub.is_some());
    adapter.set_hub(hub.map(|url| url.to_string()).unwrap_or_default().into());
    adapter.set_station(st.config.station.id.as_str().into());
    let (provision, error) = match st.machine.provision_result() {
        None => (ProvisionState::None, String::new()),
        Some(crate::machine::ProvisionResult::Installed) => {
            (ProvisionState::Installed, String::new())
        }
        Some(crate::machine::ProvisionResult::Failed(error)) => (ProvisionState::Failed, error),
    };
    adapter.set_provision(provision);
    adapter.set_provision_error(error.into());
}

/// The restock form: a paper roll, brochure counts, and recording them.
fn connect_restock(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    let restock = StaffRestockAdapter::get(window);
    restock.on_paper(on(window, state, |st| {
        if !st.session.staff.signed_in {
            return;
        }
        let done = match st.stamp().and_then(|stamp| st.store.restock_paper(stamp)) {
            Ok(_) => StaffDone::Paper,
            Err(e) => {
                tracing::error!("cannot record a paper restock: {e}");
                StaffDone::Failed
            }
        };
        back_to_status(st, done);
    }));
    restock.on_adjust({
        let (w, s) = (weak.clone(), state.clone());
        move |index, by| {
            update(&w, &s, |st| {
                let kinds = st.config.staff.brochures.len();
                st.session
                    .staff
                    .adjust(kinds, usize::try_from(index).unwrap_or(usize::MAX), by)
            })
        }
    });
    restock.on_record(on(window, state, record_brochures));
}

fn audit(st: &mut KioskState, action: Action) {
    if let Err(e) = st
        .stamp()
        .and_then(|stamp| st.store.audit(stamp, action, None))
    {
        tracing::error!("cannot write the staff audit log: {e}");
    }
}

fn back_to_status(st: &mut KioskState, done: StaffDone) {
    st.session.staff.done = Some(done);
    st.session.staff.restock.clear();
    st.session.navigation.open(Screen::Staff);
    // A restock changes the paper and brochure lines: fresh facts, not those of a moment ago.
    gather_facts(st);
}

fn record_brochures(st: &mut KioskState) {
    if !st.session.staff.signed_in {
        return;
    }
    let counts = std::mem::take(&mut st.session.staff.restock);
    let mut total = 0;
    let mut failed = false;
    for (kind, count) in st.config.staff.brochures.iter().zip(counts) {
        if count == 0 {
            continue;
        }
        let stamp = st.stamp();
        match stamp.and_then(|stamp| st.store.restock_brochures(stamp, kind.kind.as_str(), count)) {
            Ok(_) => total += count,
            Err(e) => {
                tracing::error!("cannot record a brochure restock: {e}");
                failed = true;
            }
        }
    }
    back_to_status(
        st,
        if failed {
            StaffDone::Failed
        } else {
            StaffDone::Brochures(total)
        },
    );
}

/// A key on the PIN pad (`StaffVisit::press`). When it starts a check, the typed PIN is checked
/// against the stored hash off the UI thread; `pin_checked` takes the answer in from the tick.
fn pressed_pin(st: &mut KioskState, key: PadKey) {
    let gate = st.pin_throttle.gate(st.clock.monotonic());
    let Some(typed) = st.session.staff.press(key, gate) else {
        return;
    };
    let hash = match st.store.pin_hash() {
        Ok(Some(hash)) => hash,
        Ok(None) => {
            st.session.staff.no_pin_set();
            return;
        }
        Err(e) => {
            tracing::error!("cannot read the station PIN: {e}");
            return;
        }
    };
    let job = st
        .pin_checks
        .spawn(move || crate::staff::pin::verify(&typed, &hash));
    st.session.staff.checking_started(job);
}

/// A PIN check came back (`StaffVisit::checked` says what it did): the throttle, the audit
/// log, and on signing in the status screen and the end of any call for staff.
fn pin_checked(st: &mut KioskState, job: u64, right: bool) {
    let now = st.clock.monotonic();
    let stamp = st.stamp();
    match st.session.staff.checked(job, right) {
        Checked::SignedIn => {
            st.pin_throttle.succeeded();
            if let Err(e) =
                stamp.and_then(|stamp| st.store.record_pin_accepted(stamp, Action::SignIn))
            {
                tracing::error!("cannot write the staff audit log: {e}");
            }
            // The status screen opens on facts of now, not of the last few seconds.
            gather_facts(st);
            answer_call(st, Answer::SignIn);
            st.session.navigation.open(Screen::Attract);
            st.session.navigation.open(Screen::Staff);
            tracing::info!("station staff signed in");
        }
        Checked::Wrong => {
            st.pin_throttle.failed(now);
            if let Err(e) = stamp.and_then(|stamp| st.store.record_wrong_pin(stamp)) {
                tracing::error!("cannot write the staff audit log: {e}");
            }
            tracing::warn!(failures = st.pin_throttle.failures(), "a wrong station PIN");
        }
        Checked::Gone => {}
    }
}

/// Signs staff out as soon as they are on a screen that is not staff mode's (back, home,
/// emergency help): staff mode is never left open behind a worker's screen.
pub(super) fn leave_if_away(st: &mut KioskState) {
    let here = st.session.navigation.current();
    if st.session.staff.signed_in && !here.is_staff_only() {
        audit(st, Action::SignOut);
        st.session.staff = Default::default();
        tracing::info!("station staff signed out");
    }
    if here != Screen::StaffPin && !st.session.staff.typed.is_empty() {
        st.session.staff.typed.clear();
    }
}

/// A worker asked for a person. Writes the `staff_alert` record and wakes the uploader to send
/// it at once, switches on whatever light and buzzer the board has, and shows the staff-call
/// screen, which says only what actually happened (`staff::alert::wording`). A call while
/// another is still signalling shows the screen again without a second alert (the first one
/// is woken again if it had not reached the hub).
/// `from` is `button` (the board's staff-call button) or `screen` (the crisis screen), for
/// the day's count of calls.
pub(super) fn staff_call(st: &mut KioskState, from: &str) {
    let now = st.clock.monotonic();
    match st.call.as_mut().filter(|call| call.active(now)) {
        None => {
            st.call = Some(new_call(st, now, from));
            tracing::info!("a worker called for station staff");
        }
        // Called again: a failed alert goes again now (it is still waiting in the outbox).
        Some(call) => {
            let woken = st
                .sync_now
                .as_ref()
                .is_some_and(|wake| wake.send(()).is_ok());
            if woken {
                call.retry(now);
            }
        }
    }
    if st.session.navigation.current() != Screen::Crisis {
        super::runtime::open(st, Screen::StaffCall);
    }
}

fn new_call(st: &mut KioskState, now: Duration, from: &str) -> Call {
    let written = match write_call(st, from) {
        Ok(record_id) => Some(record_id),
        Err(e) => {
            tracing::error!("cannot record a staff alert: {e}");
            None
        }
    };
    let hub = match &st.sync_now {
        None => HubPath::None,
        Some(_) if written.is_none() => HubPath::Failed,
        Some(wake) if wake.send(()).is_ok() => HubPath::Sending,
        // The uploader thread is gone: the alert waits on disk, but nobody hears of it now.
        Some(_) => HubPath::Failed,
    };
    let mut call = Call::new(now, written, hub);
    // On now, not at the next tick: the screen must not say "go and find the staff" for the
    // quarter second before the light comes on. NoBoard has nothing to switch on.
    let outputs = st.board.outputs();
    if outputs.led {
        st.board.set_led(true);
    }
    if outputs.buzzer {
        st.board.set_buzzer(true);
    }
    call.signalled = outputs;
    call
}

/// The `staff_alert` record and the day's count of calls, in one transaction. Returns the
/// record's id.
fn write_call(st: &mut KioskState, from: &str) -> Result<String, crate::store::StoreError> {
    let stamp = st.stamp()?;
    let wall = stamp.clock.wall;
    let record_id = stamp.id.to_string();
    let record = crate::store::staff::alert_record(st.config.station.id.as_str(), stamp);
    let counted = [crate::store::counts::Count::new(
        waystation_protocol::Metric::StaffCall,
        &[from],
    )];
    st.store
        .commit_record(&record, |tx| crate::store::counts::add(tx, wall, &counted))?;
    Ok(record_id)
}

/// Staff answered the call at the kiosk (held the button, or signed in): the light goes back
/// to the status pattern and the buzzer stops. Logged like every staff action.
fn answer_call(st: &mut KioskState, how: Answer) {
    let now = st.clock.monotonic();
    let Some(call) = st.call.as_mut().filter(|call| call.active(now)) else {
        return;
    };
    call.answered = Some(how);
    st.board.set_buzzer(false);
    let stamp = st.stamp();
    if let Err(e) = stamp.and_then(|stamp| {
        st.store
            .audit(stamp, Action::CallAnswered, Some(how.name()))
    }) {
        tracing::error!("cannot write the staff audit log: {e}");
    }
    tracing::info!(how = how.name(), "a call for staff was answered");
}

/// The staff part of the kiosk's tick: the hidden corner, the PIN pad's countdown, the hub's
/// answers about alerts, the LED and buzzer, and the staff-call button. Returns whether the
/// screen needs rendering.
pub(super) fn tick(st: &mut KioskState) -> bool {
    let now = st.clock.monotonic();
    let mut changed = false;
    for (job, right) in st.pin_checks.finished() {
        pin_checked(st, job, right);
        changed = true;
    }
    if let Some(since) = st.corner_held_since
        && now.saturating_sub(since) >= CORNER_HOLD
    {
        st.corner_held_since = None;
        if st.session.navigation.current() == Screen::Attract {
            super::runtime::open(st, Screen::StaffPin);
            changed = true;
        }
    }
    if st.session.navigation.current() == Screen::StaffPin
        && matches!(st.pin_throttle.gate(now), PinGate::Wait(_))
    {
        changed = true;
    }
    if st
        .led_checked_at
        .is_none_or(|at| now.saturating_sub(at) >= LED_EVERY)
    {
        st.led_checked_at = Some(now);
        st.paper_sensor = st.board.paper_low();
        gather_facts(st);
    }
    if let Some(facts) = st.gatherer.as_mut().and_then(|g| g.newest()) {
        took_facts(st, facts);
        changed |= st.session.navigation.current() == Screen::Staff;
    }
    hear_the_hub(st);
    let drive = Drive {
        led: led(st),
        buzzer: st.call.as_ref().is_some_and(|call| call.buzzer(now)),
        call_active: st.call.as_ref().is_some_and(|call| call.active(now)),
    };
    match st.board_driver.tick(st.board.as_mut(), drive) {
        ButtonEvent::Call => staff_call(st, "button"),
        ButtonEvent::Answer => answer_call(st, Answer::Button),
        ButtonEvent::Nothing => {}
    }
    // The wording changes with the hub's answers and with time alone (the hub's 20 s).
    let wording = st
        .call
        .as_ref()
        .map(|call| crate::staff::alert::wording(call, now));
    if wording != st.call_wording {
        st.call_wording = wording;
        changed = true;
    }
    changed
}

/// Takes in what the uploader heard from the hub about staff alerts.
fn hear_the_hub(st: &mut KioskState) {
    let Some(answers) = &st.alert_answers else {
        return;
    };
    while let Ok(answer) = answers.try_recv() {
        if let Some(call) = &mut st.call {
            call.hear(&answer);
        }
    }
}

/// Asks for fresh staff facts: from the gathering thread, or (with no data folder: tests and
/// screenshots only) gathered here.
fn gather_facts(st: &mut KioskState) {
    let ask = super::facts::Ask {
        directory: (&st.directory).into(),
        clock: st.clock.read(),
        paper_sensor: st.paper_sensor,
    };
    match st.gatherer.as_mut() {
        Some(gatherer) => gatherer.ask(ask),
        None => {
            let facts = crate::status::staff_facts(
                &st.config,
                Some(&st.store),
                ask.directory,
                None,
                &ask.clock,
                ask.paper_sensor,
                st.machine.as_ref(),
            );
            took_facts(st, facts);
        }
    }
}

/// New facts: kept for the staff screen, and the status light follows them.
fn took_facts(st: &mut KioskState, facts: crate::staff::status::Facts) {
    st.facts = Some(facts);
    let lines = status_lines(st);
    st.led = crate::staff::status::led(&lines);
}

/// The status lines for the staff screen, in the session's language, from the latest facts.
fn status_lines(st: &KioskState) -> Vec<crate::staff::status::StatusLine> {
    let Some(facts) = st.staff_example.as_ref().or(st.facts.as_ref()) else {
        return Vec::new();
    };
    crate::staff::status::lines(facts)
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let here = st.session.navigation.current();
    render_pin(window, st);
    if here == Screen::Staff {
        render_status(window, st);
    }
    if here == Screen::StaffCall {
        render_call(window, st);
    }
    render_restock(window, st);
    if here == Screen::StaffErrors {
        let adapter = StaffErrorsAdapter::get(window);
        set_if_changed(adapter.get_rows(), recent_errors(window, st), |m| {
            adapter.set_rows(m)
        });
    }
}

/// The PIN pad: how many digits are typed, and the notice or wait under it.
fn render_pin(window: &AppWindow, st: &KioskState) {
    let now = st.clock.monotonic();
    let pin = StaffPinAdapter::get(window);
    pin.set_typed_count(st.session.staff.typed.len() as i32);
    let (notice, wait) = match st.session.staff.shown_notice(st.pin_throttle.gate(now)) {
        PadNotice::None => (PinPadNotice::None, 0),
        PadNotice::Checking => (PinPadNotice::Checking, 0),
        PadNotice::Wrong => (PinPadNotice::Wrong, 0),
        PadNotice::NoPin => (PinPadNotice::NoPin, 0),
        PadNotice::WaitSeconds(seconds) => (PinPadNotice::WaitSeconds, seconds),
        PadNotice::WaitMinutes(minutes) => (PinPadNotice::WaitMinutes, minutes),
    };
    pin.set_notice(notice);
    pin.set_wait(i32::try_from(wait).unwrap_or(i32::MAX));
}

/// The status screen: its lines, problems first, and what the last action did.
fn render_status(window: &AppWindow, st: &KioskState) {
    let adapter = StaffAdapter::get(window);
    // Problems first (red, then amber), so staff see them without scrolling; within a
    // level the lines keep their usual order.
    let mut lines = status_lines(st);
    lines.sort_by_key(|line| std::cmp::Reverse(line.level));
    let rows: Vec<StatusRow> = lines
        .into_iter()
        .map(|line| {
            let words = super::staff_words::status_line(window, &line, st.session.language);
            StatusRow {
                level: status_level(line.level),
                label: words.label,
                value: words.value,
                advice: words.advice,
            }
        })
        .collect();
    set_if_changed(adapter.get_rows(), rows, |m| adapter.set_rows(m));
    let (done, count) = staff_outcome(&st.session.staff);
    adapter.set_done(done);
    adapter.set_done_count(i32::try_from(count).unwrap_or(i32::MAX));
    adapter.set_example(st.staff_example.is_some());
}

fn status_level(level: Level) -> StatusLevel {
    match level {
        Level::Green => StatusLevel::Green,
        Level::Amber => StatusLevel::Amber,
        Level::Red => StatusLevel::Red,
    }
}

/// What the status screen says the last action did (and how many brochures): a test print
/// under way or finished, else the last action's outcome.
fn staff_outcome(visit: &crate::staff::visit::StaffVisit) -> (StaffOutcome, u32) {
    let printed = match visit.test_print {
        PrintState::Idle => None,
        PrintState::Printing(_) => Some(StaffOutcome::Printing),
        PrintState::Printed => Some(StaffOutcome::Printed),
        PrintState::Sent => Some(StaffOutcome::Sent),
        // Whatever the printer said: the printer's own line on this screen says what.
        PrintState::NotPrinted(_) | PrintState::Failed => Some(StaffOutcome::NotPrinted),
    };
    if let Some(printed) = printed {
        return (printed, 0);
    }
    match visit.done {
        None => (StaffOutcome::None, 0),
        Some(StaffDone::Paper) => (StaffOutcome::Paper, 0),
        Some(StaffDone::Brochures(n)) => (StaffOutcome::Brochures, n),
        Some(StaffDone::SyncAsked) => (StaffOutcome::Sync, 0),
        Some(StaffDone::NoHub) => (StaffOutcome::NoHub, 0),
        Some(StaffDone::Failed) => (StaffOutcome::Failed, 0),
    }
}

/// The restock form's brochure kinds and counts.
fn render_restock(window: &AppWindow, st: &KioskState) {
    let here = st.session.navigation.current();
    let restock = StaffRestockAdapter::get(window);
    let lang = st.session.language;
    let kinds: Vec<RestockRow> = st
        .config
        .staff
        .brochures
        .iter()
        .enumerate()
        .map(|(i, kind)| RestockRow {
            name: lang
                .pick(kind.name_zh.as_str(), kind.name_en.as_str())
                .into(),
            count: st.session.staff.restock.get(i).copied().unwrap_or(0) as i32,
        })
        .collect();
    if restock.get_kinds().row_count() != kinds.len() || here == Screen::StaffRestock {
        set_if_changed(restock.get_kinds(), kinds, |m| restock.set_kinds(m));
    }
    restock.set_has_printer(st.config.printer.transport != crate::config::PrinterTransport::None);
}

/// What the screens show about the latest call: its state and the ways the staff were told
/// (light, buzzer, message). With no call at all, nothing was done, so the worker is told to
/// go and find the staff.
pub(super) fn call_shown(st: &KioskState) -> (CallState, bool, bool, bool) {
    let now = st.clock.monotonic();
    let wording = st.call.as_ref().map_or(Wording::GoFindStaff, |call| {
        crate::staff::alert::wording(call, now)
    });
    match wording {
        Wording::GoFindStaff => (CallState::Go, false, false, false),
        Wording::Sending => (CallState::Sending, false, false, false),
        Wording::Notified {
            light,
            buzzer,
            message,
        } => (CallState::Notified, light, buzzer, message),
        Wording::Answered => (CallState::Ended, false, false, false),
    }
}

fn render_call(window: &AppWindow, st: &KioskState) {
    let adapter = StaffCallAdapter::get(window);
    let (state, light, buzzer, message) = call_shown(st);
    adapter.set_state(state);
    adapter.set_by_light(light);
    adapter.set_by_buzzer(buzzer);
    adapter.set_by_message(message);
}

/// What went wrong lately, newest first: wrong PINs and locks, the printer's last fault, the
/// last upload error, and records the hub refused. Never anything a worker did.
fn recent_errors(window: &AppWindow, st: &KioskState) -> Vec<ErrorRow> {
    let when = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| {
                crate::station_time::local(t)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let say = |error, kind: &str, what: &str| super::staff_words::error(window, error, kind, what);
    let mut rows: Vec<(i64, SharedString)> = Vec::new();
    if let Ok(audit) = st.store.recent_audit(50) {
        for entry in audit {
            let error = match entry.action.as_str() {
                "wrong_pin" => StaffError::WrongPin,
                // Written by kiosks before waits replaced the hard lock.
                "locked" => StaffError::Locked,
                _ => continue,
            };
            rows.push((entry.wall_ms, say(error, "", "")));
        }
    }
    if let Ok(Some((_, Some(fault), at))) = st.store.printer_last() {
        rows.push((at, say(StaffError::PrinterFault, "", &fault)));
    }
    if let Ok(sync) = st.store.sync_state()
        && let (Some(error), Some(at)) = (sync.last_error, sync.last_attempt_wall_ms)
    {
        rows.push((at, say(StaffError::UploadFailed, "", &error)));
    }
    if let Ok(refused) = st
        .store
        .queue_entries(Some(crate::store::RecordState::Quarantined), 0, 10)
    {
        for entry in refused {
            let reason = entry.last_error.unwrap_or_default();
            rows.push((0, say(StaffError::Refused, &entry.kind, &reason)));
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    rows.into_iter()
        .take(30)
        .map(|(ms, what)| ErrorRow {
            when: if ms == 0 {
                "—".into()
            } else {
                when(ms).into()
            },
            what,
        })
        .collect()
}

/// The LED pattern now: the staff-call pattern while a call is active, else the status's.
pub(super) fn led(st: &KioskState) -> LedPattern {
    let now = st.clock.monotonic();
    if st.call.as_ref().is_some_and(|call| call.active(now)) {
        LedPattern::StaffCall
    } else {
        st.led
    }
}
