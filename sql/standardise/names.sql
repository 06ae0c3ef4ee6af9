-- Every distinct raw name (first, middle and last together) with its comparison form,
-- split at its first space: head is the first word, tail the rest (NULL for a one-word
-- name). Cleaning distinct values only keeps the cost independent of how often a name
-- repeats. The romanisation keys are added over this table once it is registered
-- (names_rom.sql): a separate query keeps each expression shallow enough for Spark.
-- The cleaning macro: sl_clean_text, or its ASCII path when every distinct raw name is
-- ASCII (standardise._cleaner). Leading titles (linkage_models/name_titles.csv, as a pattern,
-- "dr jan" -> "jan") are dropped when another word follows; a title alone stays. Then
-- trailing suffixes (linkage_models/name_suffixes.csv, as a pattern, "oleg jr" -> "oleg",
-- "smith iii" -> "smith") when another word comes before; a suffix alone stays.
-- {{ raw_names }}: names_raw.sql's result (the distinct raw names, read once).
WITH prepared AS (
    SELECT raw, {{ clean|sql }}(raw) AS clean
    FROM {{ raw_names }}
), untitled AS (
    SELECT raw,
           CASE WHEN regexp_matches(clean, {{ titles|sql }} || '[^ ]')
                THEN regexp_replace(clean, {{ titles|sql }}, '', 'g')
                ELSE clean END AS clean
    FROM prepared
), cleaned AS (
    SELECT raw, regexp_replace(clean, {{ suffixes|sql }}, '', 'g') AS clean
    FROM untitled
)
SELECT
    raw,
    clean,
    CASE WHEN strpos(clean, ' ') > 0 THEN substr(clean, 1, strpos(clean, ' ') - 1)
         ELSE clean END AS head,
    CASE WHEN strpos(clean, ' ') > 0 THEN substr(clean, strpos(clean, ' ') + 1) END AS tail
FROM cleaned
