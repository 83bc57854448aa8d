use super::*;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtSJIDA5TRR/SvyIhGj4+VYe9Nl8nemsKyJ8spatEOr";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn jump() -> JumpHost {
    JumpHost {
        jump_host: JumpHostName::try_from("jump.centre.example".to_string()).unwrap(),
        jump_port: JumpPort(2222),
        jump_user: SshUser::try_from("kiosk-tunnel".to_string()).unwrap(),
        jump_host_key: HostKey::try_from(format!("{KEY} root@jump")).unwrap(),
        socket_dir: SocketDir::try_from("/run/waystation-help/".to_string()).unwrap(),
    }
}

fn request() -> Request {
    Request {
        until: at("2026-12-03T20:00:00Z"),
        device_id: "ws-0011223344556677".into(),
        jump: jump(),
    }
}

#[test]
fn the_request_file_is_written_and_read_back_whole() {
    let text = request().text();
    assert_eq!(
        text,
        format!(
            "until=2026-12-03T20:00:00Z\ndevice=ws-0011223344556677\nhost=jump.centre.example\n\
             port=2222\nuser=kiosk-tunnel\nhost_key={KEY}\nsocket_dir=/run/waystation-help\n"
        )
    );
    assert_eq!(Request::parse(&text).unwrap(), request());
}

#[test]
fn a_request_with_anything_ssh_could_take_as_an_option_is_refused() {
    let good = request().text();
    let with = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        Request::parse(&good.replace(from, to))
    };
    for (from, to) in [
        ("host=jump.centre.example", "host=-oProxyCommand=sh"),
        ("host=jump.centre.example", "host=jump example"),
        ("user=kiosk-tunnel", "user=-oProxyCommand=x"),
        ("port=2222", "port=0"),
        ("port=2222", "port=65536"),
        ("socket_dir=/run/waystation-help", "socket_dir=/run/../etc"),
        ("socket_dir=/run/waystation-help", "socket_dir=run"),
        ("device=ws-0011223344556677", "device=ws-../../etc/x"),
        ("until=2026-12-03T20:00:00Z", "until=tomorrow"),
        ("host_key=ssh-ed25519", "host_key=ssh-dss"),
    ] {
        assert!(with(from, to).is_err(), "{to}");
    }
    assert!(
        Request::parse(&format!("{good}user=x\n")).is_err(),
        "repeated"
    );
    assert!(
        Request::parse(&format!("{good}proxy=x\n")).is_err(),
        "unknown"
    );
    assert!(
        Request::parse(&good.replace("port=2222\n", "")).is_err(),
        "missing"
    );
}

#[test]
fn a_host_key_must_be_a_key_of_its_named_type() {
    assert_eq!(HostKey::try_from(KEY.to_string()).unwrap().0, KEY);
    let as_rsa = KEY.replace("ssh-ed25519", "ssh-rsa");
    assert!(
        HostKey::try_from(as_rsa)
            .unwrap_err()
            .contains("not a ssh-rsa key")
    );
    assert!(HostKey::try_from("ssh-ed25519 ###".to_string()).is_err());
    assert!(HostKey::try_from("ssh-ed25519".to_string()).is_err());
}

#[test]
fn the_ssh_command_goes_out_with_only_the_jump_hosts_key_trusted() {
    let args = ssh_args(
        &request(),
        Path::new("/var/lib/waystation/system/ssh/remote_help_ed25519"),
        Path::new("/var/lib/waystation/system/remote-help/known_hosts"),
    );
    let joined = args.join(" ");
    for part in [
        "-F /dev/null -N",
        "-o StrictHostKeyChecking=yes",
        "-o UserKnownHostsFile=/var/lib/waystation/system/remote-help/known_hosts",
        "-o GlobalKnownHostsFile=/dev/null",
        "-o HostKeyAlias=waystation-jump",
        "-o ExitOnForwardFailure=yes",
        "-o ServerAliveInterval=30",
        "-o ServerAliveCountMax=3",
        "-o BatchMode=yes",
        "-i /var/lib/waystation/system/ssh/remote_help_ed25519",
        "-p 2222 -l kiosk-tunnel",
        "-R /run/waystation-help/ws-0011223344556677.sock:127.0.0.1:22",
    ] {
        assert!(joined.contains(part), "{part} in {joined}");
    }
    assert_eq!(
        &args[args.len() - 2..],
        ["--", "jump.centre.example"],
        "the host last, after --"
    );
    assert!(!joined.contains("-L"), "nothing listens on the kiosk");
    assert_eq!(known_hosts(&jump()), format!("waystation-jump {KEY}\n"));
}

