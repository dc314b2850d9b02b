//! Tenancy of the market resources: a buyer sees and changes only its own
//! targets and buyer record, a seller only its own campaigns, numbers and
//! trunks; another tenant's object answers 404 whatever the method; lists
//! hold only one's own; a buyer without money cannot raise a bid (402).

use crate::api_market_support::*;
use crate::api_support::Api;
use crate::pg::backends;
use serde_json::json;

#[test]
fn every_role_sees_and_changes_only_its_own_market_objects() {
    for db in backends() {
        let api = Api::start(&db, &NO_RATE_LIMIT);
        let h = http(&api);
        let admin = h.admin();
        // A second seller with a campaign, so a seller has someone else's.
        let other = h.post(
            "/sellers",
            &admin,
            json!({ "name": "other-leads", "trunks": ["203.0.113.0/24"] }),
        );
        assert_eq!(other.status, 201, "{}", other.body);
        let c2 = h.post(
            "/campaigns",
            &admin,
            json!({ "name": "other", "seller_id": 2, "numbers": ["+18005550111"], "payout": "1.00" }),
        );
        assert_eq!(c2.status, 201, "{}", c2.body);
        let buyer_a = h.user(&admin, "buyer", 1, "a@buyer.example");
        let seller = h.user(&admin, "seller", 1, "s@seller.example");

        // Another tenant's objects: 404 for every method, and no data.
        let foreign_to_buyer = [
            ("GET", "/targets/3", json!(null)),
            ("PATCH", "/targets/3", json!({ "enabled": false })),
            ("PUT", "/targets/3/bid", json!({ "bid": "1.00" })),
            ("DELETE", "/targets/3", json!(null)),
            ("GET", "/buyers/2", json!(null)),
            ("PATCH", "/buyers/2", json!({ "name": "x" })),
            ("DELETE", "/buyers/2", json!(null)),
            ("GET", "/sellers/1", json!(null)),
            ("PUT", "/sellers/1/trunks", json!({ "trunks": [] })),
            ("GET", "/campaigns/1", json!(null)),
            ("PATCH", "/campaigns/1", json!({ "enabled": false })),
            ("GET", "/campaigns/1/numbers", json!(null)),
            (
                "POST",
                "/campaigns/1/numbers",
                json!({ "number": "+18005550122" }),
            ),
            ("DELETE", "/campaigns/1/numbers/+18005550100", json!(null)),
        ];
        let foreign_to_seller = [
            ("GET", "/sellers/2", json!(null)),
            ("PATCH", "/sellers/2", json!({ "name": "x" })),
            ("PUT", "/sellers/2/trunks", json!({ "trunks": [] })),
            ("DELETE", "/sellers/2", json!(null)),
            ("GET", "/campaigns/2", json!(null)),
            ("PATCH", "/campaigns/2", json!({ "enabled": false })),
            ("DELETE", "/campaigns/2", json!(null)),
            ("GET", "/campaigns/2/numbers", json!(null)),
            (
                "POST",
                "/campaigns/2/numbers",
                json!({ "number": "+18005550122" }),
            ),
            ("DELETE", "/campaigns/2/numbers/+18005550111", json!(null)),
            ("GET", "/targets/1", json!(null)),
            ("PUT", "/targets/1/bid", json!({ "bid": "99.00" })),
            ("GET", "/buyers/1", json!(null)),
        ];
        for (token, calls) in [
            (&buyer_a, &foreign_to_buyer[..]),
            (&seller, &foreign_to_seller[..]),
        ] {
            for (method, path, body) in calls {
                let r = match *method {
                    "GET" => h.get(path, token),
                    "PATCH" => h.patch(path, token, body.clone()),
                    "PUT" => h.put(path, token, body.clone()),
                    "POST" => h.post(path, token, body.clone()),
                    _ => h.delete(path, token),
                };
                assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
                assert_eq!(r.code(), "not_found");
                assert!(!r.body.to_string().contains("callcenter"), "{}", r.body);
            }
        }
        // Nothing changed by those attempts.
        assert_eq!(h.get("/targets/3", &admin).body["enabled"], true);
        assert_eq!(
            h.get("/campaigns/2", &admin).body["numbers"],
            json!(["+18005550111"])
        );
        assert_eq!(
            h.get("/sellers/2", &admin).body["trunks"],
            json!(["203.0.113.0/24"])
        );

        // Lists hold only one's own, whatever the filter asks for.
        assert_eq!(ids(&h.get("/targets", &buyer_a)), [1, 2]);
        assert_eq!(
            ids(&h.get("/targets?buyer_id=2", &buyer_a)),
            Vec::<i64>::new()
        );
        assert_eq!(ids(&h.get("/targets?sort=-bid", &buyer_a)), [1, 2]);
        assert_eq!(ids(&h.get("/buyers", &buyer_a)), [1]);
        assert_eq!(ids(&h.get("/sellers", &buyer_a)), Vec::<i64>::new());
        assert_eq!(ids(&h.get("/campaigns", &buyer_a)), Vec::<i64>::new());
        assert_eq!(ids(&h.get("/campaigns", &seller)), [1]);
        assert_eq!(
            ids(&h.get("/campaigns?seller_id=2", &seller)),
            Vec::<i64>::new()
        );
        assert_eq!(ids(&h.get("/sellers", &seller)), [1]);
        assert_eq!(ids(&h.get("/targets", &seller)), Vec::<i64>::new());
        assert_eq!(ids(&h.get("/buyers", &seller)), Vec::<i64>::new());
        assert_eq!(ids(&h.get("/targets", &admin)), [1, 2, 3]);
        assert_eq!(ids(&h.get("/campaigns", &admin)), [1, 2]);

        // A buyer changes its own targets (not their buyer or campaign).
        let own = h.patch(
            "/targets/1",
            &buyer_a,
            json!({ "caps": { "daily": 10 }, "schedule": { "tz": "UTC", "open": "24/7" } }),
        );
        assert_eq!(own.status, 200, "{}", own.body);
        let lower = h.put("/targets/1/bid", &buyer_a, json!({ "bid": "12.00" }));
        assert_eq!(lower.body["bid"], "12.00", "{}", lower.body);
        assert_invalid(
            &h.patch("/targets/1", &buyer_a, json!({ "campaign_id": 2 })),
            "campaign_id",
        );
        assert_eq!(h.get("/buyers/1", &buyer_a).status, 200);
        // …but creating, deleting and renaming are the house's.
        for r in [
            h.post(
                "/targets",
                &buyer_a,
                json!({ "name": "mine", "buyer_id": 1, "campaign_id": 1, "destination": "sip:a@b", "bid": "1.00" }),
            ),
            h.delete("/targets/1", &buyer_a),
            h.patch("/buyers/1", &buyer_a, json!({ "name": "renamed" })),
            h.post("/buyers", &buyer_a, json!({ "name": "mine" })),
            h.post("/lists/dnc/entries", &buyer_a, json!({ "number": "+12125551234" })),
            h.get("/lists/dnc/entries", &buyer_a),
        ] {
            assert_eq!(r.status, 403, "{}", r.body);
            assert_eq!(r.code(), "forbidden");
        }

        // A seller changes its own campaigns, numbers and trunks, not its pay.
        let c = h.patch(
            "/campaigns/1",
            &seller,
            json!({ "recording": false, "rtb_timeout_ms": 200 }),
        );
        assert_eq!(c.status, 200, "{}", c.body);
        assert_eq!(c.body["recording"], false);
        for body in [
            json!({ "payout": "9.00" }),
            json!({ "payout_share": "90%" }),
            json!({ "billable_after_ms": 0 }),
        ] {
            assert_eq!(h.patch("/campaigns/1", &seller, body).status, 403);
        }
        assert_eq!(h.get("/campaigns/1", &admin).body["payout"], "8.00");
        let n = h.post(
            "/campaigns/1/numbers",
            &seller,
            json!({ "number": "+18005550122" }),
        );
        assert_eq!(n.status, 201, "{}", n.body);
        assert_eq!(
            h.delete("/campaigns/1/numbers/+18005550122", &seller)
                .status,
            204
        );
        let t = h.put(
            "/sellers/1/trunks",
            &seller,
            json!({ "trunks": ["127.0.0.1", "192.0.2.5"] }),
        );
        assert_eq!(t.status, 200, "{}", t.body);
        // Claiming another seller's network is refused.
        let grab = h.put(
            "/sellers/1/trunks",
            &seller,
            json!({ "trunks": ["203.0.113.7"] }),
        );
        assert_eq!(grab.status, 409, "{}", grab.body);
        for r in [
            h.post(
                "/campaigns",
                &seller,
                json!({ "name": "mine", "seller_id": 1, "numbers": ["+18005550133"], "payout": "1.00" }),
            ),
            h.delete("/campaigns/1", &seller),
            h.post("/sellers", &seller, json!({ "name": "mine" })),
            h.patch("/sellers/1", &seller, json!({ "name": "mine" })),
            h.get("/lists/dnc/entries", &seller),
        ] {
            assert_eq!(r.status, 403, "{}", r.body);
        }
        // Without a valid token, nothing at all.
        for path in [
            "/sellers",
            "/buyers/1",
            "/campaigns",
            "/targets/1",
            "/lists/dnc/entries",
        ] {
            assert_eq!(h.get(path, "not-a-token").status, 401, "{path}");
        }
    }
}

