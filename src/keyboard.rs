//! The on-screen keyboard's typing rules, pure: what each key does to the text being written,
//! in each of its layouts (pinyin, English, digits and punctuation, handwriting). The words a
//! pinyin composition may mean come from `waystation_pinyin`; the characters a handwritten
//! stroke set may be come from `waystation_handwriting`, through the UI's adapter (the
//! recogniser runs on a thread), and are handed in here as candidates.
//!
//! Typing pinyin, as the usual full-pinyin (全拼) input methods do: letters gather in a
//! composition shown above the candidates; a candidate puts its word into the text and leaves
//! the letters it did not cover (不想 from `buxianghuole` leaves `huole`); space takes the first
//! candidate; Enter puts the letters in as they are; Backspace takes back a letter, or, with no
//! letters, a character of the text; punctuation first turns the composition into words.

use waystation_pinyin::{Engine, Options};

/// How many candidates the bar shows at once (the 7" display's width, with room for the page
/// arrows).
pub const PAGE_SIZE: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Pinyin,
    English,
    /// Digits and punctuation, Chinese and Latin.
    Symbols,
    Handwriting,
}

/// A key on the keyboard, or a choice on its candidate bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A letter as its key shows it (a to z, or A to Z with shift in the English layout).
    Letter(char),
    /// The syllable separator in pinyin (`xi'an`).
    Apostrophe,
    /// A digit or punctuation mark, put in as it is.
    Text(String),
    Space,
    Enter,
    Backspace,
    /// The candidate at this place on the bar's current page.
    Candidate(usize),
    NextPage,
    PreviousPage,
    Switch(Layout),
}

/// What a key does to the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Insert(String),
    /// Take back the text's last character.
    DeleteBack,
    /// The handwriting pad's strokes are used up (a character was chosen) or given up.
    ClearInk,
}

/// One candidate on the bar, and for pinyin how many bytes of the composition it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    text: String,
    consumed: usize,
}

#[derive(Debug, Clone)]
pub struct Keyboard {
    layout: Layout,
    /// Pinyin letters not yet turned into characters.
    composing: String,
    offers: Vec<Offer>,
    page: usize,
    options: Options,
    /// Which candidates may be offered: the screen's font must be able to draw them (a word
    /// the font lacks would show as empty boxes).
    drawable: fn(&str) -> bool,
}

impl Default for Keyboard {
    fn default() -> Keyboard {
        Keyboard::new(Options::default(), |_| true)
    }
}

impl Keyboard {
    pub fn new(options: Options, drawable: fn(&str) -> bool) -> Keyboard {
        Keyboard {
            layout: Layout::default(),
            composing: String::new(),
            offers: Vec::new(),
            page: 0,
            options,
            drawable,
        }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// Reads pinyin with other options from now on (fuzzy pairs switched on or off); the
    /// letters being composed are looked up again.
    pub fn set_options(&mut self, options: Options, engine: &Engine) {
        self.options = options;
        if self.layout == Layout::Pinyin {
            self.look_up(engine);
        }
    }

    /// The pinyin letters typed and not yet turned into characters.
    pub fn composing(&self) -> &str {
        &self.composing
    }

    /// The candidates on the bar now.
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        self.offers
            .iter()
            .skip(self.page * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|o| o.text.as_str())
    }

    pub fn has_previous_page(&self) -> bool {
        self.page > 0
    }

    pub fn has_next_page(&self) -> bool {
        (self.page + 1) * PAGE_SIZE < self.offers.len()
    }

    /// The characters the handwriting pad's strokes may be, best first (from the recogniser).
    pub fn offer_handwriting(&mut self, candidates: Vec<String>) {
        if self.layout == Layout::Handwriting {
            let drawable = self.drawable;
            self.offers = candidates
                .into_iter()
                .filter(|text| drawable(text))
                .map(|text| Offer { text, consumed: 0 })
                .collect();
            self.page = 0;
        }
    }

