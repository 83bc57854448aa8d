//! What a worker can switch on: fuzzy pinyin (模糊音), the pairs of sounds many speakers from
//! the south, or whose first language is not Mandarin, do not tell apart.

/// One pair of sounds that fuzzy pinyin treats as the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuzzyPair {
    /// z and zh (`zongguo` finds 中国).
    ZZh,
    /// c and ch.
    CCh,
    /// s and sh.
    SSh,
    /// n and l as initials (`lihao` finds 你好).
    NL,
    /// an and ang, also in ian/iang and uan/uang (`xianjia` finds 想家).
    AnAng,
    /// en and eng.
    EnEng,
    /// in and ing.
    InIng,
}

impl FuzzyPair {
    /// Every pair, in the order a settings screen would list them.
    pub const ALL: [FuzzyPair; 7] = [
        FuzzyPair::ZZh,
        FuzzyPair::CCh,
        FuzzyPair::SSh,
        FuzzyPair::NL,
        FuzzyPair::AnAng,
        FuzzyPair::EnEng,
        FuzzyPair::InIng,
    ];

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The fuzzy pairs switched on; none by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuzzySet(u8);

impl FuzzySet {
    /// Exact pinyin only.
    pub const NONE: FuzzySet = FuzzySet(0);

    /// Every pair switched on.
    pub fn all() -> FuzzySet {
        FuzzyPair::ALL
            .into_iter()
            .fold(FuzzySet::NONE, |set, pair| set.with(pair))
    }

    /// This set with `pair` switched on.
    pub fn with(self, pair: FuzzyPair) -> FuzzySet {
        FuzzySet(self.0 | pair.bit())
    }

    /// This set with `pair` switched off.
    pub fn without(self, pair: FuzzyPair) -> FuzzySet {
        FuzzySet(self.0 & !pair.bit())
    }

    pub fn contains(self, pair: FuzzyPair) -> bool {
        self.0 & pair.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<FuzzyPair> for FuzzySet {
    fn from_iter<I: IntoIterator<Item = FuzzyPair>>(pairs: I) -> FuzzySet {
        pairs.into_iter().fold(FuzzySet::NONE, FuzzySet::with)
    }
}

/// How one lookup reads the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    pub fuzzy: FuzzySet,
}
