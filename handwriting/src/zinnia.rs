//! zinnia's C API, opened at run time: the crate's only unsafe code.
//!
//! The declarations are those of zinnia.h in Debian's libzinnia-dev 0.06 (bookworm 0.06-7,
//! trixie 0.06-8+b2), only the ones used here. The library is loaded with dlopen (libloading)
//! rather than linked, so that the kiosk builds and runs on a machine without it.
//!
//! What the C++ behind them does, read in zinnia 0.06's source (recognizer.cpp, feature.cpp,
//! character.cpp, libzinnia.cpp), and what this module relies on:
//! - `zinnia_recognizer_open` maps the model file (mmap) and keeps pointers into it; a
//!   result's values point into that mapping too, so they live as long as the recogniser.
//! - `zinnia_recognizer_classify` returns NULL when the character has no stroke, an empty
//!   stroke, no width or no height; otherwise an n-best list with at most as many entries as
//!   the model has classes.
//! - `zinnia_character_add(c, id, x, y)` resizes the strokes to `id + 1`, so strokes must be
//!   added in order, none skipped.
//! - Nothing is kept in thread-local or global state; a recogniser's error text is written in
//!   the recogniser itself.
//! - An allocation failure inside zinnia throws a C++ exception through the C API, which aborts
//!   the process: nothing here can catch it. `ink::simplify` keeps the one known way to cause
//!   one (a long winding stroke) from reaching zinnia.

use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

use libloading::Library;

use crate::Candidate;

/// zinnia's opaque types (only ever behind pointers).
#[repr(C)]
struct RecognizerT {
    _opaque: [u8; 0],
}
#[repr(C)]
struct CharacterT {
    _opaque: [u8; 0],
}
#[repr(C)]
struct ResultT {
    _opaque: [u8; 0],
}

/// The functions used, as function pointers taken from the loaded library.
struct Api {
    recognizer_new: unsafe extern "C" fn() -> *mut RecognizerT,
    recognizer_destroy: unsafe extern "C" fn(*mut RecognizerT),
    recognizer_open: unsafe extern "C" fn(*mut RecognizerT, *const c_char) -> c_int,
    recognizer_strerror: unsafe extern "C" fn(*mut RecognizerT) -> *const c_char,
    recognizer_size: unsafe extern "C" fn(*mut RecognizerT) -> usize,
    recognizer_classify:
        unsafe extern "C" fn(*mut RecognizerT, *const CharacterT, usize) -> *mut ResultT,
    character_new: unsafe extern "C" fn() -> *mut CharacterT,
    character_destroy: unsafe extern "C" fn(*mut CharacterT),
    character_set_width: unsafe extern "C" fn(*mut CharacterT, usize),
    character_set_height: unsafe extern "C" fn(*mut CharacterT, usize),
    character_add: unsafe extern "C" fn(*mut CharacterT, usize, c_int, c_int) -> c_int,
    result_value: unsafe extern "C" fn(*mut ResultT, usize) -> *const c_char,
    result_score: unsafe extern "C" fn(*mut ResultT, usize) -> f32,
    result_size: unsafe extern "C" fn(*mut ResultT) -> usize,
    result_destroy: unsafe extern "C" fn(*mut ResultT),
    // The pointers above are valid while this keeps the library loaded.
    _library: Library,
}

/// One function of the library, by its C name (with the trailing NUL).
///
/// # Safety
/// `T` must be the function pointer type zinnia.h declares for `name`.
unsafe fn function<T: Copy>(library: &Library, name: &[u8]) -> Result<T, String> {
    // SAFETY: the caller gives the declared type; the copy outlives the `Symbol` borrow only as
    // long as `Api` keeps the library loaded beside it.
    unsafe { library.get::<T>(name) }
        .map(|symbol| *symbol)
        .map_err(|error| error.to_string())
}

