//! Secrets of the accounts (issue 7): argon2id password hashes, random 256-bit session ids and
//! API tokens, their SHA-256 hashes (what the store keeps) and constant-time comparison.
//!
//! Shared by the command line (`soilwatch user`) and the web layer, so both hash the same way.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{StoreError, StoreResult};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Prefix of API tokens (`swt_` + 64 hex digits), so a leaked token is easy to recognise.
pub const TOKEN_PREFIX: &str = "swt_";

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> StoreResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        StoreError::Backend(format!("随机数不可用 / the random source failed: {e}"))
    })?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A random 256-bit secret as 64 hex digits (session ids, CSRF cookies).
pub fn random_secret() -> StoreResult<String> {
    Ok(hex(&random_bytes::<32>()?))
}

/// A new API token: `swt_` + 256 random bits in hex.
pub fn new_api_token() -> StoreResult<String> {
    Ok(format!("{TOKEN_PREFIX}{}", random_secret()?))
}

/// SHA-256 of a secret, in hex: what the store keeps of a session id or an API token. (A fast
/// hash is right here: the secrets are 256 random bits, not guessable passwords.)
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A value derived from a secret for a purpose (`csrf`), e.g. the CSRF token of a session.
pub fn derive(secret: &str, purpose: &str) -> String {
    hex(&Sha256::digest(
        format!("soilwatch/{purpose}/{secret}").as_bytes(),
    ))
}

/// Compare two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Check a new password's strength (length and not all one kind of character).
pub fn check_password(password: &str) -> StoreResult<()> {
    let chars = password.chars().count();
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    if chars < MIN_PASSWORD_CHARS || kinds < 2 {
        return Err(StoreError::Invalid(format!(
            "密码至少 {MIN_PASSWORD_CHARS} 个字符，且含两类字符（字母、数字、符号）/ a password \
             needs at least {MIN_PASSWORD_CHARS} characters of at least two kinds (letters, \
             digits, symbols)"
        )));
    }
    Ok(())
}

/// A one-time password shown once to an administrator or a newcomer (`serve --demo`, the
/// `/admin/users` page): 16 random characters from an alphabet without look-alikes (no 0/O, 1/l/I),
/// ending on a digit so it always has two kinds of character and passes [`check_password`].
pub fn one_time_password() -> StoreResult<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let p: String = random_bytes::<16>()?
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("{p}7"))
}

/// Hash a password with argon2id (the crate's defaults: 19 MiB, 2 passes) and a random salt;
/// returns the PHC string.
pub fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| StoreError::Backend(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Backend(format!("password hash: {e}")))
}

/// Whether a password matches a PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of no one's password: verified against when the user does not exist, so a
/// failed sign-in takes as long whether the user exists or not.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("no such user / 无此用户").unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29pbHdhdGNoZHVtbXk$\
             0vDnUuY9vK2f0S8r7YQ5qkq0QnHfQyX0b9H4u2fOqg8"
                .to_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("Correct horse 9").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Correct horse 9", &h));
        assert!(!verify_password("correct horse 9", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = random_secret().expect("random");
        let b = random_secret().expect("random");
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(secret_hash(&a).len(), 64);
        assert_ne!(secret_hash(&a), a);
        assert_ne!(derive(&a, "csrf"), secret_hash(&a));
        let t = new_api_token().expect("token");
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == 68);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password("short1").is_err());
        assert!(check_password("onlylowercaseletters").is_err());
        assert!(check_password("lowercase and 123").is_ok());
    }
}
