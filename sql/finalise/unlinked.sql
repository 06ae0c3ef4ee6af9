-- Source records with no link and not waiting in clerical review.
SELECT s.record_id, s._row
FROM read_parquet($intake) s
WHERE NOT EXISTS (SELECT 1 FROM __sl_linked l WHERE l.source_id = s.record_id)
  AND NOT EXISTS (SELECT 1 FROM __sl_review r WHERE r.source_id = s.record_id)
ORDER BY s._row
