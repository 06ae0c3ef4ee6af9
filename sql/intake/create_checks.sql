-- Findings of every check, one row per (row, check): first_problem.sql picks the row-level
-- ones that quarantine a row, flagged_values.sql the value-level ones that blank a value.
-- value_kind is the shape of the value (sl_intake_value_kind), never the value.
CREATE OR REPLACE TEMP TABLE {{ checks }} (
    _row BIGINT, record_id VARCHAR, field VARCHAR, reason VARCHAR, value_kind VARCHAR,
    priority INTEGER
)
