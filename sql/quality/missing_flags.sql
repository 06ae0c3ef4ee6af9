-- Which identifying fields each sampled source record lacks itself.
SELECT CAST(t.record_id AS VARCHAR) AS record_id, {{ flags|sql }}
FROM {{ table }} t
WHERE CAST(t.record_id AS VARCHAR) IN (SELECT record_id FROM {{ sample }})