    /// What `key` does to the text; the keyboard's own state (composition, candidates, page,
    /// layout) follows.
    pub fn press(&mut self, key: Key, engine: &Engine) -> Vec<Edit> {
        match key {
            Key::Switch(layout) => self.switch(layout),
            Key::NextPage if self.has_next_page() => {
                self.page += 1;
                Vec::new()
            }
            Key::PreviousPage if self.has_previous_page() => {
                self.page -= 1;
                Vec::new()
            }
            Key::NextPage | Key::PreviousPage => Vec::new(),
            Key::Candidate(at) => self.choose(self.page * PAGE_SIZE + at, engine),
            key if self.layout == Layout::Pinyin => self.press_pinyin(key, engine),
            key => self.press_plain(key),
        }
    }

    /// Pinyin: letters compose; the rest first settles the composition.
    fn press_pinyin(&mut self, key: Key, engine: &Engine) -> Vec<Edit> {
        let composing = !self.composing.is_empty();
        match key {
            Key::Letter(c) if c.is_ascii_alphabetic() => {
                if self.composing.len() < waystation_pinyin::MAX_INPUT {
                    self.composing.push(c.to_ascii_lowercase());
                    self.look_up(engine);
                }
                Vec::new()
            }
            Key::Apostrophe if composing && !self.composing.ends_with('\'') => {
                self.composing.push('\'');
                self.look_up(engine);
                Vec::new()
            }
            Key::Apostrophe => Vec::new(),
            Key::Space if composing => self.choose(0, engine),
            Key::Enter if composing => {
                let letters = std::mem::take(&mut self.composing).replace('\'', "");
                self.look_up(engine);
                vec![Edit::Insert(letters)]
            }
            Key::Backspace if composing => {
                self.composing.pop();
                self.look_up(engine);
                Vec::new()
            }
            Key::Text(text) => {
                let mut edits = self.settle(engine);
                edits.push(Edit::Insert(text));
                edits
            }
            key => self.press_plain(key),
        }
    }

    /// English, digits and punctuation, handwriting: every key puts in what it shows.
    fn press_plain(&mut self, key: Key) -> Vec<Edit> {
        match key {
            Key::Letter(c) => vec![Edit::Insert(c.to_string())],
            Key::Apostrophe => vec![Edit::Insert("'".into())],
            Key::Text(text) => vec![Edit::Insert(text)],
            Key::Space => vec![Edit::Insert(" ".into())],
            Key::Enter => vec![Edit::Insert("\n".into())],
            // With handwriting candidates up, Backspace gives up the strokes first.
            Key::Backspace if self.layout == Layout::Handwriting && !self.offers.is_empty() => {
                self.offers.clear();
                vec![Edit::ClearInk]
            }
            Key::Backspace => vec![Edit::DeleteBack],
            _ => Vec::new(),
        }
    }

    /// The candidate at `index` of the whole list goes into the text.
    fn choose(&mut self, index: usize, engine: &Engine) -> Vec<Edit> {
        let Some(offer) = self.offers.get(index).cloned() else {
            return Vec::new();
        };
        if self.layout == Layout::Handwriting {
            self.offers.clear();
            return vec![Edit::Insert(offer.text), Edit::ClearInk];
        }
        let rest = self.composing.get(offer.consumed..).unwrap_or("");
        self.composing = rest.trim_start_matches('\'').to_string();
        self.look_up(engine);
        vec![Edit::Insert(offer.text)]
    }

    /// The whole composition turned into words, the first candidate each time (as space would
    /// do, again and again); letters nothing covers go in as they are.
    fn settle(&mut self, engine: &Engine) -> Vec<Edit> {
        let mut edits = Vec::new();
        while !self.composing.is_empty() {
            let before = self.composing.len();
            edits.extend(self.choose(0, engine));
            if self.composing.len() >= before {
                edits.push(Edit::Insert(std::mem::take(&mut self.composing)));
                self.look_up(engine);
            }
        }
        edits
    }

