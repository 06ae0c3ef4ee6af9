-- The cascade's links without those of a source record born after the reference date
-- ({{ born }}) and a reference record without a date of birth ({{ undated }}): the few such
-- links deleted from the links table, not the table rewritten without them (a copy of
-- every link, each tested against both lists: ~0.2 s at 1M).
DELETE FROM {{ links }}
WHERE CAST(source_id AS VARCHAR) IN (SELECT b.record_id FROM {{ born }} b)
  AND CAST(reference_id AS VARCHAR) IN (SELECT u.record_id FROM {{ undated }} u)
