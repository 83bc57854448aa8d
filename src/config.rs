//! The station's configuration: a TOML file, read once at start-up and checked whole.
//!
//! Every field is typed and range-checked while it is parsed, so an error names the field and
//! its line, and the program never starts half configured. Unknown fields are errors too: a
//! typo in a field name must not silently fall back to a default.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::language::Language;

/// The embedded configuration of the fictional demo station.
pub const DEMO_CONFIG: &str = include_str!("../assets/config/demo-station.toml");

/// Where an installed kiosk finds its configuration.
pub const SYSTEM_CONFIG: &str = "/etc/waystation/config.toml";

/// Where an installed kiosk keeps its data unless the config says otherwise.
pub const SYSTEM_DATA_DIR: &str = "/var/lib/waystation";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub station: Station,
    #[serde(default)]
    pub kiosk: Kiosk,
    #[serde(default)]
    pub screening: Screening,
    #[serde(default)]
    pub printer: Printer,
    #[serde(default)]
    pub directory: Directory,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub hub: Hub,
    #[serde(default)]
    pub staff: Staff,
    #[serde(default)]
    pub board: Board,
    #[serde(default)]
    pub screen: Screen,
    #[serde(default)]
    pub network: Network,
    /// The centre's jump host for remote help (docs/remote-help.md); without it remote help
    /// is unavailable and the kiosk never asks the hub about it.
    #[serde(default)]
    pub remote_help: Option<crate::remote_help::JumpHost>,
}

/// The display (docs/config.md, `[screen]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// The station's night hours (station time) and the attract screen's brightness in them
    /// (`crate::kiosk::backlight`). Without them the backlight is never touched.
    pub night: Option<crate::kiosk::backlight::NightHours>,
}

/// How the kiosk reaches the hub beyond its wired port, and its time servers
/// (docs/config.md, `[network]`). A cable is always used when one is plugged in; this section
/// adds Wi-Fi and a USB 4G modem for stations without one. The deployment image turns it into
/// the system's network settings at each boot (`crate::network`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The Wi-Fi network's name (SSID). Its passphrase is a secret: the provision file's
    /// `[secrets] wifi_passphrase`, never in this file.
    pub wifi_ssid: Option<String>,
    /// The country whose radio rules the Wi-Fi follows (ISO 3166 code, default CN).
    #[serde(default = "default_country")]
    pub wifi_country: String,
    /// A USB 4G modem's access point name, as the SIM card's operator gives it. Without it no
    /// modem is set up (a modem that shows itself as a network card needs none).
    pub modem_apn: Option<String>,
    /// Time servers, tried in order.
    #[serde(default = "default_ntp")]
    pub ntp: Vec<String>,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            wifi_ssid: None,
            wifi_country: default_country(),
            modem_apn: None,
            ntp: default_ntp(),
        }
    }
}

fn default_country() -> String {
    "CN".into()
}

/// Public time servers that answer from mainland China: Alibaba Cloud's and Tencent Cloud's
/// (each documented by its operator), then the NTP Pool's China zone.
fn default_ntp() -> Vec<String> {
    ["ntp.aliyun.com", "ntp.tencent.com", "cn.pool.ntp.org"]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    pub id: StationId,
    pub name_zh: Name,
    pub name_en: Name,
    pub kind: StationKind,
    #[serde(default)]
    pub demo: bool,
    /// The Shanghai district the station stands in (an id such as `jingan`, see
    /// `directory::District`): a district's own services are shown only there.
    #[serde(default)]
    pub district: Option<crate::directory::District>,
    /// Where the station is (WGS-84 degrees), for sorting places by distance.
    #[serde(default)]
    pub latitude: Option<Latitude>,
    #[serde(default)]
    pub longitude: Option<Longitude>,
}

/// Degrees north, −90 to 90.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "f64")]
pub struct Latitude(pub f64);

impl TryFrom<f64> for Latitude {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        if (-90.0..=90.0).contains(&v) {
            Ok(Latitude(v))
        } else {
            Err(format!("latitude {v} is outside -90 to 90"))
        }
    }
}

/// Degrees east, −180 to 180.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "f64")]
pub struct Longitude(pub f64);

