-- How often each blocking key that the table `among` holds occurs on the reference side
-- (all records), kept as the key's columns (add_capped_key.sql joins them on those
-- columns: no key string made for every reference record, only for those that have a
-- counted key). cols: the key's columns; on: r.<c> = a.<c> for each; present: their
-- IS NOT NULL (unqualified: each side's own).
SELECT {{ r_cols|sql }}, count(*) AS n
FROM {{ ref }} r
SEMI JOIN (SELECT DISTINCT {{ cols|sql }} FROM {{ among }} WHERE {{ present|sql }}) a
    ON {{ on|sql }}
GROUP BY ALL
