//! The data inventory: everything the kiosk could hold about a visit, where each thing is kept,
//! for how long, whether it leaves the kiosk, and who at the service centre can see it.
//!
//! This is the one place such facts are written. The privacy page, the notice before a
//! self-check, `waystation privacy` and the generated part of docs/privacy.md all read them
//! from here, so that no screen or document can drift into saying something the code does not
//! do. When what the kiosk stores or sends changes, change this file in the same commit: the
//! tests compare [`uploaded`] with the payloads the kiosk really writes.

use waystation_protocol::summary::DAY_SUMMARY_KIND;
use waystation_protocol::wire::STAFF_ALERT_KIND;

use crate::language::Language;

/// A sentence for the screens, Chinese first. `{idle_seconds}` stands for the station's idle
/// time (`kiosk.idle_seconds`, shown as `Shell.idle-seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub zh: &'static str,
    pub en: &'static str,
}

/// What `{idle_seconds}` in a sentence is replaced with.
pub const IDLE_SECONDS: &str = "{idle_seconds}";

impl Words {
    /// The sentence in `language`, with the station's idle time filled in.
    pub fn text(&self, language: Language, idle_seconds: u64) -> String {
        language
            .pick(self.zh, self.en)
            .replace(IDLE_SECONDS, &idle_seconds.to_string())
    }
}

/// Where an item belongs on the privacy page, which has one column for each of the first three
/// and a line above them for the promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Never kept and never asked.
    Never,
    /// Kept on this kiosk's card.
    Kept,
    /// Leaves the kiosk, sealed.
    Leaves,
    /// What nobody does: watch, or contact a visitor.
    Promise,
}

impl Column {
    pub const ALL: [Column; 4] = [Column::Never, Column::Kept, Column::Leaves, Column::Promise];

    /// The heading in the Markdown inventory (the screens' headings are in the catalogues).
    pub fn heading(self) -> &'static str {
        match self {
            Column::Never => "Never kept, never asked",
            Column::Kept => "Kept on the kiosk",
            Column::Leaves => "Leaves the kiosk",
            Column::Promise => "Nobody watches live, nobody will contact you",
        }
    }
}

/// One sentence of an item and the screens that show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub words: Words,
    /// Shown on the privacy page.
    pub about: bool,
    /// Shown on the notice before a self-check.
    pub notice: bool,
}

/// Whether and how an item leaves the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaves {
    /// It never leaves the kiosk.
    No,
    /// It does not leave as it is; what is said here goes into something that does.
    Within(&'static str),
    /// As these uploaded record kinds, sealed to the service centre's key; `time` says how
    /// precisely the sealed stamp gives the time it was made.
    Sealed {
        kinds: &'static [&'static str],
        time: &'static str,
    },
}

/// One thing the kiosk could hold. The English fields are for people reading the inventory
/// (docs/privacy.md); `sentences` are what the screens say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// A short name for tests and the command's output.
    pub id: &'static str,
    pub name: &'static str,
    pub column: Column,
    /// What it is, exactly.
    pub what: &'static str,
    /// Where it is kept.
    pub kept: &'static str,
    /// For how long.
    pub how_long: &'static str,
    pub leaves: Leaves,
    /// Who at the service centre can see it.
    pub seen_by: &'static str,
    pub sentences: &'static [Sentence],
}

/// A sentence on the privacy page only.
const fn about(zh: &'static str, en: &'static str) -> Sentence {
    Sentence {
        words: Words { zh, en },
        about: true,
        notice: false,
    }
}

/// A sentence on the notice before a self-check only.
const fn notice(zh: &'static str, en: &'static str) -> Sentence {
    Sentence {
        words: Words { zh, en },
        about: false,
        notice: true,
    }
}

/// A sentence on both.
const fn both(zh: &'static str, en: &'static str) -> Sentence {
    Sentence {
        words: Words { zh, en },
        about: true,
        notice: true,
    }
}

/// What every sealed record shows in clear, around its sealed content.
pub const ENVELOPE: &[&str] = &["id", "seq", "kind", "schema_version", "day"];

/// The envelope in words, for the inventory.
pub const ENVELOPE_WORDS: &str = "Every uploaded record is sealed with HPKE to the service \
centre's key, so that only the centre's hub can open it. In clear it shows only its envelope: a \
random id (UUIDv4), its sequence number in this kiosk's queue, its kind, its schema version and \
the day it was made (Asia/Shanghai).";

