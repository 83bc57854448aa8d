//! The mood check-in adapters: the grid, the word, the tags, the done screen with its offer and
//! personal code, the breathing exercise, the station's week and the code keypad. The rules are
//! in `crate::mood`; this module turns touches into calls, stores what must be stored, reads
//! the station's week, and fills the adapter globals from the session.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Global};

use super::runtime::update;
use super::{
    AppWindow, BreathingAdapter, CodePadNotice, KioskState, MoodCell, MoodCodeAdapter,
    MoodDoneAdapter, MoodFeelAdapter, MoodOffer, MoodQuadrant, MoodTagsAdapter, MoodWeekAdapter,
    MoodWordAdapter, TagChip, TrendDot, WeekBar, set_if_changed,
};
use crate::keypad::PadKey;
use crate::kiosk::Screen;
use crate::mood::code::PersonalCode;
use crate::mood::personal::{CodeKeys, NONCE_LEN};
use crate::mood::visit::{CodeNotice, CodePadShows};
use crate::mood::week::station_week;
use crate::mood::{AXIS_VALUES, Offer, Quadrant, offer_for, shows_help_lines};
use crate::store::mood::{
    Personal, commit_check_in, link_personal, personal_trend, secret, week_counts,
};

/// How long the breathing exercise lasts.
pub const BREATHING: Duration = Duration::from_secs(60);

/// The name of the salt of personal-code hashes among the kiosk's secrets.
const CODE_SALT: &str = "personal_code_salt";

fn quadrant_shown(q: Quadrant) -> MoodQuadrant {
    match q {
        Quadrant::Red => MoodQuadrant::Red,
        Quadrant::Yellow => MoodQuadrant::Yellow,
        Quadrant::Blue => MoodQuadrant::Blue,
        Quadrant::Green => MoodQuadrant::Green,
    }
}

fn code_salt(st: &mut KioskState) -> Option<Vec<u8>> {
    // Randomness is asked for only the first time, when the salt is made.
    let entropy = st.entropy.clone();
    match secret(&mut st.store, CODE_SALT, || {
        entropy.bytes::<16>().map(|b| b.to_vec())
    }) {
        Ok(salt) => salt,
        Err(e) => {
            tracing::error!("cannot read the personal-code salt: {e}");
            None
        }
    }
}

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    let on = |f: fn(&mut KioskState)| {
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, f)
    };

    let feel = MoodFeelAdapter::get(window);
    feel.on_feel({
        let (w, s) = (weak.clone(), state.clone());
        move |p, e| {
            update(&w, &s, |st| {
                let (Ok(p), Ok(e)) = (i8::try_from(p), i8::try_from(e)) else {
                    return;
                };
                st.session.mood.feel(p, e);
                st.session.navigation.open(Screen::MoodWord);
            })
        }
    });
    feel.on_enter_code(on(|st| st.session.navigation.open(Screen::MoodCode)));

    MoodWordAdapter::get(window).on_choose({
        let (w, s) = (weak.clone(), state.clone());
        move |index| {
            update(&w, &s, |st| {
                let Some(q) = st.session.mood.quadrant() else {
                    return;
                };
                let word = st
                    .vocabulary
                    .words_in(q)
                    .nth(index as usize)
                    .map(|w| w.id.clone());
                if let Some(word) = word {
                    st.session.mood.word = Some(word);
                    st.session.navigation.open(Screen::MoodTags);
                }
            })
        }
    });

    let tags = MoodTagsAdapter::get(window);
    tags.on_toggle({
        let (w, s) = (weak.clone(), state.clone());
        move |index| {
            update(&w, &s, |st| {
                if let Some(tag) = st.vocabulary.tags.get(index as usize).map(|t| t.id.clone()) {
                    st.session.mood.toggle_tag(&tag);
                }
            })
        }
    });
    tags.on_done(on(save));

    let done = MoodDoneAdapter::get(window);
    done.on_take_offer(on(take_offer));
    done.on_take_code(on(take_code));
    done.on_show_week(on(|st| st.session.navigation.open(Screen::MoodWeek)));

    BreathingAdapter::get(window).on_done(on(|st| {
        st.session.mood.breathing_since = None;
        st.session.navigation.back();
    }));

    MoodCodeAdapter::get(window).on_pressed({
        let (w, s) = (weak.clone(), state.clone());
        move |key| {
            update(&w, &s, |st| {
                if let Some(key) = super::pad_key(&key) {
                    pressed_code(st, key);
                }
            })
        }
    });
}

