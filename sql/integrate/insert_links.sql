-- The accepted links of one source, with the source's name.
INSERT INTO {{ links }}
SELECT $source, l.reference_id, l.source_id, l.method, l.match_probability
FROM {{ source_links }} AS l
