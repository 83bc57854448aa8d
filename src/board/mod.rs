//! The station's small board: a status LED, an optional buzzer, an optional paper-low sensor
//! and an optional staff-call button, behind the `Board` trait. rppal (unmaintained upstream) is used only in
//! `RppalBoard`, so replacing it touches one file. Off a Pi, or without pins in the config,
//! the kiosk gets `NoBoard` and says so once in the log: it never crashes for want of a board.

use std::cell::RefCell;
use std::rc::Rc;

use crate::staff::alert::Outputs;
use crate::staff::status::LedPattern;

pub trait Board {
    /// The outputs this board really has: a call for staff may say that a light or buzzer was
    /// switched on only when there is one to switch.
    fn outputs(&self) -> Outputs;
    fn set_led(&mut self, on: bool);
    /// Sounds or silences the buzzer (nothing when none is fitted).
    fn set_buzzer(&mut self, on: bool);
    /// The paper sensor's reading; `None` when there is no sensor.
    fn paper_low(&mut self) -> Option<bool>;
    /// Whether the staff-call button is held down now.
    fn button_down(&mut self) -> bool;
}

/// No board: nothing lights, nothing is sensed.
pub struct NoBoard;

impl Board for NoBoard {
    fn outputs(&self) -> Outputs {
        Outputs::NONE
    }
    fn set_led(&mut self, _on: bool) {}
    fn set_buzzer(&mut self, _on: bool) {}
    fn paper_low(&mut self) -> Option<bool> {
        None
    }
    fn button_down(&mut self) -> bool {
        false
    }
}

/// A board for tests: the LED's and buzzer's states and the inputs are shared with the test.
/// By default it has an LED and a buzzer; a test can take either away.
#[derive(Clone, Default)]
pub struct FakeBoard {
    pub state: Rc<RefCell<FakeBoardState>>,
}

impl FakeBoard {
    /// A board with a button but no LED and no buzzer: nothing can be switched on.
    pub fn without_outputs() -> FakeBoard {
        let board = FakeBoard::default();
        {
            let mut state = board.state.borrow_mut();
            state.no_led = true;
            state.no_buzzer = true;
        }
        board
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeBoardState {
    /// Whether the LED or the buzzer is missing from this board.
    pub no_led: bool,
    pub no_buzzer: bool,
    pub led_on: bool,
    /// Every LED change, in order.
    pub led_changes: Vec<bool>,
    pub buzzer_on: bool,
    /// Every buzzer change, in order (the first setting counts as a change).
    pub buzzer_changes: Vec<bool>,
    pub paper_low: Option<bool>,
    pub button_down: bool,
}

impl Board for FakeBoard {
    fn outputs(&self) -> Outputs {
        let state = self.state.borrow();
        Outputs {
            led: !state.no_led,
            buzzer: !state.no_buzzer,
        }
    }
    fn set_led(&mut self, on: bool) {
        let mut state = self.state.borrow_mut();
        let on = on && !state.no_led;
        if state.led_on != on || state.led_changes.is_empty() {
            state.led_changes.push(on);
        }
        state.led_on = on;
    }
    fn set_buzzer(&mut self, on: bool) {
        let mut state = self.state.borrow_mut();
        let on = on && !state.no_buzzer;
        if state.buzzer_on != on || state.buzzer_changes.is_empty() {
            state.buzzer_changes.push(on);
        }
        state.buzzer_on = on;
    }
    fn paper_low(&mut self) -> Option<bool> {
        self.state.borrow().paper_low
    }
    fn button_down(&mut self) -> bool {
        self.state.borrow().button_down
    }
}

/// The GPIO pins of a Raspberry Pi, through rppal.
pub struct RppalBoard {
    led: Option<rppal::gpio::OutputPin>,
    buzzer: Option<rppal::gpio::OutputPin>,
    sensor: Option<(rppal::gpio::InputPin, bool)>,
    button: Option<rppal::gpio::InputPin>,
}

impl RppalBoard {
    pub fn open(config: &crate::config::Board) -> Result<RppalBoard, String> {
        let gpio = rppal::gpio::Gpio::new().map_err(|e| format!("no GPIO here: {e}"))?;
        let pin = |n: u32| gpio.get(n as u8).map_err(|e| format!("GPIO pin {n}: {e}"));
        let led = match config.led_pin {
            Some(n) => Some(pin(n.0)?.into_output_low()),
            None => None,
        };
        // An active buzzer: it sounds while its pin is high, and starts silent.
        let buzzer = match config.buzzer_pin {
            Some(n) => Some(pin(n.0)?.into_output_low()),
            None => None,
        };
        let sensor = match config.paper_sensor_pin {
            Some(n) => Some((
                pin(n.0)?.into_input_pullup(),
                config.paper_sensor_active_low.unwrap_or(true),
            )),
            None => None,
        };
        let button = match config.staff_button_pin {
            Some(n) => Some(pin(n.0)?.into_input_pullup()),
            None => None,
        };
        Ok(RppalBoard {
            led,
            buzzer,
            sensor,
            button,
        })
    }
}

impl Board for RppalBoard {
    fn outputs(&self) -> Outputs {
        Outputs {
            led: self.led.is_some(),
            buzzer: self.buzzer.is_some(),
        }
    }
    fn set_led(&mut self, on: bool) {
        if let Some(led) = &mut self.led {
            set_pin(led, on);
        }
    }
    fn set_buzzer(&mut self, on: bool) {
        if let Some(buzzer) = &mut self.buzzer {
            set_pin(buzzer, on);
        }
    }
    fn paper_low(&mut self) -> Option<bool> {
        self.sensor
            .as_ref()
            .map(|(pin, active_low)| pin.is_low() == *active_low)
    }
    fn button_down(&mut self) -> bool {
        // Wired to ground with the pull-up on: pressed reads low.
        self.button.as_ref().is_some_and(|pin| pin.is_low())
    }
}

fn set_pin(pin: &mut rppal::gpio::OutputPin, high: bool) {
    if high {
        pin.set_high();
    } else {
        pin.set_low();
    }
}

/// The board the config asks for, or `NoBoard` with one clear log line saying why.
pub fn open(config: &crate::config::Board) -> Box<dyn Board> {
    if !config.any() {
        tracing::info!(
            "no board pins configured: no status LED, buzzer, paper sensor or staff button"
        );
        return Box::new(NoBoard);
    }
    match RppalBoard::open(config) {
        Ok(board) => Box::new(board),
        Err(reason) => {
            tracing::warn!(%reason, "the board is not available; the kiosk runs without the LED, buzzer, sensor and button");
            Box::new(NoBoard)
        }
    }
}

/// How long the staff-call button must be held, while a call is active, to answer it: three
/// seconds (twelve quarter-second ticks). A worker pressing again, as people do when nothing
/// seems to happen, never ends their own call; staff hold the button on purpose.
pub const ANSWER_HOLD_TICKS: u32 = 12;

/// What the board's outputs should do at this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drive {
    pub led: LedPattern,
    pub buzzer: bool,
    /// Whether a call for staff is active (a press then answers it, if held).
    pub call_active: bool,
}

/// What the staff-call button did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonEvent {
    Nothing,
    /// A press (half a second): a worker calls for staff, or calls again during a call.
    Call,
    /// A hold of [`ANSWER_HOLD_TICKS`] that began while a call was active: staff answer it.
    Answer,
}

