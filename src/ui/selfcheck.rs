//! The self-check adapters: topics, one question at a time, and the result. The rules are in
//! `crate::screening`; this module turns touches into calls, stores what must be stored, and
//! fills the screens' adapter globals from the session.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global};

use super::runtime::update;
use super::{
    AppWindow, KioskState, QuestionAdapter, ResultAdapter, Suggestion, TopicsAdapter,
    set_if_changed,
};
use crate::kiosk::Screen;
use crate::screening::{AfterAnswer, Score};
use crate::store::counts::Count;
use crate::store::screening::{commit_abandoned, commit_completed};
use waystation_protocol::Metric;

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();

    TopicsAdapter::get(window).on_choose({
        let (w, s) = (weak.clone(), state.clone());
        move |index| update(&w, &s, |st| choose_topic(st, index))
    });

    let question = QuestionAdapter::get(window);
    question.on_answer({
        let (w, s) = (weak.clone(), state.clone());
        move |index| update(&w, &s, |st| answer(st, index))
    });
    question.on_previous({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                if !st.session.check.previous() {
                    st.session.navigation.back();
                }
            })
        }
    });
    question.on_stop({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| st.session.check.confirming_stop = true)
    });
    question.on_cancel_stop({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| st.session.check.confirming_stop = false)
    });
    question.on_confirm_stop({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                st.session.check.confirming_stop = false;
                abandon_running(st);
                st.session.navigation.open(Screen::Home);
            })
        }
    });

    ResultAdapter::get(window).on_show_services({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                let topic = crate::directory::Topic::for_result(st.session.check.crisis);
                st.session.resource_filter = Some(topic);
                st.session.navigation.open(Screen::Resources);
            })
        }
    });
    ResultAdapter::get(window).on_take_suggested({
        let (w, s) = (weak.clone(), state.clone());
        move |index| {
            update(&w, &s, |st| {
                let next = st
                    .session
                    .check
                    .latest()
                    .and_then(|score| score.suggest.get(index as usize).cloned());
                if let Some(id) = next {
                    start(st, &id);
                }
            })
        }
    });
}

fn choose_topic(st: &mut KioskState, index: i32) {
    let Some(topic) = usize::try_from(index)
        .ok()
        .and_then(|i| st.catalogue.topics.get(i))
        .cloned()
    else {
        return;
    };
    st.session.check.topic = Some(topic.id.clone());
    super::count(st, &[Count::new(Metric::Theme, &[&topic.id])]);
    start(st, &topic.instrument);
}

fn start(st: &mut KioskState, instrument: &str) {
    abandon_running(st);
    match st.session.check.start(&st.catalogue, instrument) {
        Ok(()) => st.session.navigation.open(Screen::Question),
        Err(e) => tracing::error!("cannot start a self-check: {e}"),
    }
}

fn answer(st: &mut KioskState, option: i32) {
    let Some((_, instrument)) = st.session.check.current(&st.catalogue) else {
        return;
    };
    let Some(value) = usize::try_from(option)
        .ok()
        .and_then(|i| instrument.options.get(i))
        .map(|o| o.value)
    else {
        return;
    };
    let refer_at = st.config.screening.refer_at(instrument);
    match st.session.check.answer(&st.catalogue, value, refer_at) {
        Ok(AfterAnswer::Next) => {}
        Ok(AfterAnswer::Crisis { completed }) => {
            super::count(st, &[Count::new(Metric::Crisis, &["reached"])]);
            if let Some(score) = &completed {
                record_completed(st, score);
                // The questionnaire is over: back from the crisis screen leads home, not into it.
                st.session.navigation.open_after_home(Screen::Crisis);
            } else {
                st.session.navigation.open(Screen::Crisis);
            }
        }
        Ok(AfterAnswer::Result(score)) => {
            record_completed(st, &score);
            st.session.navigation.open_after_home(Screen::Result);
        }
        Err(e) => tracing::error!("answer refused: {e}"),
    }
}

fn record_completed(st: &mut KioskState, score: &Score) {
    let wall = st.clock.read().wall;
    if let Err(e) = commit_completed(&mut st.store, wall, score) {
        // The worker still sees their result; the failure is for the staff's error list.
        tracing::error!("cannot store a completed self-check: {e}");
    }
}

/// Records the questionnaire under way, if any, as abandoned (instrument and question reached
/// only) and clears its answers.
pub(super) fn abandon_running(st: &mut KioskState) {
    if let Some(left) = st.session.check.abandon(&st.catalogue) {
        let wall = st.clock.read().wall;
        if let Err(e) = commit_abandoned(&mut st.store, wall, &left) {
            tracing::error!("cannot store an abandoned self-check: {e}");
        }
    }
}

/// A questionnaire is left behind (and counted as abandoned) when the worker goes where it
/// does not survive (`Screen::keeps_a_questionnaire`).
pub(super) fn leave_if_away(st: &mut KioskState) {
    let keeps_it = st.session.navigation.current().keeps_a_questionnaire();
    if st.session.check.running.is_some() && !keeps_it {
        abandon_running(st);
    }
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let lang = st.session.language;

    let topics = TopicsAdapter::get(window);
    let labels = st
        .catalogue
        .topics
        .iter()
        .map(|t| t.label(lang).into())
        .collect();
    set_if_changed(topics.get_topics(), labels, |m| topics.set_topics(m));

    let question = QuestionAdapter::get(window);
    question.set_confirming_stop(st.session.check.confirming_stop);
    if let Some((q, instrument)) = st.session.check.current(&st.catalogue) {
        question.set_instrument(instrument.name(lang).into());
        question.set_timeframe(instrument.timeframe(lang).into());
        question.set_stem(instrument.stem(lang).into());
        question.set_item(instrument.items[q.index].get(lang).into());
        let options = instrument
            .options
            .iter()
            .map(|o| lang.pick(&o.zh, &o.en).into())
            .collect();
        set_if_changed(question.get_options(), options, |m| question.set_options(m));
        let selected =
            q.answers[q.index].and_then(|v| instrument.options.iter().position(|o| o.value == v));
        question.set_selected(selected.map_or(-1, |i| i as i32));
        question.set_number(q.index as i32 + 1);
        question.set_count(q.answers.len() as i32);
    }

    let result = ResultAdapter::get(window);
    result.set_crisis(st.session.check.crisis);
    if let Some(score) = st.session.check.latest() {
        if let Some(instrument) = st.catalogue.get(&score.instrument) {
            result.set_instrument(instrument.name(lang).into());
            result.set_total(score.total as i32);
            result.set_max_total(instrument.max_total() as i32);
            result.set_percent(score.percent.map_or(-1, |p| p as i32));
        }
        if let Some(shown) = st.session.check.shown_result(&st.catalogue, lang) {
            result.set_title(shown.title.into());
            result.set_text(shown.text.into());
            result.set_refer(shown.refer);
        }
        let suggestions = score
            .suggest
            .iter()
            .filter_map(|id| st.catalogue.get(id))
            .map(|i| Suggestion {
                name: i.name(lang).into(),
                about: i.about(lang).into(),
            })
            .collect();
        set_if_changed(result.get_suggestions(), suggestions, |m| {
            result.set_suggestions(m)
        });
    }
    // The counselling lines (not 110/120, which the crisis and emergency screens carry).
    let lines = super::line_models(st.emergency_lines.iter().filter(|l| !l.urgent), lang);
    set_if_changed(result.get_lines(), lines, |m| result.set_lines(m));
}
