//! Offline recognition of handwritten simplified Chinese characters, for the kiosk's on-screen
//! keyboard: Debian's zinnia library (libzinnia0, BSD) with the Tegaki simplified-Chinese model
//! (tegaki-zinnia-simplified-chinese, LGPL-2.1+; 6,763 characters, GB2312's hanzi).
//!
//! zinnia is loaded when a recogniser is opened, not linked: a kiosk without the two packages
//! builds and runs, and `Recogniser::open` says why it has no handwriting.
//!
//! ```no_run
//! use waystation_handwriting::{Ink, Recogniser};
//!
//! let recogniser = Recogniser::open_default()?;
//! let mut ink = Ink::new(300.0, 300.0);
//! ink.strokes.push(vec![(40.0, 150.0), (260.0, 150.0)]);
//! let best = recogniser.candidates(&ink, 10);
//! # Ok::<(), waystation_handwriting::OpenError>(())
//! ```

mod ink;
mod zinnia;

use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};

pub use ink::Ink;

/// The library's soname in Debian's libzinnia0 (the same in bookworm and trixie).
pub const LIBRARY: &str = "libzinnia.so.0";

/// Where tegaki-zinnia-simplified-chinese installs its model.
pub const DEFAULT_MODEL: &str = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model";

/// One character the ink may be, with zinnia's score: higher is likelier. Scores are the
/// model's raw margins (roughly −1 to 1), comparable only within one list.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub text: String,
    pub score: f32,
}

/// Why there is no handwriting: each says so in one line, with what to install.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenError {
    /// The zinnia library could not be loaded (libzinnia0 not installed).
    Library { library: String, reason: String },
    /// The model could not be read (tegaki-zinnia-simplified-chinese not installed, or the
    /// file is not a zinnia model).
    Model { path: PathBuf, reason: String },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Library { library, reason } => write!(
                f,
                "handwriting library {library} cannot be loaded (is libzinnia0 installed?): {reason}"
            ),
            OpenError::Model { path, reason } => write!(
                f,
                "handwriting model {} cannot be read (is tegaki-zinnia-simplified-chinese installed?): {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// zinnia with its model open. Dropping it frees everything zinnia holds and unmaps the model.
///
/// `Send` (it may be opened on one thread and used on another, e.g. a worker beside the UI)
/// but not `Sync`: one thread at a time. Opening takes a few milliseconds (the model is mapped,
/// not read), so a kiosk may open it when the keyboard appears.
pub struct Recogniser {
    model: zinnia::Model,
}

impl Recogniser {
    /// zinnia with the Tegaki model at its Debian path, `DEFAULT_MODEL`.
    pub fn open_default() -> Result<Recogniser, OpenError> {
        Recogniser::open(Path::new(DEFAULT_MODEL))
    }

    /// zinnia (`LIBRARY`) with the model at `model`.
    pub fn open(model: &Path) -> Result<Recogniser, OpenError> {
        Recogniser::open_with(LIBRARY, model)
    }

    /// zinnia loaded from `library` (a soname or a path) with the model at `model`.
    pub fn open_with(library: &str, model: &Path) -> Result<Recogniser, OpenError> {
        let model_error = |reason: String| OpenError::Model {
            path: model.to_path_buf(),
            reason,
        };
        let path = CString::new(model.as_os_str().as_encoded_bytes())
            .map_err(|_| model_error("the path has a NUL byte".into()))?;
        let opened = zinnia::Model::open(library, &path).map_err(|failure| match failure {
            zinnia::Failure::Library(reason) => OpenError::Library {
                library: library.to_string(),
                reason: one_line(&reason),
            },
            // zinnia says "no such file or directory" for any file it cannot map, a folder or
            // an unreadable file included: the file system's own reason is clearer.
            zinnia::Failure::Model(reason) => {
                model_error(unreadable(model).unwrap_or_else(|| one_line(&reason)))
            }
        })?;
        Ok(Recogniser { model: opened })
    }

    /// How many characters the model knows (6,763 for the Tegaki simplified-Chinese model).
    pub fn classes(&self) -> usize {
        self.model.classes()
    }

    /// The `n` likeliest characters for `ink`, best first. Nothing for empty ink, a box with
    /// no size, or `n` of 0; never more than the model's classes.
    pub fn candidates(&self, ink: &Ink, n: usize) -> Vec<Candidate> {
        self.model.classify(ink::GRID, &ink::to_grid(ink), n)
    }
}

/// Why `path` cannot be read as a file, if it cannot.
fn unreadable(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Some("not a file".into()),
        Ok(_) => std::fs::File::open(path)
            .err()
            .map(|error| error.to_string()),
        Err(error) => Some(error.to_string()),
    }
}

/// zinnia's error text on one line, without the source position and condition it starts with
/// ("recognizer.cpp(117) [(magic ^ DIC_MAGIC_ID) == ptr_size] model file is broken").
fn one_line(text: &str) -> String {
    let line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("unknown error");
    let reason = match (line.find(") ["), line.find("] ")) {
        (Some(open), Some(close)) if open < close => &line[close + 2..],
        _ => line,
    };
    reason.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zinnia_errors_lose_their_source_position_and_extra_lines() {
        assert_eq!(
            one_line(
                "recognizer.cpp(117) [(magic ^ DIC_MAGIC_ID) == ptr_size] model file is broken\n"
            ),
            "model file is broken"
        );
        assert_eq!(
            one_line("\nlibzinnia.so.0: cannot open shared object file\nmore"),
            "libzinnia.so.0: cannot open shared object file"
        );
        assert_eq!(one_line(""), "unknown error");
    }
}
