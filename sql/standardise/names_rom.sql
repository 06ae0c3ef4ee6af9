-- The distinct names (names.sql) with the romanisation key of the comparison form, and of
-- its first word for names of several words (rom_head; NULL for one word, whose key is
-- rom). Every rule acts within one word (spinelink.romanisation), so rom_head is the
-- first word of rom.
SELECT
    raw, clean, head, tail,
    sl_name_rom(clean) AS rom,
    CASE WHEN tail IS NOT NULL THEN sl_name_rom(head) END AS rom_head
FROM {{ names }}
