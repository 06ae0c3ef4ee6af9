-- Nickname lookups, in comparison form, one row per lookup key:
-- * by_rom false: the general table (linkage_models/nicknames.csv), looked up by the
--   comparison form of the first name; a nickname listed with more than one canonical name
--   (al: albert, alan) is ambiguous and left unresolved.
-- * by_rom true: the Ukrainian / Russian table (linkage_models/nicknames_uk_ru.csv), looked
--   up by the romanisation key of the first name, so that Sasha, Sascha and Саша all find
--   oleksandr; a key whose rows name different canonical keys is left unresolved.
-- Rows that map a name to itself (same form, or same key for by_rom) are dropped.
-- canonical_rom is the key of the canonical name (first_name_canon_rom).
-- {{ pairs }} is nickname_pairs.sql's result. Ordered: the table is saved
-- (spinelink.nickname_tables) and a run's outputs are the same in every run.
WITH keyed AS (
    SELECT
        by_rom,
        CASE WHEN by_rom THEN sl_name_rom(nickname) ELSE nickname END AS key,
        canonical,
        sl_name_rom(canonical) AS canonical_rom
    FROM {{ pairs }}
    WHERE nickname IS NOT NULL AND canonical IS NOT NULL
)
SELECT by_rom, key, min(canonical) AS canonical, min(canonical_rom) AS canonical_rom
FROM keyed
WHERE key <> CASE WHEN by_rom THEN canonical_rom ELSE canonical END
GROUP BY by_rom, key
HAVING count(DISTINCT CASE WHEN by_rom THEN canonical_rom ELSE canonical END) = 1
ORDER BY by_rom, key
