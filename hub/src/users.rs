//! The centre's staff accounts for the dashboard (issue 18): who may sign in, and what each
//! role may do. Workers never have accounts; these are the service centre's own staff.
//!
//! Pure: the salt for a password's hash is passed in, so that the command line (which draws it
//! from the system's randomness) and the tests (which fix it) share the same code.
//!
//! A password is kept only as an Argon2id hash in PHC form, with the parameters the kiosk uses
//! for its PIN (the argon2 crate's defaults: 19 MiB, two passes, as OWASP recommends).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;

use crate::HubError;

/// What a role may do. Each role may do everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the suppressed aggregates and exports them.
    Viewer,
    /// Also sees the fleet and its alerts, and registers or revokes kiosks.
    Operator,
    /// Also manages the accounts and the directory bundle.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The fleet, its alerts, and registering or revoking kiosks.
    pub fn may_run_the_fleet(self) -> bool {
        self >= Role::Operator
    }

    /// Accounts and the directory bundle.
    pub fn may_administer(self) -> bool {
        self >= Role::Admin
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Never shown or exported.
    #[serde(skip)]
    pub password_hash: String,
    pub added_ms: i64,
}

/// The shortest password accepted. Long passphrases are easier to remember than short
/// complicated ones, and Argon2id keeps guessing slow.
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_NAME_CHARS: usize = 40;

/// An account name as typed, checked: 1 to 40 letters (any script, so staff may use Chinese
/// names), digits, `.`, `_` or `-`, without the spaces around it.
pub fn check_name(name: &str) -> Result<String, HubError> {
    let name = name.trim();
    let fits = (1..=MAX_NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    fits.then(|| name.to_string())
        .ok_or_else(|| HubError::BadUserName(name.chars().take(MAX_NAME_CHARS).collect()))
}

/// A password as read from standard input: its one line without the line ending, at least
/// [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(typed: &str) -> Result<&str, HubError> {
    let password = typed.strip_suffix('\n').unwrap_or(typed);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.contains(['\n', '\r']) {
        return Err(HubError::BadPassword("it must be one line"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(HubError::BadPassword(
            "it must be at least 12 characters long",
        ));
    }
    Ok(password)
}

/// Hashes a checked password with Argon2id and a 16-byte salt from the caller's randomness.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, HubError> {
    let salt = SaltString::encode_b64(&salt).map_err(|e| HubError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash. A damaged hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// One line of the audit log: who did what, when. `detail` names the thing acted on (an
/// account, a kiosk, an export), never a password or anything about a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at_ms: i64,
    /// The account that acted, or `command line` for the hub's own commands.
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A signed-in browser. The cookie holds a random token; the hub keeps only its SHA-256, so
/// that a copy of the database lets no one in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_name: String,
    /// The token every form of this session carries back (CSRF).
    pub csrf: String,
    pub expires_ms: i64,
}

/// The actor of what is done with `waystation-hub` on the hub's own machine.
pub const COMMAND_LINE: &str = "command line";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_one_before_it_may() {
        assert!(!Role::Viewer.may_run_the_fleet());
        assert!(Role::Operator.may_run_the_fleet());
        assert!(!Role::Operator.may_administer());
        assert!(Role::Admin.may_run_the_fleet() && Role::Admin.may_administer());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn names_are_short_words_in_any_script() {
        assert_eq!(check_name("  li.wei ").unwrap(), "li.wei");
        assert_eq!(check_name("王芳").unwrap(), "王芳");
        for bad in ["", "two words", "a/b", "x;DROP", &"n".repeat(41)] {
            assert!(
                matches!(check_name(bad), Err(HubError::BadUserName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_password_is_one_line_of_twelve_or_more() {
        assert_eq!(
            check_password("correct horse battery\n").unwrap(),
            "correct horse battery"
        );
        assert_eq!(check_password("abcdefghijkl\r\n").unwrap(), "abcdefghijkl");
        assert!(check_password("short\n").is_err());
        assert!(check_password("abcdefghijkl\nmore\n").is_err());
        // Characters are counted, not bytes.
        assert!(check_password("一二三四五六七八九十百千").is_ok());
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let phc = hash_password("correct horse battery", [3; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("horse"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password(
            "correct horse battery",
            "$argon2id$broken"
        ));
        assert_ne!(
            phc,
            hash_password("correct horse battery", [4; 16]).unwrap()
        );
    }
}
