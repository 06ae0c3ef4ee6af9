-- Source records with no link and no pair left in clerical review, after clerical
-- decisions were applied ($intake: the source's intake table), with the reason the link
-- stage gave a record it left unlinked ({{ reasons }}: born after the reference date, no
-- match found); a record review leaves unlinked: no match found.
SELECT s.record_id, s._row,
       COALESCE((SELECT u.reason FROM {{ reasons }} u
                 WHERE u.record_id = CAST(s.record_id AS VARCHAR)), 'no match found') AS reason
FROM read_parquet($intake) s
WHERE NOT EXISTS (SELECT 1 FROM __sl_rv_linked l WHERE l.source_id = s.record_id)
  AND NOT EXISTS (SELECT 1 FROM __sl_rv_band r WHERE r.source_id = s.record_id)
ORDER BY s._row