impl TryFrom<f64> for Longitude {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        if (-180.0..=180.0).contains(&v) {
            Ok(Longitude(v))
        } else {
            Err(format!("longitude {v} is outside -180 to 180"))
        }
    }
}

impl Station {
    /// The station's location, when both coordinates are given.
    pub fn location(&self) -> Option<(f64, f64)> {
        Some((self.latitude?.0, self.longitude?.0))
    }
}

/// The resource directory: the service centre's public key for signed bundles.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    /// Base64 Ed25519 public key. Without it, no bundle can be installed and the kiosk keeps
    /// the directory built into it.
    pub public_key: Option<String>,
}

/// What staff keep stocked (docs/staff.md).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// The length of a new paper roll in metres, as printed on its label (1 to 500). Without
    /// it the paper left cannot be estimated.
    pub paper_roll_m: Option<Ranged<1, 500>>,
    /// The brochures of the mental-care corner, by kind.
    #[serde(default)]
    pub brochures: Vec<BrochureKind>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrochureKind {
    /// A short id, e.g. `hotline-card` (used by `waystation restock brochure KIND COUNT`).
    pub kind: StationId,
    pub name_zh: Name,
    pub name_en: Name,
    /// Days a restock lasts at this station (1 to 365): the line turns amber after that.
    pub restock_every_days: Ranged<1, 365>,
}

/// The station's GPIO pins (BCM numbers), all optional: a kiosk without them works the same,
/// minus the LED, the paper sensor and the staff-call button.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// The status LED: steady when all is well, a slow blink when staff are needed at the
    /// kiosk, a fast double blink when a worker called for staff.
    pub led_pin: Option<Ranged<0, 27>>,
    /// An active buzzer (sounds while the pin is high), for a worker's call for staff: a few
    /// short bursts, then silence (docs/staff.md).
    pub buzzer_pin: Option<Ranged<0, 27>>,
    /// A paper-low sensor input.
    pub paper_sensor_pin: Option<Ranged<0, 27>>,
    /// Whether the sensor pulls the pin low when paper is low (default true).
    pub paper_sensor_active_low: Option<bool>,
    /// The staff-call button (to ground; the internal pull-up is used).
    pub staff_button_pin: Option<Ranged<0, 27>>,
}

impl Board {
    pub fn any(&self) -> bool {
        self.led_pin.is_some()
            || self.buzzer_pin.is_some()
            || self.paper_sensor_pin.is_some()
            || self.staff_button_pin.is_some()
    }
}

/// The service centre's hub, where the outbox is uploaded (docs/protocol.md).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hub {
    /// The hub's address. Without it the kiosk keeps every record on its own disk (and
    /// `waystation queue export` can still carry them to the hub on a USB stick).
    pub url: Option<HubUrl>,
    /// The centre's X25519 public key (base64) that every record is sealed to. Without it
    /// records wait unsealed on the kiosk and are sealed the moment a key is configured;
    /// nothing is uploaded unsealed.
    pub public_key: Option<CentreKey>,
    /// A PEM file with an extra certificate authority to trust for the hub (a centre that
    /// runs its own CA). Mozilla's roots, built in (not the system's), are trusted anyway.
    pub ca_file: Option<PathBuf>,
    /// Records per upload request (1 to 2000, default 500).
    pub batch_records: Option<Ranged<1, 2000>>,
    /// Minutes between heartbeats (1 to 1440, default 15).
    pub heartbeat_minutes: Option<Ranged<1, 1440>>,
}

impl Hub {
    pub fn batch_records(&self) -> usize {
        self.batch_records.map_or(500, |r| r.0 as usize)
    }

    pub fn heartbeat_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60 * u64::from(self.heartbeat_minutes.map_or(15, |r| r.0)))
    }

    pub fn centre_key(&self) -> Option<waystation_protocol::CentrePublicKey> {
        // Checked while parsing, so this cannot fail for a loaded config.
        self.public_key
            .as_ref()
            .and_then(|k| waystation_protocol::CentrePublicKey::from_base64(&k.0).ok())
    }
}

/// A hub address: HTTPS, or plain HTTP to this machine only (for tests and a hub on the
/// kiosk itself), because records and signatures must not cross a network in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HubUrl(pub url::Url);

