//! Workers' calls for staff: a `staff_alert` record is passed on to the centre's webhook once,
//! at once, with station, kind and time only, and the kiosk is told whether it was.

use std::time::{Duration, Instant};

use serde_json::json;
use waystation_hub::{Via, WebhookFormat};
use waystation_protocol::BatchReply;
use waystation_protocol::wire::STAFF_ALERT_KIND;

use crate::support::{Hook, HookAnswer, Kiosk, Setup, now_ms, outcomes, synced};

/// A staff alert made `age_ms` ago by a synced clock, as the kiosk writes it.
fn alert(kiosk: &Kiosk, n: u64, age_ms: i64) -> waystation_protocol::WireRecord {
    kiosk.record(
        n,
        STAFF_ALERT_KIND,
        synced(now_ms() - age_ms, 1_000 + n as i64),
        json!({ "station": "jingan-1", "kind": "staff_call" }),
    )
}

fn forwarded(reply: &BatchReply) -> Vec<Option<bool>> {
    reply.results.iter().map(|r| r.forwarded).collect()
}

/// The time a webhook should be told for a record made at `ms`: Shanghai, to the second.
fn shanghai(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&offset)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[test]
fn an_alert_is_posted_once_with_station_kind_and_time_and_a_resend_does_not_post_again() {
    let setup = Setup::new();
    let hook = Hook::start(HookAnswer::Reply(200, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/staff"), WebhookFormat::Json).unwrap();
    let kiosk = &setup.kiosk;
    let record = alert(kiosk, 1, 2_000);
    let mood = kiosk.record(
        2,
        "mood_check_in",
        synced(now_ms(), 2_000),
        json!({ "word": "tired" }),
    );
    let body = kiosk.batch(vec![record.clone(), mood], synced(now_ms(), 3_000));

    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(outcomes(&reply), ["stored", "stored"]);
    assert_eq!(forwarded(&reply), [Some(true), None]);
    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, "/staff");
    let created = now_ms() - 2_000;
    let sent = &posts[0].1;
    assert_eq!(
        sent.as_object().unwrap().len(),
        3,
        "station, kind, time only: {sent}"
    );
    assert_eq!(sent["station"], "jingan-1");
    assert_eq!(sent["kind"], "staff_call");
    // Within a second or two of the record's time, in Shanghai's offset.
    let time = sent["time"].as_str().unwrap();
    assert!(time.ends_with("+08:00"), "{time}");
    let told = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap()
        .timestamp_millis();
    assert!(
        (told - created).abs() < 5_000,
        "{time} vs {}",
        shanghai(created)
    );

    // The reply was lost, the kiosk sends the same batch again: a duplicate, still
    // "forwarded", and nothing posted twice.
    let again = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(outcomes(&again), ["duplicate", "duplicate"]);
    assert_eq!(forwarded(&again), [Some(true), None]);
    // Sealed afresh and sent alone: still the same alert.
    let resent = kiosk.batch(vec![alert(kiosk, 1, 2_000)], synced(now_ms(), 4_000));
    let third = kiosk.post(setup.addr(), &resent).reply();
    assert_eq!(forwarded(&third), [Some(true)]);
    assert_eq!(hook.posts().len(), 1);

    let alerts = waystation_hub::alerts(setup.data(), 10).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].record_id, record.id);
    assert_eq!((alerts[0].attempts, alerts[0].via), (1, Via::Network));
    assert!(alerts[0].forwarded_ms.is_some() && alerts[0].last_error.is_none());
}

#[test]
fn the_wecom_format_is_a_group_robot_text_message_and_its_error_code_counts() {
    let setup = Setup::new();
    let hook = Hook::start(HookAnswer::Reply(200, r#"{"errcode":0,"errmsg":"ok"}"#));
    waystation_hub::set_webhook(
        setup.data(),
        &hook.url("/cgi-bin/webhook/send?key=k"),
        WebhookFormat::Wecom,
    )
    .unwrap();
    let kiosk = &setup.kiosk;
    let body = kiosk.batch(vec![alert(kiosk, 1, 0)], synced(now_ms(), 3_000));
    assert_eq!(
        forwarded(&kiosk.post(setup.addr(), &body).reply()),
        [Some(true)]
    );
    let posts = hook.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].0, "/cgi-bin/webhook/send?key=k");
    let sent = &posts[0].1;
    assert_eq!(sent.as_object().unwrap().len(), 2, "{sent}");
    assert_eq!(sent["msgtype"], "text");
    assert_eq!(sent["text"].as_object().unwrap().len(), 1, "{sent}");
    let content = sent["text"]["content"].as_str().unwrap();
    assert!(
        content.contains("jingan-1") && content.contains("呼叫驿站工作人员"),
        "{content}"
    );

    // The robot answers 200 with an error code when it refuses (too many messages, say): the
    // alert is stored, and the kiosk hears "not forwarded".
    hook.answer(HookAnswer::Reply(
        200,
        r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
    ));
    let body = kiosk.batch(vec![alert(kiosk, 2, 0)], synced(now_ms(), 4_000));
    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(outcomes(&reply), ["stored"]);
    assert_eq!(forwarded(&reply), [Some(false)]);
    let latest = &waystation_hub::alerts(setup.data(), 1).unwrap()[0];
    assert!(
        latest.last_error.as_deref().unwrap().contains("45009"),
        "{latest:?}"
    );
}

