//! Every branch of `decide`, and the status file's parser.

use super::*;

const NOW: Duration = Duration::from_secs(100_000);

fn offer(version: &str) -> UpdateOffer {
    UpdateOffer {
        version: version.into(),
        sha256: "ab".repeat(32),
        size: 1000,
    }
}

fn status(last: Option<(&str, Outcome)>) -> UpdateStatus {
    UpdateStatus {
        slot: "A".into(),
        last: last.map(|(version, outcome)| LastUpdate {
            version: version.into(),
            outcome,
            detail: String::new(),
            at: "2026-12-03T14:00:00Z".into(),
        }),
    }
}

/// Idle for this long by `NOW`, or busy with `None`.
fn idle(for_: Option<Duration>) -> Option<Duration> {
    for_.map(|d| NOW - d)
}

struct Case {
    status: UpdateStatus,
    running: Option<&'static str>,
    offer: Option<UpdateOffer>,
    files: Files,
    refused: bool,
    retry_failed: bool,
    idle: Option<Duration>,
}

impl Case {
    fn new() -> Case {
        Case {
            status: status(None),
            running: Some("2026.11.1"),
            offer: Some(offer("2026.12.3")),
            files: Files::default(),
            refused: false,
            retry_failed: false,
            idle: Some(Duration::from_secs(3600)),
        }
    }

    fn decide(&self) -> Action {
        decide(&Situation {
            status: &self.status,
            running: self.running,
            offer: self.offer.as_ref(),
            files: &self.files,
            refused: self.refused,
            retry_failed: self.retry_failed,
            idle_since: idle(self.idle),
            now: NOW,
        })
    }
}

#[test]
fn a_new_offer_is_downloaded_from_the_start_then_resumed_then_verified() {
    let mut case = Case::new();
    assert_eq!(case.decide(), Action::Download { from: 0 });
    case.files.part_len = Some(0);
    assert_eq!(case.decide(), Action::Download { from: 0 });
    case.files.part_len = Some(400);
    assert_eq!(case.decide(), Action::Download { from: 400 });
    case.files.part_len = Some(1000);
    assert_eq!(case.decide(), Action::Verify);
    case.files.part_len = Some(1200);
    assert_eq!(case.decide(), Action::Verify, "too long: the check says so");
}

#[test]
fn downloading_goes_on_during_a_visit() {
    let mut case = Case::new();
    case.idle = None;
    case.files.part_len = Some(10);
    assert_eq!(case.decide(), Action::Download { from: 10 });
}

#[test]
fn a_checked_bundle_is_offered_to_root_only_after_two_idle_minutes() {
    let mut case = Case::new();
    case.files.bundle_ready = true;
    assert_eq!(
        case.decide(),
        Action::RequestInstall {
            version: "2026.12.3".into()
        }
    );
    case.idle = Some(INSTALL_AFTER_IDLE);
    assert!(matches!(case.decide(), Action::RequestInstall { .. }));
    case.idle = Some(INSTALL_AFTER_IDLE - Duration::from_secs(1));
    assert_eq!(case.decide(), Action::Wait(Why::NotIdle));
    case.idle = None;
    assert_eq!(
        case.decide(),
        Action::Wait(Why::NotIdle),
        "never during a visit"
    );
}

#[test]
fn an_install_request_is_written_once_and_waited_on() {
    let mut case = Case::new();
    case.files.bundle_ready = true;
    case.files.install_request = Some("2026.12.3".into());
    assert_eq!(case.decide(), Action::Wait(Why::InstallRequested));
    case.status = status(Some(("2026.12.3", Outcome::Installing)));
    assert_eq!(case.decide(), Action::Wait(Why::Installing));
    // Root moved the bundle away to install it; then the new slot is tried, and nothing is
    // tidied or fetched meanwhile.
    case.files = Files::default();
    case.running = Some("2026.12.3");
    case.status = status(Some(("2026.12.3", Outcome::Trying)));
    case.files.strays = true;
    assert_eq!(case.decide(), Action::Wait(Why::Installing));
}

#[test]
fn a_reboot_is_asked_for_after_ten_quiet_minutes_and_never_during_a_visit() {
    let mut case = Case::new();
    case.status = status(Some(("2026.12.3", Outcome::AwaitingReboot)));
    case.files.bundle_ready = true;
    assert_eq!(
        case.decide(),
        Action::RequestReboot {
            version: "2026.12.3".into()
        }
    );
    case.idle = Some(REBOOT_AFTER_IDLE - Duration::from_secs(1));
    assert_eq!(case.decide(), Action::Wait(Why::NotIdle));
    case.idle = None;
    assert_eq!(case.decide(), Action::Wait(Why::NotIdle));
    case.idle = Some(REBOOT_AFTER_IDLE);
    case.files.reboot_request = Some("2026.12.3".into());
    assert_eq!(case.decide(), Action::Wait(Why::RebootRequested));
    // A reboot root awaits is asked for even when the hub offers nothing now.
    case.offer = None;
    case.files.reboot_request = None;
    assert!(matches!(case.decide(), Action::RequestReboot { .. }));
}

#[test]
fn nothing_is_fetched_when_the_offer_runs_already_or_was_installed() {
    let mut case = Case::new();
    case.running = Some("2026.12.3");
    assert_eq!(case.decide(), Action::Wait(Why::UpToDate));
    case.running = None;
    case.status = status(Some(("2026.12.3", Outcome::Installed)));
    assert_eq!(case.decide(), Action::Wait(Why::UpToDate));
    case.offer = None;
    assert_eq!(case.decide(), Action::Wait(Why::UpToDate));
}

