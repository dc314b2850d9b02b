//! For the market resources' tests: the methods `api_support::Api` lacks
//! (PATCH, PUT, CSV bodies), users of any role, and a client for a switch
//! started with a market of its own.

use crate::api_support::{Api, Reply, ADMIN, ADMIN_PASSWORD, SECRET};
use crate::sip_support::Switch;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{json, Value};

/// A JSON client for the API of any running switch.
pub struct Http {
    base: String,
    client: Client,
}

impl Http {
    pub fn of(switch: &Switch) -> Http {
        Http {
            base: format!("http://127.0.0.1:{}", switch.http_port),
            client: Client::new(),
        }
    }

    fn send(&self, req: RequestBuilder, token: &str) -> Reply {
        let r = req.bearer_auth(token).send().unwrap();
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

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.client.get(self.url(path)), token)
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(&body), token)
    }

    pub fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.patch(self.url(path)).json(&body), token)
    }

    pub fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(self.client.put(self.url(path)).json(&body), token)
    }

    pub fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(self.client.delete(self.url(path)), token)
    }

    pub fn csv(&self, path: &str, token: &str, body: &str) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .header("content-type", "text/csv")
                .body(body.to_string()),
            token,
        )
    }

    /// An access token (panics unless the login succeeds).
    pub fn login(&self, email: &str, password: &str) -> String {
        let r = self.send(
            self.client
                .post(self.url("/auth/login"))
                .json(&json!({ "email": email, "password": password })),
            "none",
        );
        assert_eq!(r.status, 200, "login {email}: {}", r.body);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    pub fn admin(&self) -> String {
        self.login(ADMIN, ADMIN_PASSWORD)
    }

    /// An account of `kind` (`buyer` or `seller`) for market id `id`, a
    /// user in it, and that user's token.
    pub fn user(&self, admin: &str, kind: &str, id: i64, email: &str) -> String {
        let a = self.post(
            "/accounts",
            admin,
            json!({ "name": format!("{kind} {id}"), "kind": kind, format!("{kind}_id"): id }),
        );
        assert_eq!(a.status, 201, "{}", a.body);
        let u = self.post(
            "/users",
            admin,
            json!({ "email": email, "password": "market password 1", "account_id": a.body["id"] }),
        );
        assert_eq!(u.status, 201, "{}", u.body);
        self.login(email, "market password 1")
    }
}

/// Many requests in a row from one user: no rate limit in these tests.
pub const NO_RATE_LIMIT: [(&str, &str); 1] = [("DCE_API_RATE_LIMIT_PER_SECOND", "0")];

/// The settings `Api::start` gives a switch, for one started with another
/// market.
pub fn api_env(db: &Option<String>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DCE_BOOTSTRAP_ADMIN_EMAIL", ADMIN.to_string()),
        ("DCE_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD.to_string()),
        ("DCE_API_JWT_SECRET", SECRET.to_string()),
        (NO_RATE_LIMIT[0].0, NO_RATE_LIMIT[0].1.to_string()),
    ];
    if let Some(url) = db {
        env.push(("DCE_DATABASE_URL", url.clone()));
    }
    env
}

/// The client of an `Api` (example market).
pub fn http(api: &Api) -> Http {
    Http::of(&api.switch)
}

/// The ids of a page's items.
pub fn ids(r: &Reply) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {}", r.body))
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}

/// Asserts a 400 naming `field`.
pub fn assert_invalid(r: &Reply, field: &str) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.code(), "invalid", "{}", r.body);
    assert_eq!(r.field(), field, "{}", r.body);
}
