-- The management API's calls, reports and ledger listings: the indexes
-- their filters and keyset pages use, and which buyers each call was
-- offered to. Lists are ordered by (arrived_at, id) descending.

CREATE INDEX cdrs_arrived_id ON cdrs (arrived_at, id);
CREATE INDEX cdrs_campaign_arrived ON cdrs (campaign_id, arrived_at, id);
CREATE INDEX cdrs_seller_arrived ON cdrs (seller_id, arrived_at, id);
CREATE INDEX cdrs_buyer_arrived ON cdrs (buyer_id, arrived_at, id);

-- The buyers one of whose targets was attempted on a call: who may see it
-- (docs/api.md, "Calls, money, reports, events"). Kept by the trigger
-- below from the CDR's decision (target -> buyer) and attempts (targets
-- tried), whatever writes the CDR (the switch, a spool replay, a recovery).
CREATE TABLE cdr_attempted_buyers (
    buyer_id   BIGINT NOT NULL,
    arrived_at BIGINT NOT NULL,
    cdr_id     TEXT NOT NULL,
    PRIMARY KEY (buyer_id, cdr_id)
);
CREATE INDEX cdr_attempted_buyers_page ON cdr_attempted_buyers (buyer_id, arrived_at, cdr_id);

CREATE FUNCTION cdr_attempted_buyers_sync() RETURNS trigger AS $$
BEGIN
    INSERT INTO cdr_attempted_buyers (buyer_id, arrived_at, cdr_id)
    SELECT DISTINCT (r->>'buyer')::BIGINT, NEW.arrived_at, NEW.id
    FROM jsonb_array_elements(NEW.decision::jsonb -> 'ranked') AS r
    WHERE r -> 'target' IN
        (SELECT a -> 'target' FROM jsonb_array_elements(NEW.attempts::jsonb) AS a)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER cdrs_attempted_buyers AFTER INSERT OR UPDATE OF attempts ON cdrs
    FOR EACH ROW EXECUTE FUNCTION cdr_attempted_buyers_sync();

INSERT INTO cdr_attempted_buyers (buyer_id, arrived_at, cdr_id)
SELECT DISTINCT (r->>'buyer')::BIGINT, c.arrived_at, c.id
FROM cdrs AS c, jsonb_array_elements(c.decision::jsonb -> 'ranked') AS r
WHERE r -> 'target' IN
    (SELECT a -> 'target' FROM jsonb_array_elements(c.attempts::jsonb) AS a)
ON CONFLICT DO NOTHING;

-- Postings newest first, per account.
CREATE INDEX ledger_postings_account_tx ON ledger_postings (account, transaction_id);
