//! Batches, refusals, the bundle and clock correction, over real HTTP.

use serde_json::json;
use sha2::Digest;
use waystation_hub::{KindCount, Via};
use waystation_protocol::request::{DEVICE_HEADER, SIGNATURE_HEADER};
use waystation_protocol::wire::{BATCH_PATH, BUNDLE_PATH, MAX_BATCH_BYTES};
use waystation_protocol::{Outcome, TimeSource, WireRecord, sign_request};

use crate::support::{NOV_2026, Setup, outcomes, request, send_raw, start, synced, unsynced};

fn count(device: &str, kind: &str, records: u64) -> KindCount {
    KindCount {
        device_id: device.into(),
        kind: kind.into(),
        records,
    }
}

#[test]
fn a_batch_is_stored_and_counted_and_a_resend_changes_nothing() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let records = vec![
        kiosk.record(
            1,
            "mood_check_in",
            synced(NOV_2026, 1_000),
            json!({ "word": "tired" }),
        ),
        kiosk.record(
            2,
            "mood_check_in",
            synced(NOV_2026 + 5, 1_005),
            json!({ "word": "calm" }),
        ),
        kiosk.record(
            3,
            "slip_printed",
            synced(NOV_2026 + 9, 1_009),
            json!({ "slip": "demo" }),
        ),
    ];
    let body = kiosk.batch(records.clone(), synced(NOV_2026 + 60_000, 61_000));

    let reply = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(outcomes(&reply), ["stored"; 3]);
    let ids: Vec<_> = reply.results.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        ids,
        records.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    );
    let expected = vec![
        count(&kiosk.id(), "mood_check_in", 2),
        count(&kiosk.id(), "slip_printed", 1),
    ];
    assert_eq!(waystation_hub::counts(setup.data()).unwrap(), expected);

    let stored = waystation_hub::records(setup.data()).unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].id, records[0].id);
    assert_eq!(stored[0].device_id, kiosk.id());
    assert_eq!(stored[0].seq, 1);
    assert_eq!(stored[0].day, "2026-11-28");
    assert_eq!(stored[0].schema_version, 1);
    assert_eq!(stored[0].payload, json!({ "word": "tired" }));
    assert_eq!(stored[0].created, synced(NOV_2026, 1_000));
    assert_eq!(
        (stored[0].corrected_ms, stored[0].time_source),
        (NOV_2026, TimeSource::Synced)
    );
    assert_eq!(stored[0].via, Via::Network);

    // The same bytes again, as after a lost reply.
    let again = kiosk.post(setup.addr(), &body).reply();
    assert_eq!(outcomes(&again), ["duplicate"; 3]);
    // Sealed afresh (every seal differs) and sent later: still the same records.
    let resealed = kiosk.batch(
        vec![kiosk.record(
            2,
            "mood_check_in",
            synced(NOV_2026 + 5, 1_005),
            json!({ "word": "calm" }),
        )],
        synced(NOV_2026 + 90_000, 91_000),
    );
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &resealed).reply()),
        ["duplicate"]
    );
    assert_eq!(waystation_hub::counts(setup.data()).unwrap(), expected);
}

