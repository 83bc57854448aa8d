//! The kiosk's way onto the network beyond its wired port, pure: the `[network]` section of its
//! configuration (and the Wi-Fi passphrase from the provision file's `[secrets]`) in, the
//! system files that set it up out.
//!
//! `waystation provision` writes these files to the data partition (`network/` in the data
//! directory), and the deployment image's `waystation-network-setup` installs them at each boot
//! (docs/deploy.md, "Getting online"). A cable is always preferred: Wi-Fi's routes weigh more
//! than the wired port's, and the modem's more than Wi-Fi's. The radios themselves were not
//! tried here (no Wi-Fi or modem on the build machine); what is tested is what these files say.

use crate::config::Network;

/// The folder of the data directory the files go to.
pub const FOLDER: &str = "network";

/// One file for the system, by the name `waystation-network-setup` knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemFile {
    pub name: &'static str,
    pub text: String,
    /// Holds the Wi-Fi passphrase: written readable by root alone.
    pub secret: bool,
}

/// systemd-timesyncd's servers (installed as `/etc/systemd/timesyncd.conf.d/waystation.conf`).
pub const TIME_SERVERS: &str = "timesyncd.conf";
/// systemd-networkd's settings for the Wi-Fi interface.
pub const WIFI_NETWORK: &str = "30-wifi.network";
/// wpa_supplicant's settings for `wlan0` (the Pi's own Wi-Fi), with the passphrase.
pub const WIFI_SUPPLICANT: &str = "wpa_supplicant-wlan0.conf";
/// systemd-networkd's settings for a modem's data interface.
pub const MODEM_NETWORK: &str = "40-modem.network";
/// The modem's access point name, for `waystation-modem.service` (`mmcli --simple-connect`).
pub const MODEM_SETTINGS: &str = "modem.env";

/// Route metrics: the lower wins. systemd-networkd gives a wired DHCP route 1024.
const WIFI_METRIC: u32 = 2048;
const MODEM_METRIC: u32 = 4096;

/// The Wi-Fi passphrase, as far as provisioning knows it.
#[derive(Clone, Copy)]
pub enum WifiSecret<'a> {
    /// Given in this provision file's `[secrets]`.
    Given(&'a str),
    /// Not in the file (removed after an earlier boot), but the supplicant file written then
    /// is for the same network ([`written_for`]): it is kept as it is.
    AlreadyWritten,
    None,
}

impl std::fmt::Debug for WifiSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The passphrase never reaches a log by accident.
        f.write_str(match self {
            WifiSecret::Given(_) => "Given(..)",
            WifiSecret::AlreadyWritten => "AlreadyWritten",
            WifiSecret::None => "None",
        })
    }
}

/// Whether a supplicant file written before is for the network named `ssid`.
pub fn written_for(supplicant_text: &str, ssid: &str) -> bool {
    supplicant_text
        .lines()
        .any(|line| line.trim() == format!("ssid={}", hex(ssid)))
}

/// The files for `network`, or what is wrong with it, in one line. With
/// [`WifiSecret::AlreadyWritten`] the supplicant file is not among them: the caller keeps it.
pub fn system_files(network: &Network, wifi: WifiSecret<'_>) -> Result<Vec<SystemFile>, String> {
    let mut files = vec![SystemFile {
        name: TIME_SERVERS,
        text: time_servers(&network.ntp)?,
        secret: false,
    }];
    match (&network.wifi_ssid, wifi) {
        (Some(ssid), WifiSecret::Given(passphrase)) => {
            files.push(SystemFile {
                name: WIFI_SUPPLICANT,
                text: supplicant(ssid, passphrase, &network.wifi_country)?,
                secret: true,
            });
            files.push(wifi_network());
        }
        (Some(_), WifiSecret::AlreadyWritten) => files.push(wifi_network()),
        (Some(_), WifiSecret::None) => {
            return Err(
                "network.wifi_ssid is set but [secrets] wifi_passphrase is not (open networks \
                 are not supported)"
                    .into(),
            );
        }
        (None, WifiSecret::Given(_)) => {
            return Err("[secrets] wifi_passphrase is set but network.wifi_ssid is not".into());
        }
        (None, _) => {}
    }
    if let Some(apn) = &network.modem_apn {
        check_apn(apn)?;
        files.push(SystemFile {
            name: MODEM_NETWORK,
            text: dhcp_network("Name=wwan*", MODEM_METRIC),
            secret: false,
        });
        files.push(SystemFile {
            name: MODEM_SETTINGS,
            text: format!("# Written by waystation provision.\nWAYSTATION_MODEM_APN={apn}\n"),
            secret: false,
        });
    }
    Ok(files)
}

