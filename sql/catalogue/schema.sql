-- The catalogue of sources and deliveries (spinelink.catalogue.store). One row per source,
-- one per delivery of a source, its subgroup indicators and the flags raised against the
-- previous delivery of the same source.
CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR PRIMARY KEY, steward VARCHAR, legal_basis VARCHAR, agreement VARCHAR,
    description VARCHAR, first_recorded TIMESTAMP, last_recorded TIMESTAMP);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id VARCHAR PRIMARY KEY, source VARCHAR, number INTEGER, mode VARCHAR,
    scope VARCHAR, received DATE, recorded_at TIMESTAMP, job_name VARCHAR, output_dir VARCHAR,
    file_name VARCHAR, file_sha256 VARCHAR, rows_read BIGINT, accepted BIGINT,
    quarantined BIGINT, linked BIGINT, review BIGINT, unlinked BIGINT, link_rate DOUBLE,
    est_precision DOUBLE, est_recall DOUBLE, previous_id VARCHAR, flags INTEGER,
    changes VARCHAR, manifest_sha256 VARCHAR, state_rows BIGINT, state_accepted BIGINT,
    state_quarantined BIGINT);
-- rows_read / accepted / quarantined: the delivered file's; state_*: the records the run
-- read and linked (an added delivery merged with the previous state; else the same)
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS state_rows BIGINT;
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS state_accepted BIGINT;
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS state_quarantined BIGINT;
CREATE TABLE IF NOT EXISTS indicators (
    delivery_id VARCHAR, source VARCHAR, variable VARCHAR, value VARCHAR,
    n_reference BIGINT, n_linked BIGINT, link_rate DOUBLE, link_rate_low DOUBLE,
    link_rate_high DOUBLE, est_precision DOUBLE, est_precision_low DOUBLE,
    est_precision_high DOUBLE, est_recall DOUBLE, est_recall_low DOUBLE,
    est_recall_high DOUBLE);
CREATE TABLE IF NOT EXISTS flags (
    delivery_id VARCHAR, source VARCHAR, previous_id VARCHAR, variable VARCHAR,
    value VARCHAR, indicator VARCHAR, previous DOUBLE, previous_low DOUBLE,
    previous_high DOUBLE, current DOUBLE, current_low DOUBLE, current_high DOUBLE);
