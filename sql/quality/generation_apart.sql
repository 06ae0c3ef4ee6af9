-- Links whose two records' dates of birth both read as dates (quality.generation_apart):
-- per link (`__i`, its row in {{ links }}) whose reference and source records both have a
-- date of birth (`dob_iso`, YYYY-MM-DD) differing in more than one character (one
-- mistyped digit of the year, 1967 / 1987, is the typo the model's date levels weigh), the
-- years between them (days / 365.25).
SELECT l.__i,
       abs(date_diff('day', TRY_CAST(CAST(r.dob_iso AS VARCHAR) AS DATE),
                     TRY_CAST(CAST(s.dob_iso AS VARCHAR) AS DATE))) / 365.25 AS years
FROM {{ links }} l
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = l.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
WHERE TRY_CAST(CAST(r.dob_iso AS VARCHAR) AS DATE) IS NOT NULL
  AND TRY_CAST(CAST(s.dob_iso AS VARCHAR) AS DATE) IS NOT NULL
  AND levenshtein(CAST(r.dob_iso AS VARCHAR), CAST(s.dob_iso AS VARCHAR)) > 1
ORDER BY l.__i
