//! The dashboard in a real browser: Debian's headless Chromium, driven over WebDriver by its
//! `chromedriver` (packages `chromium` and `chromium-driver`; `.ci/run` installs them).
//!
//! The client is the few WebDriver commands these tests need, spoken as JSON over HTTP.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use waystation_hub::users::Role;

use crate::support::start;

/// The W3C WebDriver id of an element in a reply.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    /// Where Chromium saves what a page downloads.
    downloads: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session through it.
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "the browser tests need Chromium and its driver ({e}): apt-get install chromium chromium-driver"
                )
            });
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            downloads: tempfile::tempdir().unwrap(),
        };
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"
            ], "prefs": {
                "download.default_directory": browser.downloads.path(),
                "download.prompt_for_download": false
            } }
        } } });
        let reply = browser.command("POST", "/session", capabilities);
        browser.session = reply["sessionId"].as_str().unwrap().to_string();
        browser
    }

    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let reply = match method {
            "GET" => agent.get(&url).call(),
            "DELETE" => agent.delete(&url).call(),
            _ => agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        };
        let text = reply.unwrap().into_body().read_to_string().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value["value"]["error"].is_null(), "{method} {path}: {text}");
        value["value"].clone()
    }

    fn open(&self, url: &str) {
        self.command("POST", "/url", json!({ "url": url }));
    }

    fn url(&self) -> String {
        self.command("GET", "/url", json!({}))
            .as_str()
            .unwrap()
            .to_string()
    }

    fn find(&self, css: &str) -> String {
        let found = self.command(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_string()
    }

    fn count(&self, css: &str) -> usize {
        self.command(
            "POST",
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )
        .as_array()
        .unwrap()
        .len()
    }

    /// Waits up to 10 s for `done`: a click that submits a form returns before the next page
    /// has loaded.
    fn wait_until(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        let started = Instant::now();
        while !done(self) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "waited 10 s for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for_url(&self, ending: &str) {
        self.wait_until(ending, |b| b.url().ends_with(ending));
    }

    fn wait_for_heading(&self, heading: &str) {
        self.wait_until(heading, |b| b.text("h1") == heading);
    }

    /// The text of the first element matching `css`, once there is one.
    fn text(&self, css: &str) -> String {
        self.wait_until(css, |b| b.count(css) > 0);
        let element = self.find(css);
        self.command("GET", &format!("/element/{element}/text"), json!({}))
            .as_str()
            .unwrap()
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.command("POST", &format!("/element/{element}/click"), json!({}));
    }

    fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    /// The bytes of the one file downloaded so far, once Chromium has finished writing it.
    fn downloaded(&self) -> (String, Vec<u8>) {
        let finished = || -> Option<std::path::PathBuf> {
            let entries: Vec<_> = std::fs::read_dir(self.downloads.path())
                .ok()?
                .flatten()
                .map(|e| e.path())
                .collect();
            match entries.as_slice() {
                [one] if one.extension().is_some_and(|e| e == "csv") => Some(one.clone()),
                _ => None,
            }
        };
        self.wait_until("the download", |_| finished().is_some());
        let path = finished().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        (name, std::fs::read(path).unwrap())
    }

    fn sign_in(&self, hub: &str, name: &str, password: &str) {
        self.open(&format!("{hub}/sign-in"));
        self.type_into("input[name=name]", name);
        self.type_into("input[name=password]", password);
        self.click("#sign-in");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn in_chromium_staff_sign_in_find_small_counts_hidden_and_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::demo_data(dir.path()).unwrap();
    waystation_hub::add_user(
        dir.path(),
        "王芳",
        Role::Viewer,
        "a long enough passphrase\n",
    )
    .unwrap();
    let hub = start(dir.path());
    let base = format!("http://127.0.0.1:{}", hub.addr().port());
    let browser = Browser::start();

    // Signing in over the hub's own form; the Secure session cookie is kept for 127.0.0.1.
    browser.sign_in(&base, "王芳", "a long enough passphrase");
    browser.wait_for_url("/overview");
    assert_eq!(browser.text("h1"), "总览");
    assert_eq!(browser.count("#weekly tbody tr"), 13);
    assert_eq!(
        browser.count("figure svg rect"),
        13,
        "a bar for each week of the example"
    );

    // The smallest example station's crisis routes are too few to show in any week.
    browser.open(&format!("{base}/stations"));
    let small = browser.script(
        "return [...document.querySelectorAll('#stations tbody tr')]
            .find(r => r.textContent.includes('江宁路')).children[6].textContent",
    );
    assert_eq!(small, "<11");
    // The language switch, kept for the next page.
    browser.click("#language");
    browser.wait_for_heading("Stations");
    browser.open(&format!("{base}/overview"));
    assert_eq!(browser.text("h1"), "Overview");

    // Sign out: the session no longer opens a page.
    browser.click("#sign-out");
    browser.wait_for_url("/sign-in");
    browser.open(&format!("{base}/overview"));
    assert!(browser.url().ends_with("/sign-in"), "{}", browser.url());
}

#[test]
fn in_chromium_a_form_without_its_token_and_a_sixth_wrong_password_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::add_user(dir.path(), "li.wei", Role::Admin, "the right passphrase\n").unwrap();
    let hub = start(dir.path());
    let base = format!("http://127.0.0.1:{}", hub.addr().port());
    let browser = Browser::start();

    // The sign-in form with its CSRF field taken out is refused, and no session begins.
    browser.open(&format!("{base}/sign-in"));
    browser.script("document.querySelector('input[name=csrf]').value = 'forged'; return null");
    browser.type_into("input[name=name]", "li.wei");
    browser.type_into("input[name=password]", "the right passphrase");
    browser.click("#sign-in");
    assert_eq!(browser.text("#problem"), "表单已过期，请重新提交。");
    browser.open(&format!("{base}/overview"));
    assert!(browser.url().ends_with("/sign-in"));

    for _ in 0..5 {
        browser.sign_in(&base, "li.wei", "a wrong passphrase");
        assert_eq!(browser.text("#problem"), "账号或密码不对。");
    }
    browser.sign_in(&base, "li.wei", "the right passphrase");
    assert!(browser.text("#problem").contains("15 分钟"));
    assert!(browser.url().ends_with("/sign-in"));
}

