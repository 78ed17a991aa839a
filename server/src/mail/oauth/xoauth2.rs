//! The XOAUTH2 SASL login (Google's and Microsoft's IMAP and SMTP) for async-imap.

/// `user=…^Aauth=Bearer …^A^A`; async-imap base64-encodes the response itself.
pub struct XOauth2 {
    pub user: String,
    pub access_token: String,
}

impl async_imap::Authenticator for &XOauth2 {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Self::Response {
        // A non-empty challenge is the server's error report (JSON); the empty answer
        // ends the exchange so the server can send its NO.
        if !challenge.is_empty() {
            return Vec::new();
        }
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.access_token).into_bytes()
    }
}
