//! The dashboard over HTTP, as a browser without JavaScript uses it: sign-in with its CSRF
//! cookie, the throttle, the session cookie, the overview, the language switch and sign-out.

use std::net::SocketAddr;

use waystation_hub::users::Role;

use crate::support::{Response, request, start};

fn set_cookies(response: &Response) -> Vec<&str> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The value a response's `Set-Cookie` gives the cookie `name`.
fn cookie_value(response: &Response, name: &str) -> Option<String> {
    set_cookies(response)
        .into_iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
}

fn body(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The `value` of the form's hidden csrf field.
fn form_csrf(page: &str) -> String {
    let start = page.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    page[start..].split('"').next().unwrap().to_string()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opens the sign-in form and posts it; returns the reply.
fn sign_in(addr: SocketAddr, name: &str, password: &str) -> Response {
    let form = request(addr, "GET", "/sign-in", &[], b"");
    assert_eq!(form.status, 200);
    let cookie = cookie_value(&form, "ws_sign_in").expect("a sign-in cookie");
    let csrf = form_csrf(&body(&form));
    assert_eq!(cookie, csrf);
    let post = format!(
        "name={}&password={}&csrf={}",
        encode(name),
        encode(password),
        encode(&csrf)
    );
    request(
        addr,
        "POST",
        "/sign-in",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("ws_sign_in={cookie}")),
        ],
        post.as_bytes(),
    )
}

/// A hub filled by `demo-data`, with these accounts, all with the password
/// [`session_cookie`] signs in with.
fn demo_hub(accounts: &[(&str, Role)]) -> (tempfile::TempDir, waystation_hub::RunningHub) {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::demo_data(dir.path()).unwrap();
    for (name, role) in accounts {
        waystation_hub::add_user(dir.path(), name, *role, "a long enough passphrase\n").unwrap();
    }
    let hub = start(dir.path());
    (dir, hub)
}

/// Signs in with the password every test account here has; returns the `Cookie` header.
fn session_cookie(addr: SocketAddr, name: &str) -> String {
    let signed = sign_in(addr, name, "a long enough passphrase");
    format!(
        "ws_session={}",
        cookie_value(&signed, "ws_session").unwrap()
    )
}

#[test]
fn staff_sign_in_see_the_overview_switch_language_and_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::add_user(
        dir.path(),
        "王芳",
        Role::Viewer,
        "a long enough passphrase\n",
    )
    .unwrap();
    let hub = start(dir.path());
    let addr = hub.addr();

    // No session: the pages send the reader to sign in.
    let page = request(addr, "GET", "/overview", &[], b"");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/sign-in"));

    // The form in Chinese first, its CSRF token in a strict, script-proof cookie.
    let form = request(addr, "GET", "/sign-in", &[], b"");
    let html = body(&form);
    assert!(
        html.contains(r#"<html lang="zh-CN">"#) && html.contains("登录"),
        "{html}"
    );
    for part in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(
            set_cookies(&form)[0].contains(part),
            "{:?}",
            set_cookies(&form)
        );
    }
    assert!(
        form.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );

    // A form posted without the cookie that came with it is refused.
    let forged = request(
        addr,
        "POST",
        "/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("name=x&password=y&csrf={}", form_csrf(&html)).as_bytes(),
    );
    assert_eq!(forged.status, 403);

    let signed = sign_in(addr, "王芳", "a long enough passphrase");
    assert_eq!(signed.status, 303, "{}", body(&signed));
    assert_eq!(signed.header("location"), Some("/overview"));
    let session = cookie_value(&signed, "ws_session").expect("a session cookie");
    let with_session = format!("ws_session={session}");
    let page = request(addr, "GET", "/overview", &[("Cookie", &with_session)], b"");
    assert_eq!(page.status, 200);
    let html = body(&page);
    assert!(html.contains("王芳") && html.contains("总览"), "{html}");
    assert_eq!(
        html.matches("<tr>").count(),
        1 + 13,
        "head and 13 settled weeks"
    );
    // A hub with no summaries has only zeros, and shows none of them.
    assert!(
        html.contains("&lt;11") && !html.contains("<td>0</td>"),
        "{html}"
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let stations = request(addr, "GET", "/stations", &[("Cookie", &with_session)], b"");
    assert_eq!(stations.status, 200);
    assert!(body(&stations).contains("全部驿站"), "{}", body(&stations));

    // The switch: English now and in later pages, by cookie.
    let english = request(
        addr,
        "GET",
        "/overview?lang=en",
        &[("Cookie", &with_session)],
        b"",
    );
    assert!(body(&english).contains("Overview"));
    assert_eq!(cookie_value(&english, "ws_lang").as_deref(), Some("en"));
    let later = request(
        addr,
        "GET",
        "/overview",
        &[("Cookie", &format!("{with_session}; ws_lang=en"))],
        b"",
    );
    assert!(body(&later).contains("Sign out"));

    // Signing out needs the page's token; then the session no longer opens pages.
    let form_post = |csrf: &str| {
        request(
            addr,
            "POST",
            "/sign-out",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &with_session),
            ],
            format!("csrf={}", encode(csrf)).as_bytes(),
        )
    };
    assert_eq!(form_post("not-the-token").status, 403);
    let out = form_post(&form_csrf(&html));
    assert_eq!(out.status, 303);
    assert_eq!(cookie_value(&out, "ws_session").as_deref(), Some(""));
    let page = request(addr, "GET", "/overview", &[("Cookie", &with_session)], b"");
    assert_eq!(page.status, 303);

    let log: Vec<String> = waystation_hub::audit_log(dir.path(), 10)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.action))
        .collect();
    assert_eq!(log[..2], ["王芳 signed out", "王芳 signed in"], "{log:?}");
}

