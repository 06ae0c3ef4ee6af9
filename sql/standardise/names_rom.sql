-- The distinct names (names.sql) with the romanisation key of the comparison form and of
-- its first word. Every rule acts within one word (spinelink.romanisation), so rom_head
-- is the first word of rom.
SELECT raw, clean, head, tail, sl_name_rom(clean) AS rom, sl_name_rom(head) AS rom_head
FROM {{ names }}
