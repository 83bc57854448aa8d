//! A worker's call for station staff, pure: what the call has done so far (the board's light
//! and buzzer, the alert through the hub, staff answering it), how long each part lasts, and
//! what the staff-call screen may therefore say. The kiosk may promise only what happened:
//! "the staff have been told" appears only after a light or buzzer was switched on or the hub
//! said it passed the alert on, never while it is merely hoped for.
//!
//! Time is passed in (the kiosk's monotonic clock), so every rule is tested with fixed values.

use std::time::Duration;

/// How long the screen waits for the hub's answer before it stops saying "letting the staff
/// know" and tells the worker to go and find them. The hub forwards within 5 s and the
/// uploader sends an alert before anything else, so 20 s is ample on a working link; on a
/// broken one the worker should not stand waiting longer than this.
pub const HUB_ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// How long a call keeps the status LED on its staff-call pattern, unless staff answer it
/// first. Long enough for staff busy elsewhere in the station to notice, short enough that a
/// call nobody answered does not hide the supply faults the LED also shows.
pub const SIGNAL_FOR: Duration = Duration::from_secs(10 * 60);

/// The buzzer sounds in short bursts: three beeps (a quarter second each, a quarter second
/// apart) every 30 seconds, four bursts in all, then stays silent even if nobody answered.
/// Three seconds of sound over a minute and a half: enough to be noticed, not enough to make
/// a worker in distress feel they set off an alarm.
pub const BUZZ_EVERY: Duration = Duration::from_secs(30);
pub const BUZZ_BURSTS: u32 = 4;
pub const BEEP: Duration = Duration::from_millis(250);
pub const BEEPS_PER_BURST: u32 = 3;

/// The outputs a board has fitted: what can actually be switched on for a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outputs {
    pub led: bool,
    pub buzzer: bool,
}

impl Outputs {
    pub const NONE: Outputs = Outputs {
        led: false,
        buzzer: false,
    };

    pub fn any(self) -> bool {
        self.led || self.buzzer
    }
}

/// Where the alert through the hub stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubPath {
    /// No hub is configured (or the uploader is not running): nobody can be told this way.
    None,
    /// The alert is written and the uploader was woken; no answer yet.
    Sending,
    /// The hub answered that it passed the alert on to the centre's webhook.
    Forwarded,
    /// The hub stored the alert but did not pass it on (no webhook set, or the webhook
    /// failed), or a hub too old to say answered.
    NotForwarded,
    /// The alert could not be written or did not reach the hub (unreachable, refused).
    Failed,
}

/// What the uploader learnt about one alert record, sent back to the UI thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAnswer {
    pub record_id: String,
    pub outcome: HubOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubOutcome {
    Forwarded,
    NotForwarded,
    Failed,
}

/// How a call was answered by staff at the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The staff-call button held down for three seconds while the call was active.
    Button,
    /// Staff signed in to staff mode.
    SignIn,
}

impl Answer {
    /// The word for the staff audit log.
    pub fn name(self) -> &'static str {
        match self {
            Answer::Button => "button",
            Answer::SignIn => "sign_in",
        }
    }
}

/// One call for staff, kiosk-wide: it outlives the worker's session (the light keeps going
/// after they walk away) until staff answer it or [`SIGNAL_FOR`] passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The `staff_alert` record's id, to match the hub's answer; None if it was not written.
    pub record_id: Option<String>,
    /// When the call was made (monotonic).
    pub started: Duration,
    pub hub: HubPath,
    /// When the alert was last handed to the uploader: the hub's 20 s count from here.
    pub hub_since: Duration,
    /// The outputs that were actually switched on for this call (none on `NoBoard`).
    pub signalled: Outputs,
    pub answered: Option<Answer>,
}

impl Call {
    pub fn new(started: Duration, record_id: Option<String>, hub: HubPath) -> Call {
        Call {
            record_id,
            started,
            hub,
            hub_since: started,
            signalled: Outputs::NONE,
            answered: None,
        }
    }

    /// A worker called again while this call was on. If its alert did not reach the hub (it
    /// failed, or the hub stayed silent past [`HUB_ANSWER_WITHIN`]), the uploader is to try
    /// again now and the screen waits for the hub once more; returns whether so. (An alert
    /// the hub holds but did not pass on would only come back a duplicate, so it is not sent
    /// again.)
    pub fn retry(&mut self, now: Duration) -> bool {
        let silent =
            self.hub == HubPath::Sending && now.saturating_sub(self.hub_since) >= HUB_ANSWER_WITHIN;
        if !(self.hub == HubPath::Failed || silent) || self.record_id.is_none() {
            return false;
        }
        self.hub = HubPath::Sending;
        self.hub_since = now;
        true
    }

