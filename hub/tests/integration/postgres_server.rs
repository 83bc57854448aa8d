//! A real PostgreSQL for the tests: the server named by `WAYSTATION_TEST_POSTGRES` (a
//! `key=value` connection string to a database the tests may create databases from; `.ci/run`
//! starts Debian's cluster and sets it), else a private server started for this test run from
//! the binaries of Debian's `postgresql` package, listening only on a Unix socket in a
//! temporary folder and stopped (the folder removed) when the test process ends.
//!
//! Each test gets a database of its own ([`fresh_database`]), dropped afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// A database made for one test, dropped when this is.
pub struct TestDatabase {
    /// Its connection string, for `PostgresStorage::connect` or `--database`.
    pub url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(server(), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A new, empty database on the test server.
pub fn fresh_database() -> TestDatabase {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "waystation_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = Client::connect(server(), NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"));
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        ))
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    TestDatabase {
        url: format!("{} dbname={name}", server()),
        name,
    }
}

/// The test server's connection string (to its `postgres` database), started on first use.
fn server() -> &'static str {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var("WAYSTATION_TEST_POSTGRES") {
            Ok(url) => Ok(url),
            Err(_) => start_private_server(),
        })
        .as_deref()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The newest PostgreSQL Debian installed, by its binaries' folder.
fn installed_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn start_private_server() -> Result<String, String> {
    let bin = installed_binaries().ok_or(
        "PostgreSQL is not installed, and the storage tests run against a real one: \
         apt-get install postgresql (or set WAYSTATION_TEST_POSTGRES)",
    )?;
    let folder = std::env::temp_dir().join(format!("waystation-pg-{}", std::process::id()));
    let data = folder.join("data");
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    // PostgreSQL refuses to run as root; under root (CI, containers) it runs as the
    // `postgres` account the package made, which must own the folder.
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if as_root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&folder))?;
    }
    let command = |program: &Path| {
        if as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    };
    run(command(&bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "waystation",
            "-E",
            "UTF8",
            "--locale=C",
            "-D",
        ])
        .arg(&data))?;
    // The server lives as long as this test process: a small shell watches for the process
    // to end, then stops the server and removes the folder.
    let watch = "\"$1\" -D \"$2\" -k \"$3\" -c listen_addresses= & server=$!
        while [ -d /proc/$4 ]; do sleep 0.5; done
        kill -INT $server; wait $server; rm -rf \"$3\"";
    command(Path::new("sh"))
        .args(["-c", watch, "sh"])
        .arg(bin.join("postgres"))
        .arg(&data)
        .arg(&folder)
        .arg(std::process::id().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start PostgreSQL: {e}"))?;
    let url = format!("host={} user=waystation dbname=postgres", folder.display());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match Client::connect(&url, NoTls) {
            Ok(_) => return Ok(url),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("the private PostgreSQL did not start: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