    fn switch(&mut self, layout: Layout) -> Vec<Edit> {
        // Leaving pinyin puts the letters in as they are, as leaving an input method does.
        let edits = if self.composing.is_empty() {
            Vec::new()
        } else {
            vec![Edit::Insert(
                std::mem::take(&mut self.composing).replace('\'', ""),
            )]
        };
        let ink = self.layout == Layout::Handwriting && !self.offers.is_empty();
        self.layout = layout;
        self.offers.clear();
        self.page = 0;
        if ink {
            return [edits, vec![Edit::ClearInk]].concat();
        }
        edits
    }

    fn look_up(&mut self, engine: &Engine) {
        self.offers = if self.composing.is_empty() {
            Vec::new()
        } else {
            engine
                .candidates(&self.composing, self.options)
                .into_iter()
                .filter(|c| (self.drawable)(&c.text))
                .map(|c| Offer {
                    text: c.text,
                    consumed: c.consumed,
                })
                .collect()
        };
        self.page = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn engine() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(Engine::builtin)
    }

    fn type_letters(keyboard: &mut Keyboard, letters: &str) {
        for c in letters.chars() {
            assert!(keyboard.press(Key::Letter(c), engine()).is_empty());
        }
    }

    /// The text the edits make.
    fn apply(text: &mut String, edits: Vec<Edit>) {
        for edit in edits {
            match edit {
                Edit::Insert(s) => text.push_str(&s),
                Edit::DeleteBack => {
                    text.pop();
                }
                Edit::ClearInk => {}
            }
        }
    }

    fn place(keyboard: &Keyboard, word: &str) -> usize {
        keyboard
            .candidates()
            .position(|c| c == word)
            .unwrap_or_else(|| {
                panic!(
                    "{word} not on the bar: {:?}",
                    keyboard.candidates().collect::<Vec<_>>()
                )
            })
    }

    #[test]
    fn typing_xiangjia_offers_xiangjia_and_picking_it_puts_it_in() {
        let mut keyboard = Keyboard::default();
        type_letters(&mut keyboard, "xiangjia");
        assert_eq!(keyboard.composing(), "xiangjia");
        let at = place(&keyboard, "想家");
        let edits = keyboard.press(Key::Candidate(at), engine());
        assert_eq!(edits, [Edit::Insert("想家".into())]);
        assert_eq!(keyboard.composing(), "");
        assert_eq!(keyboard.candidates().count(), 0);
    }

    #[test]
    fn fuzzy_pinyin_switched_on_mid_word_looks_the_letters_up_again() {
        let mut keyboard = Keyboard::default();
        type_letters(&mut keyboard, "zongguo");
        assert!(!keyboard.candidates().any(|c| c == "中国"));
        let fuzzy = waystation_pinyin::FuzzySet::all();
        keyboard.set_options(Options { fuzzy }, engine());
        assert_eq!(keyboard.options().fuzzy, fuzzy);
        assert_eq!(keyboard.composing(), "zongguo");
        place(&keyboard, "中国");
    }

    #[test]
    fn a_word_covering_part_of_the_letters_leaves_the_rest_to_pick_from() {
        let mut keyboard = Keyboard::default();
        type_letters(&mut keyboard, "buxianghuole");
        let at = place(&keyboard, "不想");
        assert_eq!(
            keyboard.press(Key::Candidate(at), engine()),
            [Edit::Insert("不想".into())]
        );
        assert_eq!(keyboard.composing(), "huole");
        assert_eq!(keyboard.candidates().next(), Some("活了"));
    }

    #[test]
    fn a_sentence_with_punctuation_space_and_backspace() {
        let mut keyboard = Keyboard::default();
        let mut text = String::new();
        type_letters(&mut keyboard, "women");
        // Punctuation turns the letters into the first word, then goes in itself.
        apply(&mut text, keyboard.press(Key::Text("，".into()), engine()));
        assert_eq!(text, "我们，");
        type_letters(&mut keyboard, "henlei");
        // A wrong letter taken back, then space takes the first candidate.
        type_letters(&mut keyboard, "x");
        assert!(keyboard.press(Key::Backspace, engine()).is_empty());
        assert_eq!(keyboard.composing(), "henlei");
        apply(&mut text, keyboard.press(Key::Space, engine()));
        apply(&mut text, keyboard.press(Key::Text("。".into()), engine()));
        assert_eq!(text, "我们，很累。");
        // With no letters, Backspace takes back a character of the text.
        apply(&mut text, keyboard.press(Key::Backspace, engine()));
        assert_eq!(text, "我们，很累");
        // Enter with letters puts them in as they are; without, a new line.
        type_letters(&mut keyboard, "ok");
        apply(&mut text, keyboard.press(Key::Enter, engine()));
        apply(&mut text, keyboard.press(Key::Enter, engine()));
        assert_eq!(text, "我们，很累ok\n");
    }

