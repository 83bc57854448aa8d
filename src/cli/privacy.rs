//! `waystation privacy`: the data inventory (`crate::inventory`) as Markdown. docs/privacy.md
//! holds this output between its marker comments, and a test fails when the two differ, so the
//! document cannot say something the inventory does not.

use std::fmt::Write as _;

use super::Failure;
use crate::inventory::{
    self, Column, ENVELOPE, ENVELOPE_WORDS, IDLE_SECONDS, ITEMS, Item, Leaves, METRICS, Sentence,
};

/// Prints the inventory.
pub(super) fn privacy() -> Result<(), Failure> {
    out!("{}", markdown())
}

/// The whole inventory: items by column, then the uploaded records and the summary's metrics.
pub(crate) fn markdown() -> String {
    let mut md = format!(
        "## The data inventory\n\n\
         Written by `waystation privacy` from `src/inventory.rs`. On the screens, N is the \
         station's idle time (`kiosk.idle_seconds`, {} seconds unless the config says \
         otherwise).\n",
        crate::config::Kiosk::default().idle_seconds.0
    );
    for column in Column::ALL {
        let _ = write!(md, "\n### {}\n", column.heading());
        for item in ITEMS.iter().filter(|i| i.column == column) {
            md += &item_markdown(item);
        }
    }
    md += &uploaded_markdown();
    md
}

fn item_markdown(item: &Item) -> String {
    let leaves = match item.leaves {
        Leaves::No => "no.".to_string(),
        Leaves::Within(how) => format!("not as it is: {}.", squeeze(how)),
        Leaves::Sealed { kinds, time } => format!(
            "sealed, as {}; its sealed time is {time}.",
            code_list(kinds)
        ),
    };
    let mut md = format!("\n#### {} (`{}`)\n\n", item.name, item.id);
    for (label, text) in [
        ("What", item.what),
        ("Kept", item.kept),
        ("For how long", item.how_long),
        ("Leaves the kiosk", &leaves),
        ("Seen at the centre by", item.seen_by),
    ] {
        let _ = writeln!(md, "- **{label}:** {}", squeeze(text));
    }
    md += "- **On screen:**\n";
    for sentence in item.sentences {
        md += &sentence_markdown(sentence);
    }
    md
}

fn sentence_markdown(sentence: &Sentence) -> String {
    let screens = match (sentence.about, sentence.notice) {
        (true, true) => "privacy page and self-check notice",
        (true, false) => "privacy page",
        _ => "self-check notice",
    };
    let words = sentence.words;
    format!(
        "  - {} / {} ({screens})\n",
        words.zh.replace(IDLE_SECONDS, "N"),
        words.en.replace(IDLE_SECONDS, "N"),
    )
}

fn uploaded_markdown() -> String {
    let mut md = format!(
        "\n### What an upload looks like\n\n{} The envelope's fields are {}.\n\n\
         | kind | about workers | payload fields |\n| --- | --- | --- |\n",
        squeeze(ENVELOPE_WORDS),
        code_list(ENVELOPE),
    );
    for u in inventory::uploaded() {
        let about = if u.about_workers {
            "yes, as totals"
        } else {
            "no"
        };
        let _ = writeln!(md, "| `{}` | {about} | {} |", u.kind, code_list(u.fields));
    }
    md += "\nThe day summary's `counts` hold these metrics (a key's parts are joined with `/`):\n\n\
           | metric | key |\n| --- | --- |\n";
    for m in METRICS {
        let _ = writeln!(md, "| `{}` | {} |", m.name, m.keys);
    }
    md
}

/// `a`, `b`, `c`.
fn code_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line: the inventory's long strings are wrapped in the source with runs of spaces.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_names_every_item_kind_and_field_once_filled_in() {
        let md = markdown();
        for item in ITEMS {
            assert!(md.contains(&format!("(`{}`)", item.id)), "{}", item.id);
            for s in item.sentences {
                assert!(md.contains(&s.words.en.replace(IDLE_SECONDS, "N")));
            }
        }
        for u in inventory::uploaded() {
            assert!(md.contains(&format!("| `{}` |", u.kind)), "{}", u.kind);
        }
        assert!(!md.contains(IDLE_SECONDS), "{md}");
        // The source's line continuations leave no runs of spaces in the text.
        assert!(md.lines().all(|l| !l.trim_start().contains("  ")), "{md}");
    }
}
