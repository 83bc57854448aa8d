//! The two languages of the kiosk. Chinese comes first: it is the default everywhere unless the
//! station's config says otherwise.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh")]
    Chinese,
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// The short code used on the command line and in the config file.
    pub fn code(self) -> &'static str {
        match self {
            Language::Chinese => "zh",
            Language::English => "en",
        }
    }

    /// The name of the gettext catalogue folder under `assets/translations/`.
    pub fn catalogue(self) -> &'static str {
        match self {
            Language::Chinese => "zh_CN",
            Language::English => "en",
        }
    }

    /// The other language: the switch on every screen toggles between the two.
    pub fn other(self) -> Language {
        match self {
            Language::Chinese => Language::English,
            Language::English => Language::Chinese,
        }
    }

    /// Picks the text for this language from a Chinese/English pair.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Language::Chinese => zh,
            Language::English => en,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" | "zh_CN" | "zh-CN" => Ok(Language::Chinese),
            "en" => Ok(Language::English),
            other => Err(format!("unknown language '{other}' (expected zh or en)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_the_switch_toggles() {
        for lang in [Language::Chinese, Language::English] {
            assert_eq!(lang.code().parse::<Language>().unwrap(), lang);
            assert_eq!(lang.other().other(), lang);
            assert_ne!(lang.other(), lang);
        }
        assert_eq!(Language::default(), Language::Chinese);
        assert!("fr".parse::<Language>().is_err());
        assert_eq!(Language::English.pick("中", "en"), "en");
    }
}
