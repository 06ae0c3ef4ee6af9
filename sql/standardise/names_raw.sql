-- Every distinct raw name of one source (first, middle and last together), not NULL: the
-- input of names.sql, and of the choice of its cleaning macro (standardise._cleaner, over
-- these values rather than a second pass over every record).
SELECT raw
FROM (
    SELECT raw_first_name AS raw FROM {{ source }}
    UNION
    SELECT raw_middle_name AS raw FROM {{ source }}
    UNION
    SELECT raw_last_name AS raw FROM {{ source }}
) r
WHERE raw IS NOT NULL
