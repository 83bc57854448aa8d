//! The mood check-in as a worker goes through it, with the store on disk so the records (and
//! what never becomes a record) can be checked.

use std::time::Duration;

use slint::{Global, Model};
use waystation::mood::code::PersonalCode;
use waystation::store;
use waystation::ui::{
    BreathingAdapter, CodePadNotice, MoodDoneAdapter, MoodFeelAdapter, Screen as UiScreen, Shell,
};

use crate::ui::{
    day_counts, kiosk_with_disk, outbox_kinds, press_key, shown, touch, visible, visible_id, wait,
};

fn db(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap()
}

/// Home → grid → word → tags → done.
fn check_in(kiosk: &waystation::Kiosk, cell: &str, word: &str, tags: &[&str]) {
    if shown(kiosk) == UiScreen::Attract {
        touch(kiosk, "点击开始");
    }
    touch(kiosk, "情绪打卡");
    assert_eq!(shown(kiosk), UiScreen::MoodFeel);
    touch(kiosk, cell);
    assert_eq!(shown(kiosk), UiScreen::MoodWord);
    touch(kiosk, word);
    assert_eq!(shown(kiosk), UiScreen::MoodTags);
    for tag in tags {
        touch(kiosk, tag);
    }
    touch(kiosk, "完成");
    assert_eq!(shown(kiosk), UiScreen::MoodDone);
}

#[test]
fn a_check_in_is_only_counted_for_its_day_and_never_queued_on_its_own() {
    let (kiosk, _, dir) = kiosk_with_disk();
    check_in(&kiosk, "mood -1 -2", "累", &["睡眠", "收入"]);
    assert!(visible_id(&kiosk, "MoodDoneScreen::reply"));
    assert_eq!(outbox_kinds(dir.path()), Vec::<String>::new());
    let counts = day_counts(dir.path());
    assert_eq!(counts["mood_word blue/tired"], 1);
    assert_eq!(counts["mood_tag blue/sleep"], 1);
    assert_eq!(counts["mood_tag blue/income"], 1);
    assert_eq!(counts["visit started"], 1);
    // Back from the done screen leads home: the check-in cannot be saved twice.
    touch(&kiosk, "返回");
    assert_eq!(shown(&kiosk), UiScreen::Home);
    assert_eq!(day_counts(dir.path())["mood_word blue/tired"], 1);
}

