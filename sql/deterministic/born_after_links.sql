-- The cascade's links of a source record born after the reference date ({{ born }}) and a
-- reference record without a date of birth ({{ undated }}): nothing tells a baby from an
-- undated namesake relative. Those an identifier made (direct:<id>) go to clerical review,
-- since the identifier says one person and the date of birth says not yet born on census
-- day; remove_born_after.sql takes all of them out of the links.
SELECT l.*
FROM {{ links }} l
WHERE CAST(l.source_id AS VARCHAR) IN (SELECT b.record_id FROM {{ born }} b)
  AND CAST(l.reference_id AS VARCHAR) IN (SELECT u.record_id FROM {{ undated }} u)
  AND l.method LIKE 'direct:%'
