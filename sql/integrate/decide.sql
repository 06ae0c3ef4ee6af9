-- The integrated value of each unit and variable and why. Rule priority: the first source
-- (lowest prio) with a value; rule most_recent: the latest-dated value, ties by prio.
-- Status: missing / invalid_code (no value; some value was not in the code list),
-- single_source (one source has a value), agree (all values equal), otherwise
-- conflict_resolved_by_priority or most_recent.
CREATE OR REPLACE TABLE {{ decided }} AS
WITH stats AS (
    SELECT reference_id, variable, count(value) AS n_values,
           count(DISTINCT value) AS n_distinct, bool_or(invalid) AS any_invalid
    FROM {{ candidates }}
    GROUP BY reference_id, variable
),
ranked AS (
    SELECT c.*, row_number() OVER (
        PARTITION BY c.reference_id, c.variable
        ORDER BY c.value IS NULL,
                 CASE WHEN c.rule = 'most_recent' THEN c.rec_date END DESC NULLS LAST,
                 c.prio, c.source
    ) AS rn
    FROM {{ candidates }} AS c
)
SELECT
    r.reference_id,
    r.variable,
    r.rule,
    CASE WHEN s.n_values > 0 THEN r.source END AS source,
    CASE WHEN s.n_values > 0 THEN r.record_id END AS record_id,
    r.value,
    CASE
        WHEN s.n_values = 0 AND s.any_invalid THEN 'invalid_code'
        WHEN s.n_values = 0 THEN 'missing'
        WHEN s.n_values = 1 THEN 'single_source'
        WHEN s.n_distinct = 1 THEN 'agree'
        WHEN r.rule = 'most_recent' THEN 'most_recent'
        ELSE 'conflict_resolved_by_priority'
    END AS status,
    s.n_values,
    s.n_distinct
FROM ranked AS r
JOIN stats AS s ON s.reference_id = r.reference_id AND s.variable = r.variable
WHERE r.rn = 1
