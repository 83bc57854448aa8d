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
    assert!(lines[0].starts_with("directory version 1"), "{out}");
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
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/config/demo-station.toml"
    ))
    .unwrap();
    std::fs::write(
        p("station.toml"),
        demo.replace(
            "# public_key = \"...\"",
            &format!("public_key = \"{public}\""),
        ),
    )
    .unwrap();
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

mod on_screen {
    use slint::{Global, Model};
    use waystation::ui::{ResourceDetailAdapter, ResourcesAdapter, Screen as UiScreen};

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
        assert_eq!(all, waystation::directory::Bundle::shipped().entries.len());
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
            ResourcesAdapter::get(kiosk.window()).get_chosen_chip(),
            0,
            "emotional distress"
        );
        let shown_count = ResourcesAdapter::get(kiosk.window())
            .get_entries()
            .row_count();
        assert!(shown_count < waystation::directory::Bundle::shipped().entries.len());
    }
}
