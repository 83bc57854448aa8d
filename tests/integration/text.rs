//! Every user-visible string is translated, and every character the kiosk can show is in the
//! embedded font (without a glyph, the software renderer silently draws nothing). Text from data
//! (emergency lines, instruments, the slip, the mood words, the data inventory) is checked too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with_extension(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn slint_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_with_extension(&root().join("ui"), "slint", &mut files);
    assert!(files.len() >= 8, "ui/ seems empty");
    files
}

/// What a string literal in a .slint file is to the translations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Shown as it is, or no text at all (a label for tests, an image's path).
    Plain,
    /// The message of an `@tr(...)`.
    Message,
    /// The plural form of the message before it: `@tr("{n} second" | "{n} seconds" % n)`.
    Plural,
}

/// The string literals of a .slint file, unescaped, each with its role.
fn string_literals(source: &str) -> Vec<(String, Role)> {
    let mut found: Vec<(String, Role)> = Vec::new();
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // Skip line comments: they are not shown to anyone.
        if chars[i] == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if chars[i] == '"' {
            let before = source_before(&chars, i);
            let role = if before.ends_with("@tr(") {
                Role::Message
            } else if before.trim_end().ends_with('|')
                && found.last().is_some_and(|(_, role)| *role == Role::Message)
            {
                Role::Plural
            } else {
                Role::Plain
            };
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            found.push((text, role));
        }
        i += 1;
    }
    found
}

fn source_before(chars: &[char], end: usize) -> String {
    chars[end.saturating_sub(4)..end].iter().collect()
}

/// Every `@tr` message in ui/, with its plural form if it has one.
fn tr_messages() -> BTreeMap<String, Option<String>> {
    let mut messages = BTreeMap::new();
    for file in slint_files() {
        let source = std::fs::read_to_string(&file).unwrap();
        let literals = string_literals(&source);
        for (at, (text, role)) in literals.iter().enumerate() {
            if *role == Role::Message {
                let plural = literals
                    .get(at + 1)
                    .filter(|(_, role)| *role == Role::Plural)
                    .map(|(plural, _)| plural.clone());
                messages.insert(text.clone(), plural);
            }
        }
    }
    messages
}

/// One entry of a catalogue: its plural form, if any, and its translations (one, or one per
/// plural form of the language).
#[derive(Debug, Clone)]
struct Entry {
    plural: Option<String>,
    translations: Vec<String>,
}

/// A catalogue's entries by message, and how many plural forms its language has.
fn catalogue_with_forms(lang: &str) -> (BTreeMap<String, Entry>, usize) {
    let path = root().join(format!(
        "assets/translations/{lang}/LC_MESSAGES/waystation.po"
    ));
    let catalog =
        polib::po_file::parse(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let entries = catalog
        .messages()
        .map(|m| {
            let entry = match (m.msgid_plural(), m.msgstr_plural()) {
                (Ok(plural), Ok(forms)) => Entry {
                    plural: Some(plural.to_string()),
                    translations: forms.clone(),
                },
                _ => Entry {
                    plural: None,
                    translations: vec![m.msgstr().unwrap_or_default().to_string()],
                },
            };
            (m.msgid().to_string(), entry)
        })
        .collect();
    (entries, catalog.metadata.plural_rules.nplurals)
}

/// A catalogue's translations by message (of a plural message, the first form).
fn catalogue(lang: &str) -> BTreeMap<String, String> {
    catalogue_with_forms(lang)
        .0
        .into_iter()
        .map(|(id, entry)| (id, entry.translations[0].clone()))
        .collect()
}

/// Every text of a catalogue: each message, its plural form and every translation.
fn catalogue_texts(lang: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for (id, entry) in catalogue_with_forms(lang).0 {
        texts.push(id);
        texts.extend(entry.plural);
        texts.extend(entry.translations);
    }
    texts
}

#[test]
fn every_ui_message_is_in_both_catalogues_and_none_is_stale() {
    let messages = tr_messages();
    assert!(
        messages.len() > 20,
        "found only {} @tr messages",
        messages.len()
    );
    assert!(
        messages.values().filter(|plural| plural.is_some()).count() >= 6,
        "the plural messages were not found"
    );
    for lang in ["zh_CN", "en"] {
        let (catalogue, forms) = catalogue_with_forms(lang);
        let ids: BTreeSet<&String> = catalogue.keys().collect();
        let wanted: BTreeSet<&String> = messages.keys().collect();
        let missing: Vec<_> = wanted.difference(&ids).collect();
        let stale: Vec<_> = ids.difference(&wanted).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            stale.is_empty(),
            "{lang} has messages no screen uses: {stale:?}"
        );
        for (id, plural) in &messages {
            let entry = &catalogue[id];
            assert_eq!(&entry.plural, plural, "{lang}: the plural form of '{id}'");
            // A plural message has one translation per plural form of the language (English
            // two, Chinese one); any other message has one.
            let count = if plural.is_some() { forms } else { 1 };
            assert_eq!(entry.translations.len(), count, "{lang}: '{id}'");
        }
    }
    let (_, english) = catalogue_with_forms("en");
    let (_, chinese) = catalogue_with_forms("zh_CN");
    assert_eq!((english, chinese), (2, 1), "plural forms in the headers");
}

