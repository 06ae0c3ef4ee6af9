-- Candidate quarantine rows from every check; first_problem.sql keeps one per row.
CREATE OR REPLACE TEMP TABLE {{ checks }} (
    _row BIGINT, record_id VARCHAR, field VARCHAR, reason VARCHAR, priority INTEGER
)
