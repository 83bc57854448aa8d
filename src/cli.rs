//! The command line: the clap command tree and what each command does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Parser, Subcommand};
use slint::ComponentHandle;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigSource};
use crate::kiosk::Language;
use crate::screening::{Catalogue, score};
use crate::status::Status;
use crate::store::{NewRecord, RecordKind, RecordStamp, Store};
use crate::ui::screenshot::{self, Shot};

#[derive(Debug, Parser)]
#[command(
    name = "waystation",
    version,
    about = "Touchscreen kiosk for the rest stations of delivery riders, couriers and drivers"
)]
pub struct Cli {
    /// Configuration file [default: /etc/waystation/config.toml if present, else the built-in demo station]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory, overriding the config's (also WAYSTATION_DATA_DIR)
    #[arg(long, global = true, value_name = "DIR", env = "WAYSTATION_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kiosk (the default command)
    Run {
        /// Show a normal window instead of full screen
        #[arg(long)]
        windowed: bool,
        /// Window size in pixels, e.g. 800x480 (with --windowed)
        #[arg(long, value_name = "WxH", value_parser = parse_size)]
        size: Option<(u32, u32)>,
    },
    /// Render one screen to a PNG without a display
    Screenshot {
        /// Which screen (see `waystation screens`)
        #[arg(long, value_name = "NAME")]
        screen: String,
        /// Language: zh or en
        #[arg(long, default_value = "zh")]
        lang: Language,
        /// Size in pixels
        #[arg(long, value_name = "WxH", default_value = "800x480", value_parser = parse_size)]
        size: (u32, u32),
        /// Output PNG file
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Use the high-contrast (sunlight) palette
        #[arg(long)]
        high_contrast: bool,
    },
    /// List the screens `screenshot` can render
    Screens,
    /// Score a questionnaire from the command line, exactly as the kiosk does
    Assess {
        /// phq9, gad7, phq4 or who5
        instrument: String,
        /// Answers in the published item order, e.g. 0,1,2,3,0,1,2,3,0
        #[arg(long, value_name = "A,B,...")]
        answers: String,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Record a mood check-in, or show this station's week
    Mood {
        #[command(subcommand)]
        action: MoodAction,
    },
    /// Render a referral slip to a PNG preview and/or the exact ESC/POS bytes for a printer
    Slip {
        /// The demo slip for the demo station (the only kind the command line makes)
        #[arg(long, required = true)]
        demo: bool,
        /// A crisis slip: lines first and a safety plan to fill in
        #[arg(long)]
        crisis: bool,
        /// Printer width in dots: 384 (58 mm paper) or 576 (80 mm)
        #[arg(long, default_value = "384")]
        width: u32,
        /// Language: zh or en
        #[arg(long, default_value = "zh")]
        lang: Language,
        /// Write a PNG preview here
        #[arg(long, value_name = "OUT.png")]
        png: Option<PathBuf>,
        /// Write the ESC/POS job here
        #[arg(long, value_name = "OUT.bin")]
        escpos: Option<PathBuf>,
    },
    /// Ask the slip printer how it is, or print a test slip (for staff and the field team)
    Printer {
        #[command(subcommand)]
        action: PrinterAction,
    },
    /// The resource directory: list it for this station, and check, install or sign bundles
    Resources {
        #[command(subcommand)]
        action: ResourcesAction,
    },
    /// Show version, configuration, data directory, database and upload queue
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Work with configuration files
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum MoodAction {
    /// Record one check-in; prints its record id once it is durably committed
    Add {
        /// red, yellow, blue or green (high/unpleasant, high/pleasant, low/unpleasant, low/pleasant)
        #[arg(long)]
        quadrant: String,
        /// -2, -1, 1 or 2 (unpleasant to pleasant)
        #[arg(long, allow_hyphen_values = true)]
        pleasantness: i64,
        /// -2, -1, 1 or 2 (drained to full of energy)
        #[arg(long, allow_hyphen_values = true)]
        energy: i64,
        /// A word id of that quadrant, e.g. tired
        #[arg(long)]
        word: String,
        /// Tag ids, e.g. sleep,income
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
    },
    /// This station's last seven days as the kiosk shows them, small counts hidden
    Week {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrinterAction {
    /// Print the printer's status: ready, paper near end, paper out, cover open, offline or unknown
    Status,
    /// Print a test slip (the demo slip) and report what happened
    Test,
}

#[derive(Debug, Subcommand)]
pub enum ResourcesAction {
    /// The directory in the kiosk's order: lines in a crisis, topics, open now, nearest
    List {
        /// Rank from here instead of the station's location
        #[arg(long, value_name = "LAT,LON", value_parser = parse_location, allow_hyphen_values = true)]
        near: Option<(f64, f64)>,
        /// Rank for this moment instead of now (RFC 3339, e.g. 2026-11-28T10:00:00+08:00)
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Only entries that help with this topic
        #[arg(long, value_name = "T", value_parser = parse_topic)]
        topic: Option<crate::directory::Topic>,
        /// Rank as for someone in crisis (lines to call first)
        #[arg(long)]
        crisis: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Check a signed bundle against the configured public key (signature and content)
    Verify { file: PathBuf },
    /// Check and install a signed bundle (refuses bad signatures, rollbacks and expired bundles)
    Install { file: PathBuf },
    /// Sign a bundle (for the service centre)
    Sign {
        /// File holding the base64 secret key
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        input: PathBuf,
        output: PathBuf,
    },
    /// Make a signing key pair (for the service centre): writes the secret key, prints the public key
    Keygen {
        /// Where to write the secret key (created with mode 0600, never overwritten)
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
    },
}

fn parse_location(text: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = text
        .split_once(',')
        .ok_or_else(|| format!("'{text}' is not LAT,LON"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("'{lat}' is not a latitude"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| format!("'{lon}' is not a longitude"))?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("'{text}' is outside the globe"));
    }
    Ok((lat, lon))
}

fn parse_topic(text: &str) -> Result<crate::directory::Topic, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        format!("unknown topic '{text}' (emotional_distress, personal_development, family_relationships, crisis)")
    })
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Check a configuration file; exits non-zero with the field and line at fault
    Check { file: PathBuf },
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{text}' is not WxH, e.g. 800x480"))?;
    let w: u32 = w
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not WxH, e.g. 800x480"))?;
    let h: u32 = h
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not WxH, e.g. 800x480"))?;
    if w == 0 || h == 0 {
        return Err(format!("'{text}' has a zero side"));
    }
    Ok((w, h))
}

/// Parses the command line, runs the command, and turns any error into one line on stderr and
/// a non-zero exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, None | Some(Command::Run { .. })));
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("waystation: {}", failure.message.replace('\n', " "));
            ExitCode::from(failure.code)
        }
    }
}

