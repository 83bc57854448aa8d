//! Shanghai's 16 districts, by a stable ASCII id.
//!
//! A station's config names the district it stands in (`[station] district`), and a directory
//! entry that serves one district only lists it (`districts`). The ids are the districts'
//! pinyin names without tones, spaces or apostrophes (`jingan` for 静安), with `pudong` for
//! 浦东新区: short, typed without a Chinese keyboard in the field, and unchanged if a
//! district's Chinese name is written differently somewhere.

use serde::{Deserialize, Serialize};

use crate::language::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum District {
    Huangpu,
    Xuhui,
    Changning,
    Jingan,
    Putuo,
    Hongkou,
    Yangpu,
    Minhang,
    Baoshan,
    Jiading,
    Pudong,
    Jinshan,
    Songjiang,
    Qingpu,
    Fengxian,
    Chongming,
}

/// Every district: id, Chinese name, English name.
const ALL: [(District, &str, &str, &str); 16] = [
    (District::Huangpu, "huangpu", "黄浦区", "Huangpu"),
    (District::Xuhui, "xuhui", "徐汇区", "Xuhui"),
    (District::Changning, "changning", "长宁区", "Changning"),
    (District::Jingan, "jingan", "静安区", "Jing'an"),
    (District::Putuo, "putuo", "普陀区", "Putuo"),
    (District::Hongkou, "hongkou", "虹口区", "Hongkou"),
    (District::Yangpu, "yangpu", "杨浦区", "Yangpu"),
    (District::Minhang, "minhang", "闵行区", "Minhang"),
    (District::Baoshan, "baoshan", "宝山区", "Baoshan"),
    (District::Jiading, "jiading", "嘉定区", "Jiading"),
    (District::Pudong, "pudong", "浦东新区", "Pudong New Area"),
    (District::Jinshan, "jinshan", "金山区", "Jinshan"),
    (District::Songjiang, "songjiang", "松江区", "Songjiang"),
    (District::Qingpu, "qingpu", "青浦区", "Qingpu"),
    (District::Fengxian, "fengxian", "奉贤区", "Fengxian"),
    (District::Chongming, "chongming", "崇明区", "Chongming"),
];

impl District {
    fn row(self) -> &'static (District, &'static str, &'static str, &'static str) {
        // Every variant has its row; the test below checks the table is complete.
        ALL.iter().find(|r| r.0 == self).unwrap_or(&ALL[0])
    }

    pub fn id(self) -> &'static str {
        self.row().1
    }

    pub fn name(self, lang: Language) -> &'static str {
        let row = self.row();
        lang.pick(row.2, row.3)
    }

    pub fn all() -> impl Iterator<Item = District> {
        ALL.iter().map(|r| r.0)
    }

    pub fn from_id(id: &str) -> Option<District> {
        ALL.iter().find(|r| r.1 == id).map(|r| r.0)
    }
}

impl TryFrom<String> for District {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        District::from_id(&value).ok_or_else(|| {
            let ids: Vec<&str> = ALL.iter().map(|r| r.1).collect();
            format!(
                "'{value}' is not a Shanghai district id (one of: {})",
                ids.join(", ")
            )
        })
    }
}

impl From<District> for String {
    fn from(d: District) -> String {
        d.id().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_districts_each_with_one_id_and_both_names() {
        let ids: std::collections::BTreeSet<&str> = District::all().map(District::id).collect();
        assert_eq!(ids.len(), 16);
        for d in District::all() {
            assert_eq!(District::from_id(d.id()), Some(d));
            assert!(d.name(Language::Chinese).ends_with('区'));
            assert!(!d.name(Language::English).is_empty());
        }
        assert_eq!(District::Pudong.name(Language::Chinese), "浦东新区");
        assert_eq!(District::Jingan.id(), "jingan");
    }

    #[test]
    fn an_unknown_id_is_refused_with_the_list() {
        let err = District::try_from("jing'an".to_string()).unwrap_err();
        assert!(
            err.contains("'jing'an' is not a Shanghai district id"),
            "{err}"
        );
        assert!(
            err.contains("huangpu") && err.contains("chongming"),
            "{err}"
        );
        assert!(District::try_from("静安".to_string()).is_err());
        assert!(District::try_from("Jingan".to_string()).is_err());
    }
}
