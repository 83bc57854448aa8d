//! The invariants of ARCHITECTURE.md that a reading of the source can check. Each test names
//! the invariant it guards; a failure names the file and the line.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` whose name ends in `.ext`, with its text, in path order.
fn files(dir: &Path, ext: &str) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    found.sort();
    found
}

/// Every `.rs` file under `dir`, with its text up to its first `#[cfg(test)]` (tests may use
/// what the code may not: fake clocks, temporary files).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    files(dir, "rs")
        .into_iter()
        .map(|(path, text)| {
            let code = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            (path, code)
        })
        .collect()
}

/// Every `.slint` file under `ui/`, with its text.
fn slint_files() -> Vec<(PathBuf, String)> {
    files(&root().join("ui"), "slint")
}

/// The lines of `code` that hold `needle` outside a comment, as "path:line: text".
fn uses(path: &Path, code: &str, needle: &str) -> Vec<String> {
    code.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code_part = line.split("//").next().unwrap_or("");
            code_part.contains(needle)
        })
        .map(|(n, line)| format!("{}:{}: {}", path.display(), n + 1, line.trim()))
        .collect()
}

fn offenders(dir: &str, needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = root();
    sources(&root.join(dir))
        .into_iter()
        .filter(|(path, _)| {
            let relative = path.strip_prefix(&root).unwrap();
            !allowed.iter().any(|a| relative.starts_with(a))
        })
        .flat_map(|(path, code)| {
            needles
                .iter()
                .flat_map(|n| uses(path.strip_prefix(&root).unwrap(), &code, n))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// "rppal is used in one file": it is unmaintained upstream, so it stays behind the board.
#[test]
fn rppal_is_used_in_the_board_module_only() {
    let found = offenders("src", &["rppal"], &["src/board/mod.rs"]);
    assert!(
        found.is_empty(),
        "rppal outside src/board/mod.rs:\n{}",
        found.join("\n")
    );
}

/// "src/ui is the only code that sees Slint."
#[test]
fn only_the_ui_layer_sees_slint() {
    let found = offenders("src", &["slint::", "slint_"], &["src/ui"]);
    assert!(
        found.is_empty(),
        "Slint outside src/ui:\n{}",
        found.join("\n")
    );
}

/// "The core does no I/O": nothing under the pure cores imports the database, the network,
/// the UI or the board, reads a clock or touches a file.
#[test]
fn the_core_does_no_io() {
    let needles = [
        "slint",
        "rusqlite",
        "reqwest",
        "ureq",
        "rppal",
        "std::fs",
        "File::",
        "Utc::now",
        "SystemTime",
        "Instant::now",
        "getrandom",
        "OsRng",
    ];
    for dir in ["src/kiosk", "src/screening", "src/update", "src/tree_hole"] {
        let found = offenders(dir, &needles, &[]);
        assert!(found.is_empty(), "I/O in the core:\n{}", found.join("\n"));
    }
}

/// "Time comes in from the edge": only the clock edge reads the wall clock.
#[test]
fn only_the_clock_edge_reads_the_wall_clock() {
    let needles = ["Utc::now", "SystemTime::now", "Local::now"];
    let found = offenders("src", &needles, &["src/clock.rs"]);
    assert!(
        found.is_empty(),
        "the wall clock read outside src/clock.rs:\n{}",
        found.join("\n")
    );
}

/// "Every record reaches the outbox through `Store::commit_record`": nothing else inserts
/// into it but the outbox module itself.
#[test]
fn only_the_outbox_module_inserts_into_the_outbox() {
    let found = offenders("src", &["INSERT INTO outbox"], &["src/store/outbox.rs"]);
    assert!(
        found.is_empty(),
        "an insert into outbox elsewhere:\n{}",
        found.join("\n")
    );
}

/// "Randomness comes in from the edge": only the entropy edge asks the operating system.
#[test]
fn only_the_entropy_edge_asks_for_randomness() {
    let needles = [
        "getrandom::",
        "OsRng",
        "new_v4",
        "new_v7",
        "now_v7",
        "thread_rng",
    ];
    let found = offenders("src", &needles, &["src/entropy.rs"]);
    assert!(
        found.is_empty(),
        "randomness outside src/entropy.rs:\n{}",
        found.join("\n")
    );
}

/// "No screen holds business rules": where a button leads is decided in Rust
/// (`kiosk::Request::leads_to`); a `.slint` file asks with `Shell.request`, never opens a
/// screen by name.
#[test]
fn no_screen_layout_decides_where_a_button_leads() {
    let mut found = Vec::new();
    for (path, text) in slint_files() {
        found.extend(uses(&path, &text, "Shell.open("));
    }
    assert!(
        found.is_empty(),
        "a screen opens a screen by name:\n{}",
        found.join("\n")
    );
}

/// Every scrolling list is the shared `ScrollList`, whose scrolling counts as a touch: a raw
/// `Flickable` elsewhere would let the idle countdown wipe someone reading down a list (the
/// restock screen's copy once did).
#[test]
fn every_scrolling_list_resets_the_idle_timer() {
    let mut found = Vec::new();
    for (path, text) in slint_files() {
        if path.ends_with("widgets/scroll-list.slint") {
            continue;
        }
        found.extend(uses(&path, &text, "Flickable"));
    }
    assert!(
        found.is_empty(),
        "a list scrolls without ScrollList:\n{}",
        found.join("\n")
    );
}

/// "Each face of the font is embedded once": only `src/fonts.rs` embeds a font file, and no
/// `.slint` file imports one (Slint would embed its own copy of it).
#[test]
fn the_font_is_embedded_in_one_place() {
    let mut found = offenders("src", &["assets/fonts/"], &["src/fonts.rs"]);
    for (path, text) in slint_files() {
        for font in [".otf", ".ttf", ".ttc"] {
            found.extend(uses(&path, &text, font));
        }
    }
    assert!(
        found.is_empty(),
        "a font embedded outside src/fonts.rs:\n{}",
        found.join("\n")
    );
}

/// An accessible label is what a screen reader says to a person, so it is never a test's
/// handle such as "pin-notice": tests find elements by their element id
/// (`ElementHandle::find_by_element_id`, "StaffPinScreen::notice").
#[test]
fn no_accessible_label_is_a_test_handle() {
    let mut found = Vec::new();
    for (path, text) in slint_files() {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let Some((_, value)) = code.split_once("accessible-label:") else {
                continue;
            };
            let value = value.trim().trim_end_matches(';').trim();
            let handle = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .is_some_and(|inner| {
                    !inner.is_empty()
                        && inner
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                });
            if handle {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "an accessible label that is a test handle, not words for a person:\n{}",
        found.join("\n")
    );
}

/// The pure capabilities (mood, screening, slip, staff, directory, tree hole) sit below the kiosk, the
/// store and the UI: they import none of them, and of the printer only what a printer says
/// about itself (`printer::status`), so no import runs in a circle.
#[test]
fn the_pure_capabilities_import_nothing_above_them() {
    let needles = [
        "crate::kiosk",
        "crate::ui",
        "crate::store",
        "crate::status",
        "crate::sync",
        "crate::cli",
        "crate::printer::transports",
        "crate::printer::Opener",
        "crate::printer::print",
    ];
    for dir in [
        "src/mood",
        "src/screening",
        "src/slip",
        "src/staff",
        "src/directory",
        "src/health",
        "src/tree_hole",
    ] {
        let found = offenders(dir, &needles, &[]);
        assert!(
            found.is_empty(),
            "a pure module imports upwards:\n{}",
            found.join("\n")
        );
    }
}

/// "What a worker writes never leaves the session": the page's text is read in the tree
/// hole's adapter only, the page's module can write nowhere, and no log call in the adapter
/// names the page or the keyboard's letters.
#[test]
fn the_written_page_is_read_in_one_adapter_and_never_logged() {
    let readers = offenders(
        "src",
        &["page.text()"],
        &["src/ui/writing.rs", "src/tree_hole"],
    );
    assert!(
        readers.is_empty(),
        "the page's text is read outside src/ui/writing.rs:\n{}",
        readers.join("\n")
    );
    let writers = offenders(
        "src/tree_hole",
        &[
            "std::fs",
            "std::io",
            "tracing::",
            "crate::store",
            "println!",
            "eprintln!",
        ],
        &[],
    );
    assert!(
        writers.is_empty(),
        "the tree hole writes:\n{}",
        writers.join("\n")
    );
    let adapter = root().join("src/ui/writing.rs");
    let code = std::fs::read_to_string(&adapter).unwrap();
    let logged: Vec<String> = ["tracing::", "println!", "eprintln!", "dbg!"]
        .iter()
        .flat_map(|n| uses(Path::new("src/ui/writing.rs"), &code, n))
        .filter(|line| line.contains("page") || line.contains("text") || line.contains("composing"))
        .collect();
    assert!(
        logged.is_empty(),
        "a log line names the page:\n{}",
        logged.join("\n")
    );
}

/// "Nothing on the card's FAT partition is applied twice": every command the image runs on the
/// provision file there removes it once applied, and `authorized_keys` is removed from there by
/// the script that takes it.
#[test]
fn the_card_s_settings_and_keys_are_taken_once() {
    let provision_file = "/boot/firmware/waystation-provision.toml";
    let mut runs = Vec::new();
    for dir in ["deploy/debian", "deploy/image/rootfs"] {
        for (path, text) in files(&root().join(dir), "service") {
            for line in text.lines() {
                if line.contains("waystation provision") && line.contains(provision_file) {
                    runs.push((path.clone(), line.to_string()));
                }
            }
        }
    }
    assert!(!runs.is_empty(), "no unit provisions from {provision_file}");
    for (path, line) in &runs {
        assert!(
            line.contains("--remove-after"),
            "{}: provisions without removing the file: {line}",
            path.display()
        );
    }
    let setup = "deploy/image/rootfs/usr/local/sbin/waystation-system-setup";
    let script = std::fs::read_to_string(root().join(setup)).unwrap();
    let read = script.find("install -m 0600 /boot/firmware/authorized_keys");
    let removed = script.find("rm -f /boot/firmware/authorized_keys");
    assert!(
        matches!((read, removed), (Some(r), Some(m)) if r < m),
        "{setup} does not remove authorized_keys from the FAT partition after taking it"
    );
}

/// The name of the `fn` that `line` declares (after any visibility and qualifiers), if any.
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    let qualifiers = [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ];
    while let Some(q) = qualifiers.iter().find(|q| rest.starts_with(**q)) {
        rest = &rest[q.len()..];
    }
    let name = rest.strip_prefix("fn ")?;
    let end = name.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&name[..end])
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Each `fn` with a body in `lines`: its name, first line and number of lines, `fn` to the
/// closing brace. Relies on rustfmt's layout: the brace that closes a body is alone on a line
/// at the indentation of its `fn`, and a line there ending in `;` ends a body-less declaration.
fn functions<'a>(lines: &[&'a str]) -> Vec<(&'a str, usize, usize)> {
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let depth = indent(line);
        let end = lines[start..].iter().position(|l| {
            let at_depth = indent(l) == depth && !l.trim().is_empty();
            at_depth && (l.trim_end().ends_with('}') || l.trim_end().ends_with(';'))
        });
        if let Some(end) = end
            && lines[start + end].trim_end().ends_with('}')
        {
            found.push((name, start, end + 1));
        }
    }
    found
}

