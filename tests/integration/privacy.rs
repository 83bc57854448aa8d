//! Issue 16 end to end: a day of 60 visits through the screens, closed, summarised, read raw
//! from the card and opened at a real hub. What leaves the kiosk about workers is one summary of
//! whole days with at least 11 visits; what stays on the card holds no slip number, no visit's
//! time and no trend row in clear.

use std::time::{Duration, Instant};

use slint::Global;
use waystation::clock::{Clock, FakeClock};
use waystation::config::{Config, PrinterTransport};
use waystation::printer::{FakeBehaviour, FakePrinter, fake_opener};
use waystation::ui::{MoodDoneAdapter, Screen as UiScreen, SlipAdapter, SlipPrintState};
use waystation_protocol::{DaySummary, Metric};

use crate::sync::{Pair, drain_through};
use crate::ui::{kiosk_printing, outbox_kinds, shown, touch, wait};

const QUICK_HIDE: &str = "快速隐藏：清除全部内容并离开";
const DAY_MS: i64 = 86_400_000;

/// What the day's visits left that must not be on the card.
#[derive(Default)]
struct Secrets {
    slip_numbers: Vec<String>,
    personal_codes: Vec<String>,
    /// The kiosk's wall time (ms) at each step of each visit.
    visit_times: Vec<i64>,
}

struct Station {
    kiosk: waystation::Kiosk,
    clock: FakeClock,
    secrets: Secrets,
}

impl Station {
    fn touch(&mut self, label: &str) {
        self.secrets
            .visit_times
            .push(self.clock.read().wall.timestamp_millis());
        touch(&self.kiosk, label);
    }

