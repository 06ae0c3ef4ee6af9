-- The nickname roots table (linkage_models/nickname_roots.csv: a nickname and up to three
-- names it is a nickname of) in comparison form, one row per nickname; an empty root is
-- NULL. names_canon.sql joins it to each distinct first name.
SELECT sl_clean_text(nickname) AS key,
       nullif(sl_clean_text(root1), '') AS root1,
       nullif(sl_clean_text(root2), '') AS root2,
       nullif(sl_clean_text(root3), '') AS root3
FROM {{ raw }}
WHERE nickname IS NOT NULL AND nickname <> ''
