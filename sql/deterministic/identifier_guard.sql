-- A direct identifier links two records only where they could be one person: their first
-- names are forms of one name (finalise/first_name_forms.sql), or their dates of birth
-- are close (the same, day and month swapped, or two of year, month and day equal), or
-- one of the two fields is missing on a side. An identifier shared within a household or
-- mistyped into another person's (a daughter's claim under her father's number) links
-- records that agree on neither; they stay in the pools for the next steps, where the
-- identifier still counts in the model's comparison. {{ ref_pool }} and {{ src_pool }}
-- are the standardised tables (a pool holds only the cascade's key columns); the links
-- are between records still in the pools.
SELECT k.reference_id, k.source_id, k.method
FROM ({{ links|sql }}) k
JOIN {{ ref_pool }} r ON r.record_id = k.reference_id
JOIN {{ src_pool }} s ON s.record_id = k.source_id
WHERE s.first_name IS NULL OR r.first_name IS NULL OR {{ forms|sql }}
   OR s.dob_iso IS NULL OR r.dob_iso IS NULL
   OR s.dob_iso = r.dob_iso OR s.dob_iso = r.dob_swapped
   OR (CASE WHEN s.dob_year = r.dob_year THEN 1 ELSE 0 END
       + CASE WHEN s.dob_month = r.dob_month THEN 1 ELSE 0 END
       + CASE WHEN s.dob_day = r.dob_day THEN 1 ELSE 0 END) >= 2
