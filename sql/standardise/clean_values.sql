-- The name-cleaning of names.sql over a list of values (position i, value v), in order:
-- the cleaning macro, then leading titles (name_titles.csv) dropped when another word
-- follows, then trailing suffixes (name_suffixes.csv) when another word comes before.
WITH untitled AS (
    SELECT i,
           CASE WHEN regexp_matches(sl_clean_text(v), {{ titles|sql }} || '[^ ]')
                THEN regexp_replace(sl_clean_text(v), {{ titles|sql }}, '', 'g')
                ELSE sl_clean_text(v) END AS clean
    FROM {{ values }}
)
SELECT i, regexp_replace(clean, {{ suffixes|sql }}, '', 'g') AS clean
FROM untitled
ORDER BY i
