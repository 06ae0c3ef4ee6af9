-- Every distinct raw postcode of one source with its number of records and its compact
-- form (upper case, letters and digits only, NULL when empty): the format is inferred
-- from these counts (postcode_format.sql) and the output columns are worked out once per
-- value (postcode_parts.sql), not once per record.
SELECT raw, count(*) AS n, sl_postcode_compact(raw) AS compact
FROM (SELECT raw_postcode AS raw FROM {{ source }} WHERE raw_postcode IS NOT NULL) p
GROUP BY raw
