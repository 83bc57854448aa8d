//! The self-check as a worker goes through it: touches on labelled elements, with the store
//! on disk so the records can be counted afterwards.

use std::time::Duration;

use slint::{Global, Model};
use waystation::ui::{QuestionAdapter, Screen as UiScreen};

use crate::ui::{
    countdown, day_counts, kiosk_with_disk, outbox_kinds, shown, touch, visible, visible_id, wait,
};

/// One count's total, 0 when it was never counted.
fn count(dir: &tempfile::TempDir, what: &str) -> u64 {
    day_counts(dir.path()).get(what).copied().unwrap_or(0)
}

/// A visit writes no record of its own: only day counts.
fn no_records(dir: &tempfile::TempDir) {
    assert_eq!(outbox_kinds(dir.path()), Vec::<String>::new());
}

/// From the attract screen through the notice to the themes, then picks one.
fn begin(kiosk: &waystation::Kiosk, topic: &str) {
    touch(kiosk, "点击开始");
    touch(kiosk, "心理自测");
    assert_eq!(shown(kiosk), UiScreen::CheckNotice);
    assert!(visible(kiosk, "开始"));
    touch(kiosk, "开始");
    assert_eq!(shown(kiosk), UiScreen::CheckTopics);
    touch(kiosk, topic);
    assert_eq!(shown(kiosk), UiScreen::Question);
}

fn progress(kiosk: &waystation::Kiosk) -> (i32, i32) {
    let q = QuestionAdapter::get(kiosk.window());
    (q.get_number(), q.get_count())
}

#[test]
fn phq9_with_item_9_at_several_days_lands_on_the_crisis_screen() {
    let (kiosk, _, dir) = kiosk_with_disk();
    begin(&kiosk, "心情低落");
    assert_eq!(progress(&kiosk), (1, 9));
    for n in 1..=8 {
        assert_eq!(progress(&kiosk), (n, 9));
        touch(&kiosk, "完全不会");
    }
    assert!(visible(&kiosk, "progress 9 / 9"));
    touch(&kiosk, "好几天");

    assert_eq!(
        shown(&kiosk),
        UiScreen::Crisis,
        "item 9 answered 1 must lead to crisis help"
    );
    // A discreet heading in large type: nothing a bystander should read.
    assert!(visible(&kiosk, "谢谢你愿意说出来。现在就可以找人聊聊"));
    for line in [
        "12356 全国心理援助热线",
        "12351 工会职工服务热线",
        "120 医疗急救",
        "110 报警",
    ] {
        assert!(visible(&kiosk, line), "crisis screen lacks {line}");
    }
    touch(&kiosk, "请驿站工作人员帮忙");
    // No board and no hub: nobody could be told, and the screen says so.
    assert!(visible(
        &kiosk,
        "请直接去找驿站工作人员，把这个屏幕给他们看。"
    ));

    // Counted for the day, never kept per visit: a band, each item's answer, the crisis route.
    assert_eq!(count(&dir, "band phq9/minimal"), 1);
    assert_eq!(count(&dir, "answer phq9/9/1"), 1);
    assert_eq!(count(&dir, "answer phq9/1/0"), 1);
    assert_eq!(count(&dir, "crisis reached"), 1);
    assert_eq!(count(&dir, "crisis asked_staff"), 1);
    assert_eq!(count(&dir, "staff_call screen"), 1);
    assert_eq!(count(&dir, "theme low"), 1);
    assert_eq!(count(&dir, "visit started"), 1);
    // The only record is the operational staff alert, which says nothing about the answers.
    assert_eq!(outbox_kinds(dir.path()), ["staff_alert"]);

    // The result comes after the crisis screen, never instead of it, and leads back to it.
    touch(&kiosk, "查看我的结果");
    assert_eq!(shown(&kiosk), UiScreen::Result);
    assert!(visible(&kiosk, "这不是诊断。只有精神科医生才能作出诊断。"));
    // A total of 1 is "minimal", but after a crisis answer the result never says "steady" or
    // "rest when you are tired": it says to talk to someone, and refers.
    let result = waystation::ui::ResultAdapter::get(kiosk.window());
    assert_eq!(result.get_title(), "谢谢你如实回答。现在就找人聊聊吧");
    for calm in ["平稳", "歇一歇"] {
        assert!(
            !result.get_title().contains(calm) && !result.get_text().contains(calm),
            "{calm}"
        );
    }
    assert!(result.get_refer());
    assert!(visible(&kiosk, "建议你找专业人员聊一聊："));
    assert!(visible(&kiosk, "12356 全国心理援助热线"));
    touch(&kiosk, "回到求助信息");
    assert_eq!(shown(&kiosk), UiScreen::Crisis);
    // Back from the crisis screen leads home, not into the finished questionnaire.
    touch(&kiosk, "返回");
    assert_eq!(shown(&kiosk), UiScreen::Home);
}

