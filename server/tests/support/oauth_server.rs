//! The test authorisation server (oauth_server.py beside this file), started per test on
//! a loopback port: it stands in for Google and Microsoft, and Dovecot asks it whether
//! an XOAUTH2 token is live.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const CLIENT_ID: &str = "talentpost-test";
pub const CLIENT_SECRET: &str = "test-client-secret";

pub struct OauthServer {
    pub url: String,
    child: Child,
    http: reqwest::Client,
}

impl OauthServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oauth_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "--port",
                "0",
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the test authorisation server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its port");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            http,
        }
    }

    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.url)
    }

    /// The organisation's client registration pointing at this server.
    pub fn client_input(&self, imap_port: Option<u16>, smtp_port: Option<u16>) -> Value {
        json!({
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "authorizeUrl": format!("{}/authorize", self.url),
            "tokenUrl": format!("{}/token", self.url),
            "revokeUrl": format!("{}/revoke", self.url),
            "userinfoUrl": format!("{}/userinfo", self.url),
            "imapHost": "127.0.0.1",
            "imapPort": imap_port.map_or(0, i32::from),
            "smtpHost": "127.0.0.1",
            "smtpPort": smtp_port.map_or(0, i32::from),
            "smtpSecurity": "STARTTLS",
            "acceptInvalidCerts": true,
        })
    }

    /// Plays the admin at the consent page: opens `authorize_url`, checks the page, and
    /// allows (or denies) for `user`. Returns where the provider sends the browser.
    pub async fn consent(&self, authorize_url: &str, user: &str, allow: bool) -> String {
        let page = self.http.get(authorize_url).send().await.expect("consent page");
        assert_eq!(
            page.status(),
            200,
            "consent page refused: {}",
            page.text().await.unwrap_or_default()
        );
        let query: Vec<(String, String)> = reqwest::Url::parse(authorize_url)
            .expect("url")
            .query_pairs()
            .into_owned()
            .collect();
        let mut form = query;
        form.push(("user".to_owned(), user.to_owned()));
        form.push(("decision".to_owned(), if allow { "allow" } else { "deny" }.to_owned()));
        let decision = self
            .http
            .post(format!("{}/authorize", self.url))
            .form(&form)
            .send()
            .await
            .expect("decision");
        assert_eq!(decision.status(), 302);
        decision.headers()["location"].to_str().expect("location").to_owned()
    }

    pub async fn settings(&self, settings: Value) {
        let response = self
            .http
            .post(format!("{}/control/settings", self.url))
            .json(&settings)
            .send()
            .await
            .expect("settings");
        assert!(response.status().is_success());
    }

    /// The user withdraws consent at the provider: every grant of theirs is revoked.
    pub async fn revoke_user(&self, user: &str) {
        let response = self
            .http
            .post(format!("{}/control/revoke-user", self.url))
            .form(&[("user", user)])
            .send()
            .await
            .expect("revoke");
        assert!(response.status().is_success());
    }

    pub async fn expire_access_tokens(&self) {
        let response = self
            .http
            .post(format!("{}/control/expire-access-tokens", self.url))
            .send()
            .await
            .expect("expire");
        assert!(response.status().is_success());
    }

    pub async fn stats(&self) -> Value {
        self.http
            .get(format!("{}/control/stats", self.url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("json")
    }

    /// Waits (long poll, with a deadline) until a counter reaches `count`.
    pub async fn wait_for(&self, counter: &str, count: u64) -> Value {
        let response = self
            .http
            .get(format!(
                "{}/control/wait?counter={counter}&count={count}&timeout=45",
                self.url
            ))
            .send()
            .await
            .expect("wait");
        let status = response.status();
        let stats: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "{counter} did not reach {count} within 45 s: {stats}");
        stats
    }

    /// The refresh tokens issued for `user`, oldest first.
    pub async fn issued_refresh_tokens(&self, user: &str) -> Vec<String> {
        self.http
            .get(format!("{}/control/issued?user={user}", self.url))
            .send()
            .await
            .expect("issued")
            .json()
            .await
            .expect("json")
    }

    /// Asks the token endpoint directly, as an old copy of a refresh token would.
    pub async fn refresh_with(&self, refresh_token: &str) -> reqwest::StatusCode {
        self.http
            .post(format!("{}/token", self.url))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .send()
            .await
            .expect("token")
            .status()
    }
}

impl Drop for OauthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
