use std::time::Duration;

use super::retry::{CONFIRM_WITHIN, Retry};
use super::*;

const NOW: i64 = 1_795_000_000_000;
const HOUR_MS: i64 = 3_600_000;

fn booted(reason_state: &mut RootState, id: &str) -> BootReason {
    reason_state.booted(id, false);
    reason_state.boot.as_ref().unwrap().reason
}

#[test]
fn a_boot_after_an_orderly_stop_a_power_cut_and_the_first_are_told_apart() {
    let mut state = RootState::default();
    assert_eq!(booted(&mut state, "b1"), BootReason::First);
    state.stopped();
    assert_eq!(booted(&mut state, "b2"), BootReason::Orderly);
    // No stop: the power went.
    assert_eq!(booted(&mut state, "b3"), BootReason::Unclean);
    state.stopped();
    state.booted("b4", true);
    assert_eq!(state.boot.as_ref().unwrap().reason, BootReason::Update);
}

#[test]
fn starting_twice_in_one_boot_changes_nothing() {
    let mut state = RootState::default();
    state.booted("b1", false);
    state.kiosk_starting();
    state.booted("b1", false);
    assert_eq!(state.boot.as_ref().unwrap().reason, BootReason::First);
    assert_eq!(state.starts, 1);
}

#[test]
fn starts_are_counted_per_boot() {
    let mut state = RootState::default();
    state.booted("b1", false);
    for _ in 0..4 {
        state.kiosk_starting();
    }
    assert_eq!(state.status(NOW).starts_this_boot, 4);
    state.stopped();
    state.booted("b2", false);
    assert_eq!(state.status(NOW).starts_this_boot, 0);
}

#[test]
fn the_first_crash_loop_reboots_and_the_next_boot_knows_why() {
    let mut state = RootState::default();
    state.booted("b1", false);
    let action = state.crash_loop(NOW, Duration::from_secs(600));
    assert_eq!(action, CrashLoopAction::Reboot);
    state.stopped();
    state.booted("b2", false);
    assert_eq!(state.boot.as_ref().unwrap().reason, BootReason::CrashLoop);
    // Ended by our reboot but cut off before the stop: unclean is what is known.
    state.rebooting_for_crash_loop = true;
    state.booted("b3", false);
    assert_eq!(state.boot.as_ref().unwrap().reason, BootReason::Unclean);
}

#[test]
fn a_second_crash_loop_within_the_window_goes_out_of_service_by_either_clock() {
    // By the wall clock.
    let mut state = RootState::default();
    state.booted("b1", false);
    assert_eq!(
        state.crash_loop(NOW, Duration::from_secs(60)),
        CrashLoopAction::Reboot
    );
    state.stopped();
    state.booted("b2", false);
    assert_eq!(
        state.crash_loop(NOW + HOUR_MS, Duration::from_secs(60)),
        CrashLoopAction::OutOfService
    );
    assert!(!state.rebooting_for_crash_loop);
    // By the boot alone, with a wall clock gone back to 1970 (no battery clock).
    let mut state = RootState::default();
    state.booted("b1", false);
    state.crash_loop(NOW, Duration::from_secs(60));
    state.stopped();
    state.booted("b2", false);
    assert_eq!(
        state.crash_loop(0, Duration::from_secs(300)),
        CrashLoopAction::OutOfService
    );
}

#[test]
fn a_crash_loop_after_the_window_may_reboot_again() {
    let mut state = RootState::default();
    state.booted("b1", false);
    state.crash_loop(NOW, Duration::from_secs(60));
    state.stopped();
    state.booted("b2", false);
    let later = NOW + REBOOT_WINDOW.as_millis() as i64;
    assert_eq!(
        state.crash_loop(later, REBOOT_WINDOW),
        CrashLoopAction::Reboot
    );
    assert_eq!(state.crash_loop_reboots.len(), 2);
}

