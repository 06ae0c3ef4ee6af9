-- Source records with no link and no pair left in clerical review, after clerical
-- decisions were applied ($intake: the source's intake table).
SELECT s.record_id, s._row
FROM read_parquet($intake) s
WHERE NOT EXISTS (SELECT 1 FROM __sl_rv_linked l WHERE l.source_id = s.record_id)
  AND NOT EXISTS (SELECT 1 FROM __sl_rv_band r WHERE r.source_id = s.record_id)
ORDER BY s._row
