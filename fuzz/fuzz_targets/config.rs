//! The station config parser: any text gives a config or a one-line error naming the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation::config::Config;

fuzz_target!(|data: &[u8]| {
    // Config files are read with `read_to_string`, so text that is not UTF-8 never reaches
    // the parser: it fails to read, with its own error.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = Config::parse(text, "station.toml") {
        let message = error.to_string();
        // The kiosk prints config errors as `waystation: FILE:LINE:COLUMN: what`, one line.
        assert!(message.starts_with("station.toml"), "{message}");
        assert!(
            !message.contains('\n'),
            "a config error spans lines: {message:?}"
        );
    }
});