    /// Whether the call is still signalling: not answered, and not older than [`SIGNAL_FOR`].
    pub fn active(&self, now: Duration) -> bool {
        self.answered.is_none() && now.saturating_sub(self.started) < SIGNAL_FOR
    }

    /// Whether the buzzer should sound at `now` (only if the board has one).
    pub fn buzzer(&self, now: Duration) -> bool {
        self.active(now) && buzzer_on(now.saturating_sub(self.started))
    }

    /// Takes in the hub's answer for this call's record; returns whether anything changed.
    /// Being forwarded is kept once it happened: a later failure of a resend does not undo it.
    pub fn hear(&mut self, answer: &HubAnswer) -> bool {
        if self.record_id.as_deref() != Some(answer.record_id.as_str())
            || self.hub == HubPath::Forwarded
        {
            return false;
        }
        let hub = match answer.outcome {
            HubOutcome::Forwarded => HubPath::Forwarded,
            HubOutcome::NotForwarded => HubPath::NotForwarded,
            HubOutcome::Failed => HubPath::Failed,
        };
        let changed = self.hub != hub;
        self.hub = hub;
        changed
    }
}

/// Whether the buzzer sounds `since` after the call: [`BEEPS_PER_BURST`] beeps of [`BEEP`]
/// with a beep's length between them, at the start of each of the first [`BUZZ_BURSTS`]
/// periods of [`BUZZ_EVERY`].
pub fn buzzer_on(since: Duration) -> bool {
    let burst = since.as_millis() / BUZZ_EVERY.as_millis();
    if burst >= u128::from(BUZZ_BURSTS) {
        return false;
    }
    let into = since.as_millis() % BUZZ_EVERY.as_millis();
    let step = into / BEEP.as_millis();
    step < u128::from(2 * BEEPS_PER_BURST - 1) && step.is_multiple_of(2)
}

/// What the staff-call screen says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// Nobody could be told: go and find the station staff yourself; the emergency numbers
    /// are behind the top bar's emergency button.
    GoFindStaff,
    /// The alert is on its way through the hub: letting the staff know, and meanwhile go and
    /// find them.
    Sending,
    /// The staff have been told, and by which ways.
    Notified {
        light: bool,
        buzzer: bool,
        message: bool,
    },
    /// Staff answered the call at the kiosk (held the button, or signed in).
    Answered,
}