/// Whether the plain comment just above `fn`'s doc comment and attributes starts with
/// "// Long on purpose:" (the reason may go on over further `//` lines).
fn says_why_long(lines: &[&str], start: usize) -> bool {
    let mut above = start;
    while above > 0 {
        let line = lines[above - 1].trim_start();
        if line.starts_with("///") || line.starts_with("#[") {
            above -= 1;
        } else {
            break;
        }
    }
    let mut reason = None;
    while above > 0 {
        let line = lines[above - 1].trim_start();
        if line.starts_with("//") && !line.starts_with("///") {
            reason = Some(line);
            above -= 1;
        } else {
            break;
        }
    }
    reason.is_some_and(|first| first.starts_with("// Long on purpose:"))
}

/// "A function does one job and fits on a screen; a long one says above it why it must be
/// long": no `fn` in `src/` outside its tests runs over 80 lines unless the comment above it
/// begins "// Long on purpose:".
#[test]
fn no_function_is_long_without_a_reason() {
    const LIMIT: usize = 80;
    let root = root();
    let mut found = Vec::new();
    for (path, code) in sources(&root.join("src")) {
        let lines: Vec<&str> = code.lines().collect();
        for (name, start, length) in functions(&lines) {
            if length > LIMIT && !says_why_long(&lines, start) {
                let relative = path.strip_prefix(&root).unwrap();
                found.push(format!(
                    "{}:{}: fn {name} is {length} lines",
                    relative.display(),
                    start + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "functions over {LIMIT} lines with no \"// Long on purpose:\" above them:\n{}",
        found.join("\n")
    );
}

/// "One `Theme` global": no screen or widget writes a colour or a font size of its own.
#[test]
fn colours_and_type_sizes_come_from_the_theme_only() {
    let mut found = Vec::new();
    for (path, text) in slint_files() {
        if path.ends_with("ui/theme.slint") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let colour = code.split('#').skip(1).any(|rest| {
                let hex = rest.chars().take_while(|c| c.is_ascii_hexdigit()).count();
                matches!(hex, 3 | 4 | 6 | 8)
            });
            let size = code.contains("font-size:")
                && !code.contains("Theme.font-")
                && !code.contains("root.font-size");
            if colour || size {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a colour or size outside the theme:\n{}",
        found.join("\n")
    );
}
