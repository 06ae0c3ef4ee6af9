-- Residual source records (without a deterministic link) by profile: the atoms of the
-- prediction blocking rules whose column they carry, and their capped keys small enough.
SELECT {{ avail|sql }} AS avail, {{ caps|sql }} AS caps, count(*) AS n
FROM {{ src }} r
WHERE CAST(r.record_id AS VARCHAR) NOT IN (SELECT source_id FROM {{ det }})
GROUP BY 1, 2
