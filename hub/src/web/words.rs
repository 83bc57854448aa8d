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
    pub download_csv: &'static str,
    pub late_note: &'static str,
    pub hidden_note: &'static str,
    pub measures: [&'static str; 6],
    pub chart_title: &'static str,
    pub forbidden: &'static str,
    pub fleet: &'static str,
    pub fleet_lead: &'static str,
    pub needs_attention: &'static str,
    pub every_kiosk: &'static str,
    /// Kiosk, what needs doing, last seen, version, printer, paper (m), oldest waiting upload,
    /// directory (valid to), free disk, clock.
    pub fleet_columns: [&'static str; 10],
    /// The kiosk's printer states (`ready`, `paper near end`, `paper out`, `cover open`,
    /// `offline`, `unknown`), in this language.
    pub printer_states: [&'static str; 6],
    pub all_well: &'static str,
    pub never: &'static str,
    pub revoked: &'static str,
    pub synced: &'static str,
    pub not_synced: &'static str,
    pub alerts: &'static str,
    pub alerts_lead: &'static str,
    /// Time, station, what, passed on, handled.
    pub alert_columns: [&'static str; 5],
    pub staff_call: &'static str,
    pub passed_on: &'static str,
    pub not_passed_on: &'static str,
    pub acknowledge: &'static str,
    pub handled: &'static str,
    pub no_alerts: &'static str,
    pub kiosks: &'static str,
    pub kiosks_lead: &'static str,
    /// Station, device id, status, registered.
    pub kiosk_columns: [&'static str; 4],
    pub active: &'static str,
    pub register: &'static str,
    pub device_key: &'static str,
    pub note: &'static str,
    pub revoke: &'static str,
    pub revoke_confirm: &'static str,
    pub registered: &'static str,
    pub revoked_now: &'static str,
    pub bad_key: &'static str,
    pub key_was_revoked: &'static str,
    pub not_confirmed: &'static str,
    /// In the order of `fleet::Problem`: what is wrong and what to do.
    pub problems: [&'static str; 9],
}

impl Words {
    /// A printer state as the kiosk names it, in this language; a name this hub does not know
    /// (from a newer kiosk) as it came.
    pub fn printer_state(&self, name: &str) -> String {
        const NAMES: [&str; 6] = [
            "ready",
            "paper near end",
            "paper out",
            "cover open",
            "offline",
            "unknown",
        ];
        NAMES
            .iter()
            .position(|n| *n == name)
            .map_or_else(|| name.to_string(), |i| self.printer_states[i].to_string())
    }

    pub fn problem(&self, problem: super::fleet::Problem) -> &'static str {
        self.problems[problem as usize]
    }
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
    download_csv: "下载 CSV（Excel 可打开）",
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
    fleet: "设备",
    fleet_lead: "每台终端最近一次心跳（每 15 分钟一次）报告的状况。",
    needs_attention: "只看需要处理的",
    every_kiosk: "全部终端",
    fleet_columns: [
        "终端",
        "需要处理",
        "最近联系",
        "版本",
        "打印机",
        "剩余纸（米）",
        "最久待上传",
        "服务目录（有效至）",
        "剩余空间",
        "时钟",
    ],
    printer_states: ["正常", "纸快用完", "缺纸", "盖子打开", "离线", "无应答"],
    all_well: "正常",
    alerts: "提醒",
    alerts_lead: "劳动者在终端上按下“呼叫工作人员”时产生的提醒，最新的在前（最多 100 条）。处理后请点“标记为已处理”，记录会写入审计日志。",
    alert_columns: ["时间", "驿站", "内容", "转发到群", "处理"],
    staff_call: "呼叫工作人员",
    passed_on: "已转发",
    not_passed_on: "未转发",
    acknowledge: "标记为已处理",
    handled: "已处理",
    no_alerts: "还没有提醒。",
    kiosks: "终端登记",
    kiosks_lead: "登记新终端：在终端的工作人员模式里打开“设备密钥”，或运行 waystation device，把显示的公钥粘贴到下面。停用丢失或被盗的终端后，中心不再接收它的数据，已收到的数据保留。",
    kiosk_columns: ["驿站", "设备编号", "状态", "登记时间"],
    active: "使用中",
    register: "登记",
    device_key: "终端公钥（base64）",
    note: "备注",
    revoke: "停用",
    revoke_confirm: "我确认停用（不可撤销）",
    registered: "已登记：",
    revoked_now: "已停用：",
    bad_key: "这不是终端的公钥（应为 44 个字符的 base64）。",
    key_was_revoked: "这台终端已被停用，停用的密钥不能再次登记：请给终端生成新密钥。",
    not_confirmed: "请勾选确认后再停用。",
    never: "从未",
    revoked: "已停用",
    synced: "已校准",
    not_synced: "未校准",
    problems: [
        "从未收到心跳：检查终端是否开机、联网，以及是否已用 devices add 登记。",
        "超过一天没有联系：请驿站工作人员看看终端是否开着、网线或 Wi-Fi 是否正常。",
        "打印机缺纸：请驿站工作人员换上新纸卷，并在终端的工作人员模式里登记补纸。",
        "打印机故障（盖子打开、离线或无应答）：请工作人员检查打印机的盖子和连线。",
        "纸快用完：下次去驿站时带一卷新纸。",
        "上传积压超过一天：终端连不上中心，请检查网络；数据都保存在终端上，不会丢失。",
        "服务目录已过期：上传一份新签名的目录（bundle set），终端会自动下载。",
        "终端存储空间不足：请现场人员导出数据后联系技术支持。",
        "终端时钟未校准：检查网络能否访问时间服务器；时间不准时数据仍会保存。",
    ],
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
    download_csv: "Download CSV (opens in Excel)",
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
    fleet: "Fleet",
    fleet_lead: "Each kiosk as its newest heartbeat (every 15 minutes) reported it.",
    needs_attention: "Only those needing attention",
    every_kiosk: "Every kiosk",
    fleet_columns: [
        "Kiosk",
        "What needs doing",
        "Last heard",
        "Version",
        "Printer",
        "Paper left (m)",
        "Oldest waiting upload",
        "Directory (valid to)",
        "Free disk",
        "Clock",
    ],
    printer_states: [
        "ready",
        "paper near end",
        "paper out",
        "cover open",
        "offline",
        "not answering",
    ],
    all_well: "All well",
    alerts: "Alerts",
    alerts_lead: "Calls for station staff made on the kiosks, newest first (at most 100). Mark each handled once it is; the mark goes to the audit log.",
    alert_columns: ["Time", "Station", "What", "Passed on", "Handled"],
    staff_call: "Call for staff",
    passed_on: "passed on",
    not_passed_on: "not passed on",
    acknowledge: "Mark handled",
    handled: "Handled",
    no_alerts: "No alerts yet.",
    kiosks: "Kiosks",
    kiosks_lead: "To register a kiosk, open its device key in staff mode (or run waystation device) and paste the public key below. Revoking a lost or stolen kiosk stops the centre accepting its data; what it sent before is kept.",
    kiosk_columns: ["Station", "Device id", "Status", "Registered"],
    active: "active",
    register: "Register",
    device_key: "Kiosk public key (base64)",
    note: "Note",
    revoke: "Revoke",
    revoke_confirm: "I confirm: revoke (cannot be undone)",
    registered: "Registered: ",
    revoked_now: "Revoked: ",
    bad_key: "This is not a kiosk's public key (44 characters of base64 expected).",
    key_was_revoked: "This kiosk was revoked, and a revoked key is never registered again: give the kiosk a new key.",
    not_confirmed: "Tick the confirmation first.",
    never: "never",
    revoked: "revoked",
    synced: "synced",
    not_synced: "not synced",
    problems: [
        "Never heard from: check that the kiosk is on and online, and registered with devices add.",
        "Silent for more than a day: ask the station's staff whether the kiosk is on and its cable or Wi-Fi works.",
        "Printer out of paper: ask the station's staff to put in a new roll and record the restock in staff mode.",
        "Printer fault (cover open, offline or not answering): ask the staff to check the printer's cover and cable.",
        "Paper running low: take a new roll on the next visit.",
        "Uploads waiting more than a day: the kiosk cannot reach the hub; check its network. Nothing is lost: the kiosk keeps it.",
        "Directory expired: upload a newly signed directory (bundle set); kiosks fetch it themselves.",
        "Kiosk disk nearly full: ask someone on site to export its data and call technical support.",
        "Kiosk clock not synced: check that its network reaches a time server; records are still kept.",
    ],
};