#[test]
fn leftovers_are_tidied_unless_root_may_still_read_them() {
    let everything = Action::Tidy { keep: None };
    let mut case = Case::new();
    case.offer = None;
    case.files.strays = true;
    assert_eq!(
        case.decide(),
        everything,
        "no offer: every bundle is a leftover"
    );
    case.running = Some("2026.12.3");
    case.offer = Some(offer("2026.12.3"));
    case.files.strays = false;
    case.files.bundle_ready = true;
    assert_eq!(case.decide(), everything, "installed: its bundle too");
    case.files.bundle_ready = false;
    case.files.part_len = Some(3);
    assert_eq!(case.decide(), everything, "and a part of it");
    case.files.install_request = Some("2026.12.3".into());
    assert_eq!(case.decide(), Action::Wait(Why::UpToDate));
    case.files = Files::default();
    assert_eq!(
        case.decide(),
        Action::Wait(Why::UpToDate),
        "nothing to tidy"
    );
    // An older version's bundle beside a new offer goes before the download.
    let mut case = Case::new();
    case.files.strays = true;
    assert_eq!(
        case.decide(),
        Action::Tidy {
            keep: Some("2026.12.3".into())
        }
    );
    case.files.install_request = Some("2026.12.2".into());
    assert_eq!(case.decide(), Action::Download { from: 0 });
    case.status = status(Some(("2026.12.2", Outcome::Installing)));
    assert_eq!(case.decide(), Action::Wait(Why::Installing));
}

#[test]
fn a_version_that_failed_or_rolled_back_here_is_not_tried_again() {
    for outcome in [Outcome::Failed, Outcome::RolledBack] {
        let mut case = Case::new();
        case.status = status(Some(("2026.12.3", outcome)));
        case.files.bundle_ready = true;
        assert_eq!(case.decide(), Action::Wait(Why::FailedHere), "{outcome:?}");
        // A newer rollout is fetched as usual.
        case.offer = Some(offer("2026.12.4"));
        case.files.bundle_ready = false;
        assert_eq!(case.decide(), Action::Download { from: 0 });
    }
}

#[test]
fn a_failed_install_is_tried_once_more_and_a_rollback_never() {
    let mut case = Case::new();
    case.retry_failed = true;
    case.status = status(Some(("2026.12.3", Outcome::Failed)));
    assert_eq!(
        case.decide(),
        Action::Download { from: 0 },
        "the bundle is gone: again"
    );
    case.files.bundle_ready = true;
    assert!(matches!(case.decide(), Action::RequestInstall { .. }));
    case.status = status(Some(("2026.12.3", Outcome::RolledBack)));
    assert_eq!(case.decide(), Action::Wait(Why::FailedHere));
}

#[test]
fn bytes_that_failed_the_check_are_not_fetched_again() {
    let mut case = Case::new();
    case.refused = true;
    assert_eq!(case.decide(), Action::Wait(Why::BadBundle));
}

#[test]
fn idle_for_needs_an_idle_time_and_enough_of_it() {
    let minute = Duration::from_secs(60);
    assert!(!idle_for(None, NOW, Duration::ZERO));
    assert!(idle_for(Some(NOW - minute), NOW, minute));
    assert!(!idle_for(Some(NOW), NOW, minute));
    assert!(
        !idle_for(Some(NOW + minute), NOW, minute),
        "a time ahead is not idle"
    );
}

#[test]
fn the_status_file_is_read_as_agreed_and_anything_else_refused() {
    let text = r#"{"slot": "A", "last": {"version": "2026.12.3", "outcome": "awaiting_reboot",
        "detail": "installed into B", "at": "2026-12-03T14:00:00Z"}}"#;
    let read = parse_status(text).unwrap();
    assert_eq!(read.slot, "A");
    let last = read.last.unwrap();
    assert_eq!(
        (last.version.as_str(), last.outcome, last.detail.as_str()),
        ("2026.12.3", Outcome::AwaitingReboot, "installed into B")
    );
    assert_eq!(
        parse_status(r#"{"slot": "B", "last": null}"#).unwrap().last,
        None
    );
    // serde reads a missing `last` as null: a first boot's file may leave it out.
    assert_eq!(parse_status(r#"{"slot": "B"}"#).unwrap().last, None);
    for outcome in waystation_protocol::update::OUTCOMES {
        let text = format!(
            r#"{{"slot":"A","last":{{"version":"1","outcome":"{outcome}","detail":"","at":""}}}}"#
        );
        assert_eq!(
            parse_status(&text).unwrap().last.unwrap().outcome.name(),
            outcome
        );
    }
    for bad in [
        "",
        "{",
        r#"{"slot": "", "last": null}"#,
        r#"{"slot": "A B", "last": null}"#,
        r#"{"slot": "A", "last": null, "extra": 1}"#,
        r#"{"slot": "A", "last": {"version": "1", "outcome": "exploded", "detail": "", "at": ""}}"#,
        r#"{"slot": "A", "last": {"version": "../1", "outcome": "failed", "detail": "", "at": ""}}"#,
        r#"{"slot": "A", "last": {"version": "1", "outcome": "failed", "detail": "a\nb", "at": ""}}"#,
        r#"{"slot": "A", "last": {"version": "1", "outcome": "failed"}}"#,
        r#"[1, 2]"#,
    ] {
        assert!(parse_status(bad).is_err(), "{bad}");
    }
}