#[test]
fn the_request_follows_the_hub_and_ends_by_itself() {
    let now = at("2026-12-03T12:00:00Z");
    let hour = |h: i64| now + chrono::Duration::hours(h);
    let on = |seconds_left| HubSays::On { seconds_left };
    // Switched on: written with the machine's clock plus the seconds left.
    assert_eq!(decide(now, None, on(3600)), Change::Write(hour(1)));
    // Seen again a moment later: kept, not rewritten at every check.
    assert_eq!(decide(now, Some(hour(1)), on(3590)), Change::Keep);
    // Lengthened or shortened at the hub: rewritten.
    assert_eq!(decide(now, Some(hour(1)), on(7200)), Change::Write(hour(2)));
    assert_eq!(
        decide(now, Some(hour(2)), on(600)),
        Change::Write(now + chrono::Duration::minutes(10))
    );
    // Never more than the longest remote help, whatever the hub says.
    assert_eq!(decide(now, None, on(100 * 3600)), Change::Write(hour(8)));
    // Switched off: removed; nothing to remove: nothing done.
    assert_eq!(decide(now, Some(hour(1)), HubSays::Off), Change::Remove);
    assert_eq!(decide(now, None, HubSays::Off), Change::Keep);
    // The hub out of reach: kept until its time, then removed.
    assert_eq!(decide(now, Some(hour(1)), HubSays::NoAnswer), Change::Keep);
    assert_eq!(
        decide(hour(1), Some(hour(1)), HubSays::NoAnswer),
        Change::Remove
    );
    assert_eq!(decide(now, None, HubSays::NoAnswer), Change::Keep);
    // The last seconds of a grant, the old request gone: no new tunnel for them.
    assert_eq!(decide(hour(1), None, on(30)), Change::Keep);
    assert_eq!(decide(hour(1), Some(hour(1)), on(30)), Change::Remove);
    // An old request past its time while the hub says on again: a fresh one.
    assert_eq!(
        decide(hour(3), Some(hour(1)), on(120)),
        Change::Write(hour(3) + chrono::Duration::minutes(2))
    );
}

#[test]
fn roots_status_file_is_read_and_said_in_one_line() {
    let status = parse_status(
        r#"{"tunnel": "error", "detail": "Connection refused", "at": "2026-12-03T12:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(status.tunnel, Tunnel::Error);
    assert_eq!(
        status.to_string(),
        "error since 2026-12-03T12:00:00Z (Connection refused)"
    );
    assert!(parse_status(r#"{"tunnel": "sideways", "at": "x"}"#).is_err());
    assert!(parse_status("up").is_err());
}

#[test]
fn config_values_are_checked_with_a_reason() {
    for bad in ["", "-oProxyCommand=x", "a b", "jump;rm"] {
        assert!(JumpHostName::try_from(bad.to_string()).is_err(), "{bad}");
    }
    assert!(JumpHostName::try_from("2001:db8::1".to_string()).is_ok());
    assert!(SshUser::try_from("x".repeat(33)).is_err());
    let long = format!("/{}", "d".repeat(80));
    assert!(
        SocketDir::try_from(long)
            .unwrap_err()
            .contains("at most 80")
    );
}

#[test]
fn a_bad_jump_host_in_the_config_is_named_with_its_line() {
    let parse = |text: &str| crate::config::Config::parse(text, "station.toml");
    let good = format!(
        "{}\n[remote_help]\njump_host = \"jump.example\"\njump_user = \"tunnel\"\n\
         jump_host_key = \"{KEY}\"\n",
        crate::config::DEMO_CONFIG
    );
    let jump = parse(&good).unwrap().remote_help.unwrap();
    assert_eq!(
        (jump.jump_port.0, jump.socket_dir.0.as_str()),
        (22, DEFAULT_SOCKET_DIR)
    );
    for (text, bad, says) in [
        (
            format!("{good}jump_port = 0\n"),
            "jump_port = 0",
            "between 1 and 65535",
        ),
        (
            format!("{good}jump_proxy = \"x\"\n"),
            "jump_proxy = \"x\"",
            "jump_proxy",
        ),
        (
            good.replace(
                "jump_host = \"jump.example\"",
                "jump_host = \"-oProxyCommand=x\"",
            ),
            "jump_host = \"-oProxyCommand=x\"",
            "not a host name",
        ),
    ] {
        let line = text.lines().position(|l| l == bad).unwrap() + 1;
        let error = parse(&text).unwrap_err().to_string();
        assert!(error.contains(says), "{error}");
        assert!(
            error.starts_with(&format!("station.toml:{line}:")),
            "{error}"
        );
    }
    let missing = good.replace("jump_user = \"tunnel\"\n", "");
    let error = parse(&missing).unwrap_err().to_string();
    assert!(error.contains("jump_user"), "{error}");
}