/// The uploaded record kinds that are operations, not totals.
const OPERATIONAL: &[&str] = &[
    "kiosk_started",
    "heartbeat",
    "staff_audit",
    "restock",
    STAFF_ALERT_KIND,
    "printer_fault",
];

/// Every item, in the order the screens and the inventory list them.
/// How long a thing kept in the kiosk's database lives, plus the one exception: the copy of the
/// whole database made before a new image version migrates it, kept for a rollback until that
/// version is marked good (`store::snapshot`; root deletes it then).
macro_rules! in_database {
    ($how_long:literal) => {
        concat!(
            $how_long,
            " Before a new image version first opens the database, a copy of the whole file is \
             kept on the card, for going back to the old version, until the new one is marked \
             good (minutes to an hour; docs/deploy.md, \"Image updates\")."
        )
    };
}

pub const ITEMS: &[Item] = &[
    IDENTITY,
    SURROUNDINGS,
    VISIT,
    SLIP_NUMBER,
    WRITTEN_PAGE,
    DAY_COUNTS,
    WAITING_UPLOADS,
    MOOD_TREND,
    STATION_OPERATIONS,
    DAY_SUMMARY,
    OPERATIONS,
    NOBODY_WATCHES,
];

const IDENTITY: Item = Item {
    id: "identity",
    name: "Who a visitor is",
    column: Column::Never,
    what: "Name, phone number, ID card number or worker number.",
    kept: "Nowhere: no screen asks for any of them, and no record has a field for one.",
    how_long: "Not applicable.",
    leaves: Leaves::No,
    seen_by: "Nobody.",
    sentences: &[about(
        "姓名、手机号、身份证号、工号：从不询问。",
        "Name, phone, ID card, worker number: never asked.",
    )],
};

const SURROUNDINGS: Item = Item {
    id: "surroundings",
    name: "Photos, sound and location",
    column: Column::Never,
    what: "Pictures of the visitor, sound from the room, where a visitor or their phone is.",
    kept: "Nowhere: the kiosk takes no photo, records no sound and asks nothing for a location.",
    how_long: "Not applicable.",
    leaves: Leaves::No,
    seen_by: "Nobody.",
    sentences: &[about(
        "照片、声音、位置：不拍照、不录音、不定位。",
        "Photos, sound, location: none taken.",
    )],
};

const VISIT: Item = Item {
    id: "visit",
    name: "What one visit did",
    column: Column::Never,
    what: "A self-check's answers, a mood check-in's word and tags as a record of one visit, \
           what was on the screen, and the time of the visit. (A worker who takes a personal code \
           keeps their own check-ins under it: see the personal mood trend.)",
    kept: "On the screen during the visit only. Each answer, word and choice is added into the \
           station's day counts (see below), with no visit and no time of day; nothing per visit \
           is written to the card.",
    how_long: "Until the visit ends: finishing, quick hide (Leave), or N seconds without a touch \
               and the countdown after them (N is `Shell.idle-seconds`, the station's \
               `kiosk.idle_seconds`; the crisis screen waits longer). The session is then wiped \
               and every screen drawn again from nothing.",
    leaves: Leaves::Within("only added into the day counts, which leave added up in day summaries"),
    seen_by: "Nobody as a visit; only inside a day summary's totals.",
    sentences: &[
        about(
            "你的回答：只计入当天的总数；来访时间：不保存。",
            "Your answers: only added to today's counts. When you came: not kept.",
        ),
        notice(
            "你的回答不会上传：发出去的只有本站每天的匿名总数。",
            "Your answers are not uploaded: only this station's anonymous day totals are.",
        ),
    ],
};

const SLIP_NUMBER: Item = Item {
    id: "slip_number",
    name: "The slip's number",
    column: Column::Never,
    what: "The random number printed on a referral slip.",
    kept: "Printed on the slip only; stored nowhere and sent nowhere.",
    how_long: "Not applicable.",
    leaves: Leaves::No,
    seen_by: "Nobody.",
    sentences: &[about(
        "纸条编号：只印在纸条上。",
        "Your slip's number: on the slip only.",
    )],
};