#[test]
fn a_record_that_fails_a_check_is_rejected_and_the_others_in_its_batch_are_stored() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let good = kiosk.record(1, "mood_check_in", synced(NOV_2026, 1), json!({ "n": 1 }));
    // Sealed as a mood check-in but sent as a printed slip: the binding does not match.
    let mut relabelled = kiosk.record(2, "mood_check_in", synced(NOV_2026, 2), json!({ "n": 2 }));
    relabelled.kind = "slip_printed".into();
    let mut not_a_uuid = kiosk.record(3, "mood_check_in", synced(NOV_2026, 3), json!({}));
    not_a_uuid.id = "record-3".into();
    let mut impossible_day = kiosk.record(4, "mood_check_in", synced(NOV_2026, 4), json!({}));
    impossible_day.day = "2026-02-30".into();
    let mut not_base64 = kiosk.record(5, "mood_check_in", synced(NOV_2026, 5), json!({}));
    not_base64.sealed = "%%%".into();
    let id = kiosk.record_id(6);
    let not_a_body = WireRecord {
        sealed: kiosk.seal(&id, "mood_check_in", 1, b"{\"payload\":1}"),
        id,
        seq: 6,
        kind: "mood_check_in".into(),
        schema_version: 1,
        day: "2026-11-28".into(),
    };
    // A kind this hub has never heard of is still stored: a newer kiosk may send it.
    let future = kiosk.record(
        7,
        "kind_from_2030",
        synced(NOV_2026, 7),
        json!({ "new": true }),
    );
    let records = vec![
        good.clone(),
        relabelled,
        not_a_uuid,
        impossible_day,
        not_base64,
        not_a_body,
        future,
        good,
    ];
    let reply = kiosk
        .post(
            setup.addr(),
            &kiosk.batch(records.clone(), synced(NOV_2026 + 10, 20)),
        )
        .reply();
    assert_eq!(
        outcomes(&reply),
        [
            "stored",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "stored",
            "duplicate"
        ]
    );
    for (result, record) in reply.results.iter().zip(&records) {
        assert_eq!(result.id, record.id);
        if let Outcome::Rejected { reason } = &result.outcome {
            assert!(!reason.is_empty() && !reason.contains('\n'), "{reason:?}");
        }
    }
    let Outcome::Rejected { reason } = &reply.results[1].outcome else {
        unreachable!()
    };
    assert!(reason.contains("does not open"), "{reason}");
    assert_eq!(
        waystation_hub::counts(setup.data()).unwrap(),
        [
            count(&kiosk.id(), "kind_from_2030", 1),
            count(&kiosk.id(), "mood_check_in", 1),
        ]
    );
}

