//! The API's edges: unknown fields, body size, content type, rate limits,
//! security headers, the error shape, and the OpenAPI document.

use crate::api_support::*;
use crate::pg::backends;
use serde_json::json;

#[test]
fn bodies_are_checked_field_by_field_and_bounded() {
    for db in backends() {
        let api = Api::start(&db, &[("DCE_API_MAX_BODY_BYTES", "4096")]);
        let admin = api.admin();
        let typo = api.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": ADMIN, "password": ADMIN_PASSWORD, "remember_me": true }),
        );
        assert_eq!(typo.status, 400);
        assert_eq!(typo.code(), "invalid");
        assert_eq!(typo.field(), "remember_me");

        let missing = api.post("/api/v1/api-keys", Some(&admin), json!({}));
        assert_eq!(missing.status, 400);
        assert_eq!(missing.field(), "name");
        let wrong_type = api.post(
            "/api/v1/accounts",
            Some(&admin),
            json!({ "name": "x", "kind": "emperor" }),
        );
        assert_eq!(wrong_type.status, 400);
        assert_eq!(wrong_type.field(), "kind");
        let conflict = api.post(
            "/api/v1/users",
            Some(&admin),
            json!({ "email": ADMIN, "password": "long enough pw" }),
        );
        assert_eq!(conflict.status, 409, "{}", conflict.body);
        assert_eq!(conflict.field(), "email");

        let big = format!(
            "{{\"email\":\"{ADMIN}\",\"password\":\"{}\"}}",
            "x".repeat(8000)
        );
        let r = api.raw_post("/api/v1/auth/login", "application/json", big.into_bytes());
        assert_eq!(r.status, 413, "{}", r.body);
        assert_eq!(r.code(), "payload_too_large");

        let form = api.raw_post("/api/v1/auth/login", "text/plain", b"{}".to_vec());
        assert_eq!(form.status, 415);
        let broken = api.raw_post(
            "/api/v1/auth/login",
            "application/json",
            b"{\"email\":".to_vec(),
        );
        assert_eq!(broken.status, 400);
        assert_eq!(broken.code(), "malformed_json");

        // The error shape holds for unknown paths and methods too.
        let nowhere = api.get("/api/v1/nowhere", Some(&admin));
        assert_eq!(nowhere.status, 404);
        assert_eq!(nowhere.code(), "not_found");
        let method = api.delete("/api/v1/accounts", Some(&admin));
        assert_eq!(method.status, 405);
        assert_eq!(method.code(), "method_not_allowed");

        // Security headers.
        let h = &nowhere.headers;
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        assert!(h.contains_key("referrer-policy"));
        assert!(!h.contains_key("access-control-allow-origin"));
    }
}

#[test]
fn a_caller_over_its_rate_gets_429_with_retry_after() {
    for db in backends() {
        let api = Api::start(
            &db,
            &[
                ("DCE_API_RATE_LIMIT_PER_SECOND", "1"),
                ("DCE_API_RATE_LIMIT_BURST", "3"),
            ],
        );
        let admin = api.admin();
        let statuses: Vec<u16> = (0..6)
            .map(|_| api.get("/api/v1/auth/me", Some(&admin)).status)
            .collect();
        assert_eq!(&statuses[..3], [200, 200, 200], "{statuses:?}");
        assert!(statuses.contains(&429), "{statuses:?}");
        let r = api.get("/api/v1/auth/me", Some(&admin));
        assert_eq!(r.status, 429);
        assert_eq!(r.code(), "rate_limited");
        let after: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=2).contains(&after), "{after}");
        // Another caller has its own bucket.
        let key = {
            std::thread::sleep(std::time::Duration::from_secs(2));
            api.post("/api/v1/api-keys", Some(&admin), json!({ "name": "k" }))
        };
        assert_eq!(key.status, 201, "{}", key.body);
        assert_eq!(
            api.get("/api/v1/auth/me", key.body["key"].as_str()).status,
            200
        );
    }
}

#[test]
fn cors_answers_configured_origins_only() {
    let api = Api::start(
        &None,
        &[("DCE_API_CORS_ORIGINS", "https://console.example")],
    );
    let pre = |origin: &str| {
        api.send(
            reqwest::blocking::Client::new()
                .request(reqwest::Method::OPTIONS, api.url("/api/v1/auth/login"))
                .header("origin", origin)
                .header("access-control-request-method", "POST"),
            None,
        )
    };
    let ok = pre("https://console.example");
    assert_eq!(
        ok.headers["access-control-allow-origin"],
        "https://console.example"
    );
    assert!(!pre("https://evil.example")
        .headers
        .contains_key("access-control-allow-origin"));
}

#[test]
fn the_openapi_document_lists_the_api_and_docs_are_served() {
    let api = Api::start(&None, &[]);
    let spec = api.get("/openapi.json", None);
    assert_eq!(spec.status, 200);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/audit",
    ] {
        assert!(paths.contains_key(p), "{p} in {:?}", paths.keys());
    }
    let login = &paths["/api/v1/auth/login"]["post"];
    assert!(login["requestBody"].is_object());
    assert!(login["responses"]["401"].is_object());
    let schemes = &spec.body["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["scheme"], "bearer");
    assert!(spec.body["components"]["schemas"]["ErrorBody"].is_object());
    assert_eq!(
        paths["/api/v1/audit"]["get"]["security"][0]["bearer"],
        json!([])
    );

    let docs = api.get("/docs", None);
    assert_eq!(docs.status, 200);
    assert_eq!(docs.headers["content-type"], "text/html; charset=utf-8");
    let page = docs.body.as_str().unwrap();
    assert!(page.contains("api-reference") && page.contains("/api/v1/auth/login"));
}
