//! The resource directory from the command line (list, keygen, sign, verify, install) and on
//! screen (list, filter, detail).

use std::process::{Command, Output};

fn waystation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(args)
        .env_remove("WAYSTATION_DATA_DIR")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_shipped_directory_lists_for_the_demo_station_as_text_and_json() {
    let at = "2026-11-28T10:00:00+08:00";
    let list = waystation(&["resources", "list", "--at", at]);
    assert!(list.status.success(), "{}", text(&list));
    let out = text(&list);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("directory version 2"), "{out}");
    assert!(lines[0].contains("demo station, district huangpu"), "{out}");
    assert!(lines[1].contains("national-12356"), "{out}");
    assert!(out.contains("[example]"));

    let json = waystation(&[
        "resources",
        "list",
        "--at",
        at,
        "--json",
        "--topic",
        "family_relationships",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().any(|e| e["id"] == "union-12351"));
    assert!(
        entries.iter().all(|e| e["id"] != "emergency-110"),
        "the topic filter keeps only its topic"
    );

    let crisis = waystation(&["resources", "list", "--at", at, "--crisis", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&crisis.stdout).unwrap();
    assert!(
        v["entries"][0]["phones"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    let bad = waystation(&["resources", "list", "--topic", "money"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn keygen_sign_verify_and_install_with_refusals_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let keygen = waystation(&["resources", "keygen", "--secret", &p("centre.key")]);
    assert!(keygen.status.success(), "{}", text(&keygen));
    let public = String::from_utf8_lossy(&keygen.stdout).trim().to_string();
    assert!(
        waystation(&["resources", "keygen", "--secret", &p("centre.key")])
            .status
            .code()
            == Some(1),
        "never overwrites a key"
    );

    // A station config that trusts the centre's key.
    write_trusting_station(&p("station.toml"), &public);
    let station = ["--config", &p("station.toml"), "--data-dir", &p("data")];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = station.to_vec();
        args.extend_from_slice(extra);
        waystation(&args)
    };

    let mut bundle: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/directory/bundle.json")).unwrap();
    let write_bundle = |b: &serde_json::Value, name: &str| {
        std::fs::write(p(name), serde_json::to_string_pretty(b).unwrap()).unwrap()
    };
    bundle["version"] = 2.into();
    bundle["expires"] = "2099-01-01".into();
    write_bundle(&bundle, "v2.json");
    bundle["version"] = 3.into();
    write_bundle(&bundle, "v3.json");

    for v in ["v2", "v3"] {
        let signed = waystation(&[
            "resources",
            "sign",
            "--key",
            &p("centre.key"),
            &p(&format!("{v}.json")),
            &p(&format!("{v}.signed")),
        ]);
        assert!(signed.status.success(), "{}", text(&signed));
    }
    let verify = run(&["resources", "verify", &p("v3.signed")]);
    assert!(
        text(&verify).contains("good signature, version 3"),
        "{}",
        text(&verify)
    );

    let install = run(&["resources", "install", &p("v3.signed")]);
    assert!(install.status.success(), "{}", text(&install));
    let listed = run(&["resources", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v["version"], 3, "the kiosk now serves the installed bundle");

    let rollback = run(&["resources", "install", &p("v2.signed")]);
    assert_eq!(rollback.status.code(), Some(1));
    assert!(
        text(&rollback).contains("rollback refused"),
        "{}",
        text(&rollback)
    );
    assert_eq!(text(&rollback).trim().lines().count(), 1);

    // A byte changed after signing.
    let tampered = std::fs::read_to_string(p("v3.signed"))
        .unwrap()
        .replacen("12356", "12357", 1);
    std::fs::write(p("tampered.signed"), tampered).unwrap();
    assert!(text(&run(&["resources", "verify", &p("tampered.signed")])).contains("bad signature"));

    // Truncated.
    let whole = std::fs::read(p("v3.signed")).unwrap();
    std::fs::write(p("short.signed"), &whole[..120]).unwrap();
    let short = run(&["resources", "install", &p("short.signed")]);
    assert!(text(&short).contains("malformed"), "{}", text(&short));

    // Expired.
    bundle["version"] = 4.into();
    bundle["issued"] = "2020-01-01".into();
    bundle["expires"] = "2020-06-01".into();
    write_bundle(&bundle, "old.json");
    assert!(
        waystation(&[
            "resources",
            "sign",
            "--key",
            &p("centre.key"),
            &p("old.json"),
            &p("old.signed")
        ])
        .status
        .success()
    );
    assert!(
        text(&run(&["resources", "install", &p("old.signed")])).contains("expired on 2020-06-01")
    );

    // An entry without a source cannot even be signed.
    bundle["expires"] = "2099-01-01".into();
    bundle["entries"][0]["source"]["document"] = "".into();
    write_bundle(&bundle, "nosource.json");
    let refused = waystation(&[
        "resources",
        "sign",
        "--key",
        &p("centre.key"),
        &p("nosource.json"),
        &p("x.signed"),
    ]);
    assert!(text(&refused).contains("source"), "{}", text(&refused));
}

/// The made-up real (non-demo) station in Jing'an that docs/config.md points to.
const REAL_STATION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/examples/real-station.toml"
);

fn listed(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = args.to_vec();
    all.extend_from_slice(&[
        "resources",
        "list",
        "--json",
        "--at",
        "2026-11-28T10:00:00+08:00",
    ]);
    let out = waystation(&all);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["entries"].as_array().unwrap().clone()
}

#[test]
fn a_real_station_lists_no_example_and_only_its_own_district_s_services() {
    let ids = |rows: &[serde_json::Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let real = listed(&["--config", REAL_STATION]);
    assert!(real.iter().all(|r| r["example"] == false), "{real:?}");
    assert!(
        real.iter().all(|r| r["distance_m"].is_null()),
        "none is nearest"
    );
    assert!(
        real.iter()
            .filter(|r| r["open_now"] == true)
            .all(|r| !r["phones"].as_array().unwrap().is_empty()),
        "only lines are open: {real:?}"
    );
    let real = ids(&real);
    assert!(real.contains(&"jingan-tree-hole".to_string()), "{real:?}");
    assert!(
        !real.contains(&"pudong-heart-cabins".to_string()),
        "{real:?}"
    );
    // The demo station (Huangpu) shows the examples, and neither district's own service.
    let demo = listed(&[]);
    assert!(demo.iter().filter(|r| r["example"] == true).count() >= 3);
    assert!(
        demo.iter()
            .any(|r| r["open_now"] == true && r["example"] == true)
    );
    let demo = ids(&demo);
    assert!(
        !demo
            .iter()
            .any(|id| id == "jingan-tree-hole" || id == "pudong-heart-cabins")
    );
    // The same station without a district: neither.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("station.toml");
    let real_config = std::fs::read_to_string(REAL_STATION).unwrap();
    std::fs::write(&config, real_config.replace("district = \"jingan\"\n", "")).unwrap();
    let nowhere = ids(&listed(&["--config", config.to_str().unwrap()]));
    assert!(!nowhere.contains(&"jingan-tree-hole".to_string()));
    assert_eq!(nowhere.len() + 1, real.len());
    // A district that is not one of Shanghai's is a config error naming its line.
    std::fs::write(&config, real_config.replace("\"jingan\"", "\"jing'an\"")).unwrap();
    let bad = waystation(&["--config", config.to_str().unwrap(), "resources", "list"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let message = text(&bad);
    assert!(
        message.contains("station.toml:14:12: 'jing'an' is not a Shanghai district id"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1);
}

/// Signs a bundle's text by hand, as a careless or compromised signer might, without the
/// checks `resources sign` makes.
fn sign_by_hand(bundle_text: &str, secret_file: &str) -> String {
    use base64::Engine;
    use ed25519_dalek::Signer;
    let b64 = base64::engine::general_purpose::STANDARD;
    let secret = std::fs::read_to_string(secret_file).unwrap();
    let bytes: [u8; 32] = b64.decode(secret.trim()).unwrap().try_into().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&bytes);
    let message = format!("waystation-bundle-1\n{bundle_text}");
    serde_json::json!({
        "format": "waystation-bundle-1",
        "bundle": bundle_text,
        "signature": b64.encode(key.sign(message.as_bytes()).to_bytes()),
    })
    .to_string()
}

#[test]
fn hours_the_kiosk_cannot_evaluate_are_refused_by_sign_verify_and_install() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let keygen = waystation(&["resources", "keygen", "--secret", &p("centre.key")]);
    let public = String::from_utf8_lossy(&keygen.stdout).trim().to_string();
    write_trusting_station(&p("station.toml"), &public);
    let (config, data) = (p("station.toml"), p("data"));
    let run = |extra: &[&str]| {
        let mut args = vec!["--config", config.as_str(), "--data-dir", data.as_str()];
        args.extend_from_slice(extra);
        waystation(&args)
    };
    let mut bundle: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/directory/bundle.json")).unwrap();
    bundle["version"] = 5.into();
    for (hours, why) in [
        ("Mo-Su sunrise-sunset", "sunrise"),
        ("Mo-Fr 09:00-17:00; SH off", "SH"),
        ("Mo-Fr 09:00-17:00 \"by appointment\"", "comment"),
        ("Mo-Fr 9 to 5", "syntax"),
    ] {
        bundle["entries"][0]["opening_hours"] = hours.into();
        let bundle_text = serde_json::to_string_pretty(&bundle).unwrap();
        std::fs::write(p("bad.json"), &bundle_text).unwrap();
        let signed = waystation(&[
            "resources",
            "sign",
            "--key",
            &p("centre.key"),
            &p("bad.json"),
            &p("bad.signed"),
        ]);
        assert_eq!(signed.status.code(), Some(1), "{hours}: {}", text(&signed));
        let refusal = text(&signed);
        assert!(
            refusal.contains("not signed") && refusal.contains(why),
            "{refusal}"
        );
        assert_eq!(refusal.trim().lines().count(), 1, "{refusal}");
        // Signed anyway, by hand: the kiosk still refuses to verify or install it.
        std::fs::write(
            p("bad.signed"),
            sign_by_hand(&bundle_text, &p("centre.key")),
        )
        .unwrap();
        for action in ["verify", "install"] {
            let out = run(&["resources", action, &p("bad.signed")]);
            let said = text(&out);
            assert_eq!(out.status.code(), Some(1), "{action} {hours}: {said}");
            assert!(
                said.contains("national-12356: opening_hours") && said.contains(why),
                "{said}"
            );
            assert_eq!(said.trim().lines().count(), 1, "{said}");
        }
    }
    // The same bundle with hours it can evaluate, holidays included, installs; its `PH`
    // follows the bundle's calendar, and where the bundle has no notice the hours may differ.
    bundle["entries"][0]["opening_hours"] = "Mo-Su 09:00-17:00; PH off".into();
    std::fs::write(
        p("good.json"),
        serde_json::to_string_pretty(&bundle).unwrap(),
    )
    .unwrap();
    let signed = waystation(&[
        "resources",
        "sign",
        "--key",
        &p("centre.key"),
        &p("good.json"),
        &p("good.signed"),
    ]);
    assert!(signed.status.success(), "{}", text(&signed));
    let installed = run(&["resources", "install", &p("good.signed")]);
    assert!(installed.status.success(), "{}", text(&installed));
    let line_at = |at: &str| {
        let out = run(&["resources", "list", "--json", "--at", at]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "national-12356")
            .unwrap()
            .clone()
    };
    let ordinary = line_at("2026-12-02T10:00:00+08:00");
    assert_eq!(
        (
            ordinary["open_now"].clone(),
            ordinary["hours_may_differ"].clone()
        ),
        (true.into(), false.into())
    );
    let national_day = line_at("2026-10-01T10:00:00+08:00");
    assert_eq!(
        national_day["open_now"], false,
        "1 October is a day off: PH off"
    );
    let no_notice = line_at("2027-01-01T10:00:00+08:00");
    assert_eq!(
        (
            no_notice["open_now"].clone(),
            no_notice["hours_may_differ"].clone()
        ),
        (false.into(), true.into())
    );
}

#[test]
fn the_directory_says_open_now_not_shop_words() {
    let zh = include_str!("../../assets/translations/zh_CN/LC_MESSAGES/waystation.po");
    let en = include_str!("../../assets/translations/en/LC_MESSAGES/waystation.po");
    for shop in ["营业", "关门", "开门"] {
        assert!(
            !zh.contains(shop),
            "a shop word in the Chinese catalogue: {shop}"
        );
    }
    for (id, want) in [
        ("Open now", "现在开放"),
        ("Closed now", "现在不开放"),
        ("Hours may differ on public holidays", "节假日时间可能不同"),
    ] {
        assert!(
            zh.contains(&format!("msgid \"{id}\"\nmsgstr \"{want}\"")),
            "{id}"
        );
        assert!(
            en.contains(&format!("msgid \"{id}\"\nmsgstr \"\"")),
            "{id} in English"
        );
    }
    let slint = include_str!("../../ui/screens/resources.slint");
    assert!(slint.contains("@tr(\"Open now\")") && slint.contains("@tr(\"Closed now\")"));
}

mod on_screen {
    use slint::{Global, Model};
    use waystation::ui::{
        ResourceDetailAdapter, ResourcesAdapter, Screen as UiScreen, TopicFilter,
    };

    use crate::ui::{kiosk, shown, touch, visible};

    #[test]
    fn the_list_filters_by_topic_and_opens_an_entry_with_its_source() {
        let (kiosk, _) = kiosk();
        touch(&kiosk, "点击开始");
        touch(&kiosk, "附近的帮助");
        assert_eq!(shown(&kiosk), UiScreen::Resources);
        let all = ResourcesAdapter::get(kiosk.window())
            .get_entries()
            .row_count();
        // The demo station (Huangpu) lists everything but Jing'an's and Pudong's own services.
        assert_eq!(
            all,
            waystation::directory::Bundle::shipped().entries.len() - 2
        );
        assert!(!visible(&kiosk, "resource 静安区“幸福树洞”心理支持热线"));
        touch(&kiosk, "家庭婚恋");
        let family = ResourcesAdapter::get(kiosk.window())
            .get_entries()
            .row_count();
        assert!(family > 0 && family < all);
        touch(&kiosk, "家庭婚恋");
        assert_eq!(
            ResourcesAdapter::get(kiosk.window())
                .get_entries()
                .row_count(),
            all,
            "touching it again shows all"
        );
        touch(&kiosk, "resource 全国心理援助热线");
        assert_eq!(shown(&kiosk), UiScreen::ResourceDetail);
        assert!(visible(&kiosk, "detail 全国心理援助热线"));
        let detail = ResourceDetailAdapter::get(kiosk.window());
        assert_eq!(detail.get_phones(), "12356");
        assert!(detail.get_source().contains("沪工总宣〔2026〕136号"));
        assert!(!detail.get_example());
    }

    #[test]
    fn a_real_station_shows_no_example_on_screen_and_its_district_s_line() {
        let config =
            waystation::config::Config::load_file(std::path::Path::new(super::REAL_STATION))
                .unwrap();
        let (kiosk, _) = crate::ui::kiosk_with(config);
        touch(&kiosk, "点击开始");
        touch(&kiosk, "附近的帮助");
        let rows: Vec<_> = ResourcesAdapter::get(kiosk.window())
            .get_entries()
            .iter()
            .collect();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| !r.example && r.distance.is_empty()));
        assert!(visible(&kiosk, "resource 静安区“幸福树洞”心理支持热线"));
        assert!(!visible(&kiosk, "resource 示例：附近的暖新驿站"));
    }

    #[test]
    fn a_chosen_service_goes_on_the_slip_and_into_its_qr_code() {
        let (kiosk, _) = kiosk();
        touch(&kiosk, "点击开始");
        touch(&kiosk, "附近的帮助");
        touch(&kiosk, "resource 圆通快递心理支持热线");
        touch(&kiosk, "加到我的纸条");
        assert!(ResourceDetailAdapter::get(kiosk.window()).get_on_slip());
        touch(&kiosk, "紧急求助");
        touch(&kiosk, "带走这些号码");
        let rows: Vec<String> = waystation::ui::SlipAdapter::get(kiosk.window())
            .get_lines()
            .iter()
            .map(|r| r.number.to_string())
            .collect();
        assert_eq!(rows, ["12356", "12351", "400-820-0393"]);
        assert_eq!(kiosk.session().slip_services, ["yto-courier-line"]);
    }

    #[test]
    fn a_result_opens_the_list_filtered_to_what_fits_it() {
        let (kiosk, _) = kiosk();
        touch(&kiosk, "点击开始");
        touch(&kiosk, "心理自测");
        touch(&kiosk, "开始");
        touch(&kiosk, "担心、紧张");
        for _ in 0..7 {
            touch(&kiosk, "好几天");
        }
        touch(&kiosk, "附近的帮助");
        assert_eq!(shown(&kiosk), UiScreen::Resources);
        assert_eq!(
            ResourcesAdapter::get(kiosk.window()).get_filter(),
            TopicFilter::EmotionalDistress
        );
        let shown_count = ResourcesAdapter::get(kiosk.window())
            .get_entries()
            .row_count();
        assert!(shown_count < waystation::directory::Bundle::shipped().entries.len());
    }
}

/// Writes the demo station's config, trusting the centre's directory key `public`.
fn write_trusting_station(path: &str, public: &str) {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/config/demo-station.toml"
    ))
    .unwrap();
    let trusting = demo.replace(
        "# public_key = \"...\"",
        &format!("public_key = \"{public}\""),
    );
    std::fs::write(path, trusting).unwrap();
}
