//! One page of the tree hole: what the worker has written, held in the session's memory only,
//! and whether the help card is showing beside it. The page never reaches the store, the
//! outbox, the log or a crash report: nothing here can write anywhere, and the UI's adapter
//! hands the text to nothing but this page, the phrase matching and (when the worker asks) the
//! printer. How a page ended is all that may be counted.
//!
//! The text lives in one buffer reserved at its full size up front, so it is never moved to a
//! bigger one (which would leave a copy behind in freed memory), and the buffer is overwritten
//! with zeros when the page ends (`zeroize`). The copies Slint keeps for the text field on
//! screen are freed by Slint, not overwritten: that is the limit of what the kiosk can promise
//! about memory (docs/care.md).

use zeroize::Zeroize;

use super::despair::DespairPhrases;

/// The longest page, in characters: a screenful on the 7" display and then some. What is
/// typed beyond it is not taken.
pub const MAX_CHARS: usize = 1000;

/// How a page ended: the only thing about it the day summary may count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// "撕掉": torn up, nothing kept.
    Torn,
    /// "打印给自己": printed on a slip for the worker (the text and one hotline only).
    Printed,
    /// "想找人聊聊": the worker went on to the help lines.
    Help,
    /// The visit ended with the page still open (idle reset, quick hide, leaving).
    Left,
}

impl Ending {
    pub fn name(self) -> &'static str {
        match self {
            Ending::Torn => "torn",
            Ending::Printed => "printed",
            Ending::Help => "help",
            Ending::Left => "left",
        }
    }
}

/// The help card beside the text: shown at most once per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Card {
    #[default]
    NotShown,
    Showing,
    /// Shown and put away by the worker: not shown again for this page.
    Closed,
}

#[derive(Debug)]
pub struct Page {
    text: String,
    card: Card,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            text: String::with_capacity(MAX_CHARS * 4),
            card: Card::NotShown,
        }
    }
}

impl Page {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn card(&self) -> Card {
        self.card
    }

    /// The page's text is now `text`. Returns true when this change brings the help card up:
    /// the first phrase of despair on this page. The card stays up, and the text with it, until
    /// the worker closes it or the page ends.
    pub fn write(&mut self, text: &str, phrases: &DespairPhrases) -> bool {
        // Overwritten in place, within the capacity reserved: never moved, never reallocated.
        self.text.zeroize();
        self.insert(text, phrases)
    }

    /// `text` added at the end of the page (as much of it as the page has room for); true when
    /// it brings the help card up, as `write`.
    pub fn insert(&mut self, text: &str, phrases: &DespairPhrases) -> bool {
        let room = MAX_CHARS.saturating_sub(self.text.chars().count());
        let end = text
            .char_indices()
            .nth(room)
            .map_or(text.len(), |(at, _)| at);
        self.text.push_str(&text[..end]);
        self.look_for_despair(phrases)
    }

    /// The page's last character taken back. Its bytes are overwritten, not only forgotten,
    /// in the same buffer.
    pub fn delete_back(&mut self) {
        let Some((at, _)) = self.text.char_indices().next_back() else {
            return;
        };
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        bytes[at..].zeroize();
        bytes.truncate(at);
        // A prefix that ends at a character's start is valid UTF-8: this cannot fail, and it
        // keeps the buffer (an empty page would only lose its reserved room).
        self.text = String::from_utf8(bytes).unwrap_or_default();
    }

    /// While typing, a phrase at the very end that may still become a near miss waits
    /// (`DespairPhrases::find_while_typing`); `settle` looks again once the worker stops.
    fn look_for_despair(&mut self, phrases: &DespairPhrases) -> bool {
        self.show_card_if(|text| phrases.find_while_typing(text).is_some())
    }

    /// The worker stopped typing (a pause, or the keyboard put away): the text is looked at as
    /// it stands, a phrase at its end included. True when this brings the card up.
    pub fn settle(&mut self, phrases: &DespairPhrases) -> bool {
        self.show_card_if(|text| phrases.find(text).is_some())
    }

    /// The card comes up when `found` finds a phrase in the text, unless this page has shown it
    /// already (then the text is not even looked at).
    fn show_card_if(&mut self, found: impl FnOnce(&str) -> bool) -> bool {
        if self.card == Card::NotShown && found(&self.text) {
            self.card = Card::Showing;
            return true;
        }
        false
    }

    pub fn close_card(&mut self) {
        if self.card == Card::Showing {
            self.card = Card::Closed;
        }
    }

    /// Ends the page: the text is overwritten with zeros and a fresh page begins (a card may
    /// show again on it). Returns how it ended, to be counted.
    pub fn end(&mut self, ending: Ending) -> Ending {
        self.text.zeroize();
        self.card = Card::NotShown;
        ending
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_comes_up_once_per_page_and_again_on_a_new_page() {
        let phrases = DespairPhrases::builtin();
        let mut page = Page::default();
        assert!(!page.write("今天送了四十单，好累", &phrases));
        assert_eq!(page.card(), Card::NotShown);
        assert!(page.write("今天送了四十单，好累，不想活了", &phrases));
        assert_eq!(page.card(), Card::Showing);
        // The text stays beside the card.
        assert_eq!(page.text(), "今天送了四十单，好累，不想活了");
        // More despair on the same page: the card does not come back once put away.
        page.close_card();
        assert!(!page.write("今天送了四十单，好累，不想活了。真的想死", &phrases));
        assert_eq!(page.card(), Card::Closed);
        assert_eq!(page.end(Ending::Torn), Ending::Torn);
        assert_eq!(page.text(), "");
        assert!(page.write("活着没意思", &phrases));
    }

    #[test]
    fn typing_and_taking_back_stay_in_the_one_buffer() {
        let phrases = DespairPhrases::builtin();
        let mut page = Page::default();
        let buffer = page.text.as_ptr();
        assert!(!page.insert("今天", &phrases));
        assert!(!page.insert("好累", &phrases));
        page.delete_back();
        assert_eq!(page.text(), "今天好");
        // The taken-back character's bytes are zero behind the text's end.
        let behind = unsafe { std::slice::from_raw_parts(page.text.as_ptr(), 12) };
        assert_eq!(&behind[9..12], &[0, 0, 0]);
        assert!(page.insert("，不想活了", &phrases));
        assert_eq!(page.card(), Card::Showing);
        page.delete_back();
        page.delete_back();
        assert_eq!(page.text.as_ptr(), buffer);
        let mut empty = Page::default();
        empty.delete_back();
        assert_eq!(empty.text(), "");
    }

    #[test]
    fn a_page_holds_at_most_its_length_and_never_moves_its_buffer() {
        let phrases = DespairPhrases::builtin();
        let mut page = Page::default();
        let buffer = page.text.as_ptr();
        let long: String = "写".repeat(MAX_CHARS + 50);
        page.write(&long, &phrases);
        assert_eq!(page.text().chars().count(), MAX_CHARS);
        page.write("短", &phrases);
        assert_eq!(page.text(), "短");
        assert_eq!(
            page.text.as_ptr(),
            buffer,
            "the text moved to another buffer"
        );
    }
}
