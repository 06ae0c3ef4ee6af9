-- The nickname roots table (linkage_models/nickname_roots.csv: a nickname and up to three
-- names it is a nickname of) in comparison form, one row per nickname; an empty root is
-- NULL. names_canon.sql joins it to each distinct first name (a lookup: its row order does
-- not matter). Each distinct name of the file is cleaned once (the cleaning macro is the
-- cost).
WITH vals AS (
    SELECT DISTINCT v
    FROM (SELECT nickname AS v FROM {{ raw }} UNION ALL SELECT root1 FROM {{ raw }}
          UNION ALL SELECT root2 FROM {{ raw }} UNION ALL SELECT root3 FROM {{ raw }}) a
    WHERE v IS NOT NULL AND v <> ''
), clean AS (
    SELECT v, sl_clean_text(v) AS c FROM vals
)
SELECT k.c AS key,
       nullif(c1.c, '') AS root1,
       nullif(c2.c, '') AS root2,
       nullif(c3.c, '') AS root3
FROM {{ raw }} r
JOIN clean k ON k.v = r.nickname
LEFT JOIN clean c1 ON c1.v = r.root1
LEFT JOIN clean c2 ON c2.v = r.root2
LEFT JOIN clean c3 ON c3.v = r.root3
