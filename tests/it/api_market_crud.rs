//! The market resources as an admin sees them: create, read, list (filters,
//! sorts, cursors), change and delete sellers, trunks, buyers, campaigns,
//! numbers and targets; number lists and their CSV upload; every
//! validation error naming its field; every change audited.

use crate::api_market_support::*;
use crate::api_support::Api;
use crate::pg::backends;
use serde_json::json;

#[test]
fn an_admin_creates_changes_lists_and_deletes_every_market_object() {
    for db in backends() {
        let api = Api::start(&db, &NO_RATE_LIMIT);
        let h = http(&api);
        let admin = h.admin();
        let spec = api.get("/openapi.json", None).body.to_string();
        for path in [
            "/api/v1/sellers/{id}/trunks",
            "/api/v1/buyers/{id}",
            "/api/v1/campaigns/{id}/numbers/{number}",
            "/api/v1/targets/{id}/bid",
            "/api/v1/lists/{list}/entries/import",
        ] {
            assert!(spec.contains(path), "{path} is not in the OpenAPI document");
        }

        // Sellers and trunks.
        let s = h.post(
            "/sellers",
            &admin,
            json!({ "name": "beta-leads", "trunks": ["192.0.2.77/24", "198.51.100.7"] }),
        );
        assert_eq!(s.status, 201, "{}", s.body);
        assert_eq!(s.body["trunks"], json!(["192.0.2.0/24", "198.51.100.7/32"]));
        let seller = s.body["id"].as_i64().unwrap();
        let renamed = h.patch(
            &format!("/sellers/{seller}"),
            &admin,
            json!({ "name": "beta" }),
        );
        assert_eq!(renamed.body["name"], "beta", "{}", renamed.body);
        let trunks = h.put(
            &format!("/sellers/{seller}/trunks"),
            &admin,
            json!({ "trunks": ["203.0.113.9"] }),
        );
        assert_eq!(trunks.body, json!({ "trunks": ["203.0.113.9/32"] }));
        // acme-leads sends from 127.0.0.1: an overlapping trunk is refused.
        let overlap = h.put(
            &format!("/sellers/{seller}/trunks"),
            &admin,
            json!({ "trunks": ["203.0.113.9", "127.0.0.0/8"] }),
        );
        assert_eq!(overlap.status, 409, "{}", overlap.body);
        assert_eq!(overlap.field(), "trunks[1]");
        assert_eq!(ids(&h.get("/sellers?sort=-name", &admin)), [seller, 1]);
        assert_eq!(ids(&h.get("/sellers?name=beta", &admin)), [seller]);

        // Buyers: the balance starts at zero and is not writable here.
        let b = h.post("/buyers", &admin, json!({ "name": "cc-new" }));
        assert_eq!(b.status, 201, "{}", b.body);
        assert_eq!(b.body["balance"], "0.00");
        let buyer = b.body["id"].as_i64().unwrap();
        assert_invalid(
            &h.patch(
                &format!("/buyers/{buyer}"),
                &admin,
                json!({ "balance": "100.00" }),
            ),
            "balance",
        );
        assert_eq!(ids(&h.get("/buyers?sort=-balance", &admin)), [1, 2, buyer]);
        assert_eq!(h.get("/buyers/1", &admin).body["balance"], "500.00");

        // Campaigns and numbers.
        let c = h.post(
            "/campaigns",
            &admin,
            json!({
                "name": "solar", "seller_id": seller, "numbers": ["+18005550199"],
                "payout_share": "40%", "billable_after_ms": 60000, "dedupe_window_ms": 3600000,
                "duplicate_policy": "route_unbilled", "media": "bypass", "min_attestation": "B",
                "ranking": "priority_weighted", "rtb_timeout_ms": 250, "tags": { "vertical": "solar" },
                "require_consent": true, "recording": true
            }),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        let campaign = c.body["id"].as_i64().unwrap();
        assert_eq!(c.body["payout"], json!(null));
        assert_eq!(c.body["payout_share"], "40%");
        assert_eq!(c.body["media"], "bypass");
        assert_eq!(c.body["min_attestation"], "B");
        assert_eq!(c.body["numbers"], json!(["+18005550199"]));
        let changed = h.patch(
            &format!("/campaigns/{campaign}"),
            &admin,
            json!({ "payout": "7.50", "enabled": false, "dedupe_window_ms": null, "min_attestation": null }),
        );
        assert_eq!(changed.status, 200, "{}", changed.body);
        assert_eq!(changed.body["payout"], "7.50");
        assert_eq!(changed.body["payout_share"], json!(null));
        assert_eq!(changed.body["dedupe_window_ms"], json!(null));
        assert_eq!(changed.body["enabled"], false);
        assert_eq!(changed.body["ranking"], "priority_weighted");
        let numbers = format!("/campaigns/{campaign}/numbers");
        assert_eq!(
            h.post(&numbers, &admin, json!({ "number": "+18005550198" }))
                .status,
            201
        );
        let taken = h.post(&numbers, &admin, json!({ "number": "+18005550100" }));
        assert_eq!(taken.status, 409, "{}", taken.body);
        assert_eq!(taken.field(), "number");
        let page = h.get(&format!("{numbers}?limit=1"), &admin);
        assert_eq!(page.body["items"][0]["number"], "+18005550198");
        let next = page.body["next_cursor"].as_str().unwrap();
        let rest = h.get(&format!("{numbers}?limit=1&cursor={next}"), &admin);
        assert_eq!(rest.body["items"][0]["number"], "+18005550199");
        assert_eq!(
            h.delete(&format!("{numbers}/+18005550198"), &admin).status,
            204
        );
        assert_eq!(
            h.delete(&format!("{numbers}/+18005550198"), &admin).status,
            404
        );
        assert_eq!(
            ids(&h.get(&format!("/campaigns?seller_id={seller}"), &admin)),
            [campaign]
        );
        assert_eq!(ids(&h.get("/campaigns?enabled=false", &admin)), [campaign]);
        assert_eq!(ids(&h.get("/campaigns?sort=-id", &admin)), [campaign, 1]);

        // Targets and bids.
        let t = h.post(
            "/targets",
            &admin,
            json!({
                "name": "cc-new-solar", "buyer_id": buyer, "campaign_id": campaign,
                "destination": "sip:solar@192.0.2.30", "bid": "3.00", "concurrency": 2,
                "caps": { "hourly": 5, "daily": 20 }, "daily_budget": "50.00",
                "schedule": { "tz": "America/Chicago", "open": "Mon-Fri 09:00-17:00" },
                "states": ["tx", "OK"], "area_codes": [214], "ring_timeout_ms": 15000
            }),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        let target = t.body["id"].as_i64().unwrap();
        assert_eq!(t.body["states"], json!(["TX", "OK"]));
        assert_eq!(
            t.body["caps"],
            json!({ "hourly": 5, "daily": 20, "monthly": null })
        );
        let patched = h.patch(
            &format!("/targets/{target}"),
            &admin,
            json!({ "caps": { "monthly": 100 }, "schedule": null, "concurrency": null, "priority": 3 }),
        );
        assert_eq!(patched.status, 200, "{}", patched.body);
        assert_eq!(patched.body["schedule"], json!(null));
        assert_eq!(patched.body["caps"]["monthly"], 100);
        assert_eq!(patched.body["priority"], 3);
        let bid = h.put(
            &format!("/targets/{target}/bid"),
            &admin,
            json!({ "bid": "4.25" }),
        );
        assert_eq!(bid.status, 200, "{}", bid.body);
        assert_eq!(bid.body["bid"], "4.25");
        assert_eq!(
            ids(&h.get(&format!("/targets?campaign_id={campaign}"), &admin)),
            [target]
        );
        assert_eq!(
            ids(&h.get("/targets?campaign_id=1&sort=-bid", &admin)),
            [1, 2, 3]
        );
        assert_eq!(ids(&h.get("/targets?buyer_id=1&sort=bid", &admin)), [2, 1]);
        // Pages of a sorted list follow their cursor.
        let first = h.get("/targets?campaign_id=1&sort=-bid&limit=2", &admin);
        assert_eq!(ids(&first), [1, 2]);
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = h.get(
            &format!("/targets?campaign_id=1&sort=-bid&limit=2&cursor={cursor}"),
            &admin,
        );
        assert_eq!(ids(&second), [3]);
        assert_eq!(second.body["next_cursor"], json!(null));
        let by_name = h.get("/targets?sort=-name&limit=2", &admin);
        assert_eq!(ids(&by_name), [target, 3]);
        let cursor = by_name.body["next_cursor"].as_str().unwrap();
        let rest = h.get(
            &format!("/targets?sort=-name&limit=2&cursor={cursor}"),
            &admin,
        );
        assert_eq!(ids(&rest), [2, 1]);

        // Deleting: what is in use first answers 409.
        let busy = h.delete(&format!("/campaigns/{campaign}"), &admin);
        assert_eq!(busy.status, 409, "{}", busy.body);
        assert_eq!(h.delete(&format!("/buyers/{buyer}"), &admin).status, 409);
        assert_eq!(h.delete(&format!("/targets/{target}"), &admin).status, 204);
        assert_eq!(
            h.delete(&format!("/campaigns/{campaign}"), &admin).status,
            204
        );
        assert_eq!(h.delete(&format!("/buyers/{buyer}"), &admin).status, 204);
        assert_eq!(h.delete(&format!("/sellers/{seller}"), &admin).status, 204);
        for path in [
            format!("/targets/{target}"),
            format!("/campaigns/{campaign}"),
            format!("/buyers/{buyer}"),
            format!("/sellers/{seller}"),
        ] {
            assert_eq!(h.get(&path, &admin).status, 404, "{path}");
        }
        // The imported buyers hold money: never deleted.
        assert_eq!(h.delete("/buyers/2", &admin).status, 409);

        // Every change is in the audit log, with before and after.
        let audit = h.get("/audit?object_type=target", &admin);
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "target.delete",
                "target.bid",
                "target.update",
                "target.create"
            ]
        );
        let bid_record = &audit.body["items"][1];
        assert_eq!(bid_record["before"]["bid"], "3.00");
        assert_eq!(bid_record["after"]["bid"], "4.25");
        for object in ["seller", "buyer", "campaign"] {
            let r = h.get(&format!("/audit?object_type={object}"), &admin);
            let n = r.body["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: {}", r.status, r.body))
                .len();
            assert!(n >= 2, "{object}: {n} records");
        }
    }
}

