//! The station's small board: a status LED, an optional paper-low sensor and an optional
//! staff-call button, behind the `Board` trait. rppal (unmaintained upstream) is used only in
//! `RppalBoard`, so replacing it touches one file. Off a Pi, or without pins in the config,
//! the kiosk gets `NoBoard` and says so once in the log: it never crashes for want of a board.

use std::cell::RefCell;
use std::rc::Rc;

use crate::staff::status::LedPattern;

pub trait Board {
    fn set_led(&mut self, on: bool);
    /// The paper sensor's reading; `None` when there is no sensor.
    fn paper_low(&mut self) -> Option<bool>;
    /// Whether the staff-call button is held down now.
    fn button_down(&mut self) -> bool;
}

/// No board: nothing lights, nothing is sensed.
pub struct NoBoard;

impl Board for NoBoard {
    fn set_led(&mut self, _on: bool) {}
    fn paper_low(&mut self) -> Option<bool> {
        None
    }
    fn button_down(&mut self) -> bool {
        false
    }
}

/// A board for tests: the LED's state and the inputs are shared with the test.
#[derive(Clone, Default)]
pub struct FakeBoard {
    pub state: Rc<RefCell<FakeBoardState>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeBoardState {
    pub led_on: bool,
    /// Every LED change, in order.
    pub led_changes: Vec<bool>,
    pub paper_low: Option<bool>,
    pub button_down: bool,
}

impl Board for FakeBoard {
    fn set_led(&mut self, on: bool) {
        let mut state = self.state.borrow_mut();
        if state.led_on != on || state.led_changes.is_empty() {
            state.led_changes.push(on);
        }
        state.led_on = on;
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
            sensor,
            button,
        })
    }
}

impl Board for RppalBoard {
    fn set_led(&mut self, on: bool) {
        if let Some(led) = &mut self.led {
            if on {
                led.set_high();
            } else {
                led.set_low();
            }
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

/// The board the config asks for, or `NoBoard` with one clear log line saying why.
pub fn open(config: &crate::config::Board) -> Box<dyn Board> {
    if !config.any() {
        tracing::info!("no board pins configured: no status LED, paper sensor or staff button");
        return Box::new(NoBoard);
    }
    match RppalBoard::open(config) {
        Ok(board) => Box::new(board),
        Err(reason) => {
            tracing::warn!(%reason, "the board is not available; the kiosk runs without the LED, sensor and button");
            Box::new(NoBoard)
        }
    }
}

/// Turns the LED pattern and the kiosk's quarter-second ticks into the LED's state, and the
/// button's level into presses. Pure apart from the board it drives.
#[derive(Debug, Default)]
pub struct BoardDriver {
    ticks: u64,
    /// The button's level at the last two ticks: a press counts once it was down for two
    /// ticks in a row (half a second), which also rides over contact bounce.
    button_history: (bool, bool),
    /// Whether the current press was already reported.
    press_reported: bool,
}

impl BoardDriver {
    /// Called on every kiosk tick. Returns true when a staff-call press has just completed.
    pub fn tick(&mut self, board: &mut dyn Board, pattern: LedPattern) -> bool {
        self.ticks += 1;
        // Blinking: one second on, one second off (four ticks each).
        let on = match pattern {
            LedPattern::Steady => true,
            LedPattern::Blinking => (self.ticks / 4).is_multiple_of(2),
        };
        board.set_led(on);
        let down = board.button_down();
        self.button_history = (self.button_history.1, down);
        match self.button_history {
            (true, true) if !self.press_reported => {
                self.press_reported = true;
                true
            }
            (_, false) => {
                self.press_reported = false;
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_led_is_steady_when_fine_and_blinks_once_a_second_when_staff_are_needed() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        for _ in 0..12 {
            driver.tick(&mut board, LedPattern::Steady);
        }
        assert_eq!(fake.state.borrow().led_changes, [true]);
        let mut seen = vec![];
        for _ in 0..16 {
            driver.tick(&mut board, LedPattern::Blinking);
            seen.push(fake.state.borrow().led_on);
        }
        // Four ticks (one second) on, four off.
        let flips = seen.windows(2).filter(|w| w[0] != w[1]).count();
        assert!((3..=4).contains(&flips), "{seen:?}");
        assert!(seen.windows(4).any(|w| w.iter().all(|on| *on)));
        assert!(seen.windows(4).any(|w| w.iter().all(|on| !*on)));
    }

    #[test]
    fn a_held_button_is_one_press_and_a_blip_is_none() {
        let fake = FakeBoard::default();
        let mut board = fake.clone();
        let mut driver = BoardDriver::default();
        let mut press = |down: bool| {
            fake.state.borrow_mut().button_down = down;
            driver.tick(&mut board, LedPattern::Steady)
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
    fn no_board_and_an_absent_gpio_never_crash() {
        let mut none = open(&crate::config::Board::default());
        none.set_led(true);
        assert_eq!(none.paper_low(), None);
        assert!(!none.button_down());
        // Off a Pi, rppal cannot open the GPIO: the kiosk gets no board, not a crash.
        let pins = crate::config::Board {
            led_pin: Some(crate::config::Ranged(17)),
            ..Default::default()
        };
        let mut board = open(&pins);
        board.set_led(true);
        assert!(!board.button_down());
    }
}
