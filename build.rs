// Compiles the Slint UI into Rust, with the gettext catalogues under assets/translations bundled
// into the binary (the kiosk never reads translation files at run time).
fn main() {
    let debug = std::env::var("PROFILE")
        .map(|p| p == "debug")
        .unwrap_or(false);
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("assets/translations")
        // Messages are looked up by their English text alone, not per component, so one
        // sentence used on two screens is translated once.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Debug builds carry element ids and labels so UI tests can find elements.
        .with_debug_info(debug);
    slint_build::compile_with_config("ui/app-window.slint", config).expect("Slint UI compiles");
    println!("cargo:rerun-if-changed=assets/translations");
}
