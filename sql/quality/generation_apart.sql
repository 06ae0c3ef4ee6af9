-- Links whose two records' dates of birth are a generation apart (quality.generation_apart):
-- per link (`__i`, its row in {{ links }}) whose reference and source records both have a
-- date of birth that reads as a date (`dob_iso`, YYYY-MM-DD), those more than $days days
-- apart (the module's years times 365.25) and differing in more than one character (one
-- mistyped digit of the year, 1967 / 1987, is the typo the model's date levels weigh).
SELECT l.__i
FROM {{ links }} l
JOIN {{ ref }} r ON CAST(r.record_id AS VARCHAR) = l.reference_id
JOIN {{ src }} s ON CAST(s.record_id AS VARCHAR) = l.source_id
WHERE abs(date_diff('day', TRY_CAST(CAST(r.dob_iso AS VARCHAR) AS DATE),
                    TRY_CAST(CAST(s.dob_iso AS VARCHAR) AS DATE))) > $days
  AND levenshtein(CAST(r.dob_iso AS VARCHAR), CAST(s.dob_iso AS VARCHAR)) > 1
ORDER BY l.__i
