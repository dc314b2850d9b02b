-- The management API's calls, reports and ledger listings: the indexes
-- their filters and keyset pages use, and which buyers each call was
-- offered to. Lists are ordered by (arrived_at, id) descending.

CREATE INDEX cdrs_arrived_id ON cdrs (arrived_at, id);
CREATE INDEX cdrs_campaign_arrived ON cdrs (campaign_id, arrived_at, id);
CREATE INDEX cdrs_seller_arrived ON cdrs (seller_id, arrived_at, id);
CREATE INDEX cdrs_buyer_arrived ON cdrs (buyer_id, arrived_at, id);

-- The buyers one of whose targets was attempted on a call: who may see it
-- (docs/api.md, "Calls, money, reports, events"). Kept by the triggers
-- below from the CDR's decision (target -> buyer) and attempts (targets
-- tried), whatever writes the CDR (the switch, a spool replay, a recovery).
CREATE TABLE cdr_attempted_buyers (
    buyer_id   INTEGER NOT NULL,
    arrived_at INTEGER NOT NULL,
    cdr_id     TEXT NOT NULL,
    PRIMARY KEY (buyer_id, cdr_id)
);
CREATE INDEX cdr_attempted_buyers_page ON cdr_attempted_buyers (buyer_id, arrived_at, cdr_id);

CREATE TRIGGER cdrs_attempted_buyers_insert AFTER INSERT ON cdrs
BEGIN
    INSERT OR IGNORE INTO cdr_attempted_buyers (buyer_id, arrived_at, cdr_id)
    SELECT DISTINCT json_extract(r.value, '$.buyer'), NEW.arrived_at, NEW.id
    FROM json_each(NEW.decision, '$.ranked') AS r
    WHERE json_extract(r.value, '$.target') IN
        (SELECT json_extract(a.value, '$.target') FROM json_each(NEW.attempts) AS a);
END;

CREATE TRIGGER cdrs_attempted_buyers_update AFTER UPDATE OF attempts ON cdrs
BEGIN
    INSERT OR IGNORE INTO cdr_attempted_buyers (buyer_id, arrived_at, cdr_id)
    SELECT DISTINCT json_extract(r.value, '$.buyer'), NEW.arrived_at, NEW.id
    FROM json_each(NEW.decision, '$.ranked') AS r
    WHERE json_extract(r.value, '$.target') IN
        (SELECT json_extract(a.value, '$.target') FROM json_each(NEW.attempts) AS a);
END;

INSERT OR IGNORE INTO cdr_attempted_buyers (buyer_id, arrived_at, cdr_id)
SELECT DISTINCT json_extract(r.value, '$.buyer'), c.arrived_at, c.id
FROM cdrs AS c, json_each(c.decision, '$.ranked') AS r
WHERE json_extract(r.value, '$.target') IN
    (SELECT json_extract(a.value, '$.target') FROM json_each(c.attempts) AS a);

-- Postings newest first, per account.
CREATE INDEX ledger_postings_account_tx ON ledger_postings (account, transaction_id);