fn time_servers(servers: &[String]) -> Result<String, String> {
    if servers.is_empty() {
        return Err("network.ntp must name at least one time server".into());
    }
    for server in servers {
        let fine = !server.is_empty()
            && server.len() <= 253
            && server
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if !fine {
            return Err(format!(
                "network.ntp: {server:?} is not a host name or address"
            ));
        }
    }
    Ok(format!(
        "# Written by waystation provision from network.ntp.\n[Time]\nNTP={}\n",
        servers.join(" ")
    ))
}

fn wifi_network() -> SystemFile {
    SystemFile {
        name: WIFI_NETWORK,
        text: dhcp_network("Type=wlan", WIFI_METRIC),
        secret: false,
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A systemd-networkd file: DHCP on the interfaces `matching`, its routes weighing `metric`.
fn dhcp_network(matching: &str, metric: u32) -> String {
    format!(
        "# Written by waystation provision.\n[Match]\n{matching}\n\n[Network]\nDHCP=yes\n\n\
         [DHCPv4]\n# Every card starts from the same image: the MAC address tells kiosks apart.\n\
         ClientIdentifier=mac\nRouteMetric={metric}\n\n[IPv6AcceptRA]\nRouteMetric={metric}\n"
    )
}

/// wpa_supplicant's file. The SSID is written in hex, so any bytes are safe in it; the
/// passphrase is WPA's: 8 to 63 printable ASCII characters.
fn supplicant(ssid: &str, passphrase: &str, country: &str) -> Result<String, String> {
    if ssid.is_empty() || ssid.len() > 32 {
        return Err(format!(
            "network.wifi_ssid must be 1 to 32 bytes, not {}",
            ssid.len()
        ));
    }
    let printable = passphrase.chars().all(|c| matches!(c, ' '..='~'));
    if !(8..=63).contains(&passphrase.len()) || !printable {
        return Err(
            "[secrets] wifi_passphrase must be 8 to 63 printable ASCII characters (WPA's rule)"
                .into(),
        );
    }
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "network.wifi_country must be a two-letter country code such as CN, not {country:?}"
        ));
    }
    let hex = hex(ssid);
    Ok(format!(
        "# Written by waystation provision. Holds the Wi-Fi passphrase: root only.\n\
         ctrl_interface=DIR=/run/wpa_supplicant GROUP=root\ncountry={country}\n\n\
         network={{\n    ssid={hex}\n    psk=\"{passphrase}\"\n    key_mgmt=WPA-PSK\n}}\n"
    ))
}

