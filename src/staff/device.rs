//! Staff mode's "This kiosk" screen, pure: what the QR code on it holds.
//!
//! The centre registers a kiosk by its public key (`waystation-hub devices add`, or the
//! dashboard's Kiosks page). With a hub configured, the code is a link to that page with the
//! key filled in (`/kiosks?key=…`): a phone signed in to the dashboard that scans it opens the
//! form ready to submit, through the sign-in page if need be. Without a hub there is no page to
//! link to, and the code holds the key alone, to paste.

/// What the QR code holds for this kiosk's public key (base64).
pub fn registration_code(hub: Option<&url::Url>, public_key: &str) -> String {
    let Some(mut link) = hub.and_then(|hub| hub.join("kiosks").ok()) else {
        return public_key.to_string();
    };
    // The key's base64 holds '+', '/' and '=': encoded, as a form field.
    link.query_pairs_mut()
        .clear()
        .append_pair("key", public_key);
    link.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "q+/kL5w2Yk0sV3u8YJtB1d1q8r6c1mZkQ2a0b9c8d7E=";

    #[test]
    fn with_a_hub_the_code_links_to_its_kiosks_page_with_the_key_encoded() {
        let hub = url::Url::parse("https://hub.example.org/").unwrap();
        let code = registration_code(Some(&hub), KEY);
        assert_eq!(
            code,
            "https://hub.example.org/kiosks?key=q%2B%2FkL5w2Yk0sV3u8YJtB1d1q8r6c1mZkQ2a0b9c8d7E%3D"
        );
        // Read back as the hub reads its query, the key is whole.
        let read = url::Url::parse(&code).unwrap();
        let (name, value) = read.query_pairs().next().unwrap();
        assert_eq!((name.as_ref(), value.as_ref()), ("key", KEY));
    }

    #[test]
    fn a_hub_under_a_path_keeps_its_path_and_without_a_hub_the_code_is_the_key() {
        let hub = url::Url::parse("https://centre.example.org/hub/").unwrap();
        assert!(
            registration_code(Some(&hub), KEY)
                .starts_with("https://centre.example.org/hub/kiosks?key=")
        );
        assert_eq!(registration_code(None, KEY), KEY);
    }
}
