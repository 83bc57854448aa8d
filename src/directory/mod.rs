//! The resource directory: where a worker can turn for help, from hotlines to walk-in
//! counselling points, each entry naming its source.
//!
//! Pure: `mod.rs` holds the entries and their checks, `rank.rs` orders them for a person at a
//! station at a time (what the station may show, distance, open now, topics, crisis),
//! `holidays.rs` the public-holiday calendar the bundle carries, `district.rs` Shanghai's
//! districts, and `bundle.rs` reads and checks signed bundles from the service centre.
//! Installing a bundle on disk is in `store`.

pub mod bundle;
pub mod district;
pub mod holidays;
pub mod rank;

use serde::{Deserialize, Serialize};

use crate::language::Language;
pub use district::District;
pub use holidays::HolidayYear;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A telephone counselling line (12356, 12351 key 3).
    Hotline,
    /// 110 and 120.
    Emergency,
    /// A hospital's psychiatry or psychology clinic.
    HospitalClinic,
    /// A community mental-health counselling point.
    CounsellingPoint,
    /// 暖新驿站
    UnionWaystation,
    /// 工会司机之家
    DriverHome,
    /// 暖蜂爱心之家
    CourierHome,
    /// 社区就业服务站点
    EmploymentServicePoint,
    /// A company's own support line (e.g. YTO's for its couriers).
    CompanyLine,
    /// A district's own line (e.g. Jing'an's 幸福树洞).
    DistrictLine,
}

impl Kind {
    /// Lines are called, not walked to.
    pub fn is_line(self) -> bool {
        matches!(
            self,
            Kind::Hotline | Kind::Emergency | Kind::CompanyLine | Kind::DistrictLine
        )
    }
}

/// What a service helps with: the seed's three 12351 call categories, and crisis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    EmotionalDistress,
    PersonalDevelopment,
    FamilyRelationships,
    Crisis,
}

impl Topic {
    /// The services a self-check result leads to: crisis help after a crisis answer, otherwise
    /// help with emotional distress (the worker can clear the filter with one touch).
    pub fn for_result(crisis: bool) -> Topic {
        if crisis {
            Topic::Crisis
        } else {
            Topic::EmotionalDistress
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document the entry's facts come from.
    pub document: String,
    /// Its date, YYYY-MM-DD.
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: Kind,
    /// Digits and dashes; empty when the source gives no number.
    #[serde(default)]
    pub phones: Vec<String>,
    /// What to do once connected ("press 3"), or how to reach it without a number.
    #[serde(default)]
    pub note_zh: String,
    #[serde(default)]
    pub note_en: String,
    #[serde(default)]
    pub address_zh: String,
    #[serde(default)]
    pub address_en: String,
    /// The districts a district's own service serves (e.g. Jing'an's line): it is shown only
    /// at stations in one of them. Empty for a service open to everyone, shown everywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub districts: Vec<District>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// OpenStreetMap `opening_hours` syntax; empty when the source gives no hours.
    #[serde(default)]
    pub opening_hours: String,
    #[serde(default)]
    pub cost_zh: String,
    #[serde(default)]
    pub cost_en: String,
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub languages: Vec<String>,
    pub source: Source,
    /// A stand-in for a station's own local services, for the field team to replace.
    #[serde(default)]
    pub example: bool,
}

impl Entry {
    pub fn name(&self, lang: Language) -> &str {
        lang.pick(&self.name_zh, &self.name_en)
    }
    pub fn note(&self, lang: Language) -> &str {
        lang.pick(&self.note_zh, &self.note_en)
    }
    pub fn address(&self, lang: Language) -> &str {
        lang.pick(&self.address_zh, &self.address_en)
    }

    /// What the entry's QR code holds: its first number as a `tel:` link a phone can dial
    /// (dashes dropped), or, for a service without a number, its name, address and note as
    /// text to keep.
    pub fn qr_text(&self, lang: Language) -> String {
        match self.phones.first() {
            Some(phone) => format!("tel:{}", phone.replace('-', "")),
            None => [self.name(lang), self.address(lang), self.note(lang)]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
    pub fn location(&self) -> Option<(f64, f64)> {
        Some((self.lat?, self.lon?))
    }

    /// Whether a station may show this entry at all. An example (made-up hours and
    /// coordinates) only at a demo station; a district's own service only at a station in
    /// that district, so a station with no district set shows none of them.
    pub fn shown_at(&self, demo: bool, district: Option<District>) -> bool {
        (!self.example || demo)
            && (self.districts.is_empty() || district.is_some_and(|d| self.districts.contains(&d)))
    }

    /// Checks one entry; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let at = |field: &str, what: &str| Err(format!("entry {}: {field} {what}", self.id));
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return at("id", "must be lower-case letters, digits and dashes");
        }
        if self.name_zh.trim().is_empty() || self.name_en.trim().is_empty() {
            return at("name_zh/name_en", "must both be given");
        }
        if self.source.document.trim().is_empty()
            || chrono::NaiveDate::parse_from_str(&self.source.date, "%Y-%m-%d").is_err()
        {
            return at("source", "must name a document and its date (YYYY-MM-DD)");
        }
        if self
            .phones
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit() || c == '-'))
        {
            return at("phones", "are digits and dashes only");
        }
        if self.note_zh.is_empty() != self.note_en.is_empty()
            || self.address_zh.is_empty() != self.address_en.is_empty()
            || self.cost_zh.is_empty() != self.cost_en.is_empty()
        {
            return at(
                "note/address/cost",
                "must be given in both languages or neither",
            );
        }
        if self.lat.is_some() != self.lon.is_some()
            || self.lat.is_some_and(|l| !(-90.0..=90.0).contains(&l))
            || self.lon.is_some_and(|l| !(-180.0..=180.0).contains(&l))
        {
            return at("lat/lon", "must both be given, within range");
        }
        if !self.opening_hours.is_empty()
            && let Err(why) = rank::evaluable(&self.opening_hours)
        {
            return at("opening_hours", &why);
        }
        if self.topics.is_empty() {
            return at("topics", "must name at least one");
        }
        if self.phones.is_empty() && self.note_zh.is_empty() && self.address_zh.is_empty() {
            return at(
                "phones/note/address",
                "leave no way to reach it: say at least how (e.g. ask station staff)",
            );
        }
        Ok(())
    }
}

