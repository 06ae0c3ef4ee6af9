-- The distinct names (names.sql) with the romanisation key of the comparison form, and of
-- its first word for names of several words (rom_head; NULL for one word, whose key is
-- rom). Every rule acts within one word (spinelink.romanisation), so rom_head is the
-- first word of rom. rom_joined: the key of the name with its words written together, the
-- surname key (last_name_rom), so that a particle written apart or together, or with an
-- apostrophe, gives one key: van der Berg / Vanderberg, De la Cruz / Delacruz,
-- O Neil / O'Neil / ONeil, Mc Donald / McDonald (and double surnames with or without
-- the hyphen). Keyed after joining, so that a rule across the join (van Nistelrooy: nn)
-- acts as in the name written together. rom_middle: the key by the rules without a
-- scope and those of scope middle_name (middle_name_rom: Ivanovna / Ivanivna), for the
-- names {{ source }} holds as a middle name only (NULL for the others: canonical.sql
-- reads it for the middle name alone; a source without a middle name column, or whose
-- first name is split, has none). At 1M records the middle-name macro over every
-- distinct string cost 1.2 of the query's 2.1 s CPU on a source without middle names.
-- Each macro is written once, over the distinct strings it keys: DuckDB binds each call
-- of it anew (hundreds of nested replaces), most of this query's cost on a small
-- delivery.
WITH n AS (
    SELECT raw, clean, head, tail,
           CASE WHEN tail IS NOT NULL THEN replace(clean, ' ', '') ELSE clean END AS joined
    FROM {{ names }}
),
k AS (
    SELECT s, sl_name_rom(s) AS key
    FROM (SELECT clean AS s FROM n
          UNION SELECT head FROM n WHERE tail IS NOT NULL
          UNION SELECT joined FROM n) f
    WHERE s IS NOT NULL
),
m AS (
    SELECT s, sl_middle_name_rom(s) AS key
    FROM (SELECT DISTINCT clean AS s FROM n
          WHERE raw IN (SELECT raw_middle_name FROM {{ source }})) f
    WHERE s IS NOT NULL
)
SELECT
    n.raw, n.clean, n.head, n.tail,
    kc.key AS rom,
    km.key AS rom_middle,
    CASE WHEN n.tail IS NOT NULL THEN kh.key END AS rom_head,
    kj.key AS rom_joined
FROM n
LEFT JOIN k kc ON kc.s = n.clean
LEFT JOIN m km ON km.s = n.clean
LEFT JOIN k kh ON kh.s = n.head
LEFT JOIN k kj ON kj.s = n.joined
