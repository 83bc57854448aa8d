//! What a worker typing on the kiosk's keyboard is offered, over the built-in lists.

use std::sync::OnceLock;

use waystation_pinyin::{Candidate, Engine, FuzzyPair, FuzzySet, MAX_INPUT, Options, page};

/// The kiosk's candidate bar shows about this many words at 800×480.
const PAGE: usize = 8;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::builtin)
}

fn words(input: &str, options: Options) -> Vec<String> {
    engine()
        .candidates(input, options)
        .into_iter()
        .map(|candidate| candidate.text)
        .collect()
}

fn exact(input: &str) -> Vec<String> {
    words(input, Options::default())
}

fn fuzzy(input: &str, pairs: &[FuzzyPair]) -> Vec<String> {
    let fuzzy = pairs.iter().copied().collect();
    words(input, Options { fuzzy })
}

fn first_page(words: &[String]) -> &[String] {
    &words[..words.len().min(PAGE)]
}

fn position(words: &[String], word: &str) -> Option<usize> {
    words.iter().position(|w| w == word)
}

#[test]
fn xiangjia_offers_homesick_xiangjia_within_the_first_eight() {
    let words = exact("xiangjia");
    assert!(first_page(&words).contains(&"想家".to_owned()), "{words:?}");
}

#[test]
fn women_offers_women_first() {
    assert_eq!(exact("women")[0], "我们");
}

#[test]
fn buxiang_offers_buxiang_on_the_first_page() {
    let words = exact("buxiang");
    assert!(first_page(&words).contains(&"不想".to_owned()), "{words:?}");
}

/// The worker types the whole phrase, picks 不想, and is left with `huole`.
#[test]
fn picking_buxiang_from_buxianghuole_leaves_huole_which_offers_huole_on_the_first_page() {
    let input = "buxianghuole";
    let candidates = engine().candidates(input, Options::default());
    let picked = candidates
        .iter()
        .find(|c| c.text == "不想")
        .expect("不想 offered");
    assert_eq!(picked.consumed, "buxiang".len());
    let rest = &input[picked.consumed..];
    assert_eq!(rest, "huole");
    let words = exact(rest);
    assert!(first_page(&words).contains(&"活了".to_owned()), "{words:?}");
}

/// No list has 结束自己 as one word; the sentence of 结束 and 自己 comes first.
#[test]
fn jieshuziji_offers_the_sentence_jieshu_ziji_first() {
    assert_eq!(exact("jieshuziji")[0], "结束自己");
}

/// Sentences of words, where no word covers the input: the choice of `WORD_PENALTY`.
#[test]
fn phrases_with_no_word_of_their_own_come_first_as_sentences() {
    for (input, sentence) in [
        ("buxianghuole", "不想活了"),
        ("wohenlei", "我很累"),
        ("wobuxiangzhule", "我不想住了"),
        ("buxiangshangban", "不想上班"),
    ] {
        assert_eq!(exact(input)[0], sentence, "{input}");
    }
}

/// 想家 is less frequent than 16 other words of `xiang` and a syllable starting with j
/// (相机, 香蕉, 相见 …), so by frequency it is on the third page of eight, not the first.
#[test]
fn xiangj_offers_xiangjia_among_the_words_finishing_the_j() {
    let candidates = engine().candidates("xiangj", Options::default());
    let at = candidates
        .iter()
        .position(|c| c.text == "想家")
        .expect("想家 offered");
    assert!(at < 20, "想家 at {at}");
    // Every word before the single characters covers the whole input, the j included.
    assert!(
        candidates[..=at]
            .iter()
            .all(|c| c.consumed == "xiangj".len())
    );
}

#[test]
fn an_unfinished_last_syllable_offers_words_finishing_it_before_shorter_words() {
    let candidates = engine().candidates("xiangj", Options::default());
    assert_eq!(candidates[0].consumed, 6, "{candidates:?}");
    assert!(candidates[0].text.chars().count() == 2);
}

#[test]
fn xianjia_without_fuzzy_pinyin_does_not_offer_xiangjia() {
    let words = exact("xianjia");
    assert_eq!(position(&words, "想家"), None, "{words:?}");
}

#[test]
fn xianjia_with_fuzzy_an_ang_offers_xiangjia_on_the_first_page() {
    let words = fuzzy("xianjia", &[FuzzyPair::AnAng]);
    assert!(first_page(&words).contains(&"想家".to_owned()), "{words:?}");
}

#[test]
fn zongguo_with_fuzzy_z_zh_offers_zhongguo_first() {
    assert_eq!(fuzzy("zongguo", &[FuzzyPair::ZZh])[0], "中国");
    assert_eq!(position(&exact("zongguo"), "中国"), None);
}

