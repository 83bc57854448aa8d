//! The directory's adapters: the ranked list with its topic chips, and one entry in full.

use slint::{ComponentHandle, Global};

use super::runtime::update;
use super::{
    AppWindow, KioskState, OpenKind, OpenState, ResourceDetailAdapter, ResourceRow,
    ResourcesAdapter, TopicFilter, set_if_changed,
};
use crate::directory::Topic;
use crate::directory::rank::{OpenNow, Query, Ranked, rank, visit_topics};
use crate::kiosk::Screen;
use crate::store::counts::Count;
use waystation_protocol::Metric;

/// The topic chip that is on, for the list screen.
fn filter_shown(topic: Option<Topic>) -> TopicFilter {
    match topic {
        None => TopicFilter::All,
        Some(Topic::EmotionalDistress) => TopicFilter::EmotionalDistress,
        Some(Topic::PersonalDevelopment) => TopicFilter::PersonalDevelopment,
        Some(Topic::FamilyRelationships) => TopicFilter::FamilyRelationships,
        Some(Topic::Crisis) => TopicFilter::Crisis,
    }
}

/// The topic a touched chip stands for.
fn filter_chosen(filter: TopicFilter) -> Option<Topic> {
    match filter {
        TopicFilter::All => None,
        TopicFilter::EmotionalDistress => Some(Topic::EmotionalDistress),
        TopicFilter::PersonalDevelopment => Some(Topic::PersonalDevelopment),
        TopicFilter::FamilyRelationships => Some(Topic::FamilyRelationships),
        TopicFilter::Crisis => Some(Topic::Crisis),
    }
}

fn query(st: &KioskState) -> Query {
    let s = &st.session;
    let mood_tags = s
        .mood
        .saved
        .as_ref()
        .map(|(c, _)| c.tags.clone())
        .unwrap_or_default();
    Query {
        demo: st.config.station.demo,
        district: st.config.station.district,
        here: st.config.station.location(),
        now: crate::station_time::naive_local(st.clock.read().wall),
        crisis: s.check.crisis,
        topics: visit_topics(
            s.check.crisis,
            !s.check.results.is_empty(),
            s.check.topic.as_deref(),
            &mood_tags,
        ),
        only_topic: s.resource_filter,
    }
}

pub(super) fn connect(window: &AppWindow, state: &std::rc::Rc<std::cell::RefCell<KioskState>>) {
    let adapter = ResourcesAdapter::get(window);
    let weak = window.as_weak();
    adapter.on_choose_chip({
        let (w, s) = (weak.clone(), state.clone());
        move |filter| {
            update(&w, &s, |st| {
                let chosen = filter_chosen(filter);
                // Touching the chip that is on switches it off (back to all).
                st.session.resource_filter = if chosen == st.session.resource_filter {
                    None
                } else {
                    chosen
                };
            })
        }
    });
    ResourceDetailAdapter::get(window).on_toggle_slip({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                let Some(id) = st.session.resource_open.clone() else {
                    return;
                };
                let chosen = &mut st.session.slip_services;
                match chosen.iter().position(|c| *c == id) {
                    Some(at) => {
                        chosen.remove(at);
                    }
                    None => chosen.push(id),
                }
                // The slip changed: what was printed is not this slip any more.
                st.session.slip.print = crate::slip::PrintState::Idle;
            })
        }
    });
    adapter.on_open_entry({
        let (w, s) = (weak.clone(), state.clone());
        move |index| {
            update(&w, &s, |st| {
                let q = query(st);
                let id = rank(&st.directory, &q)
                    .get(index as usize)
                    .map(|r| r.entry.id.clone());
                if let Some(id) = id {
                    let opened = Count::new(Metric::EntryOpened, &[&id]);
                    super::count(st, &[opened]);
                    st.session.resource_open = Some(id);
                    st.session.navigation.open(Screen::ResourceDetail);
                }
            })
        }
    });
}

fn distance_text(r: &Ranked) -> String {
    match r.distance_m {
        Some(d) if d < 1000.0 => format!("{} m", (d / 10.0).round() * 10.0),
        Some(d) => format!("{:.1} km", d / 1000.0),
        None => String::new(),
    }
}

/// Whether a place is open, for the screens to put into words.
fn open_state(open: &OpenNow) -> OpenState {
    use chrono::Datelike;
    let plain = |kind| OpenState {
        kind,
        day: 0,
        time: Default::default(),
    };
    match open {
        OpenNow::Unknown => plain(OpenKind::Unknown),
        OpenNow::Always => plain(OpenKind::Always),
        OpenNow::Open { .. } => plain(OpenKind::Open),
        OpenNow::Closed { opens: Some(t) } => OpenState {
            kind: OpenKind::ClosedUntil,
            day: t.weekday().num_days_from_monday() as i32,
            time: t.format("%H:%M").to_string().into(),
        },
        OpenNow::Closed { opens: None } => plain(OpenKind::Closed),
        OpenNow::HolidaysMayDiffer => plain(OpenKind::HolidaysMayDiffer),
    }
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let here = st.session.navigation.current();
    if here != Screen::Resources && here != Screen::ResourceDetail {
        return;
    }
    let lang = st.session.language;
    let ranked = rank(&st.directory, &query(st));
    let adapter = ResourcesAdapter::get(window);
    adapter.set_filter(filter_shown(st.session.resource_filter));
    let rows = ranked
        .iter()
        .map(|r| ResourceRow {
            name: r.entry.name(lang).into(),
            phone: r.entry.phones.join(" ").into(),
            distance: distance_text(r).into(),
            open: open_state(&r.open),
            note: r.entry.note(lang).into(),
            example: r.entry.example,
        })
        .collect();
    set_if_changed(adapter.get_entries(), rows, |m| adapter.set_entries(m));

    let Some(r) = st
        .session
        .resource_open
        .as_ref()
        .and_then(|id| ranked.iter().find(|r| &r.entry.id == id))
    else {
        return;
    };
    let e = r.entry;
    let detail = ResourceDetailAdapter::get(window);
    detail.set_name(e.name(lang).into());
    detail.set_phones(e.phones.join("  ").into());
    detail.set_note(e.note(lang).into());
    detail.set_address(e.address(lang).into());
    detail.set_open(open_state(&r.open));
    detail.set_hours(
        if r.open == OpenNow::Always {
            String::new()
        } else {
            e.opening_hours.clone()
        }
        .into(),
    );

    detail.set_distance(distance_text(r).into());
    detail.set_source(format!("{} ({})", e.source.document, e.source.date).into());
    detail.set_example(e.example);
    detail.set_on_slip(st.session.slip_services.contains(&e.id));
    detail.set_qr(super::slip::qr_image(&e.qr_text(lang)));
}
