//! Management API authentication: login, refresh rotation with reuse
//! detection, logout, and the access tokens that must be refused.

use crate::api_support::*;
use crate::pg::backends;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn refresh(api: &Api, token: &Value) -> Reply {
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": token.as_str().unwrap() }),
    )
}

#[test]
fn refresh_rotates_reuse_revokes_the_family_and_logout_ends_it() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let first = api.login(ADMIN, ADMIN_PASSWORD);
        assert_eq!(first["token_type"], "Bearer");
        assert_eq!(first["expires_in"], 900);
        let access = first["access_token"].as_str().unwrap();
        let me = api.get("/api/v1/auth/me", Some(access));
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["kind"], "admin");

        // Each refresh spends its token and answers the next.
        let second = refresh(&api, &first["refresh_token"]);
        assert_eq!(second.status, 200, "{}", second.body);
        let third = refresh(&api, &second.body["refresh_token"]);
        assert_eq!(third.status, 200);
        assert!(
            api.get("/api/v1/auth/me", third.body["access_token"].as_str())
                .status
                == 200
        );

        // The first token again: a copy is around, so the family ends,
        // and the newest token stops working too.
        let reused = refresh(&api, &first["refresh_token"]);
        assert_eq!(reused.status, 401);
        assert_eq!(reused.code(), "unauthenticated");
        assert_eq!(refresh(&api, &third.body["refresh_token"]).status, 401);

        // Logout revokes the session's family; other sessions live on.
        let a = api.login(ADMIN, ADMIN_PASSWORD);
        let b = api.login(ADMIN, ADMIN_PASSWORD);
        let out = api.post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": a["refresh_token"] }),
        );
        assert_eq!(out.status, 204);
        assert_eq!(refresh(&api, &a["refresh_token"]).status, 401);
        assert_eq!(refresh(&api, &b["refresh_token"]).status, 200);

        // All of it is in the audit log.
        let audit = api.get("/api/v1/audit?limit=100", b["access_token"].as_str());
        assert_eq!(audit.status, 200, "{}", audit.body);
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        for want in [
            "auth.login",
            "auth.refresh_reuse",
            "auth.logout",
            "user.create",
        ] {
            assert!(actions.contains(&want), "{want} in {actions:?}");
        }
        let text = audit.body.to_string();
        assert!(!text.contains(ADMIN_PASSWORD) && !text.contains("argon2"));
    }
}

#[test]
fn wrong_password_and_unknown_email_answer_alike() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let wrong = api.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": ADMIN, "password": "not the password" }),
        );
        let unknown = api.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "nobody@example.com", "password": "not the password" }),
        );
        assert_eq!(wrong.status, 401);
        assert_eq!(unknown.status, 401);
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(wrong.headers["www-authenticate"], "Bearer");
        assert!(!api.switch.log().contains("not the password"));
        assert!(!api.switch.log().contains(ADMIN_PASSWORD));
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(exp: i64) -> Value {
    json!({ "sub": "1", "account": 1, "role": "admin", "exp": exp, "iat": now() - 10, "jti": "t" })
}

fn sign(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[test]
fn tampered_expired_and_foreign_algorithm_tokens_are_refused() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let me = |t: &str| api.get("/api/v1/auth/me", Some(t));
        // The forger knows the secret (the tests set it): the control passes.
        let good = sign(Algorithm::HS256, &claims(now() + 600), SECRET);
        assert_eq!(me(&good).status, 200);

        let expired = sign(Algorithm::HS256, &claims(now() - 600), SECRET);
        let hs512 = sign(Algorithm::HS512, &claims(now() + 600), SECRET);
        let other_key = sign(
            Algorithm::HS256,
            &claims(now() + 600),
            "another-secret-another-secret-another",
        );
        let body = b64(&claims(now() + 600));
        let none = format!("{}.{body}.", b64(&json!({ "alg": "none", "typ": "JWT" })));
        let sig = good.rsplit('.').next().unwrap();
        let rs256 = format!(
            "{}.{body}.{sig}",
            b64(&json!({ "alg": "RS256", "typ": "JWT" }))
        );
        // A buyer's token turned into an admin's, signature kept.
        let buyer = sign(
            Algorithm::HS256,
            &json!({ "sub": "9", "account": 9, "role": "buyer:1", "exp": now() + 600, "iat": now(), "jti": "b" }),
            SECRET,
        );
        let mut parts: Vec<&str> = buyer.split('.').collect();
        parts[1] = &body;
        let tampered = parts.join(".");
        for (what, token) in [
            ("expired", expired.as_str()),
            ("HS512", &hs512),
            ("another key", &other_key),
            ("alg none", &none),
            ("RS256 header", &rs256),
            ("tampered payload", &tampered),
            ("garbage", "not.a.token"),
        ] {
            let r = me(token);
            assert_eq!(r.status, 401, "{what}: {}", r.body);
            assert_eq!(r.code(), "unauthenticated", "{what}");
        }
        assert_eq!(api.get("/api/v1/auth/me", None).status, 401);
    }
}