/// A failed command: one line for stderr and the exit status. Status 2 means the input was
/// wrong (as clap does for bad arguments); 1 means the command could not do its work.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, code: 1 }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure {
            message: message.to_string(),
            code: 1,
        }
    }
}

fn bad_input(message: String) -> Failure {
    Failure { message, code: 2 }
}

fn init_logging(running_kiosk: bool) {
    let default = if running_kiosk { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None => Ok(run(
            cli.config.as_deref(),
            cli.data_dir.as_deref(),
            false,
            None,
        )?),
        Some(Command::Run { windowed, size }) => Ok(run(
            cli.config.as_deref(),
            cli.data_dir.as_deref(),
            windowed,
            size,
        )?),
        Some(Command::Screenshot {
            screen,
            lang,
            size,
            out,
            high_contrast,
        }) => {
            let shot = Shot::from_name(&screen).ok_or_else(|| {
                let names: Vec<&str> = Shot::all().iter().map(|(s, _)| s.name()).collect();
                format!("no screen named '{screen}' (one of: {})", names.join(", "))
            })?;
            let (mut config, _) =
                Config::locate(cli.config.as_deref()).map_err(|e| e.to_string())?;
            if high_contrast {
                config.kiosk.high_contrast = true;
            }
            let pixels = screenshot::render(config, shot, lang, size.0, size.1)
                .map_err(|e| e.to_string())?;
            Ok(screenshot::write_png(&out, &pixels, size.0, size.1).map_err(|e| e.to_string())?)
        }
        Some(Command::Screens) => {
            for (shot, what) in Shot::all() {
                println!("{:<10} {what}", shot.name());
            }
            Ok(())
        }
        Some(Command::Assess {
            instrument,
            answers,
            json,
        }) => assess(cli.config.as_deref(), &instrument, &answers, json),
        Some(Command::Mood { action }) => {
            mood(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Slip {
            demo: _,
            crisis,
            width,
            lang,
            png,
            escpos,
        }) => demo_slip(
            cli.config.as_deref(),
            crisis,
            width,
            lang,
            png.as_deref(),
            escpos.as_deref(),
        ),
        Some(Command::Printer { action }) => printer(cli.config.as_deref(), action),
        Some(Command::Resources { action }) => {
            resources(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Status { json }) => {
            let status = Status::gather(cli.config.as_deref(), cli.data_dir.as_deref())?;
            if json {
                let text = serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{}", status.to_text());
            }
            Ok(())
        }
        Some(Command::Config {
            action: ConfigAction::Check { file },
        }) => {
            let config = Config::load_file(&file).map_err(|e| e.to_string())?;
            let demo = if config.station.demo {
                " (a demo station)"
            } else {
                ""
            };
            println!(
                "{}: ok, station {}{demo}",
                file.display(),
                config.station.id.as_str()
            );
            Ok(())
        }
    }
}

fn run(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    windowed: bool,
    size: Option<(u32, u32)>,
) -> Result<(), String> {
    let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let dir = config
        .data_dir(&source, data_dir)
        .ok_or("no data directory: set --data-dir, WAYSTATION_DATA_DIR or store.data_dir")?;
    // The display first: a kiosk that cannot show anything must not log a start.
    select_backend()?;
    let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
    let clock: Rc<dyn Clock> = Rc::new(SystemClock::new());
    record_start(&mut store, &config, &source, clock.as_ref())?;
    tracing::info!(config = %source, data_dir = %dir.display(), "starting the kiosk");

    let printer = crate::printer::opener(&config.printer);
    let key = config
        .directory
        .public_key
        .as_deref()
        .and_then(|k| crate::directory::bundle::public_key(k).ok());
    let directory = crate::store::directory::active(Some(&dir), key.as_ref());
    if directory.expires
        < SystemClock::new()
            .read()
            .wall
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    {
        // Still served: an old directory is better than none. Staff see it in `status`.
        tracing::warn!(expires = %directory.expires, "the resource directory has expired; install a newer bundle");
    }
    let kiosk = crate::ui::init(crate::ui::KioskParts {
        config,
        store,
        clock,
        printer,
        directory,
    })
    .map_err(|e| e.to_string())?;
    let window = kiosk.window();
    if windowed {
        let (w, h) = size.unwrap_or((800, 480));
        window
            .window()
            .set_size(slint::LogicalSize::new(w as f32, h as f32));
    } else {
        window.window().set_fullscreen(true);
    }
    window.run().map_err(|e| format!("the UI stopped: {e}"))
}

/// `waystation assess`: the same catalogue, scoring and referral thresholds as the kiosk.
fn assess(config_file: Option<&Path>, id: &str, answers: &str, json: bool) -> Result<(), Failure> {
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let catalogue = Catalogue::builtin();
    let instrument = catalogue.get(id).ok_or_else(|| {
        bad_input(format!(
            "unknown instrument '{id}' (one of: {})",
            catalogue.ids().join(", ")
        ))
    })?;
    let values: Vec<u32> = answers
        .split(',')
        .map(|a| {
            a.trim()
                .parse::<u32>()
                .map_err(|_| bad_input(format!("answer '{}' is not a whole number", a.trim())))
        })
        .collect::<Result<_, _>>()?;
    let result = score(instrument, &values, config.screening.refer_at(instrument))
        .map_err(|e| bad_input(e.to_string()))?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&result).map_err(|e| e.to_string())?
        );
    } else {
        let mut line = format!("{}: total {}", result.instrument, result.total);
        if let Some(percent) = result.percent {
            line += &format!(" ({percent}%)");
        }
        line += &format!(", band {}", result.band);
        if let Some(subscales) = &result.subscales {
            let parts: Vec<String> = subscales.iter().map(|(k, v)| format!("{k} {v}")).collect();
            line += &format!(" ({})", parts.join(", "));
        }
        if result.crisis {
            line += ", CRISIS: show crisis help";
        }
        if result.refer {
            line += ", talk to a professional";
        }
        if !result.suggest.is_empty() {
            line += &format!(", suggests {}", result.suggest.join(" and "));
        }
        println!("{line}");
    }
    Ok(())
}

