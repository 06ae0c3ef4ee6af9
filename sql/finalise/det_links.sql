-- The deterministic cascade's links in the links contract (spinelink.stages.link): no
-- match probability or weight.
SELECT CAST(reference_id AS VARCHAR) AS reference_id,
       CAST(source_id AS VARCHAR) AS source_id,
       CAST(method AS VARCHAR) AS method,
       CAST(NULL AS DOUBLE) AS match_probability,
       CAST(NULL AS DOUBLE) AS match_weight
FROM {{ table }}
