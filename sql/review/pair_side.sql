-- One side of the clerical-review pairs: each record's linkage columns under its pair's
-- key as record_id, so Splink, blocking on record_id, compares exactly the band's pairs.
SELECT b.pair_key AS record_id, {{ columns|sql }}
FROM {{ band }} b
JOIN {{ records }} t ON t.record_id = b.{{ id_col }}
