//! The command line: the clap command tree, dispatch, and the one-line error at exit. Each
//! command's work is in the file named for it (`kiosk.rs` for `run`).

/// `print!` for commands: what they print goes through `write_out`, so that a reader that went
/// away ends the command quietly instead of panicking. Defined before the command modules so
/// that they can all use it.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}

/// `println!` for commands, through `write_out` (see `out!`).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod assess;
mod health;
pub(crate) mod kiosk;
mod mood;
mod privacy;
mod provision;
mod remote_help;
mod resources;
mod slip;
mod staff;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::kiosk::Language;
use crate::status::Status;
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
    /// Upload the queue to the hub in the foreground (the kiosk does this on its own thread)
    Sync {
        /// Stop when the queue is empty (exit 0) or the hub cannot be reached (exit 3)
        #[arg(long)]
        once: bool,
    },
    /// The upload queue: counts, records, retrying a set-aside record, export to a USB stick
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// The station PIN for staff mode, and the field team's unlock after too many wrong PINs
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Record a restock from a shell: a new paper roll, or brochures by kind and count
    Restock {
        #[command(subcommand)]
        action: RestockAction,
    },
    /// This kiosk's device id and public key, for registering it at the hub
    Device {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print the data inventory as Markdown: what is kept, for how long, what leaves the kiosk
    Privacy,
    /// Root's side of the kiosk's health: boot reason, starts and crash loops (systemd units;
    /// the data folder is --data-dir, else /var/lib/waystation)
    Health {
        #[command(subcommand)]
        action: health::HealthAction,
    },
    /// The out of service screen, with the emergency lines, shown when the kiosk keeps failing;
    /// reads no config and no database, and ends (status 0) when the kiosk should be tried again
    OutOfService {
        /// Show a normal window instead of full screen
        #[arg(long)]
        windowed: bool,
        /// Window size in pixels, e.g. 800x480 (with --windowed)
        #[arg(long, value_name = "WxH", value_parser = parse_size)]
        size: Option<(u32, u32)>,
    },
    /// Work with configuration files
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Remote help for the field team (docs/remote-help.md): what root's side runs
    RemoteHelp {
        #[command(subcommand)]
        action: RemoteHelpAction,
    },
    /// Install a station's waystation-provision.toml as this kiosk's config, create the device
    /// key and print it for registering at the hub (docs/deploy.md)
    Provision {
        /// The provision file (the config plus a [secrets] section: the PIN's hash, the Wi-Fi passphrase)
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Where config.toml goes (written behind it when it is a symbolic link)
        #[arg(long, value_name = "DIR", default_value = "/etc/waystation")]
        etc: PathBuf,
        /// Remove the provision file once it is applied and the result written (the image's
        /// boot service does: the card keeps no settings or secrets to apply again)
        #[arg(long)]
        remove_after: bool,
        /// Also write the device id and public key to this file (e.g. on the boot partition)
        #[arg(long, value_name = "FILE")]
        device_info: Option<PathBuf>,
        /// Write how it went to this file: "ok" and the report, or "error" and the error
        /// (e.g. on the boot partition, for a field team without a laptop)
        #[arg(long, value_name = "FILE")]
        result: Option<PathBuf>,
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
pub enum StaffAction {
    /// Set the station PIN: typed on standard input, stored only as an Argon2id hash
    SetPin {
        /// Store this Argon2id PHC hash instead of reading a PIN (for provisioning)
        #[arg(long, value_name = "PHC")]
        hash: Option<String>,
    },
    /// Clear the wrong-PIN lock (for the field team)
    Unlock,
    /// Print the Argon2id hash of a PIN typed on standard input, for a provision file
    HashPin,
}

#[derive(Debug, Subcommand)]
pub enum RestockAction {
    /// A new paper roll went in
    Paper,
    /// Brochures were added to the rack
    Brochure {
        /// The kind, as named in the config's [[staff.brochures]]
        kind: String,
        /// How many were added
        count: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Records per state, the oldest waiting, the last upload and any warning
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// The records in sequence order (never their contents)
    List {
        /// Only records in this state: pending, in_flight, acked or quarantined
        #[arg(long)]
        state: Option<String>,
        /// At most this many
        #[arg(long, default_value = "100")]
        limit: usize,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Put a record the hub refused back in the queue
    Retry { id: String },
    /// Write the waiting sealed records to a folder (a USB stick) for `waystation-hub import`
    Export {
        dir: PathBuf,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// The same onto a USB stick on the deployment image: asks root to mount the stick (put it
    /// in within two minutes), writes the files in its waystation-export folder, and waits
    /// until root has unmounted it
    ExportUsb {
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
pub enum RemoteHelpAction {
    /// Check the kiosk's request file, write root's known_hosts for the jump host, and print
    /// the tunnel's end (seconds since the epoch) and then ssh's arguments, one a line (run by
    /// the image's waystation-remote-help, as root)
    Plan {
        /// The request file (remote-help/request in the data folder)
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// Root's private key for the tunnel
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// Where to write the known_hosts file holding the jump host's key alone
        #[arg(long, value_name = "FILE")]
        known_hosts: PathBuf,
    },
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
    init_logging(matches!(
        cli.command,
        None | Some(Command::Run { .. })
            | Some(Command::Sync { once: false })
            | Some(Command::Health { .. })
            | Some(Command::OutOfService { .. })
    ));
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.is_output_closed() => ExitCode::SUCCESS,
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

impl Failure {
    /// Standard output was closed by its reader (`waystation resources list | head -1`). The
    /// command stops there, quietly and with status 0: the reader took what it wanted, as
    /// with ripgrep. Status 0 is what marks it; every other failure has a non-zero status.
    fn output_closed() -> Failure {
        Failure {
            message: String::new(),
            code: 0,
        }
    }

    fn is_output_closed(&self) -> bool {
        self.code == 0
    }
}

/// Writes to standard output and flushes, so that a closed pipe is noticed at the write that
/// met it, not when the process exits. Rust ignores SIGPIPE, so a write to a pipe nobody reads
/// fails with `BrokenPipe`, which `print!` turns into a panic. Every command prints through
/// here (`out!`, `outln!`): a closed pipe becomes `Failure::output_closed`, which unwinds the
/// command through `?` (closing its database as usual); any other write error is a failure.
/// Restoring SIGPIPE's default instead would kill the process in the middle of whatever it
/// was doing, with status 141, and would also kill `waystation run` if any pipe it writes to
/// closed.
fn write_out(text: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::output_closed(),
            _ => Failure::from(format!("cannot write to standard output: {e}")),
        })
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

/// A stamp for a record a command makes now: the system's clocks and randomness.
fn stamp_now() -> Result<crate::store::RecordStamp, String> {
    let clock = crate::clock::SystemClock::new();
    crate::store::RecordStamp::now(&clock, &crate::entropy::SystemEntropy)
        .map_err(|e| e.to_string())
}

fn bad_input(message: String) -> Failure {
    Failure { message, code: 2 }
}

/// Log lines go to standard error (the journal, under systemd). `RUST_LOG` takes the simple
/// form `level` or `target=level,...` (for example `waystation=debug,warn`). The simple form
/// is all a kiosk needs, and `EnvFilter`'s full syntax would bring in a regular-expression
/// engine of about 330 KiB of code (docs/benchmarks.md, "Binary size").
fn init_logging(running_kiosk: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = if running_kiosk {
        LevelFilter::INFO
    } else {
        LevelFilter::WARN
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(LevelFilter::TRACE)
        .finish()
        .with(filter)
        .try_init();
}

// Long on purpose: one match arm per command is the command table; each arm only hands its
// arguments to the function that does the work, and splitting the table would scatter it.
fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None => Ok(kiosk::run(
            cli.config.as_deref(),
            cli.data_dir.as_deref(),
            false,
            None,
        )?),
        Some(Command::Run { windowed, size }) => Ok(kiosk::run(
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
        }) => screenshot_command(
            cli.config.as_deref(),
            &screen,
            lang,
            size,
            &out,
            high_contrast,
        ),
        Some(Command::Screens) => {
            for (shot, what) in Shot::all() {
                outln!("{:<10} {what}", shot.name())?;
            }
            Ok(())
        }
        Some(Command::Assess {
            instrument,
            answers,
            json,
        }) => assess::assess(cli.config.as_deref(), &instrument, &answers, json),
        Some(Command::Mood { action }) => {
            mood::mood(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Slip {
            demo: _,
            crisis,
            width,
            lang,
            png,
            escpos,
        }) => slip::demo_slip(
            cli.config.as_deref(),
            crisis,
            width,
            lang,
            png.as_deref(),
            escpos.as_deref(),
        ),
        Some(Command::Printer { action }) => slip::printer(cli.config.as_deref(), action),
        Some(Command::Resources { action }) => {
            resources::resources(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::RemoteHelp {
            action:
                RemoteHelpAction::Plan {
                    request,
                    identity,
                    known_hosts,
                },
        }) => remote_help::plan(&request, &identity, &known_hosts),
        Some(Command::Status { json }) => {
            status_command(cli.config.as_deref(), cli.data_dir.as_deref(), json)
        }
        Some(Command::Sync { once }) => {
            sync::sync(cli.config.as_deref(), cli.data_dir.as_deref(), once)
        }
        Some(Command::Queue { action }) => {
            sync::queue(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Staff { action }) => {
            staff::staff(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Restock { action }) => {
            staff::restock(cli.config.as_deref(), cli.data_dir.as_deref(), action)
        }
        Some(Command::Device { json }) => {
            sync::device(cli.config.as_deref(), cli.data_dir.as_deref(), json)
        }
        Some(Command::Provision {
            from,
            etc,
            remove_after,
            device_info,
            result,
        }) => provision::provision(provision::Request {
            from: &from,
            etc: &etc,
            data_dir: cli.data_dir.as_deref(),
            remove_after,
            device_info: device_info.as_deref(),
            result: result.as_deref(),
        }),
        Some(Command::Privacy) => privacy::privacy(),
        Some(Command::Health { action }) => health::health(cli.data_dir.as_deref(), action),
        Some(Command::OutOfService { windowed, size }) => {
            Ok(crate::ui::out_of_service::run(crate::ui::Display {
                windowed,
                size,
            })?)
        }
        Some(Command::Config {
            action: ConfigAction::Check { file },
        }) => config_check(&file),
    }
}

/// `waystation screenshot`: one screen rendered headless to a PNG file.
fn screenshot_command(
    config: Option<&std::path::Path>,
    screen: &str,
    lang: Language,
    size: (u32, u32),
    out: &std::path::Path,
    high_contrast: bool,
) -> Result<(), Failure> {
    let shot = Shot::from_name(screen).ok_or_else(|| {
        let names: Vec<&str> = Shot::all().iter().map(|(s, _)| s.name()).collect();
        format!("no screen named '{screen}' (one of: {})", names.join(", "))
    })?;
    let (mut config, _) = Config::locate(config).map_err(|e| e.to_string())?;
    if high_contrast {
        config.kiosk.high_contrast = true;
    }
    let pixels =
        screenshot::render(config, shot, lang, size.0, size.1).map_err(|e| e.to_string())?;
    Ok(screenshot::write_png(out, &pixels, size.0, size.1).map_err(|e| e.to_string())?)
}

/// `waystation status`: the kiosk's state as text or JSON.
fn status_command(
    config: Option<&std::path::Path>,
    data_dir: Option<&std::path::Path>,
    json: bool,
) -> Result<(), Failure> {
    let clock = crate::clock::Clock::read(&crate::clock::SystemClock::new());
    let status = Status::gather(config, data_dir, &clock)?;
    if json {
        let text = serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?;
        outln!("{text}")?;
    } else {
        out!("{}", status.to_text())?;
    }
    Ok(())
}

/// `waystation config check`: whether a config file loads, and which station it names.
fn config_check(file: &std::path::Path) -> Result<(), Failure> {
    let config = Config::load_file(file).map_err(|e| e.to_string())?;
    let demo = if config.station.demo {
        " (a demo station)"
    } else {
        ""
    };
    outln!(
        "{}: ok, station {}{demo}",
        file.display(),
        config.station.id.as_str()
    )?;
    Ok(())
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
