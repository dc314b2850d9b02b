-- Seeds N call records (default 100,000) into an SQLite database migrated
-- and imported with config/market.example.toml (seller 1; buyers 1 and 2;
-- campaign 1; targets 1 and 2 of buyer 1, 3 of buyer 2), for
-- scripts/load/api.sh. Run as:  sqlite3 dce.db < scripts/load/api_seed.sql
-- (the row count is set in the first CTE). The rows are what the switch
-- writes: three calls in four answered (two by buyer 1 at the first
-- attempt, one by buyer 2 after buyer 1 rejected), one in four rejected
-- by both; billable past 90 s; one call every 2 s ending now.
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE
  n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000),
  base(t0) AS (SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 100000 * 2000),
  c AS (
    SELECT i,
           t0 + i * 2000 AS arrived,
           CASE WHEN i % 4 = 0 THEN 0 WHEN i % 4 = 3 THEN 2 ELSE 1 END AS buyer,
           ((i * 7919) % 300) * 1000 AS dur
    FROM n, base
  )
INSERT INTO cdrs (id, seller_id, campaign_id, buyer_id, target_id, caller, dialed, attestation,
                  decision, attempts, timeline, price_minor, payout_fixed_minor, payout_share_bp,
                  billable_after_ms, duplicate, arrived_at, answered_at, last_seen_at, ended_at,
                  connected_ms, hangup_cause, hung_up_by, media_stats, status, billable,
                  charge_minor, payout_minor, margin_minor, rated_at)
SELECT printf('seed-%08d', i), 1, 1,
       CASE buyer WHEN 0 THEN NULL ELSE buyer END,
       CASE buyer WHEN 0 THEN NULL WHEN 1 THEN 1 ELSE 3 END,
       12125550000 + i % 10000, 18005550100, 'A',
       '{"ranked":[{"target":1,"buyer":1,"bid":"12.50"},{"target":3,"buyer":2,"bid":"9.75"}],"excluded":[{"target":2,"reason":"closed_by_schedule"}],"duplicate":false}',
       CASE buyer
         WHEN 1 THEN printf('[{"target":1,"started_at_ms":%d,"ended_at_ms":%d,"outcome":"answered"}]', arrived + 5, arrived + 3000 + dur)
         WHEN 2 THEN printf('[{"target":1,"started_at_ms":%d,"ended_at_ms":%d,"outcome":"rejected","status":486},{"target":3,"started_at_ms":%d,"ended_at_ms":%d,"outcome":"answered"}]', arrived + 5, arrived + 500, arrived + 505, arrived + 3000 + dur)
         ELSE printf('[{"target":1,"started_at_ms":%d,"ended_at_ms":%d,"outcome":"rejected","status":486},{"target":3,"started_at_ms":%d,"ended_at_ms":%d,"outcome":"rejected","status":503}]', arrived + 5, arrived + 500, arrived + 505, arrived + 900)
       END,
       CASE buyer
         WHEN 0 THEN printf('[{"at_ms":%d,"event":"arrived"},{"at_ms":%d,"event":"decided","ranked":2,"excluded":1},{"at_ms":%d,"event":"attempt_started","n":1,"target":1},{"at_ms":%d,"event":"attempt_failed","n":1,"status":486,"why":"busy"},{"at_ms":%d,"event":"attempt_started","n":2,"target":3},{"at_ms":%d,"event":"attempt_failed","n":2,"status":503,"why":"rejected"},{"at_ms":%d,"event":"ended","cause":"all_targets_failed"},{"at_ms":%d,"event":"rated","billable":false,"charge":"0.00"}]',
                            arrived, arrived + 1, arrived + 5, arrived + 500, arrived + 505, arrived + 900, arrived + 900, arrived + 901)
         ELSE printf('[{"at_ms":%d,"event":"arrived"},{"at_ms":%d,"event":"decided","ranked":2,"excluded":1},{"at_ms":%d,"event":"attempt_started","n":1,"target":%d},{"at_ms":%d,"event":"attempt_ringing","n":1},{"at_ms":%d,"event":"answered","n":1},{"at_ms":%d,"event":"ended","cause":"bye"},{"at_ms":%d,"event":"rated","billable":%s,"charge":"%s"}]',
                     arrived, arrived + 1, arrived + 5, CASE buyer WHEN 1 THEN 1 ELSE 3 END, arrived + 100, arrived + 3000, arrived + 3000 + dur, arrived + 3001 + dur,
                     CASE WHEN dur >= 90000 THEN 'true' ELSE 'false' END,
                     CASE WHEN dur < 90000 THEN '0.00' WHEN buyer = 1 THEN '12.50' ELSE '9.75' END)
       END,
       CASE buyer WHEN 0 THEN NULL WHEN 1 THEN 1250 ELSE 975 END,
       CASE buyer WHEN 0 THEN NULL ELSE 800 END,
       NULL,
       CASE buyer WHEN 0 THEN NULL ELSE 90000 END,
       CASE buyer WHEN 0 THEN NULL ELSE 0 END,
       arrived,
       CASE buyer WHEN 0 THEN NULL ELSE arrived + 3000 END,
       CASE buyer WHEN 0 THEN arrived + 900 ELSE arrived + 3000 + dur END,
       CASE buyer WHEN 0 THEN arrived + 900 ELSE arrived + 3000 + dur END,
       CASE buyer WHEN 0 THEN 0 ELSE dur END,
       CASE buyer WHEN 0 THEN 'all_targets_failed' ELSE 'bye' END,
       CASE buyer WHEN 0 THEN 'switch' ELSE 'caller' END,
       CASE buyer WHEN 0 THEN NULL ELSE '{"caller_to_buyer":{"packets":1500,"lost":2,"jitter_ms":1.5},"buyer_to_caller":{"packets":1498,"lost":0,"jitter_ms":0.9}}' END,
       'closed',
       CASE WHEN buyer <> 0 AND dur >= 90000 THEN 1 ELSE 0 END,
       CASE WHEN buyer = 0 OR dur < 90000 THEN 0 WHEN buyer = 1 THEN 1250 ELSE 975 END,
       CASE WHEN buyer = 0 OR dur < 90000 THEN 0 ELSE 800 END,
       CASE WHEN buyer = 0 OR dur < 90000 THEN 0 WHEN buyer = 1 THEN 450 ELSE 175 END,
       CASE buyer WHEN 0 THEN arrived + 901 ELSE arrived + 3001 + dur END
FROM c;
COMMIT;
