//! Secrets at rest (AES-256-GCM with a per-value nonce), random tokens and their hashes.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("TALENTPOST_SECRET_KEY must be 32 bytes, given as 64 hex digits or base64")]
    BadKey,
    #[error("could not read or write the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("a stored secret could not be decrypted: wrong TALENTPOST_SECRET_KEY or damaged data")]
    Decrypt,
}

/// Encrypts and decrypts secrets such as mail-account passwords and OAuth tokens.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

const KEY_FILE: &str = "secret.key";
const FORMAT_PREFIX: &str = "v1:";

impl SecretBox {
    /// Uses the configured key, or the key file in the data folder, creating it on first run.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Self, CryptoError> {
        if let Some(text) = configured {
            return Self::from_key(&decode_key(text)?);
        }
        let path = data_dir.join(KEY_FILE);
        let key_error = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_key(&decode_key(text.trim())?),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                std::fs::create_dir_all(data_dir).map_err(key_error)?;
                write_private(&path, &hex::encode(key)).map_err(key_error)?;
                tracing::warn!(
                    path = %path.display(),
                    "TALENTPOST_SECRET_KEY is not set; generated a key file. Back it up: without it stored passwords cannot be decrypted"
                );
                Self::from_key(&key)
            }
            Err(error) => Err(key_error(error)),
        }
    }

    pub fn from_key(key: &[u8]) -> Result<Self, CryptoError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { cipher })
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail for in-memory data.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{FORMAT_PREFIX}{}", STANDARD.encode(blob))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let encoded = stored.strip_prefix(FORMAT_PREFIX).ok_or(CryptoError::Decrypt)?;
        let blob = STANDARD.decode(encoded).map_err(|_| CryptoError::Decrypt)?;
        if blob.len() < 12 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }
}

fn decode_key(text: &str) -> Result<Vec<u8>, CryptoError> {
    let bytes = if text.len() == 64 {
        hex::decode(text).map_err(|_| CryptoError::BadKey)?
    } else {
        STANDARD.decode(text).map_err(|_| CryptoError::BadKey)?
    };
    if bytes.len() == 32 {
        Ok(bytes)
    } else {
        Err(CryptoError::BadKey)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// A random bearer secret with a readable prefix, e.g. `tp_…`.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Tokens are high-entropy, so a plain SHA-256 is enough to store them safely.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_stores_plaintext() {
        let secret_box = SecretBox::from_key(&[7u8; 32]).expect("32-byte key");
        let stored = secret_box.encrypt("hunter2-imap-password");
        assert!(!stored.contains("hunter2"));
        assert_ne!(stored, secret_box.encrypt("hunter2-imap-password"), "nonce must differ");
        assert_eq!(secret_box.decrypt(&stored).expect("decrypts"), "hunter2-imap-password");
    }

    #[test]
    fn wrong_key_is_reported_not_garbled() {
        let a = SecretBox::from_key(&[1u8; 32]).expect("key");
        let b = SecretBox::from_key(&[2u8; 32]).expect("key");
        assert!(matches!(b.decrypt(&a.encrypt("x")), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = SecretBox::load_or_create(None, dir.path()).expect("creates key");
        let second = SecretBox::load_or_create(None, dir.path()).expect("reads key");
        assert_eq!(
            second.decrypt(&first.encrypt("same key")).expect("same key"),
            "same key"
        );
        assert!(matches!(
            SecretBox::load_or_create(Some("short"), dir.path()),
            Err(CryptoError::BadKey)
        ));
    }
}
