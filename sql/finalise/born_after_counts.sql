-- The records born after the reference date ({{ born }}): how many, and how many of them
-- are linked (to a dated reference record), wait in review (an identifier link held, or
-- Splink's band) or are unlinked.
SELECT count(*) AS records,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {{ linked }} l
                                      WHERE CAST(l.source_id AS VARCHAR) = b.record_id)) AS linked,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {{ review }} r
                                      WHERE CAST(r.source_id AS VARCHAR) = b.record_id)) AS review,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM {{ review }} r
                                          WHERE CAST(r.source_id AS VARCHAR) = b.record_id)
                          AND NOT EXISTS (SELECT 1 FROM {{ linked }} l
                                          WHERE CAST(l.source_id AS VARCHAR) = b.record_id)) AS unlinked
FROM {{ born }} b
