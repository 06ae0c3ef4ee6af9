-- The nickname roots table (linkage_models/nickname_roots.csv: a nickname and up to three
-- names it is a nickname of) in comparison form, one row per nickname; an empty root is
-- NULL. names_canon.sql joins it to each distinct first name (a lookup); ordered, as it
-- is saved (spinelink.nickname_tables). {{ clean }} is nickname_roots_clean.sql's result
-- (each name cleaned once).
SELECT k.c AS key,
       nullif(c1.c, '') AS root1,
       nullif(c2.c, '') AS root2,
       nullif(c3.c, '') AS root3
FROM {{ raw }} r
JOIN {{ clean }} k ON k.v = r.nickname
LEFT JOIN {{ clean }} c1 ON c1.v = r.root1
LEFT JOIN {{ clean }} c2 ON c2.v = r.root2
LEFT JOIN {{ clean }} c3 ON c3.v = r.root3
ORDER BY key, root1, root2, root3