#[test]
fn every_chinese_translation_is_filled_in_and_keeps_its_placeholders() {
    let placeholders = |text: &str| (text.matches("{}").count(), text.matches("{n}").count());
    for (id, entry) in catalogue_with_forms("zh_CN").0 {
        if let Some(plural) = &entry.plural {
            assert_eq!(
                placeholders(&id),
                placeholders(plural),
                "'{id}' and its plural"
            );
        }
        for text in entry.translations {
            assert!(!text.is_empty(), "no Chinese for '{id}'");
            assert_eq!(
                placeholders(&id),
                placeholders(&text),
                "placeholders differ in '{id}'"
            );
            if id.chars().any(|c| c.is_ascii_alphabetic()) && id != "Waystation" {
                assert!(
                    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "'{id}' is not translated: '{text}'"
                );
            }
        }
    }
}

/// Every piece of text the kiosk can show: catalogues, literals in .slint files, the built-in
/// data and the demo station's config.
fn shown_text() -> String {
    let mut text = String::new();
    for lang in ["zh_CN", "en"] {
        for piece in catalogue_texts(lang) {
            text += &piece;
        }
    }
    for file in slint_files() {
        let source = std::fs::read_to_string(&file).unwrap();
        for (literal, _) in string_literals(&source) {
            text += &literal;
        }
    }
    text += &std::fs::read_to_string(root().join("assets/data/emergency-lines.toml")).unwrap();
    text += &std::fs::read_to_string(root().join("assets/config/demo-station.toml")).unwrap();
    text += &std::fs::read_to_string(root().join("assets/slip/text.toml")).unwrap();
    text += &std::fs::read_to_string(root().join("assets/mood/vocabulary.toml")).unwrap();
    for piece in instrument_texts() {
        text += &piece;
    }
    for piece in inventory_texts() {
        text += &piece;
    }
    text
}

/// The data inventory's sentences (the privacy page and the self-check notice), both languages.
fn inventory_texts() -> Vec<String> {
    waystation::inventory::all_sentences()
        .flat_map(|w| [w.zh.to_string(), w.en.to_string()])
        .collect()
}

/// Everything the self-check screens can show from the instrument and topic data (not the
/// sources and licences, which are for the service centre's records).
fn instrument_texts() -> Vec<String> {
    let catalogue = waystation::screening::Catalogue::builtin();
    let mut texts = Vec::new();
    for i in &catalogue.instruments {
        for s in [
            &i.name_zh,
            &i.name_en,
            &i.about_zh,
            &i.about_en,
            &i.timeframe_zh,
            &i.timeframe_en,
            &i.stem_zh,
            &i.stem_en,
        ] {
            texts.push(s.clone());
        }
        for item in &i.items {
            texts.extend([item.zh.clone(), item.en.clone()]);
        }
        for o in &i.options {
            texts.extend([o.zh.clone(), o.en.clone()]);
        }
        for b in &i.bands {
            texts.extend([
                b.title_zh.clone(),
                b.title_en.clone(),
                b.text_zh.clone(),
                b.text_en.clone(),
            ]);
        }
    }
    for t in &catalogue.topics {
        texts.extend([t.zh.clone(), t.en.clone()]);
    }
    let after = &catalogue.after_crisis;
    texts.extend([
        after.title_zh.clone(),
        after.title_en.clone(),
        after.text_zh.clone(),
        after.text_en.clone(),
    ]);
    texts
}

/// Every sentence a worker can read: UI messages in both languages, the emergency lines and
/// the instruments' words (each item, option and result).
fn readable_sentences() -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for lang in ["zh_CN", "en"] {
        all.extend(catalogue_texts(lang));
    }
    for line in waystation::kiosk::emergency::builtin() {
        all.extend([
            line.name_zh,
            line.name_en,
            line.when_zh,
            line.when_en,
            line.then_zh,
            line.then_en,
        ]);
    }
    all.extend(instrument_texts());
    all.extend(inventory_texts());
    let slip = waystation::slip::SlipText::builtin();
    for pair in [
        slip.talk_heading,
        slip.emergency,
        slip.not_diagnosis,
        slip.scan,
        slip.code,
        slip.code_note,
        slip.crisis_heading,
        slip.plan_heading,
    ]
    .into_iter()
    .chain(slip.plan_steps)
    {
        all.extend([pair.zh, pair.en]);
    }
    let mood = waystation::mood::Vocabulary::builtin();
    all.extend(mood.words.into_iter().flat_map(|w| [w.zh, w.en]));
    all.extend(mood.tags.into_iter().flat_map(|t| [t.zh, t.en]));
    all.extend(
        mood.quadrants
            .into_iter()
            .flat_map(|q| [q.label_zh, q.label_en, q.reply_zh, q.reply_en]),
    );
    all
}