/// Where the current press stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Press {
    /// The button is up, or down for less than the half second a press needs.
    #[default]
    Up,
    /// A press that began during a call, reported as a call: it answers the call if held
    /// long enough.
    Answering,
    /// This press has been reported; nothing more until the button is let go.
    Reported,
}

/// Turns the LED pattern, the buzzer and the kiosk's quarter-second ticks into the outputs'
/// states, and the button's level into presses. Pure apart from the board it drives.
#[derive(Debug, Default)]
pub struct BoardDriver {
    ticks: u64,
    /// How many ticks in a row the button has been down. A press counts once it was down for
    /// two ticks (half a second), which also rides over contact bounce.
    held: u32,
    press: Press,
}

impl BoardDriver {
    /// Called on every kiosk tick.
    pub fn tick(&mut self, board: &mut dyn Board, drive: Drive) -> ButtonEvent {
        self.ticks += 1;
        board.set_led(drive.led.lit(self.ticks));
        board.set_buzzer(drive.buzzer);
        if !board.button_down() {
            self.held = 0;
            self.press = Press::Up;
            return ButtonEvent::Nothing;
        }
        self.held = self.held.saturating_add(1);
        match self.press {
            Press::Up if self.held >= 2 => {
                self.press = if drive.call_active {
                    Press::Answering
                } else {
                    Press::Reported
                };
                ButtonEvent::Call
            }
            Press::Answering if self.held >= ANSWER_HOLD_TICKS => {
                self.press = Press::Reported;
                ButtonEvent::Answer
            }
            _ => ButtonEvent::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drive(led: LedPattern) -> Drive {
        Drive {
            led,
            buzzer: false,
            call_active: false,
        }
    }

    #[test]
    fn the_led_is_steady_when_fine_and_blinks_once_a_second_when_staff_are_needed() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        for _ in 0..12 {
            driver.tick(&mut board, drive(LedPattern::Steady));
        }
        assert_eq!(fake.state.borrow().led_changes, [true]);
        let mut seen = vec![];
        for _ in 0..16 {
            driver.tick(&mut board, drive(LedPattern::Blinking));
            seen.push(fake.state.borrow().led_on);
        }
        // Four ticks (one second) on, four off.
        let flips = seen.windows(2).filter(|w| w[0] != w[1]).count();
        assert!((3..=4).contains(&flips), "{seen:?}");
        assert!(seen.windows(4).any(|w| w.iter().all(|on| *on)));
        assert!(seen.windows(4).any(|w| w.iter().all(|on| !*on)));
    }

    #[test]
    fn a_staff_call_double_blinks_the_led_and_drives_the_buzzer() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        let mut led = vec![];
        for tick in 0..16 {
            driver.tick(
                &mut board,
                Drive {
                    led: LedPattern::StaffCall,
                    buzzer: tick < 3,
                    call_active: true,
                },
            );
            led.push(fake.state.borrow().led_on);
        }
        // Two quick flashes every two seconds, unlike the slow blink of a supply fault.
        let flashes = led.windows(2).filter(|w| !w[0] && w[1]).count();
        assert!((3..=4).contains(&flashes), "{led:?}");
        assert!(led.windows(5).any(|w| w.iter().all(|on| !*on)), "{led:?}");
        assert!(
            !led.windows(2).any(|w| w[0] && w[1]),
            "never on for two ticks"
        );
        assert_eq!(fake.state.borrow().buzzer_changes, [true, false]);
        // A board without outputs stays dark and silent whatever it is told.
        let dark = FakeBoard::without_outputs();
        let mut board = dark.clone();
        assert_eq!(board.outputs(), Outputs::NONE);
        board.set_led(true);
        board.set_buzzer(true);
        assert!(!dark.state.borrow().led_on && !dark.state.borrow().buzzer_on);
        assert_eq!(NoBoard.outputs(), Outputs::NONE);
    }