#[test]
fn validation_errors_name_the_field() {
    for db in backends() {
        let api = Api::start(&db, &NO_RATE_LIMIT);
        let h = http(&api);
        let admin = h.admin();
        let campaign = |extra: serde_json::Value| {
            let mut body = json!({ "name": "c2", "seller_id": 1, "numbers": ["+18005550177"], "payout": "1.00" });
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    body.as_object_mut().unwrap().remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            h.post("/campaigns", &admin, body)
        };
        assert_invalid(&campaign(json!({ "payout": null })), "payout");
        assert_invalid(&campaign(json!({ "payout": "8.001" })), "payout");
        assert_invalid(&campaign(json!({ "payout_share": "40%" })), "payout_share");
        assert_invalid(
            &campaign(json!({ "payout": null, "payout_share": "101%" })),
            "payout_share",
        );
        assert_invalid(
            &campaign(json!({ "numbers": ["8005550100"] })),
            "numbers[0]",
        );
        assert_invalid(&campaign(json!({ "numbers": [] })), "numbers");
        assert_invalid(&campaign(json!({ "ranking": "cheapest" })), "ranking");
        assert_invalid(&campaign(json!({ "media": "tunnel" })), "media");
        assert_invalid(
            &campaign(json!({ "rtb_timeout_ms": 6000 })),
            "rtb_timeout_ms",
        );
        assert_invalid(&campaign(json!({ "seller_id": 999 })), "seller_id");
        assert_invalid(&campaign(json!({ "colour": "red" })), "colour");
        assert_invalid(&campaign(json!({ "name": "  " })), "name");

        let target = |extra: serde_json::Value| {
            let mut body = json!({ "name": "t9", "buyer_id": 1, "campaign_id": 1,
                "destination": "sip:x@192.0.2.1", "bid": "1.00" });
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    body.as_object_mut().unwrap().remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            h.post("/targets", &admin, body)
        };
        assert_invalid(
            &target(json!({ "destination": "http://example.com" })),
            "destination",
        );
        assert_invalid(&target(json!({ "bid": "-1.00" })), "bid");
        assert_invalid(&target(json!({ "bid": null })), "bid");
        assert_invalid(
            &target(json!({ "schedule": { "tz": "Mars/Base", "open": "24/7" } })),
            "schedule.tz",
        );
        assert_invalid(
            &target(json!({ "schedule": { "tz": "UTC", "open": "weekdays" } })),
            "schedule.open",
        );
        assert_invalid(&target(json!({ "states": ["NY", "ZZ"] })), "states[1]");
        assert_invalid(&target(json!({ "area_codes": [555] })), "area_codes[0]");
        assert_invalid(&target(json!({ "concurrency": 0 })), "concurrency");
        assert_invalid(&target(json!({ "priority": -1 })), "priority");
        assert_invalid(&target(json!({ "ring_timeout_ms": 0 })), "ring_timeout_ms");
        assert_invalid(&target(json!({ "rtb_url": "ftp://x" })), "rtb_url");
        assert_invalid(&target(json!({ "daily_budget": "lots" })), "daily_budget");
        assert_invalid(&target(json!({ "caps": { "hourly": -1 } })), "caps.hourly");
        assert_invalid(&target(json!({ "campaign_id": 999 })), "campaign_id");
        // With an RTB endpoint the bid may be left out.
        assert_eq!(
            target(json!({ "bid": null, "rtb_url": "http://127.0.0.1:9/bid" })).status,
            201
        );

        assert_invalid(
            &h.put("/targets/1/bid", &admin, json!({ "bid": "abc" })),
            "bid",
        );
        assert_invalid(
            &h.put("/targets/1/bid", &admin, json!({ "bid": "1", "x": 1 })),
            "x",
        );
        assert_invalid(
            &h.patch("/targets/1", &admin, json!({ "buyer_id": 2 })),
            "buyer_id",
        );
        assert_invalid(
            &h.put(
                "/sellers/1/trunks",
                &admin,
                json!({ "trunks": ["10.0.0.300"] }),
            ),
            "trunks[0]",
        );
        assert_invalid(&h.post("/sellers", &admin, json!({ "name": "" })), "name");
        assert_invalid(&h.get("/targets?sort=price", &admin), "sort");
        assert_invalid(&h.get("/targets?colour=red", &admin), "colour");
        assert_invalid(
            &h.post(
                "/lists/dnc/entries",
                &admin,
                json!({ "number": "2125551234" }),
            ),
            "number",
        );
        // Nothing invalid was written: the target list is as imported plus one.
        assert_eq!(ids(&h.get("/targets", &admin)).len(), 4);
        let dup = target(json!({ "name": "cc-a-east" }));
        assert_eq!(dup.status, 409, "{}", dup.body);
        assert_eq!(dup.field(), "name");
    }
}