/// Saves the check-in (day counts and, with a code, the trend row: one transaction)
/// and shows the done screen.
fn save(st: &mut KioskState) {
    let check_in = match st.session.mood.check_in(&st.vocabulary) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("mood check-in refused: {e}");
            return;
        }
    };
    let wall = st.clock.read().wall;
    let day = crate::station_time::day_string(wall);
    let help_lines = shows_help_lines(&st.vocabulary, &check_in, st.session.check.crisis);
    // With no randomness for the row's nonce (logged), the check-in is still kept, without
    // its trend row: never a row sealed with a guessable nonce.
    let entropy = st.entropy.clone();
    let personal = st.session.mood.code_keys.as_ref().and_then(|keys| {
        entropy
            .bytes::<NONCE_LEN>()
            .map(|nonce| Personal { keys, nonce })
    });
    match commit_check_in(&mut st.store, wall, &check_in, help_lines, personal) {
        Ok(_) => {
            st.session.mood.saved = Some((check_in, day));
            // Done is the end of this check-in: back from it leads home, not to a second save.
            st.session.navigation.open_after_home(Screen::MoodDone);
        }
        Err(e) => tracing::error!("cannot store a mood check-in: {e}"),
    }
}

fn take_offer(st: &mut KioskState) {
    let Some((check_in, _)) = &st.session.mood.saved else {
        return;
    };
    match offer_for(check_in) {
        Offer::Breathing => {
            st.session.mood.breathing_since = Some(st.clock.monotonic());
            st.session.navigation.open(Screen::Breathing);
        }
        Offer::SelfCheck => st.session.navigation.open(Screen::CheckNotice),
        Offer::Help => st.session.navigation.open(Screen::Emergency),
    }
}

/// What a code's Argon2id run off the UI thread was for.
pub(crate) enum CodeJob {
    /// The worker typed a code on the pad.
    Entered,
    /// The worker took a new code for the check-in just saved.
    Taken {
        code: PersonalCode,
        nonce: [u8; NONCE_LEN],
    },
}

/// Makes a personal code for the check-in just saved; its keys are derived off the UI thread
/// and `code_derived` links the check-in to it.
fn take_code(st: &mut KioskState) {
    if st.session.mood.saved.is_none()
        || st.session.mood.code_keys.is_some()
        || st.session.mood.checking.is_some()
    {
        return;
    }
    let (Some(salt), Some(bytes), Some(nonce)) = (
        code_salt(st),
        st.entropy.bytes::<5>(),
        st.entropy.bytes::<NONCE_LEN>(),
    ) else {
        return;
    };
    let code = PersonalCode::from_random(bytes);
    let job = st.code_checks.spawn(move || {
        let keys = code.keys(&salt);
        (CodeJob::Taken { code, nonce }, keys)
    });
    st.session.mood.checking = Some(job);
}

/// A key on the code pad (`MoodVisit::press`). When it gives a code to check, the code's keys
/// are derived off the UI thread and `code_derived` takes them in.
fn pressed_code(st: &mut KioskState, key: PadKey) {
    let now = st.clock.monotonic();
    let Some(code) = st.session.mood.press(key, &st.code_throttle, now) else {
        return;
    };
    let Some(salt) = code_salt(st) else { return };
    let job = st
        .code_checks
        .spawn(move || (CodeJob::Entered, code.keys(&salt)));
    st.session.mood.checking = Some(job);
}