#[test]
fn a_buyer_without_money_or_budget_cannot_raise_a_bid() {
    for db in backends() {
        let api = Api::start(&db, &NO_RATE_LIMIT);
        let h = http(&api);
        let admin = h.admin();
        let broke = h.post("/buyers", &admin, json!({ "name": "broke" }));
        let broke_id = broke.body["id"].as_i64().unwrap();
        let t = h.post(
            "/targets",
            &admin,
            json!({ "name": "broke-t", "buyer_id": broke_id, "campaign_id": 1,
                    "destination": "sip:b@192.0.2.9", "bid": "1.00" }),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        let target = t.body["id"].as_i64().unwrap();
        let token = h.user(&admin, "buyer", broke_id, "broke@buyer.example");

        let raise = h.put(
            &format!("/targets/{target}/bid"),
            &token,
            json!({ "bid": "2.00" }),
        );
        assert_eq!(raise.status, 402, "{}", raise.body);
        assert_eq!(raise.code(), "over_budget");
        let message = raise.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("balance is 0.00"), "{message}");
        let by_patch = h.patch(
            &format!("/targets/{target}"),
            &token,
            json!({ "bid": "1.50" }),
        );
        assert_eq!(by_patch.status, 402, "{}", by_patch.body);
        // Lowering is always allowed; the bid stays as it was after a 402.
        assert_eq!(
            h.get(&format!("/targets/{target}"), &token).body["bid"],
            "1.00"
        );
        let lower = h.put(
            &format!("/targets/{target}/bid"),
            &token,
            json!({ "bid": "0.50" }),
        );
        assert_eq!(lower.status, 200, "{}", lower.body);
        // The house may set any bid.
        assert_eq!(
            h.put(
                &format!("/targets/{target}/bid"),
                &admin,
                json!({ "bid": "3.00" })
            )
            .status,
            200
        );

        // A buyer with money, but a daily budget one call cannot fit in.
        let buyer_a = h.user(&admin, "buyer", 1, "a@buyer.example");
        let budget = h.patch("/targets/2", &buyer_a, json!({ "daily_budget": "11.50" }));
        assert_eq!(budget.status, 200, "{}", budget.body);
        let over = h.put("/targets/2/bid", &buyer_a, json!({ "bid": "12.00" }));
        assert_eq!(over.status, 402, "{}", over.body);
        assert!(over.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("daily budget of 11.50"));
        assert_eq!(
            h.put("/targets/2/bid", &buyer_a, json!({ "bid": "11.50" }))
                .status,
            200
        );
    }
}