impl TryFrom<String> for HubUrl {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let url = url::Url::parse(&value).map_err(|e| format!("'{value}' is not a URL: {e}"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(HubUrl(url)),
            "http" if loopback => Ok(HubUrl(url)),
            "http" => Err(format!(
                "'{value}' must use https (plain http only to this machine)"
            )),
            other => Err(format!("'{value}' must use https, not {other}")),
        }
    }
}

/// The centre's sealing key, checked to be a valid X25519 public key while parsing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CentreKey(pub String);

impl TryFrom<String> for CentreKey {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        waystation_protocol::CentrePublicKey::from_base64(&value)
            .map(|_| CentreKey(value))
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 暖新驿站
    WarmNewWaystation,
    /// 工会司机之家
    UnionDriverHome,
    /// 暖蜂爱心之家
    WarmBeeHome,
    /// 社区就业服务站点 (the "15-minute employment service circle")
    EmploymentServicePoint,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Kiosk {
    pub default_language: Language,
    pub idle_seconds: Ranged<15, 3600>,
    pub countdown_seconds: Ranged<5, 120>,
    /// On the crisis screen the worker may be on the phone to a hotline, reading the numbers
    /// off the screen: the idle reset waits longer there and counts down longer.
    pub crisis_idle_seconds: Ranged<60, 1800>,
    pub crisis_countdown_seconds: Ranged<10, 300>,
    pub high_contrast: bool,
}

impl Default for Kiosk {
    fn default() -> Self {
        Kiosk {
            default_language: Language::Chinese,
            idle_seconds: Ranged(90),
            countdown_seconds: Ranged(20),
            crisis_idle_seconds: Ranged(300),
            crisis_countdown_seconds: Ranged(60),
            high_contrast: false,
        }
    }
}

/// How the kiosk reaches its slip printer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterTransport {
    /// No printer: slips are shown on screen only.
    #[default]
    None,
    /// A file (for development); one-way.
    File,
    /// A USB printer class device such as /dev/usb/lp0.
    Usb,
    /// A serial port or the Pi's UART.
    Serial,
    /// Raw TCP, usually port 9100.
    Tcp,
}

/// The slip printer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Printer {
    pub transport: PrinterTransport,
    /// The device or file (file, usb, serial).
    pub path: Option<PathBuf>,
    /// host:port (tcp).
    pub address: Option<String>,
    pub baud: Ranged<1200, 921_600>,
    /// Printable width in dots: 384 (58 mm paper) or 576 (80 mm).
    pub width: PrintWidth,
}

impl Default for Printer {
    fn default() -> Self {
        Printer {
            transport: PrinterTransport::None,
            path: None,
            address: None,
            baud: Ranged(9600),
            width: PrintWidth(384),
        }
    }
}

/// 384 or 576 dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct PrintWidth(pub u32);

impl TryFrom<i64> for PrintWidth {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        match value {
            384 | 576 => Ok(PrintWidth(value as u32)),
            other => Err(format!(
                "must be 384 (58 mm paper) or 576 (80 mm), not {other}"
            )),
        }
    }
}

/// The service centre's choices for self-assessment (docs/config.md cites the defaults).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// PHQ-9 total from which "talk to a professional" is shown (default 10). Limited to the
    /// published cut-off range, 5 to 15 (Kroenke et al. 2001's mild to moderately severe
    /// bands; Manea et al. 2012 studied cut-offs 8 to 11), so no station can switch referral off
    /// by setting it out of reach.
    pub refer_at_phq9: Option<Ranged<5, 15>>,
    /// GAD-7 total from which "talk to a professional" is shown (default 10), within its
    /// published cut-points 5 to 15 (Spitzer et al. 2006).
    pub refer_at_gad7: Option<Ranged<5, 15>>,
}

impl Screening {
    /// The referral threshold in force for an instrument: the station's, else the
    /// instrument's published one.
    pub fn refer_at(&self, instrument: &crate::screening::Instrument) -> Option<u32> {
        let station = match instrument.id.as_str() {
            "phq9" => self.refer_at_phq9.map(|r| r.0),
            "gad7" => self.refer_at_gad7.map(|r| r.0),
            _ => None,
        };
        station.or(instrument.refer_at)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    pub data_dir: Option<PathBuf>,
}

/// A whole number within `MIN..=MAX`, checked while parsing so the error points at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Ranged<const MIN: u32, const MAX: u32>(pub u32);

impl<const MIN: u32, const MAX: u32> TryFrom<i64> for Ranged<MIN, MAX> {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if (MIN as i64..=MAX as i64).contains(&value) {
            Ok(Ranged(value as u32))
        } else {
            Err(format!("must be between {MIN} and {MAX}, not {value}"))
        }
    }
}