#[test]
fn strangers_bad_signatures_and_bad_bodies_are_refused_as_a_whole() {
    let setup = Setup::new();
    let addr = setup.addr();
    let kiosk = &setup.kiosk;
    let body = kiosk.batch(
        vec![kiosk.record(1, "mood_check_in", synced(NOV_2026, 1), json!({}))],
        synced(NOV_2026, 2),
    );

    // A kiosk nobody registered, signing correctly.
    let stranger = setup.stranger(9);
    let stranger_body = stranger.batch(
        vec![stranger.record(1, "mood_check_in", synced(NOV_2026, 1), json!({}))],
        synced(NOV_2026, 2),
    );
    let response = stranger.post(addr, &stranger_body);
    assert_eq!(response.status, 401);
    assert!(
        response.error().contains("not registered"),
        "{}",
        response.error()
    );

    // The registered device's name with the stranger's signature, and a signature of
    // other bytes.
    let id = kiosk.id();
    for signature in [
        sign_request(&stranger.key, "POST", BATCH_PATH, &body),
        sign_request(&kiosk.key, "POST", BATCH_PATH, b"{}"),
        "not base64".to_string(),
    ] {
        let headers = [(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
        let response = request(addr, "POST", BATCH_PATH, &headers, &body);
        assert_eq!(response.status, 401);
        assert!(
            response.error().contains("signature"),
            "{}",
            response.error()
        );
    }
    let response = request(addr, "POST", BATCH_PATH, &[], &body);
    assert_eq!(response.status, 401);
    assert!(response.error().contains(DEVICE_HEADER));

    // Signed correctly, but not a batch; and a batch naming another device.
    let response = kiosk.post(addr, b"{\"protocol\": 1, ");
    assert_eq!(response.status, 400);
    assert!(
        response.error().contains("not a valid batch"),
        "{}",
        response.error()
    );
    let response = kiosk.post(addr, &stranger_body);
    assert_eq!(response.status, 400);
    assert!(response.error().contains(&stranger.id()));

    // A body declared bigger than the protocol allows is refused before it is read.
    let signature = sign_request(&kiosk.key, "POST", BATCH_PATH, b"");
    let head = format!(
        "POST {BATCH_PATH} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{DEVICE_HEADER}: {id}\r\n{SIGNATURE_HEADER}: {signature}\r\nContent-Length: {}\r\n\r\n",
        MAX_BATCH_BYTES + 1
    );
    let response = send_raw(addr, head.as_bytes(), b"");
    assert_eq!(response.status, 413);
    assert!(response.error().contains("larger"));

    assert!(waystation_hub::records(setup.data()).unwrap().is_empty());

    let health = request(addr, "GET", "/v1/health", &[], b"");
    assert_eq!((health.status, health.body.as_slice()), (200, &b"ok"[..]));
    let response = request(addr, "GET", "/v1/nothing", &[], b"");
    assert_eq!(response.status, 404);
    assert!(!response.error().is_empty());
}

#[test]
fn the_bundle_is_served_with_an_etag_and_not_again_while_unchanged() {
    let setup = Setup::new();
    let addr = setup.addr();
    let kiosk = &setup.kiosk;

    let response = kiosk.get_bundle(addr, None);
    assert_eq!(response.status, 404);
    assert!(response.error().contains("no bundle"));

    let file = setup.data().join("incoming.json");
    std::fs::write(&file, br#"{"bundle":"{}","signature":"c2ln"}"#).unwrap();
    let etag = waystation_hub::set_bundle(setup.data(), &file).unwrap();

    let response = kiosk.get_bundle(addr, None);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("etag"), Some(etag.as_str()));
    assert_eq!(response.body, std::fs::read(&file).unwrap());

    let response = kiosk.get_bundle(addr, Some(&etag));
    assert_eq!(response.status, 304);
    assert!(response.body.is_empty());
    assert_eq!(response.header("etag"), Some(etag.as_str()));

    // A new bundle has a new tag, so the old tag gets the new bundle.
    std::fs::write(&file, br#"{"bundle":"{\"v\":2}","signature":"c2ln"}"#).unwrap();
    let new_etag = waystation_hub::set_bundle(setup.data(), &file).unwrap();
    assert_ne!(new_etag, etag);
    let response = kiosk.get_bundle(addr, Some(&etag));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("etag"), Some(new_etag.as_str()));

    // Only registered devices, with the signature of this very request.
    assert_eq!(setup.stranger(9).get_bundle(addr, None).status, 401);
    let id = kiosk.id();
    let signature = sign_request(&kiosk.key, "GET", "/v1/other", b"");
    let headers = [(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
    assert_eq!(request(addr, "GET", BUNDLE_PATH, &headers, b"").status, 401);

    let not_json = setup.data().join("broken.json");
    std::fs::write(&not_json, b"{").unwrap();
    let err = waystation_hub::set_bundle(setup.data(), &not_json).unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    assert_eq!(kiosk.get_bundle(addr, Some(&new_etag)).status, 304);
}

#[test]
fn an_image_is_offered_to_the_kiosks_of_its_rollout_and_served_in_ranges() {
    use waystation_hub::Scope;
    let setup = Setup::new();
    let addr = setup.addr();
    let kiosk = &setup.kiosk;
    let other = setup.stranger(2);
    waystation_hub::add_device(setup.data(), &other.key.public_base64(), None, None).unwrap();
    assert_eq!(kiosk.get_signed(addr, "/v1/update", &[]).status, 204);

    let bytes: Vec<u8> = (0..1000u32).map(|n| (n * 7 % 251) as u8).collect();
    let file = setup.data().join("incoming.raucb");
    std::fs::write(&file, &bytes).unwrap();
    let image = waystation_hub::add_image(setup.data(), &file, "2026.12.3").unwrap();
    assert_eq!(
        kiosk.get_signed(addr, "/v1/update", &[]).status,
        204,
        "not rolled out yet"
    );
    waystation_hub::rollout(setup.data(), "2026.12.3", &[Scope::Kiosk(kiosk.id())]).unwrap();

    let offer = kiosk.get_signed(addr, "/v1/update", &[]);
    assert_eq!(offer.status, 200);
    let expected_sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        offer.json(),
        serde_json::json!({"version": "2026.12.3", "sha256": expected_sha, "size": 1000})
    );
    assert_eq!(image.sha256, expected_sha);
    assert_eq!(
        other.get_signed(addr, "/v1/update", &[]).status,
        204,
        "not in the rollout"
    );
    // Once the kiosk's heartbeat says it runs the version, it is offered nothing.
    let beat = kiosk.record(
        1,
        "heartbeat",
        synced(NOV_2026, 1),
        json!({"image_version": "2026.12.3"}),
    );
    kiosk
        .post(addr, &kiosk.batch(vec![beat], synced(NOV_2026, 2)))
        .reply();
    assert_eq!(
        kiosk.get_signed(addr, "/v1/update", &[]).status,
        204,
        "runs it already"
    );

    let path = "/v1/images/2026.12.3";
    let whole = kiosk.get_signed(addr, path, &[]);
    assert_eq!(
        (whole.status, whole.body.as_slice()),
        (200, bytes.as_slice())
    );
    let part = kiosk.get_signed(addr, path, &[("Range", "bytes=990-")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 990-999/1000"));
    assert_eq!(part.body, bytes[990..]);
    let part = kiosk.get_signed(addr, path, &[("Range", "bytes=100-199")]);
    assert_eq!((part.status, part.body.as_slice()), (206, &bytes[100..200]));
    let past = kiosk.get_signed(addr, path, &[("Range", "bytes=1000-")]);
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some("bytes */1000"));
    assert_eq!(kiosk.get_signed(addr, "/v1/images/9.9", &[]).status, 404);
    // Signed for another path, or by a stranger: refused.
    let id = kiosk.id();
    let signature = sign_request(&kiosk.key, "GET", "/v1/images/other", b"");
    let headers = [(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
    assert_eq!(request(addr, "GET", path, &headers, b"").status, 401);
    assert_eq!(setup.stranger(9).get_signed(addr, path, &[]).status, 401);
    // A bundle gone from the folder is the hub's failure, said as such.
    std::fs::remove_file(setup.data().join("images/2026.12.3.raucb")).unwrap();
    let lost = kiosk.get_signed(addr, path, &[("Range", "bytes=0-")]);
    assert_eq!(lost.status, 500);
    assert!(lost.error().contains("could not read"), "{}", lost.error());
}

#[test]
fn a_record_from_1970_is_placed_by_a_later_reading_of_the_same_boot() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    // Made 10 s after boot while the clock said 1970; sent 70 s after boot with the clock set.
    let early = kiosk.record(
        1,
        "kiosk_started",
        unsynced(10_000, "boot-1", 10_000),
        json!({}),
    );
    // Made in an earlier boot that never had the time: it cannot be placed.
    let lost = kiosk.record(
        2,
        "kiosk_started",
        unsynced(20_000, "boot-0", 20_000),
        json!({}),
    );
    let body = kiosk.batch(vec![early.clone(), lost.clone()], synced(NOV_2026, 70_000));
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["stored"; 2]
    );

    // Sent before the clock was ever set: the hub's own clock places it.
    let later = kiosk.record(
        3,
        "kiosk_started",
        unsynced(30_000, "boot-2", 30_000),
        json!({}),
    );
    let before = now_ms();
    let body = kiosk.batch(vec![later], unsynced(90_000, "boot-2", 90_000));
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["stored"]
    );
    let after = now_ms();

    let stored = waystation_hub::records(setup.data()).unwrap();
    assert_eq!(
        (stored[0].corrected_ms, stored[0].time_source),
        (NOV_2026 - 60_000, TimeSource::Batch)
    );
    assert_eq!(
        stored[0].created.wall_ms, 10_000,
        "the kiosk's reading is kept too"
    );
    assert_eq!(
        (stored[1].corrected_ms, stored[1].time_source),
        (20_000, TimeSource::Unknown)
    );
    assert_eq!(stored[2].time_source, TimeSource::HubReceipt);
    let corrected = stored[2].corrected_ms;
    assert!(
        (before - 60_000..=after - 60_000).contains(&corrected),
        "{corrected} not within {before}..{after} less a minute"
    );
}

#[test]
fn a_stopped_hub_lets_go_of_its_port_and_a_restarted_one_remembers() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let body = kiosk.batch(
        vec![kiosk.record(1, "mood_check_in", synced(NOV_2026, 1), json!({}))],
        synced(NOV_2026, 2),
    );
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["stored"]
    );
    let Setup { dir, hub, kiosk } = setup;
    let addr = hub.addr();
    hub.stop();
    assert!(std::net::TcpStream::connect(addr).is_err());

    let hub = start(dir.path());
    assert_eq!(
        outcomes(&kiosk.post(hub.addr(), &body).reply()),
        ["duplicate"]
    );
    let addr = hub.addr();
    drop(hub);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn stopping_does_not_wait_for_an_idle_kept_alive_connection() {
    use std::io::{Read, Write};
    // HTTP clients such as reqwest keep connections open between requests; stopping the hub
    // must not wait for them to go away.
    let setup = Setup::new();
    let mut stream = std::net::TcpStream::connect(setup.addr()).unwrap();
    let addr = setup.addr();
    write!(stream, "GET /v1/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut buffer = [0u8; 512];
    let read = stream.read(&mut buffer).unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    let began = std::time::Instant::now();
    let Setup { hub, dir: _dir, .. } = setup;
    hub.stop();
    assert!(
        began.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn remote_help_is_answered_to_the_one_kiosk_it_is_on_for_and_ends_with_its_time() {
    let setup = Setup::new();
    let addr = setup.addr();
    let kiosk = &setup.kiosk;
    let other = setup.stranger(2);
    waystation_hub::add_device(setup.data(), &other.key.public_base64(), None, None).unwrap();
    let path = waystation_protocol::remote_help::REMOTE_HELP_PATH;
    assert_eq!(kiosk.get_signed(addr, path, &[]).status, 204);
    // A kiosk is helped only once its heartbeat says it has a jump host.
    let refused = waystation_hub::remote_help_on(setup.data(), &kiosk.id(), 60).unwrap_err();
    assert!(
        refused.is_bad_input() && refused.to_string().contains("jump host"),
        "{refused}"
    );
    let beat = kiosk.record(
        1,
        "heartbeat",
        synced(NOV_2026, 1),
        json!({"remote_help": {"available": true, "client_key": "ssh-ed25519 AAAA x", "tunnel": null}}),
    );
    kiosk
        .post(addr, &kiosk.batch(vec![beat], synced(NOV_2026, 2)))
        .reply();
    waystation_hub::remote_help_on(setup.data(), &kiosk.id(), 60).unwrap();

    let on = kiosk.get_signed(addr, path, &[]);
    assert_eq!(on.status, 200);
    let grant = waystation_protocol::RemoteHelpGrant::parse(&on.body).unwrap();
    assert!((3590..=3600).contains(&grant.seconds_left), "{grant:?}");
    assert!(grant.until.ends_with('Z'), "{grant:?}");
    assert_eq!(
        other.get_signed(addr, path, &[]).status,
        204,
        "another kiosk"
    );
    // Signed for another path, or by a stranger: refused.
    let id = kiosk.id();
    let signature = sign_request(&kiosk.key, "GET", "/v1/update", b"");
    let headers = [(DEVICE_HEADER, id.as_str()), (SIGNATURE_HEADER, &signature)];
    assert_eq!(request(addr, "GET", path, &headers, b"").status, 401);
    assert_eq!(setup.stranger(9).get_signed(addr, path, &[]).status, 401);

    assert!(waystation_hub::remote_help_off(setup.data(), &kiosk.id()).unwrap());
    assert_eq!(
        kiosk.get_signed(addr, path, &[]).status,
        204,
        "switched off"
    );
}