/// Opens the store the way `run` does (same config, same data directory rules).
fn open_store(config_file: Option<&Path>, data_dir: Option<&Path>) -> Result<Store, String> {
    let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let dir = config
        .data_dir(&source, data_dir)
        .ok_or("no data directory: set --data-dir, WAYSTATION_DATA_DIR or store.data_dir")?;
    Store::open(&dir).map_err(|e| e.to_string())
}

/// `waystation mood add` and `waystation mood week`.
fn mood(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: MoodAction,
) -> Result<(), Failure> {
    let vocabulary = crate::mood::Vocabulary::builtin();
    match action {
        MoodAction::Add {
            quadrant,
            pleasantness,
            energy,
            word,
            tags,
        } => {
            let q = crate::mood::Quadrant::from_id(&quadrant).ok_or_else(|| {
                bad_input(format!(
                    "unknown quadrant '{quadrant}' (red, yellow, blue or green)"
                ))
            })?;
            let check_in =
                crate::mood::CheckIn::new(&vocabulary, q, pleasantness, energy, &word, &tags)
                    .map_err(|e| bad_input(e.to_string()))?;
            let mut store = open_store(config_file, data_dir)?;
            let clock = SystemClock::new();
            let id = crate::store::mood::commit_check_in(
                &mut store,
                RecordStamp::now(&clock),
                &check_in,
                None,
            )
            .map_err(|e| e.to_string())?;
            println!("{id}");
            Ok(())
        }
        MoodAction::Week { json } => {
            let store = open_store(config_file, data_dir)?;
            let now = SystemClock::new().read().wall;
            let counts = crate::store::mood::week_counts(&store, now).map_err(|e| e.to_string())?;
            let week = crate::mood::week::station_week(&counts);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&week).map_err(|e| e.to_string())?
                );
                return Ok(());
            }
            let Some(total) = week.total else {
                println!(
                    "fewer than {} check-ins in the last seven days: nothing is shown",
                    crate::mood::week::MIN_SHOWN
                );
                return Ok(());
            };
            println!("{total} check-ins in the last seven days");
            for q in &week.quadrants {
                let label = vocabulary.quadrant_label(q.quadrant, crate::kiosk::Language::English);
                match q.percent {
                    Some(p) => println!("  {:<7} {label:<18} {p:>3}%", q.quadrant.id()),
                    None => println!("  {:<7} {label:<18} hidden", q.quadrant.id()),
                }
            }
            if let Some((word, n)) = &week.top_word {
                println!("most felt: {word} ({n})");
            }
            if !week.top_tags.is_empty() {
                let tags: Vec<String> = week
                    .top_tags
                    .iter()
                    .map(|(t, n)| format!("{t} ({n})"))
                    .collect();
                println!("weighing on many: {}", tags.join(", "));
            }
            Ok(())
        }
    }
}