/// A versioned set of entries with its issue and expiry dates, and the public-holiday
/// calendar its opening hours' `PH` refers to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub version: u64,
    pub issued: chrono::NaiveDate,
    pub expires: chrono::NaiveDate,
    /// One State Council notice per year; a year left out makes `PH` hours "may differ".
    #[serde(default)]
    pub holidays: Vec<HolidayYear>,
    pub entries: Vec<Entry>,
}

impl Bundle {
    /// Parses a bundle's JSON text and checks every entry.
    pub fn parse(text: &str) -> Result<Bundle, String> {
        let bundle: Bundle = serde_json::from_str(text)
            .map_err(|e| format!("malformed at line {}, column {}: {e}", e.line(), e.column()))?;
        bundle.check()?;
        Ok(bundle)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.expires <= self.issued {
            return Err("expires must be after issued".into());
        }
        let mut ids: Vec<&str> = self.entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|p| p[0] == p[1]) {
            return Err(format!("entry id {} is used twice", pair[0]));
        }
        let mut years: Vec<i32> = self.holidays.iter().map(|y| y.year).collect();
        years.sort_unstable();
        if let Some(pair) = years.windows(2).find(|p| p[0] == p[1]) {
            return Err(format!("holidays {} are given twice", pair[0]));
        }
        self.holidays.iter().try_for_each(HolidayYear::check)?;
        self.entries.iter().try_for_each(Entry::check)
    }

    /// The directory built into the kiosk (`assets/directory/bundle.json`): used until the
    /// service centre's first signed bundle is installed, and whenever none is.
    pub fn shipped() -> Bundle {
        Bundle::parse(SHIPPED).expect("the shipped directory is checked by tests")
    }
}

const SHIPPED: &str = include_str!("../../assets/directory/bundle.json");

#[cfg(test)]
mod tests {
    #[test]
    fn a_result_leads_to_crisis_help_after_a_crisis_and_else_to_distress_services() {
        use super::Topic;
        assert_eq!(Topic::for_result(true), Topic::Crisis);
        assert_eq!(Topic::for_result(false), Topic::EmotionalDistress);
    }

    #[test]
    fn an_entry_s_qr_dials_its_first_number_or_holds_its_words() {
        use crate::language::Language;
        let bundle = super::Bundle::shipped();
        let with = bundle
            .entries
            .iter()
            .find(|e| !e.phones.is_empty())
            .unwrap();
        let qr = with.qr_text(Language::Chinese);
        assert!(qr.starts_with("tel:") && !qr.contains('-'), "{qr}");
        let mut without = with.clone();
        without.phones.clear();
        let qr = without.qr_text(Language::English);
        assert!(qr.starts_with(without.name(Language::English)), "{qr}");
        assert!(!qr.contains("tel:"));
    }

    use super::*;

