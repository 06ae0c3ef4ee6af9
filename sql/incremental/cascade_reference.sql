-- The reference records holding a key value of the closure at some cascade step: by their
-- hashed keys ({{ hashes }}: record_id, h0, h1, ..., as cascade_keys.sql hashes them),
-- a step's hash among that step's values. `holds`: per step i, `h<i> IN (SELECT h FROM
-- <values> WHERE step = i)`, joined by OR. Made a view: the cascade copies it into its
-- pool once.
SELECT *
FROM {{ table }}
WHERE CAST(record_id AS VARCHAR) IN (SELECT record_id FROM {{ hashes }} WHERE {{ holds|sql }})
