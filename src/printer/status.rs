//! What a printer says about itself: a leaf with no I/O, so the pure slip and staff rules can
//! name a printer's status without depending on the printer edge that asks for it
//! (`printer::status` sends the question and reads the answer).

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterStatus {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    /// No answer, or an answer that makes no sense: nothing is assumed.
    Unknown,
}

impl PrinterStatus {
    /// Every status, for reading one back from its name.
    pub const ALL: [PrinterStatus; 6] = [
        PrinterStatus::Ready,
        PrinterStatus::PaperNearEnd,
        PrinterStatus::PaperOut,
        PrinterStatus::CoverOpen,
        PrinterStatus::Offline,
        PrinterStatus::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PrinterStatus::Ready => "ready",
            PrinterStatus::PaperNearEnd => "paper near end",
            PrinterStatus::PaperOut => "paper out",
            PrinterStatus::CoverOpen => "cover open",
            PrinterStatus::Offline => "offline",
            PrinterStatus::Unknown => "unknown",
        }
    }

    /// The status from its name (as stored with a print attempt).
    pub fn from_name(name: &str) -> Option<PrinterStatus> {
        PrinterStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether a job may be sent. Unknown is allowed (a one-way printer may well print), but
    /// the worker is then also shown the slip on screen.
    pub fn may_print(self) -> bool {
        matches!(
            self,
            PrinterStatus::Ready | PrinterStatus::PaperNearEnd | PrinterStatus::Unknown
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_name() {
        for status in PrinterStatus::ALL {
            assert_eq!(PrinterStatus::from_name(status.name()), Some(status));
        }
        assert_eq!(PrinterStatus::from_name("on fire"), None);
    }

    #[test]
    fn a_job_is_sent_unless_the_printer_said_it_cannot_print() {
        let sent: Vec<_> = PrinterStatus::ALL
            .into_iter()
            .filter(|s| s.may_print())
            .collect();
        assert_eq!(
            sent,
            [
                PrinterStatus::Ready,
                PrinterStatus::PaperNearEnd,
                PrinterStatus::Unknown
            ]
        );
    }
}
