//! The resource bundle: the parser and checks, the signed envelope's verifier, and the
//! opening hours of every entry the kiosk would show.

#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use ed25519_dalek::{SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;
use waystation::directory::Bundle;
use waystation::directory::bundle::{self, BundleError};
use waystation::directory::rank;

fn keys() -> &'static (SigningKey, VerifyingKey) {
    static KEYS: OnceLock<(SigningKey, VerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (secret, public) = bundle::keygen([42; 32]);
        (
            bundle::secret_key(&secret).unwrap(),
            bundle::public_key(&public).unwrap(),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (secret, public) = keys();
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();

    // The input as a signed envelope: arbitrary envelopes must be refused with a reason.
    let _ = bundle::verify(text, public, 0, today);

    // The input as a bundle's own text: parsed and checked directly, and, when it is valid,
    // signed and verified again, which must give the same bundle back.
    let parsed = Bundle::parse(text);
    if let Ok(bundle) = &parsed {
        let signed = bundle::sign(text, secret).expect("a valid bundle signs");
        assert_eq!(
            bundle::verify_signature(&signed, public).as_ref(),
            Ok(bundle)
        );
        match bundle::verify(&signed, public, bundle.version, today) {
            Err(BundleError::Rollback { .. }) => {}
            other => panic!("an equal version must be a rollback: {other:?}"),
        }
        // The resources screen evaluates every entry's hours when it is shown.
        let at = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(23, 30, 0)
            .unwrap();
        let calendar = waystation::directory::holidays::Calendar::new(&bundle.holidays);
        for entry in &bundle.entries {
            let _ = rank::open_now(&entry.opening_hours, at, &calendar);
        }
    }
});