const WRITTEN_PAGE: Item = Item {
    id: "written_page",
    name: "What a worker writes (写下来)",
    column: Column::Never,
    what: "The text written on the tree hole's page, with the on-screen keyboard or by hand.",
    kept: "In the kiosk's memory during the visit only; the page's buffer is overwritten when \
           the page is torn, printed, left for the help lines or the visit ends (the copies the \
           screen draws from are freed, not overwritten). Never written to the database, a \
           file, the log, a crash report or the outbox; printed only when the worker asks, on \
           a slip with the text and one hotline and nothing else. The page's phrases of despair \
           are looked for on the kiosk itself.",
    how_long: "Until the page ends or the visit does, whichever comes first.",
    leaves: Leaves::Within(
        "never; only that a page was opened, how it ended (torn, printed, help, left) and that \
         the help card was shown are added into the day counts",
    ),
    seen_by: "Nobody: only inside a day summary's totals, how many pages and how they ended.",
    sentences: &[about(
        "你在“写下来”里写的字：不保存、不发送，撕掉或离开就没了。",
        "What you write: never kept, never sent.",
    )],
};

const DAY_COUNTS: Item = Item {
    id: "day_counts",
    name: "Day counts",
    column: Column::Kept,
    what: "The same counts as the day summary, one set per day (Asia/Shanghai), with no time of \
           day.",
    kept: "SQLite on the kiosk's card.",
    how_long: in_database!(
        "Until the day is in a day summary and at least 14 days old (the station week a \
               worker sees needs the last closed Monday–Sunday week); then deleted."
    ),
    leaves: Leaves::Within("only added up in day summaries"),
    seen_by: "Nobody as they are; the centre sees them only added up in day summaries.",
    sentences: &[about(
        "每天的计数，不含几点几分；发出且满 14 天后删除。",
        "Counts per day, no time of day; deleted once sent and 14 days old.",
    )],
};

const WAITING_UPLOADS: Item = Item {
    id: "waiting_uploads",
    name: "Waiting uploads",
    column: Column::Kept,
    what: "Records sealed for the service centre (day summaries and operational records) that \
           the hub has not acknowledged yet.",
    kept: "SQLite on the kiosk's card, sealed when written: the kiosk cannot read them again.",
    how_long: in_database!(
        "Until the hub acknowledges them; then their content is deleted (SQLite's \
               `secure_delete` zeroes the freed pages)."
    ),
    leaves: Leaves::No,
    seen_by: "See the day summary and operational records.",
    sentences: &[about(
        "待发送的内容：已加密，本机也读不了，服务中心收到后删除。",
        "Waiting uploads: sealed, unreadable even here, deleted once received.",
    )],
};

const MOOD_TREND: Item = Item {
    id: "mood_trend",
    name: "Personal mood trend",
    column: Column::Kept,
    what: "Only when a worker chooses a personal code: the last 12 check-ins for that code \
           (day, quadrant, word).",
    kept: "SQLite on the kiosk's card, encrypted under a key derived from the code (Argon2id, \
           then HKDF; ChaCha20-Poly1305). The code, its hash and the key are not stored.",
    how_long: in_database!("The last 12 per code; an older one is deleted when a new one comes."),
    leaves: Leaves::No,
    seen_by: "Nobody: never uploaded, and nobody can read it without the code.",
    sentences: &[about(
        "只在你领取个人码时：最近 12 次打卡，用个人码加密，从不发送。",
        "Only with a personal code: your last 12 check-ins, locked by it, never sent.",
    )],
};

const STATION_OPERATIONS: Item = Item {
    id: "station_operations",
    name: "Station operations",
    column: Column::Kept,
    what: "The staff audit log, restocks, the printer's status, the staff PIN's Argon2id hash \
           and the kiosk's device key. Nothing about a worker.",
    kept: "SQLite on the kiosk's card.",
    how_long: in_database!(
        "No time limit: they describe the station, not a visitor. The PIN's hash until a \
               new PIN replaces it."
    ),
    leaves: Leaves::Within(
        "the PIN's hash and the device key never; each staff action, restock and printer fault \
         is also sent as an operational record (below)",
    ),
    seen_by: "Nobody as stored; the centre's operators see the operational records below.",
    sentences: &[about(
        "本机的运行记录：工作人员操作、补货、打印机。",
        "The kiosk's upkeep: staff actions, restocks, printer.",
    )],
};

