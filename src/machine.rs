//! The machine the kiosk runs on, as far as the staff screens and the heartbeat need it: the
//! board's temperature, the image the system was installed from, and how the last
//! provisioning from the card's FAT partition went. One small trait, like
//! [`crate::clock::Clock`], so that tests and screenshots say what they are given and a kiosk
//! reads its own files.
//!
//! A leaf: it imports nothing of the kiosk.

use std::path::{Path, PathBuf};

/// Where `deploy/image/build` records what an image was made from.
pub const IMAGE_RELEASE: &str = "etc/waystation-image-release";
/// Where `waystation provision --result` writes at each boot on the image (the FAT partition,
/// readable by everyone: `deploy/debian/waystation-provision.service`).
pub const PROVISION_RESULT: &str = "boot/firmware/waystation-provision-result.txt";
/// The kernel's first thermal zone, in millidegrees; on a Pi it is the SoC's sensor.
pub const THERMAL_ZONE: &str = "sys/class/thermal/thermal_zone0/temp";

/// What an image was made from, read from `/etc/waystation-image-release`: `KEY=value` lines
/// in the manner of os-release. Only the image's version is required; an image that says no
/// more is still named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRelease {
    /// The image's own version, as the centre's fleet page and the update rollout name it.
    pub version: String,
    /// Debian's suite and the snapshot.debian.org timestamp its packages were taken from.
    pub debian_suite: Option<String>,
    pub debian_snapshot: Option<String>,
    /// The kiosk package the image was built with (an update of the package alone changes the
    /// running version, not this).
    pub kiosk_version: Option<String>,
}

impl ImageRelease {
    /// Reads the file's text; a line it does not know is skipped (later images may say more),
    /// a file without `IMAGE_VERSION` is refused with the reason.
    pub fn parse(text: &str) -> Result<ImageRelease, String> {
        let mut release = ImageRelease::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(format!("line {}: not KEY=value", number + 1));
            };
            let value = value.trim().trim_matches('"').to_string();
            match key.trim() {
                "IMAGE_VERSION" => release.version = value,
                "DEBIAN_SUITE" => release.debian_suite = Some(value),
                "DEBIAN_SNAPSHOT" => release.debian_snapshot = Some(value),
                "KIOSK_VERSION" => release.kiosk_version = Some(value),
                _ => {}
            }
        }
        if release.version.is_empty() {
            return Err("no IMAGE_VERSION".into());
        }
        Ok(release)
    }
}

/// How the last provisioning went, from its result file: `ok` and the report, or `error` and
/// the one-line error (file, line and column, and what is wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionResult {
    Installed,
    Failed(String),
}

impl ProvisionResult {
    /// `None` for a file that is neither (cut short by a power cut, say).
    pub fn parse(text: &str) -> Option<ProvisionResult> {
        let mut lines = text.lines();
        match lines.next()?.trim() {
            "ok" => Some(ProvisionResult::Installed),
            "error" => Some(ProvisionResult::Failed(
                lines.next().unwrap_or_default().trim().to_string(),
            )),
            _ => None,
        }
    }
}

/// What the kiosk asks of the machine it runs on.
pub trait Machine: Send + Sync {
    /// The board's temperature in °C, or `None` where the machine has no sensor (a laptop
    /// in a container, QEMU).
    fn temperature_c(&self) -> Option<f32>;
    /// The image the system was installed from, or `None` when it was not installed from
    /// Waystation's image (a developer's machine, a plain Debian with the package).
    fn image(&self) -> Option<ImageRelease>;
    /// How the last provisioning went, or `None` where there is no result (no provision file
    /// was ever on the card, or the kiosk is not on the image).
    fn provision_result(&self) -> Option<ProvisionResult>;
}

/// The real machine, its files read below `root` (`/` on a kiosk; a test's folder in tests
/// of this reading itself).
#[derive(Debug, Clone)]
pub struct Host {
    root: PathBuf,
    /// The image's release file, read once: it changes only with a new image, which means a
    /// reboot, and the staff facts ask for it every few seconds.
    image: std::sync::Arc<std::sync::OnceLock<Option<ImageRelease>>>,
}

impl Host {
    pub fn new() -> Host {
        Host::under(Path::new("/"))
    }

    pub fn under(root: &Path) -> Host {
        Host {
            root: root.to_path_buf(),
            image: Default::default(),
        }
    }
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

impl Machine for Host {
    fn temperature_c(&self) -> Option<f32> {
        let text = std::fs::read_to_string(self.root.join(THERMAL_ZONE)).ok()?;
        let milli = text.trim().parse::<f32>().ok()?;
        Some(milli / 1000.0)
    }