#[test]
fn five_wrong_passwords_lock_a_name_for_15_minutes_whether_or_not_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    waystation_hub::keygen(dir.path()).unwrap();
    waystation_hub::add_user(dir.path(), "li.wei", Role::Admin, "the right passphrase\n").unwrap();
    let hub = start(dir.path());
    let addr = hub.addr();
    for name in ["li.wei", "nobody"] {
        for _ in 0..5 {
            let wrong = sign_in(addr, name, "not the passphrase");
            assert_eq!(wrong.status, 401);
            assert!(body(&wrong).contains("账号或密码不对"));
            assert!(cookie_value(&wrong, "ws_session").is_none());
        }
        let locked = sign_in(addr, name, "the right passphrase");
        assert_eq!(locked.status, 429, "{name}");
        assert!(body(&locked).contains("15 分钟"));
        assert!(cookie_value(&locked, "ws_session").is_none());
    }
    let log = waystation_hub::audit_log(dir.path(), 20).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action.contains("too many")).count(),
        2
    );
}

#[test]
fn only_operators_see_the_fleet_with_each_problem_in_plain_words() {
    let (_dir, hub) = demo_hub(&[("viewer", Role::Viewer), ("operator", Role::Operator)]);
    let addr = hub.addr();

    let viewer = session_cookie(addr, "viewer");
    let refused = request(addr, "GET", "/fleet", &[("Cookie", &viewer)], b"");
    assert_eq!(refused.status, 403);
    assert!(body(&refused).contains("无权查看"));
    let overview = request(addr, "GET", "/overview", &[("Cookie", &viewer)], b"");
    assert!(
        !body(&overview).contains(r#"href="/fleet""#),
        "no link a viewer cannot follow"
    );

    let operator = session_cookie(addr, "operator");
    let fleet = request(addr, "GET", "/fleet?lang=en", &[("Cookie", &operator)], b"");
    assert_eq!(fleet.status, 200);
    let html = body(&fleet);
    assert_eq!(html.matches("<tr class=").count(), 4, "{html}");
    assert!(html.contains("Paper running low"), "{html}");
    assert!(html.contains("Uploads waiting more than a day"), "{html}");
    assert!(html.contains("Silent for more than a day"), "{html}");
    assert_eq!(html.matches("All well").count(), 1);
    let attention = request(
        addr,
        "GET",
        "/fleet?attention=1",
        &[("Cookie", &operator)],
        b"",
    );
    assert_eq!(body(&attention).matches("<tr class=").count(), 3);
}

#[test]
fn the_tables_download_as_csv_for_excel_with_small_counts_hidden_and_audited() {
    let (dir, hub) = demo_hub(&[("viewer", Role::Viewer)]);
    let addr = hub.addr();
    let signed = sign_in(addr, "viewer", "a long enough passphrase");
    let with_session = format!(
        "ws_session={}",
        cookie_value(&signed, "ws_session").unwrap()
    );

    // The stations' week three ways: by station, by kind within district, by district, each
    // with its place columns, the six figures, and the total over all stations.
    let mut views = Vec::new();
    for (by, places, rows) in [("station", 3, 4), ("kind", 2, 4), ("district", 1, 3)] {
        let file = request(
            addr,
            "GET",
            &format!("/export/stations.csv?by={by}"),
            &[("Cookie", &with_session)],
            b"",
        );
        assert_eq!(file.status, 200);
        assert_eq!(file.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            file.header("content-disposition")
                .unwrap()
                .starts_with("attachment")
        );
        let text = body(&file);
        let text = text
            .strip_prefix('\u{feff}')
            .expect("a byte-order mark for Excel")
            .to_string();
        let lines: Vec<Vec<String>> = text
            .lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        assert_eq!(lines[0][0], "区", "{by}");
        assert_eq!(
            lines.len(),
            1 + rows + 1,
            "{by}: header, rows, all stations"
        );
        assert!(lines.iter().all(|r| r.len() == places + 6), "{by}: {text}");
        let figures: Vec<&String> = lines[1..].iter().flat_map(|r| &r[places..]).collect();
        for figure in figures.iter().filter(|f| f.as_str() != "<11") {
            assert!(figure.parse::<u64>().unwrap() >= 11, "{by}: {text}");
        }
        views.push(lines);
    }
    assert!(
        views[0].iter().flatten().any(|f| f == "<11"),
        "the small station"
    );
    // Nothing is given away between the views: in every district whose figure is shown, the
    // stations' hidden figures are none, or two or more that add up to 11 or more.
    let (stations, districts) = (&views[0], &views[2]);
    for district in &districts[1..districts.len() - 1] {
        for column in 0..6 {
            let Ok(total) = district[1 + column].parse::<u64>() else {
                continue;
            };
            let inside: Vec<&String> = stations[1..stations.len() - 1]
                .iter()
                .filter(|s| s[0] == district[0])
                .map(|s| &s[3 + column])
                .collect();
            let shown: u64 = inside.iter().filter_map(|f| f.parse::<u64>().ok()).sum();
            let hidden = inside.iter().filter(|f| **f == "<11").count();
            assert!(
                hidden == 0 && shown == total || hidden >= 2 && total - shown >= 11,
                "{} column {column}: {total} shown, {inside:?} inside",
                district[0]
            );
        }
    }
    // Without a session there is no file.
    let refused = request(addr, "GET", "/export/overview.csv", &[], b"");
    assert_eq!(refused.status, 303);
    let overview = request(
        addr,
        "GET",
        "/export/overview.csv",
        &[("Cookie", &with_session)],
        b"",
    );
    assert_eq!(body(&overview).lines().count(), 1 + 13);

    let log = waystation_hub::audit_log(dir.path(), 5).unwrap();
    assert_eq!(log[0].action, "exported");
    assert!(log[0].detail.starts_with("waystation-overview-"), "{log:?}");
    assert!(log[1].detail.starts_with("waystation-stations-"), "{log:?}");
}

#[test]
fn an_operator_marks_a_call_for_staff_handled_once_and_the_audit_log_says_who() {
    use crate::support::{Setup, now_ms, outcomes, synced};
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let call = kiosk.record(
        1,
        waystation_protocol::wire::STAFF_ALERT_KIND,
        synced(now_ms() - 60_000, 1_000),
        serde_json::json!({ "station": "jingan-1", "kind": "staff_call" }),
    );
    let reply = kiosk
        .post(
            setup.addr(),
            &kiosk.batch(vec![call], synced(now_ms(), 2_000)),
        )
        .reply();
    assert_eq!(outcomes(&reply), ["stored"]);
    for (name, role) in [("viewer", Role::Viewer), ("operator", Role::Operator)] {
        waystation_hub::add_user(setup.data(), name, role, "a long enough passphrase\n").unwrap();
    }
    let addr = setup.addr();
    let viewer = session_cookie(addr, "viewer");
    assert_eq!(
        request(addr, "GET", "/alerts", &[("Cookie", &viewer)], b"").status,
        403
    );

    let operator = session_cookie(addr, "operator");
    let page = body(&request(
        addr,
        "GET",
        "/alerts",
        &[("Cookie", &operator)],
        b"",
    ));
    assert!(
        page.contains("呼叫工作人员") && page.contains("jingan-1"),
        "{page}"
    );
    assert!(page.contains("未转发"), "no webhook is set: {page}");
    let ack = |session: &str, csrf: &str| {
        let form = format!(
            "csrf={}&device_id={}&record_id={}",
            encode(csrf),
            encode(&kiosk.id()),
            encode(&reply.results[0].id)
        );
        request(
            addr,
            "POST",
            "/alerts/acknowledge",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", session),
            ],
            form.as_bytes(),
        )
    };
    // Without the page's token, or by a viewer, nothing is marked.
    assert_eq!(ack(&operator, "forged").status, 403);
    let viewer_page = body(&request(
        addr,
        "GET",
        "/overview",
        &[("Cookie", &viewer)],
        b"",
    ));
    assert_eq!(ack(&viewer, &form_csrf(&viewer_page)).status, 403);
    assert!(
        body(&request(
            addr,
            "GET",
            "/alerts",
            &[("Cookie", &operator)],
            b""
        ))
        .contains("class=\"acknowledge\"")
    );

    let done = ack(&operator, &form_csrf(&page));
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location"), Some("/alerts"));
    let after = body(&request(
        addr,
        "GET",
        "/alerts",
        &[("Cookie", &operator)],
        b"",
    ));
    assert!(!after.contains("class=\"acknowledge\""), "{after}");
    assert!(after.contains("已处理 · operator"), "{after}");
    // A second mark keeps the first.
    assert_eq!(ack(&operator, &form_csrf(&page)).status, 303);
    let log = waystation_hub::audit_log(setup.data(), 20).unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "alert acknowledged")
            .count(),
        1
    );
}

