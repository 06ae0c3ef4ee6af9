-- Every distinct raw address of one source, not NULL: the input of addresses.sql, and of
-- the choice of its cleaning macro (standardise._cleaner, over these values rather than a
-- second pass over every record).
SELECT DISTINCT raw_address AS raw FROM {{ source }} WHERE raw_address IS NOT NULL