    fn image(&self) -> Option<ImageRelease> {
        self.image
            .get_or_init(|| {
                let path = self.root.join(IMAGE_RELEASE);
                let text = std::fs::read_to_string(&path).ok()?;
                // A damaged file must not stop the kiosk; the fleet page then shows no image
                // version, and the log says why.
                ImageRelease::parse(&text)
                    .map_err(|e| tracing::warn!("{}: {e}", path.display()))
                    .ok()
            })
            .clone()
    }

    fn provision_result(&self) -> Option<ProvisionResult> {
        let text = std::fs::read_to_string(self.root.join(PROVISION_RESULT)).ok()?;
        ProvisionResult::parse(&text)
    }
}

/// A machine that says what it is told.
#[derive(Debug, Clone, Default)]
pub struct FakeMachine {
    pub temperature_c: Option<f32>,
    pub image: Option<ImageRelease>,
    pub provision_result: Option<ProvisionResult>,
}

impl Machine for FakeMachine {
    fn temperature_c(&self) -> Option<f32> {
        self.temperature_c
    }

    fn image(&self) -> Option<ImageRelease> {
        self.image.clone()
    }

    fn provision_result(&self) -> Option<ProvisionResult> {
        self.provision_result.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_reads_the_thermal_zone_and_the_image_release_below_its_root() {
        let root = tempfile::tempdir().unwrap();
        let host = Host::under(root.path());
        assert_eq!(host.temperature_c(), None);
        assert_eq!(Host::under(root.path()).image(), None);
        let zone = root.path().join(THERMAL_ZONE);
        std::fs::create_dir_all(zone.parent().unwrap()).unwrap();
        std::fs::write(&zone, "61234\n").unwrap();
        assert_eq!(host.temperature_c(), Some(61.234));
        let release = root.path().join(IMAGE_RELEASE);
        std::fs::create_dir_all(release.parent().unwrap()).unwrap();
        std::fs::write(
            &release,
            "# made by deploy/image/build\nIMAGE_VERSION=2026.12.3\nDEBIAN_SUITE=trixie\n\
             DEBIAN_SNAPSHOT=20261201T000000Z\nKIOSK_VERSION=\"0.1.0\"\nARCH=arm64\n",
        )
        .unwrap();
        assert_eq!(
            Host::under(root.path()).image(),
            Some(ImageRelease {
                version: "2026.12.3".into(),
                debian_suite: Some("trixie".into()),
                debian_snapshot: Some("20261201T000000Z".into()),
                kiosk_version: Some("0.1.0".into()),
            })
        );
        // Read once per Host: the file changes only with a new image (a reboot).
        assert_eq!(host.image().map(|i| i.version), Some("2026.12.3".into()));
        std::fs::write(&release, "IMAGE_VERSION=other\n").unwrap();
        assert_eq!(host.image().map(|i| i.version), Some("2026.12.3".into()));
        // A damaged file names no image rather than a wrong one.
        std::fs::write(&release, "DEBIAN_SUITE=trixie\n").unwrap();
        assert_eq!(Host::under(root.path()).image(), None);
        std::fs::write(&zone, "hot\n").unwrap();
        assert_eq!(host.temperature_c(), None);
    }

    #[test]
    fn the_host_reads_the_provisioning_result_as_provision_writes_it() {
        let root = tempfile::tempdir().unwrap();
        let host = Host::under(root.path());
        assert_eq!(host.provision_result(), None);
        let result = root.path().join(PROVISION_RESULT);
        std::fs::create_dir_all(result.parent().unwrap()).unwrap();
        std::fs::write(&result, "ok\ndevice       ws-0123\n").unwrap();
        assert_eq!(host.provision_result(), Some(ProvisionResult::Installed));
        let error = "/boot/firmware/waystation-provision.toml:3:1: unknown field `statoin`";
        std::fs::write(&result, format!("error\n{error}\n")).unwrap();
        assert_eq!(
            host.provision_result(),
            Some(ProvisionResult::Failed(error.into()))
        );
        std::fs::write(&result, "").unwrap();
        assert_eq!(host.provision_result(), None);
    }

    #[test]
    fn a_release_file_that_is_not_key_value_is_refused_with_its_line() {
        assert_eq!(
            ImageRelease::parse("IMAGE_VERSION=1\njust words\n"),
            Err("line 2: not KEY=value".into())
        );
        assert_eq!(ImageRelease::parse(""), Err("no IMAGE_VERSION".into()));
    }
}