impl<const MIN: u32, const MAX: u32> Ranged<MIN, MAX> {
    /// The number as seconds (for the fields that are times).
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0.into())
    }
}

/// A station identifier: 1 to 64 lower-case ASCII letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct StationId(String);

impl TryFrom<String> for StationId {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(StationId(value))
        } else {
            Err(format!(
                "'{value}' is not a station id (1-64 of a-z, 0-9 and -)"
            ))
        }
    }
}

impl StationId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: not blank, at most 60 characters so it fits a slip and a title bar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Name(String);

impl TryFrom<String> for Name {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let count = value.chars().count();
        if value.trim().is_empty() {
            Err("must not be blank".into())
        } else if count > 60 {
            Err(format!("is {count} characters long; 60 at most"))
        } else {
            Ok(Name(value))
        }
    }
}

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Station {
    pub fn name(&self, lang: Language) -> &str {
        lang.pick(self.name_zh.as_str(), self.name_en.as_str())
    }
}

/// Where the configuration came from, for `waystation status` and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    EmbeddedDemo,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::EmbeddedDemo => f.write_str("built-in demo station"),
        }
    }
}

/// A configuration error, shown on one line: `FILE:LINE:COLUMN: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    InvalidNoPosition { origin: String, message: String },
}

impl Config {
    /// Parses a whole configuration. `origin` names the text in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            // toml's own Display spans several lines with a snippet; the kiosk's errors are one
            // line, so rebuild it from the span and the bare message.
            let message = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => {
                    let (line, column) = line_and_column(text, span.start);
                    ConfigError::Invalid {
                        origin: origin.to_string(),
                        line,
                        column,
                        message,
                    }
                }
                None => ConfigError::InvalidNoPosition {
                    origin: origin.to_string(),
                    message,
                },
            }
        })?;
        config.check(origin)
    }

    pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Checks what the field types alone cannot: fields that only one transport needs.
    fn check(self, origin: &str) -> Result<Config, ConfigError> {
        let p = &self.printer;
        let missing = |what: &str| ConfigError::InvalidNoPosition {
            origin: origin.to_string(),
            message: format!(
                "printer.{what} is required when printer.transport is {:?}",
                p.transport
            )
            .to_lowercase(),
        };
        match p.transport {
            PrinterTransport::File | PrinterTransport::Usb | PrinterTransport::Serial
                if p.path.is_none() =>
            {
                Err(missing("path"))
            }
            PrinterTransport::Tcp if p.address.is_none() => Err(missing("address")),
            _ => Ok(self),
        }
    }

    pub fn demo() -> Config {
        Config::parse(DEMO_CONFIG, "built-in demo config")
            .expect("the demo config is checked by tests")
    }

    /// Loads the configuration the way the kiosk does: an explicit file, else the system file
    /// when it exists, else the built-in demo.
    pub fn locate(explicit: Option<&Path>) -> Result<(Config, ConfigSource), ConfigError> {
        if let Some(path) = explicit {
            return Ok((
                Config::load_file(path)?,
                ConfigSource::File(path.to_path_buf()),
            ));
        }
        let system = Path::new(SYSTEM_CONFIG);
        if system.exists() {
            return Ok((
                Config::load_file(system)?,
                ConfigSource::File(system.to_path_buf()),
            ));
        }
        Ok((Config::demo(), ConfigSource::EmbeddedDemo))
    }

    /// The data directory: the command line (or `WAYSTATION_DATA_DIR`) wins, then the config,
    /// then `/var/lib/waystation` for an installed kiosk, then the user's XDG data directory.
    pub fn data_dir(&self, source: &ConfigSource, overridden: Option<&Path>) -> Option<PathBuf> {
        if let Some(dir) = overridden {
            return Some(dir.to_path_buf());
        }
        if let Some(dir) = &self.store.data_dir {
            return Some(dir.clone());
        }
        if *source == ConfigSource::File(PathBuf::from(SYSTEM_CONFIG)) {
            return Some(PathBuf::from(SYSTEM_DATA_DIR));
        }
        dirs::data_dir().map(|d| d.join("waystation"))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::parse(text, "t.toml").unwrap_err().to_string()
    }

    const MINIMAL: &str = "[station]\nid = \"s-1\"\nname_zh = \"站\"\nname_en = \"Station\"\nkind = \"warm_bee_home\"\n";

    #[test]
    fn the_demo_config_parses_and_says_it_is_a_demo() {
        let config = Config::demo();
        assert!(config.station.demo);
        assert_eq!(config.station.id.as_str(), "demo-0001");
        assert_eq!(config.kiosk.idle_seconds.0, 90);
        assert_eq!(config.kiosk.countdown_seconds.0, 20);
        assert_eq!(config.kiosk.default_language, Language::Chinese);
    }

    #[test]
    fn a_minimal_config_takes_the_documented_defaults() {
        let config = Config::parse(MINIMAL, "t.toml").unwrap();
        assert_eq!(config.kiosk, Kiosk::default());
        assert!(!config.station.demo);
        assert_eq!(config.station.name(Language::English), "Station");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let text = format!("{MINIMAL}[kiosk]\nidle_secs = 90\n");
        let message = err(&text);
        assert!(message.starts_with("t.toml:7:1: "), "{message}");
        assert!(message.contains("idle_secs"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn an_out_of_range_value_is_named_with_its_line() {
        let text = format!("{MINIMAL}[kiosk]\nidle_seconds = 3\n");
        let message = err(&text);
        assert!(message.starts_with("t.toml:7:16: "), "{message}");
        assert!(message.contains("between 15 and 3600"), "{message}");
    }

    #[test]
    fn bad_ids_languages_kinds_and_blank_names_are_refused() {
        assert!(err(&MINIMAL.replace("s-1", "S 1")).contains("station id"));
        assert!(err(&MINIMAL.replace("warm_bee_home", "cafe")).contains("cafe"));
        assert!(err(&MINIMAL.replace("\"站\"", "\"  \"")).contains("blank"));
        let text = format!("{MINIMAL}[kiosk]\ndefault_language = \"fr\"\n");
        assert!(err(&text).contains("t.toml:7:"));
    }

    #[test]
    fn referral_thresholds_default_to_the_instruments_and_can_be_changed() {
        let catalogue = crate::screening::Catalogue::builtin();
        let phq9 = catalogue.get("phq9").unwrap();
        let phq4 = catalogue.get("phq4").unwrap();
        let config = Config::demo();
        assert_eq!(config.screening.refer_at(phq9), Some(10));
        assert_eq!(config.screening.refer_at(phq4), None);
        let text = format!("{MINIMAL}[screening]\nrefer_at_phq9 = 12\n");
        let config = Config::parse(&text, "t.toml").unwrap();
        assert_eq!(config.screening.refer_at(phq9), Some(12));
        // Outside the published cut-off range (5 to 15) a station could switch referral off.
        for (field, value) in [
            ("phq9", 27),
            ("phq9", 4),
            ("phq9", 16),
            ("gad7", 22),
            ("gad7", 1),
        ] {
            let text = format!("{MINIMAL}[screening]\nrefer_at_{field} = {value}\n");
            assert!(err(&text).contains("between 5 and 15"), "{field} = {value}");
        }
        for value in [5, 15] {
            let text = format!("{MINIMAL}[screening]\nrefer_at_phq9 = {value}\n");
            let config = Config::parse(&text, "t.toml").unwrap();
            assert_eq!(config.screening.refer_at(phq9), Some(value));
        }
    }

    #[test]
    fn a_printer_needs_the_fields_of_its_transport() {
        assert_eq!(Config::demo().printer.transport, PrinterTransport::None);
        let usb = format!(
            "{MINIMAL}[printer]\ntransport = \"usb\"\npath = \"/dev/usb/lp0\"\nwidth = 576\n"
        );
        let config = Config::parse(&usb, "t.toml").unwrap();
        assert_eq!(
            (config.printer.transport, config.printer.width.0),
            (PrinterTransport::Usb, 576)
        );
        assert!(
            err(&format!("{MINIMAL}[printer]\ntransport = \"usb\"\n"))
                .contains("printer.path is required")
        );
        assert!(
            err(&format!("{MINIMAL}[printer]\ntransport = \"tcp\"\n"))
                .contains("printer.address is required")
        );
        assert!(
            err(&format!("{MINIMAL}[printer]\nwidth = 500\n")).contains("t.toml:7:9: must be 384")
        );
    }

    #[test]
    fn a_district_is_an_id_from_the_list_and_a_bad_one_names_its_line() {
        assert_eq!(
            Config::parse(MINIMAL, "t.toml").unwrap().station.district,
            None
        );
        let text = format!("{MINIMAL}district = \"pudong\"\n");
        let config = Config::parse(&text, "t.toml").unwrap();
        assert_eq!(
            config.station.district,
            Some(crate::directory::District::Pudong)
        );
        let message = err(&format!("{MINIMAL}district = \"静安\"\n"));
        assert!(message.starts_with("t.toml:6:12: "), "{message}");
        assert!(
            message.contains("'静安' is not a Shanghai district id") && message.contains("jingan"),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }

    #[test]
    fn night_hours_are_optional_and_read_in_station_time() {
        assert_eq!(Config::parse(MINIMAL, "t.toml").unwrap().screen.night, None);
        let text = format!(
            "{MINIMAL}[screen.night]\nstart = \"22:30\"\nend = \"06:00\"\nbrightness_percent = 30\n"
        );
        let night = Config::parse(&text, "t.toml")
            .unwrap()
            .screen
            .night
            .unwrap();
        assert_eq!(
            (night.start.minutes(), night.end.minutes()),
            (22 * 60 + 30, 360)
        );
        let at_23 = chrono::DateTime::parse_from_rfc3339("2026-12-03T23:00:00+08:00").unwrap();
        assert_eq!(
            crate::kiosk::backlight::wanted(Some(&night), at_23.to_utc(), true, false).get(),
            30
        );
    }

    #[test]
    fn bad_night_hours_are_named_with_their_line() {
        let night = |body: &str| err(&format!("{MINIMAL}[screen.night]\n{body}"));
        let message = night("start = \"22:00\"\nend = \"6:00\"\nbrightness_percent = 30\n");
        assert!(message.starts_with("t.toml:8:7: "), "{message}");
        assert!(message.contains("'6:00' is not a time of day"), "{message}");
        let message = night("start = \"22:00\"\nend = \"06:00\"\nbrightness_percent = 5\n");
        assert!(message.starts_with("t.toml:9:22: "), "{message}");
        assert!(message.contains("between 10 and 100"), "{message}");
        let message = night("start = \"22:00\"\nend = \"06:00\"\n");
        assert!(message.contains("brightness_percent"), "{message}");
        let message = night("start = \"22:00\"\nend = \"22:00\"\nbrightness_percent = 30\n");
        assert!(message.contains("same time"), "{message}");
        let message = night("start = \"22:00\"\nend = \"06:00\"\nbrightness = 30\n");
        assert!(message.contains("brightness"), "{message}");
        let message = err(&format!("{MINIMAL}[screen]\ndim = true\n"));
        assert!(message.starts_with("t.toml:7:1: "), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn a_missing_station_section_is_an_error() {
        assert!(err("[kiosk]\nidle_seconds = 90\n").contains("station"));
    }

    #[test]
    fn an_unreadable_file_is_a_one_line_error() {
        let e = Config::load_file(Path::new("/nonexistent/waystation.toml")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read config /nonexistent/waystation.toml")
        );
    }

    #[test]
    fn data_dir_prefers_override_then_config_then_defaults() {
        let mut config = Config::demo();
        let file = ConfigSource::File(PathBuf::from(SYSTEM_CONFIG));
        assert_eq!(
            config.data_dir(&file, None),
            Some(PathBuf::from(SYSTEM_DATA_DIR))
        );
        config.store.data_dir = Some(PathBuf::from("/srv/ws"));
        assert_eq!(config.data_dir(&file, None), Some(PathBuf::from("/srv/ws")));
        assert_eq!(
            config.data_dir(&file, Some(Path::new("/tmp/x"))),
            Some(PathBuf::from("/tmp/x"))
        );
    }
}
