//! A running `dce serve` with the example market, its bootstrap admin, and
//! a small JSON client for the management API.

use crate::sip_support::Switch;
use crate::support::EXAMPLE;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

pub const ADMIN: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";
/// The signing secret the tests set, so they can forge tokens.
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct Api {
    pub switch: Switch,
    /// The database URL given (`None`: the scratch SQLite file).
    pub db: Option<String>,
    client: Client,
    base: String,
}

/// A response: status, headers, JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an error response.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }
}

impl Api {
    /// `dce serve` on `db` (`None`: SQLite) with the example market, the
    /// bootstrap admin and `env` on top.
    pub fn start(db: &Option<String>, env: &[(&str, &str)]) -> Api {
        let market = std::fs::read_to_string(EXAMPLE).unwrap();
        Api::start_market(db, &market, env)
    }

    /// `dce serve` on `db` with `market` (TOML text), the bootstrap admin
    /// and `env` on top.
    pub fn start_market(db: &Option<String>, market: &str, env: &[(&str, &str)]) -> Api {
        let mut all = vec![
            ("DCE_BOOTSTRAP_ADMIN_EMAIL", ADMIN),
            ("DCE_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("DCE_API_JWT_SECRET", SECRET),
        ];
        if let Some(url) = db {
            all.push(("DCE_DATABASE_URL", url.as_str()));
        }
        all.extend_from_slice(env);
        let switch = Switch::start_with(market, &all);
        let base = format!("http://127.0.0.1:{}", switch.http_port);
        Api {
            switch,
            db: db.clone(),
            client: Client::new(),
            base,
        }
    }

    /// `dce ARGS` on this server's database, with `stdin` as its input.
    pub fn dce_with_input(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut cmd = self.switch.scratch.command(args);
        if let Some(url) = &self.db {
            cmd.env("DCE_DATABASE_URL", url);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command that refuses its arguments exits without reading stdin.
        let _ = writeln!(child.stdin.take().unwrap(), "{stdin}");
        child.wait_with_output().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn send(&self, req: RequestBuilder, token: Option<&str>) -> Reply {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.get(self.url(path)), token)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(&body), token)
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.delete(self.url(path)), token)
    }

    pub fn raw_post(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .header("content-type", content_type)
                .body(body),
            None,
        )
    }

    /// Logs in; the token response (panics unless 200).
    pub fn login(&self, email: &str, password: &str) -> Value {
        let r = self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        );
        assert_eq!(r.status, 200, "login {email}: {}", r.body);
        r.body
    }

    /// The admin's access token.
    pub fn admin(&self) -> String {
        self.login(ADMIN, ADMIN_PASSWORD)["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Creates an account for buyer `buyer_id` and a user in it; the
    /// user's access token.
    pub fn buyer_user(&self, admin: &str, buyer_id: i64, email: &str) -> (i64, String) {
        let a = self.post(
            "/api/v1/accounts",
            Some(admin),
            json!({ "name": format!("buyer {buyer_id}"), "kind": "buyer", "buyer_id": buyer_id }),
        );
        assert_eq!(a.status, 201, "{}", a.body);
        let account = a.body["id"].as_i64().unwrap();
        let u = self.post(
            "/api/v1/users",
            Some(admin),
            json!({ "email": email, "password": "buyer password 1", "account_id": account }),
        );
        assert_eq!(u.status, 201, "{}", u.body);
        let token = self.login(email, "buyer password 1")["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        (account, token)
    }
}
