-- Source records whose links new evidence changes: their deterministic links now (the
-- cascade's, `links`) are not the previous run's (links other than probabilistic, in
-- `previous`: a pair in one and not the other), or they were linked to a reference
-- record that is gone (not in `ref_ids`).
WITH old AS (SELECT CAST(source_id AS VARCHAR) AS s, CAST(reference_id AS VARCHAR) AS r
             FROM read_parquet($previous) WHERE method <> 'probabilistic'),
now AS (SELECT CAST(source_id AS VARCHAR) AS s, CAST(reference_id AS VARCHAR) AS r
        FROM {{ links }})
SELECT s AS source_id FROM (SELECT s, r FROM now EXCEPT SELECT s, r FROM old) a
UNION
SELECT s FROM (SELECT s, r FROM old EXCEPT SELECT s, r FROM now) b
UNION
SELECT CAST(source_id AS VARCHAR) FROM read_parquet($previous)
WHERE CAST(reference_id AS VARCHAR) NOT IN (SELECT CAST(record_id AS VARCHAR) FROM {{ ref_ids }})