const DAY_SUMMARY: Item = Item {
    id: "day_summary",
    name: "Day summary",
    column: Column::Leaves,
    what: "The station's totals over whole closed days, released only when at least 11 visits \
           contributed (quiet days accumulate until they do): `first_day`, `last_day` and \
           `counts` (metric, then key, then count; the metrics are listed below).",
    kept: "Written to the waiting uploads, sealed, when released.",
    how_long: "Until the hub acknowledges it.",
    leaves: Leaves::Sealed {
        kinds: &[DAY_SUMMARY_KIND],
        time: "the day only",
    },
    seen_by: "Staff with access to the hub's dashboard, as totals.",
    sentences: &[
        about(
            "本站整天的总数，至少 11 次使用才发出。",
            "This station's totals for whole days, only once 11 or more visits are in them.",
        ),
        about(
            "加密后只有工会服务中心能打开，那里只看到总数。",
            "Sealed so only the union's service centre can open them; it sees totals.",
        ),
    ],
};

const OPERATIONS: Item = Item {
    id: "operations",
    name: "Operational records",
    column: Column::Leaves,
    what: "One record per event, with nothing about a worker: the kiosk started, heartbeats, \
           staff actions, restocks, calls for staff and printer faults (fields below). A \
           heartbeat's `update` is the system image's update (slot, last outcome, download \
           progress), read from root's update-status.json and the kiosk's updates/ folder, \
           which hold no worker data either; its `remote_help` says whether the kiosk can take \
           remote help for the field team, the public line of root's SSH client key for the \
           centre's jump host, until when remote help is on and how root's tunnel stands, from \
           the kiosk's remote-help/ folder (docs/remote-help.md), none of it about a worker. Its `health` is the machine's: how this boot began \
           (after an orderly stop, a power cut or reset, a crash-loop reboot or an update's \
           reboot), how often the kiosk program started in this boot, and how often it kept \
           failing (crash loops) in the last day and week, from root's health-status.json.",
    kept: "Written to the waiting uploads, sealed, when they happen; the station's own copy is \
           in its operations (above).",
    how_long: "Until the hub acknowledges them.",
    leaves: Leaves::Sealed {
        kinds: OPERATIONAL,
        time: "to the millisecond, with the boot id (for the fleet view)",
    },
    seen_by: "The centre's operators; a `staff_alert` is also posted to the centre's webhook \
              (the staff on duty).",
    sentences: &[about(
        "本机运行状况和工作人员的工作（纸、网络、呼叫），不含关于你的信息。",
        "The kiosk's health and staff's work (paper, network, calls), nothing about you.",
    )],
};

const NOBODY_WATCHES: Item = Item {
    id: "nobody_watches",
    name: "Watching and contact",
    column: Column::Promise,
    what: "Nobody watches the screen live and nobody will contact a visitor: the kiosk has no \
           way to, because nothing identifies a visitor. A worker can stop at any time: Leave \
           (quick hide) wipes the visit at once, and walking away wipes it after the idle time \
           and a countdown.",
    kept: "Nothing.",
    how_long: "Not applicable.",
    leaves: Leaves::No,
    seen_by: "Nobody.",
    sentences: &[
        both(
            "没有人在实时看这块屏幕，也不会有人联系你。",
            "Nobody watches this screen live, and nobody will contact you.",
        ),
        about(
            "你可以随时停止：点“离开”，或直接走开，{idle_seconds} 秒无人操作并倒计时结束后屏幕会清空。",
            "You can stop at any time: press Leave, or walk away and the screen is wiped after {idle_seconds} seconds and a countdown.",
        ),
        notice(
            "你可以随时停止，点“离开”屏幕立即清空。",
            "You can stop at any time; Leave wipes the screen at once.",
        ),
    ],
};

/// A metric of the day summary and what its keys are, for the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricWords {
    pub name: &'static str,
    pub keys: &'static str,
}