    /// Lets the printing thread finish and the tick take its outcome in.
    fn print(&mut self) {
        self.touch("打印纸条");
        let start = Instant::now();
        loop {
            wait(&self.clock, Duration::from_millis(250));
            let state = SlipAdapter::get(self.kiosk.window()).get_state();
            if state == SlipPrintState::Printed {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "still {state:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        let slip = self.kiosk.session().slip.slip.clone().unwrap();
        self.secrets.slip_numbers.push(slip.code);
    }

    fn phq9(&mut self, item9: &str) {
        self.touch("点击开始");
        self.touch("心理自测");
        self.touch("开始");
        self.touch("心情低落");
        for _ in 0..8 {
            self.touch("完全不会");
        }
        self.touch(item9);
    }

    fn mood(&mut self) {
        self.touch("点击开始");
        self.touch("情绪打卡");
        self.touch("mood -1 -2");
        self.touch("累");
        self.touch("睡眠");
        self.touch("完成");
        assert_eq!(shown(&self.kiosk), UiScreen::MoodDone);
    }

    /// The next visit comes a few minutes later.
    fn later(&self) {
        wait(&self.clock, Duration::from_secs(7 * 60));
    }

    /// 60 visits: 15 calm self-checks, 5 with item 9 answered (crisis, crisis slip printed),
    /// 25 mood check-ins (one takes a personal code), 10 normal slips left to the idle reset,
    /// 5 that leave at once.
    fn busy_day(&mut self) {
        for _ in 0..15 {
            self.phq9("完全不会");
            assert_eq!(shown(&self.kiosk), UiScreen::Result);
            self.touch("结束并清除");
            self.later();
        }
        for _ in 0..5 {
            self.phq9("好几天");
            assert_eq!(shown(&self.kiosk), UiScreen::Crisis);
            self.touch("带走这些号码");
            self.print();
            self.touch(QUICK_HIDE);
            self.later();
        }
        for i in 0..25 {
            self.mood();
            if i == 0 {
                self.touch("领取个人码");
                self.kiosk.settle();
                let code = MoodDoneAdapter::get(self.kiosk.window()).get_new_code();
                self.secrets.personal_codes.push(code.to_string());
            }
            self.touch("结束并清除");
            self.later();
        }
        for _ in 0..10 {
            self.touch("点击开始");
            self.touch("马上求助");
            self.touch("带走这些号码");
            self.print();
            wait(&self.clock, Duration::from_secs(200));
            assert_eq!(shown(&self.kiosk), UiScreen::Attract);
            self.later();
        }
        self.quick_visits(5);
    }

    fn quick_visits(&mut self, n: usize) {
        for _ in 0..n {
            self.touch("点击开始");
            self.touch(QUICK_HIDE);
            self.later();
        }
    }

    /// Moves the clock to 08:00 of the next Shanghai day and lets the tick run.
    fn next_morning(&self) {
        let now = self.clock.read().wall;
        let tomorrow = waystation::station_time::day_of(now) + chrono::Days::new(1);
        let next = waystation::station_time::midnight_utc(tomorrow) + chrono::Duration::hours(8);
        wait(
            &self.clock,
            (next.with_timezone(&chrono::Utc) - now).to_std().unwrap(),
        );
    }
}

/// Every byte of the kiosk's files: the database, its WAL, and any journal.
fn card_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    bytes
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn summaries_in_outbox(pair: &Pair) -> usize {
    outbox_kinds(pair.kiosk_dir.path())
        .iter()
        .filter(|k| *k == "day_summary")
        .count()
}

fn check_card(pair: &Pair, secrets: &Secrets) {
    let bytes = card_bytes(pair.kiosk_dir.path());
    for number in &secrets.slip_numbers {
        assert!(
            !holds(&bytes, number.as_bytes()),
            "slip number {number} on the card"
        );
    }
    for code in &secrets.personal_codes {
        assert!(!holds(&bytes, code.as_bytes()));
        assert!(!holds(&bytes, code.replace('-', "").as_bytes()));
    }
    // A visit's time in any form SQLite or JSON would keep it: a 6-byte big-endian integer
    // (how SQLite stores numbers of this size), or its decimal digits, in ms or seconds.
    for ms in &secrets.visit_times {
        let be = ms.to_be_bytes();
        assert!(
            !holds(&bytes, &be[2..]),
            "a visit's time ({ms}) on the card"
        );
        assert!(!holds(&bytes, ms.to_string().as_bytes()));
        assert!(!holds(&bytes, (ms / 1000).to_string().as_bytes()));
    }
    // The fake clock's boot id would tie records of a visit together: it is nowhere.
    assert!(!holds(&bytes, b"00000000-0000-4000-8000-000000000000"));
    // The trend row is sealed: its clear form (day, quadrant, word) is in no row.
    let conn =
        rusqlite::Connection::open(pair.kiosk_dir.path().join(waystation::store::DB_FILE)).unwrap();
    let sealed: Vec<Vec<u8>> = conn
        .prepare("SELECT sealed FROM mood_personal")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sealed.len(), 1);
    for row in &sealed {
        for clear in [&b"tired"[..], b"blue", b"2026-"] {
            assert!(!holds(row, clear));
        }
    }
}

#[test]
fn a_day_of_sixty_visits_leaves_the_kiosk_as_one_summary_and_nothing_per_visit() {
    let pair = Pair::new();
    let printer = FakePrinter::new(FakeBehaviour::Ready);
    let mut config = Config::demo();
    config.printer.transport = PrinterTransport::Usb;
    let (kiosk, clock) = kiosk_printing(config, pair.store(), fake_opener(printer));
    let mut station = Station {
        kiosk,
        clock,
        secrets: Secrets::default(),
    };
    // The whole day within one Shanghai day, from 08:00.
    station.next_morning();
    station.busy_day();
    // The day has not ended: nothing about it waits to leave.
    assert_eq!(outbox_kinds(pair.kiosk_dir.path()), Vec::<String>::new());
    station.next_morning();
    // The only record about workers: one summary, whose counts are the day's visits.
    assert_eq!(outbox_kinds(pair.kiosk_dir.path()), ["day_summary"]);
    check_card(&pair, &station.secrets);

    // A quiet day of 3 visits releases nothing; the next day's 8 bring the window to 11.
    station.quick_visits(3);
    station.next_morning();
    assert_eq!(summaries_in_outbox(&pair), 1);
    station.quick_visits(8);
    station.next_morning();
    assert_eq!(summaries_in_outbox(&pair), 2);

    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 50);
    assert!(drain_through(&mut syncer).is_empty());
    let at_hub = waystation_hub::summaries(pair.hub_dir.path()).unwrap();
    assert_eq!(at_hub.len(), 2);
    let day: &DaySummary = &at_hub[0].summary;
    assert_eq!(day.first_day, day.last_day, "the busy day alone");
    let count = |metric, key| day.count(metric, key);
    assert_eq!(day.visits(), 60);
    assert_eq!(count(Metric::Visit, "finished"), 40);
    assert_eq!(count(Metric::Visit, "quick_hide"), 10);
    assert_eq!(count(Metric::Visit, "idle_timeout"), 10);
    assert_eq!(count(Metric::Theme, "low"), 20);
    assert_eq!(count(Metric::Band, "phq9/minimal"), 20);
    assert_eq!(count(Metric::Answer, "phq9/9/0"), 15);
    assert_eq!(count(Metric::Answer, "phq9/9/1"), 5);
    assert_eq!(count(Metric::Crisis, "reached"), 5);
    assert_eq!(count(Metric::Referral, "phq9"), 5);
    assert_eq!(count(Metric::Slip, "crisis"), 5);
    assert_eq!(count(Metric::Slip, "normal"), 10);
    assert_eq!(count(Metric::SlipEntry, "12356"), 15);
    assert_eq!(count(Metric::MoodWord, "blue/tired"), 25);
    assert_eq!(count(Metric::MoodTag, "blue/sleep"), 25);
    let quiet = &at_hub[1].summary;
    assert_eq!(quiet.visits(), 11);
    assert!(quiet.first_day < quiet.last_day, "two quiet days together");

    // The hub's tables hold nothing finer than a day for a summary.
    for record in waystation_hub::records(pair.hub_dir.path()).unwrap() {
        assert_eq!(record.kind, "day_summary", "no other record of the visits");
        for ms in [
            record.created.wall_ms,
            record.received_ms,
            record.corrected_ms,
        ] {
            assert_eq!(
                (ms + waystation::station_time::OFFSET_MS) % DAY_MS,
                0,
                "{ms} is finer than a day"
            );
        }
        assert_eq!(
            (record.created.boot_id.as_str(), record.created.monotonic_ms),
            ("", 0)
        );
    }
}
