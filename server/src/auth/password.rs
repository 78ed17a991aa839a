use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::error::{ServiceError, ServiceResult};

pub const MIN_PASSWORD_LENGTH: usize = 10;

pub fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ServiceError::Internal(format!("password hashing failed: {error}")))
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A password a user chooses or an admin sets: long enough to resist guessing.
pub fn check_new_password(field: &str, password: &str) -> ServiceResult<()> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(ServiceError::invalid(
            field,
            format!("the password must have at least {MIN_PASSWORD_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Verifying against this when the user does not exist keeps login timing uniform.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4Ps1Xwj5Tn7y3VSFsTXN2GDBH/Dg5fNCgmK3w4yhcSY"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_reject() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(check_new_password("password", "short").is_err());
    }
}