/// The day summary's metrics (the names are `waystation_protocol::Metric`'s).
pub const METRICS: &[MetricWords] = &[
    MetricWords {
        name: "visit",
        keys: "`started`, `finished`, `idle_timeout`, `quick_hide`",
    },
    MetricWords {
        name: "mood_word",
        keys: "quadrant/word",
    },
    MetricWords {
        name: "mood_tag",
        keys: "quadrant/tag",
    },
    MetricWords {
        name: "theme",
        keys: "the self-check theme chosen",
    },
    MetricWords {
        name: "band",
        keys: "instrument/band",
    },
    MetricWords {
        name: "answer",
        keys: "instrument/item/answer",
    },
    MetricWords {
        name: "abandoned",
        keys: "instrument",
    },
    MetricWords {
        name: "crisis",
        keys: "`reached`, `asked_staff`, `mood_help_lines`",
    },
    MetricWords {
        name: "referral",
        keys: "instrument",
    },
    MetricWords {
        name: "slip",
        keys: "`normal`, `crisis`",
    },
    MetricWords {
        name: "slip_entry",
        keys: "the line's number or the directory entry",
    },
    MetricWords {
        name: "entry_opened",
        keys: "the directory entry's id",
    },
    MetricWords {
        name: "staff_call",
        keys: "`button`, `screen`",
    },
    MetricWords {
        name: "writing",
        keys: "`opened`, `torn`, `printed`, `help`, `left`, `despair_card`",
    },
];

/// An uploaded record kind and its payload's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    pub kind: &'static str,
    /// The payload's field names. A field holding an object is listed by its fields, as
    /// `parent.child`; `counts` is a map whose keys are data, so it is one field.
    pub fields: &'static [&'static str],
    /// Whether the record says anything about what workers did (only the day summary does, as
    /// totals).
    pub about_workers: bool,
}

/// Every record kind that leaves the kiosk, with its payload's fields.
pub fn uploaded() -> &'static [Uploaded] {
    UPLOADED
}

const UPLOADED: &[Uploaded] = &[
    Uploaded {
        kind: DAY_SUMMARY_KIND,
        fields: &["first_day", "last_day", "counts"],
        about_workers: true,
    },
    Uploaded {
        kind: "kiosk_started",
        fields: &["version", "station", "demo", "config"],
        about_workers: false,
    },
    Uploaded {
        kind: "heartbeat",
        fields: &[
            "version",
            "station",
            "queue.pending",
            "queue.in_flight",
            "queue.quarantined",
            "queue.unsealed",
            "queue.oldest_waiting_age_s",
            "printer.faults_today",
            "printer.last_status",
            "printer.paper_left_mm",
            "brochures_due",
            "directory.version",
            "directory.expires",
            "image_version",
            "update.slot",
            "update.last.version",
            "update.last.outcome",
            "update.last.detail",
            "update.downloading.version",
            "update.downloading.bytes",
            "update.downloading.of",
            "update.unreadable",
            "remote_help.available",
            "remote_help.client_key",
            "remote_help.until",
            "remote_help.tunnel",
            "remote_help.detail",
            "temperature_c",
            "disk_free_bytes",
            "uptime_s",
            "health.boot_reason",
            "health.starts_this_boot",
            "health.crash_loops_24h",
            "health.crash_loops_7d",
            "health.unreadable",
            "clock_synced",
        ],
        about_workers: false,
    },
    Uploaded {
        kind: "staff_audit",
        fields: &["action", "detail"],
        about_workers: false,
    },
    Uploaded {
        kind: "restock",
        fields: &["item", "kind", "count"],
        about_workers: false,
    },
    Uploaded {
        kind: STAFF_ALERT_KIND,
        fields: &["station", "kind"],
        about_workers: false,
    },
    Uploaded {
        kind: "printer_fault",
        fields: &["status", "reason"],
        about_workers: false,
    },
];

/// The privacy page's points: each shown sentence with its column, in inventory order.
pub fn about_points(language: Language, idle_seconds: u64) -> Vec<(Column, String)> {
    ITEMS
        .iter()
        .flat_map(|item| {
            item.sentences
                .iter()
                .filter(|s| s.about)
                .map(move |s| (item.column, s.words.text(language, idle_seconds)))
        })
        .collect()
}

