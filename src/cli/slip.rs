//! `waystation slip --demo` and `waystation printer status|test`.

use std::path::Path;

use super::PrinterAction;
use super::{Failure, bad_input};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::kiosk::Language;

/// `waystation slip --demo`: the slip for the configured (by default the demo) station, with a
/// fixed time and slip number so previews are comparable.
pub(super) fn demo_slip(
    config_file: Option<&Path>,
    crisis: bool,
    width: u32,
    lang: Language,
    png: Option<&Path>,
    escpos: Option<&Path>,
) -> Result<(), Failure> {
    if !crate::slip::layout::WIDTHS.contains(&width) {
        return Err(bad_input(format!(
            "width {width} is not 384 (58 mm) or 576 (80 mm)"
        )));
    }
    if png.is_none() && escpos.is_none() {
        return Err(bad_input(
            "nothing to write: give --png OUT.png and/or --escpos OUT.bin".into(),
        ));
    }
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let slip = crate::slip::Slip::demo(lang, config.station.name(lang), crisis);
    let bitmap = crate::slip::layout::render(&slip, &crate::slip::SlipText::builtin(), width);
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|e| Failure::from(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(path) = png {
        let bytes = crate::slip::layout::to_png(&bitmap).map_err(|e| e.to_string())?;
        write(path, &bytes)?;
    }
    if let Some(path) = escpos {
        let job = crate::slip::escpos::encode(&bitmap);
        write(path, &job)?;
        outln!(
            "{} bytes, {:.0} mm of paper, {}×{} dots",
            job.len(),
            crate::slip::layout::length_mm(&bitmap),
            bitmap.width(),
            bitmap.height()
        )?;
    }
    Ok(())
}

/// `waystation printer status|test`. Exits non-zero when the printer cannot be reached or the
/// test slip did not print.
pub(super) fn printer(config_file: Option<&Path>, action: PrinterAction) -> Result<(), Failure> {
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let mut transport = crate::printer::open(&config.printer)
        .map_err(|e| {
            format!(
                "cannot open the printer ({:?}): {e}",
                config.printer.transport
            )
            .to_lowercase()
        })?
        .ok_or("no printer is configured (printer.transport = \"none\")")?;
    match action {
        PrinterAction::Status => {
            outln!("{}", crate::printer::status(transport.as_mut()).name())?;
            Ok(())
        }
        PrinterAction::Test => {
            let lang = config.kiosk.default_language;
            let slip = crate::slip::Slip::new(
                lang,
                config.station.name(lang),
                crate::slip::printed_at(&SystemClock::new().read()),
                false,
                &crate::kiosk::emergency::builtin(),
                "TEST00".into(),
            );
            let image = crate::slip::layout::render(
                &slip,
                &crate::slip::SlipText::builtin(),
                config.printer.width.0,
            );
            match crate::printer::print(transport.as_mut(), &crate::slip::escpos::encode(&image)) {
                crate::printer::PrintOutcome::Printed { after } => {
                    outln!(
                        "printed {:.0} mm; printer now {}",
                        crate::slip::layout::length_mm(&image),
                        after.name()
                    )?;
                    Ok(())
                }
                crate::printer::PrintOutcome::NotReady(s) => {
                    Err(format!("not printed: the printer reports {}", s.name()).into())
                }
                crate::printer::PrintOutcome::Failed(e) => Err(format!("not printed: {e}").into()),
                crate::printer::PrintOutcome::NoPrinter => Err("no printer is configured".into()),
            }
        }
    }
}
