-- Source records with no link and not waiting in clerical review, with the reason: born
-- after the reference date (in {{ born }}: not linked automatically), else no match found.
SELECT s.record_id, s._row,
       CASE WHEN EXISTS (SELECT 1 FROM {{ born }} b
                         WHERE b.record_id = CAST(s.record_id AS VARCHAR))
            THEN 'born after the reference date' ELSE 'no match found' END AS reason
FROM read_parquet($intake) s
WHERE NOT EXISTS (SELECT 1 FROM __sl_linked l WHERE l.source_id = s.record_id)
  AND NOT EXISTS (SELECT 1 FROM __sl_review r WHERE r.source_id = s.record_id)
ORDER BY s._row
