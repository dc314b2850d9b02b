//! The first admin: from `DCE_BOOTSTRAP_ADMIN_*` once, or from
//! `dce user create --password-stdin`.

use crate::api_support::*;
use crate::pg::backends;
use crate::support::{stderr, stdout};
use serde_json::json;

#[test]
fn the_bootstrap_admin_is_created_once_and_ignored_afterwards() {
    for db in backends() {
        // One database for two starts of the server.
        let dir = tempfile::tempdir().unwrap();
        let url = db.unwrap_or_else(|| format!("sqlite://{}/shared.db", dir.path().display()));
        let first = Api::start(&Some(url.clone()), &[]);
        first.admin();
        drop(first);

        let second = Api::start(
            &Some(url.clone()),
            &[
                ("DCE_BOOTSTRAP_ADMIN_EMAIL", "second@example.com"),
                ("DCE_BOOTSTRAP_ADMIN_PASSWORD", "another password"),
            ],
        );
        let r = second.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "second@example.com", "password": "another password" }),
        );
        assert_eq!(r.status, 401, "an admin existed: no second bootstrap");
        second.admin();
        let users = second.get("/api/v1/users", Some(&second.admin()));
        assert_eq!(
            users.body["items"].as_array().unwrap().len(),
            1,
            "{}",
            users.body
        );
    }
}

fn user_create(api: &Api, args: &[&str], password: &str) -> std::process::Output {
    api.dce_with_input(&[&["user", "create"], args].concat(), password)
}

#[test]
fn dce_user_create_reads_the_password_from_stdin() {
    for db in backends() {
        let api = Api::start(&db, &[]);
        let out = user_create(
            &api,
            &["--admin", "--email", "Ops@Example.com", "--password-stdin"],
            "ops password 123",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("ops@example.com"), "{}", stdout(&out));
        assert!(!stdout(&out).contains("ops password"));
        let token = api.login("ops@example.com", "ops password 123");
        let me = api.get("/api/v1/auth/me", token["access_token"].as_str());
        assert_eq!(me.body["kind"], "admin");

        // A buyer's user: its account is made on the way.
        let out = user_create(
            &api,
            &[
                "--buyer",
                "2",
                "--email",
                "cc@b.example",
                "--password-stdin",
            ],
            "buyer password 1",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let t = api.login("cc@b.example", "buyer password 1");
        let me = api.get("/api/v1/auth/me", t["access_token"].as_str());
        assert_eq!(me.body["buyer_id"], 2);

        // Refusals: a taken email, an unknown buyer, a short password, no role.
        let taken = user_create(
            &api,
            &["--admin", "--email", "ops@example.com", "--password-stdin"],
            "long enough password",
        );
        assert!(!taken.status.success());
        assert!(stderr(&taken).contains("email"), "{}", stderr(&taken));
        let unknown = user_create(
            &api,
            &[
                "--buyer",
                "99",
                "--email",
                "x@b.example",
                "--password-stdin",
            ],
            "long enough password",
        );
        assert!(!unknown.status.success());
        assert!(stderr(&unknown).contains("buyer"), "{}", stderr(&unknown));
        let short = user_create(
            &api,
            &["--admin", "--email", "y@example.com", "--password-stdin"],
            "short",
        );
        assert!(!short.status.success());
        assert!(stderr(&short).contains("password"), "{}", stderr(&short));
        let no_role = user_create(
            &api,
            &["--email", "z@example.com", "--password-stdin"],
            "long enough password",
        );
        assert!(!no_role.status.success());
    }
}
