//! API keys (shown once, usable, revocable) and tenancy: a buyer sees its
//! own account, users and keys; another tenant's answer 404; admin-only
//! endpoints answer 403.

use crate::api_support::*;
use crate::pg::backends;
use serde_json::json;

#[test]
fn an_api_key_is_shown_once_works_and_stops_when_revoked() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let admin = api.admin();
        let created = api.post(
            "/api/v1/api-keys",
            Some(&admin),
            json!({ "name": "billing job" }),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let key = created.body["key"].as_str().unwrap().to_string();
        let id = created.body["id"].as_i64().unwrap();
        assert!(key.starts_with("dce_"));
        assert!(key.starts_with(created.body["prefix"].as_str().unwrap()));

        // Listed and fetched without the secret.
        let listed = api.get("/api/v1/api-keys", Some(&admin));
        assert_eq!(listed.status, 200);
        assert!(!listed.body.to_string().contains(&key));
        let one = api.get(&format!("/api/v1/api-keys/{id}"), Some(&admin));
        assert!(one.body.get("key").is_none(), "{}", one.body);

        // The key acts with its account's role.
        let me = api.get("/api/v1/auth/me", Some(&key));
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["api_key_id"], id);
        assert_eq!(me.body["kind"], "admin");
        assert_eq!(api.get("/api/v1/audit", Some(&key)).status, 200);

        let revoked = api.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin));
        assert_eq!(revoked.status, 204);
        let after = api.get("/api/v1/auth/me", Some(&key));
        assert_eq!(after.status, 401);
        assert_eq!(after.code(), "unauthenticated");
        // A key never issued, too.
        assert_eq!(api.get("/api/v1/auth/me", Some("dce_0000")).status, 401);

        let audit = api.get("/api/v1/audit?object_type=api_key", Some(&admin));
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["api_key.revoke", "api_key.create"]);
        assert!(!audit.body.to_string().contains(&key));
    }
}

#[test]
fn a_buyer_sees_only_its_own_account_users_and_keys() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let admin = api.admin();
        let (a_account, a) = api.buyer_user(&admin, 1, "a@buyer.example");
        let (b_account, b) = api.buyer_user(&admin, 2, "b@buyer.example");
        let b_key = api.post("/api/v1/api-keys", Some(&b), json!({ "name": "b's" }));
        assert_eq!(b_key.status, 201, "{}", b_key.body);
        let b_key_id = b_key.body["id"].as_i64().unwrap();
        let a_key = api.post("/api/v1/api-keys", Some(&a), json!({ "name": "a's" }));
        assert_eq!(a_key.body["account_id"], a_account);

        // Its own: visible.
        assert_eq!(
            api.get(&format!("/api/v1/accounts/{a_account}"), Some(&a))
                .status,
            200
        );
        let accounts = api.get("/api/v1/accounts", Some(&a));
        let ids: Vec<i64> = accounts.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [a_account]);

        // Another buyer's: not found, whatever the path, and no data.
        for path in [
            format!("/api/v1/accounts/{b_account}"),
            format!("/api/v1/api-keys/{b_key_id}"),
        ] {
            let r = api.get(&path, Some(&a));
            assert_eq!(r.status, 404, "{path}: {}", r.body);
            assert_eq!(r.code(), "not_found");
            assert!(!r.body.to_string().contains("b@buyer"));
        }
        let revoke = api.delete(&format!("/api/v1/api-keys/{b_key_id}"), Some(&a));
        assert_eq!(revoke.status, 404);
        assert_eq!(
            api.get("/api/v1/auth/me", b_key.body["key"].as_str())
                .status,
            200
        );
        // Filtering by another account still lists only its own.
        let users = api.get(&format!("/api/v1/users?account_id={b_account}"), Some(&a));
        assert_eq!(users.status, 200);
        let emails = users.body.to_string();
        assert!(emails.contains("a@buyer.example") && !emails.contains("b@buyer.example"));
        let keys = api.get("/api/v1/api-keys", Some(&a));
        assert_eq!(keys.body["items"].as_array().unwrap().len(), 1);
        // Creating in another account: that account does not exist for it.
        let sneaky = api.post(
            "/api/v1/users",
            Some(&a),
            json!({ "email": "x@buyer.example", "password": "long enough pw", "account_id": b_account }),
        );
        assert_eq!(sneaky.status, 400);
        assert_eq!(sneaky.field(), "account_id");

        // Admin-only endpoints: 403.
        assert_eq!(api.get("/api/v1/audit", Some(&a)).status, 403);
        let create = api.post(
            "/api/v1/accounts",
            Some(&a),
            json!({ "name": "mine", "kind": "admin" }),
        );
        assert_eq!(create.status, 403);
        assert_eq!(create.code(), "forbidden");
    }
}