#[test]
fn a_failing_or_hanging_webhook_leaves_the_alert_stored_and_the_kiosk_answered_in_time() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    // A webhook that answers 500.
    let hook = Hook::start(HookAnswer::Reply(500, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/"), WebhookFormat::Json).unwrap();
    let body = kiosk.batch(vec![alert(kiosk, 1, 0)], synced(now_ms(), 3_000));
    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(
        (outcomes(&reply), forwarded(&reply)),
        (vec!["stored"], vec![Some(false)])
    );

    // A webhook that never answers: the hub gives up after its time-out, well within the
    // 20 s the kiosk's screen waits.
    hook.answer(HookAnswer::Stall(Duration::from_secs(30)));
    let body = kiosk.batch(vec![alert(kiosk, 2, 0)], synced(now_ms(), 4_000));
    let started = Instant::now();
    let reply = kiosk.post(setup.addr(), &body).reply();
    let took = started.elapsed();
    assert_eq!(forwarded(&reply), [Some(false)]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(took >= Duration::from_secs(4), "took {took:?}");

    // Nobody listening at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    waystation_hub::set_webhook(
        setup.data(),
        &format!("http://127.0.0.1:{port}/"),
        WebhookFormat::Json,
    )
    .unwrap();
    let body = kiosk.batch(vec![alert(kiosk, 3, 0)], synced(now_ms(), 5_000));
    assert_eq!(
        forwarded(&kiosk.post(setup.addr(), &body).reply()),
        [Some(false)]
    );

    // All three are stored, none passed on; each says why.
    let alerts = waystation_hub::alerts(setup.data(), 10).unwrap();
    assert_eq!(alerts.len(), 3);
    assert!(
        alerts
            .iter()
            .all(|a| a.forwarded_ms.is_none() && a.attempts == 1)
    );
    assert!(alerts.iter().all(|a| a.last_error.is_some()), "{alerts:?}");
    assert_eq!(waystation_hub::records(setup.data()).unwrap().len(), 3);
}

#[test]
fn without_a_webhook_alerts_wait_and_retry_posts_each_once() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let body = kiosk.batch(
        vec![alert(kiosk, 1, 0), alert(kiosk, 2, 1_000)],
        synced(now_ms(), 3_000),
    );
    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(forwarded(&reply), [Some(false), Some(false)]);
    let waiting = waystation_hub::alerts(setup.data(), 10).unwrap();
    assert!(
        waiting
            .iter()
            .all(|a| a.attempts == 0 && a.last_error.as_deref().unwrap().contains("no webhook")),
        "{waiting:?}"
    );
    assert!(matches!(
        waystation_hub::retry_alerts(setup.data()),
        Err(waystation_hub::HubError::NoWebhook)
    ));

    let hook = Hook::start(HookAnswer::Reply(200, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/"), WebhookFormat::Json).unwrap();
    let summary = waystation_hub::retry_alerts(setup.data()).unwrap();
    assert_eq!((summary.forwarded, summary.failed.len()), (2, 0));
    assert_eq!(hook.posts().len(), 2);
    // Nothing left to retry; a resend from the kiosk now hears "forwarded".
    let summary = waystation_hub::retry_alerts(setup.data()).unwrap();
    assert_eq!((summary.forwarded, summary.failed.len()), (0, 0));
    assert_eq!(hook.posts().len(), 2);
    let again = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(forwarded(&again), [Some(true), Some(true)]);
}

#[test]
fn an_old_alert_or_one_on_a_usb_stick_is_stored_but_not_posted() {
    let setup = Setup::new();
    let hook = Hook::start(HookAnswer::Reply(200, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/"), WebhookFormat::Json).unwrap();
    let kiosk = &setup.kiosk;
    // Two hours old: the kiosk was offline; nobody should run to it now.
    let body = kiosk.batch(
        vec![alert(kiosk, 1, 2 * 3600 * 1000)],
        synced(now_ms(), 3_000),
    );
    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(
        (outcomes(&reply), forwarded(&reply)),
        (vec!["stored"], vec![Some(false)])
    );
    // Carried on a USB stick.
    let stick = tempfile::tempdir().unwrap();
    let body = kiosk.batch(vec![alert(kiosk, 2, 0)], synced(now_ms(), 4_000));
    std::fs::write(stick.path().join("a.json"), kiosk.export(&body)).unwrap();
    let imported = waystation_hub::import_dir(setup.data(), stick.path()).unwrap();
    assert_eq!(imported.stored, 1);
    assert!(hook.posts().is_empty());
    let alerts = waystation_hub::alerts(setup.data(), 10).unwrap();
    assert_eq!(alerts.len(), 2);
    let old = alerts.iter().find(|a| a.via == Via::Network).unwrap();
    assert!(
        old.last_error.as_deref().unwrap().contains("30 minutes"),
        "{old:?}"
    );
    let carried = alerts.iter().find(|a| a.via == Via::Import).unwrap();
    assert!(carried.forwarded_ms.is_none() && carried.attempts == 0);
    assert!(
        carried
            .last_error
            .as_deref()
            .unwrap()
            .contains("export file"),
        "{carried:?}"
    );
}

#[test]
fn an_alert_without_a_station_takes_the_one_the_kiosk_was_registered_with() {
    let setup = Setup::new();
    let hook = Hook::start(HookAnswer::Reply(200, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/"), WebhookFormat::Json).unwrap();
    let kiosk = &setup.kiosk;
    let record = kiosk.record(
        1,
        STAFF_ALERT_KIND,
        synced(now_ms(), 1_000),
        json!({ "kind": "staff_call" }),
    );
    let body = kiosk.batch(vec![record], synced(now_ms(), 2_000));
    assert_eq!(
        forwarded(&kiosk.post(setup.addr(), &body).reply()),
        [Some(true)]
    );
    assert_eq!(hook.posts()[0].1["station"], "jingan-1");
}

#[test]
fn the_fleet_watch_passes_on_a_kiosk_out_of_paper_once_closes_it_when_fixed_and_finds_silence() {
    let setup = Setup::new();
    let hook = Hook::start(HookAnswer::Reply(200, "{}"));
    waystation_hub::set_webhook(setup.data(), &hook.url("/fleet"), WebhookFormat::Json).unwrap();
    let kiosk = &setup.kiosk;
    let heartbeat = |n: u64, printer: &str| {
        let record = kiosk.record(
            n,
            waystation_hub::HEARTBEAT_KIND,
            synced(now_ms(), n as i64 * 1_000),
            json!({ "printer": { "last_status": printer } }),
        );
        let body = kiosk.batch(vec![record], synced(now_ms(), n as i64 * 1_000 + 1));
        assert_eq!(
            outcomes(&kiosk.post(setup.addr(), &body).reply()),
            ["stored"]
        );
    };
    let paper_out = |alerts: &[waystation_hub::Alert]| {
        alerts
            .iter()
            .filter(|a| a.kind == "paper_out")
            .cloned()
            .collect::<Vec<_>>()
    };

    heartbeat(1, "paper out");
    // The running hub watches every 5 minutes and once as it starts, which may be before or
    // after this heartbeat came: either way the problem is raised and posted once.
    waystation_hub::watch_fleet(setup.data()).unwrap();
    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, "/fleet");
    assert_eq!(posts[0].1["kind"], "paper_out");
    assert_eq!(posts[0].1["station"], "jingan-1");
    let stored = paper_out(&waystation_hub::alerts(setup.data(), 10).unwrap());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].via, Via::Watch);
    assert!(stored[0].forwarded_ms.is_some());

    // Still out of paper at the next passes: nothing is raised or posted again.
    for _ in 0..2 {
        let again = waystation_hub::watch_fleet(setup.data()).unwrap();
        assert_eq!(again.raised, [], "raised again");
    }
    assert_eq!(hook.posts().len(), 1);

    // The roll is changed: the alert closes, and stays in the list.
    heartbeat(2, "ready");
    let fixed = waystation_hub::watch_fleet(setup.data()).unwrap();
    assert_eq!(fixed.raised, []);
    let closed = paper_out(&waystation_hub::alerts(setup.data(), 10).unwrap());
    assert_eq!(closed.len(), 1);
    assert!(closed[0].cleared_ms.is_some(), "{closed:?}");

    // Two days without a heartbeat: the kiosk is silent, and that is passed on once.
    let later = now_ms() + 2 * 86_400_000;
    let silent = waystation_hub::watch_fleet_at(setup.data(), later).unwrap();
    assert_eq!(silent.raised.len(), 1, "{silent:?}");
    assert_eq!(silent.raised[0].kind, "kiosk_silent");
    assert_eq!(silent.forwarded, 1);
    let posts = hook.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[1].1["kind"], "kiosk_silent");
    assert_eq!(
        waystation_hub::watch_fleet_at(setup.data(), later + 60_000)
            .unwrap()
            .raised,
        []
    );
}