/// A code's keys came back. An entered code that this kiosk does not know counts against the
/// throttle whatever became of the visit (leaving at once is no way round it); anything else
/// is shown only if the visit that asked is still here.
pub(super) fn code_derived(st: &mut KioskState, job: u64, purpose: CodeJob, keys: CodeKeys) {
    let here = st.session.mood.checking == Some(job);
    if here {
        st.session.mood.checking = None;
    }
    let now = st.clock.monotonic();
    match purpose {
        CodeJob::Entered => {
            let trend = personal_trend(&st.store, &keys).unwrap_or_else(|e| {
                tracing::error!("cannot read a personal trend: {e}");
                Vec::new()
            });
            if !here {
                if trend.is_empty() {
                    st.code_throttle.failed(now);
                }
                return;
            }
            if st
                .session
                .mood
                .code_checked(&mut st.code_throttle, now, keys, trend)
            {
                st.session.navigation.open(Screen::MoodFeel);
            }
        }
        CodeJob::Taken { code, nonce } => {
            let Some((check_in, day)) = st.session.mood.saved.clone().filter(|_| here) else {
                return;
            };
            let personal = Personal { keys: &keys, nonce };
            match link_personal(&mut st.store, personal, &day, &check_in) {
                Ok(()) => {
                    st.session.mood.code_keys = Some(keys);
                    st.session.mood.new_code = Some(code.display());
                }
                Err(e) => tracing::error!("cannot keep a personal code: {e}"),
            }
        }
    }
}

/// Updates what changes with time alone (the breathing exercise's seconds left).
pub(super) fn tick(window: &AppWindow, st: &KioskState) {
    if st.session.navigation.current() != Screen::Breathing {
        return;
    }
    let left = st.session.mood.breathing_since.map_or(BREATHING, |since| {
        BREATHING.saturating_sub(st.clock.monotonic().saturating_sub(since))
    });
    BreathingAdapter::get(window).set_seconds_left(left.as_millis().div_ceil(1000) as i32);
}

/// Shows the check-in's state on every mood screen, one function a screen.
pub(super) fn render(window: &AppWindow, st: &KioskState) {
    render_feel(window, st);
    render_word(window, st);
    render_tags(window, st);
    render_done(window, st);
    if st.session.navigation.current() == Screen::MoodWeek {
        render_week(window, st);
    }
    tick(window, st);
    render_code(window, st);
}

/// The grid of feelings, with a word as a hint in each corner, and the code's trend.
fn render_feel(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;
    let mood = &st.session.mood;
    let vocabulary = &st.vocabulary;
    let feel = MoodFeelAdapter::get(window);
    let corner_hint = |q: Quadrant| {
        vocabulary
            .words_in(q)
            .next()
            .map_or("", |w| w.label(lang))
            .to_string()
    };
    let mut cells = Vec::new();
    for &e in AXIS_VALUES.iter().rev() {
        for &p in &AXIS_VALUES {
            let q = Quadrant::of(p, e);
            let hint = if p.abs() == 2 && e.abs() == 2 {
                corner_hint(q)
            } else {
                String::new()
            };
            cells.push(MoodCell {
                pleasantness: p.into(),
                energy: e.into(),
                quadrant: quadrant_shown(q),
                hint: hint.into(),
            });
        }
    }
    set_if_changed(feel.get_cells(), cells, |m| feel.set_cells(m));
    feel.set_has_code(mood.code_keys.is_some());
    let trend: Vec<TrendDot> = mood
        .trend
        .iter()
        .map(|p| TrendDot {
            quadrant: quadrant_shown(p.quadrant),
            word: vocabulary
                .word(&p.word)
                .map_or("", |w| w.label(lang))
                .into(),
            day: p.day.clone().into(),
        })
        .collect();
    set_if_changed(feel.get_trend(), trend, |m| feel.set_trend(m));
}

/// The words of the chosen quadrant.
fn render_word(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;
    let mood = &st.session.mood;
    let vocabulary = &st.vocabulary;
    let word = MoodWordAdapter::get(window);
    if let Some(q) = mood.quadrant() {
        word.set_quadrant(quadrant_shown(q));
        let words = vocabulary
            .words_in(q)
            .map(|w| w.label(lang).into())
            .collect();
        set_if_changed(word.get_words(), words, |m| word.set_words(m));
    }
}

/// The tag chips, on or off.
fn render_tags(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;
    let mood = &st.session.mood;
    let vocabulary = &st.vocabulary;
    let tags = MoodTagsAdapter::get(window);
    let chips = vocabulary
        .tags
        .iter()
        .map(|t| TagChip {
            label: t.label(lang).into(),
            on: mood.tags.contains(&t.id),
        })
        .collect();
    set_if_changed(tags.get_tags(), chips, |m| tags.set_tags(m));
}