/// An access point name: labels of letters, digits and hyphens, joined by dots (3GPP TS 23.003).
fn check_apn(apn: &str) -> Result<(), String> {
    let fine = !apn.is_empty()
        && apn.len() <= 62
        && apn.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if fine {
        Ok(())
    } else {
        Err(format!(
            "network.modem_apn: {apn:?} is not an access point name (letters, digits, '-' and '.')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(files: &'a [SystemFile], name: &str) -> &'a SystemFile {
        files.iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn by_default_only_the_time_servers_are_set_and_they_answer_in_china() {
        let files = system_files(&Network::default(), WifiSecret::None).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, TIME_SERVERS);
        assert!(
            files[0]
                .text
                .contains("NTP=ntp.aliyun.com ntp.tencent.com cn.pool.ntp.org\n"),
            "{}",
            files[0].text
        );
    }

    #[test]
    fn wifi_gets_its_network_and_a_secret_supplicant_file_and_weighs_more_than_a_cable() {
        let network = Network {
            wifi_ssid: Some("驿站 Wi-Fi".into()),
            ..Network::default()
        };
        let files = system_files(&network, WifiSecret::Given("pass word 123")).unwrap();
        let supplicant = named(&files, WIFI_SUPPLICANT);
        assert!(supplicant.secret);
        // "驿站 Wi-Fi" in UTF-8, as hex.
        assert!(
            supplicant
                .text
                .contains("ssid=e9a9bfe7ab99205769 2d4669".replace(' ', "").as_str()),
            "{}",
            supplicant.text
        );
        assert!(supplicant.text.contains("psk=\"pass word 123\""));
        assert!(supplicant.text.contains("country=CN"));
        let wifi = named(&files, WIFI_NETWORK);
        assert!(!wifi.secret);
        assert!(wifi.text.contains("Type=wlan") && wifi.text.contains("RouteMetric=2048"));
        assert!(!wifi.text.contains("pass word"));
        assert!(written_for(&supplicant.text, "驿站 Wi-Fi"));
        assert!(!written_for(&supplicant.text, "another network"));
        // At the next boot the file has no passphrase: the supplicant file stays as written.
        let again = system_files(&network, WifiSecret::AlreadyWritten).unwrap();
        let names: Vec<&str> = again.iter().map(|f| f.name).collect();
        assert_eq!(names, [TIME_SERVERS, WIFI_NETWORK]);
    }

    #[test]
    fn a_modem_is_set_up_only_with_an_access_point_name() {
        let network = Network {
            modem_apn: Some("cmnet".into()),
            ..Network::default()
        };
        let files = system_files(&network, WifiSecret::None).unwrap();
        assert_eq!(
            named(&files, MODEM_SETTINGS).text.lines().last(),
            Some("WAYSTATION_MODEM_APN=cmnet")
        );
        assert!(named(&files, MODEM_NETWORK).text.contains("Name=wwan*"));
        assert!(
            named(&files, MODEM_NETWORK)
                .text
                .contains("RouteMetric=4096")
        );
    }

    #[test]
    fn what_would_break_a_file_or_the_radio_rules_is_refused_in_one_line() {
        let wifi = |ssid: &str| Network {
            wifi_ssid: Some(ssid.into()),
            ..Network::default()
        };
        let refused = [
            system_files(&wifi("station"), WifiSecret::None),
            system_files(&Network::default(), WifiSecret::Given("a passphrase")),
            system_files(&wifi("station"), WifiSecret::Given("short")),
            system_files(
                &wifi("station"),
                WifiSecret::Given("line\nbreak passphrase"),
            ),
            system_files(&wifi(&"x".repeat(33)), WifiSecret::Given("a passphrase")),
            system_files(
                &Network {
                    wifi_country: "china".into(),
                    ..wifi("station")
                },
                WifiSecret::Given("a passphrase"),
            ),
            system_files(
                &Network {
                    modem_apn: Some("cm net\nEVIL=1".into()),
                    ..Network::default()
                },
                WifiSecret::None,
            ),
            system_files(
                &Network {
                    ntp: vec!["pool.ntp.org\n[Time]".into()],
                    ..Network::default()
                },
                WifiSecret::None,
            ),
            system_files(
                &Network {
                    ntp: vec![],
                    ..Network::default()
                },
                WifiSecret::None,
            ),
        ];
        for outcome in refused {
            let error = outcome.unwrap_err();
            assert!(!error.contains('\n'), "{error}");
        }
    }
}