#[test]
fn an_operator_registers_a_kiosk_by_its_key_and_revokes_it_only_when_confirmed() {
    let (dir, hub) = demo_hub(&[("viewer", Role::Viewer), ("operator", Role::Operator)]);
    let addr = hub.addr();
    let viewer = session_cookie(addr, "viewer");
    assert_eq!(
        request(addr, "GET", "/kiosks", &[("Cookie", &viewer)], b"").status,
        403
    );
    let operator = session_cookie(addr, "operator");
    let page = body(&request(
        addr,
        "GET",
        "/kiosks",
        &[("Cookie", &operator)],
        b"",
    ));
    let csrf = form_csrf(&page);
    let post = |path: &str, form: String| {
        request(
            addr,
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &operator),
            ],
            form.as_bytes(),
        )
    };

    let key = waystation_protocol::DeviceKey::from_secret([9; 32]);
    let register = |key: &str| {
        post(
            "/kiosks/register",
            format!(
                "csrf={}&key={}&station={}&note=",
                encode(&csrf),
                encode(key),
                encode("闵行驿站")
            ),
        )
    };
    let bad = register("not a key");
    assert_eq!(bad.status, 400);
    assert!(body(&bad).contains("这不是终端的公钥"), "{}", body(&bad));
    let done = register(&key.public_base64());
    assert_eq!(done.status, 303);
    let shown = request(
        addr,
        "GET",
        done.header("location").unwrap(),
        &[("Cookie", &operator)],
        b"",
    );
    let html = body(&shown);
    assert!(
        html.contains(&format!("已登记：{}", key.device_id())),
        "{html}"
    );
    assert!(html.contains("闵行驿站"));
    let device = waystation_hub::devices(dir.path())
        .unwrap()
        .into_iter()
        .find(|d| d.device_id == key.device_id())
        .expect("registered");
    assert_eq!(device.station.as_deref(), Some("闵行驿站"));

    // Revoking needs the box ticked; then the key is refused for good.
    let revoke = |confirm: &str| {
        post(
            "/kiosks/revoke",
            format!(
                "csrf={}&device_id={}{confirm}",
                encode(&csrf),
                key.device_id()
            ),
        )
    };
    let unconfirmed = revoke("");
    assert_eq!(unconfirmed.status, 400);
    assert!(body(&unconfirmed).contains("请勾选确认"));
    assert_eq!(revoke("&confirm=yes").status, 303);
    assert!(register(&key.public_base64()).status == 400);
    let log: Vec<String> = waystation_hub::audit_log(dir.path(), 5)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(log[..2], ["kiosk revoked", "kiosk registered"], "{log:?}");
    // A crafted link cannot put its own words on the page.
    let crafted = request(
        addr,
        "GET",
        "/kiosks?registered=call%20us",
        &[("Cookie", &operator)],
        b"",
    );
    assert!(!body(&crafted).contains("call us"));
}

