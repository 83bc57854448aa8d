//! What the directory page says of a signed bundle: its version, issue and expiry days and how
//! many entries it has, read from the envelope the kiosks verify (`src/directory/bundle.rs` in
//! the kiosk). The hub holds no signing key and does not check the signature: the kiosks do,
//! and refuse a bundle not signed by the centre's key. It checks that what an admin uploads is
//! such an envelope, so that a wrong file is refused here rather than by every kiosk.

use serde::Deserialize;

/// The envelope's format tag, as the kiosk writes and checks it.
const FORMAT: &str = "waystation-bundle-1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    bundle: String,
    #[allow(
        dead_code,
        reason = "the kiosks check it; the hub only requires it present"
    )]
    signature: String,
}

#[derive(Deserialize)]
struct Inner {
    version: u64,
    issued: String,
    expires: String,
    entries: Vec<serde::de::IgnoredAny>,
}

/// A signed bundle as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo {
    pub version: u64,
    pub issued: String,
    pub expires: String,
    pub entries: usize,
}

/// Reads a signed bundle's envelope; the error is one line saying what is wrong.
pub fn info(bytes: &[u8]) -> Result<BundleInfo, String> {
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a signed bundle (waystation resources sign makes one): {e}"))?;
    if envelope.format != FORMAT {
        return Err(format!(
            "not a signed bundle: its format is {:?}",
            envelope.format
        ));
    }
    let inner: Inner = serde_json::from_str(&envelope.bundle)
        .map_err(|e| format!("the signed bundle's content is not a directory: {e}"))?;
    Ok(BundleInfo {
        version: inner.version,
        issued: inner.issued,
        expires: inner.expires,
        entries: inner.entries.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(format: &str, bundle: &str) -> Vec<u8> {
        serde_json::json!({ "format": format, "bundle": bundle, "signature": "c2ln" })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_signed_bundle_is_read_and_anything_else_refused() {
        let inner =
            r#"{"version":7,"issued":"2026-11-01","expires":"2027-02-01","entries":[{},{}]}"#;
        assert_eq!(
            info(&envelope(FORMAT, inner)).unwrap(),
            BundleInfo {
                version: 7,
                issued: "2026-11-01".into(),
                expires: "2027-02-01".into(),
                entries: 2
            }
        );
        assert!(info(&envelope("other", inner)).is_err());
        assert!(info(&envelope(FORMAT, "{}")).is_err());
        assert!(info(inner.as_bytes()).is_err(), "an unsigned bundle");
        assert!(info(b"not json").is_err());
    }
}
