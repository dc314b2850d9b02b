-- Per-campaign media anchoring: 'relay' (SDP rewritten to DCE's relay)
-- or 'bypass' (signalling only).
ALTER TABLE campaigns ADD COLUMN media TEXT NOT NULL DEFAULT 'relay';
