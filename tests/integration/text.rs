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

/// The string literals of a .slint file, unescaped, each with whether it is the message of an
/// `@tr(...)`.
fn string_literals(source: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
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
            let translated = source_before(&chars, i).ends_with("@tr(");
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            found.push((text, translated));
        }
        i += 1;
    }
    found
}

fn source_before(chars: &[char], end: usize) -> String {
    chars[end.saturating_sub(4)..end].iter().collect()
}

fn tr_messages() -> BTreeSet<String> {
    let mut messages = BTreeSet::new();
    for file in slint_files() {
        let source = std::fs::read_to_string(&file).unwrap();
        for (text, translated) in string_literals(&source) {
            if translated {
                messages.insert(text);
            }
        }
    }
    messages
}

fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = root().join(format!(
        "assets/translations/{lang}/LC_MESSAGES/waystation.po"
    ));
    let catalog =
        polib::po_file::parse(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    catalog
        .messages()
        .map(|m| {
            (
                m.msgid().to_string(),
                m.msgstr().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_ui_message_is_in_both_catalogues_and_none_is_stale() {
    let messages = tr_messages();
    assert!(
        messages.len() > 20,
        "found only {} @tr messages",
        messages.len()
    );
    for lang in ["zh_CN", "en"] {
        let catalogue = catalogue(lang);
        let ids: BTreeSet<String> = catalogue.keys().cloned().collect();
        let missing: Vec<_> = messages.difference(&ids).collect();
        let stale: Vec<_> = ids.difference(&messages).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            stale.is_empty(),
            "{lang} has messages no screen uses: {stale:?}"
        );
    }
}

#[test]
fn every_chinese_translation_is_filled_in_and_keeps_its_placeholders() {
    for (id, text) in catalogue("zh_CN") {
        assert!(!text.is_empty(), "no Chinese for '{id}'");
        assert_eq!(
            id.matches("{}").count(),
            text.matches("{}").count(),
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

/// Every piece of text the kiosk can show: catalogues, literals in .slint files, the built-in
/// data and the demo station's config.
fn shown_text() -> String {
    let mut text = String::new();
    for lang in ["zh_CN", "en"] {
        for (id, translated) in catalogue(lang) {
            text += &id;
            text += &translated;
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
        for (id, translated) in catalogue(lang) {
            all.push(id);
            all.push(translated);
        }
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
    for font in [
        "NotoSansCJKsc-Regular-subset.otf",
        "NotoSansCJKsc-Bold-subset.otf",
    ] {
        let bytes = std::fs::read(root().join("assets/fonts").join(font)).unwrap();
        let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
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
    let bytes =
        std::fs::read(root().join("assets/fonts/NotoSansCJKsc-Regular-subset.otf")).unwrap();
    let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
    for c in "啊座焦虑抑郁骑手快递驿站".chars() {
        assert!(face.glyph_index(c).is_some(), "subset lacks {c}");
    }
}

#[test]
fn the_literal_scanner_sees_tr_messages_and_skips_comments() {
    let found = string_literals("// \"not this\"\ntext: @tr(\"Hi \\\"you\\\"\"); x: \"plain\";");
    assert_eq!(
        found,
        vec![
            ("Hi \"you\"".to_string(), true),
            ("plain".to_string(), false)
        ]
    );
}

#[test]
fn one_word_for_the_station_staff_and_one_for_the_slip() {
    // A worker reading "站点工作人员" on one screen and "驿站工作人员" on the next may wonder
    // whether they are different people; "凭条" and "纸条" likewise. "单号" reads as an order
    // number to a rider, so the slip's number is "纸条编号".
    let mut text = shown_text();
    text += &std::fs::read_to_string(root().join("assets/staff/text.toml")).unwrap();
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