#[test]
fn an_admin_publishes_a_signed_directory_that_kiosks_then_download() {
    let (dir, hub) = demo_hub(&[("operator", Role::Operator), ("admin", Role::Admin)]);
    let addr = hub.addr();
    let operator = session_cookie(addr, "operator");
    assert_eq!(
        request(addr, "GET", "/directory", &[("Cookie", &operator)], b"").status,
        403
    );
    let admin = session_cookie(addr, "admin");
    let page = body(&request(
        addr,
        "GET",
        "/directory",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(page.contains("还没有设置服务目录"), "{page}");
    let publish = |bundle: &str| {
        request(
            addr,
            "POST",
            "/directory",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
            ],
            format!(
                "csrf={}&bundle={}",
                encode(&form_csrf(&page)),
                encode(bundle)
            )
            .as_bytes(),
        )
    };
    let unsigned = r#"{"version":3,"issued":"2026-11-01","expires":"2027-02-28","entries":[{}]}"#;
    let refused = publish(unsigned);
    assert_eq!(refused.status, 400);
    assert!(
        body(&refused).contains("not a signed bundle"),
        "{}",
        body(&refused)
    );
    let signed = serde_json::json!({
        "format": "waystation-bundle-1",
        "bundle": unsigned,
        "signature": "c2lnbmVkIG9mZmxpbmU=",
    })
    .to_string();
    let done = publish(&signed);
    assert_eq!(done.status, 303);
    let shown = body(&request(
        addr,
        "GET",
        "/directory?done=1",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(shown.contains("已发布新的服务目录"), "{shown}");
    assert!(shown.contains("2027-02-28"), "{shown}");
    // What kiosks download (their signed requests get bundle.json) is the envelope as
    // published, byte for byte.
    let served = std::fs::read_to_string(dir.path().join("bundle.json")).unwrap();
    assert_eq!(served, signed);
    let log = waystation_hub::audit_log(dir.path(), 1).unwrap();
    assert_eq!(log[0].action, "directory set");
    assert_eq!(log[0].detail, "version 3 valid to 2027-02-28");
}

#[test]
fn an_admin_rolls_an_image_out_from_the_page_with_its_audit_line() {
    let (dir, hub) = demo_hub(&[("operator", Role::Operator), ("admin", Role::Admin)]);
    let addr = hub.addr();
    // Before any image: the page says how to add one, and offers no form.
    let admin = format!("{}; ws_lang=en", session_cookie(addr, "admin"));
    let empty = body(&request(
        addr,
        "GET",
        "/updates",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(
        empty.contains("id=\"no-images\"") && empty.contains("waystation-hub update add"),
        "{empty}"
    );
    assert!(
        empty.contains("id=\"no-rollouts\"") && !empty.contains("id=\"rollout\""),
        "{empty}"
    );
    let bundle = dir.path().join("incoming.raucb");
    std::fs::write(&bundle, b"any bytes").unwrap();
    waystation_hub::add_image(dir.path(), &bundle, "2026.12.3").unwrap();
    let operator = session_cookie(addr, "operator");
    assert_eq!(
        request(addr, "GET", "/updates", &[("Cookie", &operator)], b"").status,
        403
    );
    let admin = format!("{}; ws_lang=en", session_cookie(addr, "admin"));
    let page = body(&request(
        addr,
        "GET",
        "/updates",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(page.contains("<option value=\"2026.12.3\">"), "{page}");
    let csrf = form_csrf(&page);
    let roll_out = |fields: &str, csrf: &str| {
        request(
            addr,
            "POST",
            "/updates",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
            ],
            format!("csrf={}&{fields}", encode(csrf)).as_bytes(),
        )
    };
    let forged = roll_out("version=2026.12.3&scope=all", "forged");
    assert_eq!(forged.status, 403, "{}", body(&forged));
    for (fields, problem) in [
        (
            "version=2026.12.3&scope=district&name=",
            "give its name or id",
        ),
        ("version=9.9&scope=all", "no bundle of that version"),
        (
            "version=2026.12.3&scope=kiosk&name=ws-0000",
            "No kiosk of that id",
        ),
    ] {
        let refused = roll_out(fields, &csrf);
        assert_eq!(refused.status, 400, "{fields}");
        assert!(body(&refused).contains(problem), "{}", body(&refused));
    }
    assert!(waystation_hub::rollouts(dir.path()).unwrap().is_empty());
    let district = encode("静安区");
    let done = roll_out(
        &format!("version=2026.12.3&scope=district&name={district}"),
        &csrf,
    );
    assert_eq!(done.status, 303);
    let rollouts = waystation_hub::rollouts(dir.path()).unwrap();
    assert_eq!(rollouts.len(), 1);
    assert_eq!(
        rollouts[0].scope,
        waystation_hub::Scope::District("静安区".into())
    );
    let shown = body(&request(
        addr,
        "GET",
        "/updates?done=1",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(
        shown.contains("Rolled out") && shown.contains("district 静安区"),
        "{shown}"
    );
    let log = waystation_hub::audit_log(dir.path(), 1).unwrap();
    assert_eq!(log[0].action, "image rolled out");
}

#[test]
fn an_admin_adds_an_account_that_can_then_sign_in_and_others_cannot_add_one() {
    let (dir, hub) = demo_hub(&[("operator", Role::Operator), ("admin", Role::Admin)]);
    let addr = hub.addr();
    let operator = session_cookie(addr, "operator");
    assert_eq!(
        request(addr, "GET", "/accounts", &[("Cookie", &operator)], b"").status,
        403
    );
    let admin = session_cookie(addr, "admin");
    let page = body(&request(
        addr,
        "GET",
        "/accounts",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(page.contains("管理员：另可管理账号和服务目录"), "{page}");
    let add = |name: &str, password: &str| {
        request(
            addr,
            "POST",
            "/accounts",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
            ],
            format!(
                "csrf={}&name={}&role=viewer&password={}",
                encode(&form_csrf(&page)),
                encode(name),
                encode(password)
            )
            .as_bytes(),
        )
    };
    let spaced = add("zhao lei", "a long enough passphrase");
    assert_eq!(spaced.status, 400);
    assert!(body(&spaced).contains("不含空格"));
    let short = add("赵磊", "short");
    assert_eq!(short.status, 400);
    assert!(body(&short).contains("至少需要 12 个字符"));
    let taken = add("operator", "a long enough passphrase");
    assert!(body(&taken).contains("已有同名账号"));

    let done = add("赵磊", "a long enough passphrase");
    assert_eq!(done.status, 303);
    let shown = body(&request(
        addr,
        "GET",
        done.header("location").unwrap(),
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(shown.contains("已添加账号：赵磊"), "{shown}");
    assert_eq!(
        sign_in(addr, "赵磊", "a long enough passphrase").status,
        303
    );
    let log = waystation_hub::audit_log(dir.path(), 3).unwrap();
    let added = log.iter().find(|e| e.action == "account added").unwrap();
    assert_eq!(
        (added.actor.as_str(), added.detail.as_str()),
        ("admin", "赵磊 (viewer)")
    );
}

#[test]
fn an_admin_removes_an_account_which_is_signed_out_at_once_but_not_their_own_or_the_last_admin() {
    let (dir, hub) = demo_hub(&[("operator", Role::Operator), ("admin", Role::Admin)]);
    let addr = hub.addr();
    let operator = session_cookie(addr, "operator");
    let admin = session_cookie(addr, "admin");
    let page = body(&request(
        addr,
        "GET",
        "/accounts",
        &[("Cookie", &admin)],
        b"",
    ));
    let remove = |name: &str, confirm: bool| {
        request(
            addr,
            "POST",
            "/accounts/remove",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
            ],
            format!(
                "csrf={}&name={}{}",
                encode(&form_csrf(&page)),
                encode(name),
                if confirm { "&confirm=yes" } else { "" }
            )
            .as_bytes(),
        )
    };
    // The admin's own row has no remove button, and asking anyway is refused.
    assert_eq!(
        page.matches("action=\"/accounts/remove\"").count(),
        1,
        "{page}"
    );
    let own = remove("admin", true);
    assert_eq!(own.status, 400);
    assert!(body(&own).contains("不能在这里删除自己的账号"));
    let unconfirmed = remove("operator", false);
    assert_eq!(unconfirmed.status, 400);
    assert!(body(&unconfirmed).contains("请勾选确认后再删除"));
    let done = remove("operator", true);
    assert_eq!(done.status, 303);
    let shown = body(&request(
        addr,
        "GET",
        done.header("location").unwrap(),
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(shown.contains("已删除账号：operator"), "{shown}");
    // The operator's open session ends with the account.
    let after = request(addr, "GET", "/fleet", &[("Cookie", &operator)], b"");
    assert_eq!(after.status, 303, "sent to sign in");
    let log = waystation_hub::audit_log(dir.path(), 3).unwrap();
    let removed = log.iter().find(|e| e.action == "account removed").unwrap();
    assert_eq!(
        (removed.actor.as_str(), removed.detail.as_str()),
        ("admin", "operator")
    );
    // From the command line the last admin stays.
    let err = waystation_hub::remove_user(dir.path(), "admin").unwrap_err();
    assert!(
        matches!(err, waystation_hub::HubError::LastAdmin(_)),
        "{err}"
    );
}

#[test]
fn a_kiosk_key_scanned_before_signing_in_comes_back_filled_in_after() {
    let (_dir, hub) = demo_hub(&[("operator", Role::Operator)]);
    let addr = hub.addr();
    let key = waystation_protocol::DeviceKey::from_secret([5; 32]);
    let link = format!("/kiosks?key={}", encode(&key.public_base64()));
    // Not signed in: to the sign-in form, which carries the key (and only a key).
    let away = request(addr, "GET", &link, &[], b"");
    assert_eq!(away.status, 303);
    let sign_in_at = away.header("location").unwrap().to_string();
    assert!(sign_in_at.starts_with("/sign-in?register="), "{sign_in_at}");
    let form = request(addr, "GET", &sign_in_at, &[], b"");
    let page = body(&form);
    let carried = format!("name=\"register\" value=\"{}\"", key.public_base64());
    assert!(page.contains(&carried), "{page}");
    let forged = body(&request(
        addr,
        "GET",
        "/sign-in?register=%3Cscript%3E",
        &[],
        b"",
    ));
    assert!(!forged.contains("name=\"register\""), "{forged}");
    // Signed in with it: straight back to the kiosks page, the form filled in.
    let cookie = cookie_value(&form, "ws_sign_in").unwrap();
    let post = format!(
        "name=operator&password={}&csrf={}&register={}",
        encode("a long enough passphrase"),
        encode(&form_csrf(&page)),
        encode(&key.public_base64())
    );
    let signed = request(
        addr,
        "POST",
        "/sign-in",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("ws_sign_in={cookie}")),
        ],
        post.as_bytes(),
    );
    assert_eq!(signed.status, 303);
    assert_eq!(signed.header("location"), Some(link.as_str()));
    let session = format!(
        "ws_session={}",
        cookie_value(&signed, "ws_session").unwrap()
    );
    let kiosks = body(&request(addr, "GET", &link, &[("Cookie", &session)], b""));
    assert!(
        kiosks.contains(&format!("value=\"{}\"", key.public_base64())),
        "{kiosks}"
    );
    assert!(
        kiosks.contains(&key.device_id()),
        "the scanned kiosk's id is shown"
    );
}

#[test]
fn an_admin_switches_remote_help_on_and_off_from_the_page_with_its_audit_lines() {
    use crate::support::{Kiosk, NOV_2026, synced};
    let (dir, hub) = demo_hub(&[("operator", Role::Operator), ("admin", Role::Admin)]);
    let addr = hub.addr();
    let centre = std::fs::read_to_string(dir.path().join(waystation_hub::PUB_FILE)).unwrap();
    let with_jump = Kiosk::new(41, &centre);
    let without = Kiosk::new(42, &centre);
    for (kiosk, available) in [(&with_jump, true), (&without, false)] {
        waystation_hub::add_device(dir.path(), &kiosk.key.public_base64(), None, None).unwrap();
        let beat = kiosk.record(
            1,
            "heartbeat",
            synced(NOV_2026, 1),
            serde_json::json!({"remote_help": {"available": available, "tunnel": "error",
                "detail": "Connection refused", "client_key": null}}),
        );
        kiosk
            .post(addr, &kiosk.batch(vec![beat], synced(NOV_2026, 2)))
            .reply();
    }
    let operator = session_cookie(addr, "operator");
    assert_eq!(
        request(addr, "GET", "/remote-help", &[("Cookie", &operator)], b"").status,
        403
    );
    let admin = format!("{}; ws_lang=en", session_cookie(addr, "admin"));
    let page = body(&request(
        addr,
        "GET",
        "/remote-help",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(
        page.contains("id=\"no-remote-help\"") && page.contains("id=\"switch-on\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"/remote-help\""),
        "in the admin's menu"
    );
    let csrf = form_csrf(&page);
    let post = |path: &str, fields: &str, csrf: &str| {
        request(
            addr,
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
            ],
            format!("csrf={}&{fields}", encode(csrf)).as_bytes(),
        )
    };
    let forged = post(
        "/remote-help",
        &format!("kiosk={}&minutes=60", with_jump.id()),
        "forged",
    );
    assert_eq!(forged.status, 403, "{}", body(&forged));
    for (fields, problem) in [
        (
            format!("kiosk={}&minutes=0", with_jump.id()),
            "Give 1 to 480 minutes",
        ),
        (
            format!("kiosk={}&minutes=an+hour", with_jump.id()),
            "Give 1 to 480 minutes",
        ),
        (
            "kiosk=ws-0000&minutes=60".to_string(),
            "No kiosk of that id",
        ),
        (
            format!("kiosk={}&minutes=60", without.id()),
            "names no jump host",
        ),
    ] {
        let refused = post("/remote-help", &fields, &csrf);
        assert_eq!(refused.status, 400, "{fields}");
        assert!(body(&refused).contains(problem), "{}", body(&refused));
    }
    assert!(
        waystation_hub::remote_help_list(dir.path())
            .unwrap()
            .is_empty()
    );

    let done = post(
        "/remote-help",
        &format!("kiosk={}&minutes=45", with_jump.id()),
        &csrf,
    );
    assert_eq!(done.status, 303);
    let listed = waystation_hub::remote_help_list(dir.path()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].0.device_id.as_str(),
            listed[0].0.granted_by.as_str()
        ),
        (with_jump.id().as_str(), "admin")
    );
    assert_eq!(listed[0].0.until_ms - listed[0].0.granted_ms, 45 * 60_000);
    let shown = body(&request(
        addr,
        "GET",
        "/remote-help?done=on",
        &[("Cookie", &admin)],
        b"",
    ));
    assert!(
        shown.contains("Switched on") && shown.contains(&with_jump.id()),
        "{shown}"
    );
    assert!(
        shown.contains("error: Connection refused"),
        "the tunnel as last heard: {shown}"
    );

    let off = post(
        "/remote-help/off",
        &format!("kiosk={}", with_jump.id()),
        &csrf,
    );
    assert_eq!(off.status, 303);
    assert!(
        waystation_hub::remote_help_list(dir.path())
            .unwrap()
            .is_empty()
    );
    let log = waystation_hub::audit_log(dir.path(), 2).unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|l| (l.actor.as_str(), l.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("admin", "remote help off"), ("admin", "remote help on")]
    );
}
