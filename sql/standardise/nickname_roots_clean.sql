-- The comparison form of every distinct name in the nickname roots table
-- (linkage_models/nickname_roots.csv: nicknames and roots together), each cleaned once (the
-- cleaning macro is the cost). Registered, then joined four times by nickname_roots.sql:
-- joining this query as a CTE would clean every name once per join.
WITH vals AS (
    SELECT DISTINCT v
    FROM (SELECT nickname AS v FROM {{ raw }} UNION ALL SELECT root1 FROM {{ raw }}
          UNION ALL SELECT root2 FROM {{ raw }} UNION ALL SELECT root3 FROM {{ raw }}) a
    WHERE v IS NOT NULL AND v <> ''
)
SELECT v, sl_clean_text(v) AS c FROM vals