    #[test]
    fn a_held_button_is_one_press_and_a_blip_is_none() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        let mut press = |down: bool| {
            fake.state.borrow_mut().button_down = down;
            driver.tick(&mut board, drive(LedPattern::Steady)) == ButtonEvent::Call
        };
        assert!(!press(true), "one tick down is a blip");
        assert!(!press(false));
        assert!(!press(true));
        assert!(press(true), "two ticks down is a press");
        assert!(!press(true), "held down, still one press");
        assert!(!press(false));
        assert!(!press(true));
        assert!(press(true), "a second press");
    }

    #[test]
    fn only_a_three_second_hold_begun_during_a_call_answers_it() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        let mut tick = |down: bool, call_active: bool| {
            fake.state.borrow_mut().button_down = down;
            driver.tick(
                &mut board,
                Drive {
                    led: LedPattern::StaffCall,
                    buzzer: false,
                    call_active,
                },
            )
        };
        // Short presses during a call (a worker pressing again) are calls again, never answers.
        for _ in 0..3 {
            let events: Vec<ButtonEvent> = (0..(ANSWER_HOLD_TICKS - 1))
                .map(|_| tick(true, true))
                .collect();
            assert_eq!(events[1], ButtonEvent::Call);
            assert!(!events.contains(&ButtonEvent::Answer));
            assert_eq!(tick(false, true), ButtonEvent::Nothing);
        }
        // Held for three seconds: answered, once.
        let events: Vec<ButtonEvent> = (0..20).map(|_| tick(true, true)).collect();
        assert_eq!(
            events.iter().filter(|e| **e == ButtonEvent::Answer).count(),
            1
        );
        assert_eq!(events[ANSWER_HOLD_TICKS as usize - 1], ButtonEvent::Answer);
        assert_eq!(tick(false, false), ButtonEvent::Nothing);
        // A worker who calls and keeps holding does not answer their own call.
        assert_eq!(tick(true, false), ButtonEvent::Nothing);
        assert_eq!(tick(true, false), ButtonEvent::Call);
        for _ in 0..20 {
            assert_eq!(tick(true, true), ButtonEvent::Nothing);
        }
    }

    #[test]
    fn no_board_and_an_absent_gpio_never_crash() {
        let mut none = open(&crate::config::Board::default());
        none.set_led(true);
        none.set_buzzer(true);
        assert_eq!(none.paper_low(), None);
        assert!(!none.button_down());
        // Off a Pi, rppal cannot open the GPIO: the kiosk gets no board, not a crash.
        let pins = crate::config::Board {
            led_pin: Some(crate::config::Ranged(17)),
            buzzer_pin: Some(crate::config::Ranged(23)),
            ..Default::default()
        };
        let mut board = open(&pins);
        board.set_led(true);
        board.set_buzzer(true);
        assert!(!board.button_down());
    }
}