#[test]
fn a_personal_code_brings_back_the_trend_at_the_next_visit() {
    let (kiosk, _, dir) = kiosk_with_disk();
    check_in(&kiosk, "mood -2 1", "着急", &["派单压力"]);
    touch(&kiosk, "领取个人码");
    kiosk.settle();
    let code = MoodDoneAdapter::get(kiosk.window())
        .get_new_code()
        .to_string();
    assert_eq!(code.len(), 9, "{code}");
    assert!(visible_id(&kiosk, "MoodDoneScreen::new-code"));
    touch(&kiosk, "结束并清除");
    assert!(kiosk.session().is_fresh());

    // A later visit: enter the code, see the last check-in, add another.
    touch(&kiosk, "点击开始");
    touch(&kiosk, "情绪打卡");
    touch(&kiosk, "我有个人码");
    assert_eq!(shown(&kiosk), UiScreen::MoodCode);
    for c in code.chars().filter(|c| *c != '-') {
        press_key(&kiosk, &c.to_string());
    }
    touch(&kiosk, "查看我的变化");
    kiosk.settle();
    assert_eq!(shown(&kiosk), UiScreen::MoodFeel);
    assert!(visible(&kiosk, "trend 着急"));
    touch(&kiosk, "mood 2 -1");
    touch(&kiosk, "平静");
    touch(&kiosk, "完成");
    assert!(visible(&kiosk, "已记到你的个人码下。"));

    let rows: i64 = db(&dir)
        .query_row("SELECT COUNT(*) FROM mood_personal", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2);
    // Nothing of the code is ever uploaded.
    let everything: String = db(&dir)
        .query_row(
            "SELECT COALESCE(group_concat(CAST(payload AS TEXT), ''), '') FROM outbox",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let bare = code.replace('-', "");
    assert!(!everything.contains(&bare) && !everything.contains(&code));
    // Each row is the code's lookup tag and one ciphertext that opens with the code: not the
    // code, not its Argon2 hash, not the check-in's words in clear.
    let salt: Vec<u8> = db(&dir)
        .query_row(
            "SELECT value FROM kiosk_secret WHERE name = 'personal_code_salt'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let typed = PersonalCode::parse(&code).unwrap();
    let (hash, keys) = (typed.hash(&salt), typed.keys(&salt));
    let conn = db(&dir);
    let mut stmt = conn
        .prepare("SELECT tag, sealed FROM mood_personal ORDER BY id")
        .unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let words: Vec<String> = rows
        .iter()
        .map(|(tag, sealed)| {
            assert_eq!(tag.as_slice(), keys.tag());
            keys.open(sealed).expect("the row opens with its code").word
        })
        .collect();
    assert_eq!(words, ["rushed", "calm"]);
    for (tag, sealed) in &rows {
        let needles: [&[u8]; 4] = [&hash, bare.as_bytes(), b"rushed", b"calm"];
        for needle in needles {
            assert!(!contains(tag, needle) && !contains(sealed, needle));
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn wrong_codes_are_refused_then_throttled() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "情绪打卡");
    touch(&kiosk, "我有个人码");
    press_key(&kiosk, "7");
    touch(&kiosk, "查看我的变化");
    kiosk.settle();
    assert_eq!(
        waystation::ui::MoodCodeAdapter::get(kiosk.window()).get_notice(),
        CodePadNotice::Format
    );
    for attempt in 1..=3 {
        touch(&kiosk, "删除");
        for _ in 0..8 {
            press_key(&kiosk, "0");
        }
        touch(&kiosk, "查看我的变化");
        kiosk.settle();
        let notice = waystation::ui::MoodCodeAdapter::get(kiosk.window()).get_notice();
        assert_eq!(
            notice,
            if attempt < 3 {
                CodePadNotice::Wrong
            } else {
                CodePadNotice::Wait
            },
            "attempt {attempt}"
        );
    }
    assert_eq!(
        waystation::ui::MoodCodeAdapter::get(kiosk.window()).get_wait_seconds(),
        30
    );
    assert_eq!(shown(&kiosk), UiScreen::MoodCode);
}

#[test]
fn a_tense_check_in_offers_a_minute_of_breathing() {
    let (kiosk, clock, _dir) = kiosk_with_disk();
    check_in(&kiosk, "mood -2 2", "生气", &[]);
    touch(&kiosk, "跟着圆圈呼吸一分钟");
    assert_eq!(shown(&kiosk), UiScreen::Breathing);
    assert_eq!(BreathingAdapter::get(kiosk.window()).get_seconds_left(), 60);
    wait(&clock, Duration::from_secs(30));
    assert_eq!(BreathingAdapter::get(kiosk.window()).get_seconds_left(), 30);
    wait(&clock, Duration::from_secs(30));
    assert_eq!(BreathingAdapter::get(kiosk.window()).get_seconds_left(), 0);
    assert!(visible(&kiosk, "做得很好。"));
    touch(&kiosk, "完成");
    assert_eq!(shown(&kiosk), UiScreen::MoodDone);
}

#[test]
fn the_seconds_left_take_the_plural_form_their_number_needs() {
    let (kiosk, clock, _dir) = kiosk_with_disk();
    check_in(&kiosk, "mood -2 2", "生气", &[]);
    touch(&kiosk, "跟着圆圈呼吸一分钟");
    wait(&clock, Duration::from_secs(58));
    // Chinese has one form for every number.
    assert!(visible(&kiosk, "还剩 2 秒"));
    Shell::get(kiosk.window()).invoke_toggle_language();
    assert!(visible(&kiosk, "2 seconds left"));
    wait(&clock, Duration::from_secs(1));
    assert!(visible(&kiosk, "1 second left"));
    assert!(!visible(&kiosk, "1 seconds left"));
    Shell::get(kiosk.window()).invoke_toggle_language();
    assert!(visible(&kiosk, "还剩 1 秒"));
}

#[test]
fn a_distress_word_offers_the_help_lines_beside_the_breathing_exercise() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    // 快撑不住了 is in the tense (red) corner, whose offer is breathing.
    check_in(&kiosk, "mood -1 1", "快撑不住了", &[]);
    assert!(visible(&kiosk, "跟着圆圈呼吸一分钟"));
    assert!(visible_id(&kiosk, "MoodDoneScreen::help-lines"));
    assert!(visible(&kiosk, "12356 全国心理援助热线"));
    assert!(visible(&kiosk, "12351 工会职工服务热线"));
    touch(&kiosk, "跟着圆圈呼吸一分钟");
    assert!(visible_id(&kiosk, "BreathingScreen::help-numbers"));
    assert_eq!(
        BreathingAdapter::get(kiosk.window()).get_help_numbers(),
        "12356 · 12351"
    );
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    // An ordinary tense word gets the breathing exercise alone.
    check_in(&kiosk, "mood -1 1", "着急", &[]);
    assert!(!visible_id(&kiosk, "MoodDoneScreen::help-lines"));
    touch(&kiosk, "跟着圆圈呼吸一分钟");
    assert!(!visible_id(&kiosk, "BreathingScreen::help-numbers"));
}

#[test]
fn the_heaviest_corner_offers_help_and_a_good_mood_the_self_check() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    check_in(&kiosk, "mood -2 -2", "无助", &["孤单"]);
    touch(&kiosk, "看看可以找谁聊聊");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    check_in(&kiosk, "mood 2 2", "开心", &["没什么特别的"]);
    touch(&kiosk, "做个简单的心理自测");
    assert_eq!(shown(&kiosk), UiScreen::CheckNotice);
}

/// Moves the kiosk's clock on by a week, so the check-ins made so far are in the last closed
/// week, which is all the station view shows.
fn next_week(clock: &waystation::clock::FakeClock) {
    wait(clock, Duration::from_secs(7 * 24 * 3600));
}

#[test]
fn the_week_view_hides_a_week_with_few_check_ins() {
    let (kiosk, clock, _dir) = kiosk_with_disk();
    check_in(&kiosk, "mood 1 -1", "放松", &[]);
    touch(&kiosk, "结束并清除");
    next_week(&clock);
    check_in(&kiosk, "mood 1 -1", "放松", &[]);
    touch(&kiosk, "上周本站大家的感受");
    assert_eq!(shown(&kiosk), UiScreen::MoodWeek);
    assert!(visible_id(&kiosk, "MoodWeekScreen::hidden"));
    assert_eq!(
        waystation::ui::MoodWeekAdapter::get(kiosk.window()).get_total(),
        -1
    );
}

fn week_bars(kiosk: &waystation::Kiosk) -> (i32, Vec<i32>) {
    let week = waystation::ui::MoodWeekAdapter::get(kiosk.window());
    (
        week.get_total(),
        week.get_bars().iter().map(|b| b.percent).collect(),
    )
}

fn check_ins(kiosk: &waystation::Kiosk, times: usize, cell: &str, word: &str, tags: &[&str]) {
    for _ in 0..times {
        check_in(kiosk, cell, word, tags);
        touch(kiosk, "结束并清除");
    }
}

#[test]
fn the_week_view_shows_rounded_shares_of_closed_weeks_only_and_never_a_derivable_cell() {
    let (kiosk, clock, _dir) = kiosk_with_disk();
    check_ins(&kiosk, 11, "mood -1 -1", "累", &["睡眠"]);
    check_ins(&kiosk, 1, "mood 1 1", "开心", &[]);
    // The week under way is never shown, however many check-ins it has.
    check_in(&kiosk, "mood 1 1", "开心", &[]);
    touch(&kiosk, "上周本站大家的感受");
    assert_eq!(week_bars(&kiosk).0, -1);
    touch(&kiosk, "快速隐藏：清除全部内容并离开");

    next_week(&clock);
    check_in(&kiosk, "mood 1 1", "开心", &[]);
    touch(&kiosk, "上周本站大家的感受");
    // 11 blue and 2 yellow: yellow is hidden, and blue's share would give it away, so every
    // quadrant is hidden, while the shared word and tag may show (named, not counted). The
    // total, 13, shows as "about 10".
    assert_eq!(week_bars(&kiosk), (10, vec![-1, -1, -1, -1]));
    let week = waystation::ui::MoodWeekAdapter::get(kiosk.window());
    assert_eq!(week.get_top_word(), "累");
    assert_eq!(week.get_top_tags(), "睡眠");
    touch(&kiosk, "快速隐藏：清除全部内容并离开");

    // A new week: 11 tense, 12 tired and (with the check-in above) 1 happy.
    check_ins(&kiosk, 11, "mood -1 1", "紧张", &[]);
    check_ins(&kiosk, 12, "mood -1 -1", "累", &[]);
    next_week(&clock);
    check_in(&kiosk, "mood -1 -1", "累", &[]);
    touch(&kiosk, "上周本站大家的感受");
    // Only that week (24): yellow's 1 is hidden; with green's 0 it would still add up to 1,
    // so the next smallest (red, 11) is hidden too. Blue's 12 of 24 shows as about 50 %.
    assert_eq!(week_bars(&kiosk), (20, vec![-1, -1, 50, -1]));
}

#[test]
fn idle_reset_in_the_middle_of_a_check_in_forgets_it() {
    let (kiosk, clock, dir) = kiosk_with_disk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "情绪打卡");
    touch(&kiosk, "mood -1 1");
    touch(&kiosk, "紧张");
    assert!(kiosk.session().mood.word.is_some());
    wait(&clock, Duration::from_secs(90));
    wait(&clock, Duration::from_secs(20));
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());
    assert!(
        day_counts(dir.path())
            .keys()
            .all(|k| !k.starts_with("mood")),
        "an unfinished check-in is never stored"
    );
    assert_eq!(
        MoodFeelAdapter::get(kiosk.window()).get_trend().row_count(),
        0
    );
}

/// A code's Argon2id runs off the UI thread: the pad says it is checking. Leaving before the
/// answer comes back does not escape the throttle: three unknown codes, each abandoned at once,
/// still make the next try wait.
#[test]
fn a_code_is_checked_off_the_ui_thread_and_leaving_at_once_does_not_escape_the_throttle() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    let pad = || waystation::ui::MoodCodeAdapter::get(kiosk.window());
    for attempt in 1..=4 {
        touch(&kiosk, "点击开始");
        touch(&kiosk, "情绪打卡");
        touch(&kiosk, "我有个人码");
        for _ in 0..8 {
            press_key(&kiosk, "0");
        }
        touch(&kiosk, "查看我的变化");
        if attempt == 4 {
            assert_eq!(
                pad().get_notice(),
                CodePadNotice::Wait,
                "three wrong codes were not counted"
            );
            break;
        }
        assert!(
            kiosk.session().mood.checking.is_some(),
            "checked in the callback"
        );
        assert_eq!(pad().get_notice(), CodePadNotice::Checking);
        touch(&kiosk, "快速隐藏：清除全部内容并离开");
        kiosk.settle();
        assert!(kiosk.session().is_fresh());
    }
}