#[test]
fn no_shown_text_claims_a_diagnosis() {
    // In China only psychiatrists diagnose: nothing on screen may say or imply that the worker
    // has a disorder. ("抑郁症状" contains "抑郁症", so none of these may appear even inside a
    // longer word.)
    let banned = [
        "确诊",
        "患有",
        "抑郁症",
        "焦虑症",
        "诊断为",
        "你有抑郁",
        "你有焦虑",
        "you have depression",
        "you have anxiety",
        "you are depressed",
        "diagnosed with",
        "you suffer from",
        "disorder",
    ];
    let sentences = readable_sentences();
    assert!(
        sentences.len() > 150,
        "only {} sentences found",
        sentences.len()
    );
    for sentence in &sentences {
        let lower = sentence.to_lowercase();
        for word in banned {
            assert!(!lower.contains(word), "'{sentence}' contains '{word}'");
        }
    }
    // And the result screens say the opposite, in both languages.
    let zh = catalogue("zh_CN");
    assert!(zh.values().any(|t| t.contains("这不是诊断")));
    assert!(zh.keys().any(|t| t.contains("This is not a diagnosis")));
}

#[test]
fn every_character_shown_is_in_both_embedded_fonts() {
    let text = shown_text();
    let chars: BTreeSet<char> = text.chars().filter(|c| !c.is_control()).collect();
    assert!(
        chars.iter().any(|c| ('\u{4e00}'..='\u{9fff}').contains(c)),
        "no Chinese found to check"
    );
    for (font, bytes) in [
        ("the regular face", waystation::fonts::regular()),
        ("the bold face", waystation::fonts::bold()),
    ] {
        let face = ttf_parser::Face::parse(bytes, 0).unwrap();
        let missing: String = chars
            .iter()
            .filter(|c| face.glyph_index(**c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "{font} lacks {missing:?}: rerun assets/fonts/make-subset.py"
        );
    }
}

#[test]
fn the_font_subset_keeps_the_common_hanzi_for_text_to_come() {
    // GB2312 level 1 (the 3,755 most common characters) is kept whole, so new text rarely
    // needs a new subset. Spot-check its first and last characters and a few from the seed.
    let face = ttf_parser::Face::parse(waystation::fonts::regular(), 0).unwrap();
    for c in "啊座焦虑抑郁骑手快递驿站".chars() {
        assert!(face.glyph_index(c).is_some(), "subset lacks {c}");
    }
}

#[test]
fn the_literal_scanner_sees_tr_messages_their_plurals_and_skips_comments() {
    let found = string_literals(
        "// \"not this\"\ntext: @tr(\"Hi \\\"you\\\"\"); x: \"plain\" | \"or\";\n\
         y: @tr(\"{n} day\" | \"{n} days\" % n, \"arg\");",
    );
    assert_eq!(
        found,
        vec![
            ("Hi \"you\"".to_string(), Role::Message),
            ("plain".to_string(), Role::Plain),
            ("or".to_string(), Role::Plain),
            ("{n} day".to_string(), Role::Message),
            ("{n} days".to_string(), Role::Plural),
            ("arg".to_string(), Role::Plain),
        ]
    );
}

#[test]
fn one_word_for_the_station_staff_and_one_for_the_slip() {
    // A worker reading "站点工作人员" on one screen and "驿站工作人员" on the next may wonder
    // whether they are different people; "凭条" and "纸条" likewise. "单号" reads as an order
    // number to a rider, so the slip's number is "纸条编号".
    let text = shown_text();
    for word in ["站点工作人员", "凭条", "单号"] {
        assert!(!text.contains(word), "'{word}' is shown somewhere");
    }
    assert!(text.contains("驿站工作人员") && text.contains("纸条"));
}

#[test]
fn words_in_large_type_after_a_crisis_answer_name_nothing_a_bystander_should_read() {
    // The crisis screen's heading and the after-crisis result title are large, in a public
    // room. What the worker answered may be said only in small type.
    let sensitive = [
        "死", "伤害", "自杀", "轻生", "dead", "harm", "suicid", "kill",
    ];
    let zh = catalogue("zh_CN");
    let heading = "Thank you for telling us. You can talk to someone right now.";
    let after = waystation::screening::Catalogue::builtin().after_crisis;
    for large in [heading, &zh[heading], &after.title_zh, &after.title_en] {
        for word in sensitive {
            assert!(
                !large.to_lowercase().contains(word),
                "'{large}' has '{word}'"
            );
        }
    }
}
