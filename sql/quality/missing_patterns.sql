-- How many residual source records (no deterministic link) lack each combination of
-- identifying fields.
SELECT {{ flags|sql }}, count(*) AS n
FROM {{ table }} t
WHERE t.record_id NOT IN (SELECT source_id FROM {{ links }})
GROUP BY ALL
ORDER BY ALL  -- a fixed order: the patterns are drawn from by a seeded generator