#[test]
fn every_item_9_answer_above_zero_reaches_crisis_whatever_the_rest() {
    let (kiosk, _, dir) = kiosk_with_disk();
    for item9 in ["好几天", "一半以上的天数", "几乎每天"] {
        for rest in ["完全不会", "几乎每天"] {
            begin(&kiosk, "心情低落");
            for _ in 1..=8 {
                touch(&kiosk, rest);
            }
            touch(&kiosk, item9);
            assert_eq!(shown(&kiosk), UiScreen::Crisis, "{rest} ×8 then {item9}");
            touch(&kiosk, "快速隐藏：清除全部内容并离开");
        }
    }
    assert_eq!(count(&dir, "crisis reached"), 6);
    assert_eq!(count(&dir, "visit started"), 6);
    assert_eq!(count(&dir, "visit quick_hide"), 6);
    assert_eq!(
        (1..=3)
            .map(|a| count(&dir, &format!("answer phq9/9/{a}")))
            .sum::<u64>(),
        6
    );
    no_records(&dir);
}

#[test]
fn gad7_finishes_on_a_kind_result_with_next_steps() {
    let (kiosk, _, dir) = kiosk_with_disk();
    begin(&kiosk, "担心、紧张");
    assert_eq!(progress(&kiosk), (1, 7));
    for _ in 0..7 {
        touch(&kiosk, "一半以上的天数");
    }
    assert_eq!(shown(&kiosk), UiScreen::Result);
    assert!(visible_id(&kiosk, "ResultScreen::title"));
    let result = waystation::ui::ResultAdapter::get(kiosk.window());
    assert_eq!((result.get_total(), result.get_max_total()), (14, 21));
    assert_eq!(result.get_title(), "最近紧张担心比较明显");
    assert!(
        result.get_refer(),
        "GAD-7 14 is above the referral threshold"
    );
    assert!(visible(&kiosk, "这不是诊断。只有精神科医生才能作出诊断。"));
    assert!(visible(&kiosk, "12356 全国心理援助热线"));

    assert_eq!(count(&dir, "band gad7/moderate"), 1);
    for item in 1..=7 {
        assert_eq!(count(&dir, &format!("answer gad7/{item}/2")), 1);
    }
    assert_eq!(count(&dir, "referral gad7"), 1);
    assert_eq!(count(&dir, "crisis reached"), 0);
    no_records(&dir);

    touch(&kiosk, "结束并清除");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());
}

#[test]
fn idle_reset_wipes_the_answers_and_records_only_how_far_it_got() {
    let (kiosk, clock, dir) = kiosk_with_disk();
    begin(&kiosk, "心情低落");
    for _ in 0..3 {
        touch(&kiosk, "几乎每天");
    }
    assert!(kiosk.session().check.running.is_some());
    wait(&clock, Duration::from_secs(90));
    assert_eq!(countdown(&kiosk), 20);
    wait(&clock, Duration::from_secs(20));
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(
        kiosk.session().is_fresh(),
        "answers survived the idle reset"
    );
    assert!(!QuestionAdapter::get(kiosk.window()).get_confirming_stop());

    // Only that a PHQ-9 was left, and how the visit ended: not the three answers.
    assert_eq!(count(&dir, "abandoned phq9"), 1);
    assert_eq!(count(&dir, "visit idle_timeout"), 1);
    assert!(
        day_counts(dir.path())
            .keys()
            .all(|k| !k.starts_with("answer"))
    );
    no_records(&dir);
}