#[test]
fn number_lists_take_single_numbers_and_csv_uploads_naming_bad_lines() {
    for db in backends() {
        let api = Api::start(&db, &NO_RATE_LIMIT);
        let h = http(&api);
        let admin = h.admin();

        let added = h.post(
            "/lists/dnc/entries",
            &admin,
            json!({ "number": "+12125551234" }),
        );
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(added.body["number"], "+12125551234");
        assert_eq!(
            h.post(
                "/lists/dnc/entries",
                &admin,
                json!({ "number": "+12125551234" })
            )
            .status,
            409
        );
        assert_eq!(h.get("/lists/dnc/entries/+12125551234", &admin).status, 200);
        assert_eq!(
            h.get("/lists/litigator/entries/+12125551234", &admin)
                .status,
            404
        );
        assert_eq!(h.get("/lists/nope/entries", &admin).status, 404);
        assert_eq!(
            h.delete("/lists/dnc/entries/+12125551234", &admin).status,
            204
        );
        assert_eq!(
            h.delete("/lists/dnc/entries/+12125551234", &admin).status,
            404
        );

        // One bad line refuses the whole upload and names the line.
        let csv =
            "phone,name\n+12125550001,a\n(310) 555-0002,b\n# a comment\nbogus,c\n+1212555000x\n";
        let refused = h.csv("/lists/suppression/entries/import", &admin, csv);
        assert_invalid(&refused, "line 5");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("line 5") && message.contains("line 6"),
            "{message}"
        );
        assert_eq!(ids_of_list(&h, &admin, "suppression"), Vec::<String>::new());

        // skip_invalid adds the good lines and reports the bad.
        let report = h.csv(
            "/lists/suppression/entries/import?skip_invalid=true",
            &admin,
            csv,
        );
        assert_eq!(report.status, 200, "{}", report.body);
        assert_eq!(report.body["read"], 2);
        assert_eq!(report.body["added"], 2);
        let lines: Vec<i64> = report.body["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["line"].as_i64().unwrap())
            .collect();
        assert_eq!(lines, [5, 6]);
        assert_eq!(
            ids_of_list(&h, &admin, "suppression"),
            ["+12125550001", "+13105550002"]
        );
        let wrong_type = h.post("/lists/dnc/entries/import", &admin, json!({ "a": 1 }));
        assert_eq!(wrong_type.status, 415);

        let audit = h.get("/audit?object_type=list", &admin);
        assert_eq!(audit.body["items"][0]["action"], "list.import");
        assert_eq!(audit.body["items"][0]["after"]["added"], 2);
    }
}

fn ids_of_list(h: &Http, token: &str, list: &str) -> Vec<String> {
    let r = h.get(&format!("/lists/{list}/entries"), token);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap().to_string())
        .collect()
}
