-- The name-cleaning of names.sql over a list of values (position i, value v), in order:
-- the cleaning macro, then leading titles (name_titles.csv) dropped when another word
-- follows.
SELECT i,
       CASE WHEN regexp_matches(sl_clean_text(v), {{ titles|sql }} || '[^ ]')
            THEN regexp_replace(sl_clean_text(v), {{ titles|sql }}, '', 'g')
            ELSE sl_clean_text(v) END AS clean
FROM {{ values }}
ORDER BY i
