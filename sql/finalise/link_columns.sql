-- The links / review contract with its types, whatever the frame held (an empty one
-- included): reference_id, source_id, method VARCHAR; match_probability, match_weight
-- DOUBLE.
SELECT CAST(reference_id AS VARCHAR) AS reference_id,
       CAST(source_id AS VARCHAR) AS source_id,
       CAST(method AS VARCHAR) AS method,
       CAST(match_probability AS DOUBLE) AS match_probability,
       CAST(match_weight AS DOUBLE) AS match_weight
FROM {{ table }}