#[test]
fn crash_loops_are_counted_over_a_day_and_a_week_and_forgotten_after_a_month() {
    let mut state = RootState::default();
    state.booted("b1", false);
    let day = 24 * HOUR_MS;
    for at in [NOW - 40 * day, NOW - 3 * day, NOW - 2 * HOUR_MS] {
        state.crash_loop(at, Duration::from_secs(60));
    }
    state.crash_loop(NOW, REBOOT_WINDOW);
    let status = state.status(NOW);
    assert_eq!(status.crash_loops.len(), 3, "the last week's");
    assert_eq!(
        state.crash_loops.len(),
        3,
        "the one 40 days old is forgotten"
    );
    let report = status.report(NOW);
    assert_eq!(
        report,
        serde_json::json!({"boot_reason": "first", "starts_this_boot": 0,
            "crash_loops_24h": 2, "crash_loops_7d": 3})
    );
    // A day later, as the kiosk's heartbeat counts them from the same file.
    assert_eq!(status.crash_loops_within(DAY, NOW + day), 0);
    assert_eq!(status.crash_loops_within(WEEK, NOW + day), 3);
}

#[test]
fn the_status_and_the_state_read_back_and_bad_text_is_an_error() {
    let mut state = RootState::default();
    state.booted("b1", true);
    state.crash_loop(NOW, Duration::ZERO);
    let text = serde_json::to_string(&state).unwrap();
    assert_eq!(parse_state(&text).unwrap(), state);
    let status = serde_json::to_string(&state.status(NOW)).unwrap();
    assert_eq!(parse_status(&status).unwrap(), state.status(NOW));
    assert!(status.contains("\"boot_reason\":\"first\""), "{status}");
    assert!(parse_status("{\"boot_reason\": \"sideways\"}").is_err());
    assert!(parse_state("not json").is_err());
}

#[test]
fn the_names_are_the_protocols() {
    let all = [
        BootReason::First,
        BootReason::Orderly,
        BootReason::CrashLoop,
        BootReason::Update,
        BootReason::Unclean,
    ];
    for reason in all {
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json, reason.name());
    }
    assert_eq!(all.len(), waystation_protocol::health::BOOT_REASONS.len());
}

#[test]
fn an_update_waiting_or_being_tried_is_read_from_roots_record() {
    assert!(update_pending(
        "VERSION=2026.12.3\nSLOT=B\nSTATE=awaiting_reboot\n"
    ));
    assert!(update_pending("STATE=trying"));
    assert!(!update_pending("VERSION=1\nSTATE=installing\n"));
    assert!(!update_pending(""));
}

#[test]
fn the_out_of_service_screen_tries_again_after_an_hour_or_a_confirmed_touch() {
    let start = Duration::from_secs(100);
    let mut retry = Retry::new(start);
    assert!(!retry.due(start + RETRY_AFTER - Duration::from_secs(1)));
    assert!(retry.due(start + RETRY_AFTER));
    assert_eq!(retry.minutes_left(start), 60);
    assert_eq!(retry.minutes_left(start + Duration::from_secs(61)), 59);
    // A confirmation with no question showing does nothing; one too late neither.
    assert!(!retry.confirm(start));
    retry.ask(start);
    assert!(retry.asking(start + Duration::from_secs(1)));
    assert!(!retry.confirm(start + CONFIRM_WITHIN));
    retry.ask(start);
    retry.cancel();
    assert!(!retry.asking(start));
    retry.ask(start);
    assert!(retry.confirm(start + Duration::from_secs(3)));
}

#[test]
fn a_crash_loop_is_the_start_limit_or_a_kiosk_systemd_gave_up_on() {
    assert!(is_crash_loop(Some("start-limit-hit"), None));
    assert!(is_crash_loop(None, None));
    for result in ["exit-code", "signal", "watchdog", "core-dump"] {
        // Between restarts: the kiosk waits to be started again.
        assert!(!is_crash_loop(Some(result), Some("activating")));
        assert!(!is_crash_loop(Some(result), None));
        // Restarts used up: systemd left it failed, whatever the last result said.
        assert!(is_crash_loop(Some(result), Some("failed")));
    }
}