/// Fuzzy pairs apply to each syllable on its own, not to the input as one string.
#[test]
fn fuzzy_pairs_apply_to_every_syllable() {
    assert_eq!(fuzzy("lihao", &[FuzzyPair::NL])[0], "你好");
    assert_eq!(fuzzy("jiesuziji", &[FuzzyPair::SSh])[0], "结束自己");
    let words = fuzzy("huozemeiyisi", &[FuzzyPair::ZZh]);
    assert!(
        words.iter().take(3).any(|w| w.starts_with("或者")),
        "{words:?}"
    );
}

#[test]
fn an_apostrophe_splits_xian_into_xi_an() {
    let words = exact("xi'an");
    assert_eq!(words[0], "西安");
    assert_eq!(position(&words, "先"), None, "{words:?}");
    // Without one, `xian` is one syllable.
    assert_eq!(exact("xian")[0], "先");
}

#[test]
fn an_apostrophe_after_the_last_syllable_says_it_is_finished() {
    let words = exact("xiangji'");
    assert_eq!(words[0], "相机");
    assert_eq!(position(&words, "想家"), None, "{words:?}");
}

#[test]
fn empty_and_non_letter_input_gives_nothing() {
    for input in [
        "", "'", "''", " ", "123", "ni3", "ni hao", "你好", "lü", "\n", "\u{0}",
    ] {
        assert_eq!(
            engine().candidates(input, Options::default()),
            [],
            "{input:?}"
        );
    }
}

#[test]
fn v_stands_for_u_umlaut() {
    assert!(first_page(&exact("lv")).contains(&"绿".to_owned()));
    assert_eq!(exact("nver")[0], "女儿");
    assert_eq!(exact("lve")[0], "略");
    assert_eq!(exact("nve")[0], "虐");
}

#[test]
fn capital_letters_count_as_small_ones() {
    assert_eq!(exact("WoMen")[0], "我们");
}

#[test]
fn supplement_words_are_offered_first() {
    for (input, word) in [
        ("qishou", "骑手"),
        ("waimaiyuan", "外卖员"),
        ("kuaidiyuan", "快递员"),
        ("wangyueche", "网约车"),
        ("paodan", "跑单"),
        ("songcan", "送餐"),
    ] {
        assert_eq!(exact(input)[0], word, "{input}");
    }
}

/// `wq` cannot be read (no syllable starts with q after w): the `w` can, and picking a word
/// for it leaves the `q`.
#[test]
fn letters_that_cannot_be_read_leave_the_longest_start_that_can() {
    let candidates = engine().candidates("wq", Options::default());
    assert_eq!(
        candidates[0],
        Candidate {
            text: "我".into(),
            consumed: 1
        }
    );
    assert!(candidates.iter().all(|c| c.consumed == 1));
    assert_eq!(engine().candidates("iiii", Options::default()), []);
}

#[test]
fn every_candidate_covers_a_start_of_the_input_and_appears_once() {
    for input in [
        "xiangjia",
        "buxianghuole",
        "xi'an'",
        "fangan",
        "jieshuzij",
        "wq",
    ] {
        for fuzzy in [FuzzySet::NONE, FuzzySet::all()] {
            let candidates = engine().candidates(input, Options { fuzzy });
            assert!(!candidates.is_empty(), "{input}");
            let mut texts: Vec<&str> = candidates.iter().map(|c| c.text.as_str()).collect();
            texts.sort_unstable();
            texts.dedup();
            assert_eq!(texts.len(), candidates.len(), "{input}: a word twice");
            for candidate in &candidates {
                assert!(candidate.consumed > 0 && candidate.consumed <= input.len());
                assert!(input.is_char_boundary(candidate.consumed));
            }
        }
    }
}

/// Both ways to cut `fangan` (fang-an 方案, fan-gan 反感) are offered.
#[test]
fn equally_short_readings_are_all_offered() {
    let words = exact("fangan");
    assert!(first_page(&words).contains(&"方案".to_owned()), "{words:?}");
    assert!(first_page(&words).contains(&"反感".to_owned()), "{words:?}");
}

#[test]
fn long_input_is_read_only_up_to_max_input() {
    let input = "woxiangjia".repeat(20);
    for fuzzy in [FuzzySet::NONE, FuzzySet::all()] {
        let candidates = engine().candidates(&input, Options { fuzzy });
        // First the sentence for the first MAX_INPUT bytes, then words from the start.
        assert_eq!(candidates[0].consumed, MAX_INPUT);
        assert!(
            candidates
                .iter()
                .any(|c| c.text == "我想" && c.consumed == 7)
        );
        assert!(candidates.iter().all(|c| c.consumed <= MAX_INPUT));
    }
}

#[test]
fn page_cuts_the_list_into_pages() {
    let candidates = engine().candidates("xian", Options::default());
    assert_eq!(page(&candidates, 0, PAGE), &candidates[..PAGE]);
    assert_eq!(page(&candidates, 1, PAGE), &candidates[PAGE..2 * PAGE]);
    assert_eq!(page(&candidates, 1000, PAGE), []);
    assert_eq!(page(&candidates, 0, 0), []);
    assert_eq!(page(&candidates, usize::MAX, usize::MAX), []);
}