/// `waystation slip --demo`: the slip for the configured (by default the demo) station, with a
/// fixed time and slip number so previews are comparable.
fn demo_slip(
    config_file: Option<&Path>,
    crisis: bool,
    width: u32,
    lang: Language,
    png: Option<&Path>,
    escpos: Option<&Path>,
) -> Result<(), Failure> {
    if !crate::slip::layout::WIDTHS.contains(&width) {
        return Err(bad_input(format!(
            "width {width} is not 384 (58 mm) or 576 (80 mm)"
        )));
    }
    if png.is_none() && escpos.is_none() {
        return Err(bad_input(
            "nothing to write: give --png OUT.png and/or --escpos OUT.bin".into(),
        ));
    }
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let slip = crate::slip::Slip::new(
        lang,
        config.station.name(lang),
        Some("2026-11-28 17:30".into()),
        crisis,
        &crate::kiosk::emergency::builtin(),
        "K7M2QX".into(),
    );
    let bitmap = crate::slip::layout::render(&slip, &crate::slip::SlipText::builtin(), width);
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|e| Failure::from(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(path) = png {
        let bytes = crate::slip::layout::to_png(&bitmap).map_err(|e| e.to_string())?;
        write(path, &bytes)?;
    }
    if let Some(path) = escpos {
        let job = crate::slip::escpos::encode(&bitmap);
        write(path, &job)?;
        println!(
            "{} bytes, {:.0} mm of paper, {}×{} dots",
            job.len(),
            crate::slip::layout::length_mm(&bitmap),
            bitmap.width(),
            bitmap.height()
        );
    }
    Ok(())
}

/// `waystation printer status|test`. Exits non-zero when the printer cannot be reached or the
/// test slip did not print.
fn printer(config_file: Option<&Path>, action: PrinterAction) -> Result<(), Failure> {
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let mut transport = crate::printer::open(&config.printer)
        .map_err(|e| {
            format!(
                "cannot open the printer ({:?}): {e}",
                config.printer.transport
            )
            .to_lowercase()
        })?
        .ok_or("no printer is configured (printer.transport = \"none\")")?;
    match action {
        PrinterAction::Status => {
            println!("{}", crate::printer::status(transport.as_mut()).name());
            Ok(())
        }
        PrinterAction::Test => {
            let lang = config.kiosk.default_language;
            let slip = crate::slip::Slip::new(
                lang,
                config.station.name(lang),
                crate::slip::printed_at(&SystemClock::new().read()),
                false,
                &crate::kiosk::emergency::builtin(),
                "TEST00".into(),
            );
            let image = crate::slip::layout::render(
                &slip,
                &crate::slip::SlipText::builtin(),
                config.printer.width.0,
            );
            match crate::printer::print(transport.as_mut(), &crate::slip::escpos::encode(&image)) {
                crate::printer::PrintOutcome::Printed { after } => {
                    println!(
                        "printed {:.0} mm; printer now {}",
                        crate::slip::layout::length_mm(&image),
                        after.name()
                    );
                    Ok(())
                }
                crate::printer::PrintOutcome::NotReady(s) => {
                    Err(format!("not printed: the printer reports {}", s.name()).into())
                }
                crate::printer::PrintOutcome::Failed(e) => Err(format!("not printed: {e}").into()),
                crate::printer::PrintOutcome::NoPrinter => Err("no printer is configured".into()),
            }
        }
    }
}

/// `waystation resources ...`.
fn resources(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: ResourcesAction,
) -> Result<(), Failure> {
    use crate::directory::bundle;
    use chrono_tz::Asia::Shanghai;
    let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let key = || -> Result<ed25519_dalek::VerifyingKey, Failure> {
        let text = config
            .directory
            .public_key
            .as_deref()
            .ok_or("no directory.public_key in the config: bundles cannot be checked")?;
        bundle::public_key(text).map_err(|e| Failure::from(e.to_string()))
    };
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::from(format!("cannot read {}: {e}", path.display())))
    };
    match action {
        ResourcesAction::List {
            near,
            at,
            topic,
            crisis,
            json,
        } => {
            let now = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .map_err(|e| bad_input(format!("--at '{text}': {e}")))?
                    .with_timezone(&Shanghai)
                    .naive_local(),
                None => chrono::Utc::now().with_timezone(&Shanghai).naive_local(),
            };
            let dir = config.data_dir(&source, data_dir);
            let key = config
                .directory
                .public_key
                .as_deref()
                .and_then(|k| bundle::public_key(k).ok());
            let active = crate::store::directory::active(dir.as_deref(), key.as_ref());
            let query = crate::directory::rank::Query {
                here: near.or(config.station.location()),
                now,
                crisis,
                topics: Vec::new(),
                only_topic: topic,
            };
            let ranked = crate::directory::rank::rank(&active, &query);
            if json {
                let rows: Vec<serde_json::Value> = ranked
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.entry.id,
                            "name": r.entry.name_zh,
                            "kind": r.entry.kind,
                            "phones": r.entry.phones,
                            "distance_m": r.distance_m.map(|d| d.round()),
                            "open_now": r.open.is_open(),
                            "example": r.entry.example,
                        })
                    })
                    .collect();
                let out = serde_json::json!({ "version": active.version, "expires": active.expires, "at": now, "entries": rows });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
                );
            } else {
                println!(
                    "directory version {} (expires {}), at {}",
                    active.version,
                    active.expires,
                    now.format("%Y-%m-%d %H:%M")
                );
                for r in ranked {
                    let distance = r
                        .distance_m
                        .map_or(String::new(), |d| format!("{:.1} km", d / 1000.0));
                    let open = match &r.open {
                        crate::directory::rank::OpenNow::Always => "24 h".to_string(),
                        crate::directory::rank::OpenNow::Open { .. } => "open".to_string(),
                        crate::directory::rank::OpenNow::Closed { opens: Some(t) } => {
                            format!("opens {}", t.format("%a %H:%M"))
                        }
                        crate::directory::rank::OpenNow::Closed { opens: None } => {
                            "closed".to_string()
                        }
                        crate::directory::rank::OpenNow::Unknown => String::new(),
                    };
                    let example = if r.entry.example { " [example]" } else { "" };
                    println!(
                        "  {:<26} {:<14} {:>8} {:<14} {}{example}",
                        r.entry.id,
                        r.entry.phones.join(" "),
                        distance,
                        open,
                        r.entry.name_en
                    );
                }
            }
            Ok(())
        }
        ResourcesAction::Verify { file } => {
            let bundle =
                bundle::verify_signature(&read(&file)?, &key()?).map_err(|e| e.to_string())?;
            println!(
                "{}: good signature, version {}, {} entries, expires {}",
                file.display(),
                bundle.version,
                bundle.entries.len(),
                bundle.expires
            );
            Ok(())
        }
        ResourcesAction::Install { file } => {
            let dir = config
                .data_dir(&source, data_dir)
                .ok_or("no data directory: set --data-dir")?;
            let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
            let now = chrono::Utc::now();
            let today = now.with_timezone(&Shanghai).date_naive();
            let bundle = crate::store::directory::install(
                &mut store,
                &dir,
                &read(&file)?,
                &key()?,
                today,
                now.timestamp_millis(),
            )
            .map_err(|e| format!("not installed: {e}"))?;
            println!(
                "installed directory version {} ({} entries, expires {})",
                bundle.version,
                bundle.entries.len(),
                bundle.expires
            );
            Ok(())
        }
        ResourcesAction::Sign { key, input, output } => {
            let secret = bundle::secret_key(&read(&key)?).map_err(|e| e.to_string())?;
            let signed =
                bundle::sign(&read(&input)?, &secret).map_err(|e| format!("not signed: {e}"))?;
            std::fs::write(&output, signed)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            println!("signed {} into {}", input.display(), output.display());
            Ok(())
        }
        ResourcesAction::Keygen { secret } => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut random = [0u8; 32];
            getrandom::fill(&mut random).map_err(|e| format!("no randomness: {e}"))?;
            let (secret_text, public_text) = bundle::keygen(random);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&secret)
                .map_err(|e| format!("cannot create {}: {e}", secret.display()))?;
            writeln!(file, "{secret_text}").map_err(|e| e.to_string())?;
            println!("{public_text}");
            Ok(())
        }
    }
}