    #[test]
    fn every_shipped_entry_names_its_source_and_every_stand_in_is_marked() {
        let bundle = Bundle::shipped();
        assert!(bundle.entries.len() >= 8);
        for e in &bundle.entries {
            assert!(
                !e.source.document.trim().is_empty(),
                "{} has no source",
                e.id
            );
            // Stand-ins for a station's local services are examples; nothing else may be.
            let local_place = !e.kind.is_line() && e.location().is_some();
            assert_eq!(
                e.example, local_place,
                "{}: a located place in the shipped bundle must be an example",
                e.id
            );
            if e.example {
                assert!(
                    e.name_zh.contains("示例") && e.name_en.to_lowercase().contains("example"),
                    "{}",
                    e.id
                );
                assert!(
                    e.phones.is_empty(),
                    "{}: an example never carries a phone number",
                    e.id
                );
            }
        }
        let phones: Vec<&str> = bundle
            .entries
            .iter()
            .flat_map(|e| e.phones.iter().map(|p| p.as_str()))
            .collect();
        // Only the numbers the seed and the public emergency services give.
        for p in &phones {
            assert!(
                ["12351", "12356", "110", "120", "400-820-0393"].contains(p),
                "unexpected number {p}"
            );
        }
    }

    #[test]
    fn a_bad_entry_is_named_with_its_field() {
        let mut bundle = Bundle::shipped();
        bundle.entries[0].source.document.clear();
        assert!(bundle.check().unwrap_err().contains("source"));
        let mut bundle = Bundle::shipped();
        bundle.entries[0].opening_hours = "Mo-Fr 25:00-26:00 nonsense".into();
        assert!(bundle.check().unwrap_err().contains("opening_hours"));
        bundle.entries[0].opening_hours = "Mo-Fr 09:00-17:00; SH off".into();
        let err = bundle.check().unwrap_err();
        assert!(
            err.contains("national-12356: opening_hours uses SH"),
            "{err}"
        );
        let mut bundle = Bundle::shipped();
        bundle.entries[0].phones = vec!["12a".into()];
        assert!(bundle.check().unwrap_err().contains("phones"));
    }

    #[test]
    fn no_shipped_entry_claims_what_its_source_does_not_give() {
        let bundle = Bundle::shipped();
        let entry = |id: &str| bundle.entries.iter().find(|e| e.id == id).unwrap();
        // The seed gives no cost for anything, and no language.
        for e in &bundle.entries {
            assert!(
                e.cost_zh.is_empty() && e.cost_en.is_empty(),
                "{}: cost",
                e.id
            );
            assert!(e.languages.is_empty(), "{}: languages", e.id);
        }
        // 12351 key 3 is "全年无休": every day of the year, never said to be round the clock.
        let union = entry("union-12351");
        assert!(union.opening_hours.is_empty());
        assert!(union.note_zh.contains("全年") && union.note_en.contains("every day of the year"));
        for text in [&union.note_zh, &union.note_en] {
            assert!(!text.contains("24") && !text.contains("全天候") && !text.contains("clock"));
        }
        // Hours only where a source gives them: round the clock for YTO's line (全天候), and
        // the emergency numbers; the sourced services without hours have none. Examples carry
        // made-up hours and show only at a demo station.
        for e in bundle.entries.iter().filter(|e| !e.example) {
            let sourced_24_7 = ["yto-courier-line", "emergency-110", "emergency-120"];
            if sourced_24_7.contains(&e.id.as_str()) {
                assert_eq!(e.opening_hours, "24/7", "{}", e.id);
            } else {
                assert!(e.opening_hours.is_empty(), "{}: unsourced hours", e.id);
            }
        }
        // The two services the seed names for one district carry it.
        assert_eq!(entry("jingan-tree-hole").districts, [District::Jingan]);
        assert_eq!(entry("pudong-heart-cabins").districts, [District::Pudong]);
        assert!(
            entry("district-clinics").districts.is_empty(),
            "every district has them"
        );
    }

    #[test]
    fn an_unknown_district_or_a_year_given_twice_is_refused() {
        let mut json = serde_json::to_value(Bundle::shipped()).unwrap();
        json["entries"][0]["districts"] = serde_json::json!(["jingan", "xujiahui"]);
        let err = Bundle::parse(&json.to_string()).unwrap_err();
        assert!(
            err.contains("'xujiahui' is not a Shanghai district id"),
            "{err}"
        );
        let mut bundle = Bundle::shipped();
        bundle.holidays.push(bundle.holidays[0].clone());
        assert!(
            bundle
                .check()
                .unwrap_err()
                .contains("holidays 2026 are given twice")
        );
        let mut bundle = Bundle::shipped();
        bundle.holidays[0]
            .working_days
            .push("2026-10-01".parse().unwrap());
        assert!(bundle.check().unwrap_err().contains("holidays 2026"));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_place() {
        let text = Bundle::shipped();
        let mut json = serde_json::to_value(&text).unwrap();
        json["entries"][0]["fax"] = "123".into();
        let err = Bundle::parse(&json.to_string()).unwrap_err();
        assert!(err.contains("unknown field `fax`"), "{err}");
    }
}
