-- Every distinct raw postcode of one source with its number of records and its compact
-- form (upper case, letters and digits only, NULL when empty): the format is inferred
-- from these counts (postcode_format.sql) and the output columns are worked out once per
-- value (postcode_parts.sql), not once per record. $digits (the job's postcode_digits,
-- 0 when not set): an all-digit compact form shorter than that lost its leading zeros
-- (an integer column: 01001 held as 1001) and is padded with zeros; raw keeps the value.
SELECT raw, n,
       CASE WHEN $digits > 0 AND length(compact) < $digits
                 AND regexp_full_match(compact, '[0-9]+')
            THEN lpad(compact, $digits, '0') ELSE compact END AS compact
FROM (SELECT raw, count(*) AS n, sl_postcode_compact(raw) AS compact
      FROM (SELECT raw_postcode AS raw FROM {{ source }} WHERE raw_postcode IS NOT NULL) p
      GROUP BY raw) c