impl Api {
    fn load(name: &str) -> Result<Api, String> {
        // SAFETY: loading runs the library's initialisers, which for libzinnia are the C++
        // runtime's static constructors; they take nothing from us.
        let library = unsafe { Library::new(name) }.map_err(|error| error.to_string())?;
        // SAFETY: every type below is copied from the declaration of that name in zinnia.h
        // (size_t is usize, int is c_int, float is f32).
        unsafe {
            Ok(Api {
                recognizer_new: function(&library, b"zinnia_recognizer_new\0")?,
                recognizer_destroy: function(&library, b"zinnia_recognizer_destroy\0")?,
                recognizer_open: function(&library, b"zinnia_recognizer_open\0")?,
                recognizer_strerror: function(&library, b"zinnia_recognizer_strerror\0")?,
                recognizer_size: function(&library, b"zinnia_recognizer_size\0")?,
                recognizer_classify: function(&library, b"zinnia_recognizer_classify\0")?,
                character_new: function(&library, b"zinnia_character_new\0")?,
                character_destroy: function(&library, b"zinnia_character_destroy\0")?,
                character_set_width: function(&library, b"zinnia_character_set_width\0")?,
                character_set_height: function(&library, b"zinnia_character_set_height\0")?,
                character_add: function(&library, b"zinnia_character_add\0")?,
                result_value: function(&library, b"zinnia_result_value\0")?,
                result_score: function(&library, b"zinnia_result_score\0")?,
                result_size: function(&library, b"zinnia_result_size\0")?,
                result_destroy: function(&library, b"zinnia_result_destroy\0")?,
                _library: library,
            })
        }
    }
}

/// Why opening failed: the library could not be loaded, or it could not read the model.
pub(crate) enum Failure {
    Library(String),
    Model(String),
}

/// An open zinnia recogniser with its model, destroyed (and the model unmapped) when dropped.
pub(crate) struct Model {
    raw: NonNull<RecognizerT>,
    // Dropped (and the library unloaded) only after `Drop::drop` has destroyed `raw` with it.
    api: Api,
}

// SAFETY: a zinnia recogniser is heap memory and a read-only mapping owned by this value alone,
// tied to no thread (no thread-local or global state in zinnia), so it may move to another
// thread. It is not `Sync`: a failed call writes its error text into the recogniser.
unsafe impl Send for Model {}

impl Model {
    /// Loads `library` and opens the model at `path` (a C string: no NUL inside).
    pub(crate) fn open(library: &str, path: &CStr) -> Result<Model, Failure> {
        let api = Api::load(library).map_err(Failure::Library)?;
        // SAFETY: zinnia_recognizer_new takes nothing; it allocates with `new`, which throws
        // rather than returning NULL, but NULL is checked all the same.
        let raw = NonNull::new(unsafe { (api.recognizer_new)() })
            .ok_or_else(|| Failure::Library("zinnia_recognizer_new returned nothing".into()))?;
        let model = Model { raw, api };
        // SAFETY: `raw` is a live recogniser and `path` a NUL-terminated string that outlives
        // the call (zinnia copies the name).
        if unsafe { (model.api.recognizer_open)(model.raw.as_ptr(), path.as_ptr()) } == 0 {
            return Err(Failure::Model(model.error()));
        }
        Ok(model)
    }

    /// The recogniser's last error, as zinnia wrote it.
    fn error(&self) -> String {
        // SAFETY: `raw` is live; the text is zinnia's own NUL-terminated buffer inside the
        // recogniser, copied before anything else is called on it.
        let text = unsafe { (self.api.recognizer_strerror)(self.raw.as_ptr()) };
        if text.is_null() {
            return String::new();
        }
        // SAFETY: not NULL, and NUL-terminated (a std::string's c_str()).
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }

    /// How many characters the model knows.
    pub(crate) fn classes(&self) -> usize {
        // SAFETY: `raw` is a live, opened recogniser.
        unsafe { (self.api.recognizer_size)(self.raw.as_ptr()) }
    }