    #[test]
    fn the_bar_pages_through_the_candidates() {
        let mut keyboard = Keyboard::default();
        type_letters(&mut keyboard, "shi");
        assert!(!keyboard.has_previous_page() && keyboard.has_next_page());
        let first: Vec<String> = keyboard.candidates().map(String::from).collect();
        assert_eq!(first.len(), PAGE_SIZE);
        keyboard.press(Key::NextPage, engine());
        let second: Vec<String> = keyboard.candidates().map(String::from).collect();
        assert!(keyboard.has_previous_page());
        assert!(second.iter().all(|w| !first.contains(w)));
        // A candidate is picked by its place on the page shown.
        assert_eq!(
            keyboard.press(Key::Candidate(0), engine()),
            [Edit::Insert(second[0].clone())]
        );
    }

    #[test]
    fn english_and_symbols_put_in_what_the_key_shows() {
        let mut keyboard = Keyboard::default();
        let mut text = String::new();
        type_letters(&mut keyboard, "ni");
        // Leaving pinyin puts the letters in as they are.
        apply(
            &mut text,
            keyboard.press(Key::Switch(Layout::English), engine()),
        );
        assert_eq!(text, "ni");
        for key in [Key::Letter('O'), Key::Letter('k'), Key::Space] {
            apply(&mut text, keyboard.press(key, engine()));
        }
        keyboard.press(Key::Switch(Layout::Symbols), engine());
        for key in ["1", "2", "！"] {
            apply(&mut text, keyboard.press(Key::Text(key.into()), engine()));
        }
        assert_eq!(text, "niOk 12！");
        assert_eq!(keyboard.composing(), "");
    }

    #[test]
    fn a_handwritten_character_is_picked_from_the_recogniser_s_candidates() {
        let mut keyboard = Keyboard::default();
        keyboard.press(Key::Switch(Layout::Handwriting), engine());
        keyboard.offer_handwriting(vec!["家".into(), "豪".into()]);
        assert_eq!(keyboard.candidates().collect::<Vec<_>>(), ["家", "豪"]);
        assert_eq!(
            keyboard.press(Key::Candidate(0), engine()),
            [Edit::Insert("家".into()), Edit::ClearInk]
        );
        assert_eq!(keyboard.candidates().count(), 0);
        // Backspace gives up the strokes before it takes back text.
        keyboard.offer_handwriting(vec!["一".into()]);
        assert_eq!(keyboard.press(Key::Backspace, engine()), [Edit::ClearInk]);
        assert_eq!(keyboard.press(Key::Backspace, engine()), [Edit::DeleteBack]);
        // Handwriting candidates are ignored in other layouts.
        keyboard.press(Key::Switch(Layout::Pinyin), engine());
        keyboard.offer_handwriting(vec!["一".into()]);
        assert_eq!(keyboard.candidates().count(), 0);
    }

    #[test]
    fn only_words_the_screen_can_draw_are_offered() {
        fn no_jia(word: &str) -> bool {
            !word.contains('家')
        }
        let mut keyboard = Keyboard::new(Options::default(), no_jia);
        type_letters(&mut keyboard, "xiangjia");
        assert!(keyboard.candidates().all(|c| !c.contains('家')));
        keyboard.press(Key::Switch(Layout::Handwriting), engine());
        keyboard.offer_handwriting(vec!["家".into(), "字".into()]);
        assert_eq!(keyboard.candidates().collect::<Vec<_>>(), ["字"]);
    }
}
