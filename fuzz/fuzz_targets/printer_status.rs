//! The printer's status answers (DLE EOT): whatever bytes, silences and errors come back, the
//! status is one of the known ones, and nonsense is never "ready".

#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use waystation::printer::{self, PrinterStatus, Transport};

/// A printer that answers from the fuzz input: two bytes an answer, the first saying whether
/// the answer comes (even), does not come (silence), or fails (an I/O error).
struct Scripted<'a> {
    answers: &'a [u8],
    questions: Vec<Vec<u8>>,
}

impl Transport for Scripted<'_> {
    fn send(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }

    fn ask(&mut self, question: &[u8]) -> io::Result<Option<u8>> {
        self.questions.push(question.to_vec());
        let Some((&how, rest)) = self.answers.split_first() else {
            return Ok(None);
        };
        let Some((&byte, rest)) = rest.split_first() else {
            return Ok(None);
        };
        self.answers = rest;
        match how % 3 {
            0 => Ok(Some(byte)),
            1 => Ok(None),
            _ => Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time")),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut printer = Scripted {
        answers: data,
        questions: Vec::new(),
    };
    let status = printer::status(&mut printer);
    // At most two questions, each a DLE EOT n with n in 1, 2, 4.
    assert!(printer.questions.len() <= 2, "{:?}", printer.questions);
    for q in &printer.questions {
        assert!(matches!(q.as_slice(), [0x10, 0x04, 1 | 2 | 4]), "{q:?}");
    }
    // A first answer that is not a valid status byte means nothing is known.
    let first_valid = data.len() >= 2 && data[0] % 3 == 0 && data[1] & 0x93 == 0x12;
    if !first_valid {
        assert_eq!(status, PrinterStatus::Unknown);
    }
    let _ = printer::print(
        &mut Scripted {
            answers: data,
            questions: Vec::new(),
        },
        b"job",
    );
});