/// The notice before a self-check: one line for each item it speaks for, in inventory order.
pub fn notice_sentences(language: Language, idle_seconds: u64) -> Vec<String> {
    let between = language.pick("", " ");
    ITEMS
        .iter()
        .map(|item| {
            item.sentences
                .iter()
                .filter(|s| s.notice)
                .map(|s| s.words.text(language, idle_seconds))
                .collect::<Vec<_>>()
                .join(between)
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// Every sentence the screens can show, in both languages, as written (placeholders kept).
pub fn all_sentences() -> impl Iterator<Item = &'static Words> {
    ITEMS
        .iter()
        .flat_map(|item| item.sentences.iter().map(|s| &s.words))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use waystation_protocol::summary::MIN_VISITS;

    use super::*;

    fn is_han(c: char) -> bool {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
    }

    #[test]
    fn every_item_has_sentences_in_both_languages_with_the_same_placeholders() {
        for item in ITEMS {
            assert!(!item.sentences.is_empty(), "{} has no sentence", item.id);
            for s in item.sentences {
                let Words { zh, en } = s.words;
                assert!(zh.chars().any(is_han), "{}: '{zh}' is not Chinese", item.id);
                assert!(
                    !en.chars().any(is_han),
                    "{}: '{en}' is not English",
                    item.id
                );
                assert_eq!(
                    zh.matches(IDLE_SECONDS).count(),
                    en.matches(IDLE_SECONDS).count(),
                    "{}: placeholders differ",
                    item.id
                );
                assert!(s.about || s.notice, "{}: '{en}' is shown nowhere", item.id);
            }
        }
    }

    #[test]
    fn ids_are_unique_and_every_field_is_written() {
        let ids: BTreeSet<&str> = ITEMS.iter().map(|i| i.id).collect();
        assert_eq!(ids.len(), ITEMS.len());
        for item in ITEMS {
            for (field, text) in [
                ("name", item.name),
                ("what", item.what),
                ("kept", item.kept),
                ("how_long", item.how_long),
                ("seen_by", item.seen_by),
            ] {
                assert!(!text.trim().is_empty(), "{}: no {field}", item.id);
            }
        }
    }

    #[test]
    fn every_uploaded_kind_belongs_to_exactly_one_item_that_leaves_and_back() {
        let mut from_items = Vec::new();
        for item in ITEMS {
            match item.leaves {
                Leaves::Sealed { kinds, time } => {
                    assert_eq!(item.column, Column::Leaves, "{}", item.id);
                    assert!(!kinds.is_empty() && !time.is_empty(), "{}", item.id);
                    from_items.extend_from_slice(kinds);
                }
                Leaves::No | Leaves::Within(_) => {
                    assert_ne!(item.column, Column::Leaves, "{}", item.id)
                }
            }
        }
        let mut listed: Vec<&str> = uploaded().iter().map(|u| u.kind).collect();
        from_items.sort_unstable();
        listed.sort_unstable();
        assert_eq!(from_items, listed, "items and uploaded kinds differ");
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(unique.len(), listed.len(), "a kind is listed twice");
    }

    #[test]
    fn only_the_day_summary_is_about_workers_and_no_field_is_personal() {
        let about: Vec<&str> = uploaded()
            .iter()
            .filter(|u| u.about_workers)
            .map(|u| u.kind)
            .collect();
        assert_eq!(about, [DAY_SUMMARY_KIND]);
        let personal = [
            "name", "phone", "id_card", "worker", "answers", "number", "time",
        ];
        for u in uploaded() {
            assert!(!u.fields.is_empty(), "{}", u.kind);
            let unique: BTreeSet<&str> = u.fields.iter().copied().collect();
            assert_eq!(unique.len(), u.fields.len(), "{} repeats a field", u.kind);
            for field in u.fields {
                let leaf = field.rsplit('.').next().unwrap_or(field);
                assert!(!personal.contains(&leaf), "{}.{field}", u.kind);
            }
        }
    }

    #[test]
    fn the_metrics_are_the_protocol_s() {
        let ours: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        let protocol: Vec<&str> = waystation_protocol::Metric::ALL
            .iter()
            .map(|m| m.name())
            .collect();
        assert_eq!(ours, protocol);
    }

    #[test]
    fn the_numbers_in_the_sentences_are_the_code_s() {
        let summary = DAY_SUMMARY.sentences[0].words;
        let visits = MIN_VISITS.to_string();
        assert!(summary.zh.contains(&visits) && summary.en.contains(&visits));
        assert!(DAY_SUMMARY.what.contains(&visits));
        let kept = crate::store::mood::PERSONAL_KEPT.to_string();
        let trend = MOOD_TREND.sentences[0].words;
        assert!(trend.zh.contains(&kept) && trend.en.contains(&kept));
        assert!(MOOD_TREND.what.contains(&kept) && MOOD_TREND.how_long.contains(&kept));
        let days = crate::store::counts::KEPT_DAYS.to_string();
        let counts = DAY_COUNTS.sentences[0].words;
        assert!(counts.zh.contains(&days) && counts.en.contains(&days));
        assert!(DAY_COUNTS.how_long.contains(&days));
    }

    /// The payload's field names as the inventory lists them: an object's fields by their
    /// leaves (`queue.pending`), `counts` as one field.
    fn fields(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        let Some(object) = value.as_object() else {
            return;
        };
        for (name, inner) in object {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if inner.is_object() && name != "counts" {
                fields(&path, inner, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The heartbeat's `update` of a kiosk with every part of it filled: a last update, and a
    /// download under way.
    fn update_report(dir: &std::path::Path) -> serde_json::Value {
        std::fs::write(
            dir.join(crate::update::STATUS_FILE),
            r#"{"slot": "A", "last": {"version": "2026.12.2", "outcome": "rolled_back",
                "detail": "the new slot did not come up", "at": "2026-12-03T14:00:00Z"}}"#,
        )
        .unwrap();
        let updates = dir.join(crate::update::UPDATES_DIR);
        std::fs::create_dir_all(&updates).unwrap();
        std::fs::write(updates.join("2026.12.3.raucb.part"), [0u8; 10]).unwrap();
        let offer = waystation_protocol::UpdateOffer {
            version: "2026.12.3".into(),
            sha256: "ab".repeat(32),
            size: 100,
        };
        let report = crate::sync::update::report(dir, Some(&offer));
        assert_eq!(report["downloading"]["bytes"], 10);
        report
    }

    /// The heartbeat's `remote_help` of a kiosk with every part of it filled: a request written
    /// and root's key and tunnel status.
    fn remote_help_report(dir: &std::path::Path) -> serde_json::Value {
        use crate::remote_help::{CLIENT_KEY_FILE, FOLDER, REQUEST_FILE, STATUS_FILE};
        let folder = dir.join(FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtSJIDA5TRR/SvyIhGj4+VYe9Nl8nemsKyJ8spatEOr";
        std::fs::write(folder.join(CLIENT_KEY_FILE), format!("{key} root@ws\n")).unwrap();
        std::fs::write(
            folder.join(REQUEST_FILE),
            format!(
                "until=2026-12-03T20:00:00Z\ndevice=ws-0011223344556677\nhost=jump.example\n\
                 port=22\nuser=tunnel\nhost_key={key}\nsocket_dir=/run/waystation-help\n"
            ),
        )
        .unwrap();
        std::fs::write(
            folder.join(STATUS_FILE),
            r#"{"tunnel": "error", "detail": "Connection refused", "at": "2026-12-03T12:00:00Z"}"#,
        )
        .unwrap();
        let report = crate::sync::remote_help::report(&folder, true);
        assert_eq!(report["until"], "2026-12-03T20:00:00Z");
        report
    }

    /// Makes one record of every kind through the code that makes them on a kiosk, in a store
    /// without a centre key (so the payloads can be read), and compares each record's fields
    /// with the inventory's list. A field added to a record without the inventory, or a kind
    /// the inventory does not know, fails here.
    #[test]
    fn every_uploaded_record_holds_exactly_the_fields_the_inventory_lists() {
        use crate::clock::{Clock, FakeClock};
        use crate::store::counts::{Count, make_summaries};
        use crate::store::{RecordStamp, Store};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let entropy = crate::entropy::FakeEntropy::new(5);
        let config = crate::config::Config::demo();
        crate::cli::kiosk::record_start(
            &mut store,
            &config,
            &crate::config::ConfigSource::EmbeddedDemo,
            &clock,
            &entropy,
        )
        .unwrap();
        let facts = crate::sync::heartbeat::HeartbeatFacts {
            station: "demo-0001",
            paper_roll_mm: Some(50_000.0),
            brochures: &config.staff.brochures,
            data_dir: dir.path(),
            directory: &crate::directory::Bundle::shipped(),
            machine: &crate::machine::FakeMachine {
                temperature_c: Some(48.6),
                image: Some(crate::machine::ImageRelease {
                    version: "2026.12.3".into(),
                    ..Default::default()
                }),
                provision_result: None,
            },
            update: update_report(dir.path()),
            remote_help: remote_help_report(dir.path()),
        };
        std::fs::write(
            dir.path().join(crate::health::STATUS_FILE),
            r#"{"boot_reason": "unclean", "starts_this_boot": 3, "crash_loops": [1789999000000]}"#,
        )
        .unwrap();
        crate::sync::heartbeat::queue_heartbeat(&mut store, &clock, &entropy, &facts).unwrap();
        store
            .audit(
                RecordStamp::now(&clock, &entropy).unwrap(),
                crate::store::staff::Action::SignOut,
                Some("idle_timeout"),
            )
            .unwrap();
        store
            .restock_paper(RecordStamp::now(&clock, &entropy).unwrap())
            .unwrap();
        let alert = crate::store::staff::alert_record(
            "demo-0001",
            RecordStamp::now(&clock, &entropy).unwrap(),
        );
        store.commit_record(&alert, |_| Ok(())).unwrap();
        let slip = crate::slip::Slip::demo(Language::Chinese, "站", false);
        let fault = crate::printer::PrintOutcome::NotReady(crate::printer::PrinterStatus::PaperOut);
        crate::store::slip::commit_print(
            &mut store,
            RecordStamp::now(&clock, &entropy).unwrap(),
            &slip,
            &fault,
            0.0,
        )
        .unwrap();
        for _ in 0..MIN_VISITS {
            store
                .count(
                    clock.read().wall,
                    &[Count::new(waystation_protocol::Metric::Visit, &["started"])],
                )
                .unwrap();
        }
        let tomorrow = clock.read().wall.date_naive() + chrono::Days::new(2);
        make_summaries(&mut store, tomorrow, &entropy).unwrap();

        let rows: Vec<(String, Vec<u8>)> = store
            .connection()
            .prepare("SELECT kind, payload FROM outbox ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for (kind, payload) in rows {
            let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            let mut found = Vec::new();
            fields("", &json, &mut found);
            found.sort();
            let listed = uploaded()
                .iter()
                .find(|u| u.kind == kind)
                .unwrap_or_else(|| panic!("{kind} leaves the kiosk but the inventory lacks it"));
            let mut expected: Vec<String> = listed.fields.iter().map(|f| f.to_string()).collect();
            expected.sort();
            assert_eq!(
                found, expected,
                "{kind}: what it holds and what the inventory says differ"
            );
            seen.insert(kind);
        }
        let listed: std::collections::BTreeSet<String> =
            uploaded().iter().map(|u| u.kind.to_string()).collect();
        assert_eq!(seen, listed, "a kind the inventory lists was not made here");
    }

    #[test]
    fn the_notice_says_answers_stay_totals_leave_nobody_watches_and_stopping_is_free() {
        let en = notice_sentences(Language::English, 90).join(" ");
        for needle in [
            "answers are not uploaded",
            "anonymous day totals",
            "Nobody watches",
            "nobody will contact you",
            "stop at any time",
        ] {
            assert!(en.contains(needle), "the notice lacks '{needle}': {en}");
        }
        let zh = notice_sentences(Language::Chinese, 90).join("");
        for needle in [
            "回答不会上传",
            "匿名总数",
            "没有人",
            "不会有人联系你",
            "随时停止",
        ] {
            assert!(zh.contains(needle), "the notice lacks '{needle}': {zh}");
        }
    }

    #[test]
    fn the_privacy_page_has_every_column_and_fills_in_the_idle_time() {
        for language in [Language::Chinese, Language::English] {
            let points = about_points(language, 75);
            for column in Column::ALL {
                assert!(points.iter().any(|(c, _)| *c == column), "{column:?}");
            }
            assert!(points.iter().any(|(_, t)| t.contains("75")));
            assert!(points.iter().all(|(_, t)| !t.contains('{')));
        }
    }

    #[test]
    fn no_sentence_promises_contact() {
        // "Someone will contact you" would be a promise nothing keeps: nothing identifies a
        // visitor. Only its negation may appear.
        for words in all_sentences() {
            let en = words.en.to_lowercase().replace("nobody will contact", "");
            assert!(!en.contains("will contact"), "{}", words.en);
            let zh = words.zh.replace("不会有人联系你", "");
            assert!(!zh.contains("联系你"), "{}", words.zh);
        }
    }
}