    /// The `n` best characters for `strokes`, best first: integer points in a `side` × `side`
    /// box, each stroke with at least one point (`ink::to_grid`'s output).
    pub(crate) fn classify(
        &self,
        side: i32,
        strokes: &[Vec<(i32, i32)>],
        n: usize,
    ) -> Vec<Candidate> {
        if strokes.is_empty() || n == 0 || side <= 0 {
            return Vec::new();
        }
        let Some(character) = Character::new(&self.api) else {
            return Vec::new();
        };
        character.set_box(side.unsigned_abs() as usize);
        for (id, stroke) in strokes.iter().enumerate() {
            for &(x, y) in stroke {
                character.add(id, x, y);
            }
        }
        // SAFETY: both pointers are live; zinnia only reads the character.
        let result =
            unsafe { (self.api.recognizer_classify)(self.raw.as_ptr(), character.raw.as_ptr(), n) };
        match NonNull::new(result) {
            Some(raw) => Ranked {
                api: &self.api,
                raw,
            }
            .candidates(),
            None => Vec::new(),
        }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `raw` came from zinnia_recognizer_new, is destroyed once, here, and nothing
        // of it (no result value) is used after: candidates are copied out.
        unsafe { (self.api.recognizer_destroy)(self.raw.as_ptr()) }
    }
}

/// A zinnia character being built, destroyed when dropped.
struct Character<'a> {
    api: &'a Api,
    raw: NonNull<CharacterT>,
}

impl<'a> Character<'a> {
    fn new(api: &'a Api) -> Option<Character<'a>> {
        // SAFETY: zinnia_character_new takes nothing. It allocates with `new`, which throws
        // rather than return NULL, but NULL is checked all the same.
        let raw = NonNull::new(unsafe { (api.character_new)() })?;
        Some(Character { api, raw })
    }

    fn set_box(&self, side: usize) {
        // SAFETY: `raw` is a live character.
        unsafe {
            (self.api.character_set_width)(self.raw.as_ptr(), side);
            (self.api.character_set_height)(self.raw.as_ptr(), side);
        }
    }

    fn add(&self, stroke: usize, x: i32, y: i32) {
        // SAFETY: `raw` is a live character; strokes are added in order (`classify`), so no
        // stroke is left empty between them.
        unsafe { (self.api.character_add)(self.raw.as_ptr(), stroke, x, y) };
    }
}

impl Drop for Character<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from zinnia_character_new and is destroyed once, here.
        unsafe { (self.api.character_destroy)(self.raw.as_ptr()) }
    }
}

/// A classification's n-best list, destroyed when dropped.
struct Ranked<'a> {
    api: &'a Api,
    raw: NonNull<ResultT>,
}

impl Ranked<'_> {
    fn candidates(&self) -> Vec<Candidate> {
        // SAFETY: `raw` is a live result.
        let size = unsafe { (self.api.result_size)(self.raw.as_ptr()) };
        (0..size)
            .filter_map(|i| {
                // SAFETY: `raw` is live and `i` below its size.
                let (value, score) = unsafe {
                    (
                        (self.api.result_value)(self.raw.as_ptr(), i),
                        (self.api.result_score)(self.raw.as_ptr(), i),
                    )
                };
                let text = model_text(value)?;
                Some(Candidate { text, score })
            })
            .collect()
    }
}

impl Drop for Ranked<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from zinnia_recognizer_classify and is destroyed once, here.
        unsafe { (self.api.result_destroy)(self.raw.as_ptr()) }
    }
}

/// A class's text as the model stores it: a field of 16 bytes, NUL-padded (read_ptr(&ptr, 16)
/// in recognizer.cpp). Read to the first NUL but never past the field, so a model whose field
/// lacks one cannot make this read beyond it.
fn model_text(value: *const c_char) -> Option<String> {
    if value.is_null() {
        return None;
    }
    // SAFETY: a non-NULL value points at a 16-byte field inside the mapped model, which lives
    // as long as the recogniser that `Ranked` borrows through `Model::classify`.
    let field = unsafe { std::slice::from_raw_parts(value.cast::<u8>(), 16) };
    let end = field
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(field.len());
    Some(String::from_utf8_lossy(&field[..end]).into_owned())
}
