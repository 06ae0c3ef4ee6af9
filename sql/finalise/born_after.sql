-- Source records born after the reference date (census day): their person was not yet
-- born when the reference was taken, so no reference record can be them. $intake: the
-- source's intake table; {{ dob|sql }} its parsed date of birth (`_dob`, or a typed NULL
-- when the source maps none). A date intake found in the future was set to missing there
-- and is not here.
SELECT CAST(s.record_id AS VARCHAR) AS record_id
FROM read_parquet($intake) s
WHERE {{ dob|sql }} > CAST($reference_date AS DATE)