/// The wording for `call` at `now`, from what actually happened.
pub fn wording(call: &Call, now: Duration) -> Wording {
    if call.answered.is_some() {
        return Wording::Answered;
    }
    let message = call.hub == HubPath::Forwarded;
    let Outputs { led, buzzer } = call.signalled;
    if led || buzzer || message {
        return Wording::Notified {
            light: led,
            buzzer,
            message,
        };
    }
    let waiting = now.saturating_sub(call.hub_since) < HUB_ANSWER_WITHIN;
    if call.hub == HubPath::Sending && waiting {
        Wording::Sending
    } else {
        Wording::GoFindStaff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(1000);

    fn secs(s: u64) -> Duration {
        T0 + Duration::from_secs(s)
    }

    fn call(hub: HubPath, signalled: Outputs) -> Call {
        Call {
            signalled,
            ..Call::new(T0, Some("id-1".into()), hub)
        }
    }

    #[test]
    fn the_wording_follows_what_happened_in_every_combination() {
        let hubs = [
            HubPath::None,
            HubPath::Sending,
            HubPath::Forwarded,
            HubPath::NotForwarded,
            HubPath::Failed,
        ];
        for hub in hubs {
            for led in [false, true] {
                for buzzer in [false, true] {
                    for at in [secs(0), secs(19), secs(20), secs(600)] {
                        for answered in [None, Some(Answer::Button), Some(Answer::SignIn)] {
                            let mut c = call(hub, Outputs { led, buzzer });
                            c.answered = answered;
                            let got = wording(&c, at);
                            let message = hub == HubPath::Forwarded;
                            let expected = if answered.is_some() {
                                Wording::Answered
                            } else if led || buzzer || message {
                                Wording::Notified {
                                    light: led,
                                    buzzer,
                                    message,
                                }
                            } else if hub == HubPath::Sending && at < secs(20) {
                                Wording::Sending
                            } else {
                                Wording::GoFindStaff
                            };
                            assert_eq!(
                                got, expected,
                                "{hub:?} led {led} buzzer {buzzer} at {at:?} {answered:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn no_board_and_no_hub_means_go_and_find_the_staff() {
        // NoBoard switches nothing on, so nothing was signalled: the light is not "on".
        let c = call(HubPath::None, Outputs::NONE);
        assert_eq!(wording(&c, secs(0)), Wording::GoFindStaff);
        let failed = call(HubPath::Failed, Outputs::NONE);
        assert_eq!(wording(&failed, secs(1)), Wording::GoFindStaff);
        let refused = call(HubPath::NotForwarded, Outputs::NONE);
        assert_eq!(wording(&refused, secs(1)), Wording::GoFindStaff);
    }

    #[test]
    fn a_hub_that_stays_silent_for_twenty_seconds_falls_back_and_a_late_answer_still_counts() {
        let mut c = call(HubPath::Sending, Outputs::NONE);
        assert_eq!(wording(&c, secs(19)), Wording::Sending);
        assert_eq!(wording(&c, secs(20)), Wording::GoFindStaff);
        let forwarded = HubAnswer {
            record_id: "id-1".into(),
            outcome: HubOutcome::Forwarded,
        };
        assert!(c.hear(&forwarded));
        assert_eq!(
            wording(&c, secs(25)),
            Wording::Notified {
                light: false,
                buzzer: false,
                message: true
            }
        );
        // A failed resend later does not take back what happened.
        assert!(!c.hear(&HubAnswer {
            outcome: HubOutcome::Failed,
            ..forwarded.clone()
        }));
        assert_eq!(c.hub, HubPath::Forwarded);
    }

    #[test]
    fn calling_again_after_the_hub_failed_sends_again_and_waits_twenty_seconds_more() {
        let mut c = call(HubPath::Failed, Outputs::NONE);
        assert_eq!(wording(&c, secs(30)), Wording::GoFindStaff);
        assert!(c.retry(secs(30)));
        assert_eq!(wording(&c, secs(49)), Wording::Sending);
        assert_eq!(wording(&c, secs(50)), Wording::GoFindStaff);
        // Nothing to send again while it is on its way, or when the hub has it; a hub silent
        // for twenty seconds is tried again.
        assert!(!c.retry(secs(31)));
        assert!(c.retry(secs(50)));
        assert_eq!(wording(&c, secs(69)), Wording::Sending);
        for hub in [HubPath::None, HubPath::Forwarded, HubPath::NotForwarded] {
            assert!(!call(hub, Outputs::NONE).retry(secs(1)), "{hub:?}");
        }
        assert!(
            !Call::new(T0, None, HubPath::Failed).retry(secs(1)),
            "no record to send"
        );
    }

    #[test]
    fn an_answer_for_another_record_changes_nothing() {
        let mut c = call(HubPath::Sending, Outputs::NONE);
        let other = HubAnswer {
            record_id: "id-2".into(),
            outcome: HubOutcome::Forwarded,
        };
        assert!(!c.hear(&other));
        assert_eq!(c.hub, HubPath::Sending);
        let mut unwritten = Call::new(T0, None, HubPath::Failed);
        assert!(!unwritten.hear(&other));
        let failed = HubAnswer {
            record_id: "id-1".into(),
            outcome: HubOutcome::Failed,
        };
        assert!(c.hear(&failed));
        assert_eq!(wording(&c, secs(1)), Wording::GoFindStaff);
    }

    #[test]
    fn a_call_signals_for_ten_minutes_unless_answered() {
        let mut c = call(
            HubPath::None,
            Outputs {
                led: true,
                buzzer: true,
            },
        );
        assert!(c.active(secs(0)));
        assert!(c.active(secs(599)));
        assert!(!c.active(secs(600)));
        c.answered = Some(Answer::Button);
        assert!(!c.active(secs(1)));
        assert!(!c.buzzer(secs(0)));
    }

    #[test]
    fn the_buzzer_beeps_three_times_every_thirty_seconds_four_times_then_stops() {
        let c = call(
            HubPath::None,
            Outputs {
                led: true,
                buzzer: true,
            },
        );
        let quarter = |n: u64| T0 + Duration::from_millis(250 * n);
        // The first burst, quarter second by quarter second.
        let first: Vec<bool> = (0..8).map(|n| c.buzzer(quarter(n))).collect();
        assert_eq!(first, [true, false, true, false, true, false, false, false]);
        // Over the whole call: four bursts of three beeps, 3 s of sound in all.
        let on: Vec<u64> = (0..4 * 600).filter(|n| c.buzzer(quarter(*n))).collect();
        assert_eq!(on.len() as u32, BUZZ_BURSTS * BEEPS_PER_BURST);
        assert_eq!(on[3], 120, "the second burst starts at 30 s");
        assert_eq!(on.last(), Some(&364), "the last beep ends 91.25 s in");
    }
}
