//! The dashboard's sign-in rules, pure: tokens are made from randomness the caller draws, and
//! time comes in as milliseconds.
//!
//! - A session is a random 32-byte token in a cookie that scripts cannot read
//!   (`HttpOnly`), sent only over HTTPS (`Secure`; browsers also accept it from `localhost`)
//!   and never with a request another site started (`SameSite=Strict`). The hub stores only
//!   the token's SHA-256.
//! - Every form carries a CSRF token: the session's own, or, on the sign-in form (before there
//!   is a session), a random one that must match a cookie set with the form.
//! - After [`MAX_WRONG`] wrong passwords for a name within [`WRONG_WINDOW_MS`], that name may
//!   not sign in, even with the right password, until the oldest of them is older than the
//!   window. Names with no account count the same, so the answer never tells which exist.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::users::Session;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ws_session";
/// The sign-in form's CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "ws_sign_in";
/// The language chosen with the page's switch.
pub const LANGUAGE_COOKIE: &str = "ws_lang";

/// How long a session lasts: a working day.
pub const SESSION_MS: i64 = 8 * 3_600_000;
pub const MAX_WRONG: usize = 5;
pub const WRONG_WINDOW_MS: i64 = 15 * 60_000;

/// A token as it travels in a cookie or a form.
pub fn token(random: [u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new session for `user_name` from two random tokens: the cookie's and the forms'.
/// Returns the session to store and the cookie's token.
pub fn new_session(
    user_name: &str,
    cookie_random: [u8; 32],
    csrf_random: [u8; 32],
    now_ms: i64,
) -> (Session, String) {
    let cookie = token(cookie_random);
    let session = Session {
        token_hash: token_hash(&cookie),
        user_name: user_name.to_string(),
        csrf: token(csrf_random),
        expires_ms: now_ms + SESSION_MS,
    };
    (session, cookie)
}

/// Whether a form's CSRF token is the expected one. Compared in time that does not depend on
/// where they differ; an empty expected token matches nothing.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// When this name may try again, given the times of its wrong passwords in the window (oldest
/// first): `None` if it may now.
pub fn locked_until(wrong_at: &[i64], now_ms: i64) -> Option<i64> {
    let recent: Vec<i64> = wrong_at
        .iter()
        .copied()
        .filter(|&at| at > now_ms - WRONG_WINDOW_MS)
        .collect();
    (recent.len() >= MAX_WRONG).then(|| recent[recent.len() - MAX_WRONG] + WRONG_WINDOW_MS)
}

/// A cookie's value from a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a cookie the browser keeps for `max_age_s` seconds (0 deletes
/// it).
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_keeps_only_the_hash_of_its_cookie() {
        let (session, cookie) = new_session("li.wei", [1; 32], [2; 32], 1_000);
        assert_eq!(cookie.len(), 43);
        assert_ne!(session.token_hash, cookie);
        assert_eq!(session.token_hash, token_hash(&cookie));
        assert_eq!(session.token_hash.len(), 64);
        assert_ne!(session.csrf, cookie);
        assert_eq!(session.expires_ms, 1_000 + SESSION_MS);
    }

    #[test]
    fn csrf_tokens_match_only_exactly() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", "ab"));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn five_wrong_passwords_in_15_minutes_lock_the_name_until_the_first_ages_out() {
        let minute = 60_000;
        let wrong: Vec<i64> = (0..4).map(|i| i * minute).collect();
        assert_eq!(locked_until(&wrong, 5 * minute), None);
        let wrong: Vec<i64> = (0..5).map(|i| i * minute).collect();
        assert_eq!(locked_until(&wrong, 5 * minute), Some(15 * minute));
        // At 15 minutes the first has aged out and four remain.
        assert_eq!(locked_until(&wrong, 15 * minute), None);
    }

    #[test]
    fn cookies_are_read_by_name_and_set_safely() {
        assert_eq!(
            cookie("a=1; ws_session=xyz; b=2", "ws_session"),
            Some("xyz")
        );
        assert_eq!(cookie("ws_session_old=1", "ws_session"), None);
        let set = set_cookie(SESSION_COOKIE, "t", 60);
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(set.contains(part), "{set}");
        }
    }
}
