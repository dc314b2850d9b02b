//! Secrets at rest: argon2id password hashes, random tokens and their
//! SHA-256 digests. Nothing here logs; `Password` does not even print.

use super::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::LazyLock;

/// A login email, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `raw` (an address with one `@`, no spaces, at most 254 bytes).
    pub fn parse(raw: &str) -> Result<Email, ApiError> {
        let e = raw.trim().to_ascii_lowercase();
        let ok = e.len() <= 254
            && !e.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@') && !d.starts_with('.') && !d.ends_with('.'));
        if ok {
            Ok(Email(e))
        } else {
            Err(ApiError::invalid("email", "not an email address"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password in transit; `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Shortest password accepted for a new user.
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD: usize = 1024;

impl Password {
    /// A new user's password: between [`MIN_PASSWORD`] and [`MAX_PASSWORD`] characters.
    pub fn new_checked(raw: String) -> Result<Password, ApiError> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD {
            return Err(ApiError::invalid(
                "password",
                format!("must be at least {MIN_PASSWORD} characters"),
            ));
        }
        if n > MAX_PASSWORD {
            return Err(ApiError::invalid(
                "password",
                format!("must be at most {MAX_PASSWORD} characters"),
            ));
        }
        Ok(Password(raw))
    }

    /// A password offered at login, checked only against a hash.
    pub fn offered(raw: String) -> Password {
        Password(raw)
    }

    /// Its argon2id PHC string (slow by design: call off the async threads,
    /// e.g. through `spawn_blocking`).
    pub fn hash(&self) -> Result<String, ApiError> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    /// Whether it matches `stored`; with `None` (no such user) a dummy hash
    /// is checked instead, so an unknown email takes as long as a wrong password.
    pub fn verify(&self, stored: Option<&str>) -> bool {
        let stored = stored.unwrap_or(&DUMMY_HASH);
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(self.0.as_bytes(), &parsed)
            .is_ok()
    }
}

/// Computes the dummy hash now, so the first unknown email at login takes
/// no longer than the others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Password("not a password of anyone".into())
        .hash()
        .unwrap_or_default()
});

/// `bytes` random bytes from the OS, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `bytes` random bytes from the OS, lower-case hex (API keys: one word,
/// easy to select and paste).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256: how refresh tokens and API keys are stored (they are
/// random and long, so a fast digest is enough; passwords use argon2id).
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@x.com",
            "ann@",
            "ann@x",
            "a b@x.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_hash_verify_and_never_print() {
        let p = Password::new_checked("correct horse battery".into()).unwrap();
        let h = p.hash().unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify(Some(&h)));
        assert!(!Password::offered("wrong password".into()).verify(Some(&h)));
        assert!(!p.verify(None));
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::new_checked("short".into()).is_err());
    }
}
