-- The cascade's links ($held false: those kept) without the pairs of a source record born
-- after the reference date ({{ born }}) and a reference record without a date of birth
-- ({{ undated }}): nothing tells a baby from an undated namesake relative. With $held: those
-- of the pairs an identifier made (direct:<id>), which go to clerical review, since the
-- identifier says one person and the date of birth says not yet born on census day.
SELECT l.*
FROM {{ links }} l
WHERE (EXISTS (SELECT 1 FROM {{ born }} b WHERE b.record_id = CAST(l.source_id AS VARCHAR))
       AND EXISTS (SELECT 1 FROM {{ undated }} u
                   WHERE u.record_id = CAST(l.reference_id AS VARCHAR))) = $held
  AND (NOT $held OR l.method LIKE 'direct:%')