/// Writes the `kiosk_started` record, so the service centre sees which version runs where.
fn record_start(
    store: &mut Store,
    config: &Config,
    source: &ConfigSource,
    clock: &dyn Clock,
) -> Result<(), String> {
    let record = NewRecord {
        kind: RecordKind::KioskStarted,
        stamp: RecordStamp::now(clock),
        payload: serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "station": config.station.id.as_str(),
            "demo": config.station.demo,
            "config": if *source == ConfigSource::EmbeddedDemo { "demo" } else { "file" },
        }),
    };
    store
        .commit_record(&record, |_| Ok(()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Picks the Slint backend. `SLINT_BACKEND` in the environment wins; otherwise the Pi build
/// (feature `kms`) draws straight to the display when no desktop session is around, and
/// everything else opens a winit window. The software renderer always: it needs no GPU driver.
fn select_backend() -> Result<(), String> {
    if std::env::var_os("SLINT_BACKEND").is_some() {
        return Ok(());
    }
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let backend = if cfg!(feature = "kms") && !desktop {
        "linuxkms"
    } else {
        "winit"
    };
    if backend == "winit" && !desktop {
        return Err("no display: set DISPLAY or WAYLAND_DISPLAY, build with --features kms for the Pi's screen, or use `waystation screenshot`".into());
    }
    slint::BackendSelector::new()
        .backend_name(backend.into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| format!("cannot start the {backend} display backend: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!(parse_size("800x480"), Ok((800, 480)));
        assert_eq!(parse_size("1280X800"), Ok((1280, 800)));
        assert!(parse_size("800").unwrap_err().contains("WxH"));
        assert!(parse_size("0x480").unwrap_err().contains("zero"));
        assert!(parse_size("axb").is_err());
    }

    #[test]
    fn the_command_tree_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
