//! Every word the dashboard's pages show, in Chinese (first) and English: one place, so that a
//! page cannot show a sentence in one language only.

/// The page's language: Chinese unless the reader chose English with the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
}

impl Language {
    pub fn from_code(code: &str) -> Option<Language> {
        match code {
            "zh" => Some(Language::Chinese),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::Chinese => "zh-CN",
            Language::English => "en",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Language::Chinese => &CHINESE,
            Language::English => &ENGLISH,
        }
    }
}

pub struct Words {
    pub app: &'static str,
    /// The switch's label: the other language, in that language.
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub name: &'static str,
    pub password: &'static str,
    pub wrong_password: &'static str,
    pub locked: &'static str,
    pub form_expired: &'static str,
    pub signed_in_as: &'static str,
    pub overview: &'static str,
    pub overview_lead: &'static str,
    pub week_of: &'static str,
    pub stations: &'static str,
    pub stations_lead: &'static str,
    pub station: &'static str,
    pub all_stations: &'static str,
    pub show: &'static str,
    pub late_note: &'static str,
    pub hidden_note: &'static str,
    pub measures: [&'static str; 6],
    pub chart_title: &'static str,
    pub forbidden: &'static str,
}

pub static CHINESE: Words = Words {
    app: "驿站服务中心",
    other_language: "English",
    other_language_code: "en",
    sign_in: "登录",
    sign_out: "退出登录",
    name: "账号",
    password: "密码",
    wrong_password: "账号或密码不对。",
    locked: "密码错误次数太多，请 15 分钟后再试。",
    form_expired: "表单已过期，请重新提交。",
    signed_in_as: "已登录：",
    overview: "总览",
    overview_lead: "所有驿站最近 13 个已结算周的匿名合计，来自各终端每天上传的汇总。一周在其结束后的周四结算，此后数字不再变化；进行中的周不显示。",
    week_of: "周（自周一）",
    stations: "各驿站",
    stations_lead: "所选一周各驿站的匿名合计。",
    station: "驿站",
    all_stations: "全部驿站",
    show: "显示",
    late_note: "份汇总在其所属周结算之后才到达，已保存，但不计入任何数字。",
    hidden_note: "“<11” 表示不足 11 次，或可由其他数字推算出不足 11 次的数字，已隐藏。",
    measures: [
        "到访",
        "完成自测",
        "心情签到",
        "进入危机求助",
        "建议求助专业人士",
        "打印小票",
    ],
    chart_title: "每周到访",
    forbidden: "你的账号无权查看此页。",
};

pub static ENGLISH: Words = Words {
    app: "Waystation service centre",
    other_language: "中文",
    other_language_code: "zh",
    sign_in: "Sign in",
    sign_out: "Sign out",
    name: "Account",
    password: "Password",
    wrong_password: "The account or the password is not right.",
    locked: "Too many wrong passwords: try again in 15 minutes.",
    form_expired: "The form had expired: please send it again.",
    signed_in_as: "Signed in as ",
    overview: "Overview",
    overview_lead: "Anonymous totals of all stations for the 13 newest settled weeks, from the summaries each kiosk uploads daily. A week settles on the Thursday after it ends and does not change after; a week in progress is not shown.",
    week_of: "Week (from Monday)",
    stations: "Stations",
    stations_lead: "Anonymous totals of each station for the chosen week.",
    station: "Station",
    all_stations: "All stations",
    show: "Show",
    late_note: "summaries reached the hub after their week had settled: they are kept, and counted in no figure.",
    hidden_note: "“<11” marks a count below 11, or one that would let a count below 11 be worked out: hidden.",
    measures: [
        "Visits",
        "Self-checks finished",
        "Mood check-ins",
        "Crisis help reached",
        "Referrals suggested",
        "Slips printed",
    ],
    chart_title: "Visits by week",
    forbidden: "Your account may not see this page.",
};