#[test]
fn quick_hide_in_the_middle_of_a_questionnaire_wipes_it() {
    let (kiosk, _, dir) = kiosk_with_disk();
    begin(&kiosk, "只是想测一测");
    assert_eq!(progress(&kiosk), (1, 5));
    touch(&kiosk, "所有时间");
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());
    assert_eq!(count(&dir, "abandoned who5"), 1);
    assert_eq!(count(&dir, "visit quick_hide"), 1);
}

#[test]
fn the_crisis_screen_waits_longer_before_its_longer_countdown() {
    let (kiosk, clock, _dir) = kiosk_with_disk();
    begin(&kiosk, "心情低落");
    for _ in 0..9 {
        touch(&kiosk, "一半以上的天数");
    }
    assert_eq!(shown(&kiosk), UiScreen::Crisis);
    wait(&clock, Duration::from_secs(200));
    assert_eq!(
        countdown(&kiosk),
        0,
        "the normal 90 s must not apply on the crisis screen"
    );
    wait(&clock, Duration::from_secs(100));
    assert_eq!(countdown(&kiosk), 60);
    wait(&clock, Duration::from_secs(60));
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());
}

#[test]
fn previous_and_stop_with_confirmation() {
    let (kiosk, _, dir) = kiosk_with_disk();
    begin(&kiosk, "担心、紧张");
    touch(&kiosk, "几乎每天");
    touch(&kiosk, "好几天");
    assert_eq!(progress(&kiosk), (3, 7));
    touch(&kiosk, "上一题");
    assert_eq!(progress(&kiosk), (2, 7));
    // The answer given before is shown as chosen (option 1, "several days").
    assert_eq!(QuestionAdapter::get(kiosk.window()).get_selected(), 1);
    // The top bar's back also goes to the previous question.
    touch(&kiosk, "返回");
    assert_eq!(progress(&kiosk), (1, 7));

    touch(&kiosk, "停止自测");
    assert!(visible(&kiosk, "要停止这次自测吗？"));
    touch(&kiosk, "继续答题");
    assert!(!visible(&kiosk, "要停止这次自测吗？"));
    assert_eq!(shown(&kiosk), UiScreen::Question);
    touch(&kiosk, "停止自测");
    touch(&kiosk, "确定停止");
    assert_eq!(shown(&kiosk), UiScreen::Home);
    assert!(kiosk.session().check.running.is_none());
    assert_eq!(count(&dir, "abandoned gad7"), 1);
}

#[test]
fn a_quick_check_suggests_the_fuller_questionnaire_and_it_starts() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    begin(&kiosk, "派单、差评、罚款压力大");
    assert_eq!(progress(&kiosk), (1, 4));
    for answer in ["一半以上的天数", "好几天", "完全不会", "几乎每天"] {
        touch(&kiosk, answer);
    }
    assert_eq!(shown(&kiosk), UiScreen::Result);
    assert_eq!(
        waystation::ui::ResultAdapter::get(kiosk.window())
            .get_suggestions()
            .row_count(),
        2
    );
    touch(&kiosk, "接着做：心情自评（PHQ-9）（9 个问题，约 2 分钟）");
    assert_eq!(shown(&kiosk), UiScreen::Question);
    assert_eq!(progress(&kiosk), (1, 9));
}

#[test]
fn emergency_help_in_the_middle_of_a_questionnaire_keeps_the_answers() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    begin(&kiosk, "心情低落");
    touch(&kiosk, "好几天");
    touch(&kiosk, "紧急求助");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    touch(&kiosk, "返回");
    assert_eq!(shown(&kiosk), UiScreen::Question);
    assert_eq!(progress(&kiosk), (2, 9));
}

#[test]
fn the_self_check_works_in_english_too() {
    let (kiosk, _, _dir) = kiosk_with_disk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "切换语言");
    touch(&kiosk, "Self-check");
    touch(&kiosk, "Start");
    touch(&kiosk, "Just want to check");
    assert!(visible(&kiosk, "All of the time"));
    for _ in 0..5 {
        touch(&kiosk, "Most of the time");
    }
    let result = waystation::ui::ResultAdapter::get(kiosk.window());
    assert_eq!(result.get_percent(), 80);
    assert_eq!(result.get_title(), "Your well-being seems good lately");
    assert!(visible(
        &kiosk,
        "This is not a diagnosis. Only a psychiatrist can make one."
    ));
}
