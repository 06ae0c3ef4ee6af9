-- One row per record of a standardised table: its id, each subgroup column as text
-- (NULL stays NULL) and the age in whole years at $reference_date (NULL without a date
-- of birth or when the date of birth is after it).
SELECT CAST(t.record_id AS VARCHAR) AS record_id,
       {{ columns|sql }},
       CASE WHEN t.dob IS NULL OR t.dob > CAST($reference_date AS DATE) THEN NULL
            ELSE date_sub('year', t.dob, CAST($reference_date AS DATE)) END AS _age
FROM {{ table }} t