/// The saved check-in's reply and offer, and the counselling lines when it needs them
/// (shown on the breathing screen too).
fn render_done(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;
    let mood = &st.session.mood;
    let vocabulary = &st.vocabulary;
    let done = MoodDoneAdapter::get(window);
    if let Some((check_in, _)) = &mood.saved {
        done.set_quadrant(quadrant_shown(check_in.quadrant));
        done.set_word(
            vocabulary
                .word(&check_in.word)
                .map_or("", |w| w.label(lang))
                .into(),
        );
        done.set_reply(vocabulary.reply(check_in.quadrant, lang).into());
        done.set_offer(match offer_for(check_in) {
            Offer::Breathing => MoodOffer::Breathing,
            Offer::SelfCheck => MoodOffer::SelfCheck,
            Offer::Help => MoodOffer::Help,
        });
    }
    let help = mood
        .saved
        .as_ref()
        .is_some_and(|(c, _)| shows_help_lines(vocabulary, c, st.session.check.crisis));
    done.set_help_lines(help);
    // The counselling lines (12356, 12351), not 110/120, which the emergency button carries.
    let counselling = || st.emergency_lines.iter().filter(|l| !l.urgent);
    let lines = super::line_models(counselling(), lang);
    set_if_changed(done.get_lines(), lines, |m| done.set_lines(m));
    let numbers: Vec<&str> = counselling().map(|l| l.number.as_str()).collect();
    let numbers = if help {
        numbers.join(" · ")
    } else {
        String::new()
    };
    BreathingAdapter::get(window).set_help_numbers(numbers.into());
    done.set_new_code(mood.new_code.clone().unwrap_or_default().into());
    done.set_linked(mood.code_keys.is_some());
}

/// The code keypad: what is typed (grouped in fours) and its notice.
fn render_code(window: &AppWindow, st: &KioskState) {
    let mood = &st.session.mood;
    let code = MoodCodeAdapter::get(window);
    code.set_typed(mood.typed_shown().into());
    let (notice, wait) = match mood.shown_notice() {
        CodePadShows::Nothing => (CodePadNotice::None, 0),
        CodePadShows::Checking => (CodePadNotice::Checking, 0),
        CodePadShows::Notice(CodeNotice::Malformed) => (CodePadNotice::Format, 0),
        CodePadShows::Notice(CodeNotice::Unknown) => (CodePadNotice::Wrong, 0),
        CodePadShows::Notice(CodeNotice::Wait(s)) => (CodePadNotice::Wait, s),
    };
    code.set_notice(notice);
    code.set_wait_seconds(i32::try_from(wait).unwrap_or(i32::MAX));
}

/// The station's week, read from the store only while that screen shows.
fn render_week(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;
    let adapter = MoodWeekAdapter::get(window);
    let counts = match week_counts(&st.store, st.clock.read().wall) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot read the week's check-ins: {e}");
            Default::default()
        }
    };
    let week = station_week(&counts);
    adapter.set_total(
        week.total_about
            .map_or(-1, |t| i32::try_from(t).unwrap_or(i32::MAX)),
    );
    let bars = week
        .quadrants
        .iter()
        .map(|q| WeekBar {
            quadrant: quadrant_shown(q.quadrant),
            label: st.vocabulary.quadrant_label(q.quadrant, lang).into(),
            percent: q.percent.map_or(-1, |p| p as i32),
        })
        .collect();
    set_if_changed(adapter.get_bars(), bars, |m| adapter.set_bars(m));
    let word = week
        .top_word
        .and_then(|w| st.vocabulary.word(&w).map(|w| w.label(lang).to_string()));
    adapter.set_top_word(word.unwrap_or_default().into());
    let separator = lang.pick("、", ", ");
    let tags: Vec<&str> = week
        .top_tags
        .iter()
        .filter_map(|t| st.vocabulary.tag(t))
        .map(|t| t.label(lang))
        .collect();
    adapter.set_top_tags(tags.join(separator).into());
}
