//! `waystation-hub`: the command line of the service centre's hub.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `println!` for commands, through `write_out`, so that a reader that went away ends the
/// command quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}
use waystation_hub::{Alert, HubError, KindCount, Place, WebhookFormat};
use waystation_protocol::Metric;

#[derive(Parser)]
#[command(
    name = "waystation-hub",
    version,
    about = "The service centre's hub: receives records from Waystation kiosks, serves them the resource bundle and passes workers' calls for staff on to a webhook"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Data {
    /// The hub's data folder (hub.db, centre.key, centre.pub, bundle.json)
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Keep the database and the bundle in PostgreSQL instead of hub.db, e.g.
    /// postgres://waystation@localhost/waystation (a password is better given in the
    /// environment variable than on the command line, where `ps` shows it)
    #[arg(
        long,
        value_name = "URL",
        env = "WAYSTATION_HUB_DATABASE",
        hide_env_values = true
    )]
    database: Option<String>,
}

impl Data {
    fn place(&self) -> Place {
        Place {
            dir: self.data.clone(),
            database: self.database.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Make a new current centre key and print its public key for kiosk configs (earlier keys are kept)
    Keygen {
        #[command(flatten)]
        data: Data,
    },
    /// The centre keys the hub holds
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Register kiosks and list them
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Receive batches over HTTP until Ctrl-C or SIGTERM
    Serve {
        #[command(flatten)]
        data: Data,
        /// Address and port to listen on; put a TLS-terminating proxy in front in production
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
    },
    /// Look at the stored records
    #[command(subcommand)]
    Records(RecordsCommand),
    /// The stations' day summaries: one line each with its days, visits and a few totals
    Summaries {
        #[command(flatten)]
        data: Data,
        /// Print every summary in full (all its counts) as JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Import every export file (*.json) in a folder, as from a kiosk's USB stick
    Import {
        #[command(flatten)]
        data: Data,
        /// The folder holding the export files
        folder: PathBuf,
    },
    /// Set the signed resource bundle the kiosks download
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Image updates: add RAUC bundles, roll them out to all kiosks, a district or named kiosks
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Remote help for the field team: one kiosk connects out to the centre's jump host for a
    /// bounded time (docs/remote-help.md)
    #[command(subcommand)]
    RemoteHelp(RemoteHelpCommand),
    /// Where workers' calls for station staff are passed on, and what became of them
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Fill a fresh hub with marked example kiosks and 13 weeks of their summaries, to try the dashboard
    DemoData {
        #[command(flatten)]
        data: Data,
    },
    /// The centre's staff accounts for the dashboard
    #[command(subcommand)]
    Users(UsersCommand),
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add an account; its password is read from standard input (one line, 12 characters or more)
    Add {
        #[command(flatten)]
        data: Data,
        /// The name to sign in with: letters (any script), digits, '.', '_' or '-'
        name: String,
        /// viewer: the figures; operator: also the fleet and its alerts; admin: also accounts and the directory
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove an account; it is signed out at once (the last admin cannot be removed)
    Remove {
        #[command(flatten)]
        data: Data,
        /// The account's name, as `users list` shows it
        name: String,
    },
    /// List the accounts and their roles (never a password)
    List {
        #[command(flatten)]
        data: Data,
    },
    /// The newest lines of the audit log: sign-ins, exports and changes
    Audit {
        #[command(flatten)]
        data: Data,
        /// How many lines
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Viewer,
    Operator,
    Admin,
}

impl From<RoleArg> for waystation_hub::users::Role {
    fn from(role: RoleArg) -> Self {
        use waystation_hub::users::Role;
        match role {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Post every alert to URL from now on (a running server uses it for the next alert)
    SetWebhook {
        #[command(flatten)]
        data: Data,
        /// An http:// or https:// address, e.g. a WeCom group robot's webhook
        url: String,
        /// The body posted: plain JSON (station, kind, time) or a WeCom group robot message
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Stop posting alerts (they are still stored, and kiosks are told "not forwarded")
    ClearWebhook {
        #[command(flatten)]
        data: Data,
    },
    /// The webhook (its key hidden) and the latest alerts with what became of them
    Show {
        #[command(flatten)]
        data: Data,
        /// How many alerts to list
        #[arg(long, default_value_t = 20)]
        last: usize,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Post again every alert of the last day that was not passed on
    Retry {
        #[command(flatten)]
        data: Data,
    },
    /// Look over the fleet once for problems that raise alerts (the running hub does this
    /// every 5 minutes)
    Watch {
        #[command(flatten)]
        data: Data,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Wecom,
}

impl From<Format> for WebhookFormat {
    fn from(format: Format) -> WebhookFormat {
        match format {
            Format::Json => WebhookFormat::Json,
            Format::Wecom => WebhookFormat::Wecom,
        }
    }
}

#[derive(Subcommand)]
enum DevicesCommand {
    /// Register a kiosk by its public key and print its device id
    Add {
        #[command(flatten)]
        data: Data,
        /// The kiosk's public key, base64 (shown by the kiosk)
        #[arg(long, value_name = "B64")]
        key: String,
        /// The station the kiosk stands in
        #[arg(long, value_name = "ID")]
        station: Option<String>,
        /// The station's district, e.g. 静安区 (the figures are also shown by district)
        #[arg(long, value_name = "NAME")]
        district: Option<String>,
        /// The kind of station, e.g. 暖新驿站 (shown by kind within each district)
        #[arg(long = "kind", value_name = "NAME")]
        station_kind: Option<String>,
        /// Anything the field team wants to remember about it
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Refuse a kiosk's key from now on (a lost or stolen kiosk); its stored records are kept
    Revoke {
        #[command(flatten)]
        data: Data,
        /// The device id, as `devices list` shows it
        #[arg(value_name = "ID")]
        device_id: String,
    },
    /// List the registered kiosks
    List {
        #[command(flatten)]
        data: Data,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List every centre key: its id, whether kiosks should seal to it now, its public key
    List {
        #[command(flatten)]
        data: Data,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Unique records per kind and device
    Count {
        #[command(flatten)]
        data: Data,
        /// Print a JSON array of {device_id, kind, records} instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UpdateCommand {
    /// Copy an image bundle (*.raucb) into the hub as VERSION, with its SHA-256 and size
    Add {
        #[command(flatten)]
        data: Data,
        /// The bundle file
        file: PathBuf,
        /// Its image version, as the kiosk's /etc/waystation-image-release names it
        #[arg(long)]
        version: String,
    },
    /// Make VERSION the image that all kiosks, a district's or the named ones should run
    #[command(group(clap::ArgGroup::new("scope").required(true).args(["all", "district", "kiosk"])))]
    Rollout {
        #[command(flatten)]
        data: Data,
        /// A version added with `update add`
        version: String,
        /// Every kiosk
        #[arg(long)]
        all: bool,
        /// The kiosks registered in this district (as `devices add --district` gave it)
        #[arg(long, value_name = "NAME")]
        district: Option<String>,
        /// This kiosk (a device id); give --kiosk again for more
        #[arg(long, value_name = "ID")]
        kiosk: Vec<String>,
    },
    /// The images the hub holds and the rollouts made, oldest first
    List {
        #[command(flatten)]
        data: Data,
        /// As JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RemoteHelpCommand {
    /// Switch remote help on for KIOSK (a device id) for --minutes (at most 480); switching it
    /// on again replaces the time
    On {
        #[command(flatten)]
        data: Data,
        /// The kiosk's device id
        kiosk: String,
        /// For how long, in minutes (1 to 480); it ends by itself after
        #[arg(long, value_parser = clap::value_parser!(u32))]
        minutes: u32,
    },
    /// Switch remote help off for KIOSK now
    Off {
        #[command(flatten)]
        data: Data,
        /// The kiosk's device id
        kiosk: String,
    },
    /// The kiosks remote help is on for, until when, who switched it on and their tunnel
    List {
        #[command(flatten)]
        data: Data,
        /// As JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Serve FILE (a signed bundle) from now on, replacing the one served before
    Set {
        #[command(flatten)]
        data: Data,
        file: PathBuf,
    },
}

/// How a command ended when it did not fail outright.
enum Done {
    Ok,
    /// The command did what it could, but some of its input was refused (exit 2).
    SomeRefused,
}

/// Why a command stopped before it was done.
enum Stop {
    Failed(HubError),
    /// Standard output was closed by its reader (`waystation-hub keys list | head -1`): the
    /// command stops there, quietly and with status 0, as ripgrep does.
    OutputClosed,
}

impl From<HubError> for Stop {
    fn from(e: HubError) -> Stop {
        Stop::Failed(e)
    }
}

/// Writes to standard output and flushes, so that a closed pipe is noticed at the write that
/// met it. Rust ignores SIGPIPE, so a write to a pipe nobody reads fails with `BrokenPipe`,
/// which `print!` turns into a panic; here it becomes `Stop::OutputClosed`, which unwinds the
/// command through `?`. Restoring SIGPIPE's default instead would kill the process mid-work
/// with status 141, and could kill `serve` too.
fn write_out(text: std::fmt::Arguments<'_>) -> Result<(), Stop> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::BrokenPipe => Stop::OutputClosed,
            _ => Stop::Failed(HubError::Io {
                action: "write to",
                path: "standard output".into(),
                source,
            }),
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server reports every request; the other commands only what went wrong, so that
    // their own output stays readable. RUST_LOG overrides either.
    let level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in journald or a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli.command) {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::SomeRefused) => ExitCode::from(2),
        Err(Stop::OutputClosed) => ExitCode::SUCCESS,
        Err(Stop::Failed(e)) => {
            eprintln!("waystation-hub: {e}");
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<Done, Stop> {
    match command {
        Command::Keygen { data } => {
            let public = waystation_hub::keygen(&data.data)?;
            let keys = waystation_hub::keys(&data.data)?;
            outln!("{public}")?;
            outln!(
                "The public key is in {} for kiosk configs; the secret key is in {} (mode 0600): back it up offline, records cannot be read without it.",
                data.data.join(waystation_hub::PUB_FILE).display(),
                data.data.join(waystation_hub::KEY_FILE).display(),
            )?;
            if keys.len() > 1 {
                outln!(
                    "Records sealed to the {} earlier key(s) in {} still open: keep them and back them up too.",
                    keys.len() - 1,
                    data.data.join(waystation_hub::OLD_KEYS_DIR).display(),
                )?;
            }
        }
        Command::Keys(KeysCommand::List { data, json }) => {
            let keys = waystation_hub::keys(&data.data)?;
            if json {
                print_json(&keys)?;
            } else {
                let rows: Vec<[String; 3]> = keys
                    .into_iter()
                    .map(|k| {
                        let status = if k.current { "current" } else { "old" };
                        [k.key_id, status.into(), k.public_key]
                    })
                    .collect();
                print_table(["KEY ID", "STATUS", "PUBLIC KEY"], &rows)?;
            }
        }
        Command::Devices(DevicesCommand::Revoke { data, device_id }) => {
            let at = waystation_hub::revoke_device(data.place(), &device_id)?;
            outln!(
                "{} revoked since {}: the hub refuses its batches, imports and bundle fetches; its stored records are kept",
                device_id.trim(),
                waystation_hub::day_of(at)
            )?;
        }
        Command::Devices(DevicesCommand::Add {
            data,
            key,
            station,
            district,
            station_kind,
            note,
        }) => {
            let placed = waystation_hub::Registration {
                station: station.as_deref(),
                district: district.as_deref(),
                station_kind: station_kind.as_deref(),
                note: note.as_deref(),
            };
            let id = waystation_hub::register(data.place(), &key, &placed)?;
            outln!("{id}")?;
        }
        Command::Devices(DevicesCommand::List { data, json }) => {
            let devices = waystation_hub::devices(data.place())?;
            if json {
                print_json(&devices)?;
            } else if devices.is_empty() {
                outln!("no devices registered")?;
            } else {
                let rows: Vec<[String; 6]> = devices
                    .into_iter()
                    .map(|d| {
                        let status = match d.revoked_ms {
                            Some(at) => format!("revoked {}", waystation_hub::day_of(at)),
                            None => "active".into(),
                        };
                        [
                            d.device_id,
                            status,
                            d.station.unwrap_or_default(),
                            d.district.unwrap_or_default(),
                            d.station_kind.unwrap_or_default(),
                            d.note.unwrap_or_default(),
                        ]
                    })
                    .collect();
                print_table(
                    ["DEVICE", "STATUS", "STATION", "DISTRICT", "KIND", "NOTE"],
                    &rows,
                )?;
            }
        }
        Command::Serve { data, listen } => {
            waystation_hub::serve(&data.place(), listen)?;
        }
        Command::Records(RecordsCommand::Count { data, json }) => {
            let counts = waystation_hub::counts(data.place())?;
            if json {
                print_json(&counts)?;
            } else {
                print_counts(&counts)?;
            }
        }
        Command::Summaries { data, json } => print_summaries(data.place(), json)?,
        Command::Import { data, folder } => return import(data.place(), &folder),
        Command::Bundle(BundleCommand::Set { data, file }) => {
            let etag = waystation_hub::set_bundle(data.place(), &file)?;
            outln!("serving {} as the bundle, ETag {etag}", file.display())?;
        }
        Command::Update(command) => update(command)?,
        Command::RemoteHelp(command) => remote_help(command)?,
        Command::Alerts(command) => return alerts(command),
        Command::Users(command) => users(command)?,
        Command::DemoData { data } => {
            let filled = waystation_hub::demo_data(data.place())?;
            outln!(
                "example data: {} kiosks and {} day summaries, all marked 示例 demo; start the hub with `waystation-hub serve --data {}`",
                filled.devices,
                filled.summaries,
                data.data.display()
            )?;
        }
    }
    Ok(Done::Ok)
}

fn update(command: UpdateCommand) -> Result<(), Stop> {
    use waystation_hub::Scope;
    match command {
        UpdateCommand::Add {
            data,
            file,
            version,
        } => {
            let image = waystation_hub::add_image(data.place(), &file, &version)?;
            outln!(
                "added image {} ({} bytes, SHA-256 {}); roll it out with `waystation-hub update rollout {}`",
                image.version,
                image.size,
                image.sha256,
                image.version
            )?;
        }
        UpdateCommand::Rollout {
            data,
            version,
            all,
            district,
            kiosk,
        } => {
            let scopes: Vec<Scope> = if all {
                vec![Scope::All]
            } else if let Some(district) = district {
                vec![Scope::District(district)]
            } else {
                kiosk.into_iter().map(Scope::Kiosk).collect()
            };
            waystation_hub::rollout(data.place(), &version, &scopes)?;
            outln!(
                "{version} rolled out to {}; kiosks download it at their next check and install it when idle",
                scope_words(&scopes)
            )?;
        }
        UpdateCommand::List { data, json } => {
            let images = waystation_hub::images(data.place())?;
            let rollouts = waystation_hub::rollouts(data.place())?;
            if json {
                print_json(&serde_json::json!({ "images": images, "rollouts": rollouts }))?;
                return Ok(());
            }
            let rows: Vec<[String; 4]> = images
                .iter()
                .map(|i| {
                    [
                        i.version.clone(),
                        i.size.to_string(),
                        i.sha256.clone(),
                        waystation_hub::day_of(i.added_ms),
                    ]
                })
                .collect();
            print_table(["VERSION", "BYTES", "SHA-256", "ADDED"], &rows)?;
            outln!("")?;
            let rows: Vec<[String; 3]> = rollouts
                .iter()
                .map(|r| {
                    [
                        r.version.clone(),
                        scope_words(std::slice::from_ref(&r.scope)),
                        waystation_hub::day_of(r.created_ms),
                    ]
                })
                .collect();
            print_table(["ROLLED OUT", "TO", "AT"], &rows)?;
        }
    }
    Ok(())
}

fn remote_help(command: RemoteHelpCommand) -> Result<(), Stop> {
    let minute = |ms: i64| waystation_hub::station_time::minute(ms).unwrap_or_default();
    match command {
        RemoteHelpCommand::On {
            data,
            kiosk,
            minutes,
        } => {
            let help = waystation_hub::remote_help_on(data.place(), &kiosk, minutes)?;
            outln!(
                "remote help on for {} until {} (Shanghai); the kiosk connects to the jump host at its next check, within {} minutes",
                help.device_id,
                minute(help.until_ms),
                waystation_protocol::remote_help::CHECK_MINUTES
            )?;
        }
        RemoteHelpCommand::Off { data, kiosk } => {
            if waystation_hub::remote_help_off(data.place(), &kiosk)? {
                outln!(
                    "remote help off for {kiosk}; the kiosk closes its tunnel at its next check"
                )?;
            } else {
                outln!("remote help was not on for {kiosk}")?;
            }
        }
        RemoteHelpCommand::List { data, json } => {
            let list = waystation_hub::remote_help_list(data.place())?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|(help, side)| serde_json::json!({ "help": help, "kiosk": side }))
                    .collect();
                return print_json(&serde_json::json!(rows));
            }
            let rows: Vec<[String; 4]> = list
                .iter()
                .map(|(help, side)| {
                    [
                        help.device_id.clone(),
                        minute(help.until_ms),
                        help.granted_by.clone(),
                        side.tunnel.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            print_table(["KIOSK", "UNTIL (SHANGHAI)", "BY", "TUNNEL"], &rows)?;
        }
    }
    Ok(())
}

/// A rollout's scopes in words, for the command's lines.
fn scope_words(scopes: &[waystation_hub::Scope]) -> String {
    use waystation_hub::Scope;
    let words: Vec<String> = scopes
        .iter()
        .map(|scope| match scope {
            Scope::All => "all kiosks".to_string(),
            Scope::District(name) => format!("district {name}"),
            Scope::Kiosk(id) => format!("kiosk {id}"),
        })
        .collect();
    words.join(", ")
}

fn alerts(command: AlertsCommand) -> Result<Done, Stop> {
    match command {
        AlertsCommand::SetWebhook { data, url, format } => {
            let webhook = waystation_hub::set_webhook(data.place(), &url, format.into())?;
            outln!(
                "alerts go to {} as {}",
                webhook.shown(),
                webhook.format.as_str()
            )?;
        }
        AlertsCommand::ClearWebhook { data } => {
            waystation_hub::clear_webhook(data.place())?;
            outln!("no webhook: alerts are stored and not passed on")?;
        }
        AlertsCommand::Show { data, last, json } => {
            let webhook = waystation_hub::webhook(data.place())?;
            let alerts = waystation_hub::alerts(data.place(), last)?;
            if json {
                print_json(&serde_json::json!({
                    "webhook": webhook.as_ref().map(|w| serde_json::json!({
                        "address": w.shown(),
                        "format": w.format.as_str(),
                    })),
                    "alerts": alerts,
                }))?;
            } else {
                match &webhook {
                    Some(w) => outln!("webhook: {} ({})", w.shown(), w.format.as_str())?,
                    None => outln!("webhook: none set (alerts are stored, not passed on)")?,
                }
                print_alerts(&alerts)?;
            }
        }
        AlertsCommand::Retry { data } => {
            let summary = waystation_hub::retry_alerts(data.place())?;
            for (alert, reason) in &summary.failed {
                eprintln!(
                    "waystation-hub: alert from {} at {} not passed on: {reason}",
                    alert.station,
                    when(alert.at_ms)
                );
            }
            outln!(
                "forwarded {}, failed {}",
                summary.forwarded,
                summary.failed.len()
            )?;
            if !summary.failed.is_empty() {
                return Ok(Done::SomeRefused);
            }
        }
        AlertsCommand::Watch { data } => {
            let summary = waystation_hub::watch_fleet(data.place())?;
            for alert in &summary.raised {
                outln!("{} {}: {}", when(alert.at_ms), alert.station, alert.kind)?;
            }
            outln!(
                "raised {}, forwarded {}",
                summary.raised.len(),
                summary.forwarded
            )?;
        }
    }
    Ok(Done::Ok)
}

/// A time in Shanghai (UTC+8 all year), to the minute.
fn when(ms: i64) -> String {
    waystation_hub::station_time::minute(ms).unwrap_or_else(|| "?".into())
}

fn print_alerts(alerts: &[Alert]) -> Result<(), Stop> {
    if alerts.is_empty() {
        outln!("no alerts yet")?;
        return Ok(());
    }
    let rows: Vec<[String; 4]> = alerts
        .iter()
        .map(|a| {
            let fate = match (a.forwarded_ms, &a.last_error) {
                (Some(at), _) => format!("yes, {}", when(at)),
                (None, Some(reason)) => format!("no: {reason}"),
                (None, None) => "no".into(),
            };
            [when(a.at_ms), a.station.clone(), a.kind.clone(), fate]
        })
        .collect();
    print_table(["TIME", "STATION", "KIND", "FORWARDED"], &rows)
}

fn import(data: Place, folder: &Path) -> Result<Done, Stop> {
    let summary = waystation_hub::import_dir(data, folder)?;
    for refused in &summary.refused {
        eprintln!(
            "waystation-hub: refused {}: {}",
            refused.file.display(),
            refused.reason
        );
    }
    outln!(
        "files {}, stored {}, duplicate {}, rejected {}",
        summary.files,
        summary.stored,
        summary.duplicate,
        summary.rejected
    )?;
    if summary.rejected > 0 {
        // The reasons are in the log above; a rejected record can never be stored as sent, so
        // someone has to look at the kiosk it came from.
        eprintln!(
            "waystation-hub: {} records were rejected; the reasons are logged above",
            summary.rejected
        );
    }
    Ok(if summary.refused.is_empty() {
        Done::Ok
    } else {
        Done::SomeRefused
    })
}

fn print_counts(counts: &[KindCount]) -> Result<(), Stop> {
    if counts.is_empty() {
        outln!("no records yet")?;
        return Ok(());
    }
    let rows: Vec<[String; 3]> = counts
        .iter()
        .map(|c| [c.device_id.clone(), c.kind.clone(), c.records.to_string()])
        .collect();
    print_table(["DEVICE", "KIND", "RECORDS"], &rows)
}

/// One line a summary: whose, which days, and the totals a person at the centre looks at
/// first; `--json` has every count.
fn print_summaries(data: Place, json: bool) -> Result<(), Stop> {
    let summaries = waystation_hub::summaries(data)?;
    if json {
        print_json(&summaries)?;
        return Ok(());
    }
    if summaries.is_empty() {
        outln!("no summaries yet")?;
        return Ok(());
    }
    let rows: Vec<[String; 8]> = summaries
        .iter()
        .map(|s| {
            let summary = &s.summary;
            let days = if summary.first_day == summary.last_day {
                summary.first_day.clone()
            } else {
                format!("{}..{}", summary.first_day, summary.last_day)
            };
            [
                s.device_id.clone(),
                s.station.clone().unwrap_or_default(),
                days,
                s.visits.to_string(),
                summary.total(Metric::MoodWord).to_string(),
                summary.total(Metric::Band).to_string(),
                summary.count(Metric::Crisis, "reached").to_string(),
                summary.total(Metric::Slip).to_string(),
            ]
        })
        .collect();
    print_table(
        [
            "DEVICE",
            "STATION",
            "DAYS",
            "VISITS",
            "MOOD CHECK-INS",
            "SELF-CHECKS",
            "CRISIS REACHED",
            "SLIPS",
        ],
        &rows,
    )?;
    Ok(())
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Stop> {
    // Serialising plain structs of strings and numbers cannot fail.
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain data serialises")
    )
}

/// Prints rows in columns as wide as their widest cell.
fn users(command: UsersCommand) -> Result<(), Stop> {
    match command {
        UsersCommand::Add { data, name, role } => {
            if std::io::stdin().is_terminal() {
                // Said on stderr so that a script's output stays the account's line alone.
                eprintln!("Type the password and press Enter (it is shown as you type):");
            }
            let mut typed = String::new();
            std::io::stdin().read_line(&mut typed).map_err(|e| {
                HubError::BadPassword(if e.kind() == std::io::ErrorKind::InvalidData {
                    "it is not UTF-8 text"
                } else {
                    "standard input could not be read"
                })
            })?;
            let user = waystation_hub::add_user(data.place(), &name, role.into(), &typed)?;
            outln!("{} added as {}", user.name, user.role.as_str())?;
        }
        UsersCommand::Remove { data, name } => {
            waystation_hub::remove_user(data.place(), &name)?;
            outln!("{name} removed")?;
        }
        UsersCommand::List { data } => {
            let users = waystation_hub::users(data.place())?;
            if users.is_empty() {
                outln!(
                    "no accounts: add one with `waystation-hub users add NAME --role admin --data DIR`"
                )?;
            } else {
                let rows: Vec<[String; 3]> = users
                    .into_iter()
                    .map(|u| {
                        [
                            u.name,
                            u.role.as_str().into(),
                            waystation_hub::day_of(u.added_ms),
                        ]
                    })
                    .collect();
                print_table(["NAME", "ROLE", "ADDED"], &rows)?;
            }
        }
        UsersCommand::Audit { data, limit } => {
            let rows: Vec<[String; 4]> = waystation_hub::audit_log(data.place(), limit)?
                .into_iter()
                .map(|e| [waystation_hub::day_of(e.at_ms), e.actor, e.action, e.detail])
                .collect();
            print_table(["TIME", "WHO", "WHAT", "DETAIL"], &rows)?;
        }
    }
    Ok(())
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> Result<(), Stop> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        outln!("{}", padded.join("  ").trim_end())
    };
    line(header)?;
    for row in rows {
        line(row.each_ref().map(String::as_str))?;
    }
    Ok(())
}