#[test]
fn in_chromium_an_operator_handles_an_alert_registers_and_revokes_a_kiosk_and_exports_csv() {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::demo_data(dir.path()).unwrap();
    waystation_hub::add_user(
        dir.path(),
        "li.wei",
        Role::Operator,
        "an operator's passphrase\n",
    )
    .unwrap();
    waystation_hub::add_user(dir.path(), "王芳", Role::Viewer, "a viewer's passphrase\n").unwrap();
    let bundle = dir.path().join("incoming.raucb");
    std::fs::write(&bundle, b"any bytes").unwrap();
    waystation_hub::add_image(dir.path(), &bundle, "2026.12.9").unwrap();
    waystation_hub::rollout(dir.path(), "2026.12.9", &[waystation_hub::Scope::All]).unwrap();
    let hub = start(dir.path());
    let base = format!("http://127.0.0.1:{}", hub.addr().port());
    let browser = Browser::start();
    browser.sign_in(&base, "li.wei", "an operator's passphrase");
    browser.wait_for_url("/overview");

    // The fleet page: each kiosk's image version and temperature from its heartbeat, the hot
    // one named as such, and the filter leaving out the kiosk that is well.
    browser.open(&format!("{base}/fleet?lang=en"));
    browser.wait_for_heading("Fleet");
    let rows: Value = browser.script(
        "return [...document.querySelectorAll('#fleet tbody tr')]
            .map(r => r.textContent.replace(/\\s+/g, ' '))",
    );
    let rows: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter().all(|r| r.contains("demo 2026.12.1")),
        "{rows:?}"
    );
    // The image update column: the version the rollout to all says to run.
    assert!(
        rows.iter().all(|r| r.contains("should run 2026.12.9")),
        "{rows:?}"
    );
    let hot = rows.iter().find(|r| r.contains("陆家嘴")).unwrap();
    assert!(
        hot.contains("74 °C") && hot.contains("Running hot"),
        "{hot}"
    );
    browser.click("#attention");
    browser.wait_for_url("/fleet?attention=1");
    assert_eq!(browser.count("#fleet tbody tr"), 3);
    browser.open(&format!("{base}/overview?lang=zh"));
    browser.wait_for_heading("总览");

    // The overview's CSV holds what the page shows, opened the way Excel needs it.
    let page: Value = browser.script(
        "return [...document.querySelectorAll('#weekly tr')]
            .map(r => [...r.children].map(c => c.textContent.trim()))",
    );
    browser.click("#csv");
    let (name, bytes) = browser.downloaded();
    assert!(name.starts_with("waystation-overview-"), "{name}");
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "a UTF-8 byte-order mark first"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let lines: Vec<Vec<String>> = text
        .trim_end()
        .split("\r\n")
        .map(|line| {
            line.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let page: Vec<Vec<String>> = serde_json::from_value(page).unwrap();
    assert_eq!(
        lines, page,
        "the CSV is the page's table, heading and 13 weeks"
    );

    // An alert marked handled shows who handled it, and its button is gone.
    browser.open(&format!("{base}/alerts"));
    let waiting = browser.count("button.acknowledge");
    assert!(waiting > 0, "the example has alerts to handle");
    browser.click("button.acknowledge");
    browser.wait_until("the alert marked", |b| {
        b.count("button.acknowledge") == waiting - 1
    });
    let handled = browser.script(
        "return [...document.querySelectorAll('#alerts td')]
            .filter(c => c.textContent.includes('已处理 · li.wei')).length",
    );
    assert_eq!(handled, 1);

    // A kiosk registered by pasting its key, then revoked once the box is ticked.
    let key = waystation_protocol::DeviceKey::from_secret([7; 32]);
    browser.open(&format!("{base}/kiosks"));
    browser.type_into("#register input[name=key]", &key.public_base64());
    browser.type_into("#register input[name=station]", "闵行浦江驿站");
    browser.click("#register button");
    browser.wait_until("the registration", |b| {
        b.count("#notice") > 0 && b.text("#notice").contains(&key.device_id())
    });
    let row = format!(
        "[...document.querySelectorAll('#kiosks tbody tr')]
            .find(r => r.textContent.includes('{}'))",
        key.device_id()
    );
    assert_eq!(
        browser.script(&format!("return {row}.children[0].textContent")),
        "闵行浦江驿站"
    );
    browser.script(&format!(
        "{row}.querySelector('input[name=confirm]').click();
         {row}.querySelector('.revoke button').click(); return null"
    ));
    browser.wait_until("the revocation", |b| {
        b.count("#notice") > 0 && b.text("#notice").starts_with("已停用")
    });
    let status = browser.script(&format!("return {row}.children[2].textContent"));
    assert!(status.as_str().unwrap().starts_with("已停用"), "{status}");
    let devices = waystation_hub::devices(dir.path()).unwrap();
    let registered = devices
        .iter()
        .find(|d| d.device_id == key.device_id())
        .unwrap();
    assert!(registered.revoked_ms.is_some());

    // A viewer is not shown the operators' pages, and is refused them when asking anyway.
    browser.click("#sign-out");
    browser.wait_for_url("/sign-in");
    browser.sign_in(&base, "王芳", "a viewer's passphrase");
    browser.wait_for_url("/overview");
    assert_eq!(
        browser.count("nav a[href='/fleet'], nav a[href='/kiosks']"),
        0
    );
    for page in [
        "/fleet",
        "/alerts",
        "/kiosks",
        "/directory",
        "/updates",
        "/remote-help",
        "/accounts",
    ] {
        browser.open(&format!("{base}{page}"));
        assert_eq!(browser.text("#problem"), "你的账号无权查看此页。", "{page}");
    }
}

#[test]
fn in_chromium_an_admin_switches_remote_help_on_for_a_kiosk_and_off_again() {
    use crate::support::{Kiosk, NOV_2026, synced};
    let dir = tempfile::tempdir().unwrap();
    let centre = waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::add_user(dir.path(), "li.wei", Role::Admin, "the right passphrase\n").unwrap();
    let kiosk = Kiosk::new(7, &centre);
    waystation_hub::add_device(dir.path(), &kiosk.key.public_base64(), None, None).unwrap();
    let hub = start(dir.path());
    // The kiosk's heartbeat says it has a jump host and how its tunnel stands.
    let beat = kiosk.record(
        1,
        "heartbeat",
        synced(NOV_2026, 1),
        json!({"remote_help": {"available": true, "tunnel": "up", "detail": "", "client_key": null}}),
    );
    kiosk
        .post(hub.addr(), &kiosk.batch(vec![beat], synced(NOV_2026, 2)))
        .reply();
    let base = format!("http://127.0.0.1:{}", hub.addr().port());
    let browser = Browser::start();
    browser.sign_in(&base, "li.wei", "the right passphrase");
    browser.wait_for_url("/overview");
    browser.click("nav a[href='/remote-help']");
    browser.wait_for_heading("远程协助");
    assert_eq!(browser.count("#remote-help"), 0, "nothing on yet");

    // Too long first: the page says so and switches nothing on.
    browser.type_into("#switch-on input[name=kiosk]", &kiosk.id());
    browser
        .script("document.querySelector('#switch-on input[name=minutes]').max = ''; return null");
    browser
        .script("document.querySelector('#switch-on input[name=minutes]').value = ''; return null");
    browser.type_into("#switch-on input[name=minutes]", "600");
    browser.click("#switch-on button");
    assert_eq!(browser.text("#problem"), "时长须为 1 到 480 分钟。");
    assert!(
        waystation_hub::remote_help_list(dir.path())
            .unwrap()
            .is_empty()
    );

    browser.type_into("#switch-on input[name=kiosk]", &kiosk.id());
    browser
        .script("document.querySelector('#switch-on input[name=minutes]').value = ''; return null");
    browser.type_into("#switch-on input[name=minutes]", "30");
    browser.click("#switch-on button");
    browser.wait_for_url("/remote-help?done=on");
    assert!(browser.text("#notice").starts_with("已开启"));
    assert_eq!(browser.text("#remote-help tbody th"), kiosk.id());
    let row = browser.text("#remote-help tbody tr");
    assert!(row.contains("li.wei") && row.contains("已连通"), "{row}");
    let listed = waystation_hub::remote_help_list(dir.path()).unwrap();
    assert_eq!(listed[0].0.until_ms - listed[0].0.granted_ms, 30 * 60_000);

    browser.click("#remote-help tbody button");
    browser.wait_for_url("/remote-help?done=off");
    assert!(browser.text("#notice").starts_with("已关闭"));
    assert_eq!(browser.count("#remote-help"), 0);
    assert!(
        waystation_hub::remote_help_list(dir.path())
            .unwrap()
            .is_empty()
    );
}
